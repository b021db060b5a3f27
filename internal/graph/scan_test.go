package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var scanCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.0`, `1E+2`, `-12.5e-3`, `12345678901234567890`, `1.000000000000000000001`,
	`true`, `false`, `null`, `{"a":1}`, `{"a":[1,2,{"b":null}],"c":"d"}`,
	`{"s":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"}`, `"é中文😀"`, "\"\x80\xff\"", `{"a":1,"a":2}`,
	" {\n  \"a\" : [ 1 , 2 ] ,\t\"b\" : { } \r\n} ", `{"x":"a b\tc"}`,
	// invalid
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `[1 2]`, `01`, `-`, `1.`, `.5`, `1e`,
	`1e+`, `+1`, `tru`, `nul`, `truex`, `"abc`, `"\x"`, `"\u12g4"`, `"\u12"`, "\"a\tb\"", "\"a\nb\"", `{"a":1}}`,
	`[1]]`, `{"a" 1}`, `{"a":1 "b":2}`, `NaN`, `Infinity`, `'a'`, `[1,,2]`, `{,}`, `{"a":1,,"b":2}`,
}

// scanAll validates b as one JSON text: a value with optional surrounding
// whitespace, as json.Valid does.
func scanAll(b []byte) (space bool, err error) {
	s := scanner{b: b}
	end, err := s.value(s.skipSpace(0))
	if err != nil {
		return false, err
	}
	if s.skipSpace(end) != len(b) {
		return false, malformedAt(end, "trailing data")
	}
	inner := scanner{b: b}
	start := inner.skipSpace(0)
	inner.b, inner.space = b[:end], false
	if _, err := inner.value(start); err != nil {
		return false, err
	}
	return inner.space, nil
}

func TestScannerMatchesEncodingJSON(t *testing.T) {
	for _, c := range scanCases {
		checkScan(t, []byte(c))
	}
}

func checkScan(t *testing.T, in []byte) {
	t.Helper()
	want := json.Valid(in)
	space, err := scanAll(in)
	if got := err == nil; got != want {
		t.Fatalf("%q: scanner valid=%v (%v), json.Valid=%v", in, got, err, want)
	}
	if err != nil {
		if !errors.Is(err, errMalformed) {
			t.Fatalf("%q: error %v does not wrap errMalformed", in, err)
		}
		return
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, in); err != nil {
		t.Fatal(err)
	}
	trimmed := bytes.TrimSpace(in)
	if hasInner := !bytes.Equal(compact.Bytes(), trimmed); hasInner != space {
		t.Errorf("%q: scanner saw inner whitespace=%v, json.Compact changed it=%v", in, space, hasInner)
	}
	got := compactInPlace(append([]byte(nil), trimmed...))
	if !bytes.Equal(got, compact.Bytes()) {
		t.Errorf("%q: compactInPlace=%q, json.Compact=%q", in, got, compact.Bytes())
	}
}

func TestScannerDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if _, err := scanAll([]byte(deep)); !errors.Is(err, errMalformed) {
		t.Fatalf("nesting past %d: err = %v, want errMalformed", maxDepth, err)
	}
	ok := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if _, err := scanAll([]byte(ok)); err != nil {
		t.Fatalf("nesting of %d: %v", maxDepth, err)
	}
}

func FuzzScanner(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkScan(t, in)
	})
}
