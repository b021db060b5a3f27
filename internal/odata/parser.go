package odata

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting (parentheses, calls, lambdas, not) so a hostile
// filter cannot exhaust the stack.
const maxDepth = 100

// Parse parses an OData $filter expression. Errors are *SyntaxError.
//
// Grammar, loosest binding first: or, and, comparison (eq ne gt ge lt le,
// in), not, then operands: (…), literals, property paths, function calls and
// path/any(v: …) or path/all(v: …). Keywords, operators and function names
// are case-insensitive; property names are kept as written.
func Parse(src string) (e Expr, err error) {
	p := &parser{lex: lexer{src: src}}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			e, err = nil, se
		}
	}()
	p.advance()
	return p.parseFilter(), nil
}

// parser is recursive descent over the lexer's tokens. Errors abort the
// parse by panicking with a *SyntaxError, which Parse recovers.
type parser struct {
	lex   lexer
	tok   token
	want  string   // what the next operand is, for "expected …" messages
	vars  []string // lambda variables in scope, outermost first
	depth int
}

func (p *parser) fail(pos int, format string, args ...any) {
	panic(newSyntaxError(p.lex.src, pos, format, args...))
}

func (p *parser) advance() {
	t, err := p.lex.next()
	if err != nil {
		panic(err)
	}
	p.tok = t
}

// word reports whether the current token is the keyword w (any case).
func (p *parser) word(w string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, w)
}

func (p *parser) enter(pos int) {
	p.depth++
	if p.depth > maxDepth {
		p.fail(pos, "filter nested too deeply (more than %d levels)", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseFilter() Expr {
	if p.tok.kind == tEOF {
		p.fail(p.tok.pos, "empty filter")
	}
	p.want = "a condition"
	e := p.parseCondition(p.parseOr)
	switch p.tok.kind {
	case tEOF:
		return e
	case tRParen:
		p.fail(p.tok.pos, "unmatched ')'")
	}
	p.fail(p.tok.pos, "unexpected %s; expected 'and', 'or' or end of filter", describe(p.tok))
	return nil
}

// parseCondition runs parse and insists that its result is a condition.
func (p *parser) parseCondition(parse func() Expr) Expr {
	start := p.tok.pos
	e := parse()
	if !isCondition(e) {
		p.fail(start, "expected a condition, found value %s", e)
	}
	return e
}

func (p *parser) parseOr() Expr {
	return p.parseLogical("or", p.parseAnd)
}

func (p *parser) parseAnd() Expr {
	return p.parseLogical("and", p.parseComparison)
}

func (p *parser) parseLogical(op string, operand func() Expr) Expr {
	start := p.tok.pos
	left := operand()
	for p.word(op) {
		if !isCondition(left) {
			p.fail(start, "expected a condition, found value %s", left)
		}
		p.advance()
		p.want = "a condition after '" + op + "'"
		right := p.parseCondition(operand)
		left = Logical{Op: op, Left: left, Right: right}
	}
	return left
}

// Comparison operators, and OData operators this package does not support.
var (
	compareOps     = []string{"eq", "ne", "gt", "ge", "lt", "le"}
	unsupportedOps = []string{"has", "add", "sub", "mul", "div", "divby", "mod"}
)

// compareOp returns the comparison operator at the current token, or "".
func (p *parser) compareOp() string {
	if p.tok.kind != tIdent {
		return ""
	}
	op := strings.ToLower(p.tok.text)
	if slices.Contains(compareOps, op) {
		return op
	}
	return ""
}

func (p *parser) parseComparison() Expr {
	left, bareNot := p.parseUnary()
	op := p.compareOp()
	if op == "" && p.word("in") {
		op = "in"
	}
	switch {
	case op == "" && p.tok.kind == tIdent && !p.word("and") && !p.word("or"):
		if slices.Contains(unsupportedOps, strings.ToLower(p.tok.text)) {
			p.fail(p.tok.pos, "operator '%s' is not supported", p.tok.text)
		}
		p.fail(p.tok.pos, "unknown operator '%s'", p.tok.text)
	case op == "":
		return left
	case bareNot:
		p.fail(p.tok.pos, "'not' binds tighter than '%s': write not (… %s …) to negate the comparison", op, op)
	}
	p.advance()
	var e Expr
	if op == "in" {
		e = In{Left: left, List: p.parseList()}
	} else {
		p.want = "a value after '" + op + "'"
		e = Compare{Op: op, Left: left, Right: p.parsePrimary()}
	}
	if p.compareOp() != "" || p.word("in") {
		p.fail(p.tok.pos, "comparisons cannot be chained; join them with 'and' or 'or'")
	}
	return e
}

// parseUnary parses "not x" or an operand. bareNot reports a "not" written
// without parentheses around it, which must not be the left operand of a
// comparison: "not a eq b" would mean "(not a) eq b", surely not what the
// author meant.
func (p *parser) parseUnary() (e Expr, bareNot bool) {
	if !p.word("not") {
		return p.parsePrimary(), false
	}
	pos := p.tok.pos
	p.enter(pos)
	p.advance()
	p.want = "a condition after 'not'"
	start := p.tok.pos
	x, _ := p.parseUnary()
	if !isCondition(x) {
		p.fail(start, "expected a condition, found value %s", x)
	}
	p.leave()
	return Not{X: x}, true
}

func (p *parser) parsePrimary() Expr {
	t := p.tok
	switch t.kind {
	case tLParen:
		p.enter(t.pos)
		p.advance()
		p.want = "a condition after '('"
		e := p.parseOr()
		if p.tok.kind != tRParen {
			p.fail(p.tok.pos, "expected ')' to close '(' at column %d, found %s",
				utf8.RuneCountInString(p.lex.src[:t.pos])+1, describe(p.tok))
		}
		p.advance()
		p.leave()
		return e
	case tString:
		p.advance()
		return Literal{Kind: LitString, Raw: t.text, Str: t.str}
	case tNumber:
		p.advance()
		return Literal{Kind: LitNumber, Raw: t.text, Num: t.text}
	case tDateTime:
		p.advance()
		return Literal{Kind: LitDateTime, Raw: t.text, Time: t.time}
	case tGUID:
		p.advance()
		return Literal{Kind: LitGUID, Raw: t.text, Str: t.text}
	case tIdent:
		switch w := strings.ToLower(t.text); {
		case w == "true" || w == "false":
			p.advance()
			return Literal{Kind: LitBool, Raw: t.text, Bool: w == "true"}
		case w == "null":
			p.advance()
			return Literal{Kind: LitNull, Raw: t.text}
		case isReserved(w):
			// An operator where an operand belongs.
		case p.lex.peekByte() == '(':
			return p.parseCall()
		default:
			return p.parsePath()
		}
	}
	p.fail(t.pos, "expected %s, found %s", p.want, describe(t))
	return nil
}

func (p *parser) parseCall() Expr {
	name, pos := strings.ToLower(p.tok.text), p.tok.pos
	n, ok := functionArity[name]
	if !ok {
		p.fail(pos, "unknown function '%s'", p.tok.text)
	}
	p.enter(pos)
	p.advance() // name
	p.advance() // '('
	args := make([]Expr, 0, n)
	for {
		if p.tok.kind == tRParen {
			p.fail(p.tok.pos, "%s takes %s, found %d", name, arguments(n), len(args))
		}
		p.want = "an argument of " + name
		args = append(args, p.parseComparison())
		if len(args) == n {
			break
		}
		if p.tok.kind == tComma {
			p.advance()
		} else if p.tok.kind != tRParen {
			p.fail(p.tok.pos, "expected ',' between arguments of %s, found %s", name, describe(p.tok))
		}
	}
	switch p.tok.kind {
	case tRParen:
	case tComma:
		p.fail(p.tok.pos, "%s takes %s, found more", name, arguments(n))
	default:
		p.fail(p.tok.pos, "expected ')' after arguments of %s, found %s", name, describe(p.tok))
	}
	p.advance()
	p.leave()
	return Call{Func: name, Args: args}
}

func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

func (p *parser) parsePath() Expr {
	segs := []string{p.tok.text}
	p.advance()
	for p.tok.kind == tSlash {
		p.advance()
		if p.tok.kind != tIdent || isReserved(strings.ToLower(p.tok.text)) {
			p.fail(p.tok.pos, "expected a property name after '/', found %s", describe(p.tok))
		}
		if kind := strings.ToLower(p.tok.text); (kind == "any" || kind == "all") && p.lex.peekByte() == '(' {
			return p.parseLambda(Path{Segments: segs}, kind)
		}
		segs = append(segs, p.tok.text)
		p.advance()
	}
	return Path{Segments: segs}
}

func (p *parser) parseLambda(coll Path, kind string) Expr {
	p.enter(p.tok.pos)
	p.advance() // any | all
	p.advance() // '('
	lam := Lambda{Collection: coll, Kind: kind}
	if p.tok.kind == tRParen {
		if kind == "all" {
			p.fail(p.tok.pos, "all() needs a condition, e.g. all(x: x ne 'a')")
		}
	} else {
		if p.tok.kind != tIdent || isReserved(strings.ToLower(p.tok.text)) {
			p.fail(p.tok.pos, "expected a lambda variable after '%s(', found %s", kind, describe(p.tok))
		}
		lam.Var = p.tok.text
		if slices.Contains(p.vars, lam.Var) {
			p.fail(p.tok.pos, "lambda variable '%s' is already in scope", lam.Var)
		}
		p.advance()
		if p.tok.kind != tColon {
			p.fail(p.tok.pos, "expected ':' after lambda variable '%s', found %s", lam.Var, describe(p.tok))
		}
		p.advance()
		p.vars = append(p.vars, lam.Var)
		p.want = "a condition after ':'"
		lam.Body = p.parseCondition(p.parseOr)
		p.vars = p.vars[:len(p.vars)-1]
		if p.tok.kind != tRParen {
			p.fail(p.tok.pos, "expected ')' to close %s(, found %s", kind, describe(p.tok))
		}
	}
	p.advance()
	p.leave()
	return lam
}

func (p *parser) parseList() []Expr {
	open := p.tok
	if open.kind != tLParen {
		p.fail(open.pos, "expected '(' after 'in', found %s", describe(open))
	}
	p.enter(open.pos)
	p.advance()
	var list []Expr
	for {
		p.want = "a value in the list after 'in'"
		list = append(list, p.parseComparison())
		if p.tok.kind == tRParen {
			break
		}
		if p.tok.kind != tComma {
			p.fail(p.tok.pos, "expected ',' or ')' in the list after 'in', found %s", describe(p.tok))
		}
		p.advance()
	}
	p.advance()
	p.leave()
	return list
}

// describe names a token for an error message.
func describe(t token) string {
	const maxLen = 40
	text := t.text
	if utf8.RuneCountInString(text) > maxLen {
		text = string([]rune(text)[:maxLen]) + "…"
	}
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return "string " + text
	case tNumber:
		return "number " + text
	case tDateTime:
		return "datetime " + text
	case tGUID:
		return "GUID " + text
	}
	return "'" + text + "'"
}
