package graphsim

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// hideNewer is a record as Graph sends it to a client that does not ask for
// evolvable members: each newer member reads unknownFutureValue.
func hideNewer(raw []byte) []byte {
	for _, e := range []*evolvable{&tokenIssuerTypes, &riskDetails} {
		for _, m := range e.newer {
			raw = bytes.ReplaceAll(raw, []byte(`"`+m+`"`), []byte(`"`+unknownFutureValue+`"`))
		}
	}
	return raw
}

// TestEvolvableEnums: sign-ins carry newer tokenIssuerType and riskDetail
// members, served as they are only to a request with Prefer:
// include-unknown-enum-members (answered by Preference-Applied), and as
// unknownFutureValue otherwise. Served keeps what each request was sent.
func TestEvolvableEnums(t *testing.T) {
	s, _ := startSim(t, nil)
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	w := audit.Window{From: testNow.Add(-8 * time.Hour), To: testNow.Add(-4 * time.Hour)}
	st := audit.InteractiveSignIns
	want := ten.Visible(st.Name, w, testNow)
	for _, c := range []struct {
		e        *evolvable
		property string
	}{{&tokenIssuerTypes, "tokenIssuerType"}, {&riskDetails, "riskDetail"}} {
		seen := 0
		for _, m := range c.e.newer {
			if slices.ContainsFunc(want, func(r []byte) bool { return bytes.Contains(r, []byte(`"`+c.property+`":"`+m+`"`)) }) {
				seen++
			}
		}
		if seen < len(c.e.newer)/2+1 {
			t.Errorf("%s: %d of %d newer members appear in %d records", c.property, seen, len(c.e.newer), len(want))
		}
	}

	fetch := func(st audit.Stream, h http.Header) [][]byte {
		u := collectionURL(s, st, windowFilter(st, w), "$top=300")
		r := getWith(t, s, tok, u, h)
		if applied := r.header.Get("Preference-Applied"); (applied == preferUnknownEnums) != prefersAllEnums(h) {
			t.Errorf("Prefer %q: Preference-Applied %q", h.Values("Prefer"), applied)
		}
		got, _ := fetchAllWith(t, s, tok, u, h)
		return sortedUnique(t, st, inWindow(t, st, w, got))
	}
	for _, h := range []http.Header{
		{"Prefer": {preferUnknownEnums}},
		{"Prefer": {"odata.maxpagesize=300, Include-Unknown-Enum-Members"}},
		{"Prefer": {"return=minimal", "include-unknown-enum-members"}},
	} {
		equalRecords(t, "with "+h.Get("Prefer"), fetch(st, h), want)
	}
	var hidden [][]byte
	for _, r := range want {
		hidden = append(hidden, hideNewer(r))
	}
	without := fetch(st, nil)
	equalRecords(t, "without Prefer", without, hidden)
	if slices.EqualFunc(hidden, want, bytes.Equal) {
		t.Fatal("no record has a newer member: the test proves nothing")
	}

	// v1.0 hides riskDetail's newer members the same way.
	v1With, v1Without := fetch(v1SignIns, asClient), fetch(v1SignIns, nil)
	var v1Hidden [][]byte
	for _, r := range v1With {
		v1Hidden = append(v1Hidden, hideNewer(r))
	}
	equalRecords(t, "v1.0 without Prefer", v1Without, v1Hidden)
	if slices.EqualFunc(v1With, v1Without, bytes.Equal) {
		t.Error("v1.0: no riskDetail differs with Prefer")
	}

	// Served holds exactly the bytes sent: every rendering once.
	sent := slices.Concat(want, without, v1With, v1Without)
	slices.SortFunc(sent, bytes.Compare)
	sent = slices.CompactFunc(sent, bytes.Equal)
	served := ten.Served(st.Name)
	slices.SortFunc(served, bytes.Compare)
	equalRecords(t, "Served", served, sent)
}
