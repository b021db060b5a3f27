package local_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/archivetest"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
)

func newSink(t *testing.T) *local.Sink {
	t.Helper()
	s, err := local.New(filepath.Join(t.TempDir(), "archive"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	archivetest.Run(t, func(t *testing.T) archive.Sink { return newSink(t) })
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func put(t *testing.T, s *local.Sink, name string, body []byte, meta map[string]string) error {
	t.Helper()
	return s.Put(t.Context(), name, bytes.NewReader(body), int64(len(body)), meta)
}

// TestFiles pins the on-disk form that users' tools read: the blob's bytes,
// a sidecar with sorted lower-case keys, modes 0640 and 0750.
func TestFiles(t *testing.T) {
	s := newSink(t)
	body := []byte("{\"id\":\"1\"}\n")
	meta := map[string]string{"sha256": digest(body), "Records": "1", "part": "0"}
	name := "contoso/s/y=2026/m=11/d=27/h=03/s_20261127T03Z_p000.jsonl"
	if err := put(t, s, name, body, meta); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.Root(), filepath.FromSlash(name))
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("blob file = %q, %v; want %q", got, err, body)
	}
	sidecar, err := os.ReadFile(p + ".meta.json")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"part":"0","records":"1","sha256":"` + digest(body) + `"}`; string(sidecar) != want {
		t.Fatalf("sidecar = %s, want %s", sidecar, want)
	}
	for _, tc := range []struct {
		path string
		mode fs.FileMode
	}{
		{s.Root(), 0o750 | fs.ModeDir},
		{filepath.Join(s.Root(), "contoso"), 0o750 | fs.ModeDir},
		{filepath.Dir(p), 0o750 | fs.ModeDir},
		{p, 0o640},
		{p + ".meta.json", 0o640},
	} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != tc.mode {
			t.Errorf("%s: mode %v, want %v", tc.path, fi.Mode(), tc.mode)
		}
	}
	wantOnly(t, filepath.Dir(p), "s_20261127T03Z_p000.jsonl", "s_20261127T03Z_p000.jsonl.meta.json")
}

// wantOnly fails unless dir holds exactly the named entries (no temporary
// files left behind).
func wantOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %q, want %q", dir, got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("%s holds %q, want %q", dir, got, names)
		}
	}
}

func TestReservedNames(t *testing.T) {
	s := newSink(t)
	body := []byte("x")
	for _, name := range []string{".tmp-x", "a/.b.lock", "a/.hidden/b", "x.jsonl.meta.json"} {
		err := put(t, s, name, body, map[string]string{"sha256": digest(body)})
		if !errors.Is(err, archive.ErrInvalid) {
			t.Errorf("Put(%q) = %v, want ErrInvalid", name, err)
		}
	}
}

func TestNewRejectsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"", f, filepath.Join(f, "below")} {
		if _, err := local.New(root); err == nil {
			t.Errorf("New(%q) succeeded, want an error", root)
		}
	}
}

// TestSidecarRepair: a blob that lost its sidecar (Put publishes the sidecar
// first, so no crash leaves this; a hand or an older version can) lists
// without metadata until a Put with the same content completes it.
func TestSidecarRepair(t *testing.T) {
	s := newSink(t)
	body := []byte("records\n")
	meta := map[string]string{"sha256": digest(body), "records": "1"}
	name := "t/s/p000.jsonl"
	if err := put(t, s, name, body, meta); err != nil {
		t.Fatal(err)
	}
	sidecar := filepath.Join(s.Root(), "t/s/p000.jsonl.meta.json")
	if err := os.Remove(sidecar); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Stat(t.Context(), name)
	if err != nil || len(obj.Metadata) != 0 {
		t.Fatalf("Stat without sidecar = %+v, %v; want the blob with no metadata", obj, err)
	}
	other := []byte("other\n")
	if err := put(t, s, name, other, map[string]string{"sha256": digest(other)}); !errors.Is(err, archive.ErrExists) {
		t.Fatalf("Put of other content over a blob without sidecar = %v, want ErrExists", err)
	}
	if err := put(t, s, name, body, meta); err != nil {
		t.Fatalf("retried Put: %v", err)
	}
	obj, err = s.Stat(t.Context(), name)
	if err != nil || obj.Metadata["records"] != "1" || obj.Metadata["sha256"] != digest(body) {
		t.Fatalf("Stat after repair = %+v, %v; want the metadata back", obj, err)
	}
}

// TestPutCrashLeavesNoBlobWithoutMetadata stops a Put where a crash would
// fall between its two files: nothing is visible, and the next Put of the
// name, with other content (the next run fetched more), succeeds whole.
func TestPutCrashLeavesNoBlobWithoutMetadata(t *testing.T) {
	s := newSink(t)
	name := "t/s/p002.jsonl"
	crash := errors.New("killed")
	restore := local.SetHookBeforeBlob(func() error { return crash })
	body := []byte("r1\n")
	err := put(t, s, name, body, map[string]string{"sha256": digest(body), "records": "1"})
	restore()
	if !errors.Is(err, crash) {
		t.Fatalf("Put = %v, want the injected crash", err)
	}
	if _, err := s.Stat(t.Context(), name); !errors.Is(err, archive.ErrNotFound) {
		t.Fatalf("after a crash mid-Put, Stat = %v, want ErrNotFound", err)
	}
	var listed []string
	if err := s.List(t.Context(), "t/", func(o archive.Object) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 0 {
		t.Fatalf("after a crash mid-Put, List shows %v", listed)
	}
	more := []byte("r1\nr2\n")
	if err := put(t, s, name, more, map[string]string{"sha256": digest(more), "records": "2"}); err != nil {
		t.Fatalf("the next Put: %v", err)
	}
	obj, err := s.Stat(t.Context(), name)
	if err != nil || obj.Metadata["records"] != "2" || obj.Metadata["sha256"] != digest(more) {
		t.Fatalf("Stat = %+v, %v; want the second Put's metadata", obj, err)
	}
}

// TestStaleSidecar simulates crashes in Delete (blob removed, sidecar not
// yet) and in the next Put (new blob published, stale sidecar not yet
// replaced): the stale sidecar is invisible or ignored, and a Put of the
// blob's content replaces it.
func TestStaleSidecar(t *testing.T) {
	body := []byte("new\n")
	for _, tc := range []struct {
		name      string
		blobThere bool
	}{
		{"sidecar only", false},
		{"new blob, old sidecar", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t)
			name := "t/s/p000.jsonl"
			p := filepath.Join(s.Root(), filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p+".meta.json", []byte(`{"sha256":"`+digest([]byte("old"))+`"}`), 0o640); err != nil {
				t.Fatal(err)
			}
			if tc.blobThere {
				if err := os.WriteFile(p, body, 0o640); err != nil {
					t.Fatal(err)
				}
			} else if _, err := s.Stat(t.Context(), name); !errors.Is(err, archive.ErrNotFound) {
				t.Fatalf("Stat with only a sidecar = %v, want ErrNotFound", err)
			}
			if err := put(t, s, name, body, map[string]string{"sha256": digest(body)}); err != nil {
				t.Fatalf("Put: %v", err)
			}
			obj, err := s.Stat(t.Context(), name)
			if err != nil || obj.Metadata["sha256"] != digest(body) {
				t.Fatalf("Stat = %+v, %v; want the new metadata", obj, err)
			}
		})
	}
}

// TestBodyErrors: a body shorter or longer than size, or one that fails
// mid-way, leaves neither a blob nor a temporary file.
func TestBodyErrors(t *testing.T) {
	body := []byte("0123456789")
	for _, tc := range []struct {
		name string
		size int64
	}{
		{"short body", int64(len(body)) + 1},
		{"long body", int64(len(body)) - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t)
			err := s.Put(t.Context(), "d/blob", bytes.NewReader(body), tc.size, map[string]string{"sha256": digest(body)})
			if !errors.Is(err, archive.ErrInvalid) {
				t.Fatalf("Put = %v, want ErrInvalid", err)
			}
			wantOnly(t, filepath.Join(s.Root(), "d"))
		})
	}
	t.Run("failing reader", func(t *testing.T) {
		s := newSink(t)
		boom := errors.New("disk unplugged")
		err := s.Put(t.Context(), "d/blob", &failingReader{data: body, err: boom}, int64(len(body)), map[string]string{"sha256": digest(body)})
		if !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want %v", err, boom)
		}
		wantOnly(t, filepath.Join(s.Root(), "d"))
	})
}

// failingReader yields half of data, then err.
type failingReader struct {
	data []byte
	err  error
	off  int
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data)/2 {
		return 0, r.err
	}
	n := copy(p, r.data[r.off:len(r.data)/2])
	r.off += n
	return n, nil
}

func (r *failingReader) Seek(offset int64, whence int) (int64, error) {
	r.off = int(offset)
	return offset, nil
}
