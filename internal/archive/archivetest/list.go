package archivetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// listNames are chosen so that per-folder order and full-name order differ:
// '-' < '.' < '/' < '0' in bytes, so "s-x" and "s.txt" come before "s/…".
var listNames = []string{
	"t/s/y=2026/m=11/d=27/h=03/s_20261127T03Z_p000.jsonl.gz",
	"t/s/y=2026/m=11/d=27/h=03/s_20261127T03Z_p001.jsonl.gz",
	"t/s/y=2026/m=11/d=27/h=03/s_20261127T03Z_manifest.json",
	"t/s/y=2026/m=11/d=27/h=04/s_20261127T04Z_p000.csv.gz",
	"t/s/y=2026/m=11/d=28/s_20261128Z_p000.json",
	"t/s/a/b/c/d/e/f/g/h/deep.jsonl",
	"t/s-x",
	"t/s.txt",
	"t/s0",
	"t/s/y=2026/m=12/d=01/h=00/s_20261201T00Z_p000.jsonl",
	"u/other.jsonl",
}

func testList(t *testing.T, s archive.Sink) {
	stored := map[string]archive.Object{}
	for i, name := range listNames {
		body := fmt.Appendf(nil, "body %d of %s\n", i, name)
		m := mustPut(t, s, name, body)
		stored[name] = archive.Object{Name: name, Size: int64(len(body)), Metadata: m}
	}
	// A document is listed like any blob, without metadata; the sink's
	// own lock and temporary files are not.
	doc := "t/s/state.json"
	if _, err := s.WriteDoc(t.Context(), doc, []byte(`{"v":1}`), ""); err != nil {
		t.Fatalf("WriteDoc: %v", err)
	}
	stored[doc] = archive.Object{Name: doc, Size: 7, Metadata: map[string]string{}}

	for _, prefix := range []string{
		"", "t/", "t/s", "t/s/", "t/s/y=2026/m=11/", "t/s/y=2026/m=11/d=2", "t/s/y=2026/m=11/d=27/h=03/s_20261127T03Z_p",
		"t/s/a/b/c/d/e/f/g/h/", "t/s/y=2027/", "nothing", "u/other.jsonl",
	} {
		var want []string
		for name := range stored {
			if strings.HasPrefix(name, prefix) {
				want = append(want, name)
			}
		}
		slices.Sort(want)
		var got []string
		err := s.List(t.Context(), prefix, func(o archive.Object) error {
			got = append(got, o.Name)
			w := stored[o.Name]
			if o.Size != w.Size {
				t.Errorf("List(%q): %s size %d, want %d", prefix, o.Name, o.Size, w.Size)
			}
			if w.Metadata != nil {
				wantMeta(t, "List "+o.Name, emptyIfNil(o.Metadata), w.Metadata)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("List(%q) =\n  %q\nwant\n  %q", prefix, got, want)
		}
	}
}

func emptyIfNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func testListStops(t *testing.T, s archive.Sink) {
	for _, name := range []string{"a/1", "a/2", "a/3"} {
		mustPut(t, s, name, []byte(name))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.List(t.Context(), "a/", func(archive.Object) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("List with a failing callback: err %v after %d calls, want %v after 1", err, calls, stop)
	}
}

func testFolders(t *testing.T, s archive.Sink) {
	for _, name := range []string{
		"t/s/y=2026/m=11/d=27/h=03/s_20261127T03Z_p000.jsonl.gz",
		"t/s/a/b/deep.jsonl",
		"t/s-y/z.jsonl", // "t/s-y/" sorts before "t/s/"
		"t/s.txt",       // a blob, not a folder
		"u/other.jsonl",
		"v/w/gone.jsonl", // deleted below: v/ holds nothing
	} {
		mustPut(t, s, name, []byte(name))
	}
	if err := s.Delete(t.Context(), "v/w/gone.jsonl"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteDoc(t.Context(), "_state/t/s.json", []byte(`{"v":1}`), ""); err != nil {
		t.Fatalf("WriteDoc: %v", err)
	}
	for prefix, want := range map[string][]string{
		"":                 {"_state/", "t/", "u/"},
		"t/":               {"t/s-y/", "t/s/"},
		"t/s/":             {"t/s/a/", "t/s/y=2026/"},
		"_state/":          {"_state/t/"},
		"t/s/a/b/":         nil,
		"nothing/":         nil,
		"v/":               nil,
		"t/s/y=2026/m=11/": {"t/s/y=2026/m=11/d=27/"},
	} {
		var got []string
		if err := s.Folders(t.Context(), prefix, func(name string) error {
			got = append(got, name)
			return nil
		}); err != nil {
			t.Fatalf("Folders(%q): %v", prefix, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Folders(%q) = %q, want %q", prefix, got, want)
		}
	}
	if err := s.Folders(t.Context(), "t", func(string) error { return nil }); !errors.Is(err, archive.ErrInvalid) {
		t.Errorf("Folders(\"t\") = %v, want ErrInvalid (a folder ends in /)", err)
	}
	stop := errors.New("stop")
	calls := 0
	if err := s.Folders(t.Context(), "", func(string) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Folders with a failing callback: err %v after %d calls, want %v after 1", err, calls, stop)
	}
}
