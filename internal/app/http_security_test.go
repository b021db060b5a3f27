package app_test

import (
	"net/http"
	"os"
	"testing"
)

// TestSecurityReadyzCached: probes within ReadyCacheTTL are answered from
// the last check instead of each touching storage (the local sink's check
// writes and syncs a probe file): with the archive folder gone, /readyz
// still answers as it did a moment ago.
func TestSecurityReadyzCached(t *testing.T) {
	a, f := newStatusApp(t)
	h := a.Handler()
	if code, _, body := doRequest(t, h, http.MethodGet, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %s", code, body)
	}
	if err := os.RemoveAll(f.Dir); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if code, _, body := doRequest(t, h, http.MethodGet, "/readyz"); code != http.StatusOK {
			t.Fatalf("/readyz within the cache period = %d %s: the probe reached storage", code, body)
		}
	}
}
