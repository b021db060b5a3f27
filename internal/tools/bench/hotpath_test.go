package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// The hot paths between the Graph client and the sink, benchmarked through
// the job package: sorting (in memory and with spilled runs), encoding,
// gzip and hashing as one backfill of an hour, and deduplication as the
// same backfill again, which reads the stored part back and merge-joins it
// with the new records. The Graph side (page decode) is BenchmarkDecodePage
// in internal/graph; encoders and gzip alone are in internal/format.

// memSource serves parsed records like Graph: newest first, in pages of
// 1,000, only those inside the window.
type memSource struct{ recs []audit.Record } // oldest first

func (m memSource) Fetch(_ context.Context, _ audit.Stream, w audit.Window, _ string, page func(audit.Page) error) error {
	buf := make([]audit.Record, 0, 1000)
	for i := len(m.recs) - 1; i >= 0; i-- {
		if !w.Contains(m.recs[i].Time) {
			continue
		}
		if buf = append(buf, m.recs[i]); len(buf) == cap(buf) {
			if err := page(audit.Page{Records: buf, Served: len(buf)}); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		return page(audit.Page{Records: buf, Served: len(buf)})
	}
	return nil
}

// hourOfSignIns returns an hour of about n non-interactive sign-ins from
// graphsim, oldest first, and their bytes.
func hourOfSignIns(b *testing.B, n int) (audit.Window, []audit.Record, int64) {
	b.Helper()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ti := benchTenant(0)
	cfg := ti.simTenant(1)
	cfg.Volume = map[string]float64{audit.NonInteractiveSignIns.Name: float64(n)}
	sim, err := startSim(b.TempDir(), graphsim.Options{Now: func() time.Time { return now }, Tenants: []graphsim.TenantConfig{cfg}})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	hour := audit.Window{From: now.Add(-3 * time.Hour), To: now.Add(-2 * time.Hour)}
	var recs []audit.Record
	var size int64
	for _, raw := range sim.Tenant(ti.ID).Visible(audit.NonInteractiveSignIns.Name, hour, now) {
		rec, err := audit.ParseRecord(raw, audit.NonInteractiveSignIns.TimeField)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, rec)
		size += int64(len(raw))
	}
	return hour, recs, size
}

// newBenchJob returns a job of the non-interactive stream writing jsonl.gz
// into a local sink at dir.
func newBenchJob(b *testing.B, dir string, src audit.Source, sortMemory int) *job.Job {
	b.Helper()
	sink, err := local.New(dir)
	if err != nil {
		b.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	return job.New(job.Settings{
		Tenant: "bench", TenantID: benchTenant(0).ID, Stream: audit.NonInteractiveSignIns,
		Formats: []string{"jsonl"}, Gzip: true, Partition: audit.Hour, Settle: 15 * time.Minute,
	}, job.Deps{
		Source: src, Sink: sink, State: state.DocStore{Sink: sink}, Layout: layout.Layout{}, Clock: clock,
		Metrics: metrics.New(prometheus.NewRegistry(), clock), TempDir: b.TempDir(), SortMemory: sortMemory, Version: "bench",
	})
}

// BenchmarkBackfillHour archives an hour of sign-ins served newest first
// into an empty archive: sort (in memory, or spilled in 4 MiB runs and
// merged), jsonl, gzip, SHA-256 and the create-only write.
func BenchmarkBackfillHour(b *testing.B) {
	hour, recs, size := hourOfSignIns(b, 20000)
	for _, sort := range []struct {
		name   string
		memory int
	}{{"in-memory", 1 << 30}, {"spilled", 4 << 20}} {
		b.Run("sort="+sort.name, func(b *testing.B) {
			b.SetBytes(size)
			root := b.TempDir()
			i := 0
			for b.Loop() {
				dir := filepath.Join(root, fmt.Sprint(i))
				i++
				res, err := newBenchJob(b, dir, memSource{recs}, sort.memory).Backfill(context.Background(), hour, progress.Discard)
				if err != nil || res.Records != len(recs) {
					b.Fatalf("archived %d of %d records: %v", res.Records, len(recs), err)
				}
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkDedupeHour backfills an hour that is already archived: every
// record is read back from the stored part and dropped as a duplicate.
func BenchmarkDedupeHour(b *testing.B) {
	hour, recs, size := hourOfSignIns(b, 20000)
	j := newBenchJob(b, b.TempDir(), memSource{recs}, 64<<20)
	if _, err := j.Backfill(context.Background(), hour, progress.Discard); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	for b.Loop() {
		res, err := j.Backfill(context.Background(), hour, progress.Discard)
		if err != nil || res.Duplicates != len(recs) || res.Records != 0 {
			b.Fatalf("%d duplicates and %d new of %d records: %v", res.Duplicates, res.Records, len(recs), err)
		}
	}
}
