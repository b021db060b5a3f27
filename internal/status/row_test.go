package status

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// A job whose first runs failed before it could start shows the failure,
// not "never run", and no lag or risk.
func TestRowOfAJobThatFailedToStart(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	j := Job{Tenant: "free", Stream: "interactive-signins", Partition: audit.Hour, RetentionWarning: 5 * 24 * time.Hour}
	st := state.State{LastRun: &state.Run{Started: now.Add(-time.Minute), Finished: now, Result: "failed",
		Error: "sign-in logs need Entra ID P1 or P2"}}
	r := row(j, st, true, now)
	if r.NeverRun || r.LastRun == nil || r.LastRun.Error != st.LastRun.Error || r.Lag != nil || r.RetentionRisk {
		t.Fatalf("row %+v", r)
	}
	if got := watermarkText(r); got != "not started" {
		t.Fatalf("watermark text %q", got)
	}
	if r := row(j, state.State{}, false, now); !r.NeverRun || r.LastRun != nil {
		t.Fatalf("never run row %+v", r)
	}
}

// dayState tells a known loss from a gap: partitions in a never-read span
// have no p000 by design; anything else without one is a gap.
func TestDayStateOfLostSpans(t *testing.T) {
	d := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return d.Add(time.Duration(h) * time.Hour) }
	never := func(from, to time.Time) state.LostSpan {
		return state.LostSpan{From: from, To: to, Reason: "before Graph's minimum allowed time"}
	}
	// hours lists a p000 for each hour of the day in [from, to).
	hours := func(from, to int, except ...int) dayListing {
		l := dayListing{}
		for h := from; h < to; h++ {
			if slices.Contains(except, h) {
				continue
			}
			l[audit.Hour.Of(at(h)).Label()] = withP000(audit.Hour.Of(at(h)), 1)
		}
		return l
	}
	hourly := Job{Partition: audit.Hour}
	daily := Job{Partition: audit.Day}
	for _, tt := range []struct {
		name    string
		job     Job
		st      state.State
		listing dayListing
		want    DayState
	}{
		{"whole day never read", hourly,
			state.State{Start: at(-48), Watermark: at(48), Lost: []state.LostSpan{never(at(-24), at(30))}}, hours(0, 0), Lost},
		{"first six hours never read, the rest archived", hourly,
			state.State{Start: at(0), Watermark: at(48), Lost: []state.LostSpan{never(at(0), at(6))}}, hours(6, 24), Lost},
		{"two adjacent spans of different reasons cover an hour", hourly,
			state.State{Start: at(0), Watermark: at(48), Lost: []state.LostSpan{never(at(0), at(3).Add(30*time.Minute)),
				{From: at(3).Add(30 * time.Minute), To: at(6), Reason: "another"}}}, hours(6, 24), Lost},
		{"a lost day with a gap besides is a gap", hourly,
			state.State{Start: at(0), Watermark: at(48), Lost: []state.LostSpan{never(at(0), at(6))}}, hours(6, 24, 15), Gap},
		{"an hour only half in the span needs its p000", hourly,
			state.State{Start: at(0), Watermark: at(48), Lost: []state.LostSpan{never(at(0), at(5).Add(30*time.Minute))}}, hours(6, 24), Gap},
		{"a span only a recheck missed excuses no p000", hourly,
			state.State{Start: at(0), Watermark: at(48), Lost: []state.LostSpan{{From: at(0), To: at(6), Recheck: "72h0m0s"}}}, hours(6, 24), Gap},
		{"a span never read before the job's start", hourly,
			state.State{Start: at(24), Watermark: at(48), Lost: []state.LostSpan{never(at(-24), at(24))}}, hours(0, 0), Lost},
		{"before the start and not lost", hourly,
			state.State{Start: at(24), Watermark: at(48), Lost: []state.LostSpan{never(at(-24), at(-12))}}, hours(0, 0), None},
		{"the day that holds the watermark, partly lost", hourly,
			state.State{Start: at(-24), Watermark: at(12), Lost: []state.LostSpan{never(at(-24), at(3))}}, hours(3, 12), Lost},
		{"a day partition never read", daily,
			state.State{Start: at(-24), Watermark: at(48), Lost: []state.LostSpan{never(at(-24), at(24))}}, dayListing{}, Lost},
		{"a day partition archived before the span began", daily,
			state.State{Start: at(-24), Watermark: at(48), Lost: []state.LostSpan{never(at(10), at(30))}},
			dayListing{audit.Day.Of(d).Label(): withP000(audit.Day.Of(d), 5)}, Complete},
	} {
		if got := dayState(tt.job, tt.st, true, d, tt.listing); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// withP000 is a listing of partition p holding a jsonl p000 of records.
func withP000(p audit.Partition, records int64) *read.Partition {
	meta := map[string]string{archive.MetaRecords: strconv.FormatInt(records, 10)}
	b := read.Blob{Part: layout.Part{Partition: p, Format: "jsonl"}, Object: archive.Object{Metadata: meta}}
	return &read.Partition{Partition: p, Parts: []read.Part{{Number: 0, Blobs: []read.Blob{b}}}}
}

// A row carries the state's lost spans, the never-read length and the
// quarantine count; a recheck-missed span adds no lost seconds.
func TestRowOfLostSpans(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	st := state.State{Start: now.Add(-40 * 24 * time.Hour), Watermark: now.Add(-time.Hour), Quarantined: 3, RecordsPerDay: 1500}
	st.NoteLost(state.LostSpan{From: st.Start, To: now.Add(-30 * 24 * time.Hour), Reason: "outage"})
	st.NoteLost(state.LostSpan{From: now.Add(-29 * 24 * time.Hour), To: now.Add(-28 * 24 * time.Hour), Recheck: "72h0m0s", Reason: "late"})
	r := row(Job{Tenant: "contoso", Stream: "interactive-signins", Partition: audit.Hour}, st, true, now)
	if len(r.Lost) != 2 || !r.Lost[0].Never() || r.Lost[1].Never() || r.Lost[1].Recheck != "72h0m0s" || r.Lost[0].Reason != "outage" ||
		time.Duration(r.LostSeconds) != 10*24*time.Hour || r.Quarantined != 3 || r.RecordsPerDay != 1500 {
		t.Fatalf("row %+v", r)
	}
	if got := lostText(r); got != "10d00h+1 recheck" {
		t.Errorf("lost text %q", got)
	}
	if got := ageText(r.Lost[1].Recheck); got != "72h" {
		t.Errorf("age text %q", got)
	}
	for _, tt := range []struct {
		ratio float64
		want  string
	}{{0, "-"}, {0.0133, "1%"}, {0.79999, "79%"}, {0.8, "80%-HIGH"}, {1.25, "125%-HIGH"}} {
		if got := needText(Row{BudgetNeedRatio: tt.ratio}); got != tt.want {
			t.Errorf("need text of %v: %q, want %q", tt.ratio, got, tt.want)
		}
	}
}

// TestRowOfAJobThatNeverSucceeded: a job no run of which ended ok says so
// in the text, the JSON and the page, instead of a lag of 0 and "Retention
// ok"; one that worked before and fails now does not, and neither does one
// whose state predates last_ok but whose last run was ok.
func TestRowOfAJobThatNeverSucceeded(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	j := Job{Tenant: "contoso", Stream: "interactive-signins", Partition: audit.Hour, RetentionWarning: 5 * 24 * time.Hour}
	failed := &state.Run{Started: now.Add(-time.Minute), Finished: now, Result: "failed", Error: "no token"}
	ok := &state.Run{Started: now.Add(-time.Minute), Finished: now, Result: "ok"}
	started := state.State{Start: now.Add(-48 * time.Hour), Watermark: now.Add(-time.Hour), Retention: state.Duration(30 * 24 * time.Hour)}
	with := func(st state.State, run *state.Run, lastOK time.Time) state.State {
		st.LastRun, st.LastOK = run, lastOK
		return st
	}
	for _, tc := range []struct {
		name             string
		st               state.State
		found            bool
		never            bool
		result, wm, lag  string
		retention, jsonL string
	}{
		{"never run", state.State{}, false, true, "-", "never run", "-", "-", `"lag_seconds":null`},
		{"failed to start", with(state.State{}, failed, time.Time{}), true, true, "failed (never succeeded)", "not started", "-", "-", `"lag_seconds":null`},
		{"started, never ok", with(started, failed, time.Time{}), true, true, "failed (never succeeded)", "2026-11-27 11:00Z", "1h00m", "ok", `"lag_seconds":3600`},
		{"worked before", with(started, failed, now.Add(-time.Hour)), true, false, "failed", "2026-11-27 11:00Z", "1h00m", "ok", `"lag_seconds":3600`},
		{"state before last_ok", with(started, ok, time.Time{}), true, false, "ok", "2026-11-27 11:00Z", "1h00m", "ok", `"lag_seconds":3600`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := row(j, tc.st, tc.found, now)
			r.Configured = true
			if r.NeverSucceeded != tc.never || resultText(r) != tc.result || watermarkText(r) != tc.wm || lagText(r) != tc.lag {
				t.Errorf("never succeeded %v, result %q, watermark %q, lag %q; want %v, %q, %q, %q",
					r.NeverSucceeded, resultText(r), watermarkText(r), lagText(r), tc.never, tc.result, tc.wm, tc.lag)
			}
			data, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), `"never_succeeded":`+strconv.FormatBool(tc.never)) || !strings.Contains(string(data), tc.jsonL) {
				t.Errorf("JSON %s, want never_succeeded %v and %s", data, tc.never, tc.jsonL)
			}
			var page bytes.Buffer
			if err := pageTemplate.Execute(&page, newView(Report{Generated: now, Rows: []Row{r}})); err != nil {
				t.Fatal(err)
			}
			cells := regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(page.String(), -1)
			if len(cells) < 6 || cells[2][1] != `<span class="tag `+resultClass(r)+`">`+tc.result+`</span>` ||
				cells[3][1] != tc.lag || cells[4][1] != tc.retention || cells[5][1] != tc.wm {
				t.Errorf("page cells %q, want result %q, lag %q, retention %q, watermark %q", cells, tc.result, tc.lag, tc.retention, tc.wm)
			}
			summary := `<li class="bad">1 never succeeded</li>`
			if want := tc.never && tc.found; strings.Contains(page.String(), summary) != want {
				t.Errorf("page summary has %s: %v, want %v", summary, !want, want)
			}
		})
	}
}
