package graphsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// testEdge is Graph's minimum allowed time at testNow (2026-11-27 03:30 UTC):
// midnight UTC 30 days back.
var testEdge = time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC)

// graphError decodes a Graph error answer.
func graphError(t *testing.T, r response) (status int, code, msg string) {
	t.Helper()
	var e graphErrorBody
	if r.err != nil || json.Unmarshal(r.body, &e) != nil {
		t.Fatalf("not a Graph error: %d %v %.300s", r.status, r.err, r.body)
	}
	return r.status, e.Error.Code, e.Error.Message
}

func TestMinimumAllowedTime(t *testing.T) {
	s, clock := startSim(t, func(o *Options) { o.Tenants[0].TokenLifetime = 48 * time.Hour })
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	const auditMsg = "Specified argument was out of the range of valid values. (Parameter 'Minimum allowed time for activityDateTime is 10/28/2026 12:00:00 AM')"
	cases := []struct {
		st  audit.Stream
		msg string
	}{
		{audit.InteractiveSignIns, "Invalid filter clause"},
		{v1SignIns, "Invalid filter clause"},
		{audit.ManagedIdentitySignIns, "Invalid filter clause"},
		{audit.DirectoryAudits, auditMsg},
		{audit.Provisioning, auditMsg},
	}
	for _, c := range cases {
		f := c.st.TimeField
		// provisioning's gt bound lies just before its window
		at := audit.Window{From: c.st.EarliestFrom(testEdge), To: testEdge.Add(6 * time.Hour)}
		before := testEdge.Add(-time.Second)
		refused := []string{
			windowFilter(c.st, audit.Window{From: before, To: at.To}),
			f + " eq " + audit.FormatTime(before),
		}
		for _, filter := range refused {
			r := get(t, s, tok, collectionURL(s, c.st, filter))
			if status, code, msg := graphError(t, r); status != http.StatusBadRequest || code != "BadRequest" || msg != c.msg {
				t.Errorf("%s %q: %d %s %q, want 400 %q", c.st.Name, filter, status, code, msg, c.msg)
			}
		}
		// At the edge, and with only an old upper bound, Graph answers.
		got, _ := fetchAll(t, s, tok, collectionURL(s, c.st, windowFilter(c.st, at), "$top=500"))
		got = sortedUnique(t, c.st, inWindow(t, c.st, at, got))
		want := ten.Visible(c.st.Name, at, testNow)
		if len(want) == 0 {
			t.Fatalf("%s: nothing between the edge and %v: the test proves nothing", c.st.Name, at.To)
		}
		if c.st == v1SignIns { // not the stream's canonical shape: compare ids
			if a, b := ids(t, c.st, got), ids(t, c.st, want); !slices.Equal(a, b) {
				t.Errorf("%s from the edge: %d records, want %d", c.st.Name, len(a), len(b))
			}
		} else {
			equalRecords(t, c.st.Name+" from the edge", got, want)
		}
		op := "le"
		if c.st.ExclusiveBounds {
			op = "lt"
		}
		if r := get(t, s, tok, collectionURL(s, c.st, f+" "+op+" "+audit.FormatTime(before))); r.status != http.StatusOK {
			t.Errorf("%s with an old upper bound only: %d %s", c.st.Name, r.status, r.body)
		}
	}

	// Graph's clock is in its Date header; a client's edge from it (with
	// audit's margin) is accepted.
	r := get(t, s, tok, recentURL(s, audit.DirectoryAudits, "$top=1"))
	date, err := http.ParseTime(r.header.Get("Date"))
	if err != nil || !date.Equal(testNow) {
		t.Fatalf("Date %q, want the simulated clock %v", r.header.Get("Date"), testNow)
	}
	for _, st := range audit.Streams {
		from := st.EarliestFrom(audit.MinimumTime(date))
		w := audit.Window{From: from, To: from.Add(6 * time.Hour)}
		if r := get(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=1")); r.status != http.StatusOK {
			t.Errorf("%s from audit.MinimumTime: %d %s", st.Name, r.status, r.body)
		}
	}

	// Midnight passes while paging: the edge moves past the query's lower
	// bound and its nextLink is refused; a query from the new edge works.
	st := audit.Provisioning
	clock.Set(time.Date(2026, 11, 27, 23, 50, 0, 0, time.UTC))
	w := audit.Window{From: testEdge.Add(12 * time.Hour), To: testEdge.Add(26 * time.Hour)}
	first := decodePage(t, get(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=100")))
	if first.NextLink == "" {
		t.Fatal("no second page")
	}
	clock.Set(time.Date(2026, 11, 28, 0, 0, 1, 0, time.UTC))
	if status, _, msg := graphError(t, get(t, s, tok, first.NextLink)); status != http.StatusBadRequest ||
		msg != "Specified argument was out of the range of valid values. (Parameter 'Minimum allowed time for activityDateTime is 10/29/2026 12:00:00 AM')" {
		t.Errorf("nextLink after midnight: %d %q", status, msg)
	}
	w.From = st.EarliestFrom(testEdge.Add(24 * time.Hour))
	got, _ := fetchAll(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=100"))
	equalRecords(t, "from the new edge", sortedUnique(t, st, inWindow(t, st, w, got)), ten.Visible(st.Name, w, clock.Now()))
}

// TestMinimumTimeOff accepts any lower bound when the edge is turned off.
func TestMinimumTimeOff(t *testing.T) {
	s, _ := startSim(t, func(o *Options) { o.Tenants[0].MinimumTimeAge = -1 })
	tok := fetchToken(t, s)
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits, audit.Provisioning} {
		w := audit.Window{From: testEdge.Add(-48 * time.Hour), To: testEdge.Add(time.Hour)}
		if r := get(t, s, tok, collectionURL(s, st, windowFilter(st, w))); r.status != http.StatusOK {
			t.Errorf("%s: %d %s", st.Name, r.status, r.body)
		}
	}
}
