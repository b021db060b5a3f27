package faults

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// insecureKnobs are the settings that would send credentials or archive
// data over a connection that is not verified TLS: crypto/tls's switch and
// azcore's permission to send bearer tokens over plain HTTP.
var insecureKnobs = map[string]bool{"InsecureSkipVerify": true, "InsecureAllowCredentialWithHTTP": true}

// TestNoTLSOverrideOutsideTests parses every Go file of the module that is
// not a test and fails on any use of an insecure knob: TLS verification is
// never off in the binary, whatever the configuration. (Tests trust the
// simulated Graph through its CA, never by turning verification off; the
// e2e suite checks that the binary refuses Graph without that CA.)
func TestNoTLSOverrideOutsideTests(t *testing.T) {
	root := filepath.Join("..", "..")
	files := 0
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
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && insecureKnobs[id.Name] {
				t.Errorf("%s uses %s: TLS verification must stay on outside tests", path, id.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d Go files found under %s: the scan looked in the wrong place", files, root)
	}
}
