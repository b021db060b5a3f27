package graphsim

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// lateTenant adds late, re-published and revised records to baseTenant.
func lateTenant(o *Options) {
	o.Tenants[0].Late = Late{Fraction: 0.3, Min: 10 * time.Minute, Max: 3 * time.Hour}
	o.Tenants[0].Republish = 0.2
	o.Tenants[0].Revise = 0.2
}

// inWindow keeps the archivable records inside w (ge/le queries include
// records at w.To); rejects, which show no time, are dropped.
func inWindow(t *testing.T, st audit.Stream, w audit.Window, recs [][]byte) [][]byte {
	var out [][]byte
	recs, _ = splitRejects(t, st, recs)
	for _, r := range recs {
		if w.Contains(recordTime(t, st, r)) {
			out = append(out, r)
		}
	}
	return out
}

// sortedUnique sorts raw records by (time, id, bytes) and drops identical
// copies, the way Visible reports them.
func sortedUnique(t *testing.T, st audit.Stream, recs [][]byte) [][]byte {
	type rec struct {
		r   audit.Record
		raw []byte
	}
	var rs []rec
	for _, raw := range recs {
		r, err := audit.ParseRecord(raw, st.TimeField)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, rec{r, raw})
	}
	slices.SortFunc(rs, func(a, b rec) int { return audit.Compare(&a.r, &b.r) })
	var out [][]byte
	for k, r := range rs {
		if k > 0 && bytes.Equal(r.raw, rs[k-1].raw) {
			continue
		}
		out = append(out, r.raw)
	}
	return out
}

func equalRecords(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d records, want %d", what, len(got), len(want))
	}
	for k := range got {
		if !bytes.Equal(got[k], want[k]) {
			t.Fatalf("%s: record %d differs:\n got %.300s\nwant %.300s", what, k, got[k], want[k])
		}
	}
}

func TestPagingYieldsVisible(t *testing.T) {
	s, _ := startSim(t, lateTenant)
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	// The last two hours, where late records are still arriving.
	w := audit.Window{From: testNow.Add(-2 * time.Hour).Truncate(time.Hour), To: testNow}
	copies := 0
	for _, st := range audit.Streams {
		t.Run(st.Name, func(t *testing.T) {
			all, pages := fetchAll(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=97"))
			got := inWindow(t, st, w, all)
			if pages < 3 {
				t.Fatalf("only %d pages", pages)
			}
			if n := ten.Count(st.Name, w, testNow); n != len(got) {
				t.Errorf("Count = %d, query returned %d entries", n, len(got))
			}
			want := ten.Visible(st.Name, w, testNow)
			copies += len(got) - len(want)
			equalRecords(t, st.Name, sortedUnique(t, st, got), want)
			_, rejects := splitRejects(t, st, all)
			equalRecords(t, st.Name+" rejects", sortedSet(rejects), sortedSet(ten.Rejected(st.Name, w, testNow)))
		})
	}
	if copies == 0 {
		t.Fatal("no re-published copies served: the test proves nothing")
	}
}

func TestPageOrder(t *testing.T) {
	s, _ := startSim(t, nil)
	tok := fetchToken(t, s)
	w := audit.Window{From: testNow.Add(-30 * time.Hour), To: testNow.Add(-29 * time.Hour)}
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.ManagedIdentitySignIns, audit.DirectoryAudits, audit.Provisioning} {
		recs, _ := fetchAll(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=50"))
		var times []time.Time
		for _, r := range recs {
			times = append(times, recordTime(t, st, r))
		}
		asc := slices.IsSortedFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		desc := slices.IsSortedFunc(times, func(a, b time.Time) int { return b.Compare(a) })
		switch {
		case st.SignIns && !desc:
			t.Errorf("%s: not newest first", st.Name)
		case st.Name == audit.Provisioning.Name && !asc:
			t.Errorf("%s: not oldest first", st.Name)
		case st.Name == audit.DirectoryAudits.Name && (asc || desc):
			t.Errorf("%s: sorted, but Graph does not sort audits", st.Name)
		}
	}
	u := collectionURL(s, audit.DirectoryAudits, windowFilter(audit.DirectoryAudits, w), "$top=50")
	if a, b := get(t, s, tok, u), get(t, s, tok, u); !bytes.Equal(a.body, b.body) {
		t.Error("the same audit page comes back in another order")
	}
	asc, _ := fetchAll(t, s, tok, collectionURL(s, audit.DirectoryAudits, windowFilter(audit.DirectoryAudits, w), "$orderby=activityDateTime%20asc"))
	if !slices.IsSortedFunc(asc, func(a, b []byte) int {
		return recordTime(t, audit.DirectoryAudits, a).Compare(recordTime(t, audit.DirectoryAudits, b))
	}) {
		t.Error("$orderby=activityDateTime asc is not ascending")
	}
}

// TestCursorSurvivesGrowth pages newest first while the clock moves and new
// records appear: the remaining pages continue where the first stopped.
func TestCursorSurvivesGrowth(t *testing.T) {
	s, clock := startSim(t, nil)
	tok := fetchToken(t, s)
	st := audit.InteractiveSignIns
	w := audit.Window{From: testNow.Add(-time.Hour), To: testNow.Add(time.Hour)}
	c := decodePage(t, get(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=100")))
	first := c.Value
	clock.Set(testNow.Add(30 * time.Minute)) // 300 new sign-ins appear above the cursor
	rest, _ := fetchAll(t, s, tok, c.NextLink)
	got := append([][]byte{}, rest...)
	for _, v := range first {
		got = append(got, v)
	}
	want := s.Tenant(testTenant).Visible(st.Name, audit.Window{From: w.From, To: testNow.Add(time.Nanosecond)}, testNow)
	equalRecords(t, "records up to the first page's instant", sortedUnique(t, st, inWindow(t, st, w, got)), want)
}

func TestEmptyAndPrettyPages(t *testing.T) {
	s, _ := startSim(t, func(o *Options) { o.Pretty = true })
	tok := fetchToken(t, s)
	st := audit.Provisioning
	future := audit.Window{From: testNow.Add(time.Hour), To: testNow.Add(2 * time.Hour)}
	c := decodePage(t, get(t, s, tok, collectionURL(s, st, windowFilter(st, future))))
	if len(c.Value) != 0 || c.NextLink != "" {
		t.Fatalf("future window: %d records, nextLink %q", len(c.Value), c.NextLink)
	}
	w := audit.Window{From: testNow.Add(-3 * time.Hour), To: testNow.Add(-2 * time.Hour)}
	r := get(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=3"))
	if !bytes.Contains(r.body, []byte("\n  ")) {
		t.Fatal("Pretty response is not indented")
	}
	got, _ := fetchAll(t, s, tok, collectionURL(s, st, windowFilter(st, w)))
	equalRecords(t, "pretty", sortedUnique(t, st, inWindow(t, st, w, got)), s.Tenant(testTenant).Visible(st.Name, w, testNow))
}

// TestFullLastPage ends a window exactly on a page boundary: the nextLink
// of the full last page leads to an empty page, never to a repeat.
func TestFullLastPage(t *testing.T) {
	s, _ := startSim(t, nil)
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	w := audit.Window{From: testNow.Add(-7 * time.Hour), To: testNow.Add(-6 * time.Hour)}
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits, audit.Provisioning} {
		// A ge/le query also returns records at w.To: stop a tick before.
		filter := st.TimeField + " ge " + audit.FormatTime(w.From) + " and " + st.TimeField + " le " + audit.FormatTime(w.To.Add(-100*time.Nanosecond))
		if st.ExclusiveBounds {
			filter = windowFilter(st, w)
		}
		// Rejects are served too (this test needs no repeats: Republish is off).
		n := ten.Count(st.Name, w, testNow) + len(ten.Rejected(st.Name, w, testNow))
		tops := []int{n}
		for d := 2; d <= 10; d++ {
			if n%d == 0 {
				tops = append(tops, n/d)
			}
		}
		if len(tops) < 2 {
			t.Fatalf("%s: %d records has no small divisor", st.Name, n)
		}
		for _, top := range tops {
			got, pages := fetchAll(t, s, tok, collectionURL(s, st, filter, "$top="+strconv.Itoa(top)))
			if len(got) != n || pages != n/top+1 {
				t.Errorf("%s $top=%d: %d records in %d pages, want %d in %d", st.Name, top, len(got), pages, n, n/top+1)
			}
			equalRecords(t, st.Name, sortedUnique(t, st, inWindow(t, st, w, got)), ten.Visible(st.Name, w, testNow))
		}
	}
}
