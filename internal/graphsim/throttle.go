package graphsim

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// window is a sliding log of request arrivals in real time. It answers how
// many requests arrived in the last per, and remembers the most it ever saw.
type window struct {
	mu    sync.Mutex
	per   time.Duration
	times []time.Time // arrivals within the last per, oldest first
	max   int
}

func newWindow(per time.Duration) *window { return &window{per: per} }

func (w *window) setPer(per time.Duration) {
	w.mu.Lock()
	w.per = per
	w.mu.Unlock()
}

// add records an arrival at now. It returns the number of arrivals in
// (now-per, now], this one included, and, when that exceeds limit, how long
// until a request would fit under limit again.
func (w *window) add(now time.Time, limit int) (count int, wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cut := now.Add(-w.per)
	k := 0
	for k < len(w.times) && !w.times[k].After(cut) {
		k++
	}
	w.times = append(w.times[k:], now)
	count = len(w.times)
	w.max = max(w.max, count)
	if limit > 0 && count > limit {
		// The next request fits once all but limit-1 of the arrivals now in
		// the window have left it.
		wait = w.times[count-limit].Add(w.per).Sub(now)
	}
	return count, wait
}

func (w *window) maxSeen() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max
}

// admission is the throttling verdict for one Graph request.
type admission struct {
	request    int // the tenant's request number, from 1
	throttled  bool
	retryAfter time.Duration
	mode       RetryAfterMode
}

// admit counts a Graph request against the app-wide and the tenant's
// windows. Every request counts, throttled ones included, as on Graph.
func (s *Server) admit(t *Tenant) admission {
	now := time.Now()
	var a admission
	appLimit := 0
	if s.appLimit != nil {
		appLimit = s.appLimit.Requests
	}
	if _, wait := s.app.add(now, appLimit); wait > 0 {
		a.throttled, a.retryAfter, a.mode = true, wait, s.appLimit.RetryAfter
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	a.request = t.requests
	limit := 0
	if t.throttle != nil {
		limit = t.throttle.Requests
	}
	if count, wait := t.seen.add(now, limit); limit > 0 && count > limit {
		a.throttled = true
		if wait >= a.retryAfter {
			a.retryAfter, a.mode = wait, t.throttle.RetryAfter
		}
	}
	if a.throttled {
		t.throttled++
	}
	return a
}

// setRetryAfter writes the Retry-After header in the configured form; now
// is the clock of the response's Date header.
func setRetryAfter(h http.Header, now time.Time, wait time.Duration, mode RetryAfterMode) {
	secs := wait.Seconds()
	switch mode {
	case RetryAfterNone:
		return
	case RetryAfterDate:
		// Date has whole seconds: round now down and the wait up, so the
		// date is never earlier than the moment the budget allows.
		at := now.UTC().Truncate(time.Second).Add(time.Duration(math.Ceil(secs+1)) * time.Second)
		h.Set("Retry-After", at.Format(http.TimeFormat))
	case RetryAfterInteger:
		h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(secs)))))
	default:
		h.Set("Retry-After", strconv.FormatFloat(max(0.001, secs), 'f', 3, 64))
	}
}
