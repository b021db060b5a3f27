package faults

import (
	"go/ast"
	"path/filepath"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/testenv"
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
	for _, src := range testenv.ProductSources(t, root) {
		ast.Inspect(src.File, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && insecureKnobs[id.Name] {
				t.Errorf("%s uses %s: TLS verification must stay on outside tests", src.Path, id.Name)
			}
			return true
		})
	}
}
