package archivetest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

const partName = "contoso/interactive-signins/y=2026/m=11/d=27/h=03/interactive-signins_20261127T03Z_p000.jsonl"

func testPutCreateOnly(t *testing.T, s archive.Sink) {
	body := []byte(`{"id":"1"}` + "\n" + `{"id":"2"}` + "\n")
	m := mustPut(t, s, partName, body)
	wantContent(t, s, partName, body)
	obj, err := s.Stat(t.Context(), partName)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if obj.Name != partName || obj.Size != int64(len(body)) || obj.ModTime.IsZero() {
		t.Fatalf("Stat = %+v, want name %s, size %d, a modification time", obj, partName, len(body))
	}
	wantMeta(t, "Stat", obj.Metadata, m)
}

func testPutRetryIdentical(t *testing.T, s archive.Sink) {
	body := []byte("same bytes\n")
	m := mustPut(t, s, partName, body)
	// A retry may carry other metadata (a newer archiver_version): the
	// content decides, and the first write's metadata stays.
	retry := meta(body)
	retry[archive.MetaArchiverVersion] = "retry"
	if err := put(t.Context(), s, partName, body, retry); err != nil {
		t.Fatalf("retried Put with identical content: %v", err)
	}
	wantContent(t, s, partName, body)
	obj, err := s.Stat(t.Context(), partName)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	wantMeta(t, "Stat after retry", obj.Metadata, m)
}

func testPutDifferentContent(t *testing.T, s archive.Sink) {
	first := []byte("first\n")
	m := mustPut(t, s, partName, first)
	second := []byte("second\n")
	err := put(t.Context(), s, partName, second, meta(second))
	wantErr(t, "Put of different content", err, archive.ErrExists)
	wantContent(t, s, partName, first)
	obj, err := s.Stat(t.Context(), partName)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	wantMeta(t, "Stat", obj.Metadata, m)
}

// testPutConcurrent races writers on one name, with small bodies and with
// large ones (staged uploads that meet only at commit): identical content
// always succeeds; of different contents exactly one is stored and every
// writer of another content gets ErrExists.
func testPutConcurrent(t *testing.T, s archive.Sink) {
	for _, tc := range []struct {
		name    string
		writers int
		size    int
	}{
		{"small", 8, 100},
		{"large", 4, LargeSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bodies := make([][]byte, tc.writers)
			for i := range bodies {
				bodies[i] = randomBytes(uint64(i%2), tc.size) // two distinct contents
			}
			errs := make([]error, tc.writers)
			var wg sync.WaitGroup
			for i := range tc.writers {
				wg.Go(func() { errs[i] = put(t.Context(), s, partName, bodies[i], meta(bodies[i])) })
			}
			wg.Wait()
			stored := read(t, s, partName)
			for i, err := range errs {
				switch {
				case bytes.Equal(bodies[i], stored) && err != nil:
					t.Errorf("writer %d of the stored content: %v", i, err)
				case !bytes.Equal(bodies[i], stored) && !errors.Is(err, archive.ErrExists):
					t.Errorf("writer %d of other content: got %v, want ErrExists", i, err)
				}
			}
			obj, err := s.Stat(t.Context(), partName)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if got := obj.Metadata[archive.MetaSHA256]; got != digest(stored) {
				t.Fatalf("stored metadata sha256 %s does not describe the stored bytes (%s)", got, digest(stored))
			}
			if err := s.Delete(t.Context(), partName); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func testPutRejectsBadDigest(t *testing.T, s archive.Sink) {
	body := []byte("body\n")
	for _, tc := range []struct {
		name string
		meta map[string]string
	}{
		{"wrong digest", meta([]byte("other"))},
		{"no digest", map[string]string{archive.MetaRecords: "1"}},
		{"upper-case digest", map[string]string{archive.MetaSHA256: fmt.Sprintf("%X", digest(body))}},
	} {
		err := put(t.Context(), s, partName, body, tc.meta)
		wantErr(t, tc.name, err, archive.ErrInvalid)
		_, err = s.Stat(t.Context(), partName)
		wantErr(t, "Stat after rejected Put ("+tc.name+")", err, archive.ErrNotFound)
	}
	bad := meta(body)
	bad["not-an-identifier"] = "x"
	wantErr(t, "metadata key with a hyphen", put(t.Context(), s, partName, body, bad), archive.ErrInvalid)
}

func testPutLarge(t *testing.T, s archive.Sink) {
	body := randomBytes(1, LargeSize)
	name := "big/interactive-signins_20261127T03Z_p000.jsonl"
	m := mustPut(t, s, name, body)
	wantContent(t, s, name, body)
	obj, err := s.Stat(t.Context(), name)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if obj.Size != LargeSize {
		t.Fatalf("Stat size %d, want %d", obj.Size, LargeSize)
	}
	wantMeta(t, "Stat", obj.Metadata, m)
	if err := put(t.Context(), s, name, body, m); err != nil {
		t.Fatalf("retried large Put: %v", err)
	}
	other := randomBytes(2, LargeSize)
	wantErr(t, "large Put of different content", put(t.Context(), s, name, other, meta(other)), archive.ErrExists)
	wantContent(t, s, name, body)
}

func testInvalidNames(t *testing.T, s archive.Sink) {
	body := []byte("x")
	for _, name := range []string{"", "/abs", "a//b", "a/", "a/../b", "..", "./a", `a\b`, "a\x00b", "a\nb"} {
		wantErr(t, fmt.Sprintf("Put(%q)", name), put(t.Context(), s, name, body, meta(body)), archive.ErrInvalid)
		_, err := s.Stat(t.Context(), name)
		wantErr(t, fmt.Sprintf("Stat(%q)", name), err, archive.ErrInvalid)
		_, err = s.WriteDoc(t.Context(), name, body, "")
		wantErr(t, fmt.Sprintf("WriteDoc(%q)", name), err, archive.ErrInvalid)
	}
	err := s.List(t.Context(), "../", func(archive.Object) error { return nil })
	wantErr(t, `List("../")`, err, archive.ErrInvalid)
}

func testMetadata(t *testing.T, s archive.Sink) {
	body := []byte("m\n")
	in := meta(body)
	in["Mixed_Case"] = "Value Kept"
	mustPutMeta(t, s, partName, body, in)
	want := meta(body)
	want["mixed_case"] = "Value Kept"

	obj, err := s.Stat(t.Context(), partName)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	wantMeta(t, "Stat", obj.Metadata, want)
	for _, key := range []string{"SHA256", "Sha256", "MIXED_CASE"} {
		if got, w := archive.MetaGet(obj.Metadata, key), archive.MetaGet(want, key); got != w {
			t.Errorf("MetaGet(%s) = %q, want %q", key, got, w)
		}
	}
	var listed []archive.Object
	if err := s.List(t.Context(), "", func(o archive.Object) error { listed = append(listed, o); return nil }); err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(listed) != 1 {
		t.Fatalf("List returned %d objects, want 1", len(listed))
	}
	wantMeta(t, "List", listed[0].Metadata, want)
}

func mustPutMeta(t *testing.T, s archive.Sink, name string, body []byte, m map[string]string) {
	t.Helper()
	if err := put(t.Context(), s, name, body, m); err != nil {
		t.Fatalf("Put(%s): %v", name, err)
	}
}

// testOpenGzipExact stores a real gzip stream under a .gz name: Open must
// return the compressed bytes as stored, never decompress them.
func testOpenGzipExact(t *testing.T, s archive.Sink) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for i := range 200 {
		fmt.Fprintf(zw, `{"id":"%d","createdDateTime":"2026-11-27T03:%02d:00Z"}`+"\n", i, i%60)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	body := buf.Bytes()
	name := partName + ".gz"
	mustPut(t, s, name, body)
	got := read(t, s, name)
	if digest(got) != digest(body) {
		t.Fatalf("Open returned %d bytes (sha256 %s), want the %d stored gzip bytes (sha256 %s)", len(got), digest(got), len(body), digest(body))
	}
}

func testNotFound(t *testing.T, s archive.Sink) {
	_, err := s.Stat(t.Context(), "missing/blob.jsonl")
	wantErr(t, "Stat", err, archive.ErrNotFound)
	_, err = s.Open(t.Context(), "missing/blob.jsonl")
	wantErr(t, "Open", err, archive.ErrNotFound)
	_, _, err = s.ReadDoc(t.Context(), "missing/state.json")
	wantErr(t, "ReadDoc", err, archive.ErrNotFound)
	if err := s.Delete(t.Context(), "missing/blob.jsonl"); err != nil {
		t.Fatalf("Delete of a missing blob: %v", err)
	}
	// A folder-like prefix of a stored name is not a blob.
	mustPut(t, s, "dir/sub/blob.csv", []byte("a\n"))
	_, err = s.Stat(t.Context(), "dir/sub")
	wantErr(t, "Stat of a name's folder", err, archive.ErrNotFound)
}

func testDelete(t *testing.T, s archive.Sink) {
	mustPut(t, s, partName, []byte("old\n"))
	if err := s.Delete(t.Context(), partName); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Stat(t.Context(), partName)
	wantErr(t, "Stat after Delete", err, archive.ErrNotFound)
	// After Delete the name is free for other content, with its own metadata.
	body := []byte("new\n")
	m := mustPut(t, s, partName, body)
	wantContent(t, s, partName, body)
	obj, err := s.Stat(t.Context(), partName)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	wantMeta(t, "Stat after re-Put", obj.Metadata, m)
}
