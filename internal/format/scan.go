package format

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the small JSON scanner the CSV encoder walks records with.
// It finds the byte range of values without decoding them, so numbers keep
// the literal Graph wrote and nested values can be copied byte for byte.

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the offset just past the string starting at b[i] == '"'
// and whether it contains escapes.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, nil
		}
	}
	return 0, false, fmt.Errorf("unterminated string at offset %d", i)
}

// scanValue returns the offset just past the JSON value starting at b[i].
func scanValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, fmt.Errorf("value expected at offset %d", i)
	}
	switch b[i] {
	case '"':
		end, _, err := scanString(b, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _, err := scanString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("unterminated object or array at offset %d", i)
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
			if j == i {
				return 0, fmt.Errorf("unexpected %q at offset %d", b[j], j)
			}
			return j, nil
		}
		j++
	}
	return j, nil
}

// appendUnquoted appends the text of the JSON string q (with its quotes) to
// dst, decoding as encoding/json does: \uXXXX surrogate pairs are combined;
// lone surrogates and invalid UTF-8 become U+FFFD.
func appendUnquoted(dst, q []byte) []byte {
	s := q[1 : len(q)-1]
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if c != '\\' {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		if i+1 >= len(s) {
			break
		}
		esc := s[i+1]
		i += 2
		switch esc {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i)
			if !ok {
				dst = append(dst, "\uFFFD"...)
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := lowSurrogate(s, i)
				if ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
					r = utf16.DecodeRune(r, r2)
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // \" \\ \/ and anything else: the character itself
			dst = append(dst, esc)
		}
	}
	return dst
}

// plainString reports whether the JSON string q (with quotes) is its own
// text: no escapes and valid UTF-8.
func plainString(q []byte) bool {
	s := q[1 : len(q)-1]
	for _, c := range s {
		if c == '\\' {
			return false
		}
	}
	return utf8.Valid(s)
}

// lowSurrogate reads a "\uXXXX" escape at s[i:].
func lowSurrogate(s []byte, i int) (rune, bool) {
	if i+1 >= len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	return hex4(s, i+2)
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}
