package job

import (
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
	// density is records per second of event time Graph served in the last
	// batch; 0 = not known yet.
	density float64
	// max is the widest query window: maxQueryWindow, or less once a wider
	// one timed out.
	max time.Duration
	// perDay is the stream's volume (records Graph serves per day of event
	// time), averaged over about a day of event time; 0 = not known yet.
	perDay float64
}

const (
	defaultQueryRecords = 20000
	minQueryWindow      = time.Minute
	// maxQueryWindow caps a query at three days of event time: Graph times
	// out on wide queries, and Microsoft's advice is to "begin with a call
	// that requests three days of data and iterate with shorter timespans"
	// (GRAPH-NOTES.md "Wide queries time out").
	maxQueryWindow = 72 * time.Hour
	// volumeHorizon is the span of event time the volume estimate averages
	// over.
	volumeHorizon = 24 * time.Hour
)

func newPlanner(g audit.Granularity) *planner {
	return &planner{gran: g, target: defaultQueryRecords, max: maxQueryWindow}
}

// seed starts the estimates from a stored volume (records per day), so a
// restarted process sizes its first queries as the last one did.
func (p *planner) seed(perDay float64) {
	if perDay <= 0 || p.perDay > 0 {
		return
	}
	p.perDay = perDay
	p.density = perDay / volumeHorizon.Seconds()
}

// limit caps query windows at d (after a wider one timed out).
func (p *planner) limit(d time.Duration) {
	p.max = max(min(p.max, d), minQueryWindow)
}

// volume is the stream's observed volume in records per day (0: unknown).
func (p *planner) volume() float64 { return p.perDay }

// querySize is the event-time length of a query expected to return target
// records; one partition while the density is unknown.
func (p *planner) querySize() time.Duration {
	if p.density <= 0 {
		return min(p.gran.Size(), p.max)
	}
	secs := p.target / p.density
	if secs > p.max.Seconds() {
		return p.max
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
		to = p.gran.Floor(from.Add(size))
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

// observe learns from a fetched batch: Graph served n records for window
// w. It counts what Graph served (records outside the window and quarantined
// ones included), since that, not what the job keeps, is Graph's work.
func (p *planner) observe(w audit.Window, n int) {
	secs := w.Duration().Seconds()
	if secs <= 0 {
		return
	}
	// An empty window says "fewer than one record": assume half a record so
	// the next window grows instead of staying at the unknown default.
	p.density = max(float64(n), 0.5) / secs
	perDay := float64(n) / secs * volumeHorizon.Seconds()
	if p.perDay <= 0 {
		p.perDay = perDay
		return
	}
	weight := secs / (secs + volumeHorizon.Seconds())
	p.perDay += (perDay - p.perDay) * weight
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
