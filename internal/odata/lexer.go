package odata

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tString
	tNumber
	tDateTime
	tGUID
	tLParen
	tRParen
	tComma
	tSlash
	tColon
)

type token struct {
	kind tokenKind
	pos  int
	text string    // source text
	str  string    // tString: decoded value
	time time.Time // tDateTime
}

// lexer cuts a filter into tokens on demand, so the parser reports the first
// error from the left rather than a lexical error further on.
type lexer struct {
	src string
	pos int
}

func (l *lexer) fail(pos int, format string, args ...any) (token, *SyntaxError) {
	return token{}, newSyntaxError(l.src, pos, format, args...)
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
}

// peekByte returns the first byte after the current token that is not white
// space, or 0 at the end.
func (l *lexer) peekByte() byte {
	l.skipSpace()
	if l.pos < len(l.src) {
		return l.src[l.pos]
	}
	return 0
}

func (l *lexer) next() (token, *SyntaxError) {
	l.skipSpace()
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	if k, ok := punctuation[l.src[start]]; ok {
		l.pos++
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	c := l.src[start]
	switch {
	case c == '\'':
		return l.scanString()
	case c == '"':
		return l.fail(start, "unexpected '\"': string literals use single quotes")
	case isGUIDAt(l.src, start):
		l.pos += guidLen
		return token{kind: tGUID, pos: start, text: l.src[start:l.pos]}, nil
	case isDigit(c) && isDateTimeStart(l.src[start:]):
		return l.scanDateTime()
	case isDigit(c) || c == '-' && start+1 < len(l.src) && isDigit(l.src[start+1]):
		return l.scanNumber()
	case isIdentStart(c):
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tIdent, pos: start, text: l.src[start:l.pos]}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	return l.fail(start, "unexpected character %s", strconv.QuoteRune(r))
}

var punctuation = map[byte]tokenKind{
	'(': tLParen, ')': tRParen, ',': tComma, '/': tSlash, ':': tColon,
}

// scanString reads a single-quoted string; a doubled quote stands for one.
func (l *lexer) scanString() (token, *SyntaxError) {
	start := l.pos
	var b strings.Builder
	i := start + 1
	for {
		j := strings.IndexByte(l.src[i:], '\'')
		if j < 0 {
			return l.fail(start, "unterminated string literal")
		}
		b.WriteString(l.src[i : i+j])
		i += j + 1
		if i < len(l.src) && l.src[i] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		l.pos = i
		return token{kind: tString, pos: start, text: l.src[start:i], str: b.String()}, nil
	}
}

func (l *lexer) scanNumber() (token, *SyntaxError) {
	start := l.pos
	i := start + 1
	for i < len(l.src) {
		c := l.src[i]
		sign := (c == '+' || c == '-') && (l.src[i-1] == 'e' || l.src[i-1] == 'E')
		if !isIdentChar(c) && c != '.' && !sign {
			break
		}
		i++
	}
	text := l.src[start:i]
	if _, ok := parseDecimal(text); !ok {
		return l.fail(start, "invalid number %s", text)
	}
	l.pos = i
	return token{kind: tNumber, pos: start, text: text}, nil
}

func (l *lexer) scanDateTime() (token, *SyntaxError) {
	start := l.pos
	i := start
	for i < len(l.src) && (isIdentChar(l.src[i]) || strings.IndexByte(":.+-", l.src[i]) >= 0) {
		i++
	}
	text := l.src[start:i]
	t, err := parseDateTime(text)
	if err != nil {
		return l.fail(start, "invalid datetime %s: %v", text, err)
	}
	l.pos = i
	return token{kind: tDateTime, pos: start, text: text, time: t}, nil
}

var errDateTimeShape = errors.New("want YYYY-MM-DDThh:mm:ss[.fffffff] and Z or ±hh:mm")

// parseDateTime parses an unquoted OData DateTimeOffset such as
// 2026-11-27T03:00:00Z or 2026-11-27T04:00:00.1234567+01:00 (one to nine
// fractional digits). It checks the shape itself and leaves the ranges to
// time.Parse.
func parseDateTime(s string) (time.Time, error) {
	rest, ok := cutShape(s, "dddd-dd-ddTdd:dd:dd")
	if ok && strings.HasPrefix(rest, ".") {
		n := skipDigits(rest, 1)
		ok, rest = n > 1 && n <= 10, rest[n:]
	}
	zone := rest
	if ok && zone != "Z" {
		rest, ok = cutShape(zone, "±dd:dd")
		ok = ok && rest == ""
	}
	if !ok {
		return time.Time{}, errDateTimeShape
	}
	if zone != "Z" && zone[4] > '5' { // time.Parse takes +01:60 as +02:00
		return time.Time{}, errors.New("time zone offset minute out of range")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			return time.Time{}, errors.New(strings.TrimPrefix(pe.Message, ": "))
		}
		return time.Time{}, errors.New("not a valid date and time")
	}
	// Canonical rendering is in UTC; keep it a four-digit year.
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, errors.New("year out of range in UTC")
	}
	return t, nil
}

// cutShape matches the start of s against shape, where 'd' is a digit, '±'
// is '+' or '-' and any other character stands for itself, and returns the
// rest of s.
func cutShape(s, shape string) (rest string, ok bool) {
	i := 0
	for _, want := range shape {
		if i >= len(s) {
			return "", false
		}
		c := s[i]
		switch want {
		case 'd':
			ok = isDigit(c)
		case '±':
			ok = c == '+' || c == '-'
		default:
			ok = rune(c) == want
		}
		if !ok {
			return "", false
		}
		i++
	}
	return s[i:], true
}

const guidLen = 36

// isGUIDAt reports whether src[i:] starts with a GUID (8-4-4-4-12 hex digits)
// that is not part of a longer name.
func isGUIDAt(src string, i int) bool {
	if len(src)-i < guidLen {
		return false
	}
	for j := range guidLen {
		c := src[i+j]
		if j == 8 || j == 13 || j == 18 || j == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	end := i + guidLen
	return end == len(src) || !isIdentChar(src[end]) && src[end] != '-'
}

// isDateTimeStart reports whether s starts like a date: four digits and '-'.
func isDateTimeStart(s string) bool {
	return len(s) > 4 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) && s[4] == '-'
}

func isSpace(c byte) bool      { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isHex(c byte) bool        { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
func isIdentStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }
