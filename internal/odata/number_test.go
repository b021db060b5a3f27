package odata

import "testing"

func TestCompareDecimal(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"0", "0", 0},
		{"0", "-0", 0},
		{"0.000", "0e5", 0},
		{"1", "1.0", 0},
		{"1", "1e0", 0},
		{"10", "1e1", 0},
		{"0.1", "1e-1", 0},
		{"007", "7", 0},
		{"1", "2", -1},
		{"-1", "-2", 1},
		{"-1", "1", -1},
		{"0", "-0.0001", 1},
		{"9007199254740993", "9007199254740992", 1},
		{"12345678901234567890123", "12345678901234567890124", -1},
		{"1.23456789012345678901", "1.23456789012345678902", -1},
		{"1.5", "1.49999999999999999999", 1},
		{"100", "99.999", 1},
		{"0.01", "0.1", -1},
		{"123", "1234", -1},
		{"1.2", "1.23", -1},
		{"1e400", "1e399", 1},
		{"-1e400", "1e-400", -1},
		{"1e-400", "0", 1},
		// Exponents too large to represent are clamped, not wrapped.
		{"1e99999999999999999999999", "1e400", 1},
		{"1e-99999999999999999999999", "0", 1},
	}
	for _, tt := range tests {
		a, okA := parseDecimal(tt.a)
		b, okB := parseDecimal(tt.b)
		if !okA || !okB {
			t.Errorf("parseDecimal(%q, %q) failed", tt.a, tt.b)
			continue
		}
		if got := compareDecimal(a, b); got != tt.want {
			t.Errorf("compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := compareDecimal(b, a); got != -tt.want {
			t.Errorf("compare(%s, %s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestParseDecimalRejects(t *testing.T) {
	for _, s := range []string{"", "-", "+1", ".5", "1.", "1e", "1e+", "1.e5", "1x", "0x10", "1_000", "--1", "1e5.5", " 1"} {
		if _, ok := parseDecimal(s); ok {
			t.Errorf("parseDecimal(%q) succeeded", s)
		}
	}
}
