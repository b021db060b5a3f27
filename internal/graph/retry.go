package graph

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff when Graph gives no Retry-After: exponential with full jitter,
// the ceiling doubling from backoffBase per failed attempt up to backoffCap.
const (
	backoffBase = 2 * time.Second
	backoffCap  = 60 * time.Second
	// maxRetryAfter caps what a Retry-After can make Fetch wait, so a
	// garbled header cannot park a job for days.
	maxRetryAfter = 5 * time.Minute
)

// backoff is the delay before retry number attempt (1 for the first retry)
// given a uniform random number rnd in [0, 1).
func backoff(attempt int, rnd float64) time.Duration {
	ceiling := backoffCap
	if attempt < 8 {
		ceiling = min(backoffBase<<(attempt-1), backoffCap)
	}
	return time.Duration(rnd * float64(ceiling))
}

// parseRetryAfter reads a Retry-After header: delay-seconds, which Graph may
// send with a fraction ("2.128"), or an HTTP-date relative to now. ok is
// false when the header is absent or unusable.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || secs < 0 {
			return 0, false
		}
		if secs >= maxRetryAfter.Seconds() {
			return maxRetryAfter, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// answeredAt is the instant an HTTP-date Retry-After counts from: the
// answer's Date header (Graph's clock: a client whose clock is off would
// otherwise wait too long, or not at all), else now.
func answeredAt(resp *http.Response, now time.Time) time.Time {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t
	}
	return now
}

// retryableStatus lists the answers that say "try again later".
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusRequestTimeout,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
