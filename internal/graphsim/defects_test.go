package graphsim

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// defectForm names how a reject's id and time members are broken.
func defectForm(t *testing.T, st audit.Stream, raw []byte) (id, tm string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("reject is not JSON: %v: %.200s", err, raw)
	}
	form := func(key string) string {
		v, ok := m[key]
		switch {
		case !ok:
			return "missing"
		case string(v) == "null":
			return "null"
		}
		return "ok"
	}
	return form("id"), form(st.TimeField)
}

// TestRecordsWithoutTimeOrID: records whose time or id is null or missing
// are served by the query whose window holds their hidden event time, and by
// no other; ground truth lists them under Rejected, never Visible.
func TestRecordsWithoutTimeOrID(t *testing.T) {
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].NoTimeEvery = 150
		o.Tenants[0].NoIDEvery = 400
	})
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	w := audit.Window{From: testNow.Add(-6 * time.Hour), To: testNow.Add(-3 * time.Hour)}
	forms := map[[2]string]int{}
	for _, st := range audit.Streams {
		var rejects [][]byte
		for h := range 3 {
			hour := audit.Window{From: w.From.Add(time.Duration(h) * time.Hour), To: w.From.Add(time.Duration(h+1) * time.Hour)}
			got, _ := fetchAll(t, s, tok, collectionURL(s, st, windowFilter(st, hour), "$top=400"))
			ok, rej := splitRejects(t, st, got)
			equalRecords(t, st.Name+" records", sortedUnique(t, st, inWindow(t, st, hour, ok)), ten.Visible(st.Name, hour, testNow))
			equalRecords(t, st.Name+" rejects", sortedSet(rej), sortedSet(ten.Rejected(st.Name, hour, testNow)))
			rejects = append(rejects, rej...)
		}
		want := ten.Rejected(st.Name, w, testNow)
		if len(want) == 0 {
			t.Fatalf("%s: no reject in %v: the test proves nothing", st.Name, w)
		}
		if len(rejects) != len(want) {
			t.Errorf("%s: the hours served %d rejects, the whole window has %d", st.Name, len(rejects), len(want))
		}
		equalRecords(t, st.Name+" ServedRejects", sortedSet(ten.ServedRejects(st.Name)), sortedSet(want))
		for _, raw := range want {
			id, tm := defectForm(t, st, raw)
			forms[[2]string{id, tm}]++
		}
		for _, raw := range ten.Served(st.Name) {
			if _, rej := splitRejects(t, st, [][]byte{raw}); len(rej) > 0 {
				t.Fatalf("%s: Served lists a reject: %.200s", st.Name, raw)
			}
		}
	}
	for _, f := range [][2]string{{"null", "ok"}, {"missing", "ok"}, {"ok", "null"}, {"ok", "missing"}} {
		if forms[f] == 0 {
			t.Errorf("no reject with id %s and time %s among %v", f[0], f[1], forms)
		}
	}

	// Turned off, none; by default about one in 20,000 has no time.
	for _, c := range []struct {
		every    int
		min, max int
	}{{-1, 0, 0}, {0, 5, 40}} {
		cfg := baseTenant()
		cfg.NoTimeEvery, cfg.NoIDEvery = c.every, -1
		ss := testGen(t, cfg, audit.NonInteractiveSignIns.Name)
		n := 0
		for i := range int64(400_000) {
			if !ss.gen.archivable(i) {
				n++
			}
		}
		if n < c.min || n > c.max {
			t.Errorf("NoTimeEvery %d: %d of 400,000 records have no time", c.every, n)
		}
	}
}

// TestRecordsNotJSON: with NotJSONEvery, about one record in N is served
// with a comma before its closing brace (as in some of Graph's published
// examples): the page is otherwise whole, the record is served by the query
// whose window holds its time, and ground truth lists it, as served, under
// Rejected and ServedRejects, never Visible or Served. Off by default.
func TestRecordsNotJSON(t *testing.T) {
	s, _ := startSim(t, func(o *Options) {
		o.TrackServed = true
		o.Tenants[0].NotJSONEvery = 60
		o.Tenants[0].NoTimeEvery, o.Tenants[0].NoIDEvery = -1, -1
	})
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	w := audit.Window{From: testNow.Add(-5 * time.Hour), To: testNow.Add(-3 * time.Hour)}
	for _, st := range audit.Streams {
		want := ten.Rejected(st.Name, w, testNow)
		if len(want) == 0 {
			t.Fatalf("%s: no record that is not JSON in %v: the test proves nothing", st.Name, w)
		}
		var served [][]byte
		for u := collectionURL(s, st, windowFilter(st, w), "$top=300"); u != ""; {
			r := get(t, s, tok, u)
			if r.err != nil || r.status != 200 {
				t.Fatalf("%s: %d %v: %.300s", st.Name, r.status, r.err, r.body)
			}
			// Mend the broken records to read the page with encoding/json:
			// then it must be a valid page.
			body := r.body
			for _, rec := range want {
				if json.Valid(rec) || !bytes.HasSuffix(rec, []byte(",}")) {
					t.Fatalf("%s: reject is not a record with a trailing comma: %.200s", st.Name, rec)
				}
				body = bytes.ReplaceAll(body, rec, append(bytes.Clone(rec[:len(rec)-2]), '}'))
			}
			var c collection
			if err := json.Unmarshal(body, &c); err != nil {
				t.Fatalf("%s: a page is not JSON once the rejects are mended: %v", st.Name, err)
			}
			for _, v := range c.Value {
				served = append(served, v)
			}
			u = c.NextLink
		}
		var mended [][]byte
		for _, rec := range want {
			mended = append(mended, append(bytes.Clone(rec[:len(rec)-2]), '}'))
		}
		var ok, broken [][]byte
		for _, raw := range served {
			if slices.ContainsFunc(mended, func(m []byte) bool { return bytes.Equal(m, raw) }) {
				broken = append(broken, raw)
			} else {
				ok = append(ok, raw)
			}
		}
		equalRecords(t, st.Name+" records", sortedUnique(t, st, inWindow(t, st, w, ok)), ten.Visible(st.Name, w, testNow))
		equalRecords(t, st.Name+" rejects", sortedSet(broken), sortedSet(mended))
		equalRecords(t, st.Name+" ServedRejects", sortedSet(ten.ServedRejects(st.Name)), sortedSet(want))
		for _, raw := range ten.Served(st.Name) {
			if !json.Valid(raw) {
				t.Fatalf("%s: Served lists a record that is not JSON: %.200s", st.Name, raw)
			}
		}
	}

	// Off by default.
	cfg := baseTenant()
	ss := testGen(t, cfg, audit.InteractiveSignIns.Name)
	for i := range int64(200_000) {
		if ss.gen.notJSON(i) {
			t.Fatalf("record %d is served with a trailing comma by default", i)
		}
	}
}
