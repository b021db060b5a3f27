package odata

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts renders to
// text it accepts again with the same rendering, that every tree it returns
// compiles, and that matching never fails on a valid record. Seeds are in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	record := readRecord(f, "signin.json")
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(src) || se.Col < 1 || se.Src != src {
				t.Fatalf("Parse(%q): bad error %#v", src, err)
			}
			return
		}
		s := e.String()
		e2, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) rendered %q, which does not parse: %v", src, s, err)
		}
		if s2 := e2.String(); s2 != s {
			t.Fatalf("Parse(%q) rendered %q, then %q", src, s, s2)
		}
		m, err := Compile(e, Options{CaseInsensitive: len(src)%2 == 0})
		if err != nil {
			t.Fatalf("Compile(Parse(%q)): %v", src, err)
		}
		if _, err := m.Match(record); err != nil {
			t.Fatalf("Match(%q): %v", src, err)
		}
	})
}
