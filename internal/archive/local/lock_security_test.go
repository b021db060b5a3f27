package local_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive/local"
)

// TestSecurityLeaseFileBounded: a lease file someone filled with 256 MiB
// (sparse, so the test stays cheap) is not read whole: it counts as an
// unreadable lease, that is a free lock, and taking the lock rewrites it.
func TestSecurityLeaseFileBounded(t *testing.T) {
	dir := t.TempDir()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	lease := filepath.Join(dir, "_locks", ".contoso.lease")
	if err := os.MkdirAll(filepath.Dir(lease), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lease, []byte(`{"owner":"someone","expires":"2999-01-01T00:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(lease, 256<<20); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, err := s.Acquire(t.Context(), "_locks/contoso", time.Minute)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Acquire over an oversized lease file: %v", err)
	}
	defer l.Release(t.Context())
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("Acquire allocated %d MiB reading a lease file", alloc>>20)
	}
	if fi, err := os.Stat(lease); err != nil || fi.Size() > 1<<10 {
		t.Errorf("the lease file was not rewritten: %v, %v", fi.Size(), err)
	}
}
