package odata

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

type valueKind int

const (
	kindNull valueKind = iota
	kindBool
	kindNumber // str holds the number text
	kindString
	kindGUID // a GUID literal; str as written
	kindTime // a datetime literal
	kindArray
	kindObject
)

// value is the result of evaluating a node against one record.
type value struct {
	kind  valueKind
	b     bool
	str   string
	t     time.Time
	elems []any // kindArray
}

var (
	valueTrue  = value{kind: kindBool, b: true}
	valueFalse = value{kind: kindBool}
	valueNull  = value{}
)

func boolValue(b bool) value {
	if b {
		return valueTrue
	}
	return valueFalse
}

// isTrue reports whether v satisfies a condition: only the boolean true does.
func (v value) isTrue() bool { return v.kind == kindBool && v.b }

func (v value) isText() bool { return v.kind == kindString || v.kind == kindGUID }

// jsonValue wraps a value decoded by encoding/json with UseNumber.
func jsonValue(x any) value {
	switch x := x.(type) {
	case bool:
		return boolValue(x)
	case json.Number:
		return value{kind: kindNumber, str: string(x)}
	case string:
		return value{kind: kindString, str: x}
	case []any:
		return value{kind: kindArray, elems: x}
	case map[string]any:
		return value{kind: kindObject}
	}
	return valueNull
}

// compareValues orders a and b. ok is false when they cannot be compared
// (different types, arrays, objects, or null against a non-null value).
func compareValues(a, b value, caseInsensitive bool) (c int, ok bool) {
	// Timestamps compare as instants, even when the literal was quoted
	// ('2026-11-27T08:00:00Z'): Graph writes 0-7 fractional digits, so as
	// strings "…08:00:00Z" sorts after "…08:00:00.5Z".
	if a.kind == kindString && b.kind == kindString && looksLikeTime(a.str) && looksLikeTime(b.str) {
		ta, errA := audit.ParseTime(a.str)
		tb, errB := audit.ParseTime(b.str)
		if errA == nil && errB == nil {
			return ta.Compare(tb), true
		}
	}
	switch {
	case a.kind == kindNull || b.kind == kindNull:
		return 0, a.kind == b.kind
	case a.kind == kindBool && b.kind == kindBool:
		return compareBools(a.b, b.b), true
	case a.kind == kindNumber && b.kind == kindNumber:
		da, okA := parseDecimal(a.str)
		db, okB := parseDecimal(b.str)
		return compareDecimal(da, db), okA && okB
	case a.isText() && b.isText():
		// GUIDs are case-insensitive whatever the options say.
		if caseInsensitive || a.kind == kindGUID || b.kind == kindGUID {
			return foldCompare(a.str, b.str), true
		}
		return strings.Compare(a.str, b.str), true
	case a.kind == kindTime || b.kind == kindTime:
		// A datetime literal against a string property compares instants.
		ta, okA := timeOf(a)
		tb, okB := timeOf(b)
		return ta.Compare(tb), okA && okB
	}
	return 0, false
}

// looksLikeTime is a cheap test for an ISO 8601 timestamp
// (2026-11-27T08:00:00…) before parsing one.
func looksLikeTime(s string) bool {
	return len(s) >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[0] >= '0' && s[0] <= '9'
}

// timeOf returns the instant of a datetime literal or of a string property
// holding a Graph timestamp.
func timeOf(v value) (time.Time, bool) {
	switch v.kind {
	case kindTime:
		return v.t, true
	case kindString:
		t, err := audit.ParseTime(v.str)
		return t, err == nil
	}
	return time.Time{}, false
}

func compareBools(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// The fold functions compare strings rune by rune after unicode.ToLower,
// without allocating. Rune order equals UTF-8 byte order, so foldCompare
// agrees with comparing strings.ToLower of both.

func foldCompare(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra, rb = unicode.ToLower(ra), unicode.ToLower(rb); ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b) // only the signs matter: one (or both) is empty
}

// foldPrefix reports whether s starts with prefix, ignoring case.
func foldPrefix(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		rs, ns := utf8.DecodeRuneInString(s)
		rp, np := utf8.DecodeRuneInString(prefix)
		if unicode.ToLower(rs) != unicode.ToLower(rp) {
			return false
		}
		s, prefix = s[ns:], prefix[np:]
	}
	return true
}

// foldSuffix reports whether s ends with suffix, ignoring case.
func foldSuffix(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		rs, ns := utf8.DecodeLastRuneInString(s)
		rp, np := utf8.DecodeLastRuneInString(suffix)
		if unicode.ToLower(rs) != unicode.ToLower(rp) {
			return false
		}
		s, suffix = s[:len(s)-ns], suffix[:len(suffix)-np]
	}
	return true
}

// foldContains reports whether sub occurs in s, ignoring case.
func foldContains(s, sub string) bool {
	for {
		if foldPrefix(s, sub) {
			return true
		}
		if s == "" {
			return false
		}
		_, n := utf8.DecodeRuneInString(s)
		s = s[n:]
	}
}
