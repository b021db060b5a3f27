package bench

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// requestLog timestamps the Graph requests graphsim serves (through its
// Logf hook), so rates can be measured at the server, where throttling is
// decided.
type requestLog struct {
	mu    sync.Mutex
	times []time.Time
}

// logf is graphsim's Options.Logf. Its request line is written when the
// response is done and carries the path and the time taken, from which the
// arrival is known.
func (l *requestLog) logf(format string, args ...any) {
	if len(args) < 4 {
		return
	}
	path, _ := args[1].(string)
	took, _ := args[3].(time.Duration)
	if !strings.HasPrefix(path, "/v1.0/") && !strings.HasPrefix(path, "/beta/") {
		return // token and discovery requests
	}
	arrived := time.Now().Add(-took)
	l.mu.Lock()
	l.times = append(l.times, arrived)
	l.mu.Unlock()
}

// snapshot returns the arrival times so far, in order.
func (l *requestLog) snapshot() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]time.Time(nil), l.times...)
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// span is the time from the first to the last request.
func span(times []time.Time) time.Duration {
	if len(times) < 2 {
		return 0
	}
	return times[len(times)-1].Sub(times[0])
}

// rate is requests per second between the first and the last request.
func rate(times []time.Time) float64 {
	if d := span(times); d > 0 {
		return float64(len(times)-1) / d.Seconds()
	}
	return 0
}
