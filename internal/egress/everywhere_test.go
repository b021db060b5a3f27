package egress_test

import (
	"go/ast"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// Packages that build HTTP clients of their own on purpose: the simulated
// Graph (a test server) and the benchmark's curl-like baseline.
var ownClients = map[string]bool{"internal/graphsim": true, "internal/tools/bench": true, "internal/egress": true}

// sdkConstructors build an Azure SDK pipeline, which uses azcore's default
// client (it follows redirects) unless given a transport.
var sdkConstructors = map[string]bool{
	"azidentity": true, "container": true, "service": true, "blob": true, "blockblob": true, "azcore": true, "runtime": true,
}

// TestSecurityEveryClientThroughEgress keeps the rule a machine's: outside
// the packages above, no product code builds an http.Client or
// http.Transport or uses Go's default ones, and every package that builds
// an Azure SDK client (a credential, a pipeline, a storage client) imports
// egress to give it its transport.
func TestSecurityEveryClientThroughEgress(t *testing.T) {
	root := filepath.Join("..", "..")
	type pkgInfo struct {
		importsEgress bool
		builds        []string
	}
	pkgs := map[string]*pkgInfo{}
	for _, src := range testenv.ProductSources(t, root) {
		if ownClients[src.Dir] {
			continue
		}
		path, f := src.Path, src.File
		info := pkgs[src.Dir]
		if info == nil {
			info = &pkgInfo{}
			pkgs[src.Dir] = info
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasSuffix(p, "/internal/egress") {
				info.importsEgress = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if name := httpSelector(n.Type); name == "Client" || name == "Transport" {
					t.Errorf("%s builds an http.%s: build clients with package egress", path, name)
				}
			case *ast.SelectorExpr:
				if name := httpSelector(n); name == "DefaultClient" || name == "DefaultTransport" {
					t.Errorf("%s uses http.%s, which follows redirects: use package egress", path, name)
				}
				if x, ok := n.X.(*ast.Ident); ok && sdkConstructors[x.Name] && isConstructor(x.Name, n.Sel.Name) {
					info.builds = append(info.builds, path+": "+x.Name+"."+n.Sel.Name)
				}
			}
			return true
		})
	}
	built := 0
	for dir, info := range pkgs {
		built += len(info.builds)
		if len(info.builds) > 0 && !info.importsEgress {
			t.Errorf("%s builds Azure SDK clients (%s) without package egress: give them egress.Transport",
				dir, strings.Join(info.builds, ", "))
		}
	}
	if built < 3 {
		t.Fatalf("found only %d SDK client constructions: the scan no longer recognises them", built)
	}
}

// httpSelector is Name for an expression http.Name, else "".
func httpSelector(e ast.Expr) string {
	if sel, ok := e.(*ast.SelectorExpr); ok {
		if x, ok := sel.X.(*ast.Ident); ok && x.Name == "http" {
			return sel.Sel.Name
		}
	}
	return ""
}

// isConstructor recognises the SDK functions that build a client.
func isConstructor(pkg, name string) bool {
	switch {
	case pkg == "runtime":
		return name == "NewPipeline"
	case pkg == "azidentity":
		return strings.HasPrefix(name, "New") && strings.HasSuffix(name, "Credential")
	}
	return strings.HasPrefix(name, "NewClient") || name == "NewClient"
}
