package odata

import "testing"

func BenchmarkParse(b *testing.B) {
	const src = "(createdDateTime ge 2026-11-01T00:00:00Z and createdDateTime le 2026-11-02T00:00:00Z) and " +
		"signInEventTypes/any(t: t eq 'nonInteractiveUser') and status/errorCode ne 0"
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	record := readRecord(b, "signin.json")
	e, err := Parse("status/errorCode ne 0 and startswith(userPrincipalName,'zoe') and " +
		"authenticationDetails/any(a: a/succeeded) and createdDateTime ge 2026-11-27T03:00:00Z")
	if err != nil {
		b.Fatal(err)
	}
	m, err := Compile(e, Options{CaseInsensitive: true})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(record)))
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := m.Match(record); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
