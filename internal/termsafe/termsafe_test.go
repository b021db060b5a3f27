package termsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestSecurityEscapes: what a terminal would act on comes out as a visible
// escape; everything printable, in any script, comes out as it went in.
func TestSecurityEscapes(t *testing.T) {
	for _, tc := range []struct{ in, str, lines string }{
		{"plain text, 100 %", "plain text, 100 %", ""},
		{"Zürich 東京 مرحبا emoji 👩‍💻?", `Zürich 東京 مرحبا emoji 👩\u200d💻?`, ""}, // ZWJ is a format character
		{"OSC 52: \x1b]52;c;ZWNobyBwd25lZA==\x07 clipboard", `OSC 52: \x1b]52;c;ZWNobyBwd25lZA==\x07 clipboard`, ""},
		{"clear \x1b[2J\x1b[H screen", `clear \x1b[2J\x1b[H screen`, ""},
		{"two\nlines\r\n\tand tab", `two\nlines\r\n\tand tab`, "two\nlines\\r\n\\tand tab"},
		{"DEL \x7f NUL \x00 BEL \a", `DEL \x7f NUL \x00 BEL \x07`, ""},
		{"C1 CSI \u009b2J and NEL \u0085", `C1 CSI \u009b2J and NEL \u0085`, ""},
		{"raw 8-bit CSI \x9b2J, bad UTF-8 \xff\xfe", `raw 8-bit CSI \x9b2J, bad UTF-8 \xff\xfe`, ""},
		{"reason: user gnp.exe\u202e", `reason: user gnp.exe\u202e`, ""},
		{"isolates \u2066x\u2069, marks \u200e\u200f, ALM \u061c", `isolates \u2066x\u2069, marks \u200e\u200f, ALM \u061c`, ""},
		{"zero width \u200b, BOM \ufeff, separators \u2028\u2029", `zero width \u200b, BOM \ufeff, separators \u2028\u2029`, ""},
		{"tag chars \U000e0041\U000e0042", `tag chars \U000e0041\U000e0042`, ""},
		{`already escaped \x1b stays`, `already escaped \x1b stays`, ""},
	} {
		got := String(tc.in)
		if got != tc.str {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.str)
		}
		wantLines := tc.lines
		if wantLines == "" {
			wantLines = tc.str
		}
		if got := Lines(tc.in); got != wantLines {
			t.Errorf("Lines(%q) = %q, want %q", tc.in, got, wantLines)
		}
		if !safe(got, "") {
			t.Errorf("String(%q) = %q holds a raw control character", tc.in, got)
		}
		var b bytes.Buffer
		if n, err := NewWriter(&b).Write([]byte(tc.in)); n != len(tc.in) || err != nil || !safe(b.String(), "\t\n") {
			t.Errorf("Writer(%q) = %q, %d, %v", tc.in, b.String(), n, err)
		}
	}
}

// TestSecurityJSONEscapes: JSON keeps its values, byte for byte, but shows a
// terminal nothing it would act on.
func TestSecurityJSONEscapes(t *testing.T) {
	in := map[string]string{"error": "a\x1b]52;c;eA==\x07b\x1b[2J \u009b \u202eexe.txt \U000e0041 Zürich 👩‍💻\n"}
	raw, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out := JSON(raw)
	if !safe(string(out), "\n") {
		t.Fatalf("JSON left a raw control character: %q", out)
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil || back["error"] != in["error"] {
		t.Fatalf("JSON changed the value: %q, %v", back["error"], err)
	}
	if plain := []byte(`{"a": "b"}`); &JSON(plain)[0] != &plain[0] {
		t.Error("JSON copied text that needed nothing")
	}
}

// safe reports whether s holds nothing a terminal acts on but keep.
func safe(s, keep string) bool {
	for _, r := range s {
		if r == utf8.RuneError || (r < 0x20 || r == 0x7f) && !strings.ContainsRune(keep, r) ||
			r >= 0x80 && r < 0xa0 || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return false
		}
	}
	return true
}
