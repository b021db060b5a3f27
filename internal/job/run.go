package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/progress"
)

// run is one run of a job: the state it advances (nil in a backfill, which
// moves no state), what it did, its progress meter, and what it has learnt
// of Graph's minimum allowed time.
type run struct {
	j     *Job
	pr    *runState
	res   *Result
	meter progress.Meter
	// minimum is Graph's minimum allowed time as this run knows it: computed
	// from Graph's clock, or later when a 400 named a later one.
	minimum time.Time
	// reached is the end of the last batch archived, where a pass resumes
	// after a minimum-time refusal.
	reached time.Time
}

func (j *Job) newRun(pr *runState, res *Result, meter progress.Meter) *run {
	return &run{j: j, pr: pr, res: res, meter: meter, minimum: audit.MinimumTime(j.graphNow())}
}

// kind says why a span is archived; it decides what a commit moves.
type kind int

const (
	kindMain kind = iota
	kindRecheck
	kindBackfill
)

func (k kind) String() string {
	switch k {
	case kindRecheck:
		return "recheck"
	case kindBackfill:
		return "backfill"
	}
	return "main"
}

// pass is one sweep over a span: its kind and, for a recheck, its age.
type pass struct {
	kind kind
	age  time.Duration
}

// maxEdgeRetries bounds how often a run re-plans after Graph refused a
// window as older than its minimum allowed time.
const maxEdgeRetries = 3

// catchUp rechecks the spans that reached each recheck age and archives
// [watermark, now − settle). A window Graph refuses as older than its
// minimum allowed time moves the edge on and the passes start again from
// the committed state.
func (r *run) catchUp(ctx context.Context, now time.Time) error {
	for attempt := 0; ; attempt++ {
		err := r.passes(ctx, now)
		if !r.passedEdge(err) || attempt == maxEdgeRetries {
			return err
		}
	}
}

func (r *run) passes(ctx context.Context, now time.Time) error {
	st := &r.pr.st
	if err := r.clampToEdge(ctx); err != nil {
		return err
	}
	for _, age := range r.j.set.Recheck {
		mark := st.Recheck[markKey(age)]
		end := minTime(st.Watermark, now.Add(-age).Truncate(time.Second))
		if !mark.Before(end) {
			continue
		}
		span := audit.Window{From: mark, To: end}
		if err := r.archive(ctx, span, pass{kind: kindRecheck, age: age}); err != nil {
			return fmt.Errorf("recheck at age %s of %s: %w", age, span, err)
		}
	}
	target := now.Add(-r.j.set.Settle).Truncate(time.Second)
	if st.Watermark.Before(target) {
		span := audit.Window{From: st.Watermark, To: target}
		if err := r.archive(ctx, span, pass{kind: kindMain}); err != nil {
			return fmt.Errorf("archive %s: %w", span, err)
		}
	}
	return nil
}

// backfill archives span without moving state, resuming after the last
// archived batch when Graph refuses a window as too old.
func (r *run) backfill(ctx context.Context, span audit.Window) error {
	for attempt := 0; ; attempt++ {
		r.reached = span.From
		err := r.archive(ctx, span, pass{kind: kindBackfill})
		if !r.passedEdge(err) || attempt == maxEdgeRetries {
			return err
		}
		span.From = r.clampBackfill(r.reached)
		if span.Empty() {
			return nil
		}
	}
}

// archive archives event time [span.From, span.To) batch by batch, oldest
// first. After each partition's new part is durable, commit moves the state
// (for main and recheck passes), so a later run resumes at the next
// partition.
func (r *run) archive(ctx context.Context, span audit.Window, ps pass) error {
	for from := span.From; from.Before(span.To); {
		batch, queries := r.j.plan.nextBatch(from, span.To)
		if err := r.archiveBatch(ctx, batch, queries, ps); err != nil {
			return err
		}
		from = batch.To
		r.reached = from
	}
	return nil
}

// archiveBatch fetches the batch's query windows into a sorter, then writes
// the batch's partitions one by one from the sorted records.
func (r *run) archiveBatch(ctx context.Context, batch audit.Window, queries []audit.Window, ps pass) error {
	j := r.j
	fetchStart := j.deps.Clock()
	srt := newSorter(j.deps.TempDir, j.deps.SortBudget)
	defer srt.Close()
	served := 0
	for _, q := range queries {
		if err := r.fetch(ctx, q, 0, func(pg audit.Page) error {
			served += pg.Served
			for _, rec := range pg.Records {
				if err := srt.Add(rec); err != nil {
					return err
				}
			}
			return r.quarantine(ctx, q, pg.Rejects)
		}); err != nil {
			return err
		}
	}
	j.plan.observe(batch, served)
	sorted, err := srt.Sorted()
	if err != nil {
		return err
	}
	recs := &peekIter{it: sorted}
	for _, p := range j.set.Partition.Partitions(batch) {
		if err := ctx.Err(); err != nil {
			return err
		}
		sub := batch.Intersect(p.Window())
		recorded := 0
		if r.pr != nil {
			recorded = r.pr.st.PartsOf(p.Start)
		}
		pt, err := j.openPartition(ctx, p)
		if err != nil {
			return err
		}
		pt.quarantine = func(ctx context.Context, rejects []audit.Reject) error { return r.quarantine(ctx, sub, rejects) }
		out, err := pt.write(ctx, sub, recs, ps.kind, recorded)
		if err != nil {
			return err
		}
		r.res.add(out)
		r.meter.Add(1)
		j.deps.Metrics.Archived(j.set.Tenant, j.set.Stream.Name, out.records, out.late, out.revisions, out.duplicates)
		if r.pr == nil {
			continue
		}
		if out.total > 0 && !p.Start.Before(r.pr.st.SealedThrough) {
			r.pr.st.NoteParts(p.Start, out.total)
		}
		if err := r.commit(ctx, sub, ps, fetchStart); err != nil {
			return err
		}
	}
	return nil
}

// commit moves the state past sub once its blobs are durable.
func (r *run) commit(ctx context.Context, sub audit.Window, ps pass, fetchStart time.Time) error {
	j, st := r.j, &r.pr.st
	switch ps.kind {
	case kindRecheck:
		if err := j.checkServerClock(sub.To, ps.age); err != nil {
			return err
		}
		st.Recheck[markKey(ps.age)] = sub.To
	case kindMain:
		if err := j.checkServerClock(sub.To, j.set.Settle); err != nil {
			return err
		}
		old := st.Watermark
		st.Watermark = sub.To
		// A span first looked at when it was already older than an age
		// counts as rechecked at that age: a mark that had caught up with
		// the watermark follows it as far as the fetch time allows.
		for _, a := range j.set.Recheck {
			key := markKey(a)
			if st.Recheck[key].Equal(old) {
				st.Recheck[key] = maxTime(old, minTime(sub.To, fetchStart.Add(-a).Truncate(time.Second)))
			}
		}
	}
	if err := j.save(ctx, r.pr); err != nil {
		return err
	}
	if ps.kind == kindMain {
		j.deps.Metrics.Watermark(j.set.Tenant, j.set.Stream.Name, st.Watermark)
	}
	return nil
}

// minSplitWindow is the narrowest window a failing query is split into.
const minSplitWindow = time.Minute

// fetch queries one window. When its paging breaks (a nextLink fails for
// good, pages cannot be parsed) or its first page keeps timing out (Graph
// gives up on wide queries), the window is re-issued as two halves, down to
// minSplitWindow; records the failed attempt already delivered come again
// and are dropped as duplicates when the partition is written. A window
// that timed out also caps the planner's windows, so the next batches do
// not meet the same timeout.
func (r *run) fetch(ctx context.Context, q audit.Window, depth int, page func(audit.Page) error) error {
	j := r.j
	err := j.deps.Source.Fetch(ctx, j.set.Stream, q, j.set.Filter, page)
	timedOut := errors.Is(err, audit.ErrTimedOut)
	if err == nil || !(timedOut || errors.Is(err, audit.ErrPagingFailed)) || q.Duration() < 2*minSplitWindow {
		return err
	}
	a, b, ok := split(q)
	if !ok {
		return err
	}
	if timedOut {
		j.plan.limit(q.Duration() / 2)
	}
	j.log.Warn("query failed; re-issuing the window as two halves", zap.Stringer("window", q), zap.Int("depth", depth+1), zap.Error(err))
	if err := r.fetch(ctx, a, depth+1, page); err != nil {
		return err
	}
	return r.fetch(ctx, b, depth+1, page)
}

// clockTolerance is how far the host clock may run ahead of Graph's before
// the job refuses to move a mark past what Graph's own clock allows.
const clockTolerance = time.Minute

// checkServerClock refuses to move a mark (the watermark: age = settle; a
// recheck mark: its age) to `to` when that is past Graph's now − age, as far
// as the source knows Graph's clock. A host clock that runs ahead would
// otherwise mark as looked-for spans Graph has not published yet (or not
// rechecked at that age), and records published there later would never be
// looked for.
func (j *Job) checkServerClock(to time.Time, age time.Duration) error {
	graphNow, ok := j.serverNow()
	if !ok {
		return nil
	}
	if limit := graphNow.Add(-age + clockTolerance); to.After(limit) {
		return fmt.Errorf("the host clock is %s ahead of Microsoft Graph's: not moving past Graph's now - %s; fix the clock (NTP)",
			j.deps.Clock().Sub(graphNow).Round(time.Second), age)
	}
	return nil
}

// serverNow is Graph's clock, if the source follows it and Graph answered.
func (j *Job) serverNow() (time.Time, bool) {
	sc, ok := j.deps.Source.(audit.ServerClock)
	if !ok {
		return time.Time{}, false
	}
	return sc.ServerNow()
}

// graphNow is Graph's clock where known, else the host's.
func (j *Job) graphNow() time.Time {
	if t, ok := j.serverNow(); ok {
		return t
	}
	return j.deps.Clock()
}
