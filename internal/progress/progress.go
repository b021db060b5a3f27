// Package progress draws a one-line progress display for long work (verify,
// export, backfill) on a terminal:
//
//	verify: 312/720 partitions, 1.2 GB, 40 s
//
// The line goes to stderr only when stderr is a terminal, at most about ten
// times a second, and is erased by Done. Anywhere else (a pipe, a file, a
// log collector) a Bar does nothing, so scripts and logs never see it.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Meter receives progress as work goes. *Bar implements it; Discard ignores
// everything. Work packages take a Meter so they never draw anything
// themselves.
type Meter interface {
	// SetTotal sets how many units the work has, when known.
	SetTotal(n int)
	// Add counts n units done.
	Add(n int)
	// AddBytes counts n bytes processed.
	AddBytes(n int64)
}

// Discard is a Meter that ignores everything.
var Discard Meter = discard{}

type discard struct{}

func (discard) SetTotal(int)   {}
func (discard) Add(int)        {}
func (discard) AddBytes(int64) {}

// interval is the least time between two redraws.
const interval = 100 * time.Millisecond

// Bar is a progress line. Its methods are safe for concurrent use and cheap
// when the Bar is not drawing.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	unit    string
	enabled bool
	now     func() time.Time
	started time.Time
	drawn   time.Time // last redraw; zero before the first
	width   int       // length of the line on screen, to erase it
	total   int
	done    int
	bytes   int64
}

// New returns a Bar that draws on w when w is a terminal and does nothing
// otherwise. label starts the line ("verify").
func New(w io.Writer, label string) *Bar {
	return newBar(w, label, IsTerminal(w), time.Now)
}

func newBar(w io.Writer, label string, enabled bool, now func() time.Time) *Bar {
	return &Bar{w: w, label: label, unit: "partitions", enabled: enabled, now: now, started: now()}
}

// IsTerminal reports whether w is a terminal (a person reads it).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// SetUnit names what Add counts ("partitions" unless set).
func (b *Bar) SetUnit(unit string) {
	b.mu.Lock()
	b.unit = unit
	b.mu.Unlock()
}

// SetTotal implements Meter.
func (b *Bar) SetTotal(n int) {
	b.update(func() { b.total = n })
}

// Add implements Meter.
func (b *Bar) Add(n int) {
	b.update(func() { b.done += n })
}

// AddBytes implements Meter.
func (b *Bar) AddBytes(n int64) {
	b.update(func() { b.bytes += n })
}

func (b *Bar) update(change func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	change()
	if !b.enabled {
		return
	}
	now := b.now()
	if !b.drawn.IsZero() && now.Sub(b.drawn) < interval {
		return
	}
	b.drawn = now
	line := b.line(now)
	pad := ""
	if n := b.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	b.width = len(line)
	fmt.Fprintf(b.w, "\r%s%s", line, pad)
}

// line renders the progress text.
func (b *Bar) line(now time.Time) string {
	count := fmt.Sprintf("%d %s", b.done, b.unit)
	if b.total > 0 {
		// An estimated total may be passed; never show more done than total.
		count = fmt.Sprintf("%d/%d %s", b.done, max(b.total, b.done), b.unit)
	}
	return fmt.Sprintf("%s: %s, %s, %d s", b.label, count, FormatBytes(b.bytes), int(now.Sub(b.started).Seconds()))
}

// Done erases the line; later calls draw nothing.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.enabled && b.width > 0 {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", b.width))
	}
	b.enabled = false
}

// FormatBytes renders n bytes in decimal units: "950 B", "1.2 MB", "3.4 GB".
func FormatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTP"[exp])
}
