package archivetest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// Regzip reads the gzip part name from s, applies edit to its decompressed
// bytes and returns the edited part compressed again and the lower-case hex
// SHA-256 of those stored bytes: what someone who can write the container
// would store, and put in the metadata, to hide an edit from a check of the
// metadata alone. The caller stores them its sink's way.
func Regzip(t *testing.T, s archive.Sink, name string, edit func([]byte) []byte) (stored []byte, sha256Hex string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(read(t, s, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(edit(data)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:])
}
