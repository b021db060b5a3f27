package odata

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Options tune evaluation.
type Options struct {
	// CaseInsensitive makes string comparisons (eq, ne, ordering, in) and
	// startswith, endswith and contains ignore case, by comparing
	// unicode.ToLower of each character.
	CaseInsensitive bool
}

// Matcher evaluates a compiled filter against records. It is safe for
// concurrent use.
type Matcher struct {
	eval  evalFunc
	keys  map[string]bool // top-level properties the filter reads
	depth int             // lambda nesting: variable slots a Match needs
}

// scope is the state of one Match: the record and the current element of
// each enclosing lambda, outermost first.
type scope struct {
	root any
	vars []any
}

type evalFunc func(*scope) value

// Compile checks e and turns it into a Matcher. It enforces on hand-built
// trees what Parse enforces on text, so anything Parse returns compiles.
// Errors wrap ErrInvalidExpr.
func Compile(e Expr, opts Options) (*Matcher, error) {
	c := compiler{opts: opts, keys: map[string]bool{}}
	eval, err := c.condition(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidExpr, err)
	}
	return &Matcher{eval: eval, keys: c.keys, depth: c.maxDepth}, nil
}

// Match reports whether the JSON object record satisfies the filter. It
// returns an error (wrapping ErrNotObject) only when record is not a single
// JSON object.
func (m *Matcher) Match(record []byte) (bool, error) {
	doc, err := decodeRecord(record, m.keys)
	if err != nil {
		return false, err
	}
	s := scope{root: doc}
	if m.depth > 0 {
		s.vars = make([]any, m.depth)
	}
	return m.eval(&s).isTrue(), nil
}

type compiler struct {
	opts     Options
	keys     map[string]bool // top-level properties read
	vars     []string        // lambda variables in scope, outermost first
	maxDepth int
}

func (c *compiler) condition(e Expr) (evalFunc, error) {
	eval, err := c.expr(e)
	if err == nil && !isCondition(e) {
		return nil, fmt.Errorf("expected a condition, found value %s", e)
	}
	return eval, err
}

func (c *compiler) expr(e Expr) (evalFunc, error) {
	switch n := e.(type) {
	case nil:
		return nil, errors.New("missing expression")
	case Logical:
		return c.logical(n)
	case Not:
		x, err := c.condition(n.X)
		if err != nil {
			return nil, err
		}
		return func(s *scope) value { return boolValue(!x(s).isTrue()) }, nil
	case Compare:
		return c.compare(n)
	case In:
		return c.in(n)
	case Call:
		return c.call(n)
	case Lambda:
		return c.lambda(n)
	case Path:
		return c.path(n)
	case Literal:
		v, err := literalValue(n)
		if err != nil {
			return nil, err
		}
		return func(*scope) value { return v }, nil
	}
	return nil, fmt.Errorf("unsupported node %T (build nodes as values, not pointers)", e)
}

func (c *compiler) logical(n Logical) (evalFunc, error) {
	left, err := c.condition(n.Left)
	if err != nil {
		return nil, err
	}
	right, err := c.condition(n.Right)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case "and":
		return func(s *scope) value { return boolValue(left(s).isTrue() && right(s).isTrue()) }, nil
	case "or":
		return func(s *scope) value { return boolValue(left(s).isTrue() || right(s).isTrue()) }, nil
	}
	return nil, fmt.Errorf("unknown logical operator %q", n.Op)
}

func (c *compiler) compare(n Compare) (evalFunc, error) {
	left, err := c.expr(n.Left)
	if err != nil {
		return nil, err
	}
	right, err := c.expr(n.Right)
	if err != nil {
		return nil, err
	}
	var test func(cmp int) bool
	switch n.Op {
	case "eq", "ne":
		test = func(cmp int) bool { return cmp == 0 }
	case "gt":
		test = func(cmp int) bool { return cmp > 0 }
	case "ge":
		test = func(cmp int) bool { return cmp >= 0 }
	case "lt":
		test = func(cmp int) bool { return cmp < 0 }
	case "le":
		test = func(cmp int) bool { return cmp <= 0 }
	default:
		return nil, fmt.Errorf("unknown comparison operator %q", n.Op)
	}
	ci, negate := c.opts.CaseInsensitive, n.Op == "ne"
	return func(s *scope) value {
		cmp, ok := compareValues(left(s), right(s), ci)
		return boolValue((ok && test(cmp)) != negate)
	}, nil
}

func (c *compiler) in(n In) (evalFunc, error) {
	if len(n.List) == 0 {
		return nil, errors.New("empty list after 'in'")
	}
	left, err := c.expr(n.Left)
	if err != nil {
		return nil, err
	}
	list := make([]evalFunc, len(n.List))
	for i, x := range n.List {
		if list[i], err = c.expr(x); err != nil {
			return nil, err
		}
	}
	ci := c.opts.CaseInsensitive
	return func(s *scope) value {
		v := left(s)
		for _, item := range list {
			if cmp, ok := compareValues(v, item(s), ci); ok && cmp == 0 {
				return valueTrue
			}
		}
		return valueFalse
	}, nil
}

func (c *compiler) lambda(n Lambda) (evalFunc, error) {
	coll, err := c.path(n.Collection)
	if err != nil {
		return nil, err
	}
	if n.Kind != "any" && n.Kind != "all" {
		return nil, fmt.Errorf("unknown lambda operator %q", n.Kind)
	}
	if n.Var == "" && n.Body == nil {
		if n.Kind == "all" {
			return nil, errors.New("all() needs a condition")
		}
		return func(s *scope) value {
			v := coll(s)
			return boolValue(v.kind == kindArray && len(v.elems) > 0)
		}, nil
	}
	switch {
	case !isIdentifier(n.Var):
		return nil, fmt.Errorf("invalid lambda variable %q", n.Var)
	case slices.Contains(c.vars, n.Var):
		return nil, fmt.Errorf("lambda variable '%s' is already in scope", n.Var)
	}
	slot := len(c.vars)
	c.vars = append(c.vars, n.Var)
	c.maxDepth = max(c.maxDepth, len(c.vars))
	body, err := c.condition(n.Body)
	c.vars = c.vars[:slot]
	if err != nil {
		return nil, err
	}
	all := n.Kind == "all"
	return func(s *scope) value {
		v := coll(s)
		if v.kind != kindArray {
			return valueFalse
		}
		for _, elem := range v.elems {
			s.vars[slot] = elem
			if body(s).isTrue() != all {
				return boolValue(!all)
			}
		}
		return boolValue(all)
	}, nil
}

// path resolves a property path against the record, or against the
// element bound to a lambda variable when the first segment names one
// (variables are unique: shadowing is rejected). A missing property, or a
// step through a non-object, yields null.
func (c *compiler) path(n Path) (evalFunc, error) {
	if len(n.Segments) == 0 {
		return nil, errors.New("empty property path")
	}
	for _, seg := range n.Segments {
		if seg == "" || strings.Contains(seg, "/") {
			return nil, fmt.Errorf("invalid property path %q", n.String())
		}
	}
	slot, rest := -1, n.Segments
	if i := slices.Index(c.vars, n.Segments[0]); i >= 0 {
		slot, rest = i, n.Segments[1:]
	} else {
		c.keys[rest[0]] = true
	}
	return func(s *scope) value {
		x := s.root
		if slot >= 0 {
			x = s.vars[slot]
		}
		for _, seg := range rest {
			obj, ok := x.(map[string]any)
			if !ok {
				return valueNull
			}
			x = obj[seg]
		}
		return jsonValue(x)
	}, nil
}

func literalValue(n Literal) (value, error) {
	switch n.Kind {
	case LitString:
		return value{kind: kindString, str: n.Str}, nil
	case LitNumber:
		if _, ok := parseDecimal(n.Num); !ok {
			return value{}, fmt.Errorf("invalid number %q", n.Num)
		}
		return value{kind: kindNumber, str: n.Num}, nil
	case LitBool:
		return boolValue(n.Bool), nil
	case LitNull:
		return valueNull, nil
	case LitDateTime:
		return value{kind: kindTime, t: n.Time}, nil
	case LitGUID:
		if !isGUIDAt(n.Str, 0) || len(n.Str) != guidLen {
			return value{}, fmt.Errorf("invalid GUID %q", n.Str)
		}
		return value{kind: kindGUID, str: n.Str}, nil
	}
	return value{}, fmt.Errorf("unknown literal kind %d", n.Kind)
}

func isIdentifier(s string) bool {
	if s == "" || !isIdentStart(s[0]) || isReserved(strings.ToLower(s)) {
		return false
	}
	for i := range len(s) {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}
