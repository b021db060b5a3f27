package audit

import (
	"fmt"
	"time"
)

// Window is a half-open span of event time [From, To), always in UTC.
type Window struct {
	From, To time.Time
}

// Contains reports whether t lies in [From, To), comparing instants.
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.From) && t.Before(w.To)
}

// Empty reports whether the window holds no instant.
func (w Window) Empty() bool { return !w.From.Before(w.To) }

// Duration is To - From.
func (w Window) Duration() time.Duration { return w.To.Sub(w.From) }

// Intersect returns the overlap of w and o (possibly empty).
func (w Window) Intersect(o Window) Window {
	out := w
	if o.From.After(out.From) {
		out.From = o.From
	}
	if o.To.Before(out.To) {
		out.To = o.To
	}
	if out.To.Before(out.From) {
		out.To = out.From
	}
	return out
}

func (w Window) String() string {
	return fmt.Sprintf("[%s, %s)", FormatTime(w.From), FormatTime(w.To))
}

// FormatTime renders t as RFC 3339 in UTC with only the fractional digits it
// needs, the form used in logs, metadata and state.
func FormatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
