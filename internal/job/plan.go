package job

import (
	"math"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// planner sizes Graph query windows to the stream's observed density.
//
// The request budget (5 per 10 s per tenant) is the scarce thing, and a query
// costs one request per 1,000 records plus one partly filled last page, so a
// query should cover many pages' worth of records: a quiet tenant's month fits
// in one query, a busy tenant's hour needs several. Query windows are
// therefore not partitions. A batch is the unit that is fetched, sorted and
// then written partition by partition; it always ends on a partition boundary
// (or at the end of the span), so a partition is never split across batches.
type planner struct {
	gran audit.Granularity
	// target is the number of records one query should return.
	target float64
	// density is records per second of event time; 0 = not known yet.
	density float64
}

const (
	defaultQueryRecords = 20000
	minQueryWindow      = time.Minute
)

func newPlanner(g audit.Granularity) *planner {
	return &planner{gran: g, target: defaultQueryRecords}
}

// querySize is the event-time length of a query expected to return target
// records; one partition while the density is unknown.
func (p *planner) querySize() time.Duration {
	if p.density <= 0 {
		return p.gran.Size()
	}
	secs := p.target / p.density
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		return time.Duration(math.MaxInt64)
	}
	d := time.Duration(secs * float64(time.Second)).Truncate(time.Second)
	return max(d, minQueryWindow)
}

// nextBatch plans the batch that starts at from (inside [from, end)): the
// batch window and the query windows that cover it, in order.
func (p *planner) nextBatch(from, end time.Time) (audit.Window, []audit.Window) {
	size := p.querySize()
	boundary := p.gran.Floor(from).Add(p.gran.Size())
	var to time.Time
	if size >= p.gran.Size() {
		to = p.gran.Floor(addClamped(from, size))
		if !to.After(from) {
			to = boundary
		}
	} else {
		to = boundary
	}
	if to.After(end) {
		to = end
	}
	batch := audit.Window{From: from, To: to}
	if size >= batch.Duration() {
		return batch, []audit.Window{batch}
	}
	n := int((batch.Duration() + size - 1) / size)
	step := (batch.Duration() / time.Duration(n)).Truncate(time.Second)
	if step < time.Second {
		step = time.Second
	}
	var qs []audit.Window
	for a := from; a.Before(to); {
		b := a.Add(step)
		if b.After(to) || len(qs) == n-1 {
			b = to
		}
		qs = append(qs, audit.Window{From: a, To: b})
		a = b
	}
	return batch, qs
}

// observe learns from a fetched batch: n records over window w.
func (p *planner) observe(w audit.Window, n int) {
	secs := w.Duration().Seconds()
	if secs <= 0 {
		return
	}
	// An empty window says "fewer than one record": assume half a record so
	// the next window grows instead of staying at the unknown default.
	p.density = max(float64(n), 0.5) / secs
}

func addClamped(t time.Time, d time.Duration) time.Time {
	const far = 100 * 365 * 24 * time.Hour
	if d > far {
		d = far
	}
	return t.Add(d)
}

// split halves a query window on whole seconds; ok is false when it is too
// short to split.
func split(w audit.Window) (audit.Window, audit.Window, bool) {
	half := (w.Duration() / 2).Truncate(time.Second)
	if half < time.Second {
		return w, w, false
	}
	m := w.From.Add(half)
	return audit.Window{From: w.From, To: m}, audit.Window{From: m, To: w.To}, true
}
