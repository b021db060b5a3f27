package job

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// TestSealLogsTheChainHead: a run that seals logs the stream's new chain
// head, the manifest and its SHA-256, so it can be kept elsewhere and
// checked later (verify --heads).
func TestSealLogsTheChainHead(t *testing.T) {
	h := newHarness(t)
	h.set.Start = Start{Back: 72 * time.Hour}
	h.src.serve(every("r", t0.Add(-72*time.Hour), t0, 37*time.Minute, time.Time{}, time.Time{}))
	core, logs := observer.New(zapcore.InfoLevel)
	j := New(h.set, Deps{Source: h.src, Sink: h.sink, State: h.store, Clock: h.clock.Now, Logger: zap.New(core),
		TempDir: t.TempDir(), Version: "test"})
	if _, err := j.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := h.state()
	heads := logs.FilterMessage("sealed: the stream's manifest chain has a new head").All()
	if st.LastManifest == "" || len(heads) == 0 {
		t.Fatalf("sealed through %s (%q), %d chain head log lines", st.SealedThrough, st.LastManifest, len(heads))
	}
	got := heads[len(heads)-1].ContextMap()
	if got["manifest"] != st.LastManifest || got["sha256"] != st.LastManifestSHA256 || got["tenant"] != "contoso" ||
		got["stream"] != h.set.Stream.Name || !got["sealed_through"].(time.Time).Equal(st.SealedThrough) {
		t.Fatalf("chain head logged %v, state holds %s %s through %s", got, st.LastManifest, st.LastManifestSHA256, st.SealedThrough)
	}
}

// TestVersionsOfOneRecordAreBounded: Graph serving more distinct versions
// of one record (same time and id) than read.MaxVersions costs bounded
// memory and linear time: the archive keeps MaxVersions of them, which every
// reader accepts, and the rest are quarantined, once, not lost.
func TestVersionsOfOneRecordAreBounded(t *testing.T) {
	h := newHarness(t)
	at := t0.Add(-3 * time.Hour)
	const extra = 5
	for i := range read.MaxVersions + extra {
		h.src.add(version{rec: mkrec("busy", at, fmt.Sprintf("version %04d", i))})
	}
	h.src.add(version{rec: mkrec("busy", at, "version 0000")}) // a re-delivery
	res := h.run()
	if res.Quarantined != extra || res.Duplicates != 1 {
		t.Fatalf("quarantined %d, duplicates %d; want %d and 1", res.Quarantined, res.Duplicates, extra)
	}
	stored := 0
	for _, p := range h.readArchive() {
		stored += len(p.records)
	}
	if stored != read.MaxVersions {
		t.Fatalf("archived %d versions, want %d", stored, read.MaxVersions)
	}
	// The recheck serves them all again: nothing changes.
	h.clock.Advance(2 * time.Hour)
	if res := h.run(); res.Quarantined != 0 || res.Records != 0 {
		t.Fatalf("recheck archived %d and quarantined %d", res.Records, res.Quarantined)
	}
	quarantined := 0
	err := h.sink.List(context.Background(), layout.Layout{}.QuarantineDir(h.set.Tenant, h.set.Stream.Name), func(archive.Object) error {
		quarantined++
		return nil
	})
	if err != nil || quarantined != extra || h.state().Quarantined != extra {
		t.Fatalf("quarantine holds %d (%v), state counts %d; want %d", quarantined, err, h.state().Quarantined, extra)
	}
}
