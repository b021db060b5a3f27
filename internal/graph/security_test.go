package graph

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// impostor is a plain-http listener on the same host as the harness's
// Graph, serving a forged page and counting who reached it.
type impostor struct {
	*httptest.Server
	requests, withToken atomic.Int32
}

func newImpostor(t *testing.T) *impostor {
	im := &impostor{}
	im.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		im.requests.Add(1)
		if strings.Contains(r.Header.Get("Authorization"), testToken) {
			im.withToken.Add(1)
		}
		writePage(w, "", rec("forged", "2026-11-27T03:10:00Z"))
	}))
	t.Cleanup(im.Close)
	return im
}

// TestSecurityGraphRedirectNotFollowed: "Graph" answering 302 (to plain
// http on the same host) on the first page or on a nextLink ends the
// window with a permanent error naming the Location's host: no retry, the
// bearer token never travels in clear text, and nothing the redirect target
// serves is handed on to be archived.
func TestSecurityGraphRedirectNotFollowed(t *testing.T) {
	for _, onPage := range []int{1, 2} {
		im := newImpostor(t)
		var next string
		hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == onPage {
				http.Redirect(w, r, im.URL+"/v1.0/auditLogs/signIns?$skiptoken=stolen", http.StatusFound)
				return
			}
			writePage(w, next, rec("real", "2026-11-27T03:20:00Z"))
		}, nil)
		next = hs.srv.URL + "/v1.0/auditLogs/signIns?$skiptoken=more"
		got, err := hs.fetch(audit.InteractiveSignIns, "")
		if err == nil {
			t.Fatalf("page %d redirected: Fetch succeeded with %q", onPage, got)
		}
		if n := im.requests.Load(); n != 0 {
			t.Fatalf("page %d redirected: the redirect was followed (%d requests, %d with the bearer token)", onPage, n, im.withToken.Load())
		}
		for _, r := range got {
			if strings.Contains(r, "forged") {
				t.Fatalf("page %d redirected: the redirect target's record was handed on: %q", onPage, got)
			}
		}
		if msg := err.Error(); !strings.Contains(msg, im.URL) || strings.Contains(msg, "stolen") {
			t.Errorf("page %d redirected: error %q must name the Location's host (%s) and nothing of its query", onPage, msg, im.URL)
		}
		if errors.Is(err, audit.ErrPagingFailed) || errors.Is(err, audit.ErrTimedOut) {
			t.Errorf("page %d redirected: %v would make the job re-issue the window at the impostor", onPage, err)
		}
		if hs.requests() != onPage || len(hs.sleeps) != 0 {
			t.Errorf("page %d redirected: %d requests, %d backoffs; want no retry", onPage, hs.requests(), len(hs.sleeps))
		}
	}
}

// gzipBomb is n MiB of zeros as concatenated gzip members (about 1 KB
// each), which Go's transport inflates on its own.
func gzipBomb(n int) []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), n)
}

// TestSecurityGraphGzipBomb: a small gzip answer that inflates to 512 MiB
// ends the window with a clear error after reading no more than
// graph.max_page_bytes, as a page (ErrPagingFailed, not retried: the job
// re-issues the window narrower) and as an error body (cut, then retried
// like any 5xx).
func TestSecurityGraphGzipBomb(t *testing.T) {
	const limit = 8 << 20
	bomb := gzipBomb(512)
	for _, status := range []int{http.StatusOK, http.StatusServiceUnavailable} {
		hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.WriteHeader(status)
			w.Write(bomb)
		}, func(o *Options) { o.MaxPageBytes = limit; o.MaxAttempts = 2 })
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := hs.fetch(audit.InteractiveSignIns, "")
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatalf("status %d: Fetch of a gzip bomb succeeded", status)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 6*limit {
			t.Errorf("status %d: Fetch allocated %d MiB for a %d MiB limit", status, alloc>>20, limit>>20)
		}
		if status != http.StatusOK {
			continue
		}
		if !errors.Is(err, audit.ErrPagingFailed) || !strings.Contains(err.Error(), "graph.max_page_bytes (8 MiB)") {
			t.Errorf("error %v, want ErrPagingFailed naming graph.max_page_bytes and its value", err)
		}
		if !errors.As(err, new(*egress.BodyTooLargeError)) {
			t.Errorf("error %v does not wrap the body limit's error", err)
		}
		if hs.requests() != 1 {
			t.Errorf("%d requests, want 1: the same page would come again as large", hs.requests())
		}
	}
}

// TestSecurityGraphPageLimitDefault: without a configured limit a page is
// bounded at 64 MiB, and a page up to the limit is read whole.
func TestSecurityGraphPageLimitDefault(t *testing.T) {
	a := rec("a", "2026-11-27T03:30:00Z")
	page := `{"value":[` + a + `],"padding":"` + strings.Repeat(" ", 1<<20) + `"}`
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, page)
	}, func(o *Options) { o.MaxPageBytes = int64(len(page)) })
	got, err := hs.fetch(audit.InteractiveSignIns, "")
	if err != nil || len(got) != 1 {
		t.Fatalf("a page of exactly the limit: %q, %v", got, err)
	}
	if hs := newHarness(t, nil, nil); hs.src.maxPage != DefaultMaxPageBytes || DefaultMaxPageBytes != 64<<20 {
		t.Errorf("default page limit %d, want 64 MiB", hs.src.maxPage)
	}
}

// TestSecurityGraphTokenRefusalPermanent: a token request that the
// credential's transport refused (here a redirect from the token endpoint)
// fails the window at once, saying why, instead of being retried.
func TestSecurityGraphTokenRefusalPermanent(t *testing.T) {
	refusal := fmt.Errorf("ClientSecretCredential: server response error: %w",
		&egress.RedirectError{Status: http.StatusTemporaryRedirect, From: "login.microsoftonline.com", To: "evil.example"})
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writePage(w, "", rec("a", "2026-11-27T03:30:00Z"))
	}, func(o *Options) { o.Credential = staticCredential{err: refusal} })
	_, err := hs.fetch(audit.InteractiveSignIns, "")
	if err == nil || !errors.Is(err, audit.ErrUnauthorized) || !strings.Contains(err.Error(), "evil.example") {
		t.Fatalf("Fetch = %v, want a permanent error naming the redirect's host", err)
	}
	if hs.requests() != 0 || len(hs.sleeps) != 0 {
		t.Errorf("%d requests, %d backoffs; want none", hs.requests(), len(hs.sleeps))
	}
}
