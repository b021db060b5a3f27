package local_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/entra-archiver/entra-archiver/internal/archive/local"
)

// mountTmpfs mounts a small tmpfs at a fresh folder. It needs root (CI and
// the development machines run tests as root); elsewhere the test is
// skipped with the reason.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0750"); err != nil {
		t.Skipf("mounting a tmpfs needs root (CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func remountReadOnly(t *testing.T, dir string) {
	t.Helper()
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount %s read-only: %v", dir, err)
	}
}

// TestDiskFull: on a full disk a new Put or WriteDoc fails with ENOSPC in
// its error and leaves no partial file, while a retried Put of a stored blob
// still succeeds and stored blobs stay readable.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "256k")
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	small := []byte("fits\n")
	smallMeta := map[string]string{"sha256": digest(small)}
	if err := put(t, s, "t/a.jsonl", small, smallMeta); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 1<<20)
	if err := os.WriteFile(filepath.Join(dir, "filler"), big, 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v, want ENOSPC", err)
	}

	if err := put(t, s, "t/a.jsonl", small, smallMeta); err != nil {
		t.Errorf("retried Put of a stored blob on a full disk: %v", err)
	}
	err = put(t, s, "t/b.jsonl", small, map[string]string{"sha256": digest(small)})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("Put on a full disk = %v, want ENOSPC", err)
	}
	wantOnly(t, filepath.Join(dir, "t"), "a.jsonl", "a.jsonl.meta.json")
	wantSame(t, s, "t/a.jsonl", small)

	if err := os.Mkdir(filepath.Join(dir, "_state"), 0o750); err != nil {
		t.Fatal(err)
	}
	_, err = s.WriteDoc(t.Context(), "_state/doc.json", small, "")
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteDoc on a full disk = %v, want ENOSPC", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "_state")); len(entries) > 1 {
		t.Fatalf("_state holds %v after a failed WriteDoc, want at most its lock file", entries)
	}
}

// TestReadOnly: on a read-only file system New, Check, Put and WriteDoc fail
// with EROFS (root ignores file modes, so only a read-only mount shows this)
// and stored blobs stay readable.
func TestReadOnly(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("stored\n")
	if err := put(t, s, "t/a.jsonl", body, map[string]string{"sha256": digest(body)}); err != nil {
		t.Fatal(err)
	}
	remountReadOnly(t, dir)

	if _, err := local.New(dir); !errors.Is(err, syscall.EROFS) {
		t.Errorf("New on a read-only folder = %v, want EROFS", err)
	}
	if err := s.Check(t.Context()); !errors.Is(err, syscall.EROFS) {
		t.Errorf("Check = %v, want EROFS", err)
	}
	other := []byte("new\n")
	if err := put(t, s, "t/b.jsonl", other, map[string]string{"sha256": digest(other)}); !errors.Is(err, syscall.EROFS) {
		t.Errorf("Put = %v, want EROFS", err)
	}
	if _, err := s.WriteDoc(t.Context(), "t/doc.json", other, ""); !errors.Is(err, syscall.EROFS) {
		t.Errorf("WriteDoc = %v, want EROFS", err)
	}
	wantOnly(t, filepath.Join(dir, "t"), "a.jsonl", "a.jsonl.meta.json")
	wantSame(t, s, "t/a.jsonl", body)
}

func wantSame(t *testing.T, s *local.Sink, name string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(s.Root(), filepath.FromSlash(name)))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s = %q, %v; want %q", name, got, err, want)
	}
}
