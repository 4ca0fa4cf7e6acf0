package actions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// Every type of this package with a Kind method (an Event) has a sample in EventSamples,
// so that the tests of every renderer walk every kind.
func TestEventSamplesCoverEveryKind(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Name.Name != "Kind" || fn.Recv == nil {
				continue
			}
			if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok {
				kinds = append(kinds, id.Name)
			}
		}
	}
	var sampled []string
	for _, ev := range EventSamples() {
		sampled = append(sampled, reflect.TypeOf(ev).Name())
	}
	for _, k := range kinds {
		if !slices.Contains(sampled, k) {
			t.Errorf("event %s has no sample in EventSamples", k)
		}
	}
}
