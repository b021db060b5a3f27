package odata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readRecord(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// matchTest is a filter and whether it matches a record, case-sensitively
// (want) and with Options.CaseInsensitive (wantCI).
type matchTest struct {
	filter       string
	want, wantCI bool
}

func runMatchTests(t *testing.T, record []byte, tests []matchTest) {
	t.Helper()
	for _, tt := range tests {
		e, err := Parse(tt.filter)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.filter, err)
			continue
		}
		for _, ci := range []bool{false, true} {
			m, err := Compile(e, Options{CaseInsensitive: ci})
			if err != nil {
				t.Errorf("Compile(%q): %v", tt.filter, err)
				break
			}
			got, err := m.Match(record)
			want := tt.want
			if ci {
				want = tt.wantCI
			}
			if err != nil || got != want {
				t.Errorf("%q (case-insensitive %v) = %v, %v; want %v", tt.filter, ci, got, err, want)
			}
		}
	}
}

// both is a matchTest whose result does not depend on case sensitivity.
func both(filter string, want bool) matchTest { return matchTest{filter, want, want} }

func TestMatchSignIn(t *testing.T) {
	runMatchTests(t, readRecord(t, "signin.json"), []matchTest{
		// Paths and numbers.
		both("status/errorCode ne 0", true),
		both("status/errorCode eq 50126", true),
		both("status/errorCode eq 50126.0", true),
		both("status/errorCode eq 5.0126e4", true),
		both("status/errorCode gt 50125 and status/errorCode lt 50127", true),
		both("status/errorCode in (50053,50126)", true),
		both("status/errorCode in (0,50053)", false),
		both("status/errorCode eq '50126'", false),
		both("status/errorCode ne '50126'", true),
		both("location/geoCoordinates/latitude gt 47.3768 and location/geoCoordinates/latitude lt 47.377", true),
		both("location/geoCoordinates/longitude eq 8.5417000", true),
		// Integers beyond 2^53 compare exactly.
		both("processingTimeInMilliseconds eq 9007199254740993", true),
		both("processingTimeInMilliseconds eq 9007199254740992", false),
		both("processingTimeInMilliseconds gt 9007199254740992", true),
		both("processingTimeInMilliseconds lt 9007199254740994", true),
		// Strings, functions and case.
		both("startswith(userPrincipalName,'Zoe.')", true),
		{"startswith(userPrincipalName,'zoe.')", false, true},
		{"userPrincipalName eq 'zoe.angstrom@contoso.com'", false, true},
		{"userPrincipalName ne 'zoe.angstrom@contoso.com'", true, false},
		both("endswith(userPrincipalName,'@contoso.com')", true),
		{"endswith(userPrincipalName,'@CONTOSO.COM')", false, true},
		{"contains(appDisplayName,'teams')", false, true},
		both("contains(tolower(appDisplayName),'teams')", true),
		both("toupper(appDisplayName) eq 'MICROSOFT TEAMS'", true),
		both("contains(appDisplayName,'')", true),
		both("appDisplayName gt 'Microsoft Teal' and appDisplayName lt 'Microsoft Teb'", true),
		{"appDisplayName gt 'microsoft'", false, true},
		both("clientAppUsed in ('Browser','Mobile Apps and Desktop clients')", true),
		// Unicode.
		both("userDisplayName eq 'Zoë Ångström'", true),
		{"userDisplayName eq 'ZOË ÅNGSTRÖM'", false, true},
		{"startswith(userDisplayName,'zoË')", false, true},
		{"endswith(location/city,'RICH')", false, true},
		both("contains(location/city,'ür')", true),
		// GUID literals compare with strings case-insensitively.
		both("appId eq de8bc8b5-d9f9-48b1-a8ad-b748da725064", true),
		both("userId eq d8f25b44-5a6b-4e42-9a7e-2f0c1a3b4c5d", true),
		both("userId ne d8f25b44-5a6b-4e42-9a7e-2f0c1a3b4c5d", false),
		{"userId eq 'd8f25b44-5a6b-4e42-9a7e-2f0c1a3b4c5d'", false, true},
		both("appId in (00000000-0000-0000-0000-000000000000,DE8BC8B5-D9F9-48B1-A8AD-B748DA725064)", true),
		// Timestamps compare as instants (record has 7 fractional digits).
		both("createdDateTime ge 2026-11-27T03:00:00Z and createdDateTime le 2026-11-27T04:00:00Z", true),
		both("createdDateTime gt 2026-11-27T03:14:15.9265357Z", true),
		both("createdDateTime gt 2026-11-27T03:14:15.9265358Z", false),
		both("createdDateTime eq 2026-11-27T04:14:15.9265358+01:00", true),
		both("createdDateTime lt 2026-11-27T03:14:16Z", true),
		both("createdDateTime ge 2026-11-27T03:14:16Z", false),
		// A quoted timestamp too (as strings "…15Z" sorts after "…15.9…Z").
		both("createdDateTime gt '2026-11-27T03:14:15Z'", true),
		both("createdDateTime le '2026-11-27T03:14:15Z'", false),
		both("createdDateTime eq '2026-11-27T03:14:15.92653580Z'", true),
		both("userPrincipalName eq 2026-11-27T03:14:16Z", false),
		both("userPrincipalName ne 2026-11-27T03:14:16Z", true),
		// Booleans.
		both("isInteractive eq false", true),
		both("isInteractive", false),
		both("not isInteractive", true),
		both("deviceDetail/isManaged", true),
		both("deviceDetail/isManaged gt false", true),
		both("isInteractive eq 'false'", false),
		// Nulls and missing properties.
		both("resourceId eq null", true),
		both("resourceId ne null", false),
		both("noSuchProperty eq null", true),
		both("status/additionalDetails eq null", true),
		both("status/errorCode/deeper eq null", true),
		both("userPrincipalName eq null", false),
		both("userPrincipalName ne null", true),
		both("resourceId eq ''", false),
		both("resourceId ne ''", true),
		both("resourceId lt 'a'", false),
		both("startswith(resourceId,'')", false),
		both("not startswith(resourceId,'x')", true),
		both("tolower(resourceId) eq null", true),
		both("startswith(status/errorCode,'5')", false),
		// Lambdas over strings and objects.
		both("signInEventTypes/any(t: t eq 'nonInteractiveUser')", true),
		{"signInEventTypes/any(t: t eq 'NONINTERACTIVEUSER')", false, true},
		both("signInEventTypes/any(t: t eq 'servicePrincipal')", false),
		both("signInEventTypes/all(t: t eq 'nonInteractiveUser')", true),
		both("signInEventTypes/any()", true),
		both("riskEventTypes_v2/any()", false),
		both("riskEventTypes_v2/any(r: r eq 'x')", false),
		both("riskEventTypes_v2/all(r: r eq 'x')", true),
		both("noSuchArray/any()", false),
		both("noSuchArray/all(x: x eq 1)", false),
		both("status/all(x: x eq 1)", false),
		both("authenticationDetails/any(a: a/succeeded eq false)", true),
		both("authenticationDetails/all(a: a/succeeded eq false)", false),
		both("authenticationDetails/all(a: a/succeeded ne null)", true),
		both("authenticationDetails/any(a: a/authenticationMethod eq 'Password' and a/succeeded)", false),
		both("authenticationDetails/any(a: a/authenticationMethod eq 'Mobile app notification' and a/succeeded)", true),
		both("authenticationDetails/any(a: a/authenticationStepDateTime gt 2026-11-27T03:14:20Z)", true),
		both("authenticationDetails/any(a: a/authenticationStepDateTime gt 2026-11-27T03:14:20.5Z)", false),
		both("authenticationDetails/any(a: a/authenticationStepResultDetail eq null)", true),
		// Paths inside a lambda body that do not start with the variable
		// refer to the record.
		both("authenticationDetails/any(a: a/succeeded and isInteractive eq false)", true),
		// Logic.
		both("appId eq 'de8bc8b5-d9f9-48b1-a8ad-b748da725064' or not (status/errorCode eq 0)", true),
		both("status/errorCode eq 0 or startswith(userPrincipalName,'x')", false),
		both("not (status/errorCode eq 0 or isInteractive)", true),
		both("(status/errorCode eq 0) eq false", true),
		both("(not isInteractive) eq true", true),
		both("true", true),
		both("false or true and false", false),
	})
}

func TestMatchAudit(t *testing.T) {
	runMatchTests(t, readRecord(t, "audit.json"), []matchTest{
		both("activityDateTime ge 2026-11-27T03:00:00Z and activityDateTime lt 2026-11-27T04:00:00Z", true),
		both("activityDateTime gt 2026-11-27T03:00:00Z", false),
		both("activityDateTime eq 2026-11-27T03:00:00.0000000Z", true),
		both("initiatedBy/user/userPrincipalName eq 'admin@contoso.com'", true),
		both("initiatedBy/app eq null and initiatedBy/app/id eq null", true),
		both("targetResources/any(t: t/id eq D8F25B44-5A6B-4E42-9A7E-2F0C1A3B4C5D)", true),
		{"targetResources/any(t: t/id eq 'D8F25B44-5A6B-4E42-9A7E-2F0C1A3B4C5D')", false, true},
		both("targetResources/any(t: t/modifiedProperties/any(p: p/displayName eq 'AccountEnabled' and p/newValue eq '[false]'))", true),
		both("targetResources/any(t: t/modifiedProperties/all(p: p/oldValue ne null))", false),
		both("targetResources/any(t: t/modifiedProperties/any(p: p/newValue eq '\"AccountEnabled\"'))", true),
		// An inner lambda may use the outer variable.
		both("targetResources/any(t: t/modifiedProperties/any(p: p/displayName eq 'AccountEnabled' and t/type eq 'User'))", true),
		both("additionalDetails/any(d: d/key eq 'UserType' and d/value eq 'Member')", true),
		both("retryCount eq 0 and retryCount eq -0 and retryCount eq 0.0e10", true),
		both("ratio eq 1.5 and ratio gt 1.49999999999999999999 and ratio lt 1.50000000000000000001", true),
		both("tiny gt 0 and tiny lt 1e-399", true),
		both("huge eq -12345678901234567890123456789 and huge lt -12345678901234567890123456788", true),
		both("huge lt -1e28 and huge gt -1e29", true),
		both("category in ('UserManagement') and result eq 'success'", true),
		{"category eq 'usermanagement'", false, true},
	})
}

func TestMatchNotObject(t *testing.T) {
	m, err := Compile(Path{Segments: []string{"x"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []string{``, `null`, `[]`, `"x"`, `1`, `{"x":true`, `{"x":true} {}`, `{"x":tru}`} {
		if _, err := m.Match([]byte(rec)); !errors.Is(err, ErrNotObject) {
			t.Errorf("Match(%q) error = %v, want ErrNotObject", rec, err)
		}
	}
	for rec, want := range map[string]bool{`{"x":true}`: true, " \n{\"x\":true}\r\n ": true, `{}`: false, `{"x":1}`: false} {
		if got, err := m.Match([]byte(rec)); err != nil || got != want {
			t.Errorf("Match(%q) = %v, %v; want %v", rec, got, err, want)
		}
	}
}

// Duplicate keys: the last one wins, as in encoding/json and audit.ParseRecord.
func TestMatchDuplicateKeys(t *testing.T) {
	e, _ := Parse("type eq 'b'")
	m, _ := Compile(e, Options{})
	if got, err := m.Match([]byte(`{"type":"a","type":"b"}`)); err != nil || !got {
		t.Errorf("Match = %v, %v; want true", got, err)
	}
}

func TestCompileErrors(t *testing.T) {
	x := Path{Segments: []string{"x"}}
	one := Literal{Kind: LitNumber, Num: "1"}
	tests := []struct {
		e    Expr
		want string
	}{
		{nil, "missing expression"},
		{Literal{Kind: LitString, Str: "a"}, "expected a condition, found value 'a'"},
		{Logical{"and", x, Call{"tolower", []Expr{x}}}, "expected a condition, found value tolower(x)"},
		{Logical{"xor", x, x}, `unknown logical operator "xor"`},
		{Logical{"and", x, nil}, "missing expression"},
		{Not{one}, "expected a condition, found value 1"},
		{Compare{"EQ", x, one}, `unknown comparison operator "EQ"`},
		{Compare{"eq", x, Literal{Kind: LitNumber, Num: "1x"}}, `invalid number "1x"`},
		{Compare{"eq", x, Literal{Kind: LitGUID, Str: "abc"}}, `invalid GUID "abc"`},
		{Compare{"eq", x, Literal{Kind: 42}}, "unknown literal kind 42"},
		{In{x, nil}, "empty list after 'in'"},
		{Call{"length", []Expr{x}}, `unknown function "length"`},
		{Call{"startswith", []Expr{x}}, "startswith takes 2 arguments, found 1"},
		{Lambda{Collection: x, Kind: "some", Var: "v", Body: x}, `unknown lambda operator "some"`},
		{Lambda{Collection: x, Kind: "all"}, "all() needs a condition"},
		{Lambda{Collection: x, Kind: "any", Var: "1v", Body: x}, `invalid lambda variable "1v"`},
		{Lambda{Collection: x, Kind: "any", Var: "and", Body: x}, `invalid lambda variable "and"`},
		{Lambda{Collection: x, Kind: "any", Var: "v"}, "missing expression"},
		{Lambda{Collection: x, Kind: "any", Var: "v", Body: Lambda{Collection: x, Kind: "any", Var: "v", Body: x}},
			"lambda variable 'v' is already in scope"},
		{Lambda{Collection: Path{}, Kind: "any"}, "empty property path"},
		{Compare{"eq", Path{Segments: []string{"a", ""}}, one}, `invalid property path "a/"`},
		{&Compare{"eq", x, one}, "unsupported node *odata.Compare (build nodes as values, not pointers)"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.e, Options{})
		if !errors.Is(err, ErrInvalidExpr) || err.Error() != "invalid filter expression: "+tt.want {
			t.Errorf("Compile(%#v) error = %v, want %q", tt.e, err, tt.want)
		}
	}
}

// Hand-built trees, as the graph source builds its window filter.
func TestCompileHandBuilt(t *testing.T) {
	from := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	field := Path{Segments: []string{"createdDateTime"}}
	window := And(
		Compare{Op: "ge", Left: field, Right: Literal{Kind: LitDateTime, Time: from}},
		Compare{Op: "le", Left: field, Right: Literal{Kind: LitDateTime, Time: from.Add(time.Hour)}},
	)
	user, err := Parse("signInEventTypes/any(t: t eq 'nonInteractiveUser')")
	if err != nil {
		t.Fatal(err)
	}
	e := And(window, user)
	want := "createdDateTime ge 2026-11-27T03:00:00Z and createdDateTime le 2026-11-27T04:00:00Z and " +
		"signInEventTypes/any(t: t eq 'nonInteractiveUser')"
	if got := e.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	m, err := Compile(e, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.Match(readRecord(t, "signin.json")); err != nil || !got {
		t.Errorf("Match = %v, %v; want true", got, err)
	}
	if !reflect.DeepEqual(And(nil, window), window) || !reflect.DeepEqual(And(window, nil), window) || And(nil, nil) != nil {
		t.Error("And with a nil operand should return the other one")
	}
}

func TestWalkAndConjuncts(t *testing.T) {
	e, err := Parse("(a eq 1 or b) and x/any(t: startswith(t/n,'p')) and not (c in (2,3))")
	if err != nil {
		t.Fatal(err)
	}
	var visited []string
	Walk(e, func(n Expr) bool {
		visited = append(visited, n.String())
		_, isOr := n.(Logical)
		return !isOr || n.(Logical).Op != "or"
	})
	want := []string{
		"(a eq 1 or b) and x/any(t: startswith(t/n,'p')) and not (c in (2,3))",
		"(a eq 1 or b) and x/any(t: startswith(t/n,'p'))",
		"a eq 1 or b", // children skipped
		"x/any(t: startswith(t/n,'p'))", "x", "startswith(t/n,'p')", "t/n", "'p'",
		"not (c in (2,3))", "c in (2,3)", "c", "2", "3",
	}
	if strings.Join(visited, "\n") != strings.Join(want, "\n") {
		t.Errorf("Walk visited\n%s\nwant\n%s", strings.Join(visited, "\n"), strings.Join(want, "\n"))
	}
	var conj []string
	for _, c := range Conjuncts(e) {
		conj = append(conj, c.String())
	}
	if got, want := strings.Join(conj, " | "), "a eq 1 or b | x/any(t: startswith(t/n,'p')) | not (c in (2,3))"; got != want {
		t.Errorf("Conjuncts = %s, want %s", got, want)
	}
	if Conjuncts(nil) != nil {
		t.Error("Conjuncts(nil) should be nil")
	}
}

// A Matcher is shared by the goroutines of an export or of the simulated
// Graph; run with -race.
func TestMatchConcurrent(t *testing.T) {
	e, err := Parse("authenticationDetails/any(a: a/succeeded) or targetResources/all(t: t/type eq 'User')")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(e, Options{})
	if err != nil {
		t.Fatal(err)
	}
	signin, audit := readRecord(t, "signin.json"), readRecord(t, "audit.json")
	done := make(chan error)
	for range 4 {
		go func() {
			for range 50 {
				a, err1 := m.Match(signin)
				b, err2 := m.Match(audit)
				if err := errors.Join(err1, err2); err != nil || !a || !b {
					done <- fmt.Errorf("Match = %v, %v, %w; want true, true", a, b, err)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
