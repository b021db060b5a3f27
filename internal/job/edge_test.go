package job

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// partsIn returns the labels of the partitions in [from, to) that hold a
// part.
func partsIn(parts []storedPart, from, to time.Time) []string {
	var out []string
	for _, p := range parts {
		if !p.p.Start.Before(from) && p.p.Start.Before(to) {
			out = append(out, p.name)
		}
	}
	return out
}

// TestOutageBehindGraphsEdge: after an outage longer than Graph keeps logs
// (an expired secret, for a month), Graph refuses every query from the old
// watermark. The job does not fail for ever: it records the unreadable span
// as lost (state, metric, lost manifests), claims no coverage of it with a
// p000, and archives everything Graph still serves.
func TestOutageBehindGraphsEdge(t *testing.T) {
	h := newHarness(t)
	h.set.Partition = audit.Day // 40 days of hours would take long to seal
	recs := every("o", t0.Add(-6*time.Hour), t0.Add(41*24*time.Hour), 97*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run()
	before1 := h.state()

	h.clock.Set(t0.Add(40 * 24 * time.Hour))
	reg := prometheus.NewRegistry()
	j := New(h.set, Deps{Source: h.src, Sink: h.sink, State: h.store, Clock: h.clock.Now,
		Metrics: metrics.New(reg, h.clock.Now), TempDir: t.TempDir(), Version: "test"})
	res, err := j.Run(context.Background())
	if err != nil {
		t.Fatalf("run after a 40-day outage: %v", err)
	}
	now := h.clock.Now()
	resume := audit.Day.Ceil(audit.MinimumTime(now))
	st := h.state()
	wantLost := audit.Window{From: before1.Watermark, To: resume}
	var never []state.LostSpan
	for _, l := range st.Lost {
		if l.Never() {
			never = append(never, l)
		}
	}
	if len(never) != 1 || !never[0].From.Equal(wantLost.From) || !never[0].To.Equal(wantLost.To) || never[0].Reason == "" {
		t.Fatalf("lost spans %+v, want one never-read span %s", st.Lost, wantLost)
	}
	for _, age := range h.set.Recheck {
		found := false
		for _, l := range st.Lost {
			found = found || (l.Recheck == markKey(age) && l.To.Equal(before1.Watermark))
		}
		if !found {
			t.Errorf("no lost recheck span for age %s in %+v", age, st.Lost)
		}
	}
	if res.Lost != wantLost.Duration() {
		t.Errorf("result lost %s, want %s", res.Lost, wantLost.Duration())
	}
	if got := metricValue(t, reg, "entra_archiver_lost_seconds_total"); got != wantLost.Duration().Seconds() {
		t.Errorf("lost_seconds_total %v, want %v", got, wantLost.Duration().Seconds())
	}
	if want := now.Add(-h.set.Settle); !st.Watermark.Equal(want) {
		t.Fatalf("watermark %s, want %s", st.Watermark, want)
	}
	for _, w := range h.src.Windows() {
		if w.From.Before(audit.Day.Floor(now).Add(-audit.MinimumTimeAge)) && !w.From.Before(before1.Watermark) {
			t.Errorf("queried %s, before Graph's edge", w)
		}
	}
	parts := h.readArchive()
	if got := partsIn(parts, audit.Day.Ceil(before1.Watermark), resume); len(got) != 0 {
		t.Fatalf("parts claim coverage of the lost span: %v", got)
	}
	want := append(before(recs, t0.Add(-6*time.Hour), before1.Watermark), before(recs, resume, now.Add(-h.set.Settle))...)
	if d := diffStrings(h.jsonlRecords(parts), raws(want...)); d != "" {
		t.Fatal(d)
	}
	lost := checkChain(t, h, st)
	if n := len(audit.Day.Partitions(audit.Window{From: audit.Day.Ceil(before1.Watermark), To: resume})); len(lost) != n {
		t.Fatalf("%d lost manifests, want one per lost partition (%d)", len(lost), n)
	}
}

// TestStartBehindGraphsEdge: a configured start 40 days back is taken as
// asked; the ten days Graph no longer serves are recorded as lost, and the
// job archives from Graph's minimum allowed time.
func TestStartBehindGraphsEdge(t *testing.T) {
	h := newHarness(t)
	h.set.Partition = audit.Day
	h.set.Stream = audit.DirectoryAudits
	h.set.Start = Start{Back: 40 * 24 * time.Hour}
	recs := every("s", t0.Add(-41*24*time.Hour), t0, 131*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run()
	st := h.state()
	resume := audit.Day.Ceil(audit.MinimumTime(t0))
	if want := audit.Day.Floor(t0.Add(-40 * 24 * time.Hour)); !st.Start.Equal(want) {
		t.Fatalf("start %s, want the configured %s", st.Start, want)
	}
	if len(st.Lost) != 1 || !st.Lost[0].Never() || !st.Lost[0].From.Equal(st.Start) || !st.Lost[0].To.Equal(resume) {
		t.Fatalf("lost %+v, want [%s, %s)", st.Lost, st.Start, resume)
	}
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(before(recs, resume, t0.Add(-h.set.Settle))...)); d != "" {
		t.Fatal(d)
	}
	if lost := checkChain(t, h, st); len(lost) != 10 {
		t.Fatalf("%d lost manifests, want 10", len(lost))
	}
}

// TestGraphNamesALaterEdge: when Graph's clock runs a day ahead of the
// host's, Graph refuses the window the job thought readable; the job moves
// on from the edge Graph names (or, for sign-ins, from Graph's next day)
// instead of failing.
func TestGraphNamesALaterEdge(t *testing.T) {
	for _, st := range []audit.Stream{audit.DirectoryAudits, audit.InteractiveSignIns, audit.Provisioning} {
		t.Run(st.Name, func(t *testing.T) {
			h := newHarness(t)
			h.set.Partition = audit.Day
			h.set.Stream = st
			h.set.Start = Start{Back: 35 * 24 * time.Hour}
			h.src.graphAhead = 25 * time.Hour
			recs := every("g", t0.Add(-36*24*time.Hour), t0, 173*time.Minute, time.Time{}, time.Time{})
			h.src.serve(recs)
			h.run()
			s := h.state()
			graphEdge := audit.Day.Floor(t0.Add(25 * time.Hour)).Add(-audit.MinimumTimeAge)
			resume := audit.Day.Ceil(st.EarliestFrom(graphEdge))
			if len(s.Lost) != 1 || !s.Lost[0].To.Equal(resume) {
				t.Fatalf("lost %+v, want up to %s", s.Lost, resume)
			}
			if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(before(recs, resume, t0.Add(-h.set.Settle))...)); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// TestBackfillBehindGraphsEdgeClamps: a backfill from before Graph's edge
// starts at the edge instead of failing on Graph's 400, and records no loss
// (it never moves the watermark).
func TestBackfillBehindGraphsEdgeClamps(t *testing.T) {
	h := newHarness(t)
	h.set.Partition = audit.Day
	h.set.Stream = audit.DirectoryAudits
	recs := every("b", t0.Add(-40*24*time.Hour), t0, 191*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run()
	from := audit.Day.Ceil(audit.MinimumTime(t0))
	if _, err := h.job().Backfill(context.Background(), audit.Window{From: t0.Add(-40 * 24 * time.Hour), To: t0.Add(-20 * 24 * time.Hour)}, progress.Discard); err != nil {
		t.Fatalf("backfill from before the edge: %v", err)
	}
	// A backfill before the job's start runs up to it (the archive stays
	// contiguous).
	want := before(recs, from, t0.Add(-h.set.Settle))
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(want...)); d != "" {
		t.Fatal(d)
	}
	if st := h.state(); len(st.Lost) != 0 {
		t.Fatalf("backfill recorded lost spans %+v", st.Lost)
	}
}

// metricValue is the value of the one series of a counter or gauge.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.Metric) != 1 {
			continue
		}
		if c := mf.Metric[0].GetCounter(); c != nil {
			return c.GetValue()
		}
		return mf.Metric[0].GetGauge().GetValue()
	}
	t.Fatalf("no single series of %s", name)
	return 0
}
