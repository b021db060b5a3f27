package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/progress"
)

// every returns records every step in [from, to), skipping [gapFrom, gapTo).
func every(prefix string, from, to time.Time, step time.Duration, gapFrom, gapTo time.Time) []audit.Record {
	var out []audit.Record
	i := 0
	for t := from; t.Before(to); t = t.Add(step) {
		i++
		if !t.Before(gapFrom) && t.Before(gapTo) {
			continue
		}
		out = append(out, mkrec(fmt.Sprintf("%s-%04d", prefix, i), t, "é,\"\n<&>"))
	}
	return out
}

func before(recs []audit.Record, from, to time.Time) []audit.Record {
	var out []audit.Record
	for _, r := range recs {
		if !r.Time.Before(from) && r.Time.Before(to) {
			out = append(out, r)
		}
	}
	return out
}

func TestRunArchivesEachRecordOnceWithAP000PerPartition(t *testing.T) {
	h := newHarness(t)
	start := t0.Add(-6 * time.Hour)
	gap := t0.Add(-4 * time.Hour) // 20:00–21:00 has no records
	recs := every("r", start.Add(-time.Hour), t0, 7*time.Minute, gap, gap.Add(time.Hour))
	// Exactly at a partition boundary and exactly at now - settle.
	recs = append(recs, mkrec("boundary", t0.Add(-5*time.Hour), ""), mkrec("at-target", t0.Add(-15*time.Minute), ""))
	h.src.serve(recs)

	res := h.run()
	target := t0.Add(-15 * time.Minute)
	want := before(recs, start, target)
	parts := h.readArchive()
	if d := diffStrings(h.jsonlRecords(parts), raws(want...)); d != "" {
		t.Fatal(d)
	}
	wantParts := []string{}
	for p := start; p.Before(target); p = p.Add(time.Hour) {
		n := len(before(recs, p, minTime(p.Add(time.Hour), target)))
		wantParts = append(wantParts, fmt.Sprintf("%s p000 (%d)", audit.Hour.Of(p).Label(), n))
	}
	if d := diffStrings(partNames(parts), wantParts); d != "" {
		t.Fatal(d)
	}
	if res.Records != len(want) || res.Parts != 6 {
		t.Fatalf("result %+v, want %d records in 6 parts", res, len(want))
	}
	st := h.state()
	if !st.Watermark.Equal(target) {
		t.Fatalf("watermark %s, want %s", st.Watermark, target)
	}

	// Nothing new: a second run writes nothing.
	res = h.run()
	if res.Parts != 0 || res.Records != 0 {
		t.Fatalf("second run wrote %+v", res)
	}

	// Ten minutes later the rest of the hour so far becomes p001.
	h.clock.Advance(10 * time.Minute)
	more := mkrec("later", t0.Add(-10*time.Minute), "")
	h.src.add(version{rec: more})
	h.run()
	parts = h.readArchive()
	newTarget := t0.Add(-5 * time.Minute)
	newer := before(append(recs, more), target, newTarget)
	if d := diffStrings(h.jsonlRecords(parts), raws(append(want, newer...)...)); d != "" {
		t.Fatal(d)
	}
	last := partNames(parts)[len(partNames(parts))-1]
	if want := fmt.Sprintf("%s p001 (%d)", audit.Hour.Of(more.Time).Label(), len(newer)); last != want {
		t.Fatalf("last part %s, want %s", last, want)
	}
}

func TestLateArrivalFoundByRecheckGoesToNextPart(t *testing.T) {
	h := newHarness(t)
	onTime := mkrec("on-time", t0.Add(-90*time.Minute), "")
	late := mkrec("late", t0.Add(-90*time.Minute).Add(time.Second), "")
	h.src.add(version{rec: onTime})
	h.src.add(version{rec: late, visible: t0.Add(40 * time.Minute)}) // 2h10m after its event
	h.run()
	if got := len(h.jsonlRecords(h.readArchive())); got != 1 {
		t.Fatalf("first run archived %d records, want 1", got)
	}
	// At 00:45 the 2h recheck covers 22:30's span again.
	h.clock.Set(t0.Add(45 * time.Minute))
	res := h.run()
	if res.Late != 1 {
		t.Fatalf("late = %d, want 1 (%+v)", res.Late, res)
	}
	parts := h.readArchive()
	if d := diffStrings(h.jsonlRecords(parts), raws(onTime, late)); d != "" {
		t.Fatal(d)
	}
	if !slices.Contains(partNames(parts), audit.Hour.Of(late.Time).Label()+" p001 (1)") {
		t.Fatalf("late record not in p001: %v", partNames(parts))
	}
	st := h.state()
	if want := t0.Add(45*time.Minute - 2*time.Hour); !st.Recheck["2h0m0s"].Equal(want) {
		t.Fatalf("2h mark %s, want %s", st.Recheck["2h0m0s"], want)
	}
}

func TestRevisionsKeptDuplicatesDropped(t *testing.T) {
	h := newHarness(t)
	at := t0.Add(-3 * time.Hour)
	a := mkrec("rev", at, "version A")
	b := mkrec("rev", at, "version B") // same id and time, changed content
	dup := mkrec("dup", at.Add(time.Minute), "")
	h.src.add(version{rec: a, until: t0.Add(50 * time.Minute)})
	h.src.add(version{rec: b, visible: t0.Add(50 * time.Minute)})
	h.src.add(version{rec: dup})
	h.src.add(version{rec: dup}) // Microsoft re-publishing a batch
	res := h.run()
	if res.Duplicates != 1 {
		t.Fatalf("duplicates = %d, want 1", res.Duplicates)
	}
	// The 24h recheck of that span sees version B.
	h.clock.Set(at.Add(24*time.Hour + 30*time.Minute))
	res = h.run()
	if res.Revisions != 1 {
		t.Fatalf("revisions = %d, want 1 (%+v)", res.Revisions, res)
	}
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(a, b, dup)); d != "" {
		t.Fatal(d)
	}
	// Seeing B and the duplicate again changes nothing.
	h.clock.Advance(time.Hour)
	h.run()
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(a, b, dup)); d != "" {
		t.Fatal(d)
	}
}

func TestOldSpanCountsAsRecheckedAndIsSealedAtOnce(t *testing.T) {
	h := newHarness(t)
	h.set.Start = Start{Back: 72 * time.Hour}
	recs := every("r", t0.Add(-72*time.Hour), t0, 37*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	res := h.run()
	st := h.state()
	if want := t0.Add(-24 * time.Hour); !st.Recheck["24h0m0s"].Equal(want) {
		t.Fatalf("24h mark %s, want %s", st.Recheck["24h0m0s"], want)
	}
	if want := t0.Add(-2 * time.Hour); !st.Recheck["2h0m0s"].Equal(want) {
		t.Fatalf("2h mark %s, want %s", st.Recheck["2h0m0s"], want)
	}
	if res.Sealed != 48 || !st.SealedThrough.Equal(t0.Add(-24*time.Hour)) {
		t.Fatalf("sealed %d through %s, want 48 through %s", res.Sealed, st.SealedThrough, t0.Add(-24*time.Hour))
	}
	checkChain(t, h, st)
	// A run a day later rechecks nothing old and seals the next 24 hours.
	calls := h.src.Calls()
	h.clock.Advance(24 * time.Hour)
	res = h.run()
	if res.Sealed != 24 {
		t.Fatalf("sealed %d, want 24", res.Sealed)
	}
	checkChain(t, h, h.state())
	if h.src.Calls()-calls > 6 {
		t.Fatalf("a day's catch-up of a quiet stream took %d queries", h.src.Calls()-calls)
	}
}

func TestQuietTenantBackfillTakesFewQueries(t *testing.T) {
	h := newHarness(t)
	h.set.Start = Start{Back: 29 * 24 * time.Hour}
	h.set.Recheck = nil
	h.src.serve(every("q", t0.Add(-29*24*time.Hour), t0, 5*time.Hour, time.Time{}, time.Time{}))
	h.run()
	// The licence check, one hour to learn the density, then the rest in
	// windows of at most three days (Graph times out on wider ones).
	if got, want := h.src.Calls(), 2+int((29*24*time.Hour-time.Hour+maxQueryWindow-1)/maxQueryWindow); got > want {
		t.Fatalf("%d queries for 29 days of a quiet tenant, want at most %d", got, want)
	}
	if got := len(partNames(h.readArchive())); got != 29*24 {
		t.Fatalf("%d partitions, want %d (each with its p000)", got, 29*24)
	}
}

// TestRetentionProbe: start: retention begins where Graph's data begins.
// A tenant whose sign-ins Graph serves is licensed: 30 days back to Graph's
// minimum allowed time, even for a quiet stream. Otherwise the stream's own
// records tell: records older than 7 days mean 30; none mean 7, and the
// probe has then read everything between, so no span is left unread.
func TestRetentionProbe(t *testing.T) {
	edge := audit.MinimumTime(t0) // 2026-10-21T00:00:00Z
	week := t0.Add(-7 * 24 * time.Hour)
	for _, tc := range []struct {
		name      string
		stream    audit.Stream
		free      bool
		records   []time.Time
		wantRet   time.Duration
		wantStart time.Time
	}{
		{"signins", audit.InteractiveSignIns, false, nil, 30 * 24 * time.Hour, edge},
		{"audits-of-a-licensed-tenant", audit.DirectoryAudits, false, nil, 30 * 24 * time.Hour, edge},
		{"audits-free-old-records", audit.DirectoryAudits, true, []time.Time{t0.Add(-20 * 24 * time.Hour)}, 30 * 24 * time.Hour, edge},
		// Between 8 and 7 days back: once left unread when the probe ended 8 days back.
		{"audits-free-eight-days", audit.DirectoryAudits, true, []time.Time{week.Add(-30 * time.Minute)}, 30 * 24 * time.Hour, edge},
		{"audits-free-quiet", audit.DirectoryAudits, true, []time.Time{week.Add(30 * time.Minute)}, 7 * 24 * time.Hour, week},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.set.Stream = tc.stream
			h.set.Start = Start{Retention: true}
			h.set.Partition = audit.Day // a month of hours would take long to seal
			h.set.Recheck = nil
			if tc.free {
				h.src.refuse = map[string]error{audit.InteractiveSignIns.Name: audit.ErrNoPremiumLicense}
			}
			want := []audit.Record{mkrec("new", t0.Add(-2*24*time.Hour), "")}
			for i, at := range tc.records {
				want = append(want, mkrec(fmt.Sprint("r", i), at, ""))
			}
			h.src.serve(want)
			h.run()
			st := h.state()
			if time.Duration(st.Retention) != tc.wantRet || !st.Start.Equal(tc.wantStart) {
				t.Fatalf("retention %s start %s, want %s from %s", time.Duration(st.Retention), st.Start, tc.wantRet, tc.wantStart)
			}
			if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(want...)); d != "" {
				t.Fatal(d)
			}
			if len(st.Lost) != 0 {
				t.Fatalf("start: retention recorded lost spans %+v", st.Lost)
			}
		})
	}
}

func TestBackfillDeduplicatesAndNeverMovesTheWatermark(t *testing.T) {
	h := newHarness(t)
	recs := every("b", t0.Add(-12*time.Hour), t0, 11*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run() // archives the last 6 hours
	before1 := h.state()
	j := h.job()
	res, err := j.Backfill(context.Background(), audit.Window{From: t0.Add(-10 * time.Hour), To: t0.Add(-3*time.Hour - 30*time.Minute)}, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// 14:00–18:00 is new; 18:00–21:00 was archived by the run already.
	if wantDups := len(before(recs, t0.Add(-6*time.Hour), t0.Add(-3*time.Hour))); res.Parts != 4 || res.Duplicates != wantDups {
		t.Fatalf("backfill wrote %d parts and dropped %d duplicates, want 4 and %d", res.Parts, res.Duplicates, wantDups)
	}
	after := h.state()
	if !after.Watermark.Equal(before1.Watermark) {
		t.Fatal("backfill moved the watermark")
	}
	// Again: everything is there already.
	res, err = j.Backfill(context.Background(), audit.Window{From: t0.Add(-10 * time.Hour), To: t0.Add(-time.Hour)}, progress.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Parts != 0 {
		t.Fatalf("repeated backfill wrote %d parts", res.Parts)
	}
	want := before(recs, audit.Hour.Floor(t0.Add(-10*time.Hour)), t0.Add(-15*time.Minute))
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(want...)); d != "" {
		t.Fatal(d)
	}
}

// TestBackfillOverSealedPartitions: a sealed partition is never changed,
// but a backfill that finds records Graph serves for it and it lacks (they
// arrived after the last recheck) says so and fails, rather than passing
// over them in silence; one that finds only what is archived succeeds.
func TestBackfillOverSealedPartitions(t *testing.T) {
	h := newHarness(t)
	h.set.Start = Start{Back: 48 * time.Hour}
	recs := every("s", t0.Add(-48*time.Hour), t0, 17*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run() // older than every recheck age: sealed at once
	if sealed := h.state().SealedThrough; !sealed.After(t0.Add(-30 * time.Hour)) {
		t.Fatalf("sealed through %s; the test needs old partitions sealed", sealed)
	}
	span := audit.Window{From: t0.Add(-40 * time.Hour), To: t0.Add(-38 * time.Hour)}
	blobs := len(h.readArchive())
	res, err := h.job().Backfill(context.Background(), span, progress.Discard)
	if err != nil || res.Unarchived != 0 || res.Parts != 0 {
		t.Fatalf("backfill of sealed, complete partitions: %+v, %v", res, err)
	}
	late := mkrec("late-after-seal", t0.Add(-39*time.Hour+time.Minute), "")
	old := recs[len(before(recs, time.Time{}, t0.Add(-39*time.Hour)))]
	revised := mkrec(old.ID, old.Time, "revised")
	h.src.add(version{rec: late})
	h.src.add(version{rec: revised})
	res, err = h.job().Backfill(context.Background(), span, progress.Discard)
	if !errors.Is(err, ErrSealedUnarchived) || res.Unarchived != 2 || res.Parts != 0 {
		t.Fatalf("backfill finding 2 records a sealed partition lacks: %+v, %v; want Unarchived 2, no part, ErrSealedUnarchived", res, err)
	}
	if got := len(h.readArchive()); got != blobs {
		t.Fatalf("the archive has %d parts, had %d: a sealed partition changed", got, blobs)
	}
}

// TestPartitionChangeRefused: switching an archived job from hour to day
// partitions would archive its records again (parts deduplicate against
// their own partition), so the job refuses, naming the fix, and writes
// nothing; switching back works.
func TestPartitionChangeRefused(t *testing.T) {
	h := newHarness(t)
	recs := every("p", t0.Add(-6*time.Hour), t0, 7*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run()
	if got := h.state().Partition; got != "hour" {
		t.Fatalf("state partition %q, want hour", got)
	}
	blobs := len(h.readArchive())
	h.clock.Advance(3 * time.Hour)
	h.set.Partition = audit.Day
	if _, err := h.job().Run(context.Background()); !errors.Is(err, ErrPartitionChanged) || !strings.Contains(err.Error(), "set partition: hour back") {
		t.Fatalf("run with day partitions: %v, want ErrPartitionChanged naming the fix", err)
	}
	if _, err := h.job().Backfill(context.Background(), audit.Window{From: t0.Add(-6 * time.Hour), To: t0}, progress.Discard); !errors.Is(err, ErrPartitionChanged) {
		t.Fatalf("backfill with day partitions: %v, want ErrPartitionChanged", err)
	}
	h.set.Partition = audit.Hour
	if got := len(h.readArchive()); got != blobs {
		t.Fatalf("%d parts after the refused runs, want %d", got, blobs)
	}
	h.run()
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(recs...)); d != "" {
		t.Fatal(d)
	}
}

// TestPartitionChangeAfterUpgrade: a state written before the granularity
// was recorded is read from the archive, so the change is refused too.
func TestPartitionChangeAfterUpgrade(t *testing.T) {
	for _, sealed := range []bool{true, false} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			h := newHarness(t)
			if sealed {
				h.set.Start = Start{Back: 48 * time.Hour}
			}
			h.src.serve(every("u", t0.Add(-48*time.Hour), t0, 29*time.Minute, time.Time{}, time.Time{}))
			h.run()
			st, version, _, err := h.store.Load(context.Background(), h.set.Tenant, h.set.Stream.Name)
			if err != nil || (st.LastManifest != "") != sealed {
				t.Fatalf("state %+v, %v; want sealed partitions: %v", st, err, sealed)
			}
			st.Partition = "" // as an older build wrote it
			if _, err := h.store.Save(context.Background(), h.set.Tenant, h.set.Stream.Name, st, version); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(3 * time.Hour)
			h.set.Partition = audit.Day
			if _, err := h.job().Run(context.Background()); !errors.Is(err, ErrPartitionChanged) {
				t.Fatalf("run with day partitions over an hour archive: %v, want ErrPartitionChanged", err)
			}
		})
	}
}

// TestLostStateIsNotAFreshStart: a job whose state document is gone but
// whose archive is sealed refuses to start over (a second chain, and with a
// changed partition every record again); a stream that was only
// backfilled, with parts but no manifests, starts normally.
func TestLostStateIsNotAFreshStart(t *testing.T) {
	h := newHarness(t)
	h.set.Start = Start{Back: 48 * time.Hour}
	recs := every("l", t0.Add(-48*time.Hour), t0, 23*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run()
	blobs := len(h.readArchive())
	if err := h.sink.Delete(context.Background(), layout.Layout{}.StateName(h.set.Tenant, h.set.Stream.Name)); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	if _, err := h.job().Run(context.Background()); !errors.Is(err, ErrStateLost) || !strings.Contains(err.Error(), "restore the state document") {
		t.Fatalf("run without state over a sealed archive: %v, want ErrStateLost", err)
	}
	if got := len(h.readArchive()); got != blobs {
		t.Fatalf("%d parts after the refused run, want %d", got, blobs)
	}

	b := newHarness(t)
	b.src.serve(recs)
	if _, err := b.job().Backfill(context.Background(), audit.Window{From: t0.Add(-10 * time.Hour), To: t0.Add(-8 * time.Hour)}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	b.run() // starts 6 h back, after the backfilled hours
	want := append(before(recs, t0.Add(-10*time.Hour), t0.Add(-8*time.Hour)), before(recs, t0.Add(-6*time.Hour), t0.Add(-15*time.Minute))...)
	if d := diffStrings(b.jsonlRecords(b.readArchive()), raws(want...)); d != "" {
		t.Fatal(d)
	}
}

func TestDayPartitionsAndAllFormats(t *testing.T) {
	h := newHarness(t)
	h.set.Partition = audit.Day
	h.set.Formats = []string{"csv", "json", "jsonl"}
	h.set.Gzip = false
	h.set.Start = Start{Back: 50 * time.Hour}
	recs := every("d", t0.Add(-50*time.Hour), t0, 13*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run()
	parts := h.readArchive()
	byFormat := map[string]int{}
	for _, p := range parts {
		byFormat[p.format] += len(p.records)
		if p.p.Granularity != audit.Day {
			t.Fatalf("%s is not a day partition", p.name)
		}
	}
	want := before(recs, audit.Day.Floor(t0.Add(-50*time.Hour)), t0.Add(-15*time.Minute))
	for _, f := range []string{"jsonl", "json", "csv"} {
		if byFormat[f] != len(want) {
			t.Fatalf("%s holds %d records, want %d", f, byFormat[f], len(want))
		}
	}
	if d := diffStrings(h.jsonlRecords(parts), raws(want...)); d != "" {
		t.Fatal(d)
	}
}
