package app

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSecurityHTTPServerBounds: the listener bounds every phase of a
// connection and the size of request headers, so slow or idle clients
// (slowloris) and huge headers cannot pin connections or memory.
func TestSecurityHTTPServerBounds(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	srv := newHTTPServer(ok)
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout,
	} {
		if d <= 0 || d > 2*time.Minute {
			t.Errorf("%s = %v, want a bound of at most 2 minutes", name, d)
		}
	}
	if srv.WriteTimeout <= 30*time.Second {
		t.Errorf("WriteTimeout %v leaves the status page (30 s to collect) no room", srv.WriteTimeout)
	}
	ts := httptest.NewUnstartedServer(ok)
	ts.Config = newHTTPServer(ok)
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 256<<10))
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("256 KiB of headers: %d, want 431", resp.StatusCode)
	}
}

// TestSecurityReadinessCache: one check per ttl however many probes come
// at once, a failure kept as long as a success, and a new check after a
// configuration reload.
func TestSecurityReadinessCache(t *testing.T) {
	var checks atomic.Int32
	var mu sync.Mutex
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	fail := error(nil)
	gen := any(1)
	r := &readiness{
		check: func(ctx context.Context) error {
			checks.Add(1)
			time.Sleep(10 * time.Millisecond)
			return fail
		},
		generation: func() any { return gen },
		now:        func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		ttl:        ReadyCacheTTL,
	}
	probe := func() int {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { probe() })
	}
	wg.Wait()
	if n := checks.Load(); n != 1 {
		t.Fatalf("100 concurrent probes ran %d checks, want 1", n)
	}
	fail = errors.New("storage not reachable")
	mu.Lock()
	now = now.Add(ReadyCacheTTL)
	mu.Unlock()
	if code := probe(); code != http.StatusServiceUnavailable || checks.Load() != 2 {
		t.Fatalf("after the ttl: %d with %d checks, want 503 from a second check", code, checks.Load())
	}
	fail = nil
	if code := probe(); code != http.StatusServiceUnavailable || checks.Load() != 2 {
		t.Errorf("a failure within the ttl: %d with %d checks, want the cached 503", code, checks.Load())
	}
	gen = 2
	if code := probe(); code != http.StatusOK || checks.Load() != 3 {
		t.Errorf("after a reload: %d with %d checks, want a new check", code, checks.Load())
	}
}
