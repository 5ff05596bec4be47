package proxy

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestProxyDoesNotImportStore: the proxy reaches storage only through the
// interfaces serve gives it (pages.Requests and the rest, wired in
// internal/cli/proxystore). It parses the imports of every non-test file
// of this package and of every schoolgate package they import in turn,
// and fails if any of them is the store.
func TestProxyDoesNotImportStore(t *testing.T) {
	const module, forbidden = "schoolgate/", "schoolgate/internal/store"
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	seen := map[string]bool{}
	var walk func(pkg string, via []string)
	walk = func(pkg string, via []string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(pkg, module)))
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files in %s (%v)", pkg, dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				chain := append(append([]string(nil), via...), filepath.Base(f)+" → "+path)
				if path == forbidden || strings.HasPrefix(path, forbidden+"/") {
					t.Errorf("%s imports the store: %s", pkg, strings.Join(chain, ", "))
					continue
				}
				if strings.HasPrefix(path, module) {
					walk(path, chain)
				}
			}
		}
	}
	walk(module+"internal/proxy", nil)
	if len(seen) < 3 {
		t.Fatalf("walked only %d packages: %v", len(seen), seen)
	}
}
