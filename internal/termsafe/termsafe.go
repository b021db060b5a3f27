// Package termsafe makes text that came from outside the program safe to
// print on a terminal: Graph's error texts, blob names from a listing,
// record content (ids, reasons), manifest and state fields, values of a
// configuration file. A terminal acts on some characters instead of showing
// them: ESC starts sequences that move the cursor, clear the screen, retitle
// the window or write the clipboard (OSC 52); C1 controls do the same in one
// character; bidirectional overrides and invisible format characters make a
// line read differently from what it holds. Anyone who can type a user name
// at a sign-in page, or answer in Graph's place, chooses such text.
//
// String and Lines render every such character as a visible escape in Go's
// notation (\x1b, \u202e), so what reaches the terminal is inert and still
// tells what was there. Printable text, including every letter of every
// script, passes unchanged. A backslash is not escaped: the rendering is for
// reading, not for parsing back.
//
// Commands call these where they print outside text, not where they read it:
// the archive, the state and the logs keep every byte as it came.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// String renders s for one line of a terminal: control characters (C0 with
// tab and newline, DEL, C1), format characters (bidirectional overrides and
// isolates, zero-width characters, tags), line and paragraph separators and
// bytes that are not UTF-8 become visible escapes.
func String(s string) string { return escape(s, "") }

// Lines is String for text of several lines whose line breaks the program
// lays out itself (errors joined with newlines): it keeps '\n'.
func Lines(s string) string { return escape(s, "\n") }

// JSON escapes, in JSON text that encoding/json wrote, the characters it
// leaves raw but a terminal acts on (C1 controls, format characters and
// separators): each becomes a \uXXXX escape of itself, so every JSON reader
// decodes the same values. encoding/json already escapes C0 controls and
// replaces bytes that are not UTF-8; outside strings, JSON is ASCII.
func JSON(b []byte) []byte {
	if !needsEscape(string(b), "\t\n\r") {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r < utf8.RuneSelf || !unsafeRune(r):
			out = append(out, b[i:i+size]...)
		case r > 0xffff: // JSON spells it as a surrogate pair
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}

// NewWriter returns a writer that escapes what it is given as Lines does,
// keeping tabs too (console log lines separate their fields with them).
// Each Write is escaped on its own, so it suits writers that are handed
// whole lines, as a logger's are.
func NewWriter(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (w writer) Write(p []byte) (int, error) {
	s := string(p)
	if !needsEscape(s, "\t\n") {
		return w.w.Write(p)
	}
	if _, err := io.WriteString(w.w, escape(s, "\t\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// unsafeRune reports whether a terminal may act on r instead of showing it.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f:
		return true // C0, DEL
	case r < 0x80:
		return false
	case r < 0xa0:
		return true // C1
	}
	// Cf: bidirectional marks, embeddings, overrides and isolates, zero-
	// width characters, soft hyphen, tags; Zl, Zp: line breaks of their own.
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

func needsEscape(s, keep string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && strings.IndexByte(keep, c) < 0 {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

func escape(s, keep string) string {
	if !needsEscape(s, keep) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < utf8.RuneSelf && strings.IndexByte(keep, byte(r)) >= 0, !unsafeRune(r):
			b.WriteString(s[i : i+size])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}
