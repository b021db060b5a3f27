package verify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/job/jobtest"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// TestBackfillBeforeStartJoinsTheChain: a backfill before the job's start,
// of partitions past every recheck age, seals them as the chain's new
// beginning (the start's manifest was written already, so the state keeps
// the link as a junction) and moves the start: verify then covers them, and
// a deleted or altered backfilled partition is a fault like any other.
func TestBackfillBeforeStartJoinsTheChain(t *testing.T) {
	dir := t.TempDir()
	sink, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	var entries []jobtest.Served
	for i, ts := 0, t0.Add(-40*time.Hour); ts.Before(t0); i, ts = i+1, ts.Add(13*time.Minute) {
		entries = append(entries, jobtest.Served{Rec: mkrec(fmt.Sprintf("x%05d", i), ts, ""), Visible: ts})
	}
	set := settings
	set.Start = job.Start{Back: 30 * time.Hour}
	clock := func() time.Time { return t0 }
	store := state.DocStore{Sink: sink, Layout: testLay}
	j := job.New(set, job.Deps{
		Source: &jobtest.Source{Now: clock, Entries: entries, PageSize: 50}, Sink: sink, Layout: testLay,
		State: store, Clock: clock, TempDir: t.TempDir(), Version: "test",
	})
	if _, err := j.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	oldStart := audit.Hour.Floor(t0.Add(-30 * time.Hour))
	// Leaves a gap before the start: the backfill runs up to it.
	if _, err := j.Backfill(context.Background(), audit.Window{From: t0.Add(-36 * time.Hour), To: t0.Add(-33 * time.Hour)}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	st, _, _, err := store.Load(context.Background(), testJob.Tenant, testJob.Stream.Name)
	if err != nil {
		t.Fatal(err)
	}
	newStart := audit.Hour.Floor(t0.Add(-36 * time.Hour))
	if !st.Start.Equal(newStart) || len(st.Junctions) != 1 || !st.Junctions[0].At.Equal(oldStart) {
		t.Fatalf("state after the backfill: start %s, junctions %+v; want start %s and a junction at %s", st.Start, st.Junctions, newStart, oldStart)
	}
	rep, err := Run(t.Context(), options(sink))
	if err != nil {
		t.Fatal(err)
	}
	checkFaults(t, rep.Faults)
	if want := int(t0.Sub(newStart).Hours()); rep.Partitions < want {
		t.Fatalf("verified %d partitions, want the %d from the new start", rep.Partitions, want)
	}

	deleted, last := audit.Hour.Of(newStart.Add(2*time.Hour)), audit.Hour.Of(oldStart.Add(-time.Hour))
	t.Run("backfilled partition deleted", func(t *testing.T) {
		s := archiveCopy(t, dir)
		remove(t, s, manifestName(deleted))
		deletePart(t, s, deleted, 0)
		rep, err := Run(t.Context(), options(s))
		if err != nil {
			t.Fatal(err)
		}
		checkFaults(t, rep.Faults,
			want{partName(deleted, 0, "jsonl"), "is below the watermark"},
			want{manifestName(deleted), "must be sealed"},
			want{manifestName(deleted.Next()), "is missing"})
	})
	t.Run("newest backfilled manifest altered", func(t *testing.T) {
		s := archiveCopy(t, dir)
		editManifest(t, s, last, true)
		rep, err := Run(t.Context(), options(s))
		if err != nil {
			t.Fatal(err)
		}
		checkFaults(t, rep.Faults,
			want{manifestName(last), "its blobs list"},
			want{manifestName(last.Next()), "the state recorded"})
	})
}
