// Package status answers "is the archive keeping up?" for every tenant ×
// stream job: watermark, lag, last run, retention risk, known losses (spans
// Graph no longer served), quarantined records, the tenant's Graph budget
// need, and which of the last days are covered. The facts come only from
// storage (job state documents and listings of the day folders) and the
// configuration, so the command line, the daemon's page and a second replica
// all see the same answer. Collect gathers a Report; WriteText
// renders it for a terminal and Handler serves it as an HTML page.
package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/capacity"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// DefaultDays is how many days of coverage a report shows (today included):
// Entra keeps 30 days, so 35 show the whole window Graph still serves plus
// the first days the archive alone holds.
const DefaultDays = 35

// defaultConcurrency bounds the listings in flight.
const defaultConcurrency = 8

// defaultRetention is assumed for a state that does not record one: what
// Graph keeps for Entra ID P1/P2 tenants, as the job assumes.
const defaultRetention = 30 * 24 * time.Hour

// Job is one configured tenant × stream, as far as status needs it.
type Job struct {
	Tenant           string
	Stream           string
	Partition        audit.Granularity
	RetentionWarning time.Duration
	Schedule         string
	// Rechecks is the number of recheck ages, RateLimit the tenant's
	// rate_limit and BudgetGroup the Graph budget it draws on
	// (capacity.GroupKey of its Graph endpoint, tenant_id and client_id:
	// tenants that are one directory read by one app share it). With the
	// volume each job observed they give the tenant's budget need; a zero
	// RateLimit leaves it unknown.
	Rechecks    int
	RateLimit   capacity.Rate
	BudgetGroup string
	// Unlisted: found in storage, not in the configuration, so not run.
	Unlisted bool
}

// Options are what Collect reads and how.
type Options struct {
	Sink   archive.Sink
	Layout layout.Layout
	State  state.Store
	Jobs   []Job
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Days of coverage, today included; 0 = DefaultDays.
	Days int
	// Concurrency bounds the state reads and listings in flight; 0 = 8.
	Concurrency int
	// Unlisted describes a stream found in storage that Jobs does not list
	// (removed from the configuration, or only backfilled) as the
	// configuration would run it: its partition (when its state does not
	// record one) and retention warning. nil: hour partitions, no warning.
	Unlisted func(tenant, stream string) Job
}

// Report is the status of every job at Generated (to the second). Rows and
// Coverage follow the order of Options.Jobs, with each stream found in
// storage that it does not list after its tenant's jobs (Row.Configured
// false), and those of tenants it does not name at the end.
type Report struct {
	Generated time.Time        `json:"generated"`
	Rows      []Row            `json:"rows"`
	Coverage  []StreamCoverage `json:"coverage"`
	// Error says why the streams in storage could not be listed: then
	// only the configured ones are shown.
	Error string `json:"error,omitempty"`
}

// Row is the status of one job.
type Row struct {
	Tenant    string `json:"tenant"`
	Stream    string `json:"stream"`
	Schedule  string `json:"schedule"`
	Partition string `json:"partition"` // hour | day
	// Configured is false for a stream found in storage (its folder or
	// state) that the configuration does not list: it is not archived any
	// more, but its archive is there.
	Configured bool `json:"configured"`
	// NeverRun: no state yet; the job starts on its first run.
	NeverRun bool `json:"never_run"`
	// Start is where the job's archive begins.
	Start time.Time `json:"start,omitzero"`
	// Watermark: every record before it has been looked for at least once.
	Watermark time.Time `json:"watermark,omitzero"`
	// Lag is Generated − Watermark; nil (null) before the job started,
	// when there is no watermark to lag.
	Lag *Seconds `json:"lag_seconds"`
	// Retention is how far back Graph serves this tenant's logs.
	Retention Seconds `json:"retention_seconds"`
	// RetentionEdge is Generated − Retention: Entra has deleted what is
	// older. RetentionRisk: the watermark is within the job's retention
	// warning of that edge (or past it), so records are about to be lost.
	RetentionEdge time.Time `json:"retention_edge,omitzero"`
	RetentionRisk bool      `json:"retention_risk"`
	// SealedThrough: every partition ending at or before it is sealed.
	SealedThrough time.Time `json:"sealed_through,omitzero"`
	// ChainHead is the head of the stream's manifest chain (absent before
	// the first seal).
	ChainHead *ChainHead `json:"chain_head,omitempty"`
	LastRun   *Run       `json:"last_run,omitempty"`
	// LastOK is when the last run that ended ok finished. NeverSucceeded:
	// no run has ended ok (none ran, or every one failed or was stopped),
	// so the job is not known to work at all.
	LastOK         time.Time `json:"last_ok,omitzero"`
	NeverSucceeded bool      `json:"never_succeeded"`
	// Lost lists the spans the job could not read because Graph no longer
	// served them, oldest first: known losses, not gaps. LostSeconds is the
	// length of the never-read ones (those missed by one recheck pass only
	// were archived before).
	Lost        []LostSpan `json:"lost"`
	LostSeconds Seconds    `json:"lost_seconds"`
	// Quarantined counts the records Graph served without a readable id or
	// event time, kept in QuarantineDir instead of the archive.
	Quarantined   int64  `json:"quarantined"`
	QuarantineDir string `json:"quarantine_dir,omitempty"`
	// RecordsPerDay is the stream's volume as the job last observed it.
	RecordsPerDay float64 `json:"records_per_day"`
	// BudgetNeedRatio is the tenant's Graph budget need: the requests a day
	// its budget group's jobs need over what its rate_limit allows
	// (package capacity); from capacity.Warn (0.8) on it is about to fall
	// behind. 0 when it cannot be computed.
	BudgetNeedRatio float64 `json:"budget_need_ratio"`
	// Error says why this row's facts could not be read (storage), not why
	// the job failed (that is LastRun.Error).
	Error string `json:"error,omitempty"`
}

// ChainHead is the newest manifest of a stream, which names the one before
// it with its SHA-256, and so on back to the first: recorded somewhere the
// archive's writers cannot reach (a ticket, a mail, another account), it
// lets "verify --heads" prove later that the chain up to it was not
// rewritten.
type ChainHead struct {
	// Manifest is the stream-relative name, as manifests name each other
	// (y=2026/m=11/d=27/h=03/interactive-signins_20261127T03Z_manifest.json).
	Manifest string `json:"manifest"`
	// SHA256 is the hex SHA-256 of the manifest's stored bytes.
	SHA256 string `json:"sha256"`
	// SealedThrough: the manifest seals the partition that ends here.
	SealedThrough time.Time `json:"sealed_through"`
}

// Run is the outcome of a job's most recent run.
type Run struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Result   string    `json:"result"` // ok | failed | canceled
	Error    string    `json:"error,omitempty"`
	Records  int64     `json:"records"`
}

// LostSpan is a span of event time [From, To) that Graph no longer served
// when the job got there.
type LostSpan struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Recheck is the recheck age (a Go duration, "72h0m0s") whose pass missed
	// the span, which was archived before; "" when the span was never read
	// and the archive holds nothing of it.
	Recheck string `json:"recheck"`
	Reason  string `json:"reason"`
}

// Never reports whether the span was never read at all.
func (l LostSpan) Never() bool { return l.Recheck == "" }

// BudgetNeedHigh reports whether the row's tenant needs capacity.Warn (80 %)
// or more of its Graph budget.
func (r Row) BudgetNeedHigh() bool { return r.BudgetNeedRatio >= capacity.Warn }

// KnownLoss reports whether the job has lost spans of any kind.
func (r Row) KnownLoss() bool { return len(r.Lost) > 0 }

// resultOK is the result of a run that ended ok (metrics.ResultOK).
const resultOK = "ok"

// Failed reports whether the run failed.
func (r *Run) Failed() bool { return r != nil && r.Result == "failed" }

// StreamCoverage is one job's coverage of the report's days, oldest first.
type StreamCoverage struct {
	Tenant string `json:"tenant"`
	Stream string `json:"stream"`
	Days   []Day  `json:"days"`
}

// Day is one UTC day of a stream.
type Day struct {
	Date time.Time `json:"date"` // 00:00 UTC
	// Records archived with event time on this day: the records metadata of
	// each part, read from its most faithful format (jsonl > json > csv).
	Records int64    `json:"records"`
	State   DayState `json:"state"`
}

// DayState says how much of a day the archive provably holds.
type DayState string

const (
	// Complete: every partition of the day between the job's start and its
	// watermark has a p000.
	Complete DayState = "complete"
	// Partial: the day holds the watermark; the rest is yet to come.
	Partial DayState = "partial"
	// Gap: some partition below the watermark lacks its p000.
	Gap DayState = "gap"
	// None: the day is before the job's start or after its watermark.
	None DayState = "none"
	// Lost: some partitions of the day lie in a span the job never read
	// because Graph no longer served it (a known loss: they have no p000 by
	// design), and every other partition of the day between the job's start
	// and its watermark has its p000. A day that is partly lost is Lost, not
	// Complete, since the archive does not hold all of it; a partition
	// missing its p000 outside a lost span still makes the day a Gap.
	Lost DayState = "lost"
	// Unknown: the state or the day folder could not be read.
	Unknown DayState = "unknown"
)

// Symbol is the day's one-character mark on a terminal.
func (s DayState) Symbol() string {
	switch s {
	case Complete:
		return "#"
	case Partial:
		return "+"
	case Gap:
		return "!"
	case None:
		return "."
	case Lost:
		return "x"
	}
	return "?"
}

// Seconds is a duration that marshals to JSON as whole seconds.
type Seconds time.Duration

func (s Seconds) MarshalJSON() ([]byte, error) {
	return json.Marshal(int64(time.Duration(s) / time.Second))
}

func (s *Seconds) UnmarshalJSON(b []byte) error {
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = Seconds(time.Duration(n) * time.Second)
	return nil
}

// ErrOptions: Collect was called without a sink or a state store.
var ErrOptions = errors.New("status: Options need a Sink and a State store")

// Collect reads every job's state and lists its day folders of the last
// Days days. A job whose state or folders cannot be read gets a row with
// Error set; the report as a whole fails only when ctx ends.
func Collect(ctx context.Context, o Options) (Report, error) {
	if o.Sink == nil || o.State == nil {
		return Report{}, ErrOptions
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Days <= 0 {
		o.Days = DefaultDays
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	now := o.Now().UTC().Truncate(time.Second)
	c := &collector{o: o, now: now, sem: make(chan struct{}, o.Concurrency)}
	rep := Report{Generated: now}
	found, err := c.found(ctx)
	if err != nil {
		rep.Error = readError("list the streams in storage", err)
	}
	jobs := withFound(o.Jobs, found)
	rep.Rows, rep.Coverage = make([]Row, len(jobs)), make([]StreamCoverage, len(jobs))
	c.collect(ctx, jobs, &rep)
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	budgetNeed(jobs, rep.Rows)
	return rep, nil
}

// row builds a job's row from its state (found false: never run). Every
// time is in UTC, whatever offset the state document wrote (DESIGN.md "UTC
// everywhere").
func row(j Job, st state.State, found bool, now time.Time) Row {
	r := emptyRow(j)
	if found {
		for _, l := range st.Lost {
			r.Lost = append(r.Lost, LostSpan{From: l.From.UTC(), To: l.To.UTC(), Recheck: l.Recheck, Reason: l.Reason})
		}
		r.LostSeconds = Seconds(time.Duration(st.LostSeconds() * float64(time.Second)))
		r.Quarantined, r.RecordsPerDay = st.Quarantined, st.RecordsPerDay
	}
	if found && st.LastRun != nil {
		lr := st.LastRun
		r.LastRun = &Run{Started: lr.Started.UTC(), Finished: lr.Finished.UTC(), Result: lr.Result, Error: lr.Error, Records: lr.Records}
	}
	if found {
		r.LastOK = st.LastOK.UTC()
	}
	if r.LastOK.IsZero() && r.LastRun != nil && r.LastRun.Result == resultOK {
		r.LastOK = r.LastRun.Finished // a document written before last_ok was recorded
	}
	r.NeverSucceeded = r.LastOK.IsZero()
	if !found || st.Start.IsZero() {
		// No progress yet; a first run that failed before it could start
		// (a Free tenant's sign-ins, a refused credential) still shows its
		// last run and error.
		r.NeverRun = r.LastRun == nil
		return r
	}
	r.Start, r.Watermark, r.SealedThrough = st.Start.UTC(), st.Watermark.UTC(), st.SealedThrough.UTC()
	if st.LastManifest != "" {
		r.ChainHead = &ChainHead{Manifest: st.LastManifest, SHA256: st.LastManifestSHA256, SealedThrough: r.SealedThrough}
	}
	lag := Seconds(now.Sub(st.Watermark).Truncate(time.Second))
	r.Lag = &lag
	retention := time.Duration(st.Retention)
	if retention <= 0 {
		retention = defaultRetention
	}
	r.Retention = Seconds(retention)
	r.RetentionEdge = now.Add(-retention)
	r.RetentionRisk = st.Watermark.Before(r.RetentionEdge.Add(j.RetentionWarning))
	return r
}

// emptyRow is a job's row before its state is read.
func emptyRow(j Job) Row {
	return Row{Tenant: j.Tenant, Stream: j.Stream, Schedule: j.Schedule, Partition: j.Partition.String(),
		Configured: !j.Unlisted, Lost: []LostSpan{}}
}

// budgetNeed sets each row's BudgetNeedRatio from the jobs' configured
// budgets and the volume their rows report. A row whose state could not be
// read adds its runs but no volume, so its tenant's need is a lower bound.
// Unlisted jobs are not run and need nothing.
func budgetNeed(jobs []Job, rows []Row) {
	var cj []capacity.Job
	for i, j := range jobs {
		if !j.Unlisted {
			cj = append(cj, capacity.Job{Tenant: j.Tenant, Group: j.BudgetGroup, Rate: j.RateLimit, Schedule: j.Schedule,
				Rechecks: j.Rechecks, RecordsPerDay: rows[i].RecordsPerDay})
		}
	}
	// A tenant without a budget or schedule gets none; the others still do.
	ratios, _ := capacity.Ratios(cj)
	for i := range rows {
		if !jobs[i].Unlisted {
			rows[i].BudgetNeedRatio = ratios[rows[i].Tenant]
		}
	}
}

// readError is the text of a storage error in a row.
func readError(what string, err error) string {
	return fmt.Sprintf("%s: %v", what, err)
}
