package archive_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"contoso/s/y=2026/m=11/d=27/h=03/s_20261127T03Z_p000.jsonl.gz", true},
		{"_state/contoso/s.json", true},
		{".hidden/x", true}, // sinks may reserve more (local does)
		{"a b/ü", true},
		{strings.Repeat("a", 1024), true},
		{strings.Repeat("a", 1025), false},
		{"", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{".", false},
		{"a/./b", false},
		{"a/..", false},
		{`a\b`, false},
		{"a\x00b", false},
		{"a\tb", false},
		{"a\x7fb", false},
	} {
		err := archive.CheckName(tc.name)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, archive.ErrInvalid) {
			t.Errorf("CheckName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"t", true},
		{"t/", true},
		{"t/s/y=2026/m=1", true},
		{"/", false},
		{"../", false},
		{"a//", false},
		{"a/../b", false},
		{`a\`, false},
	} {
		err := archive.CheckPrefix(tc.prefix)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, archive.ErrInvalid) {
			t.Errorf("CheckPrefix(%q) = %v, want ok %v", tc.prefix, err, tc.ok)
		}
	}
}

func TestCheckMeta(t *testing.T) {
	for _, tc := range []struct {
		meta map[string]string
		ok   bool
	}{
		{nil, true},
		{map[string]string{"records": "1", "partition_start": "2026-11-27T03:00:00Z", "_x9": ""}, true},
		{map[string]string{"Records": "1"}, true},
		{map[string]string{"records": "1", "Records": "2"}, false},
		{map[string]string{"9lives": "x"}, false},
		{map[string]string{"with-hyphen": "x"}, false},
		{map[string]string{"": "x"}, false},
		{map[string]string{"k": "line\nbreak"}, false},
		{map[string]string{"k": "ümlaut"}, false},
	} {
		err := archive.CheckMeta(tc.meta)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, archive.ErrInvalid) {
			t.Errorf("CheckMeta(%v) = %v, want ok %v", tc.meta, err, tc.ok)
		}
	}
}

func TestMetaDigest(t *testing.T) {
	const d = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for _, tc := range []struct {
		meta map[string]string
		want string
	}{
		{map[string]string{"sha256": d}, d},
		{map[string]string{"Sha256": d}, d},
		{map[string]string{"sha256": strings.ToUpper(d)}, ""},
		{map[string]string{"sha256": d[:63]}, ""},
		{map[string]string{"sha256": d[:63] + "g"}, ""},
		{map[string]string{}, ""},
	} {
		got, err := archive.MetaDigest(tc.meta)
		if got != tc.want || (tc.want == "") != errors.Is(err, archive.ErrInvalid) {
			t.Errorf("MetaDigest(%v) = %q, %v; want %q", tc.meta, got, err, tc.want)
		}
	}
}

func TestLowerKeys(t *testing.T) {
	got := archive.LowerKeys(map[string]string{"Records": "1", "sha256": "x"})
	if len(got) != 2 || got["records"] != "1" || got["sha256"] != "x" {
		t.Fatalf("LowerKeys = %v", got)
	}
}
