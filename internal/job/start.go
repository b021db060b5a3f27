package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// load reads the job's state, creating it on the first run, and aligns the
// recheck marks with the configured ages.
func (j *Job) load(ctx context.Context, now time.Time) (*runState, error) {
	st, version, found, err := j.deps.State.Load(ctx, j.set.Tenant, j.set.Stream.Name)
	if err != nil {
		return nil, err
	}
	pr := &runState{st: st, version: version}
	// A state without a start holds only the outcome of first runs that
	// failed before they could begin (see finishRun).
	if !found || st.Start.IsZero() {
		if err := j.checkNoSealedArchive(ctx); err != nil {
			return nil, err
		}
		if pr.st, err = j.initialState(ctx, now); err != nil {
			return nil, err
		}
		if err := j.save(ctx, pr); err != nil {
			return nil, err
		}
		j.log.Info("new job", zap.Time("start", pr.st.Start), zap.Duration("retention", time.Duration(pr.st.Retention)))
	}
	if err := j.checkPartition(ctx, pr.st); err != nil {
		return nil, err
	}
	pr.st.Partition = j.set.Partition.String()
	j.noteLicence(&pr.st)
	j.plan.seed(pr.st.RecordsPerDay)
	// A recheck age added to the config starts at the watermark (nothing to
	// recheck retroactively); a removed age's mark is dropped.
	marks := map[string]time.Time{}
	for _, age := range j.set.Recheck {
		k := markKey(age)
		if m, ok := pr.st.Recheck[k]; ok {
			marks[k] = m
		} else {
			marks[k] = pr.st.Watermark
		}
	}
	pr.st.Recheck = marks
	return pr, nil
}

// ErrPartitionChanged: the configured partition granularity differs from
// the one the job's archive is in.
var ErrPartitionChanged = errors.New("partition granularity changed")

// checkPartition refuses to run a job whose configured granularity differs
// from its archive's (read.Stream.Granularity): parts deduplicate against
// their own partition only, so records in hour partitions would be
// archived again in day partitions.
func (j *Job) checkPartition(ctx context.Context, st state.State) error {
	g, known, err := j.stored().Granularity(ctx, &st, j.set.Partition)
	if err != nil || !known || g == j.set.Partition {
		return err
	}
	return fmt.Errorf("%w: the archive of %s/%s is in %s partitions but the configuration says partition: %s; "+
		"one stream keeps one granularity (otherwise records are archived twice): set partition: %s back for this tenant, "+
		"or archive in %s partitions under another tenant name or storage prefix", ErrPartitionChanged,
		j.set.Tenant, j.set.Stream.Name, g, j.set.Partition, g, j.set.Partition)
}

// ErrStateLost: the job has no state document but its archive holds sealed
// partitions, which only a run with state writes.
var ErrStateLost = errors.New("state document lost")

// checkNoSealedArchive refuses to start a job over when its archive already
// holds manifests: the state document was lost, and a new start would write
// a second chain (and, with a changed partition, every record again). A
// stream that was only backfilled holds parts without manifests and starts.
func (j *Job) checkNoSealedArchive(ctx context.Context) error {
	sealed, err := j.stored().First(ctx, func(p *read.Partition) bool { return p.Manifest != nil })
	if err != nil || sealed == nil {
		return err
	}
	return fmt.Errorf("%w: %s/%s has no state document (%s), but its archive holds sealed partitions (%s): "+
		"restore the state document from a backup, blob version or snapshot; starting the job over would write a second manifest chain",
		ErrStateLost, j.set.Tenant, j.set.Stream.Name, j.deps.Layout.StateName(j.set.Tenant, j.set.Stream.Name), sealed.Manifest.Name)
}

// initialState decides where a new job starts. A configured start is taken
// as it is: a part of it before Graph's minimum allowed time is recorded as
// lost by the run's first pass, not guessed away. Only start: retention asks
// Graph how far back it serves the stream.
func (j *Job) initialState(ctx context.Context, now time.Time) (state.State, error) {
	r := j.newRun(nil, &Result{}, progress.Discard)
	var start time.Time
	switch {
	case j.set.Start.Retention:
	case !j.set.Start.At.IsZero():
		start = j.set.Partition.Floor(j.set.Start.At)
	default:
		start = j.set.Partition.Floor(now.Add(-j.set.Start.Back))
	}
	// The licence decides how long Graph keeps the tenant's logs; it is
	// asked where the job will begin reading.
	var licensed bool
	var err error
	for attempt := 0; ; attempt++ {
		at := maxTime(start, r.readable())
		licensed, err = j.checkLicence(ctx, at)
		if err == nil && !licensed {
			licensed = j.signInsServed(ctx, at)
		}
		if err == nil || attempt == maxEdgeRetries || !r.passedEdge(err) {
			break
		}
	}
	if err != nil {
		return state.State{}, err
	}
	retention := retentionFree
	if licensed {
		retention = retentionPremium
	}
	if j.set.Start.Retention {
		if !licensed {
			if retention, err = r.probeRetention(ctx, now); err != nil {
				return state.State{}, fmt.Errorf("find how far back Graph serves %s: %w", j.set.Stream.Name, err)
			}
		}
		start = r.readable()
		if retention == retentionFree {
			start = maxTime(start, j.set.Partition.Floor(now.Add(-retentionFree)))
		}
	}
	if edge := r.readable(); start.Before(edge) {
		j.log.Warn("start is before Graph's minimum allowed time (about 30 days back): Graph no longer serves that span, "+
			"so the job records it as lost and archives from the edge",
			zap.Time("start", start), zap.Time("minimum_allowed_time", r.minimum), zap.Time("archive_from", edge))
	}
	st := state.State{
		Partition:     j.set.Partition.String(),
		Start:         start,
		Retention:     state.Duration(retention),
		Watermark:     start,
		SealedThrough: start,
		Recheck:       map[string]time.Time{},
	}
	for _, age := range j.set.Recheck {
		st.Recheck[markKey(age)] = start
	}
	return st, nil
}

// checkLicence tells whether the tenant has Entra ID P1/P2: known from an
// earlier answer, or, for a stream that needs it, asked with one narrow
// query, so that a Free tenant's first run fails before the job starts
// ("needs P1/P2", and status shows it never started). For other streams an
// unknown licence is false.
func (j *Job) checkLicence(ctx context.Context, at time.Time) (bool, error) {
	lic, ok := j.deps.Source.(audit.Licence)
	if ok && lic.Licensed() {
		return true, nil
	}
	if !j.set.Stream.NeedsPremium() {
		return false, nil
	}
	if err := j.askOneSecond(ctx, j.set.Stream, at); err != nil {
		return false, err
	}
	return true, nil
}

// signInsServed asks Graph for one second of the tenant's interactive
// sign-ins: served (200) means the tenant is licensed, whatever this
// stream holds. Any refusal (a Free tenant's 403, a missing permission)
// leaves the question open: Free's 7 days are assumed (retention risk
// warns early rather than late) or, with start: retention, the retention
// probe decides.
func (j *Job) signInsServed(ctx context.Context, at time.Time) bool {
	err := j.askOneSecond(ctx, audit.InteractiveSignIns, at)
	if err != nil {
		j.log.Debug("could not tell the tenant's licence from its sign-ins", zap.Error(err))
	}
	return err == nil
}

// askOneSecond queries the second of stream st that begins at at: the
// cheapest question Graph answers with its licence verdict.
func (j *Job) askOneSecond(ctx context.Context, st audit.Stream, at time.Time) error {
	at = at.Truncate(time.Second)
	return j.deps.Source.Fetch(ctx, st, audit.Window{From: at, To: at.Add(time.Second)}, "", func(audit.Page) error { return nil })
}

// noteLicence shares what the state knows about the tenant's licence: a
// sign-in or provisioning stream that has archived before proves P1/P2, so
// the source retries Graph's intermittent licence 403 instead of giving up.
// A retention recorded as Free's is corrected once the tenant is known
// licensed.
func (j *Job) noteLicence(st *state.State) {
	lic, ok := j.deps.Source.(audit.Licence)
	if !ok {
		return
	}
	succeeded := st.Watermark.After(st.Start) || (st.LastRun != nil && st.LastRun.Result == metrics.ResultOK)
	if j.set.Stream.NeedsPremium() && succeeded {
		lic.NoteLicensed()
	}
	if time.Duration(st.Retention) == retentionFree && lic.Licensed() {
		j.log.Info("the tenant has Entra ID P1/P2 (Graph serves its sign-ins): Graph keeps 30 days, not 7")
		st.Retention = state.Duration(retentionPremium)
	}
}

var errStopProbe = errors.New("probe satisfied")

// probeRetention asks Graph whether it still serves records of the stream
// older than a Free tenant's 7 days, from its minimum allowed time up to
// the partition where a 7-day archive would start (so no span is left
// unread whatever the answer). A stream without records there is treated
// as keeping 7 days, which loses nothing: Graph has nothing older to give.
func (r *run) probeRetention(ctx context.Context, now time.Time) (time.Duration, error) {
	j := r.j
	for attempt := 0; ; attempt++ {
		probe := audit.Window{From: r.readable(), To: j.set.Partition.Floor(now.Add(-retentionFree))}
		if probe.Empty() {
			return retentionFree, nil
		}
		found := false
		var err error
		// Oldest first, in windows no wider than a query may be.
		for from := probe.From; from.Before(probe.To) && err == nil; from = from.Add(maxQueryWindow) {
			q := audit.Window{From: from, To: minTime(from.Add(maxQueryWindow), probe.To)}
			err = r.fetch(ctx, q, 0, func(pg audit.Page) error {
				if len(pg.Records) > 0 {
					found = true
					return errStopProbe
				}
				return nil
			})
		}
		switch {
		case err == nil || errors.Is(err, errStopProbe):
			if found {
				return retentionPremium, nil
			}
			// With start: retention this decides where the archive begins.
			j.log.Warn("Graph serves no records older than 7 days for this stream: assuming 7-day retention (Entra ID Free); "+
				"if the tenant has P1/P2 and simply had no activity, nothing is lost", zap.Stringer("probe_window", probe))
			return retentionFree, nil
		case attempt < maxEdgeRetries && r.passedEdge(err):
			continue
		default:
			return 0, err
		}
	}
}

// retentionRisk reports whether the watermark is within RetentionWarning of
// the edge beyond which Entra deletes records, and where that edge is.
func (j *Job) retentionRisk(st state.State, now time.Time) (bool, time.Time) {
	retention := time.Duration(st.Retention)
	if retention <= 0 {
		retention = retentionPremium
	}
	edge := now.Add(-retention)
	return st.Watermark.Before(edge.Add(j.set.RetentionWarning)), edge
}

// checkRetention sets retention_risk and logs an error when the watermark
// is at risk.
func (j *Job) checkRetention(st state.State, now time.Time) {
	atRisk, edge := j.retentionRisk(st, now)
	j.deps.Metrics.RetentionRisk(j.set.Tenant, j.set.Stream.Name, atRisk)
	if !atRisk {
		return
	}
	msg := "watermark is close to Graph's retention edge: records older than the edge are deleted by Entra and are lost unless the archiver catches up (check throttling, errors and schedule)"
	if st.Watermark.Before(edge) {
		msg = "watermark is past Graph's retention edge: records between the watermark and the edge may already be lost"
	}
	j.log.Error(msg, zap.Time("watermark", st.Watermark), zap.Time("retention_edge", edge),
		zap.Duration("retention_warning", j.set.RetentionWarning))
}

// Observe refreshes the job's gauges (watermark, lag, retention risk) from
// the stored state without archiving, and returns the stream's volume as
// last observed (records per day, 0 when not known): a replica whose tick
// finds the job running elsewhere keeps exporting current values, not stale
// ones.
func (j *Job) Observe(ctx context.Context) (float64, error) {
	st, _, found, err := j.deps.State.Load(ctx, j.set.Tenant, j.set.Stream.Name)
	if err != nil || !found || st.Start.IsZero() {
		return 0, err
	}
	atRisk, _ := j.retentionRisk(st, j.deps.Clock())
	j.deps.Metrics.Watermark(j.set.Tenant, j.set.Stream.Name, st.Watermark)
	j.deps.Metrics.RetentionRisk(j.set.Tenant, j.set.Stream.Name, atRisk)
	return st.RecordsPerDay, nil
}
