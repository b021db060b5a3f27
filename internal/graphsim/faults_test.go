package graphsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// TestScriptedFaults makes request 2 of a paging run fail with each kind and
// checks what the client sees, then that the run can go on.
func TestScriptedFaults(t *testing.T) {
	st := audit.InteractiveSignIns
	w := audit.Window{From: testNow.Add(-5 * time.Hour), To: testNow.Add(-4 * time.Hour)}
	cases := []struct {
		kind  FaultKind
		check func(t *testing.T, r response)
	}{
		{FaultServerError, func(t *testing.T, r response) {
			var e graphErrorBody
			if r.status < 500 || r.status > 503 || json.Unmarshal(r.body, &e) != nil || e.Error.Code == "" {
				t.Errorf("server error: %d %s", r.status, r.body)
			}
		}},
		{FaultReset, func(t *testing.T, r response) {
			if r.err == nil {
				t.Errorf("reset: got %d and a complete body", r.status)
			}
		}},
		{FaultTruncate, func(t *testing.T, r response) {
			if r.status != 200 || !errors.Is(r.err, io.ErrUnexpectedEOF) {
				t.Errorf("truncate: %d %v", r.status, r.err)
			}
		}},
		{FaultMalformed, func(t *testing.T, r response) {
			if r.status != 200 || r.err != nil || json.Valid(r.body) {
				t.Errorf("malformed: %d %v valid=%v", r.status, r.err, json.Valid(r.body))
			}
		}},
		{FaultEarlyEnd, func(t *testing.T, r response) {
			c := decodePage(t, r)
			if len(c.Value) != 50 || c.NextLink != "" {
				t.Errorf("early end: %d records, nextLink %q", len(c.Value), c.NextLink)
			}
		}},
		{FaultNextLink400, func(t *testing.T, r response) {
			if r.status != http.StatusBadRequest {
				t.Errorf("nextLink 400: %d %s", r.status, r.body)
			}
		}},
		{FaultThrottle, func(t *testing.T, r response) {
			if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
				t.Errorf("throttle: %d %v", r.status, r.header)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.kind.String(), func(t *testing.T) {
			s, _ := startSim(t, func(o *Options) {
				o.Tenants[0].Faults = Faults{Script: []ScriptedFault{{Request: 2, Kind: c.kind}}}
				o.Tenants[0].LicenceFlake = -1 // request 2 meets the scripted fault only
			})
			tok := fetchToken(t, s)
			ten := s.Tenant(testTenant)
			first := decodePage(t, get(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=50")))
			c.check(t, get(t, s, tok, first.NextLink))
			// The same nextLink works again, and paging reaches the end.
			rest, _ := fetchAll(t, s, tok, first.NextLink)
			got := inWindow(t, st, w, append(rawValues(first), rest...))
			equalRecords(t, "after the fault", sortedUnique(t, st, got), ten.Visible(st.Name, w, testNow))
			if served := ten.Served(st.Name); len(served) != len(ten.Visible(st.Name, audit.Window{From: w.From, To: w.To.Add(time.Second)}, testNow)) {
				t.Errorf("Served has %d records", len(served))
			}
		})
	}
}

func rawValues(c collection) [][]byte {
	out := make([][]byte, len(c.Value))
	for k, v := range c.Value {
		out[k] = v
	}
	return out
}

// TestSlowFault stalls past the client's timeout; Close is not held up by
// the stalled handler.
func TestSlowFault(t *testing.T) {
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].Faults = Faults{SlowDelay: time.Hour, Script: []ScriptedFault{{Request: 1, Kind: FaultSlow}}}
	})
	tok := fetchToken(t, s)
	client := &http.Client{Transport: s.HTTPClient().Transport, Timeout: 200 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodGet, collectionURL(s, audit.Provisioning, "", "$top=1"), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("slow response arrived: %d", resp.StatusCode)
	}
	if r := get(t, s, tok, collectionURL(s, audit.Provisioning, "", "$top=1")); r.status != 200 {
		t.Fatalf("request after the slow one: %d", r.status)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	<-done
}

// TestRandomFaultsAreDeterministic runs the same request sequence against
// two servers with the same fault seed.
func TestRandomFaultsAreDeterministic(t *testing.T) {
	faults := Faults{Seed: 7, ServerError: 0.15, Reset: 0.1, Truncate: 0.1, Malformed: 0.1, EarlyEnd: 0.1, NextLink400: 0.1}
	run := func() []string {
		s, _ := startSim(t, func(o *Options) { o.Tenants[0].Faults = faults })
		tok := fetchToken(t, s)
		u := recentURL(s, audit.DirectoryAudits, "$top=3")
		var outcomes []string
		for range 60 {
			r := get(t, s, tok, u)
			outcome := http.StatusText(r.status)
			switch {
			case r.err != nil:
				outcome = "transport error"
			case r.status == 200 && !json.Valid(r.body):
				outcome = "malformed"
			}
			outcomes = append(outcomes, outcome)
		}
		return outcomes
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatalf("fault sequences differ:\n%v\n%v", a, b)
	}
	kinds := map[string]bool{}
	for _, o := range a {
		kinds[o] = true
	}
	for _, want := range []string{"OK", "transport error", "malformed"} {
		if !kinds[want] {
			t.Errorf("no %q among %v", want, a)
		}
	}
}

// TestResetVariants resets requests mid-headers and mid-body.
func TestResetVariants(t *testing.T) {
	var script []ScriptedFault
	for n := 1; n <= 8; n++ {
		script = append(script, ScriptedFault{Request: n, Kind: FaultReset})
	}
	s, _ := startSim(t, func(o *Options) { o.Tenants[0].Faults = Faults{Seed: 3, Script: script} })
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	early := 0
	for n := 1; n <= 8; n++ {
		if ten.faultFor(n, false).early {
			early++
		}
		if r := get(t, s, tok, collectionURL(s, audit.Provisioning, "", "$top=20")); r.err == nil {
			t.Fatalf("request %d: %d without error", n, r.status)
		}
	}
	if early == 0 || early == 8 {
		t.Fatalf("%d of 8 resets mid-headers: want both kinds", early)
	}
	if st := ten.Stats(); st.ByStatus[0]+st.ByStatus[200] != 8 || st.ByStatus[0] != early {
		t.Errorf("stats %+v", st)
	}
	if r := get(t, s, tok, collectionURL(s, audit.Provisioning, "", "$top=20")); r.status != 200 {
		t.Fatalf("after the script: %d", r.status)
	}
}

// TestMalformStrayComma: the stray-comma garbling breaks one closing brace
// followed by another object, chosen by the variant, so the brackets still
// close and different attempts break different records.
func TestMalformStrayComma(t *testing.T) {
	body := []byte(`{"value":[{"id":"a"},{"id":"b"},{"id":"c","x":[{"k":1},{"k":2}]}]}`)
	seen := map[string]bool{}
	for v := uint64(3); v < 64; v += 4 {
		out := malform(body, v)
		if json.Valid(out) || len(out) != len(body)+1 || !bytes.Contains(out, []byte(",},{")) {
			t.Fatalf("variant %d: %s", v, out)
		}
		seen[string(out)] = true
	}
	if len(seen) != 3 {
		t.Errorf("%d different garblings, want one per brace followed by an object (3)", len(seen))
	}
}
