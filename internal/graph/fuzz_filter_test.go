package graph

import (
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/odata"
)

// FuzzWindowFilter builds the $filter of a window with an arbitrary extra
// filter, as the config's per-stream filter is ANDed to every query. For any
// extra filter the config accepts (odata.Parse), the result must parse, be
// "(window) and (extra)" as trees, and select no record outside the window
// whatever the extra filter says: an extra filter can narrow a query, never
// widen it. Seeds are in testdata/fuzz/FuzzWindowFilter.
func FuzzWindowFilter(f *testing.F) {
	base := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC).UnixNano()
	for i, extra := range []string{
		"", "status/errorCode ne 0", "startswith(userPrincipalName,'admin')",
		"true or createdDateTime ge 2020-01-01T00:00:00Z", "appId in ('a','b') or not (status/errorCode eq 0)",
		"createdDateTime lt 1999-01-01T00:00:00Z or activityDateTime gt 2100-01-01T00:00:00Z",
		"x eq ')' or (y eq 'a'' or true')",
	} {
		f.Add(uint8(i), base+int64(i)*1_234_567_891, int64(time.Hour)+int64(i), extra)
	}
	f.Fuzz(func(t *testing.T, stream uint8, from, length int64, extra string) {
		st := audit.Streams[int(stream)%len(audit.Streams)]
		w := fuzzWindow(from, length)
		extraTree, err := odata.Parse(extra)
		_, errWrapped := odata.Parse("(" + extra + ")")
		if strings.TrimSpace(extra) != "" && (err != nil || errWrapped != nil) {
			return // the config refuses it: no query is ever built with it
		}
		got := WindowFilter(st, w, extra)
		tree, err := odata.Parse(got)
		if err != nil {
			t.Fatalf("WindowFilter(%s, %s, %q) = %q, which does not parse: %v", st.Name, w, extra, got, err)
		}
		window, err := odata.Parse(WindowFilter(st, w, ""))
		if err != nil {
			t.Fatalf("window filter without extra does not parse: %v", err)
		}
		checkWindowClauses(t, st, w, window)
		if strings.TrimSpace(extra) == "" {
			if tree.String() != window.String() {
				t.Fatalf("blank extra %q changed the filter: %q", extra, got)
			}
		} else {
			and, ok := tree.(odata.Logical)
			if !ok || and.Op != "and" || and.Left.String() != window.String() || and.Right.String() != extraTree.String() {
				t.Fatalf("WindowFilter(%q) = %q: want (window) and (extra) with both intact", extra, got)
			}
		}
		m, err := odata.Compile(tree, odata.Options{})
		if err != nil {
			t.Fatalf("Compile(%q): %v", got, err)
		}
		// The filter selects a superset of w, rounded to whole seconds and
		// one second wider for gt: two seconds out is outside for sure.
		for _, at := range []time.Time{w.From.Add(-2 * time.Second), w.To.Add(2 * time.Second)} {
			rec := fuzzRecord(st, at)
			if ok, err := m.Match(rec); err != nil || ok {
				t.Fatalf("filter %q matches %s outside %s (%v): the extra filter widened the window", got, rec, w, err)
			}
		}
	})
}

// fuzzWindow maps fuzz input to a window that starts between 2000 and
// 2100 (at from itself when it is in that range) and lasts 1ns to 40 days.
func fuzzWindow(from, length int64) audit.Window {
	lo := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	const span, maxLen = int64(100 * 365 * 24 * time.Hour), int64(40 * 24 * time.Hour)
	start := time.Unix(0, lo+((from-lo)%span+span)%span).UTC()
	return audit.Window{From: start, To: start.Add(time.Duration((length%maxLen+maxLen)%maxLen + 1))}
}

// checkWindowClauses checks the window's own tree: the time comparisons
// Graph documents for the stream, at the rounded bounds, and the event type
// of beta sign-in streams.
func checkWindowClauses(t *testing.T, st audit.Stream, w audit.Window, window odata.Expr) {
	t.Helper()
	lo, hi := "ge", "le"
	from, to := w.From.Truncate(time.Second), ceilSecond(w.To)
	if st.ExclusiveBounds {
		lo, hi = "gt", "lt"
		from = from.Add(-time.Second)
	}
	want := map[string]time.Time{lo: from, hi: to}
	event := false
	for _, c := range odata.Conjuncts(window) {
		switch n := c.(type) {
		case odata.Compare:
			p, okP := n.Left.(odata.Path)
			lit, okL := n.Right.(odata.Literal)
			at, okT := want[n.Op]
			if !okP || !okL || !okT || p.String() != st.TimeField || lit.Kind != odata.LitDateTime || !lit.Time.Equal(at) {
				t.Fatalf("%s: unexpected window clause %s (want %s %s %s and %s %s %s)", st.Name, n,
					st.TimeField, lo, from.Format(time.RFC3339), st.TimeField, hi, to.Format(time.RFC3339))
			}
			delete(want, n.Op)
		case odata.Lambda:
			event = st.EventType != "" && strings.Contains(n.String(), "'"+st.EventType+"'")
			if !event {
				t.Fatalf("%s: unexpected clause %s", st.Name, n)
			}
		default:
			t.Fatalf("%s: unexpected window clause %s", st.Name, c)
		}
	}
	if len(want) > 0 || event != (st.EventType != "") {
		t.Fatalf("%s: window filter %s lacks clauses %v (event type %v)", st.Name, window, want, event)
	}
}

// fuzzRecord is a record of st at instant at, of the stream's event type.
func fuzzRecord(st audit.Stream, at time.Time) []byte {
	rec := `{"id":"r","` + st.TimeField + `":"` + at.UTC().Format(time.RFC3339Nano) + `"`
	if st.EventType != "" {
		rec += `,"signInEventTypes":["` + st.EventType + `"]`
	}
	return []byte(rec + "}")
}
