package graphsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/fakeclock"
)

const (
	testTenant = "11111111-2222-4333-8444-555555555555"
	testClient = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	testSecret = "s3cr3t~Value-never-logged"
)

// testNow is the fake "now" of most tests: records start 31 days earlier.
var testNow = time.Date(2026, 11, 27, 3, 30, 0, 0, time.UTC)

// v1SignIns is the interactive stream as v1.0 serves it: Graph still
// answers /v1.0/auditLogs/signIns (interactive sign-ins, without the beta
// properties), although the archiver reads them from beta.
var v1SignIns = audit.Stream{Name: audit.InteractiveSignIns.Name, APIVersion: "v1.0",
	Resource: "auditLogs/signIns", TimeField: "createdDateTime", SignIns: true}

// fakeClock is a settable clock for Options.Now.
type fakeClock = fakeclock.Clock

// baseTenant is a P1 tenant with a little of every stream.
func baseTenant() TenantConfig {
	return TenantConfig{
		ID: testTenant, ClientID: testClient, ClientSecret: testSecret, Seed: 42,
		Volume: map[string]float64{
			"interactive-signins": 600, "noninteractive-signins": 900, "serviceprincipal-signins": 300,
			"managedidentity-signins": 200, "directory-audits": 400, "provisioning": 250,
		},
		BigEvery: 700,
	}
}

// startSim starts a server with one tenant built from baseTenant and
// adjusted by mod.
func startSim(t *testing.T, mod func(*Options)) (*Server, *fakeClock) {
	t.Helper()
	clock := fakeclock.New(testNow)
	opts := Options{Now: clock.Now, Tenants: []TenantConfig{baseTenant()}, TrackServed: true}
	if mod != nil {
		mod(&opts)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, clock
}

// fetchToken gets an access token with a plain form POST.
func fetchToken(t testing.TB, s *Server) string {
	t.Helper()
	status, body := postToken(t, s, testTenant, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {testClient},
		"client_secret": {testSecret}, "scope": {s.GraphURL() + "/.default"},
	})
	if status != http.StatusOK {
		t.Fatalf("token: %d %s", status, body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token response %s: %v", body, err)
	}
	return tr.AccessToken
}

func postToken(t testing.TB, s *Server, tenant string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := s.HTTPClient().PostForm(s.GraphURL()+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// response is one Graph answer.
type response struct {
	status int
	header http.Header
	body   []byte
	err    error // transport or body error
}

// asClient is what every request of the archiver carries: evolvable enum
// members as they are.
var asClient = http.Header{"Prefer": {preferUnknownEnums}}

// get sends a request as the archiver does (asClient) and, like it, asks
// again a few times when the answer is the licence 403, which licensed
// tenants give now and then (a Free tenant's stays).
func get(t testing.TB, s *Server, token, u string) response {
	t.Helper()
	r := getWith(t, s, token, u, asClient)
	for k := 0; k < 5 && isLicenceFlake(r.status, r.body); k++ {
		r = getWith(t, s, token, u, asClient)
	}
	return r
}

// getWith sends a request with the headers h.
func getWith(t testing.TB, s *Server, token, u string, h http.Header) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: body, err: err}
}

// collection is a decoded page.
type collection struct {
	Context  string            `json:"@odata.context"`
	NextLink string            `json:"@odata.nextLink"`
	Value    []json.RawMessage `json:"value"`
}

func decodePage(t *testing.T, r response) collection {
	t.Helper()
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("page: status %d err %v body %.300s", r.status, r.err, r.body)
	}
	var c collection
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatalf("page JSON: %v", err)
	}
	return c
}

// fetchAll follows nextLinks from u as the archiver does (asClient) and
// returns every record, compacted, in the order served, and the number of
// pages.
func fetchAll(t testing.TB, s *Server, token, u string) ([][]byte, int) {
	t.Helper()
	return fetchAllWith(t, s, token, u, asClient)
}

// fetchAllWith is fetchAll with the request headers h.
func fetchAllWith(t testing.TB, s *Server, token, u string, h http.Header) ([][]byte, int) {
	t.Helper()
	recs, pages, err := pageAllWith(s, token, u, h)
	if err != nil {
		t.Fatal(err)
	}
	return recs, pages
}

// pageAll is fetchAll for goroutines: it reports instead of failing.
func pageAll(s *Server, token, u string) ([][]byte, int, error) {
	return pageAllWith(s, token, u, asClient)
}

func pageAllWith(s *Server, token, u string, h http.Header) ([][]byte, int, error) {
	var out [][]byte
	pages, flakes := 0, 0
	for u != "" {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return nil, pages, err
		}
		for k, v := range h {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			return nil, pages, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && isLicenceFlake(resp.StatusCode, body) && flakes < 5 {
			flakes++ // a licensed tenant's licence 403 passes: ask again
			continue
		}
		flakes = 0
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, pages, fmt.Errorf("page %d: status %d, %w: %.300s", pages, resp.StatusCode, err, body)
		}
		var c collection
		if err := json.Unmarshal(body, &c); err != nil {
			return nil, pages, fmt.Errorf("page %d: %w", pages, err)
		}
		pages++
		for _, v := range c.Value {
			var buf bytes.Buffer
			if err := json.Compact(&buf, v); err != nil {
				return nil, pages, err
			}
			out = append(out, buf.Bytes())
		}
		u = c.NextLink
		if pages > 10000 {
			return nil, pages, fmt.Errorf("paging does not end")
		}
	}
	return out, pages, nil
}

// isLicenceFlake reports the premium-licence 403, which licensed tenants
// answer now and then.
func isLicenceFlake(status int, body []byte) bool {
	return status == http.StatusForbidden && bytes.Contains(body, []byte(licenceCode))
}

// windowFilter is a filter for the window: ge/le (the caller drops records
// at w.To), or gt/lt around [w.From, w.To) at Graph's 100 ns resolution.
func windowFilter(st audit.Stream, w audit.Window) string {
	lo, hi, from := "ge", "le", w.From
	if st.ExclusiveBounds {
		lo, hi, from = "gt", "lt", from.Add(-100*time.Nanosecond)
	}
	f := st.TimeField + " " + lo + " " + audit.FormatTime(from) + " and " + st.TimeField + " " + hi + " " + audit.FormatTime(w.To)
	if st.EventType != "" {
		f = "(" + f + ") and signInEventTypes/any(t: t eq '" + st.EventType + "')"
	}
	return f
}

func collectionURL(s *Server, st audit.Stream, filter string, extra ...string) string {
	u := s.GraphURL() + "/" + st.APIVersion + "/" + st.Resource
	params := []string{}
	if filter != "" {
		params = append(params, "$filter="+url.QueryEscape(filter))
	}
	params = append(params, extra...)
	if len(params) > 0 {
		u += "?" + strings.Join(params, "&")
	}
	return u
}

// recentURL asks for the stream's last hour before testNow: a query narrow
// enough for Graph to answer (one without time bounds spans the month and
// times out on a busy tenant).
func recentURL(s *Server, st audit.Stream, extra ...string) string {
	w := audit.Window{From: testNow.Add(-time.Hour), To: testNow}
	return collectionURL(s, st, windowFilter(st, w), extra...)
}

// splitRejects separates the records with a readable id and event time
// from the others (rejects), keeping the order of each.
func splitRejects(t *testing.T, st audit.Stream, recs [][]byte) (archivable, rejects [][]byte) {
	t.Helper()
	for _, raw := range recs {
		rec, err := audit.ParseRecord(raw, st.TimeField)
		switch {
		case errors.Is(err, audit.ErrNoTime) || err == nil && rec.ID == "":
			rejects = append(rejects, raw)
		case err != nil:
			t.Fatalf("%v: %.200s", err, raw)
		default:
			archivable = append(archivable, raw)
		}
	}
	return archivable, rejects
}

// sortedSet sorts records byte-wise and drops repeats.
func sortedSet(recs [][]byte) [][]byte {
	out := slices.Clone(recs)
	slices.SortFunc(out, bytes.Compare)
	return slices.CompactFunc(out, bytes.Equal)
}

// recordTime parses the event time of a record of the stream.
func recordTime(t *testing.T, st audit.Stream, raw []byte) time.Time {
	t.Helper()
	rec, err := audit.ParseRecord(raw, st.TimeField)
	if err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	return rec.Time
}
