package testenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Source is one Go file of the product, parsed.
type Source struct {
	// Path is the file's path as found under the root; Dir its folder
	// relative to the root, with slashes ("internal/graph").
	Path, Dir string
	File      *ast.File
}

// ProductSources parses every Go file under root (the module's root) that
// is not a test, skipping node_modules, testdata and .git, for tests that
// check a rule across the whole product. It fails the test if it finds
// fewer than 50: the scan looked in the wrong place.
func ProductSources(t testing.TB, root string) []Source {
	t.Helper()
	var out []Source
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		out = append(out, Source{Path: path, Dir: filepath.ToSlash(rel), File: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("only %d Go files found under %s: the scan looked in the wrong place", len(out), root)
	}
	return out
}
