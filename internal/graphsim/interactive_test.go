package graphsim

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// TestInteractiveFromBeta reads interactive sign-ins both ways Graph serves
// them: beta with signInEventTypes/any(t: t eq 'interactiveUser'), the
// stream's canonical shape, and v1.0, the same records without the beta
// properties. The event-type filter stays a 400 on v1.0.
func TestInteractiveFromBeta(t *testing.T) {
	s, _ := startSim(t, nil)
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	st := audit.InteractiveSignIns
	w := audit.Window{From: testNow.Add(-6 * time.Hour), To: testNow.Add(-5 * time.Hour)}
	if !strings.Contains(windowFilter(st, w), "t eq 'interactiveUser'") || st.APIVersion != "beta" {
		t.Fatalf("interactive stream %+v is not read from beta with its event type", st)
	}
	beta, _ := fetchAll(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=150"))
	beta = sortedUnique(t, st, inWindow(t, st, w, beta))
	want := ten.Visible(st.Name, w, testNow)
	equalRecords(t, "beta interactive", beta, want)
	for _, r := range beta {
		if !bytes.Contains(r, []byte(`"signInEventTypes":["interactiveUser"]`)) || !bytes.Contains(r, []byte(`"userAgent":`)) {
			t.Fatalf("beta interactive record lacks the beta properties: %.300s", r)
		}
	}

	v1, _ := fetchAll(t, s, tok, collectionURL(s, v1SignIns, windowFilter(v1SignIns, w), "$top=150"))
	v1 = sortedUnique(t, v1SignIns, inWindow(t, v1SignIns, w, v1))
	if got, want := ids(t, v1SignIns, v1), ids(t, st, beta); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("v1.0 serves %d interactive sign-ins, beta %d, or other ones", len(got), len(want))
	}
	for k, r := range v1 {
		cut := bytes.Index(r, []byte(`,"networkLocationDetails"`))
		if bytes.Contains(r, []byte(`"userAgent"`)) || cut < 0 || !bytes.HasPrefix(beta[k], r[:cut]) {
			t.Fatalf("v1.0 record %d is not the beta record without its beta properties:\n%.300s\n%.300s", k, r, beta[k])
		}
	}
	// Served keeps each rendering as it was sent.
	if served := ten.Served(st.Name); len(served) != len(v1)+len(beta) {
		t.Errorf("Served has %d records, want %d v1.0 and %d beta", len(served), len(v1), len(beta))
	}

	r := get(t, s, tok, collectionURL(s, v1SignIns, "signInEventTypes/any(t: t eq 'interactiveUser')"))
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Invalid filter clause") {
		t.Errorf("v1.0 with the event-type filter: %d %s, want 400 Invalid filter clause", r.status, r.body)
	}
}
