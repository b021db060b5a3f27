package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

var containerSeq atomic.Uint64

// Container returns a fresh, valid container name for the test (3–63 of
// a-z, 0-9 and single hyphens), derived from the test's name and unique
// across test binaries that share one Azurite. It does not create it.
func Container(t testing.TB) string {
	var b strings.Builder
	hyphen := true // no leading hyphen
	for _, r := range strings.ToLower(t.Name()) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			hyphen = false
		} else if !hyphen {
			b.WriteByte('-')
			hyphen = true
		}
	}
	random := make([]byte, 4)
	_, _ = rand.Read(random) // never fails (crypto/rand)
	suffix := hex.EncodeToString(random) + "-" + strconv.FormatUint(containerSeq.Add(1), 10)
	base := b.String()
	if max := 63 - 1 - len(suffix); len(base) > max {
		base = base[:max]
	}
	base = strings.TrimRight(base, "-")
	if base == "" {
		return suffix
	}
	return base + "-" + suffix
}
