package format

import (
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// A filter names record properties by path (status/errorCode), in the
// config's filter and export's --where alike. Graph answers 400 to a
// $filter that names a property its resource does not have; the archive
// cannot be that strict (Graph adds properties, and every record is kept
// whole), but a misspelt name must not quietly compare as null and turn
// "failures only" into everything. So a path is matched against the
// stream's documented properties: its CSV columns (docs/csv-columns.md).

// PropertyMatch is how a property path relates to a stream's documented
// properties.
type PropertyMatch int

const (
	// Documented: the path is, holds or lies inside a documented property
	// (status, status/errorCode, or a member of a property kept as JSON).
	Documented PropertyMatch = iota
	// WrongCase: the path is one only when case is ignored (property names
	// are case-sensitive).
	WrongCase
	// Undocumented: the path is like none: a property Graph added since,
	// or a misspelling.
	Undocumented
)

// MatchProperty matches a property path (its segments) against st's
// documented properties and returns the documented spelling of the path
// when there is one (for Documented and WrongCase).
func MatchProperty(st audit.Stream, segments []string) (PropertyMatch, string) {
	cols := Columns(st)
	if p, ok := documentedPath(cols, segments, false); ok {
		return Documented, p
	}
	if p, ok := documentedPath(cols, segments, true); ok {
		return WrongCase, p
	}
	return Undocumented, ""
}

// documentedPath reports whether path (segments) is, contains or lies
// inside one of the columns' properties; fold compares without case.
func documentedPath(cols []Column, segs []string, fold bool) (string, bool) {
	p := strings.Join(segs, "/")
	eq := func(a, b string) bool { return a == b || (fold && strings.EqualFold(a, b)) }
	for _, c := range cols {
		prop := c.Property
		switch {
		case eq(p, prop):
			return prop, true
		case len(prop) > len(p) && prop[len(p)] == '/' && eq(p, prop[:len(p)]):
			return prop[:len(p)], true // an object with documented members
		case len(p) > len(prop) && p[len(prop)] == '/' && eq(p[:len(prop)], prop):
			return prop + p[len(prop):], true // inside a property kept as JSON
		}
	}
	return "", false
}
