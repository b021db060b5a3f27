package export

import (
	"strings"
	"unicode/utf8"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/odata"
)

// The property paths of --where are matched against the stream's
// documented properties (format.MatchProperty, the rule the config's filter
// is checked by too): a path that matches one only when case is ignored is
// an error naming the right spelling; a path unlike any is allowed with a
// warning (UnknownProperties).

// checkProperties returns a *odata.SyntaxError for the first path of e that
// names a documented property of st with the wrong case, or for a string
// that is not a time compared with the stream's time field (Graph answers
// 400; compared as text it would select the wrong records).
func checkProperties(st audit.Stream, where string, e odata.Expr) error {
	if err := checkTimeLiterals(st, where, e); err != nil {
		return err
	}
	for _, p := range odata.RecordPaths(e) {
		if match, right := format.MatchProperty(st, p.Segments); match == format.WrongCase {
			pos := pathPos(where, p)
			return &odata.SyntaxError{Pos: pos, Col: utf8.RuneCountInString(where[:pos]) + 1, Src: where,
				Msg: "unknown property " + quote(p.String()) + " of " + st.Name + "; did you mean " + quote(right) +
					"? (property names are case-sensitive)"}
		}
	}
	return nil
}

func checkTimeLiterals(st audit.Stream, where string, e odata.Expr) error {
	var bad error
	odata.Walk(e, func(x odata.Expr) bool {
		c, ok := x.(odata.Compare)
		if !ok || bad != nil {
			return bad == nil
		}
		for _, pair := range [][2]odata.Expr{{c.Left, c.Right}, {c.Right, c.Left}} {
			p, isPath := pair[0].(odata.Path)
			lit, isLit := pair[1].(odata.Literal)
			if !isPath || !isLit || lit.Kind != odata.LitString || len(p.Segments) != 1 || p.Segments[0] != st.TimeField {
				continue
			}
			if _, err := audit.ParseTime(lit.Str); err != nil {
				raw := lit.Raw
				if raw == "" {
					raw = "'" + lit.Str + "'"
				}
				pos := strings.Index(where, raw)
				if pos < 0 {
					pos = 0
				}
				bad = &odata.SyntaxError{Pos: pos, Col: utf8.RuneCountInString(where[:pos]) + 1, Src: where,
					Msg: st.TimeField + " is compared with " + raw + ", which is not a time (write one like 2026-11-27T03:00:00Z)"}
			}
		}
		return true
	})
	return bad
}

// UnknownProperties lists the property paths of where that are not among
// the documented properties of st (docs/csv-columns.md): new ones Graph
// added, or misspellings; records without them compare as null. It returns
// nil for an expression that does not parse.
func UnknownProperties(st audit.Stream, where string) []string {
	e, err := odata.Parse(where)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range odata.RecordPaths(e) {
		if match, _ := format.MatchProperty(st, p.Segments); match == format.Undocumented {
			out = append(out, p.String())
		}
	}
	return out
}

func quote(s string) string { return "\"" + s + "\"" }

// pathPos finds where p is written in src (its first occurrence that is not
// part of a longer name), 0 if it cannot be found.
func pathPos(src string, p odata.Path) int {
	name := p.String()
	for from := 0; ; {
		i := strings.Index(src[from:], name)
		if i < 0 {
			return 0
		}
		i += from
		end := i + len(name)
		if (i == 0 || !isNameByte(src[i-1])) && (end == len(src) || !isNameByte(src[end])) {
			return i
		}
		from = i + 1
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c == '/' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
