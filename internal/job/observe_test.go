package job

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

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
	// Retention is 7 days (no old records); a warning of 8 days puts any
	// watermark at risk, so the gauge must read 1.
	h.set.RetentionWarning = 8 * 24 * time.Hour
	other := New(h.set, Deps{Source: h.src, Sink: h.sink, State: h.store, Clock: h.clock.Now, Metrics: m})
	if err := other.Observe(context.Background()); err != nil {
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
