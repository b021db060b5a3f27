package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestFetchTransportFailuresRecover(t *testing.T) {
	a := rec("a", "2026-11-27T03:30:00Z")
	full := `{"value":[` + a + `]}`
	tests := []struct {
		name  string
		fault handler
	}{
		{"stalled headers", func(_ int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}},
		{"stalled body", func(_ int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(full)))
			io.WriteString(w, full[:10])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}},
		{"short body", func(_ int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(full)))
			io.WriteString(w, full[:len(full)-3])
		}},
		{"reset mid-body", func(_ int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(full)))
			io.WriteString(w, full[:5])
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
		{"reset before answering", func(_ int, w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
		{"408", func(_ int, w http.ResponseWriter, r *http.Request) {
			graphError(w, http.StatusRequestTimeout, "RequestTimeout", "took too long")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					tt.fault(n, w, r)
					return
				}
				io.WriteString(w, full)
			}, func(o *Options) { o.RequestTimeout = 200 * time.Millisecond })
			got, err := hs.fetch(audit.InteractiveSignIns, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != a {
				t.Fatalf("records %q, want [%s]", got, a)
			}
			// A broken connection can also fail an attempt that never
			// reaches the handler; every failed attempt is one backoff.
			s := hs.obs.statuses
			if len(s) < 2 || s[len(s)-1] != 200 || len(hs.sleeps) != len(s)-1 || hs.requests() < 2 {
				t.Errorf("observed %v with %d backoffs over %d requests; want failures then 200, one backoff each",
					s, len(hs.sleeps), hs.requests())
			}
		})
	}
}

func TestFetchStopsOnPageError(t *testing.T) {
	var next string
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writePage(w, next, rec("a", "2026-11-27T03:30:00Z"))
	}, nil)
	next = hs.srv.URL + "/v1.0/auditLogs/signIns?$skiptoken=more"
	stop := errors.New("disk full")
	err := hs.src.Fetch(context.Background(), audit.InteractiveSignIns, pageWindow, "", func(audit.Page) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the page callback's error unchanged", err)
	}
	if hs.requests() != 1 {
		t.Errorf("%d requests, want 1", hs.requests())
	}
}

func TestFetchSkipsEmptyWindowAndEmptyPages(t *testing.T) {
	var next string
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			writePage(w, next, rec("outside", "2026-11-27T04:00:00Z"))
			return
		}
		writePage(w, "")
	}, nil)
	next = hs.srv.URL + "/v1.0/auditLogs/signIns?$skiptoken=more"
	calls := 0
	count := func(audit.Page) error { calls++; return nil }
	empty := audit.Window{From: pageWindow.From, To: pageWindow.From}
	if err := hs.src.Fetch(context.Background(), audit.InteractiveSignIns, empty, "", count); err != nil || hs.requests() != 0 {
		t.Fatalf("empty window: err %v, %d requests; want none", err, hs.requests())
	}
	if err := hs.src.Fetch(context.Background(), audit.InteractiveSignIns, pageWindow, "", count); err != nil {
		t.Fatal(err)
	}
	if calls != 0 || hs.requests() != 2 {
		t.Errorf("%d callbacks over %d requests, want 0 over 2", calls, hs.requests())
	}
}

func TestFetchRefusesForeignNextLink(t *testing.T) {
	foreign := httptestTarget(t)
	for _, next := range []string{foreign + "/v1.0/auditLogs/signIns?$skiptoken=x", "http://127.0.0.1/v1.0/x"} {
		hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
			writePage(w, next, rec("a", "2026-11-27T03:30:00Z"))
		}, nil)
		_, err := hs.fetch(audit.InteractiveSignIns, "")
		if err == nil || !strings.Contains(err.Error(), "refusing nextLink") {
			t.Fatalf("nextLink %s: err = %v, want a refusal", next, err)
		}
		if hs.requests() != 1 {
			t.Errorf("nextLink %s: %d requests, want 1", next, hs.requests())
		}
	}
}

func TestFetchRefusesRelativeNextLink(t *testing.T) {
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writePage(w, "/v1.0/auditLogs/signIns?$skiptoken=x", rec("a", "2026-11-27T03:30:00Z"))
	}, nil)
	if _, err := hs.fetch(audit.InteractiveSignIns, ""); !errors.Is(err, audit.ErrPagingFailed) {
		t.Fatalf("err = %v, want ErrPagingFailed", err)
	}
}

// httptestTarget is a TLS server on another port that fails the test if the
// Source ever contacts it.
func httptestTarget(t *testing.T) string {
	hs := newHarness(t, func(int, http.ResponseWriter, *http.Request) { t.Error("foreign host contacted") }, nil)
	return hs.srv.URL
}

func TestFetchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		cancel()
		graphError(w, http.StatusServiceUnavailable, "x", "y")
	}, nil)
	err := hs.src.Fetch(ctx, audit.InteractiveSignIns, pageWindow, "", func(audit.Page) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if hs.requests() != 1 {
		t.Errorf("%d requests, want 1", hs.requests())
	}
}

func tokenResponse(status int, body string) *http.Response {
	req, _ := http.NewRequest(http.MethodPost, "https://login.example/"+testTenant+"/oauth2/v2.0/token", nil)
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header: http.Header{}, Body: io.NopCloser(bytes.NewBufferString(body)), Request: req}
}

func TestFetchTokenErrors(t *testing.T) {
	const secret = "Sup3r~Secret.Value_That-Must-Not-Leak"
	aad := func(code, desc string) string {
		// The body echoes the secret (AAD does not) to prove that error
		// texts never repeat what the token endpoint sent.
		return fmt.Sprintf(`{"error":"invalid_client","error_description":"AADSTS%s: %s\r\nTrace ID: t\r\nCorrelation ID: c","error_codes":[%s],"client_secret":%q}`, code, desc, code, secret)
	}
	tests := []struct {
		name      string
		err       error
		permanent bool
		want      []string
	}{
		{"wrong secret", &azidentity.AuthenticationFailedError{RawResponse: tokenResponse(401, aad("7000215", "Invalid client secret provided."))},
			true, []string{"tenant " + testTenant, "client_id " + testClient, "AADSTS7000215", "Secret ID"}},
		{"expired secret", &azidentity.AuthenticationFailedError{RawResponse: tokenResponse(401, aad("7000222", "The provided client secret keys are expired."))},
			true, []string{"AADSTS7000222", "expired"}},
		{"unknown app", &azidentity.AuthenticationFailedError{RawResponse: tokenResponse(400, aad("700016", "Application not found."))},
			true, []string{"AADSTS700016", "check client_id"}},
		{"unknown tenant", &azidentity.AuthenticationFailedError{RawResponse: tokenResponse(400, aad("90002", "Tenant not found."))},
			true, []string{"AADSTS90002", "check tenant_id"}},
		{"no identity", errors.New("ManagedIdentityCredential: no default identity is assigned to this resource\nmore"),
			true, []string{"ManagedIdentityCredential: no default identity", "tenant " + testTenant}},
		{"token endpoint down", &azidentity.AuthenticationFailedError{RawResponse: tokenResponse(503, `{"error":"temporarily_unavailable"}`)},
			false, []string{"giving up after 2 attempts", "token endpoint answered 503"}},
		{"token endpoint unreachable", &url.Error{Op: "Post", URL: "https://login.example", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}},
			false, []string{"giving up after 2 attempts", "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(int, http.ResponseWriter, *http.Request) { t.Error("Graph contacted without a token") },
				func(o *Options) { o.Credential, o.MaxAttempts = staticCredential{err: tt.err}, 2 })
			_, err := hs.fetch(audit.DirectoryAudits, "")
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if errors.Is(err, audit.ErrUnauthorized) != tt.permanent {
				t.Errorf("errors.Is(err, ErrUnauthorized) = %v, want %v", !tt.permanent, tt.permanent)
			}
			if wantBackoffs := map[bool]int{true: 0, false: 1}[tt.permanent]; len(hs.sleeps) != wantBackoffs {
				t.Errorf("%d backoffs, want %d", len(hs.sleeps), wantBackoffs)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q", w)
				}
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks a secret: %v", err)
			}
			if len(hs.obs.statuses) != 0 {
				t.Errorf("observer saw Graph requests %v, want none", hs.obs.statuses)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	p := NewPacer(5, 10*time.Second)
	base := Options{TenantID: testTenant, GraphEndpoint: "https://graph.microsoft.com", Credential: staticCredential{}, Tenant: p, App: p}
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no tenant", func(o *Options) { o.TenantID = "" }, "tenant ID"},
		{"no credential", func(o *Options) { o.Credential = nil }, "credential"},
		{"no pacer", func(o *Options) { o.App = nil }, "pacers"},
		{"relative endpoint", func(o *Options) { o.GraphEndpoint = "graph.microsoft.com" }, "absolute"},
		{"http endpoint", func(o *Options) { o.GraphEndpoint = "http://graph.microsoft.com" }, "https"},
	}
	for _, tt := range tests {
		o := base
		tt.edit(&o)
		if _, err := New(o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
	o := base
	o.GraphEndpoint += "/"
	s, err := New(o)
	if err != nil || s.root != "https://graph.microsoft.com" || s.pageSize != DefaultPageSize || s.maxAttempts != DefaultMaxAttempts {
		t.Fatalf("New with defaults: %+v, %v", s, err)
	}
}
