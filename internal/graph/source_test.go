package graph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/fakeclock"
)

const (
	testTenant = "72f988bf-0000-0000-0000-000000000001"
	testClient = "11111111-2222-3333-4444-555555555555"
	testToken  = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.c2VjcmV0LXRva2Vu."
)

type staticCredential struct{ err error }

func (c staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type observed struct {
	mu        sync.Mutex
	statuses  []int
	throttles []time.Duration
}

func (o *observed) Request(stream string, status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.statuses = append(o.statuses, status)
}

func (o *observed) Throttled(stream string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.throttles = append(o.throttles, d)
}

// harness is a Source against an httptest TLS server whose handler sees
// the 1-based number of each request. Pacers and backoff run on a fake
// clock, so retries cost no wall time.
type harness struct {
	t      *testing.T
	srv    *httptest.Server
	src    *Source
	clock  *fakeclock.Clock
	obs    *observed
	sleeps []time.Duration
	logs   zapcore.Core
	logged *observer.ObservedLogs

	mu     sync.Mutex
	uris   []string
	auth   []string
	prefer []string
}

type handler func(n int, w http.ResponseWriter, r *http.Request)

func newHarness(t *testing.T, h handler, edit func(*Options)) *harness {
	t.Helper()
	hs := &harness{t: t, obs: &observed{}}
	hs.logs, hs.logged = observer.New(zap.DebugLevel)
	tenant, clock := fakePacer(5, 10*time.Second)
	hs.clock = clock
	hs.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.mu.Lock()
		hs.uris = append(hs.uris, r.RequestURI)
		hs.auth = append(hs.auth, r.Header.Get("Authorization"))
		hs.prefer = append(hs.prefer, r.Header.Get("Prefer"))
		n := len(hs.uris)
		hs.mu.Unlock()
		// Graph's clock is the test's clock, so that Graph's edge (30
		// days back) stays where the tests put it; a handler may override.
		w.Header().Set("Date", hs.clock.Now().Format(http.TimeFormat))
		h(n, w, r)
	}))
	hs.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // resets are the point of some tests
	hs.srv.StartTLS()
	t.Cleanup(hs.srv.Close)
	app := NewPacer(122, 10*time.Second)
	app.now, app.sleep = clock.Now, clock.Sleep
	o := Options{
		TenantID: testTenant, ClientID: testClient, GraphEndpoint: hs.srv.URL,
		Credential: staticCredential{}, Tenant: tenant, App: app, Transport: hs.srv.Client(),
		Observer: hs.obs, Rand: func() float64 { return 0.5 }, Logger: zap.New(hs.logs),
	}
	if edit != nil {
		edit(&o)
	}
	src, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	src.now = clock.Now
	src.sleep = func(ctx context.Context, d time.Duration) error {
		hs.sleeps = append(hs.sleeps, d)
		return clock.Sleep(ctx, d)
	}
	hs.src = src
	return hs
}

func (hs *harness) requests() int {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return len(hs.uris)
}

// fetch runs Fetch over the test window and returns the raw records.
func (hs *harness) fetch(st audit.Stream, filter string) ([]string, error) {
	var got []string
	err := hs.src.Fetch(context.Background(), st, pageWindow, filter, func(pg audit.Page) error {
		got = append(got, rawStrings(pg.Records)...)
		return nil
	})
	return got, err
}

func rec(id, tm string) string {
	return fmt.Sprintf(`{"id":%q,"createdDateTime":%q,"status":{"errorCode":0}}`, id, tm)
}

func writePage(w http.ResponseWriter, next string, recs ...string) {
	w.Header().Set("Content-Type", "application/json")
	body := `{"@odata.context":"x","value":[` + strings.Join(recs, ",") + `]`
	if next != "" {
		body += `,"@odata.nextLink":"` + next + `"`
	}
	fmt.Fprint(w, body+"}")
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q,"innerError":{"request-id":"r"}}}`, code, msg)
}

func TestFetchFollowsPagesAndRetries(t *testing.T) {
	a := rec("a", "2026-11-27T03:30:00Z")
	b := rec("b", "2026-11-27T03:20:00.5Z")
	c := rec("c", "2026-11-27T03:10:00Z")
	old := rec("old", "2026-11-27T02:59:59Z")
	var next string
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			writePage(w, next, a, b)
		case 2:
			graphError(w, http.StatusServiceUnavailable, "UnknownError", "try later")
		case 3:
			w.Header().Set("Retry-After", "2.128")
			graphError(w, http.StatusTooManyRequests, "TooManyRequests", "slow down")
		case 4:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"value":[{"id":"c","createdDateTime":"2026-11-27T03:1`) // truncated JSON
		case 5:
			w.WriteHeader(http.StatusTooManyRequests) // no Retry-After: backoff
		default:
			writePage(w, "", c, old)
		}
	}, nil)
	next = hs.srv.URL + "/beta/auditLogs/signins?$filter=x%20eq%201&$top=1000&$skiptoken=A%2Bb"
	start := hs.clock.Now()

	got, err := hs.fetch(audit.InteractiveSignIns, "status/errorCode eq 0")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a, b, c}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
	wantFirst := "/beta/auditLogs/signIns?$filter=((createdDateTime%20ge%202026-11-27T03:00:00Z%20and%20" +
		"createdDateTime%20le%202026-11-27T04:00:00Z)%20and%20signInEventTypes/any(t:%20t%20eq%20'interactiveUser'))%20and%20" +
		"(status/errorCode%20eq%200)&$top=1000"
	wantNext := "/beta/auditLogs/signins?$filter=x%20eq%201&$top=1000&$skiptoken=A%2Bb"
	wantURIs := []string{wantFirst, wantNext, wantNext, wantNext, wantNext, wantNext}
	if strings.Join(hs.uris, "\n") != strings.Join(wantURIs, "\n") {
		t.Errorf("requests\n got %q\nwant %q", hs.uris, wantURIs)
	}
	for i, h := range hs.auth {
		if h != "Bearer "+testToken {
			t.Errorf("request %d: Authorization %q", i+1, h)
		}
	}
	if want := []int{200, 503, 429, 200, 429, 200}; fmt.Sprint(hs.obs.statuses) != fmt.Sprint(want) {
		t.Errorf("observed statuses %v, want %v", hs.obs.statuses, want)
	}
	// 429 honours Retry-After; without one it backs off (attempt 4 of the
	// page: half of 16s with rnd 0.5).
	if want := []time.Duration{2128 * time.Millisecond, 8 * time.Second}; fmt.Sprint(hs.obs.throttles) != fmt.Sprint(want) {
		t.Errorf("throttles %v, want %v", hs.obs.throttles, want)
	}
	// 503 and the truncated body back off without blocking the tenant.
	if want := []time.Duration{time.Second, 4 * time.Second}; fmt.Sprint(hs.sleeps) != fmt.Sprint(want) {
		t.Errorf("backoff sleeps %v, want %v", hs.sleeps, want)
	}
	if took := hs.clock.Now().Sub(start); took < 2128*time.Millisecond+8*time.Second {
		t.Errorf("the tenant pacer was not blocked by the 429s: %s passed", took)
	}
	// One debug line per request, one warning per retry; never the token.
	var debug, warn []string
	for _, e := range hs.logged.All() {
		fields := e.ContextMap()
		if fmt.Sprint(fields) != strings.ReplaceAll(fmt.Sprint(fields), testToken, "") {
			t.Errorf("log line %q leaks the token", e.Message)
		}
		switch e.Level {
		case zapcore.DebugLevel:
			if e.Message != "graph request" {
				continue
			}
			debug = append(debug, fmt.Sprintf("%v/%v/%v", fields["page"], fields["attempt"], fields["status"]))
		case zapcore.WarnLevel:
			warn = append(warn, fmt.Sprintf("%s %v", e.Message, fields["status"]))
		}
	}
	if want := []string{"1/1/200", "2/1/503", "2/2/429", "2/3/200", "2/4/429", "2/5/200"}; fmt.Sprint(debug) != fmt.Sprint(want) {
		t.Errorf("debug lines (page/attempt/status) %v, want %v", debug, want)
	}
	if want := []string{"graph request failed, retrying 503", "graph throttled 429", "graph request failed, retrying 200",
		"graph throttled 429"}; fmt.Sprint(warn) != fmt.Sprint(want) {
		t.Errorf("warnings %q, want %q", warn, want)
	}
}

func TestFetchPermanentErrors(t *testing.T) {
	premium := "Neither tenant is B2C or tenant doesn't have premium license"
	tests := []struct {
		name     string
		stream   audit.Stream
		status   int
		code     string
		msg      string
		onNext   bool
		sentinel error
		want     []string
	}{
		{"401", audit.InteractiveSignIns, 401, "InvalidAuthenticationToken", "Access token validation failure.", false,
			audit.ErrUnauthorized, []string{"tenant " + testTenant, "client_id " + testClient, "Graph refused the token", "check", "Access token validation failure"}},
		{"403 premium", audit.NonInteractiveSignIns, 403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", premium, false,
			audit.ErrNoPremiumLicense, []string{"sign-in logs need Entra ID P1 or P2 in tenant " + testTenant, "directory audits keep working"}},
		{"403 permissions", audit.DirectoryAudits, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", false,
			audit.ErrForbidden, []string{"AuditLog.Read.All", "Directory.Read.All", "app " + testClient, "tenant " + testTenant, "admin consent"}},
		{"400", audit.Provisioning, 400, "BadRequest", "Invalid filter clause", false,
			audit.ErrBadRequest, []string{"Invalid filter clause", "activityDateTime gt 2026-11-27T02:59:59Z", "bogus eq 1"}},
		{"400 on nextLink", audit.InteractiveSignIns, 400, "BadRequest", "Invalid $skiptoken", true,
			audit.ErrPagingFailed, []string{"nextLink", "page 2", "Invalid $skiptoken"}},
		{"404 on nextLink", audit.InteractiveSignIns, 404, "NotFound", "gone", true,
			audit.ErrPagingFailed, []string{"nextLink", "404"}},
		{"404", audit.DirectoryAudits, 404, "BadRequest", "Resource not found for the segment 'directoryAudit'.", false,
			nil, []string{"404", "Resource not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var next string
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if tt.onNext && n == 1 {
					writePage(w, next, rec("a", "2026-11-27T03:30:00Z"))
					return
				}
				graphError(w, tt.status, tt.code, tt.msg)
			}, nil)
			next = hs.srv.URL + "/v1.0/auditLogs/signIns?$skiptoken=abc"
			_, err := hs.fetch(tt.stream, "bogus eq 1")
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, s := range []error{audit.ErrUnauthorized, audit.ErrForbidden, audit.ErrNoPremiumLicense, audit.ErrBadRequest, audit.ErrPagingFailed} {
				if errors.Is(err, s) != (s == tt.sentinel) { //nolint:errorlint // compares two sentinels, not an error with one
					t.Errorf("errors.Is(err, %v) = %v; err = %v", s, !(s == tt.sentinel), err) //nolint:errorlint // as above
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
			wantRequests := 1
			if tt.onNext {
				wantRequests = 2
			}
			if tt.status == http.StatusUnauthorized {
				// One more attempt with a fresh token (an expired one is the
				// usual cause), then the error stands.
				wantRequests++
			}
			if hs.requests() != wantRequests {
				t.Errorf("%d requests, want %d (no retry)", hs.requests(), wantRequests)
			}
		})
	}
}

func TestFetchGivesUp(t *testing.T) {
	for _, onNext := range []bool{false, true} {
		t.Run(fmt.Sprintf("onNext=%v", onNext), func(t *testing.T) {
			var next string
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if onNext && n == 1 {
					writePage(w, next)
					return
				}
				graphError(w, http.StatusBadGateway, "BadGateway", "upstream down")
			}, func(o *Options) { o.MaxAttempts = 3 })
			next = hs.srv.URL + "/v1.0/auditLogs/signIns?$skiptoken=abc"
			_, err := hs.fetch(audit.InteractiveSignIns, "")
			// Both give up after half the attempts (at least 2): a nextLink
			// as a paging failure, a first page as a query too wide for
			// Graph (5xx); either way the window is re-issued as halves.
			giveUp, sentinel := "its first page failed 2 times", audit.ErrTimedOut
			if onNext {
				giveUp, sentinel = "giving up after 2 failed attempts", audit.ErrPagingFailed
			}
			if err == nil || !strings.Contains(err.Error(), giveUp) || !strings.Contains(err.Error(), "upstream down") {
				t.Fatalf("err = %v, want %s with the last cause", err, giveUp)
			}
			if !errors.Is(err, sentinel) || errors.Is(err, audit.ErrPagingFailed) && errors.Is(err, audit.ErrTimedOut) {
				t.Errorf("err = %v, want it to match %v only", err, sentinel)
			}
			want := 2
			if onNext {
				want = 1 + 2
			}
			if hs.requests() != want {
				t.Errorf("%d requests, want %d", hs.requests(), want)
			}
		})
	}
}
