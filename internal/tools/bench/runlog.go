package bench

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"
)

// jobRun is one run of one job, as the daemon logged it when it ended.
type jobRun struct {
	tenant, stream string
	finish         time.Time
	// watermark after the run: the run archived everything before it.
	watermark time.Time
	failed    bool
}

// runLog reads the daemon's JSON log (its stderr) as it is written and
// keeps what the tenants scenario measures: when the daemon started, every
// finished or failed run, and the ticks skipped because a job's previous
// run was still going.
type runLog struct {
	mu      sync.Mutex
	partial []byte
	started time.Time
	runs    []jobRun
	skipped map[string]int // by tenant
	tail    tail
}

// logLine is the part of a log line the bench reads.
type logLine struct {
	Time      time.Time `json:"time"`
	Msg       string    `json:"msg"`
	Tenant    string    `json:"tenant"`
	Stream    string    `json:"stream"`
	Job       string    `json:"job"`
	Watermark time.Time `json:"watermark"`
}

func (l *runLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tail.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.line(l.partial[:i])
		l.partial = l.partial[i+1:]
	}
}

func (l *runLog) line(b []byte) {
	var e logLine
	if json.Unmarshal(b, &e) != nil {
		return
	}
	switch e.Msg {
	case "started":
		l.started = e.Time
	case "run finished", "run failed":
		l.runs = append(l.runs, jobRun{tenant: e.Tenant, stream: e.Stream, finish: e.Time,
			watermark: e.Watermark, failed: e.Msg == "run failed"})
	case "previous run still going; skipping this tick":
		if l.skipped == nil {
			l.skipped = map[string]int{}
		}
		tenant, _, _ := strings.Cut(e.Job, "/")
		l.skipped[tenant]++
	}
}

// String is the tail of the log, for errors.
func (l *runLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tail.String()
}

// roundStats are the tenants' completion times over the schedule's ticks.
type roundStats struct {
	// Ticks is how many ticks could be judged: those at least two periods
	// before the daemon stopped.
	Ticks int
	// Completions are, per tenant and judged tick, the time from the tick
	// until every stream of the tenant had archived up to tick − settle,
	// sorted. Late counts those over two periods or never reached.
	Completions []time.Duration
	Late        int
	Failed      int
	Skipped     int
}

// schedule describes the daemon's ticks: every job fires when the daemon
// starts and then every period (cron rounds to the second).
type schedule struct {
	start, stop    time.Time
	period, settle time.Duration
}

// completions measures, for every tenant in keep and every tick that can be
// judged, when the tenant's streams caught up with that tick. A stream has
// caught up with tick T when a run finished with a watermark at or after
// T − settle (a run that waited for a slot, or a skipped tick caught up by
// the next run, counts from T all the same).
func (l *runLog) completions(sch schedule, keep func(tenant string) bool) roundStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	var st roundStats
	byJob := map[string][]jobRun{}
	streams := map[string][]string{}
	for _, r := range l.runs {
		if !keep(r.tenant) {
			continue
		}
		if r.failed {
			st.Failed++
		}
		key := r.tenant + "/" + r.stream
		if _, ok := byJob[key]; !ok {
			streams[r.tenant] = append(streams[r.tenant], key)
		}
		byJob[key] = append(byJob[key], r)
	}
	for t, n := range l.skipped {
		if keep(t) {
			st.Skipped += n
		}
	}
	start := sch.start
	if !l.started.IsZero() {
		start = l.started
	}
	const slack = time.Second // cron rounds ticks to the second
	for tick := start; !tick.Add(2 * sch.period).After(sch.stop); tick = tick.Add(sch.period) {
		st.Ticks++
		want := tick.Add(-sch.settle - slack)
		for _, keys := range streams {
			var done time.Duration
			for _, key := range keys {
				d, ok := caughtUp(byJob[key], want, tick)
				if !ok {
					d = sch.stop.Sub(tick) + time.Nanosecond
				}
				done = max(done, d)
			}
			if done > 2*sch.period+slack {
				st.Late++
			}
			st.Completions = append(st.Completions, done)
		}
	}
	slices.Sort(st.Completions)
	return st
}

// caughtUp is how long after tick the first run with a watermark at or
// after want finished.
func caughtUp(runs []jobRun, want, tick time.Time) (time.Duration, bool) {
	for _, r := range runs {
		if !r.failed && !r.watermark.Before(want) {
			return max(r.finish.Sub(tick), 0), true
		}
	}
	return 0, false
}

// quantile of sorted durations (q in [0, 1]).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
