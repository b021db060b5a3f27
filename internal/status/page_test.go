package status

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPageCachesReports: within CacheTTL the page reuses its report, however
// many browsers refresh; a failed collection is not cached.
func TestPageCachesReports(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	var (
		mu    sync.Mutex
		calls int
		fail  error
	)
	collect := func(ctx context.Context) (Report, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if _, ok := ctx.Deadline(); !ok {
			t.Error("collect without a deadline")
		}
		return Report{Generated: now}, fail
	}
	p := newPage(collect, func() time.Time { return now }, CacheTTL)
	get := func() int {
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec.Code
	}
	steps := []struct {
		advance   time.Duration
		fail      error
		wantCode  int
		wantCalls int
	}{
		{0, nil, http.StatusOK, 1},
		{0, nil, http.StatusOK, 1},
		{CacheTTL - time.Second, nil, http.StatusOK, 1},
		{time.Second, nil, http.StatusOK, 2},
		{CacheTTL, errors.New("storage down"), http.StatusServiceUnavailable, 3},
		{0, errors.New("storage down"), http.StatusServiceUnavailable, 4},
		{0, nil, http.StatusOK, 5},
		{0, nil, http.StatusOK, 5},
	}
	for i, s := range steps {
		mu.Lock()
		now, fail = now.Add(s.advance), s.fail
		mu.Unlock()
		code := get()
		mu.Lock()
		got := calls
		mu.Unlock()
		if code != s.wantCode || got != s.wantCalls {
			t.Fatalf("step %d: code %d after %d collections, want %d after %d", i, code, got, s.wantCode, s.wantCalls)
		}
	}

	// Concurrent refreshes share one collection.
	mu.Lock()
	now = now.Add(CacheTTL)
	mu.Unlock()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { get() })
	}
	wg.Wait()
	if calls != 6 {
		t.Fatalf("8 concurrent requests made %d collections, want 1 more than 5", calls)
	}

	// A new generation (a reloaded configuration) is collected at once.
	gen := 1
	p.generation = func() any { return gen }
	for i, wantCalls := range []int{7, 7} {
		if code := get(); code != http.StatusOK || calls != wantCalls {
			t.Fatalf("generation step %d: code %d after %d collections, want %d", i, code, calls, wantCalls)
		}
	}
	gen = 2
	if code := get(); code != http.StatusOK || calls != 8 {
		t.Fatalf("after a reload: code %d after %d collections, want 8", code, calls)
	}
}

func TestPageReportsCollectionFailure(t *testing.T) {
	p := newPage(func(context.Context) (Report, error) { return Report{}, context.DeadlineExceeded },
		time.Now, CacheTTL)
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "status unavailable: context deadline exceeded") {
		t.Fatalf("code %d, body %q", rec.Code, rec.Body.String())
	}
}

func TestNumbers(t *testing.T) {
	for _, tc := range []struct {
		n              int64
		count, compact string
	}{
		{0, "0", "0"},
		{999, "999", "999"},
		{1000, "1,000", "1.0k"},
		{9999, "9,999", "9.9k"},
		{10_000, "10,000", "10k"},
		{999_999, "999,999", "999k"},
		{1_234_567, "1,234,567", "1.2M"},
		{98_765_432, "98,765,432", "98M"},
		{-1234, "-1,234", "-1234"},
	} {
		if got := count(tc.n); got != tc.count {
			t.Errorf("count(%d) = %q, want %q", tc.n, got, tc.count)
		}
		if got := compact(tc.n); got != tc.compact {
			t.Errorf("compact(%d) = %q, want %q", tc.n, got, tc.compact)
		}
	}
}
