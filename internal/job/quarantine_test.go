package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
)

// TestBadRecordIsQuarantinedNotStalled: a record Graph serves without a
// readable id or time is kept, bytes as served, in the quarantine folder
// with its reason; the rest of its page is archived, the watermark moves
// on, and a record served again (by a recheck) is counted once.
func TestBadRecordIsQuarantinedNotStalled(t *testing.T) {
	h := newHarness(t)
	recs := every("q", t0.Add(-6*time.Hour), t0, 13*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	noTime := []byte(`{"id":"no-time","createdDateTime":null,"userPrincipalName":"x@contoso.com"}`)
	noID := []byte(`{"createdDateTime":"2026-11-19T22:10:00Z","userPrincipalName":"y@contoso.com"}`)
	h.src.rejects = []rejectAt{
		{at: t0.Add(-90 * time.Minute), rej: audit.Reject{Raw: noTime, Reason: "createdDateTime missing"}},
		{at: t0.Add(-110 * time.Minute), rej: audit.Reject{Raw: noID, Reason: "no id"}},
	}
	reg := prometheus.NewRegistry()
	j := New(h.set, Deps{Source: h.src, Sink: h.sink, State: h.store, Clock: h.clock.Now,
		Metrics: metrics.New(reg, h.clock.Now), TempDir: t.TempDir(), Version: "test"})
	res, err := j.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Quarantined != 2 {
		t.Fatalf("quarantined %d, want 2", res.Quarantined)
	}
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(before(recs, t0.Add(-6*time.Hour), t0.Add(-15*time.Minute))...)); d != "" {
		t.Fatal(d)
	}
	for _, raw := range [][]byte{noTime, noID} {
		sum := sha256.Sum256(raw)
		name := layout.Layout{}.QuarantineName(h.set.Tenant, h.set.Stream.Name, hex.EncodeToString(sum[:]))
		obj, err := h.sink.Stat(context.Background(), name)
		if err != nil {
			t.Fatalf("quarantine blob %s: %v", name, err)
		}
		if archive.MetaGet(obj.Metadata, archive.MetaReason) == "" || archive.MetaGet(obj.Metadata, archive.MetaSHA256) != hex.EncodeToString(sum[:]) {
			t.Fatalf("quarantine metadata %v", obj.Metadata)
		}
		rc, err := h.sink.Open(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != string(raw) {
			t.Fatalf("quarantined %s, want the bytes as served %s", got, raw)
		}
	}
	if st := h.state(); st.Quarantined != 2 || !st.Watermark.Equal(t0.Add(-15*time.Minute)) {
		t.Fatalf("state quarantined %d watermark %s", st.Quarantined, st.Watermark)
	}
	if got := metricValue(t, reg, "entra_archiver_quarantined_records_total"); got != 2 {
		t.Fatalf("quarantined_records_total %v, want 2", got)
	}
	// Two hours later the 2h recheck serves both again: not counted twice.
	h.clock.Advance(2 * time.Hour)
	res = h.run()
	if res.Quarantined != 0 || h.state().Quarantined != 2 {
		t.Fatalf("second run quarantined %d (state %d), want 0 (2)", res.Quarantined, h.state().Quarantined)
	}
}
