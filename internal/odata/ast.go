package odata

import (
	"strings"
	"time"
)

// Expr is a node of a filter's syntax tree. Parse builds nodes as values
// (Logical, not *Logical); build your own the same way, because Walk and
// Compile only know the value forms.
type Expr interface {
	// String renders the node as canonical OData that Parse accepts again:
	// keywords in lower case, minimal parentheses, strings in single quotes,
	// datetimes in UTC.
	String() string
}

// Logical joins two conditions with "and" or "or".
type Logical struct {
	Op          string // "and" | "or"
	Left, Right Expr
}

// Not negates a condition.
type Not struct {
	X Expr
}

// Compare is a binary comparison; Op is one of eq ne gt ge lt le.
type Compare struct {
	Op          string
	Left, Right Expr
}

// In is "Left in (List...)": true when Left equals any element of List.
type In struct {
	Left Expr
	List []Expr
}

// Call is a built-in function: startswith, endswith, contains (conditions)
// or tolower, toupper (values).
type Call struct {
	Func string
	Args []Expr
}

// Lambda is "Collection/any(Var: Body)" or "Collection/all(Var: Body)". An
// any() without arguments (Var "" and Body nil) is true for a non-empty
// collection. Inside Body, a Path whose first segment is Var refers to the
// current element.
type Lambda struct {
	Collection Path
	Kind       string // "any" | "all"
	Var        string
	Body       Expr
}

// Path names a property: status/errorCode is Path{["status", "errorCode"]}.
// Inside a lambda, a path may start with the lambda variable ("t" or
// ["a", "succeeded"]).
type Path struct {
	Segments []string
}

// LiteralKind says which field of a Literal holds its value.
type LiteralKind int

// Literal kinds.
const (
	LitString   LiteralKind = iota // Str
	LitNumber                      // Num
	LitBool                        // Bool
	LitNull                        // no value
	LitDateTime                    // Time
	LitGUID                        // Str, as written
)

var literalKindNames = [...]string{"string", "number", "bool", "null", "datetime", "GUID"}

func (k LiteralKind) String() string {
	if k < 0 || int(k) >= len(literalKindNames) {
		return "unknown"
	}
	return literalKindNames[k]
}

// Literal is a constant. Raw is its source text when it came from Parse;
// String renders it from the decoded fields, so a hand-built Literal needs no
// Raw.
type Literal struct {
	Kind LiteralKind
	Raw  string
	Str  string    // LitString (decoded, no quotes), LitGUID
	Time time.Time // LitDateTime
	Num  string    // LitNumber: the number as written, e.g. "-1.5e3"
	Bool bool      // LitBool
}

// And returns Logical{"and", a, b}. A nil operand is left out, so
// And(window, userFilter) works when the user gave no filter.
func And(a, b Expr) Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return Logical{Op: "and", Left: a, Right: b}
}

// Conjuncts splits a filter at its top-level "and"s, left to right:
// "a and (b and c) or d" is one conjunct, "a and b and c" three.
func Conjuncts(e Expr) []Expr {
	if l, ok := e.(Logical); ok && l.Op == "and" {
		return append(Conjuncts(l.Left), Conjuncts(l.Right)...)
	}
	if e == nil {
		return nil
	}
	return []Expr{e}
}

// Walk visits e and its descendants in pre-order. When fn returns false the
// children of that node are skipped. A Lambda's Collection is visited as a
// Path before its Body.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch n := e.(type) {
	case Logical:
		Walk(n.Left, fn)
		Walk(n.Right, fn)
	case Not:
		Walk(n.X, fn)
	case Compare:
		Walk(n.Left, fn)
		Walk(n.Right, fn)
	case In:
		Walk(n.Left, fn)
		for _, x := range n.List {
			Walk(x, fn)
		}
	case Call:
		for _, x := range n.Args {
			Walk(x, fn)
		}
	case Lambda:
		Walk(n.Collection, fn)
		Walk(n.Body, fn)
	}
}

// RecordPaths lists the property paths of e that start at the record, not
// at a lambda's variable (the t of any(t: t eq 'x')), in order of
// appearance: what a filter asks of a record's properties.
func RecordPaths(e Expr) []Path {
	vars := map[string]bool{}
	var out []Path
	Walk(e, func(x Expr) bool {
		switch n := x.(type) {
		case Lambda:
			if n.Var != "" {
				vars[n.Var] = true
			}
		case Path:
			if len(n.Segments) > 0 && !vars[n.Segments[0]] {
				out = append(out, n)
			}
		}
		return true
	})
	return out
}

func (n Logical) String() string { return render(n) }
func (n Not) String() string     { return render(n) }
func (n Compare) String() string { return render(n) }
func (n In) String() string      { return render(n) }
func (n Call) String() string    { return render(n) }
func (n Lambda) String() string  { return render(n) }
func (n Path) String() string    { return strings.Join(n.Segments, "/") }
func (n Literal) String() string { return render(n) }

// Binding strength of a node when rendered, loosest first.
const (
	rankOr = iota + 1
	rankAnd
	rankCompare
	rankNot
	rankPrimary
)

func rank(e Expr) int {
	switch n := e.(type) {
	case Logical:
		if n.Op == "or" {
			return rankOr
		}
		return rankAnd
	case Compare, In:
		return rankCompare
	case Not:
		return rankNot
	}
	return rankPrimary
}

func render(e Expr) string {
	var b strings.Builder
	write(&b, e)
	return b.String()
}

// write renders e. Parentheses appear only where Parse needs them to rebuild
// the same tree; the right operand of and/or keeps them when it has the same
// operator, so a and (b and c) round-trips as written.
func write(b *strings.Builder, e Expr) {
	switch n := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case Logical:
		r := rank(n)
		writeParen(b, n.Left, rank(n.Left) < r)
		b.WriteString(" " + n.Op + " ")
		writeParen(b, n.Right, rank(n.Right) <= r)
	case Not:
		b.WriteString("not ")
		writeParen(b, n.X, rank(n.X) < rankNot)
	case Compare:
		writeParen(b, n.Left, rank(n.Left) < rankPrimary)
		b.WriteString(" " + n.Op + " ")
		writeParen(b, n.Right, rank(n.Right) < rankPrimary)
	case In:
		writeParen(b, n.Left, rank(n.Left) < rankPrimary)
		b.WriteString(" in ")
		writeList(b, n.List)
	case Call:
		b.WriteString(n.Func)
		writeList(b, n.Args)
	case Lambda:
		b.WriteString(n.Collection.String())
		b.WriteString("/" + n.Kind + "(")
		if n.Var != "" || n.Body != nil {
			b.WriteString(n.Var + ": ")
			write(b, n.Body)
		}
		b.WriteByte(')')
	case Literal:
		writeLiteral(b, n)
	default:
		b.WriteString(e.String())
	}
}

func writeParen(b *strings.Builder, e Expr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	write(b, e)
	if paren {
		b.WriteByte(')')
	}
}

func writeList(b *strings.Builder, list []Expr) {
	b.WriteByte('(')
	for i, x := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		// Arguments and list items are parsed at comparison level.
		writeParen(b, x, rank(x) < rankCompare)
	}
	b.WriteByte(')')
}

func writeLiteral(b *strings.Builder, n Literal) {
	switch n.Kind {
	case LitString:
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(n.Str, "'", "''"))
		b.WriteByte('\'')
	case LitNumber:
		b.WriteString(n.Num)
	case LitBool:
		if n.Bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case LitNull:
		b.WriteString("null")
	case LitDateTime:
		b.WriteString(n.Time.UTC().Format(time.RFC3339Nano))
	case LitGUID:
		b.WriteString(n.Str)
	default:
		b.WriteString("<invalid literal>")
	}
}
