package odata

import (
	"strings"
	"testing"
)

// The fold functions must agree with strings.ToLower applied to both sides.
func TestFoldAgreesWithToLower(t *testing.T) {
	words := []string{"", "a", "A", "ab", "aB", "Zoë", "ZOË", "zoe", "ÅNGSTRÖM", "ångström", "Σίσυφος", "ΣΊΣΥΦΟΣ",
		"İstanbul", "istanbul", "\xff", "K", "\u212a", "straße", "STRASSE", "ü@x", "Ü@X"}
	for _, a := range words {
		for _, b := range words {
			la, lb := strings.ToLower(a), strings.ToLower(b)
			if got, want := sign(foldCompare(a, b)), strings.Compare(la, lb); got != want {
				t.Errorf("foldCompare(%q, %q) = %d, want %d", a, b, got, want)
			}
			if got, want := foldPrefix(a, b), strings.HasPrefix(la, lb); got != want {
				t.Errorf("foldPrefix(%q, %q) = %v, want %v", a, b, got, want)
			}
			if got, want := foldSuffix(a, b), strings.HasSuffix(la, lb); got != want {
				t.Errorf("foldSuffix(%q, %q) = %v, want %v", a, b, got, want)
			}
			if got, want := foldContains(a, b), strings.Contains(la, lb); got != want {
				t.Errorf("foldContains(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
