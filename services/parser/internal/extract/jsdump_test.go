package extract

import (
	"fmt"
	"os"
	"testing"

	"github.com/query4code/query4code/services/parser/internal/jsast"
)

func TestJSDump(t *testing.T) {
	f := os.Getenv("F")
	if f == "" {
		t.Skip()
	}
	src, _ := os.ReadFile(f)
	p := jsast.NewParser()
	tr, err := p.Parse(src, jsast.DialectOf(f))
	if err != nil {
		t.Fatal(err)
	}
	m := new(Extractor).ExtractJS(tr.RootNode(), src, "typescript")
	for k, s := range m.Scopes {
		fmt.Printf("%d %v %q parent=%d inline=%v obj=%v L%d-%d sig=%q doc=%q triv=%v params=%d\n", k, s.Kind, s.QualName, s.Parent, s.Inline, s.IsObject, s.StartLine, s.EndLine, s.Signature, s.Docstring, s.Trivial, len(s.Params))
	}
	for _, d := range m.Defs {
		fmt.Printf("def %s scope=%d\n", d.Name, d.Scope)
	}
	for _, im := range m.Imports {
		fmt.Printf("import %+v\n", im)
	}
}
