package graphsim

import (
	"net/http"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// TestWideQueryTimesOut: at 20,000 records an hour, 12 hours (240,000
// records) are served and 13 hours (260,000) time out on every attempt,
// whatever the rest of the filter keeps.
func TestWideQueryTimesOut(t *testing.T) {
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].Volume = map[string]float64{"noninteractive-signins": 20000, "directory-audits": 20000}
	})
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	narrow := audit.Window{From: testNow.Add(-24 * time.Hour), To: testNow.Add(-12 * time.Hour)}
	wide := audit.Window{From: testNow.Add(-25 * time.Hour), To: testNow.Add(-12 * time.Hour)}
	for _, c := range []struct {
		st      audit.Stream
		nothing string // a clause no record matches
		month   string // a filter without time bounds
	}{
		{audit.NonInteractiveSignIns, "status/errorCode eq 424242", "signInEventTypes/any(t: t eq 'nonInteractiveUser')"},
		{audit.DirectoryAudits, "result eq 'timeout'", ""},
	} {
		tl := &ten.streams[c.st.Name].tl
		if lo, hi := tl.indexes(span{toTicks(wide.From), toTicks(wide.To)}); hi-lo <= defaultWideQuery {
			t.Fatalf("%s: the wide window holds %d records", c.st.Name, hi-lo)
		}
		if lo, hi := tl.indexes(span{toTicks(narrow.From), toTicks(narrow.To) + 1}); hi-lo > defaultWideQuery {
			t.Fatalf("%s: the narrow window holds %d records", c.st.Name, hi-lo)
		}
		for _, u := range []string{
			collectionURL(s, c.st, windowFilter(c.st, wide)),
			collectionURL(s, c.st, windowFilter(c.st, wide)), // a retry meets the same
			collectionURL(s, c.st, windowFilter(c.st, wide)+" and "+c.nothing),
			collectionURL(s, c.st, c.month),
		} {
			if status, code, _ := graphError(t, get(t, s, tok, u)); status != http.StatusGatewayTimeout || code != gatewayTimeoutCode {
				t.Errorf("%s wide query: %d %s, want 504", c.st.Name, status, code)
			}
		}
		page := decodePage(t, get(t, s, tok, collectionURL(s, c.st, windowFilter(c.st, narrow))))
		// The first page holds the newest records: those of the last minutes.
		visible := map[string]bool{}
		tail := audit.Window{From: narrow.To.Add(-6 * time.Minute), To: narrow.To.Add(time.Nanosecond)}
		for _, raw := range ten.Visible(c.st.Name, tail, testNow) {
			visible[string(raw)] = true
		}
		if len(page.Value) != maxTop || page.NextLink == "" {
			t.Fatalf("%s narrow query: %d records, nextLink %q", c.st.Name, len(page.Value), page.NextLink)
		}
		for _, raw := range page.Value {
			if !visible[string(raw)] {
				t.Fatalf("%s narrow query served a record outside the window's truth: %.200s", c.st.Name, raw)
			}
		}
	}
}

// TestWideQueryNextLinks: once a first page was served, its nextLinks go on
// although the span has since grown past the limit and a new first page
// times out.
func TestWideQueryNextLinks(t *testing.T) {
	s, clock := startSim(t, func(o *Options) {
		o.Tenants[0].WideQuery = 500
		o.Tenants[0].TokenLifetime = 24 * time.Hour
	})
	tok := fetchToken(t, s)
	st := audit.Provisioning // 250 an hour, oldest first
	w := audit.Window{From: testNow.Add(-time.Hour), To: testNow.Add(2 * time.Hour)}
	u := collectionURL(s, st, windowFilter(st, w), "$top=100")
	first := decodePage(t, get(t, s, tok, u))
	clock.Set(testNow.Add(2 * time.Hour))
	if r := get(t, s, tok, u); r.status != http.StatusGatewayTimeout {
		t.Fatalf("first page of 750 records with WideQuery 500: %d", r.status)
	}
	rest, _ := fetchAll(t, s, tok, first.NextLink)
	got := sortedUnique(t, st, inWindow(t, st, w, append(rawValues(first), rest...)))
	equalRecords(t, "paged across the limit", got, s.Tenant(testTenant).Visible(st.Name, w, clock.Now()))

	s2, _ := startSim(t, func(o *Options) { o.Tenants[0].WideQuery = -1 })
	if r := get(t, s2, fetchToken(t, s2), collectionURL(s2, audit.NonInteractiveSignIns, "")); r.status != http.StatusOK {
		t.Errorf("WideQuery -1, the whole month: %d", r.status)
	}
}
