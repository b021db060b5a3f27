package egress_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// plainListener counts the requests that reach it and whether any carried
// an Authorization header.
type plainListener struct {
	*httptest.Server
	requests, withAuth atomic.Int32
}

func newPlainListener(t *testing.T) *plainListener {
	p := &plainListener{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if r.Header.Get("Authorization") != "" {
			p.withAuth.Add(1)
		}
		w.Write([]byte(`{"value":[{"id":"forged"}]}`))
	}))
	t.Cleanup(p.Close)
	return p
}

// TestSecurityRedirectToPlainHTTPNotFollowed: an HTTPS endpoint answering
// 302 to plain http on the same host gets a RedirectError naming that host,
// and nothing (least of all the bearer token) reaches the plain listener.
// Go's own client would follow and keep the Authorization header, since the
// host is the same.
func TestSecurityRedirectToPlainHTTPNotFollowed(t *testing.T) {
	plain := newPlainListener(t)
	for _, status := range []int{301, 302, 303, 307, 308} {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, plain.URL+"/v1.0/auditLogs/signIns?sig=SECRET-SIGNATURE", status)
		}))
		defer srv.Close()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1.0/auditLogs/signIns", nil)
		req.Header.Set("Authorization", "Bearer TOKEN")
		resp, err := egress.Transport(srv.Client()).Do(req)
		var re *egress.RedirectError
		if !errors.As(err, &re) || resp != nil {
			t.Fatalf("%d: Do = %v, %v; want a *RedirectError", status, resp, err)
		}
		if want := plain.URL; re.To != want || re.Status != status {
			t.Errorf("%d: RedirectError %+v, want To %s", status, re, want)
		}
		if msg := err.Error(); !strings.Contains(msg, plain.URL) || strings.Contains(msg, "SECRET") || strings.Contains(msg, "auditLogs") {
			t.Errorf("%d: message %q must name the Location's host and nothing of its path or query", status, msg)
		}
	}
	if n := plain.requests.Load(); n != 0 {
		t.Fatalf("the plain-http listener got %d requests (%d with the bearer token)", n, plain.withAuth.Load())
	}
}

// TestSecurityDefaultClientRefusesRedirects: Client itself, as the SDKs use
// it, hands a 3xx back instead of following it.
func TestSecurityDefaultClientRefusesRedirects(t *testing.T) {
	plain := newPlainListener(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("client_secret=SECRET"))
	_, err := egress.Transport(nil).Do(req)
	if _, ok := errors.AsType[*egress.RedirectError](err); !ok {
		t.Fatalf("Do = %v, want a *RedirectError", err)
	}
	if plain.requests.Load() != 0 {
		t.Fatal("the 307 was followed: the body was posted again")
	}
}

// followingTransport is a test transport that follows redirects itself.
type followingTransport struct{ c *http.Client }

func (f followingTransport) Do(r *http.Request) (*http.Response, error) { return f.c.Do(r) }

// TestSecurityFollowedRedirectRefused: when a caller's transport followed a
// redirect anyway, its target's answer is not handed on.
func TestSecurityFollowedRedirectRefused(t *testing.T) {
	plain := newPlainListener(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/page", nil)
	resp, err := egress.Transport(followingTransport{&http.Client{}}).Do(req)
	re, ok := errors.AsType[*egress.RedirectError](err)
	if !ok || !re.Followed || resp != nil {
		t.Fatalf("Do = %v, %v; want a followed *RedirectError", resp, err)
	}
}

// TestSecurityNotModifiedPasses: 304 answers a conditional request; it is
// not a redirect.
func TestSecurityNotModifiedPasses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := egress.Transport(srv.Client()).Do(req)
	if err != nil || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	resp.Body.Close()
}

// gzipBomb is n MiB of zeros as concatenated gzip members (about 1 KB
// each), which Go's transport inflates on its own.
func gzipBomb(t testing.TB, n int) []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), n)
}

// TestSecurityBodyLimitCountsDecompressedBytes: Go's transport gunzips a
// Content-Encoding: gzip answer on its own; MaxBody counts what it yields,
// so a small bomb cannot inflate past the limit.
func TestSecurityBodyLimitCountsDecompressedBytes(t *testing.T) {
	bomb := gzipBomb(t, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := egress.Transport(srv.Client(), egress.MaxBody(1<<20)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	tl, ok := errors.AsType[*egress.BodyTooLargeError](err)
	if !ok || n != 1<<20 || tl.Limit != 1<<20 {
		t.Fatalf("read %d bytes, %v; want 1 MiB then a *BodyTooLargeError", n, err)
	}
	if !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("message %q does not state the limit", err)
	}
	// A body of exactly the limit is whole.
	resp2, err := egress.Transport(srv.Client(), egress.MaxBody(8<<20)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	if n, err := io.Copy(io.Discard, resp2.Body); n != 8<<20 || err != nil {
		t.Fatalf("a body of exactly the limit: %d, %v", n, err)
	}
}

// TestSecurityErrorBodyCut: an error answer's body is cut at MaxErrorBody,
// however much the endpoint sends.
func TestSecurityErrorBodyCut(t *testing.T) {
	bomb := gzipBomb(t, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write(bomb)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := egress.Transport(srv.Client()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || len(body) != egress.MaxErrorBody {
		t.Fatalf("read %d bytes, %v; want %d", len(body), err, egress.MaxErrorBody)
	}
}

// TestSecurityOnlyRefusesBeforeSending: a request Only refuses never
// leaves.
func TestSecurityOnlyRefusesBeforeSending(t *testing.T) {
	plain := newPlainListener(t)
	tr := egress.Transport(nil, egress.Only(func(r *http.Request) error {
		return errors.New("not to " + r.URL.Host)
	}))
	req, _ := http.NewRequest(http.MethodPost, plain.URL, strings.NewReader("secret"))
	if _, err := tr.Do(req); !errors.As(err, new(*egress.RefusedError)) {
		t.Fatalf("Do = %v, want a *RefusedError", err)
	}
	if plain.requests.Load() != 0 {
		t.Fatal("the refused request was sent")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64 MiB", 1536 << 10: "1536 KiB", 100: "100 bytes", 2 << 30: "2 GiB"} {
		if got := egress.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
