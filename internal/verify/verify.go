// Package verify re-reads an archive and checks it against what it claims
// about itself: every data blob against its metadata (sha256 of the stored
// bytes, record count, partition, part, format, stream, tenant) and its name,
// every record against its partition and the (time, id) order, every part
// against its sibling formats, every partition for gaps in its part numbers
// and for records stored twice, the coverage of every partition below the
// watermark by a p000, and the manifests against the blobs they seal and
// against each other (the hash chain), the state's head of the chain and
// heads recorded elsewhere earlier (heads.go).
//
// Run reports what it finds as Faults, each naming a blob; an error from Run
// means the check itself could not be completed (storage unreachable,
// cancelled), not that the archive is damaged.
//
// Data blobs are streamed: a partition's parts are read once each, the most
// faithful format of every part together in a k-way merge on (time, id), so
// duplicates are found in constant memory. What is kept per partition for the
// coverage and chain checks after the listing is a few hundred bytes.
package verify

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Job is one tenant × stream to verify, as configured.
type Job struct {
	Tenant    string // config name, as in blob paths
	TenantID  string // the GUID every blob's tenant_id metadata must hold
	Stream    audit.Stream
	Partition audit.Granularity
	// Formats and Gzip are the configured output; they name the p000 a
	// partition without parts should have.
	Formats []string
	Gzip    bool
}

// Options say what to verify.
type Options struct {
	Sink   archive.Sink
	Layout layout.Layout
	// State holds the jobs' watermarks and seal points (nil: check the blobs
	// only, without coverage and manifest chain).
	State state.Store
	Jobs  []Job
	// From and To limit the check to partitions overlapping [From, To); a
	// zero time leaves that side open.
	From, To time.Time
	// Heads are chain heads recorded earlier, kept where the archive's
	// writers cannot reach (see ParseHeads): each must still be in its
	// stream's chain. Heads of jobs not in Jobs are not checked.
	Heads []Head
	// Progress counts partitions and stored bytes read (nil: none).
	Progress progress.Meter
}

// Fault is one problem found, with the blob it concerns (for a missing blob,
// the name it should have).
type Fault struct {
	Blob    string
	Problem string
}

func (f Fault) String() string { return f.Blob + ": " + f.Problem }

// Report is the outcome of Run.
type Report struct {
	Faults []Fault
	// Jobs holds each job's known losses and quarantined records, in the
	// order of Options.Jobs: information, not faults.
	Jobs       []JobInfo
	Partitions int   // partitions read
	Blobs      int   // data blobs, manifests and quarantined records read
	Records    int64 // records, counted once per part (most faithful format)
	Bytes      int64 // stored bytes read
	Heads      int   // recorded chain heads checked
}

// Run verifies the jobs' archives. It returns the faults found; an error
// means the verification could not be completed, and the report holds what
// was found until then.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Progress == nil {
		o.Progress = progress.Discard
	}
	var rep Report
	runs := make([]*jobRun, 0, len(o.Jobs))
	total := 0
	for _, j := range o.Jobs {
		r := newJobRun(o, j, &rep)
		runs = append(runs, r)
		if o.State == nil {
			continue
		}
		st, _, found, err := o.State.Load(ctx, j.Tenant, j.Stream.Name)
		if err != nil {
			return rep, fmt.Errorf("%s/%s: %w", j.Tenant, j.Stream.Name, err)
		}
		r.stateFound = found
		r.lost, r.stateQuarantined = st.Lost, st.Quarantined
		g, known, err := r.stream.Granularity(ctx, &st, j.Partition)
		if err != nil {
			return rep, fmt.Errorf("%s/%s: %w", j.Tenant, j.Stream.Name, err)
		}
		switch {
		case found && known && g != j.Partition:
			r.fault(o.Layout.StateName(j.Tenant, j.Stream.Name),
				"the job archives in %s partitions but the configuration says %s: coverage and the chain are not checked (set partition: %s back)",
				g, j.Partition, g)
		case found:
			r.st = &st
			total += len(j.Partition.Partitions(r.clamp(audit.Window{From: st.Start, To: st.Watermark})))
		}
	}
	if total > 0 {
		o.Progress.SetTotal(total)
	}
	for _, r := range runs {
		if err := r.run(ctx); err != nil {
			return rep, fmt.Errorf("%s/%s: %w", r.job.Tenant, r.job.Stream.Name, err)
		}
	}
	return rep, nil
}

// jobRun verifies one job.
type jobRun struct {
	o   Options
	job Job
	rep *Report
	st  *state.State // nil when the job has no state (never ran)
	// inferred: st was pieced together from the archive (see inferState).
	inferred   bool
	stateFound bool // the job has a state document (st may still be nil)
	stream     read.Stream
	dir        string // the stream folder
	// withParts holds, for every partition (of the job's granularity) that
	// has at least one part, its highest part number + 1, for the coverage
	// checks.
	withParts map[time.Time]int
	// seals holds the manifests of the job's granularity by partition start,
	// and lostSeals the reason of those that seal a partition as lost.
	seals     map[time.Time]sealInfo
	lostSeals map[time.Time]string
	// lost and stateQuarantined are the state's lost spans and count of
	// quarantined records; quarantined counts those found in quarantineDir.
	lost             []state.LostSpan
	stateQuarantined int64
	quarantined      int
	quarantineDir    string
	faults           []Fault
}

func newJobRun(o Options, j Job, rep *Report) *jobRun {
	s := read.Stream{Sink: o.Sink, Layout: o.Layout, Tenant: j.Tenant, Stream: j.Stream, TenantID: j.TenantID, Progress: o.Progress}
	return &jobRun{
		o: o, job: j, rep: rep, stream: s,
		dir:       s.Dir(),
		withParts: map[time.Time]int{},
		seals:     map[time.Time]sealInfo{},
		lostSeals: map[time.Time]string{},
	}
}

func (r *jobRun) fault(blob, format string, args ...any) {
	r.faults = append(r.faults, Fault{Blob: blob, Problem: fmt.Sprintf(format, args...)})
}

// clamp limits w to the requested range.
func (r *jobRun) clamp(w audit.Window) audit.Window {
	if !r.o.From.IsZero() && r.o.From.After(w.From) {
		w.From = r.o.From
	}
	if !r.o.To.IsZero() && r.o.To.Before(w.To) {
		w.To = r.o.To
	}
	return w
}

// inRange reports whether p overlaps the requested range.
func (r *jobRun) inRange(p audit.Partition) bool {
	return (r.o.To.IsZero() || p.Start.Before(r.o.To)) && (r.o.From.IsZero() || p.End().After(r.o.From))
}

// rel is a blob name relative to the stream folder, as manifests and the
// state name manifests.
func (r *jobRun) rel(name string) string { return strings.TrimPrefix(name, r.dir) }

func (r *jobRun) run(ctx context.Context) error {
	defer func() {
		slices.SortStableFunc(r.faults, func(a, b Fault) int { return cmp.Compare(a.Blob, b.Blob) })
		r.rep.Faults = append(r.rep.Faults, r.faults...)
		r.rep.Jobs = append(r.rep.Jobs, r.info())
	}()
	err := r.stream.Walk(ctx, r.dir, func(p *read.Partition) error {
		if !r.inRange(p.Partition) {
			return nil
		}
		return r.check(ctx, p)
	}, func(o archive.Object, problem string) { r.fault(o.Name, "%s", problem) })
	if err != nil {
		return err
	}
	if err := r.checkQuarantine(ctx); err != nil {
		return err
	}
	if r.st != nil || r.inferState() {
		r.checkCoverage()
		r.checkLostSeals()
		if err := r.checkChain(ctx); err != nil {
			return err
		}
	}
	return r.checkHeads(ctx)
}

// inferState stands in for the state document of a job that has none but
// whose archive holds manifests: only a run that had a state seals, so the
// document was lost. That is a fault (the watermark and the head of the
// chain are gone), and the archive is then checked against itself: no
// partition missing between the oldest and the newest found, and the chain
// linked from the oldest manifest on. A job without state or manifests
// (never run, or only backfilled) gets the per-blob checks alone.
func (r *jobRun) inferState() bool {
	if len(r.seals) == 0 || r.o.State == nil || r.stateFound {
		return false
	}
	g := r.job.Partition
	st := &state.State{}
	for start := range r.withParts {
		if st.Start.IsZero() || start.Before(st.Start) {
			st.Start = start
		}
		st.Watermark = maxTime(st.Watermark, start.Add(g.Size()))
	}
	for start := range r.seals {
		if st.Start.IsZero() || start.Before(st.Start) {
			st.Start = start
		}
		st.SealedThrough = maxTime(st.SealedThrough, start.Add(g.Size()))
	}
	st.Watermark = maxTime(st.Watermark, st.SealedThrough)
	r.fault(r.o.Layout.StateName(r.job.Tenant, r.job.Stream.Name),
		"missing: the archive holds sealed partitions of %s/%s up to %s but the job has no state document, so its watermark and the head of its manifest chain are lost; "+
			"checked the archive against itself from %s to %s (restore the state from a backup; a new run would start the job again from its start)",
		r.job.Tenant, r.job.Stream.Name, audit.FormatTime(st.SealedThrough), audit.FormatTime(st.Start), audit.FormatTime(st.Watermark))
	r.st, r.inferred = st, true
	return true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
