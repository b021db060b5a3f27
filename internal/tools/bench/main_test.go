package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// archiverBinary is the entra-archiver binary under test, built once by TestMain.
var archiverBinary string

func TestMain(m *testing.M) {
	if code, ok := Child(); ok {
		os.Exit(code)
	}
	dir, err := os.MkdirTemp("", "entra-archiver-bench-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	archiverBinary, err = Build(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	testenv.Main(m, func() { os.RemoveAll(dir) })
}

// self is the test binary, which plays the fetch-only child.
func self(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func workDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "work")
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}
