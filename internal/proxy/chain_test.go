package proxy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"testing"
)

// TestChainsMatchTheirComments: the order of the proxy's stages is the
// design, and each chain's comment in server.go explains it stage by
// stage. The numbered list in the comment must name the table's stages,
// in the table's order, so neither can change without the other.
func TestChainsMatchTheirComments(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "server.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	item := regexp.MustCompile(`(?m)^\s*\d+\.\s+(\w+)`)
	chains := map[string][]stage{"newChain": newChain(), "newConnectChain": newConnectChain()}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || chains[fn.Name.Name] == nil {
			continue
		}
		var documented, table []string
		for _, m := range item.FindAllStringSubmatch(fn.Doc.Text(), -1) {
			documented = append(documented, m[1])
		}
		for _, s := range chains[fn.Name.Name] {
			if s.run == nil {
				t.Errorf("%s: stage %s runs nothing", fn.Name.Name, s.name)
			}
			table = append(table, s.name)
		}
		if !slices.Equal(documented, table) {
			t.Errorf("%s: the comment lists %v, the table runs %v", fn.Name.Name, documented, table)
		}
		delete(chains, fn.Name.Name)
	}
	for name := range chains {
		t.Errorf("%s not found in server.go", name)
	}
}
