package job

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Graph's edge. Graph refuses (400) a query whose lower time bound lies
// before its minimum allowed time, midnight UTC 30 days back, and never
// clamps it for the client (GRAPH-NOTES.md "Minimum allowed time"). A job
// that asked from an older watermark would fail the same way every run for
// ever; instead every query starts at or after the edge, and what lies
// behind it is recorded as lost.

// Reasons recorded with lost spans.
const (
	lostNeverRead = "Graph no longer served this span when the archiver got to it: it lay before Graph's minimum allowed time " +
		"(about 30 days back), after an outage longer than that or a configured start before it"
	lostRecheck = "this recheck was not made: by the time it was due the span lay before Graph's minimum allowed time; " +
		"records published late in it were not looked for again"
)

// readable is the first partition boundary whose whole span Graph still
// serves: at or after the minimum allowed time, and for streams filtered
// with gt a second more, since their lower bound lies a second before the
// window.
func (r *run) readable() time.Time {
	return r.j.set.Partition.Ceil(r.j.set.Stream.EarliestFrom(r.minimum))
}

// passedEdge reports whether err is Graph refusing a window as older than
// its minimum allowed time and the run has learnt a later edge from it, so
// that planning again makes progress.
func (r *run) passedEdge(err error) bool {
	var me *audit.MinimumTimeError
	if !errors.As(err, &me) {
		return false
	}
	next := me.Minimum
	if !me.Named {
		next = audit.MinimumTime(r.j.graphNow())
	}
	if !next.After(r.minimum) {
		// Graph refuses a window the run thought readable and names no
		// later edge: a day later than the current one is where Graph's
		// edge moves next.
		next = audit.Day.Floor(r.minimum).Add(24 * time.Hour)
		if next.After(r.j.deps.Clock()) {
			return false
		}
	}
	r.j.log.Warn("Graph refused a window as older than its minimum allowed time; moving on from the edge it names",
		zap.Time("minimum_allowed_time", next), zap.Time("previous", r.minimum), zap.Error(err))
	r.minimum = next
	return true
}

// clampToEdge moves every mark behind Graph's edge up to it and records the
// span it passes over: never read when the watermark was behind it (no p000
// claims it; sealing marks its partitions lost), or only not rechecked when
// just a recheck mark was.
func (r *run) clampToEdge(ctx context.Context) error {
	j, st := r.j, &r.pr.st
	from := r.readable()
	if !st.Watermark.Before(from) && !r.marksBefore(from) {
		return nil
	}
	noted := j.deps.Clock().UTC()
	for _, age := range j.set.Recheck {
		k := markKey(age)
		if m := st.Recheck[k]; m.Before(from) {
			if end := minTime(from, st.Watermark); m.Before(end) {
				st.NoteLost(state.LostSpan{From: m, To: end, Recheck: k, Reason: lostRecheck, Noted: noted})
				j.log.Warn("recheck passed over: the span lies before Graph's minimum allowed time",
					zap.String("recheck", k), zap.Stringer("span", audit.Window{From: m, To: end}))
			}
			st.Recheck[k] = from
		}
	}
	if lost := (audit.Window{From: st.Watermark, To: from}); !lost.Empty() {
		st.NoteLost(state.LostSpan{From: lost.From, To: lost.To, Reason: lostNeverRead, Noted: noted})
		st.Watermark = from
		r.res.Lost += lost.Duration()
		j.deps.Metrics.Lost(j.set.Tenant, j.set.Stream.Name, lost.Duration().Seconds())
		j.log.Error("records lost: Graph no longer serves this span (it keeps about 30 days); continuing from its minimum allowed time. "+
			"The span is recorded as lost in the state, status and verify",
			zap.Stringer("lost", lost), zap.Time("minimum_allowed_time", r.minimum))
	}
	if err := j.save(ctx, r.pr); err != nil {
		return err
	}
	j.deps.Metrics.Watermark(j.set.Tenant, j.set.Stream.Name, st.Watermark)
	return nil
}

func (r *run) marksBefore(t time.Time) bool {
	for _, m := range r.pr.st.Recheck {
		if m.Before(t) {
			return true
		}
	}
	return false
}

// clampBackfill moves a backfill's start up to Graph's edge, saying so.
func (r *run) clampBackfill(from time.Time) time.Time {
	edge := r.readable()
	if !from.Before(edge) {
		return from
	}
	r.j.log.Warn("backfill reaches before Graph's minimum allowed time (about 30 days back): Graph no longer serves that span, starting at the edge",
		zap.Time("requested_from", from), zap.Time("from", edge))
	return edge
}
