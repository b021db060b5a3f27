// Package odata is the one implementation of the OData $filter language in
// entra-archiver. The per-stream filter in the config (sent to Graph), the
// export --where expression (evaluated on archived records) and the
// simulated Graph (which checks and evaluates every $filter it receives) all
// parse with Parse, so a filter copied from Graph's documentation means the
// same in all three places.
//
// # Syntax
//
// Parse accepts what Graph's documentation uses:
//
//	status/errorCode ne 0 and startswith(userPrincipalName,'admin')
//	createdDateTime ge 2026-11-01T00:00:00Z and createdDateTime le 2026-11-02T00:00:00Z
//	signInEventTypes/any(t: t eq 'nonInteractiveUser')
//	appId eq 'de8bc8b5-d9f9-48b1-a8ad-b748da725064' or not (status/errorCode eq 0)
//	contains(tolower(appDisplayName),'teams')
//	appId in ('a','b')
//
// Literals: single-quoted strings (two quotes in a row stand for one),
// numbers (-1, 2.5, 1e3), true, false, null, unquoted datetimes
// (2026-11-27T03:00:00Z, up to nine fractional digits, Z or ±hh:mm) and
// unquoted GUIDs. Keywords, operators and function names are
// case-insensitive. Binding, tightest first: not, comparisons (eq ne gt ge lt
// le in), and, or. Because not binds tighter than a comparison, "not a eq b"
// would negate a alone; Parse rejects it and asks for "not (a eq b)".
// Comparisons do not chain. The arithmetic operators and has are not
// supported.
//
// Expr.String renders canonical text that Parse accepts again: lower-case
// keywords, minimal parentheses, datetimes in UTC.
//
// # Evaluation
//
// Compile turns a tree into a Matcher; Match decodes one JSON object record
// (numbers kept as text) and evaluates it. Conditions are two-valued: every
// condition is true or false, never unknown.
//
//   - A path navigates JSON objects; a missing property, a JSON null or a
//     step through a non-object is null. "x eq null" is true for those and
//     "x ne null" false.
//   - Numbers compare exactly as decimals, whatever their size: 1.0 eq 1 and
//     9007199254740993 ne 9007199254740992.
//   - Strings compare byte-wise, or after unicode.ToLower of each character
//     when Options.CaseInsensitive is set. A GUID literal compares with
//     strings case-insensitively.
//   - A string property compared with a datetime literal compares as an
//     instant (audit.ParseTime: 0–7 or more fractional digits, any offset);
//     a string that is not a timestamp does not compare.
//   - Booleans compare with booleans (false < true).
//   - Values of different types, arrays and objects do not compare: eq and
//     the ordering operators are false, ne is true. "x in (…)" is "x eq" one
//     of the list.
//   - startswith, endswith and contains are false, and tolower and toupper
//     null, unless all their arguments are strings.
//   - c/any(v: body) is true when body holds for some element of the array
//     c, c/all(v: body) when it holds for every element (so all is true for
//     an empty array); both are false when c is not an array. c/any() is
//     true for a non-empty array. Inside body, a path starting with v
//     navigates the element, and other paths the record.
//   - A bare path as a condition is true only when it holds JSON true.
package odata
