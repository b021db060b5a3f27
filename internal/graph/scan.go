package graph

import (
	"errors"
	"fmt"
)

// errMalformed marks a response body that is not valid JSON or not shaped
// like a Graph collection page (truncated, garbled): the attempt is retried.
var errMalformed = errors.New("malformed page")

// maxDepth bounds nesting, as encoding/json does, so a hostile body cannot
// exhaust the stack.
const maxDepth = 10000

// plainString marks the bytes a JSON string can hold without a closer look:
// everything but '"', '\\' and control characters.
var plainString = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanner validates JSON values in one pass (the grammar of RFC 8259, like
// json.Valid) and notes whether it met insignificant whitespace, which tells
// the caller that a value needs compacting.
type scanner struct {
	b     []byte
	space bool
	depth int
}

// syntaxError says where and how a body breaks JSON's grammar; it is
// errMalformed.
type syntaxError struct {
	what   string
	offset int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%v: %s at offset %d", errMalformed, e.what, e.offset)
}

func (e *syntaxError) Is(target error) bool { return target == errMalformed }

func malformedAt(i int, what string) error { return &syntaxError{what: what, offset: i} }

// delimit finds the end of the object or array starting at b[i] from its
// brackets and strings alone, without the rest of JSON's grammar: the extent
// of a record that was served whole but is not valid JSON (a trailing comma,
// as in some of Graph's published examples). ok is false when the brackets
// do not close (a truncated body), do not match, or nest deeper than the
// scanner allows.
func (s *scanner) delimit(i int) (end int, ok bool) {
	b := s.b
	if i >= len(b) || b[i] != '{' && b[i] != '[' {
		return 0, false
	}
	var open []byte
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '{', '[':
			if len(open) == maxDepth {
				return 0, false
			}
			open = append(open, c)
		case '}', ']':
			// '}' and ']' are their openers plus 2 in ASCII.
			if open[len(open)-1] != c-2 {
				return 0, false
			}
			open = open[:len(open)-1]
			if len(open) == 0 {
				return j + 1, true
			}
		case '"':
			for j++; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
			if j >= len(b) {
				return 0, false
			}
		}
	}
	return 0, false
}

// skipSpace returns the offset of the first non-whitespace byte at or after
// i and records whether there was any whitespace.
func (s *scanner) skipSpace(i int) int {
	j := i
	for j < len(s.b) {
		switch s.b[j] {
		case ' ', '\t', '\n', '\r':
			j++
			continue
		}
		break
	}
	if j != i {
		s.space = true
	}
	return j
}

// value validates the value starting at b[i] and returns the offset just
// past it.
func (s *scanner) value(i int) (int, error) {
	if i >= len(s.b) {
		return 0, malformedAt(i, "unexpected end")
	}
	switch c := s.b[i]; c {
	case '{':
		return s.object(i)
	case '[':
		return s.array(i)
	case '"':
		return s.str(i)
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return s.number(i)
		}
		return 0, malformedAt(i, fmt.Sprintf("unexpected %+q", c)) // ASCII: it may end up in a reason
	}
}

func (s *scanner) enter(i int) error {
	s.depth++
	if s.depth > maxDepth {
		return malformedAt(i, "nesting too deep")
	}
	return nil
}

func (s *scanner) object(i int) (int, error) {
	if err := s.enter(i); err != nil {
		return 0, err
	}
	j := s.skipSpace(i + 1)
	if j < len(s.b) && s.b[j] == '}' {
		s.depth--
		return j + 1, nil
	}
	var err error
	for {
		if j >= len(s.b) || s.b[j] != '"' {
			return 0, malformedAt(j, "expected object key")
		}
		if j, err = s.str(j); err != nil {
			return 0, err
		}
		j = s.skipSpace(j)
		if j >= len(s.b) || s.b[j] != ':' {
			return 0, malformedAt(j, "expected ':'")
		}
		if j, err = s.value(s.skipSpace(j + 1)); err != nil {
			return 0, err
		}
		j = s.skipSpace(j)
		if j >= len(s.b) {
			return 0, malformedAt(j, "unexpected end of object")
		}
		switch s.b[j] {
		case ',':
			j = s.skipSpace(j + 1)
			continue
		case '}':
			s.depth--
			return j + 1, nil
		}
		return 0, malformedAt(j, "expected ',' or '}'")
	}
}

func (s *scanner) array(i int) (int, error) {
	if err := s.enter(i); err != nil {
		return 0, err
	}
	j := s.skipSpace(i + 1)
	if j < len(s.b) && s.b[j] == ']' {
		s.depth--
		return j + 1, nil
	}
	var err error
	for {
		if j, err = s.value(j); err != nil {
			return 0, err
		}
		j = s.skipSpace(j)
		if j >= len(s.b) {
			return 0, malformedAt(j, "unexpected end of array")
		}
		switch s.b[j] {
		case ',':
			j = s.skipSpace(j + 1)
			continue
		case ']':
			s.depth--
			return j + 1, nil
		}
		return 0, malformedAt(j, "expected ',' or ']'")
	}
}

// str validates the string starting at b[i]=='"' and returns the offset just
// past its closing quote. Bytes >= 0x80 are not checked for valid UTF-8,
// matching json.Valid.
func (s *scanner) str(i int) (int, error) {
	b := s.b
	j := i + 1
	for {
		for j < len(b) && plainString[b[j]] {
			j++
		}
		if j >= len(b) {
			return 0, malformedAt(j, "unterminated string")
		}
		switch b[j] {
		case '"':
			return j + 1, nil
		case '\\':
			if j+1 >= len(b) {
				return 0, malformedAt(j, "unterminated string")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return 0, malformedAt(j, `bad \u escape`)
				}
				j += 6
			default:
				return 0, malformedAt(j, "bad escape")
			}
		default:
			return 0, malformedAt(j, "control character in string")
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (s *scanner) number(i int) (int, error) {
	b := s.b
	j := i
	if b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && '1' <= b[j] && b[j] <= '9':
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return 0, malformedAt(j, "bad number")
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || !isDigit(b[j]) {
			return 0, malformedAt(j, "bad number fraction")
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !isDigit(b[j]) {
			return 0, malformedAt(j, "bad number exponent")
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	return j, nil
}

func (s *scanner) literal(i int, lit string) (int, error) {
	if len(s.b)-i < len(lit) || string(s.b[i:i+len(lit)]) != lit {
		return 0, malformedAt(i, "bad literal")
	}
	return i + len(lit), nil
}

// compactInPlace removes insignificant whitespace from the valid JSON value
// in b, writing over b, and returns the shortened slice. The result equals
// what json.Compact produces; string contents are copied untouched.
func compactInPlace(b []byte) []byte {
	w := 0
	for r := 0; r < len(b); r++ {
		c := b[r]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			end := r + 1
			for end < len(b) && b[end] != '"' {
				if b[end] == '\\' {
					end++
				}
				end++
			}
			w += copy(b[w:], b[r:end+1])
			r = end
			continue
		}
		b[w] = c
		w++
	}
	return b[:w]
}
