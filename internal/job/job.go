// Package job runs one tenant × stream: it plans query windows from the
// stored watermark and recheck marks, fetches records from the source, sorts
// them by event time, drops what the archive already holds (the archive is its
// own index: a partition's parts are read back and merge-joined with the new
// records), writes new parts create-only, commits state only after the blobs
// are durable, and seals partitions that are past their last recheck.
//
// The pieces: a Job holds the settings and collaborators and serialises its
// runs; a run (run.go) carries one run's state, result and progress through
// its passes and commits; a partition (partition.go) owns what one partition
// holds: writing a new part, deduplicating it against the stored ones,
// repairing missing formats and sealing; the planner (plan.go) sizes query
// windows; edge.go keeps every query inside Graph's minimum allowed time and
// records what could no longer be read as lost; quarantine.go keeps records
// that cannot be archived out of the way of the rest.
package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/state"
	build "github.com/entra-archiver/entra-archiver/internal/version"
)

// Settings is what a job archives and how (resolved from the config).
type Settings struct {
	Tenant    string // config name: used in blob paths, metrics and logs
	TenantID  string // the tenant GUID
	Stream    audit.Stream
	Formats   []string // jsonl, json, csv (at least one)
	Gzip      bool
	Partition audit.Granularity
	Settle    time.Duration
	Recheck   []time.Duration // increasing ages
	Start     Start
	// RetentionWarning: a watermark closer than this to the retention edge
	// is logged as an error every run.
	RetentionWarning time.Duration
	Filter           string // extra OData filter ANDed to the window filter
}

// Start is where a job without state begins: Graph's retention edge, an
// instant, or a duration back from now.
type Start struct {
	Retention bool
	At        time.Time
	Back      time.Duration
}

// Deps are the job's collaborators.
type Deps struct {
	Source  audit.Source
	Sink    archive.Sink
	Layout  layout.Layout
	State   state.Store
	Clock   func() time.Time
	Logger  *zap.Logger
	Metrics *metrics.Metrics
	// TempDir holds spill files and parts being encoded ("" = os.TempDir()).
	TempDir string
	// SortMemory bounds the bytes of records held in memory while sorting a
	// batch; beyond it sorted runs spill to TempDir. 0 = 64 MiB.
	SortMemory int
	// SortBudget, when set, is shared with the other jobs of the process
	// and replaces SortMemory.
	SortBudget *SortBudget
	// Version is written to every blob's archiver_version metadata
	// (default: this build's, version.String).
	Version string
}

// Result summarises a run.
type Result struct {
	Records    int // records in new parts
	Parts      int // parts written
	Blobs      int
	Bytes      int64
	Late       int
	Revisions  int
	Duplicates int
	Sealed     int
	// Unarchived counts records a backfill found for sealed partitions
	// that they do not hold (not written: sealed partitions never change).
	Unarchived int
	// Quarantined counts the records newly quarantined (no readable id or
	// time).
	Quarantined int
	// Lost is the event time this run found Graph no longer serves and
	// recorded as lost (never read).
	Lost      time.Duration
	Watermark time.Time
	// RecordsPerDay is the stream's volume as observed so far (records
	// Graph serves per day of event time), 0 when not known yet.
	RecordsPerDay float64
}

func (r *Result) add(o partOutcome) {
	r.Records += o.records
	r.Late += o.late
	r.Revisions += o.revisions
	r.Duplicates += o.duplicates
	r.Blobs += o.blobs
	r.Bytes += o.bytes
	r.Unarchived += o.unarchived
	if o.written {
		r.Parts++
	}
}

// Job archives one tenant × stream. A Job is safe for concurrent use, but its
// runs are serialised.
type Job struct {
	set     Settings
	deps    Deps
	log     *zap.Logger
	formats []string // configured formats in fidelity order
	plan    *planner
	mu      sync.Mutex
}

// Defaults for Deps.
const (
	defaultSortMemory = 64 << 20
	// Graph keeps 30 days of activity logs for P1/P2 tenants and 7 for Free.
	retentionPremium = 30 * 24 * time.Hour
	retentionFree    = 7 * 24 * time.Hour
)

// New returns a job. It panics on settings that config validation rejects.
func New(set Settings, deps Deps) *Job {
	if len(set.Formats) == 0 {
		panic("job: no formats")
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if deps.SortBudget == nil {
		deps.SortBudget = NewSortBudget(deps.SortMemory)
	}
	if deps.Version == "" {
		// Every blob names the build that wrote it; verify and export
		// refuse a blob without archiver_version.
		deps.Version = build.String()
	}
	var formats []string
	for _, f := range format.All {
		if slices.Contains(set.Formats, f) {
			formats = append(formats, f)
		}
	}
	return &Job{
		set:     set,
		deps:    deps,
		log:     deps.Logger.With(zap.String("tenant", set.Tenant), zap.String("stream", set.Stream.Name)),
		formats: formats,
		plan:    newPlanner(set.Partition),
	}
}

// Settings returns the job's settings.
func (j *Job) Settings() Settings { return j.set }

// Run catches the job up to now − settle: it first rechecks the spans that
// reached each recheck age, then archives [watermark, now − settle), then
// seals partitions past their last recheck. State moves only after the blobs
// it covers are durable, so a run interrupted at any instant loses nothing.
// Spans Graph no longer serves are recorded as lost and passed by.
func (j *Job) Run(ctx context.Context) (res Result, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	started := j.deps.Clock()
	var pr *runState
	defer func() {
		j.finishRun(ctx, pr, started, &res, err)
	}()
	pr, err = j.load(ctx, started)
	if err != nil {
		return res, err
	}
	r := j.newRun(pr, &res, progress.Discard)
	if err := r.catchUp(ctx, started); err != nil {
		return res, err
	}
	n, err := r.seal(ctx)
	res.Sealed = n
	if err != nil {
		return res, fmt.Errorf("seal: %w", err)
	}
	return res, nil
}

// ErrBackfillRange: a backfill range holds no whole partition that has
// settled.
var ErrBackfillRange = errors.New("backfill range holds no settled partition")

// ErrSealedUnarchived: a backfill found records for sealed partitions that
// they do not hold.
var ErrSealedUnarchived = errors.New("records not archived")

// Backfill archives [w.From, w.To) — widened to partition boundaries, and
// capped at the last partition boundary at or before now − settle and at
// Graph's minimum allowed time — into the usual layout, deduplicating
// against the parts already there. It never moves the watermark or the
// recheck marks, and it leaves sealed partitions alone. meter counts the
// partitions done.
func (j *Job) Backfill(ctx context.Context, w audit.Window, meter progress.Meter) (Result, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var res Result
	now := j.deps.Clock()
	span := audit.Window{From: j.set.Partition.Floor(w.From), To: j.set.Partition.Ceil(w.To)}
	limit := j.set.Partition.Floor(now.Add(-j.set.Settle))
	if span.To.After(limit) {
		j.log.Warn("backfill range ends after the last settled partition; stopping there (the scheduled runs archive the rest)",
			zap.Stringer("requested", w), zap.Time("until", limit))
		span.To = limit
	}
	r := j.newRun(nil, &res, meter)
	span.From = r.clampBackfill(span.From)
	if span.Empty() {
		return res, fmt.Errorf("%w: %s holds no partition between Graph's minimum allowed time (%s) and the end of the last %s partition that has settled (%s, now - settle %s)",
			ErrBackfillRange, w, audit.FormatTime(r.readable()), j.set.Partition, audit.FormatTime(limit), j.set.Settle)
	}
	j.log.Info("backfill", zap.Stringer("window", span))
	st, version, found, err := j.deps.State.Load(ctx, j.set.Tenant, j.set.Stream.Name)
	if err != nil {
		return res, err
	}
	if err := j.checkPartition(ctx, st); err != nil {
		return res, err
	}
	// A backfill before the job's start extends the archive back: it runs
	// up to the start (no gap), and when those partitions are past every
	// recheck age they are sealed and the start moves, so they join the
	// chain and the coverage check.
	extend := found && !st.Start.IsZero() && span.From.Before(st.Start)
	if extend && span.To.Before(st.Start) {
		j.log.Info("backfill before the job's start runs up to it, so the archive stays contiguous", zap.Time("job_start", st.Start))
		span.To = st.Start
	}
	if extend && st.Start.After(now.Add(-j.lastRecheck())) {
		extend = false
		j.log.Warn("backfill reaches before the job's start, into partitions younger than the last recheck age: they stay outside "+
			"the manifest chain, so they are never sealed and verify cannot tell if one is deleted (backfill them again once older)",
			zap.Time("job_start", st.Start), zap.Stringer("window", span))
	}
	meter.SetTotal(len(j.set.Partition.Partitions(span)))
	err = r.backfill(ctx, span)
	if err == nil && extend {
		err = j.extendBack(ctx, &runState{st: st, version: version}, span.From)
	}
	if err == nil && res.Unarchived > 0 {
		err = fmt.Errorf("%w: Graph serves %d records for sealed partitions of %s that they do not hold (they arrived after the last recheck); "+
			"sealed partitions never change, so they were not archived (the log names the partitions; lengthen recheck to catch such arrivals)",
			ErrSealedUnarchived, res.Unarchived, span)
	}
	return res, err
}

// finishRun records the outcome: metrics, the retention check, a summary log
// line and the last run in the state document.
func (j *Job) finishRun(ctx context.Context, pr *runState, started time.Time, res *Result, runErr error) {
	finished := j.deps.Clock()
	result := metrics.ResultOK
	switch {
	case runErr != nil && ctx.Err() != nil:
		// Stopped by a shutdown or a reload, not failed: nothing past the
		// last commit counts, and the next run resumes there.
		result = metrics.ResultCanceled
	case runErr != nil:
		result = metrics.ResultFailed
	}
	j.deps.Metrics.Run(j.set.Tenant, j.set.Stream.Name, result, finished.Sub(started))
	if pr == nil {
		if result == metrics.ResultCanceled {
			j.log.Warn("run canceled before it started", zap.Error(runErr))
			return
		}
		j.log.Error("run failed", zap.Error(runErr))
		j.recordFailedStart(ctx, started, finished, runErr)
		return
	}
	res.Watermark = pr.st.Watermark
	if v := j.plan.volume(); v > 0 {
		pr.st.RecordsPerDay = v
	}
	res.RecordsPerDay = pr.st.RecordsPerDay
	j.deps.Metrics.Watermark(j.set.Tenant, j.set.Stream.Name, pr.st.Watermark)
	j.checkRetention(pr.st, finished)

	run := &state.Run{Started: started.UTC(), Finished: finished.UTC(), Result: result, Records: int64(res.Records)}
	fields := []zap.Field{zap.Time("watermark", pr.st.Watermark), zap.Int("records", res.Records),
		zap.Int("parts", res.Parts), zap.Int("late", res.Late), zap.Int("revisions", res.Revisions),
		zap.Int("duplicates", res.Duplicates), zap.Int("sealed", res.Sealed), zap.Duration("duration", finished.Sub(started))}
	if res.Quarantined > 0 {
		fields = append(fields, zap.Int("quarantined", res.Quarantined))
	}
	if res.Lost > 0 {
		fields = append(fields, zap.Duration("lost", res.Lost))
	}
	switch result {
	case metrics.ResultCanceled:
		run.Error = runErr.Error()
		j.log.Warn("run canceled (shutdown or reload); the next run resumes from the last commit", append(fields, zap.Error(runErr))...)
	case metrics.ResultFailed:
		run.Error = runErr.Error()
		j.log.Error("run failed", append(fields, zap.Error(runErr))...)
	default:
		j.log.Info("run finished", fields...)
	}
	if errors.Is(runErr, archive.ErrConflict) {
		return // someone else owns the state now
	}
	pr.st.LastRun = run
	if result == metrics.ResultOK {
		pr.st.LastOK = run.Finished
	}
	// Record the outcome even when the run was cancelled.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := j.save(saveCtx, pr); err != nil {
		j.log.Warn("could not record the last run in the state", zap.Error(err))
	}
}

// recordFailedStart keeps the outcome of a run that failed before the job
// could start (no state yet: a refused credential, a Free tenant's sign-ins),
// so status shows the error and not just "never run". The document holds no
// start and is replaced by the first run that gets going.
func (j *Job) recordFailedStart(ctx context.Context, started, finished time.Time, runErr error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	st, version, found, err := j.deps.State.Load(ctx, j.set.Tenant, j.set.Stream.Name)
	if err != nil || (found && !st.Start.IsZero()) {
		return
	}
	st = state.State{LastRun: &state.Run{Started: started.UTC(), Finished: finished.UTC(), Result: metrics.ResultFailed, Error: runErr.Error()}}
	if _, err := j.deps.State.Save(ctx, j.set.Tenant, j.set.Stream.Name, st, version); err != nil {
		j.log.Warn("could not record the failed run in the state", zap.Error(err))
	}
}

// runState is the state being advanced by a run, with its stored version.
type runState struct {
	st      state.State
	version string
}

func (j *Job) save(ctx context.Context, pr *runState) error {
	v, err := j.deps.State.Save(ctx, j.set.Tenant, j.set.Stream.Name, pr.st, pr.version)
	if err != nil {
		if errors.Is(err, archive.ErrConflict) {
			return fmt.Errorf("state of %s/%s changed concurrently (is another process running this job?): %w", j.set.Tenant, j.set.Stream.Name, err)
		}
		return err
	}
	pr.version = v
	return nil
}

func markKey(age time.Duration) string { return age.String() }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
