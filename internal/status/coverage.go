package status

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
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

func (c *collector) collect(ctx context.Context, rep *Report) {
	days := c.days()
	var wg sync.WaitGroup
	for i, j := range c.o.Jobs {
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
	r := row(j, st, found, c.now)
	if stateErr != nil {
		r = Row{Tenant: j.Tenant, Stream: j.Stream, Schedule: j.Schedule, Partition: j.Partition.String(),
			Lost: []LostSpan{}, Error: readError("read state", stateErr)}
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
				r.Error = readError("list "+c.dayDir(j, d), errs[k])
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

// dayDir is the Hive folder of a day: the day partition's folder, and the
// parent of the day's hour partitions.
func (c *collector) dayDir(j Job, d time.Time) string {
	return c.o.Layout.PartitionDir(j.Tenant, j.Stream, audit.Partition{Start: d, Granularity: audit.Day})
}

// dayListing is what one day folder holds: partition label → part number →
// format → the part's records metadata.
type dayListing map[string]map[int]map[string]int64

func (c *collector) list(ctx context.Context, j Job, d time.Time) (dayListing, error) {
	out := dayListing{}
	err := c.o.Sink.List(ctx, c.dayDir(j, d), func(o archive.Object) error {
		e, ok := layout.ParseName(j.Stream, layout.BaseName(o.Name))
		if !ok || e.Manifest || !audit.Day.Floor(e.Partition.Start).Equal(d) {
			return nil
		}
		// An unreadable count counts as zero here; verify reports it.
		n, _ := strconv.ParseInt(archive.MetaGet(o.Metadata, archive.MetaRecords), 10, 64)
		label := e.Partition.Label()
		if out[label] == nil {
			out[label] = map[int]map[string]int64{}
		}
		if out[label][e.Part.Number] == nil {
			out[label][e.Part.Number] = map[string]int64{}
		}
		out[label][e.Part.Number][e.Part.Format] = n
		return nil
	})
	return out, err
}

// records sums each part's count from its most faithful format, so a part
// stored as jsonl and csv counts once.
func (l dayListing) records() int64 {
	var sum int64
	for _, parts := range l {
		for _, byFormat := range parts {
			for _, f := range layout.Formats {
				if n, ok := byFormat[f]; ok {
					sum += n
					break
				}
			}
		}
	}
	return sum
}

func (l dayListing) hasP000(p audit.Partition) bool {
	return len(l[p.Label()][0]) > 0
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
	archived := audit.Window{From: st.Start, To: st.Watermark}
	covered, lost := false, false
	for _, p := range j.Partition.Partitions(day) {
		switch {
		case !l.hasP000(p) && st.NeverRead(p.Start, p.End()):
			// Lost spans can lie before the start too (a start before
			// Graph's minimum allowed time).
			covered, lost = true, true
		case p.Window().Intersect(archived).Empty():
		case l.hasP000(p):
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
