package status_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/capacity"
	"github.com/entra-archiver/entra-archiver/internal/state"
	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/status/statustest"
)

// t0 is the fixture's now: the archive's last runs happened at noon.
var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func date(day int) time.Time { return time.Date(2026, 11, day, 0, 0, 0, 0, time.UTC) }

func octDate(day int) time.Time { return time.Date(2026, 10, day, 0, 0, 0, 0, time.UTC) }

func collect(t *testing.T, o status.Options) status.Report {
	t.Helper()
	rep, err := status.Collect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestCollectRows(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	rep := collect(t, f.Options())
	if !rep.Generated.Equal(t0) {
		t.Errorf("generated %s, want %s", rep.Generated, t0)
	}
	type want struct {
		tenant, stream string
		neverRun       bool
		start          time.Time
		watermark      time.Time
		lag            time.Duration
		retention      time.Duration
		risk           bool
		result         string
		errorHas       string
	}
	wm := t0.Add(-15 * time.Minute) // now − settle
	contosoStart := t0.Add(-52 * time.Hour).Truncate(time.Hour)
	wants := []want{
		{"contoso", "interactive-signins", false, contosoStart, wm, 15 * time.Minute, 30 * 24 * time.Hour, false, "ok", ""},
		{"contoso", "directory-audits", false, contosoStart, wm, 15 * time.Minute, 30 * 24 * time.Hour, false, "ok", ""},
		// A 7-day tenant starts at its edge (floored to the day) and
		// failed after the first day: 2 days from the edge, within the
		// 5-day warning.
		// Streams run in contract order, whatever order the config names.
		{"fabrikam", "directory-audits", true, time.Time{}, time.Time{}, 0, 0, false, "", ""},
		{"fabrikam", "provisioning", false, octDate(22), octDate(23), 28*24*time.Hour + 12*time.Hour, 30 * 24 * time.Hour, true, "failed", statustest.FailureText},
	}
	if len(rep.Rows) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(rep.Rows), len(wants), rep.Rows)
	}
	for i, w := range wants {
		r := rep.Rows[i]
		if r.Tenant != w.tenant || r.Stream != w.stream || r.NeverRun != w.neverRun || !r.Start.Equal(w.start) ||
			!r.Watermark.Equal(w.watermark) || lagOf(r) != w.lag || time.Duration(r.Retention) != w.retention ||
			r.RetentionRisk != w.risk || r.Error != "" {
			t.Errorf("row %d = %+v\nwant %+v", i, r, w)
		}
		if r.Schedule != "@every 15m" {
			t.Errorf("row %d schedule %q", i, r.Schedule)
		}
		if w.neverRun {
			if r.LastRun != nil || !r.RetentionEdge.IsZero() {
				t.Errorf("never-run row %d has a last run or edge: %+v", i, r)
			}
			continue
		}
		if !r.RetentionEdge.Equal(t0.Add(-w.retention)) {
			t.Errorf("row %d retention edge %s, want %s", i, r.RetentionEdge, t0.Add(-w.retention))
		}
		if r.LastRun == nil || r.LastRun.Result != w.result || !strings.Contains(r.LastRun.Error, w.errorHas) ||
			!r.LastRun.Started.Equal(t0) || !r.LastRun.Finished.Equal(t0) {
			t.Errorf("row %d last run %+v, want result %q with error containing %q at %s", i, r.LastRun, w.result, w.errorHas, t0)
		}
	}
	// The second contoso run archived from the first watermark (10:00 −
	// 15m) to 11:45, a sign-in every 20 minutes, and the late one.
	if got := rep.Rows[0].LastRun.Records; got != 7 {
		t.Errorf("last run of contoso/interactive-signins archived %d records, want 7", got)
	}
	for i, r := range rep.Rows {
		st, _, _, err := f.State.Load(context.Background(), r.Tenant, r.Stream)
		if err != nil {
			t.Fatal(err)
		}
		if !r.SealedThrough.Equal(st.SealedThrough) {
			t.Errorf("row %d sealed through %s, state says %s", i, r.SealedThrough, st.SealedThrough)
		}
	}
	if rep.Rows[0].SealedThrough.IsZero() {
		t.Error("contoso/interactive-signins: nothing sealed, want the partitions past the last recheck")
	}
}

// TestCollectLossQuarantineAndBudget: each row shows its job's lost spans
// (the never-read length apart), its quarantined records and its tenant's
// Graph budget need, from the states and the configuration.
func TestCollectLossQuarantineAndBudget(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	rep := collect(t, f.Options())
	span := func(l state.LostSpan) status.LostSpan {
		return status.LostSpan{From: l.From, To: l.To, Recheck: l.Recheck, Reason: l.Reason}
	}
	// Every 15 minutes is 96 runs a day; recheck [2h, 24h] makes three
	// passes; 5 requests per 10 s allow 43,200 requests a day; a request
	// reads 1,000 records.
	need := func(recordsPerDay float64) float64 { return 3 * (96 + recordsPerDay/1000) }
	contoso := (need(12_000_000) + need(100_000)) / 43_200
	fabrikam := (need(8) + need(0)) / 43_200 // directory-audits never ran: its runs still cost
	wants := []struct {
		lost        []status.LostSpan
		lostTime    time.Duration
		quarantined int64
		dir         string
		perDay      float64
		ratio       float64
		high        bool
	}{
		{[]status.LostSpan{span(f.RecheckMissed)}, 0, 2, "_quarantine/contoso/interactive-signins/", 12_000_000, contoso, true},
		{[]status.LostSpan{span(f.NeverRead)}, 6 * time.Hour, 0, "", 100_000, contoso, true},
		{[]status.LostSpan{}, 0, 0, "", 0, fabrikam, false},
		{[]status.LostSpan{}, 0, 0, "", 8, fabrikam, false},
	}
	for i, w := range wants {
		r := rep.Rows[i]
		if !slices.Equal(r.Lost, w.lost) || time.Duration(r.LostSeconds) != w.lostTime || r.Quarantined != w.quarantined ||
			r.QuarantineDir != w.dir || r.RecordsPerDay != w.perDay || math.Abs(r.BudgetNeedRatio-w.ratio) > 1e-12 ||
			r.BudgetNeedHigh() != w.high || r.KnownLoss() != (len(w.lost) > 0) {
			t.Errorf("row %d %s/%s: lost %+v (%s), quarantined %d in %q, %v a day, need %v (high %v)\nwant %+v",
				i, r.Tenant, r.Stream, r.Lost, time.Duration(r.LostSeconds), r.Quarantined, r.QuarantineDir, r.RecordsPerDay,
				r.BudgetNeedRatio, r.BudgetNeedHigh(), w)
		}
	}
	if len(f.Quarantined) != 2 {
		t.Fatalf("fixture quarantined %d records", len(f.Quarantined))
	}

	// Without a rate limit the need is unknown, and the rest is unchanged.
	o := f.Options()
	for i := range o.Jobs {
		o.Jobs[i].RateLimit = capacity.Rate{}
	}
	for i, r := range collect(t, o).Rows {
		if r.BudgetNeedRatio != 0 || r.Quarantined != rep.Rows[i].Quarantined {
			t.Errorf("row %d without a rate limit: need %v", i, r.BudgetNeedRatio)
		}
	}
	// Two tenant names that are one directory read by one app share its
	// budget: fabrikam's jobs now add to contoso's need.
	o = f.Options()
	for i := range o.Jobs {
		o.Jobs[i].BudgetGroup = "one-app"
	}
	for i, r := range collect(t, o).Rows {
		if want := contoso + fabrikam; math.Abs(r.BudgetNeedRatio-want) > 1e-12 {
			t.Errorf("row %d with one budget: need %v, want %v", i, r.BudgetNeedRatio, want)
		}
	}
}

func TestCollectCoverage(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	rep := collect(t, f.Options())
	if len(rep.Coverage) != 4 {
		t.Fatalf("coverage of %d streams, want 4", len(rep.Coverage))
	}
	wantLines := map[string]string{
		// 18th: from the start at 08:00, one p000 left as csv only, still
		// complete; 19th: a p000 was deleted; 20th: holds the watermark.
		"contoso/interactive-signins": strings.Repeat(".", 32) + "#!+",
		// 18th: its first six hours were never read (a known loss).
		"contoso/directory-audits": strings.Repeat(".", 32) + "x#+",
		// The watermark stopped at the start of the 14th.
		"fabrikam/provisioning":     strings.Repeat(".", 5) + "#" + strings.Repeat(".", 29),
		"fabrikam/directory-audits": strings.Repeat(".", 35),
	}
	for i, c := range rep.Coverage {
		key := c.Tenant + "/" + c.Stream
		if row := rep.Rows[i]; row.Tenant != c.Tenant || row.Stream != c.Stream {
			t.Fatalf("coverage %d is %s, row %d is %s/%s", i, key, i, row.Tenant, row.Stream)
		}
		if len(c.Days) != status.DefaultDays || !c.Days[0].Date.Equal(date(20).AddDate(0, 0, -34)) || !c.Days[34].Date.Equal(date(20)) {
			t.Fatalf("%s: %d days from %s, want 35 days to %s", key, len(c.Days), c.Days[0].Date, date(20))
		}
		var line strings.Builder
		for _, d := range c.Days {
			line.WriteString(d.State.Symbol())
		}
		if line.String() != wantLines[key] {
			t.Errorf("%s coverage\n got %s\nwant %s", key, line.String(), wantLines[key])
		}
		st, _, found, err := f.State.Load(context.Background(), c.Tenant, c.Stream)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range c.Days {
			want := archivedOn(f, key, st, found, d.Date)
			if d.Records != want {
				t.Errorf("%s %s: %d records, want %d", key, d.Date.Format(time.DateOnly), d.Records, want)
			}
		}
	}
}

// archivedOn is the ground truth: the records served with event time on day
// d between the job's start and its watermark, less the deleted p000.
func archivedOn(f *statustest.Fixture, key string, st state.State, found bool, d time.Time) int64 {
	if !found {
		return 0
	}
	var n int64
	for _, at := range f.Served[key] {
		if at.Before(st.Start) || !at.Before(st.Watermark) || !audit.Day.Floor(at).Equal(d) {
			continue
		}
		if key == "contoso/interactive-signins" && f.Gap.Window().Contains(at) && !at.Equal(f.Late) {
			continue
		}
		if key == "contoso/directory-audits" && !at.Before(f.NeverRead.From) && at.Before(f.NeverRead.To) {
			continue
		}
		n++
	}
	return n
}

// failingStore fails Load for one stream.
type failingStore struct {
	state.Store
	stream string
}

func (s failingStore) Load(ctx context.Context, tenant, stream string) (state.State, string, bool, error) {
	if stream == s.stream {
		return state.State{}, "", false, errors.New("state service unavailable")
	}
	return s.Store.Load(ctx, tenant, stream)
}

// failingSink fails List below one prefix.
type failingSink struct {
	archive.Sink
	prefix string
}

func (s failingSink) List(ctx context.Context, prefix string, fn func(archive.Object) error) error {
	if strings.HasPrefix(prefix, s.prefix) {
		return errors.New("listing refused")
	}
	return s.Sink.List(ctx, prefix, fn)
}

// TestCollectReadErrorsStayInTheirRow: an unreadable state or day folder
// marks its row and its days unknown; the other rows are unaffected.
func TestCollectReadErrorsStayInTheirRow(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	good := collect(t, f.Options())

	o := f.Options()
	o.State = failingStore{Store: f.State, stream: "provisioning"}
	o.Sink = failingSink{Sink: f.Sink, prefix: "contoso/directory-audits/y=2026/m=11/d=19/"}
	rep := collect(t, o)

	prov := rep.Rows[3]
	if !strings.Contains(prov.Error, "read state: state service unavailable") || prov.LastRun != nil || !prov.Watermark.IsZero() || prov.NeverRun {
		t.Errorf("provisioning row with unreadable state: %+v", prov)
	}
	for _, d := range rep.Coverage[3].Days {
		if d.State != status.Unknown {
			t.Errorf("provisioning %s is %s with its state unreadable, want unknown", d.Date, d.State)
		}
	}
	audits := rep.Rows[1]
	if !strings.Contains(audits.Error, "list contoso/directory-audits/y=2026/m=11/d=19/: listing refused") {
		t.Errorf("directory-audits row error %q, want the failed listing", audits.Error)
	}
	for k, d := range rep.Coverage[1].Days {
		want := good.Coverage[1].Days[k]
		if d.Date.Equal(date(19)) {
			want.State, want.Records = status.Unknown, 0
		}
		if d != want {
			t.Errorf("directory-audits day %d = %+v, want %+v", k, d, want)
		}
	}
	for _, i := range []int{0, 2} {
		if rep.Rows[i].Error != "" || rep.Rows[i].Watermark != good.Rows[i].Watermark {
			t.Errorf("row %d changed by another row's errors: %+v", i, rep.Rows[i])
		}
	}
}

func TestCollectNeedsStorage(t *testing.T) {
	if _, err := status.Collect(context.Background(), status.Options{}); !errors.Is(err, status.ErrOptions) {
		t.Fatalf("Collect without storage = %v, want ErrOptions", err)
	}
}

func TestCollectStopsWithItsContext(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := status.Collect(ctx, f.Options()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Collect with a cancelled context = %v, want context.Canceled", err)
	}
}

// lostStore has no state document for one stream.
type lostStore struct {
	state.Store
	stream string
}

func (s lostStore) Load(ctx context.Context, tenant, stream string) (state.State, string, bool, error) {
	if stream == s.stream {
		return state.State{}, "", false, nil
	}
	return s.Store.Load(ctx, tenant, stream)
}

// TestCollectLostState: a stream whose archive holds records but which has
// no state document is not shown as "never run" but as a problem.
func TestCollectLostState(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	o := f.Options()
	o.State = lostStore{Store: f.State, stream: "interactive-signins"}
	rep := collect(t, o)
	if r := rep.Rows[0]; r.NeverRun || !strings.Contains(r.Error, "no state document, yet the archive holds records") {
		t.Errorf("row of a stream with records and no state: %+v", r)
	}
	if r := rep.Rows[3]; r.Error != "" {
		t.Errorf("another row changed: %+v", r)
	}
}

// lagOf is a row's lag, 0 when it has none.
func lagOf(r status.Row) time.Duration {
	if r.Lag == nil {
		return 0
	}
	return time.Duration(*r.Lag)
}
