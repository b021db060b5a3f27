package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/progress"
)

// archiveSpan archives event time [span.From, span.To) batch by batch, oldest
// first. After each partition's new part is durable, commit moves the state
// (for main and recheck spans), so a later run resumes at the next partition.
// meter counts the partitions done.
func (j *Job) archiveSpan(ctx context.Context, pr *runState, span audit.Window, k kind, age time.Duration, res *Result, meter progress.Meter) error {
	for from := span.From; from.Before(span.To); {
		batch, queries := j.plan.nextBatch(from, span.To)
		fetchStart := j.deps.Clock()
		srt := newSorter(j.deps.TempDir, j.deps.SortBudget)
		err := j.archiveBatch(ctx, pr, batch, queries, srt, k, age, fetchStart, res, meter)
		srt.Close()
		if err != nil {
			return err
		}
		from = batch.To
	}
	return nil
}

func (j *Job) archiveBatch(ctx context.Context, pr *runState, batch audit.Window, queries []audit.Window,
	srt *sorter, k kind, age time.Duration, fetchStart time.Time, res *Result, meter progress.Meter) error {
	for _, q := range queries {
		if err := j.fetchWindow(ctx, q, srt, 0); err != nil {
			return err
		}
	}
	j.plan.observe(batch, srt.Len())
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
		if pr != nil {
			recorded = pr.st.PartsOf(p.Start)
		}
		out, err := j.writePartition(ctx, p, sub, recs, k, recorded)
		if err != nil {
			return err
		}
		res.add(out)
		meter.Add(1)
		j.deps.Metrics.Archived(j.set.Tenant, j.set.Stream.Name, out.records, out.late, out.revisions, out.duplicates)
		if pr == nil {
			continue
		}
		if out.total > 0 && !p.Start.Before(pr.st.SealedThrough) {
			pr.st.NoteParts(p.Start, out.total)
		}
		if err := j.commit(ctx, pr, sub, k, age, fetchStart); err != nil {
			return err
		}
	}
	return nil
}

// commit moves the state past sub once its blobs are durable.
func (j *Job) commit(ctx context.Context, pr *runState, sub audit.Window, k kind, age time.Duration, fetchStart time.Time) error {
	switch k {
	case kindRecheck:
		if err := j.checkServerClock(sub.To, age); err != nil {
			return err
		}
		pr.st.Recheck[markKey(age)] = sub.To
	case kindMain:
		if err := j.checkServerClock(sub.To, j.set.Settle); err != nil {
			return err
		}
		old := pr.st.Watermark
		pr.st.Watermark = sub.To
		// A span first looked at when it was already older than an age
		// counts as rechecked at that age: a mark that had caught up with
		// the watermark follows it as far as the fetch time allows.
		for _, a := range j.set.Recheck {
			key := markKey(a)
			if pr.st.Recheck[key].Equal(old) {
				pr.st.Recheck[key] = maxTime(old, minTime(sub.To, fetchStart.Add(-a).Truncate(time.Second)))
			}
		}
	}
	if err := j.save(ctx, pr); err != nil {
		return err
	}
	if k == kindMain {
		j.deps.Metrics.Watermark(j.set.Tenant, j.set.Stream.Name, pr.st.Watermark)
	}
	return nil
}

// maxSplitDepth bounds how often a failing query window is halved.
const maxSplitDepth = 6

// fetchWindow fetches one query window into the sorter. When paging breaks
// (a nextLink fails for good, pages cannot be parsed), the window is
// re-issued as two halves; records the failed attempt already delivered come
// again and are dropped as duplicates when the partition is written.
func (j *Job) fetchWindow(ctx context.Context, q audit.Window, srt *sorter, depth int) error {
	err := j.deps.Source.Fetch(ctx, j.set.Stream, q, j.set.Filter, func(pg audit.Page) error {
		for _, r := range pg.Records {
			if err := srt.Add(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || !errors.Is(err, audit.ErrPagingFailed) || depth >= maxSplitDepth {
		return err
	}
	a, b, ok := split(q)
	if !ok {
		return err
	}
	j.log.Warn("paging failed; re-issuing the window as two halves", zap.Stringer("window", q), zap.Error(err))
	if err := j.fetchWindow(ctx, a, srt, depth+1); err != nil {
		return err
	}
	return j.fetchWindow(ctx, b, srt, depth+1)
}

// peekIter adds one record of look-ahead to a sorted iterator.
type peekIter struct {
	it     recordIter
	next   audit.Record
	peeked bool
	done   bool
	err    error
}

// Peek returns the next record without consuming it; ok is false at the end.
func (p *peekIter) Peek() (audit.Record, bool, error) {
	if p.err != nil {
		return audit.Record{}, false, p.err
	}
	if p.done {
		return audit.Record{}, false, nil
	}
	if !p.peeked {
		rec, err := p.it.Next()
		if errors.Is(err, io.EOF) {
			p.done = true
			return audit.Record{}, false, nil
		}
		if err != nil {
			p.err = err
			return audit.Record{}, false, err
		}
		p.next, p.peeked = rec, true
	}
	return p.next, true, nil
}

// Take consumes the peeked record.
func (p *peekIter) Take() { p.peeked = false }

// nextBefore returns the next record if its event time is before end.
func (p *peekIter) nextBefore(end time.Time) (audit.Record, bool, error) {
	rec, ok, err := p.Peek()
	if err != nil || !ok || !rec.Time.Before(end) {
		return audit.Record{}, false, err
	}
	p.Take()
	return rec, true, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
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
	sc, ok := j.deps.Source.(interface{ ServerNow() (time.Time, bool) })
	if !ok {
		return nil
	}
	graphNow, ok := sc.ServerNow()
	if !ok {
		return nil
	}
	if limit := graphNow.Add(-age + clockTolerance); to.After(limit) {
		return fmt.Errorf("the host clock is %s ahead of Microsoft Graph's: not moving past Graph's now - %s; fix the clock (NTP)",
			j.deps.Clock().Sub(graphNow).Round(time.Second), age)
	}
	return nil
}
