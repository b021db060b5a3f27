package job

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
)

// A replica that does not run the job this tick still exports the job's
// current watermark and retention risk, read from the shared state.
func TestObserveExportsStoredProgress(t *testing.T) {
	h := newHarness(t)
	h.set.Start = Start{Back: 3 * time.Hour}
	h.src.add(version{rec: mkrec("x", t0.Add(-time.Hour), "")})
	h.run()
	st := h.state()

	reg := prometheus.NewRegistry()
	m := metrics.New(reg, h.clock.Now)
	// Sign-ins were served, so retention is 30 days; a warning of 31 days
	// puts any watermark at risk, so the gauge must read 1.
	h.set.RetentionWarning = 31 * 24 * time.Hour
	other := New(h.set, Deps{Source: h.src, Sink: h.sink, State: h.store, Clock: h.clock.Now, Metrics: m})
	if _, err := other.Observe(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := float64(st.Watermark.UnixNano()) / 1e9
	got, err := testutil.GatherAndCount(reg, "entra_archiver_watermark_timestamp_seconds")
	if err != nil || got != 1 {
		t.Fatalf("watermark series: %d, %v", got, err)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		switch mf.GetName() {
		case "entra_archiver_watermark_timestamp_seconds":
			if v := mf.Metric[0].Gauge.GetValue(); v != want {
				t.Fatalf("watermark gauge %v, want %v", v, want)
			}
		case "entra_archiver_retention_risk":
			if v := mf.Metric[0].Gauge.GetValue(); v != 1 {
				t.Fatalf("retention_risk %v, want 1", v)
			}
		}
	}
}

// A first run that fails before the job can start (a Free tenant's
// sign-ins) leaves its outcome in the state, so status can show the error; a
// later run that gets going starts the job normally.
func TestFailedFirstRunIsRecorded(t *testing.T) {
	h := newHarness(t)
	h.src.add(version{rec: mkrec("a", t0.Add(-time.Hour), "")})
	h.src.fail = func(int, audit.Window) error { return audit.ErrNoPremiumLicense }
	if _, err := h.job().Run(context.Background()); !errors.Is(err, audit.ErrNoPremiumLicense) {
		t.Fatalf("run error %v", err)
	}
	st, _, found, err := h.store.Load(context.Background(), h.set.Tenant, h.set.Stream.Name)
	if err != nil || !found || !st.Start.IsZero() || st.LastRun == nil || st.LastRun.Result != "failed" ||
		!strings.Contains(st.LastRun.Error, "P1/P2") && !strings.Contains(st.LastRun.Error, "licence") {
		t.Fatalf("state after a failed first run: found=%v err=%v %+v", found, err, st)
	}
	// Observe must not report a job that never started as at risk.
	reg := prometheus.NewRegistry()
	other := New(h.set, Deps{Source: h.src, Sink: h.sink, State: h.store, Clock: h.clock.Now, Metrics: metrics.New(reg, h.clock.Now)})
	if _, err := other.Observe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "entra_archiver_retention_risk"); n != 0 {
		t.Fatal("retention_risk exported for a job that never started")
	}
	h.src.fail = nil
	h.run()
	if got := h.state(); got.Start.IsZero() || got.LastRun.Result != "ok" || !got.LastOK.Equal(got.LastRun.Finished) {
		t.Fatalf("state after a good run: %+v", got)
	}
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(mkrec("a", t0.Add(-time.Hour), ""))); d != "" {
		t.Fatal(d)
	}
}

// A run stopped by its context (a shutdown or a reload) is counted and
// recorded as canceled, not failed: it feeds no "job failing" alert, and the
// next run resumes from the last commit.
func TestCanceledRunIsNotAFailure(t *testing.T) {
	h := newHarness(t)
	h.src.add(version{rec: mkrec("a", t0.Add(-time.Hour), "")})
	h.run()
	ctx, cancel := context.WithCancel(context.Background())
	h.src.fail = func(int, audit.Window) error {
		cancel()
		return ctx.Err()
	}
	h.clock.Advance(time.Hour)
	reg := prometheus.NewRegistry()
	j := New(h.set, Deps{Source: h.src, Sink: h.sink, State: h.store, Clock: h.clock.Now, Metrics: metrics.New(reg, h.clock.Now)})
	if _, err := j.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("run error %v, want context.Canceled", err)
	}
	for result, want := range map[string]float64{metrics.ResultCanceled: 1, metrics.ResultFailed: 0} {
		if got := runsWithResult(t, reg, result); got != want {
			t.Errorf("runs_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	if st := h.state(); st.LastRun == nil || st.LastRun.Result != metrics.ResultCanceled {
		t.Fatalf("last run %+v, want result canceled", st.LastRun)
	} else if st.LastOK.IsZero() || !st.LastOK.Before(st.LastRun.Started) {
		t.Fatalf("last ok %s, want the first run's end, kept by the canceled one", st.LastOK)
	}
}

// runsWithResult sums runs_total over the series with the given result.
func runsWithResult(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "entra_archiver_runs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "result" && lp.GetValue() == result {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
