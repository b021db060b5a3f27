package job

import (
	"context"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// TestWideWindowTimesOutAndIsSplit: Graph answers 504 on the first page of
// a wide query every time. The job splits the window instead of failing the
// same way every run, and its next windows stay narrow enough.
func TestWideWindowTimesOutAndIsSplit(t *testing.T) {
	h := newHarness(t)
	h.src.timeoutOver = 20 * time.Minute
	recs := every("w", t0.Add(-6*time.Hour), t0, 7*time.Minute, time.Time{}, time.Time{})
	h.src.serve(recs)
	h.run()
	if d := diffStrings(h.jsonlRecords(h.readArchive()), raws(before(recs, t0.Add(-6*time.Hour), t0.Add(-15*time.Minute))...)); d != "" {
		t.Fatal(d)
	}
	timedOut := 0
	for _, w := range h.src.Windows() {
		if w.Duration() > h.src.timeoutOver {
			timedOut++
		}
	}
	// The first hour and its first half time out; after that the planner
	// keeps below the width that timed out.
	if timedOut > 3 {
		t.Fatalf("%d windows timed out, want the planner to learn after the first (windows %v)", timedOut, h.src.Windows())
	}
}

// TestQueryWindowsNeverExceedThreeDays: a quiet stream's month is not one
// query: Graph times out on wide ones (Microsoft: "begin with a call that
// requests three days of data").
func TestQueryWindowsNeverExceedThreeDays(t *testing.T) {
	h := newHarness(t)
	h.set.Partition = audit.Day
	h.set.Stream = audit.DirectoryAudits
	h.set.Start = Start{Back: 29 * 24 * time.Hour}
	h.src.serve(every("m", t0.Add(-29*24*time.Hour), t0, 9*time.Hour, time.Time{}, time.Time{}))
	h.run()
	for _, w := range h.src.Windows() {
		if w.Duration() > 72*time.Hour {
			t.Fatalf("query window %s is wider than three days", w)
		}
	}
}

// TestPlannerSizesFromWhatGraphServed: with a filter that keeps one record
// in ten, Graph still serves (and scans) the other nine; windows sized by
// what the filter kept would be ten times too wide.
func TestPlannerSizesFromWhatGraphServed(t *testing.T) {
	h := newHarness(t)
	h.set.Start = Start{Back: 12 * time.Hour}
	h.src.hidden = 9
	h.src.serve(every("p", t0.Add(-12*time.Hour), t0, time.Minute, time.Time{}, time.Time{}))
	j := h.job()
	j.plan.target = 100 // 100 records served per query: 10 minutes at 10 a minute
	if _, err := j.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ws := h.src.Windows()
	for _, w := range ws[2:] { // the licence check, then an hour sized without knowledge
		if w.Duration() > 15*time.Minute {
			t.Fatalf("query window %s of %d: sized by what the filter kept, not by what Graph served", w, len(ws))
		}
	}
}

// TestLicenceFromState: a sign-in stream that archived before proves the
// tenant licensed, so a new process tells its source, which then retries
// Graph's intermittent licence 403; a stream that never got going does not.
func TestLicenceFromState(t *testing.T) {
	h := newHarness(t)
	h.src.serve(every("l", t0.Add(-6*time.Hour), t0, 17*time.Minute, time.Time{}, time.Time{}))
	h.run()
	src := &licensingSource{fakeSource: h.src}
	j := New(h.set, Deps{Source: src, Sink: h.sink, State: h.store, Clock: h.clock.Now, TempDir: t.TempDir()})
	h.clock.Advance(time.Hour)
	if _, err := j.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !src.noted {
		t.Fatal("the state shows the sign-ins archived, but the source was not told the tenant is licensed")
	}

	fresh := newHarness(t)
	fresh.src.refuse = map[string]error{audit.InteractiveSignIns.Name: audit.ErrNoPremiumLicense}
	src = &licensingSource{fakeSource: fresh.src}
	j = New(fresh.set, Deps{Source: src, Sink: fresh.sink, State: fresh.store, Clock: fresh.clock.Now, TempDir: t.TempDir()})
	if _, err := j.Run(context.Background()); err == nil {
		t.Fatal("a Free tenant's sign-ins ran")
	}
	if src.noted {
		t.Fatal("a tenant whose sign-ins never worked was noted as licensed")
	}
}

// licensingSource is a fake source that records NoteLicensed.
type licensingSource struct {
	*fakeSource
	noted bool
}

func (s *licensingSource) Licensed() bool { return s.noted }
func (s *licensingSource) NoteLicensed()  { s.noted = true }
