package status

import (
	"context"
	"sync"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// collector gathers one report. Work is bounded: one state read per job and
// one listing per job and day (the Hive folder y=/m=/d= is a prefix that
// holds the day's partitions, hour or day), at most Concurrency at a time.
type collector struct {
	o   Options
	now time.Time
	sem chan struct{}
}

func (c *collector) collect(ctx context.Context, jobs []Job, rep *Report) {
	days := c.days()
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { rep.Rows[i], rep.Coverage[i] = c.job(ctx, j, days) })
	}
	wg.Wait()
}

// days are the report's days, oldest first, ending today (UTC).
func (c *collector) days() []time.Time {
	today := audit.Day.Floor(c.now)
	out := make([]time.Time, c.o.Days)
	for k := range out {
		out[k] = today.AddDate(0, 0, k-c.o.Days+1)
	}
	return out
}

// acquire takes a slot for one storage call; false when ctx ended first.
func (c *collector) acquire(ctx context.Context) bool {
	select {
	case c.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *collector) release() { <-c.sem }

// job reads one job's state and day folders.
func (c *collector) job(ctx context.Context, j Job, days []time.Time) (Row, StreamCoverage) {
	cov := StreamCoverage{Tenant: j.Tenant, Stream: j.Stream, Days: make([]Day, len(days))}
	var (
		st       state.State
		found    bool
		stateErr error
	)
	if !c.acquire(ctx) {
		stateErr = ctx.Err()
	} else {
		st, _, found, stateErr = c.o.State.Load(ctx, j.Tenant, j.Stream)
		c.release()
	}
	if g, err := audit.ParseGranularity(st.Partition); j.Unlisted && found && err == nil {
		j.Partition = g // what it was archived in, whatever the configuration says now
	}
	r := row(j, st, found, c.now)
	if stateErr != nil {
		r = emptyRow(j)
		r.Error = readError("read state", stateErr)
	}
	if r.Quarantined > 0 {
		r.QuarantineDir = c.o.Layout.QuarantineDir(j.Tenant, j.Stream)
	}

	listings := make([]dayListing, len(days))
	errs := make([]error, len(days))
	var wg sync.WaitGroup
	for k, d := range days {
		wg.Go(func() {
			if !c.acquire(ctx) {
				errs[k] = ctx.Err()
				return
			}
			defer c.release()
			listings[k], errs[k] = c.list(ctx, j, d)
		})
	}
	wg.Wait()

	for k, d := range days {
		day := Day{Date: d, State: Unknown}
		if errs[k] != nil {
			if r.Error == "" {
				r.Error = errs[k].Error()
			}
			cov.Days[k] = day
			continue
		}
		day.Records = listings[k].records()
		if stateErr == nil {
			day.State = dayState(j, st, found, d, listings[k])
		}
		cov.Days[k] = day
	}
	if stateErr == nil && (!found || st.Start.IsZero()) && r.Error == "" {
		for _, d := range cov.Days {
			if d.Records > 0 {
				// The archive has data the state does not know of: the
				// state document was lost (or only backfill ran).
				r.NeverRun = false
				r.Error = "no state document, yet the archive holds records of this stream: its watermark is lost or it was only backfilled (run verify)"
				break
			}
		}
	}
	return r, cov
}

// dayListing is what one day folder holds, by partition label.
type dayListing map[string]*read.Partition

func (c *collector) list(ctx context.Context, j Job, d time.Time) (dayListing, error) {
	st, known := audit.StreamByName(j.Stream)
	if !known {
		st.Name = j.Stream
	}
	return read.Stream{Sink: c.o.Sink, Layout: c.o.Layout, Tenant: j.Tenant, Stream: st}.Day(ctx, d)
}

// records sums the day's parts' counts (read.Partition.Records: each from
// its most faithful format, so a part stored as jsonl and csv counts once).
func (l dayListing) records() int64 {
	var sum int64
	for _, p := range l {
		sum += p.Records()
	}
	return sum
}

func (l dayListing) hasP000(p audit.Partition) bool {
	held := l[p.Label()]
	return held != nil && held.HasP000()
}

// dayState applies the state's promise — every partition between start and
// the watermark has a p000, except those in a span it never read — to the
// listing of day d. A gap outweighs a known loss, and a known loss the
// watermark: see Lost.
func dayState(j Job, st state.State, found bool, d time.Time, l dayListing) DayState {
	if !found {
		return None
	}
	day := audit.Window{From: d, To: d.AddDate(0, 0, 1)}
	covered, lost := false, false
	for _, p := range j.Partition.Partitions(day) {
		has := l.hasP000(p)
		switch need := read.Needs(&st, p); {
		case !has && need == read.NeverRead:
			// Lost spans can lie before the start too (a start before
			// Graph's minimum allowed time).
			covered, lost = true, true
		case need == read.BeforeStart || need == read.AfterWatermark:
		case has:
			covered = true
		default:
			return Gap
		}
	}
	switch {
	case !covered:
		return None
	case lost:
		return Lost
	case st.Watermark.Before(day.To):
		return Partial
	}
	return Complete
}
