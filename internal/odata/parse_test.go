package odata

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseRoundTrip(t *testing.T) {
	tests := []struct {
		in, want string // want "" means the input is already canonical
	}{
		// Filters as Graph's documentation and peers write them.
		{in: "status/errorCode ne 0 and startswith(userPrincipalName,'admin')"},
		{in: "createdDateTime ge 2026-11-01T00:00:00Z and createdDateTime le 2026-11-02T00:00:00Z"},
		{
			in:   "(createdDateTime ge 2026-11-01T00:00:00Z and createdDateTime le 2026-11-02T00:00:00Z) and signInEventTypes/any(t: t eq 'nonInteractiveUser')",
			want: "createdDateTime ge 2026-11-01T00:00:00Z and createdDateTime le 2026-11-02T00:00:00Z and signInEventTypes/any(t: t eq 'nonInteractiveUser')",
		},
		{in: "appId eq 'de8bc8b5-d9f9-48b1-a8ad-b748da725064' or not (status/errorCode eq 0)"},
		{in: "authenticationDetails/any(a: a/succeeded eq false)"},
		{in: "contains(tolower(appDisplayName),'teams')"},
		{in: "userId eq 5e1bd2ba-4a8a-4bb2-a3d4-0d5e6f7a8b9c"},
		{in: "activityDateTime gt 2026-11-27T03:00:00Z and activityDateTime lt 2026-11-27T04:00:00Z"},
		{in: "activityDateTime ge 2020-03-13T19:15:41.6195833Z"},
		{in: "createdDateTime le 2026-11-27T05:00:00+02:00", want: "createdDateTime le 2026-11-27T03:00:00Z"},
		{in: "createdDateTime le 2026-11-27T03:00:00.1000000Z", want: "createdDateTime le 2026-11-27T03:00:00.1Z"},
		{in: "loggedByService eq 'Core Directory' and category eq 'UserManagement'"},
		{in: "initiatedBy/user/id eq '08d4f5a2-0000-0000-0000-000000000000'"},
		{in: "targetResources/any(t: t/displayName eq 'x' and t/modifiedProperties/any(p: p/displayName eq 'Enabled'))"},
		{in: "riskState eq 'atRisk' or riskLevelDuringSignIn eq 'high'"},
		{in: "isInteractive"},
		{in: "not isInteractive and conditionalAccessStatus ne 'success'"},
		{in: "not not isInteractive"},
		{in: "signInEventTypes/any()"},
		{in: "signInEventTypes/all(t: t ne 'interactiveUser')"},
		{in: "appId in ('a','b')"},
		{in: "appId IN ( 'a' , 'b' )", want: "appId in ('a','b')"},
		{in: "status/errorCode in (50126,50053)"},
		// Case-insensitive keywords, rendered lower-case; names keep their case.
		{in: "Status/ErrorCode EQ 0 AND StartsWith(UPN,'A') Or NOT X", want: "Status/ErrorCode eq 0 and startswith(UPN,'A') or not X"},
		{in: "x eq TRUE or y eq False or z eq NULL", want: "x eq true or y eq false or z eq null"},
		{in: "x/Any(T: T eq 1)", want: "x/any(T: T eq 1)"},
		// Precedence and parentheses.
		{in: "a eq 1 or b eq 2 and c eq 3"},
		{in: "(a eq 1 or b eq 2) and c eq 3"},
		{in: "((a eq 1))", want: "a eq 1"},
		{in: "a eq 1 and (b eq 2 and c eq 3)"},
		{in: "(a eq 1 and b eq 2) and c eq 3", want: "a eq 1 and b eq 2 and c eq 3"},
		{in: "a eq 1 or (b eq 2 or c eq 3)"},
		{in: "not (a eq 1 or b eq 2)"},
		{in: "not(a eq 1)", want: "not (a eq 1)"},
		{in: "(not a) eq b"},
		{in: "a eq (not b)"},
		{in: "startswith(a,'x') eq true"},
		{in: "(a eq b) ne (c eq d)"},
		// Literals.
		{in: "x eq 'it''s'"},
		{in: "x eq ''"},
		{in: "x eq 'späße ☃'"},
		{in: "x eq -1.5e-3 or y eq 12345678901234567890123 or z eq 0.000"},
		{in: "x eq 1E+5"},
		{in: "x eq DE8BC8B5-D9F9-48B1-A8AD-B748DA725064"},
		{in: "x\teq\n1", want: "x eq 1"},
		{in: "_x/y_1 eq 1"},
		// Nested functions and paths named like keywords after '/'.
		{in: "endswith(toupper(tolower(a)),'X')"},
		{in: "a/any eq 1"},
		{in: "startswith((a or b),'x')", want: "startswith((a or b),'x')"},
		{in: "x in ((a and b),c eq d)"},
	}
	for _, tt := range tests {
		want := tt.want
		if want == "" {
			want = tt.in
		}
		e, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, want)
			continue
		}
		e2, err := Parse(want)
		if err != nil {
			t.Errorf("Parse(%q) (canonical): %v", want, err)
			continue
		}
		if !reflect.DeepEqual(stripRaw(e), stripRaw(e2)) {
			t.Errorf("Parse(%q) and Parse(%q) differ:\n%#v\n%#v", tt.in, want, e, e2)
		}
	}
}

// stripRaw clears Literal.Raw, the one field a round trip may change.
func stripRaw(e Expr) Expr {
	switch n := e.(type) {
	case Logical:
		return Logical{n.Op, stripRaw(n.Left), stripRaw(n.Right)}
	case Not:
		return Not{stripRaw(n.X)}
	case Compare:
		return Compare{n.Op, stripRaw(n.Left), stripRaw(n.Right)}
	case In:
		return In{stripRaw(n.Left), stripAll(n.List)}
	case Call:
		return Call{n.Func, stripAll(n.Args)}
	case Lambda:
		n.Body = stripRaw(n.Body)
		return n
	case Literal:
		n.Raw = ""
		n.Time = n.Time.UTC()
		return n
	}
	return e
}

func stripAll(list []Expr) []Expr {
	out := make([]Expr, len(list))
	for i, x := range list {
		out[i] = stripRaw(x)
	}
	return out
}

func TestParseTree(t *testing.T) {
	str := func(s string) Literal { return Literal{Kind: LitString, Raw: "'" + s + "'", Str: s} }
	num := func(s string) Literal { return Literal{Kind: LitNumber, Raw: s, Num: s} }
	path := func(s ...string) Path { return Path{Segments: s} }
	tests := []struct {
		in   string
		want Expr
	}{
		{"status/errorCode ne 0", Compare{"ne", path("status", "errorCode"), num("0")}},
		{"a eq 1 or b eq 2 and c eq 3", Logical{"or",
			Compare{"eq", path("a"), num("1")},
			Logical{"and", Compare{"eq", path("b"), num("2")}, Compare{"eq", path("c"), num("3")}}}},
		{"a and b and c", Logical{"and", Logical{"and", path("a"), path("b")}, path("c")}},
		{"not a and b", Logical{"and", Not{path("a")}, path("b")}},
		{"signInEventTypes/any(t: t eq 'nonInteractiveUser')", Lambda{
			Collection: path("signInEventTypes"), Kind: "any", Var: "t",
			Body: Compare{"eq", path("t"), str("nonInteractiveUser")}}},
		{"x/any()", Lambda{Collection: path("x"), Kind: "any"}},
		{"startswith(upn,'it''s')", Call{"startswith", []Expr{path("upn"),
			Literal{Kind: LitString, Raw: "'it''s'", Str: "it's"}}}},
		{"a in (1,'b')", In{path("a"), []Expr{num("1"), str("b")}}},
		{"x eq null or y eq FALSE", Logical{"or",
			Compare{"eq", path("x"), Literal{Kind: LitNull, Raw: "null"}},
			Compare{"eq", path("y"), Literal{Kind: LitBool, Raw: "FALSE"}}}},
		{"id eq de8bc8b5-d9f9-48b1-a8ad-b748da725064", Compare{"eq", path("id"),
			Literal{Kind: LitGUID, Raw: "de8bc8b5-d9f9-48b1-a8ad-b748da725064", Str: "de8bc8b5-d9f9-48b1-a8ad-b748da725064"}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) =\n%#v\nwant\n%#v", tt.in, got, tt.want)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-27T03:00:00Z", time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)},
		{"2020-03-13T19:15:41.6195833Z", time.Date(2020, 3, 13, 19, 15, 41, 619583300, time.UTC)},
		{"2026-11-27T04:30:00+01:30", time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)},
		{"2026-11-26T23:00:00.5-04:00", time.Date(2026, 11, 27, 3, 0, 0, 500000000, time.UTC)},
		{"2026-11-27T03:00:00.123456789Z", time.Date(2026, 11, 27, 3, 0, 0, 123456789, time.UTC)},
	}
	for _, tt := range tests {
		e, err := Parse("createdDateTime ge " + tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		lit := e.(Compare).Right.(Literal)
		if lit.Kind != LitDateTime || !lit.Time.Equal(tt.want) || lit.Raw != tt.in {
			t.Errorf("%s: got %v %v raw %q, want datetime %v", tt.in, lit.Kind, lit.Time, lit.Raw, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, "empty filter"},
		{"   ", 3, "empty filter"},
		// Unbalanced parentheses.
		{"(a eq 1", 7, "expected ')' to close '(' at column 1, found end of filter"},
		{"a eq 1)", 6, "unmatched ')'"},
		{"(a eq 1 b eq 2)", 8, "expected ')' to close '(' at column 1, found 'b'"},
		{"startswith(a,'x'", 16, "expected ')' after arguments of startswith, found end of filter"},
		{"startswith(upn,'admin' and x", 23, "expected ')' after arguments of startswith, found 'and'"},
		{"x/any(t: t eq 1", 15, "expected ')' to close any(, found end of filter"},
		// Operators.
		{"status/errorCode eqq 0", 17, "unknown operator 'eqq'"},
		{"a add 1 eq 2", 2, "operator 'add' is not supported"},
		{"a eq 1 eq 2", 7, "comparisons cannot be chained; join them with 'and' or 'or'"},
		{"not a eq 1", 6, "'not' binds tighter than 'eq': write not (… eq …) to negate the comparison"},
		{"not a eq", 6, "'not' binds tighter than 'eq': write not (… eq …) to negate the comparison"},
		{"not (a eq 1) in (true)", 13, "'not' binds tighter than 'in': write not (… in …) to negate the comparison"},
		// Strings.
		{"upn eq 'admin", 7, "unterminated string literal"},
		{"upn eq 'it''s", 7, "unterminated string literal"},
		{`upn eq "admin"`, 7, `unexpected '"': string literals use single quotes`},
		// Missing operands.
		{"a eq", 4, "expected a value after 'eq', found end of filter"},
		{"a eq and b", 5, "expected a value after 'eq', found 'and'"},
		{"a eq 1 and", 10, "expected a condition after 'and', found end of filter"},
		{"a eq 1 or ) ", 10, "expected a condition after 'or', found ')'"},
		{"not", 3, "expected a condition after 'not', found end of filter"},
		{"()", 1, "expected a condition after '(', found ')'"},
		{"a in ()", 6, "expected a value in the list after 'in', found ')'"},
		{"a in 'x'", 5, "expected '(' after 'in', found string 'x'"},
		{"a in ('x' 'y')", 10, "expected ',' or ')' in the list after 'in', found string 'y'"},
		// Trailing garbage.
		{"a eq 1 b eq 2", 7, "unexpected 'b'; expected 'and', 'or' or end of filter"},
		{"a eq 1 'x'", 7, "unexpected string 'x'; expected 'and', 'or' or end of filter"},
		{"a eq 1 & b eq 2", 7, "unexpected character '&'"},
		// Bad literals.
		{"createdDateTime ge 2026-13-01T00:00:00Z", 19, "invalid datetime 2026-13-01T00:00:00Z: month out of range"},
		{"createdDateTime ge 2026-02-30T00:00:00Z", 19, "invalid datetime 2026-02-30T00:00:00Z: day out of range"},
		{"createdDateTime ge 2026-11-01T24:00:00Z", 19, "invalid datetime 2026-11-01T24:00:00Z: hour out of range"},
		{"createdDateTime ge 2026-11-01", 19, "invalid datetime 2026-11-01: want YYYY-MM-DDThh:mm:ss[.fffffff] and Z or ±hh:mm"},
		{"createdDateTime ge 2026-11-01T00:00:00", 19, "invalid datetime 2026-11-01T00:00:00: want YYYY-MM-DDThh:mm:ss[.fffffff] and Z or ±hh:mm"},
		{"createdDateTime ge 2026-11-01t00:00:00z", 19, "invalid datetime 2026-11-01t00:00:00z: want YYYY-MM-DDThh:mm:ss[.fffffff] and Z or ±hh:mm"},
		{"createdDateTime ge 2026-11-01T00:00:00.Z", 19, "invalid datetime 2026-11-01T00:00:00.Z: want YYYY-MM-DDThh:mm:ss[.fffffff] and Z or ±hh:mm"},
		{"x ge 2026-11-01T00:00:00+25:00", 5, "invalid datetime 2026-11-01T00:00:00+25:00: time zone offset hour out of range"},
		{"x ge 2026-11-01T00:00:00+01:60", 5, "invalid datetime 2026-11-01T00:00:00+01:60: time zone offset minute out of range"},
		{"x ge 2026-11-01T00:00:60Z", 5, "invalid datetime 2026-11-01T00:00:60Z: second out of range"},
		{"x ge 2026-11-01T00:00:00.1234567890Z", 5, "invalid datetime 2026-11-01T00:00:00.1234567890Z: want YYYY-MM-DDThh:mm:ss[.fffffff] and Z or ±hh:mm"},
		{"x ge 0000-01-01T00:00:00+01:00", 5, "invalid datetime 0000-01-01T00:00:00+01:00: year out of range in UTC"},
		{"x eq 1.", 5, "invalid number 1."},
		{"x eq 12abc", 5, "invalid number 12abc"},
		{"x eq -", 5, "unexpected character '-'"},
		// Values where a condition belongs.
		{"'abc'", 0, "expected a condition, found value 'abc'"},
		{"a eq 1 and tolower(b)", 11, "expected a condition, found value tolower(b)"},
		{"not 5", 4, "expected a condition, found value 5"},
		{"x/any(t: 'a')", 9, "expected a condition, found value 'a'"},
		// Functions and lambdas.
		{"foo(a)", 0, "unknown function 'foo'"},
		{"startswith(a)", 12, "startswith takes 2 arguments, found 1"},
		{"startswith(a,'b','c')", 16, "startswith takes 2 arguments, found more"},
		{"tolower() eq 'a'", 8, "tolower takes 1 argument, found 0"},
		{"startswith(a 'b')", 13, "expected ',' between arguments of startswith, found string 'b'"},
		{"x/all()", 6, "all() needs a condition, e.g. all(x: x ne 'a')"},
		{"x/any(t t eq 1)", 8, "expected ':' after lambda variable 't', found 't'"},
		{"x/any(1: 1)", 6, "expected a lambda variable after 'any(', found number 1"},
		{"x/any(eq: eq)", 6, "expected a lambda variable after 'any(', found 'eq'"},
		{"x/any(a: a/y/any(a: a eq 1))", 17, "lambda variable 'a' is already in scope"},
		{"a/ eq 1", 3, "expected a property name after '/', found 'eq'"},
		{"a/1 eq 1", 2, "expected a property name after '/', found number 1"},
		// Columns count characters, not bytes.
		{"x eq 'ü' y", 10, "unexpected 'y'; expected 'and', 'or' or end of filter"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want a *SyntaxError", tt.in, err)
			continue
		}
		if se.Pos != tt.pos || se.Msg != tt.msg || se.Src != tt.in {
			t.Errorf("Parse(%q) = pos %d %q, want pos %d %q", tt.in, se.Pos, se.Msg, tt.pos, tt.msg)
		}
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Parse("x eq 'ü' and\tupn eqq 1")
	if err == nil {
		t.Fatal("no error")
	}
	if got, want := err.Error(), "column 18: unknown operator 'eqq'"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	want := "x eq 'ü' and upn eqq 1\n" +
		"                 ^"
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%T is not a *SyntaxError", err)
	}
	if got := se.Caret(); got != want {
		t.Errorf("Caret() =\n%s\nwant\n%s", got, want)
	}
}

func TestParseNestingLimit(t *testing.T) {
	deep := ""
	for range maxDepth + 1 {
		deep += "("
	}
	_, err := Parse(deep + "a")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Msg != "filter nested too deeply (more than 100 levels)" || se.Pos != maxDepth {
		t.Errorf("Parse(deep) = %v", err)
	}
	ok := "(((a eq 1)))"
	if _, err := Parse(ok); err != nil {
		t.Errorf("Parse(%q): %v", ok, err)
	}
}

// TestRecordPaths: the paths a filter reads from the record, not those of
// a lambda's variable.
func TestRecordPaths(t *testing.T) {
	e, err := Parse("status/errorCode ne 0 and appliedConditionalAccessPolicies/any(p: p/result eq 'failure') and startswith(userPrincipalName,'admin')")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range RecordPaths(e) {
		got = append(got, p.String())
	}
	want := []string{"status/errorCode", "appliedConditionalAccessPolicies", "userPrincipalName"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("RecordPaths = %q, want %q", got, want)
	}
}
