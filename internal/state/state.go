// Package state keeps each job's progress (watermark, recheck marks, seal
// point, last run) as a small JSON document with optimistic concurrency. The
// document lives in the archive's own storage or a second container of its
// account ("storage", the latter so that the archive container can be
// immutable), or in a local folder ("file"); all go through archive.Sink's
// document methods.
package state

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// CurrentVersion is the schema version of State written by this build.
const CurrentVersion = 1

// State is the progress of one tenant × stream job. All times are UTC.
type State struct {
	Version int    `json:"version"`
	Tenant  string `json:"tenant"`
	Stream  string `json:"stream"`
	// Start is where this job's archive begins (partition-aligned); the
	// manifest chain starts here.
	Start time.Time `json:"start"`
	// Partition is the granularity ("hour" or "day") the job archives in:
	// a stream keeps one, since its parts deduplicate only against their
	// own partition's (empty in documents written before it was recorded).
	Partition string `json:"partition,omitempty"`
	// Retention is how far back Graph serves this tenant's logs (30 days,
	// 7 for a Free tenant), as detected at the first run.
	Retention Duration `json:"retention"`
	// Watermark: every record with event time before it has been looked for
	// at least once, and every partition that starts before it has a p000.
	Watermark time.Time `json:"watermark"`
	// Recheck holds one mark per recheck age (key: the age, e.g. "2h0m0s"):
	// event time before the mark has been looked for again at that age.
	Recheck map[string]time.Time `json:"recheck,omitempty"`
	// SealedThrough: every partition that ends at or before it is sealed by a
	// manifest. LastManifest names the newest manifest and LastManifestSHA256
	// is its hash, the head of the stream's chain.
	SealedThrough      time.Time `json:"sealed_through"`
	LastManifest       string    `json:"last_manifest,omitempty"`
	LastManifestSHA256 string    `json:"last_manifest_sha256,omitempty"`
	// Junctions link the manifest chain across a backfill that extended
	// the archive back before Start after Start's manifest was written:
	// that manifest names no previous one, so the link to the newest
	// backfilled manifest is kept here.
	Junctions []Junction `json:"junctions,omitempty"`
	// Parts counts the parts of each partition that is not sealed yet (key:
	// the partition start, RFC 3339), as of the last commit, so verify can
	// tell that the newest part of an unsealed partition went missing. It
	// holds only the partitions between SealedThrough and the watermark
	// (about 25 with hourly partitions and the default recheck ages).
	Parts map[string]int `json:"parts,omitempty"`
	// Lost lists the spans of event time the job could not read, oldest
	// first: Graph no longer served them when the job got there (an outage
	// longer than Graph keeps logs, a configured start before Graph's
	// minimum allowed time). A span never read (Recheck "") has no p000 in
	// its partitions and is sealed by "lost" manifests; a span only missed
	// by the recheck at one age (Recheck: that age) was archived before.
	Lost []LostSpan `json:"lost,omitempty"`
	// Quarantined counts the records Graph served without a readable id or
	// event time, kept under {prefix}_quarantine/ instead of being archived.
	Quarantined int64 `json:"quarantined,omitempty"`
	// RecordsPerDay is the stream's volume as last observed (records Graph
	// served per day of event time), for the tenant's budget need.
	RecordsPerDay float64 `json:"records_per_day,omitempty"`
	// LastRun describes the most recent run, for status.
	LastRun *Run `json:"last_run,omitempty"`
	// LastOK is when the last run that ended ok finished, so status can
	// tell a job that fails now from one that never worked (absent in
	// documents written before it was recorded).
	LastOK time.Time `json:"last_ok,omitzero"`
}

// MarshalJSON writes every time in UTC (DESIGN.md "UTC everywhere"),
// whatever zone the clock that made it was in.
func (s State) MarshalJSON() ([]byte, error) {
	type plain State // without this method
	u := plain(s)
	u.Start, u.Watermark, u.SealedThrough, u.LastOK = u.Start.UTC(), u.Watermark.UTC(), u.SealedThrough.UTC(), u.LastOK.UTC()
	if u.Recheck != nil {
		u.Recheck = make(map[string]time.Time, len(s.Recheck))
		for k, t := range s.Recheck {
			u.Recheck[k] = t.UTC()
		}
	}
	u.Junctions = slices.Clone(s.Junctions)
	for i := range u.Junctions {
		u.Junctions[i].At = u.Junctions[i].At.UTC()
	}
	u.Lost = slices.Clone(s.Lost)
	for i := range u.Lost {
		l := &u.Lost[i]
		l.From, l.To, l.Noted = l.From.UTC(), l.To.UTC(), l.Noted.UTC()
	}
	if s.LastRun != nil {
		r := *s.LastRun
		r.Started, r.Finished = r.Started.UTC(), r.Finished.UTC()
		u.LastRun = &r
	}
	return json.Marshal(u)
}

// Junction is a chain link kept in the state: the manifest of the
// partition starting At names no previous one, and Previous (with its
// SHA-256) is the manifest before it.
type Junction struct {
	At             time.Time `json:"at"`
	Previous       string    `json:"previous"`
	PreviousSHA256 string    `json:"previous_sha256"`
}

// JunctionAt returns the junction at the partition starting at t.
func (s *State) JunctionAt(t time.Time) (Junction, bool) {
	for _, j := range s.Junctions {
		if j.At.Equal(t) {
			return j, true
		}
	}
	return Junction{}, false
}

// partsKey is the key of the partition starting at start in State.Parts.
func partsKey(start time.Time) string { return start.UTC().Format(time.RFC3339) }

// NoteParts records that the partition starting at start holds n parts
// (a count only grows).
func (s *State) NoteParts(start time.Time, n int) {
	k := partsKey(start)
	if n <= s.Parts[k] {
		return
	}
	if s.Parts == nil {
		s.Parts = map[string]int{}
	}
	s.Parts[k] = n
}

// PartsOf returns the number of parts recorded for the partition starting at
// start (0 when none is recorded).
func (s *State) PartsOf(start time.Time) int { return s.Parts[partsKey(start)] }

// PartCounts returns Parts keyed by partition start.
func (s *State) PartCounts() map[time.Time]int {
	m := make(map[time.Time]int, len(s.Parts))
	for k, n := range s.Parts {
		if at, err := time.Parse(time.RFC3339, k); err == nil {
			m[at] = n
		}
	}
	return m
}

// ForgetParts drops the counts of the partitions that start before t: once
// sealed, their manifests list their parts.
func (s *State) ForgetParts(t time.Time) {
	for k := range s.Parts {
		if at, err := time.Parse(time.RFC3339, k); err != nil || at.Before(t) {
			delete(s.Parts, k)
		}
	}
	if len(s.Parts) == 0 {
		s.Parts = nil
	}
}

// LostSpan is a span of event time [From, To) that could not be read.
type LostSpan struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Recheck is the recheck age (as in State.Recheck's keys) whose pass
	// missed the span; "" when the span was never read at all.
	Recheck string `json:"recheck,omitempty"`
	// Reason says why, for status and verify.
	Reason string `json:"reason"`
	// Noted is when the job found out.
	Noted time.Time `json:"noted"`
}

// Never reports whether the span was never read (not just not rechecked).
func (l LostSpan) Never() bool { return l.Recheck == "" }

// What says in words what was lost: the span was never read, or a recheck
// missed it after the span was archived.
func (l LostSpan) What() string {
	if l.Never() {
		return "never read"
	}
	return "missed by the " + l.Recheck + " recheck (archived before)"
}

// NoteLost records a lost span, merging it with an adjacent or overlapping
// one of the same kind and reason.
func (s *State) NoteLost(l LostSpan) {
	if !l.From.Before(l.To) {
		return
	}
	for i := range s.Lost {
		o := &s.Lost[i]
		if o.Recheck == l.Recheck && o.Reason == l.Reason && !l.From.After(o.To) && !o.From.After(l.To) {
			o.From, o.To = minTime(o.From, l.From), maxTime(o.To, l.To)
			return
		}
	}
	s.Lost = append(s.Lost, l)
	slices.SortStableFunc(s.Lost, func(a, b LostSpan) int { return a.From.Compare(b.From) })
}

// LostAt returns the never-read span that holds t, if any.
func (s *State) LostAt(t time.Time) (LostSpan, bool) {
	for _, l := range s.Lost {
		if l.Never() && !t.Before(l.From) && t.Before(l.To) {
			return l, true
		}
	}
	return LostSpan{}, false
}

// NeverRead reports whether never-read spans cover all of [from, to): a
// partition there has no p000 by right, and is sealed as lost.
func (s *State) NeverRead(from, to time.Time) bool {
	for at := from; at.Before(to); {
		l, ok := s.LostAt(at)
		if !ok {
			return false
		}
		at = l.To
	}
	return true
}

// LostSeconds is the total length of the never-read spans.
func (s *State) LostSeconds() float64 {
	var d time.Duration
	for _, l := range s.Lost {
		if l.Never() {
			d += l.To.Sub(l.From)
		}
	}
	return d.Seconds()
}

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

// Run is the outcome of one run of a job.
type Run struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Result   string    `json:"result"` // ok | failed | canceled
	Error    string    `json:"error,omitempty"`
	Records  int64     `json:"records"`
}

// Duration marshals as a Go duration string ("720h0m0s").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ErrConflict: the state changed since it was loaded (another process runs
// the same job). The caller must reload before trying again.
var ErrConflict = archive.ErrConflict

// Store loads and saves job state.
type Store interface {
	// Load returns the job's state and its version. A job that never ran
	// returns found == false, a zero State and version "".
	Load(ctx context.Context, tenant, stream string) (st State, version string, found bool, err error)
	// Save writes st if the stored version is still version ("" = create) and
	// returns the new version; ErrConflict otherwise.
	Save(ctx context.Context, tenant, stream string, st State, version string) (string, error)
	// Jobs lists the jobs that have a state, by tenant, then stream: also
	// those a configuration no longer names, whose archive is still there.
	Jobs(ctx context.Context) ([]Job, error)
}

// Job names one tenant × stream job.
type Job struct {
	Tenant, Stream string
}
