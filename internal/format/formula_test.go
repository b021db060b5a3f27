package format

import "testing"

func TestNeutralizeFormula(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`=HYPERLINK("https://evil.example","click")`, `'=HYPERLINK("https://evil.example","click")`},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\tstart", "'\tstart"},
		{"\rstart", "'\rstart"},
		{"-5", "-5"}, {"+1.5e3", "+1.5e3"}, {"-0", "-0"},
		{"alice@contoso.com", "alice@contoso.com"}, {"", ""}, {"a=b", "a=b"},
	} {
		if got := NeutralizeFormula(tc.in); got != tc.want {
			t.Errorf("NeutralizeFormula(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNeutralizeRow(t *testing.T) {
	row := []byte(`id-1,"=HYPERLINK(""https://evil.example"",""x"")",-5,"a,b",@me,`)
	got, err := NeutralizeRow(nil, row)
	if err != nil {
		t.Fatal(err)
	}
	want := `id-1,"'=HYPERLINK(""https://evil.example"",""x"")",-5,"a,b",'@me,`
	if string(got) != want {
		t.Fatalf("NeutralizeRow:\n got %s\nwant %s", got, want)
	}
	if _, err := NeutralizeRow(nil, []byte(`a,"unterminated`)); err == nil {
		t.Fatal("a malformed row was accepted")
	}
}
