package extract

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/parser/internal/jsast"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/js")

// jsScopeSummary is what the golden files hold of a scope.
type jsScopeSummary struct {
	Kind        ScopeKind `json:"kind"`
	QualName    string    `json:"qualname"`
	Lines       [2]int    `json:"lines"`
	Signature   string    `json:"signature,omitempty"`
	Docstring   string    `json:"docstring,omitempty"`
	Params      []string  `json:"params,omitempty"`
	Inline      bool      `json:"inline,omitempty"`
	IsObject    bool      `json:"is_object,omitempty"`
	Trivial     bool      `json:"trivial,omitempty"`
	SyntaxError bool      `json:"syntax_error,omitempty"`
	IsProperty  bool      `json:"is_property,omitempty"`
	IsClassMeth bool      `json:"is_class_method,omitempty"`
}

type jsModuleSummary struct {
	Language     string           `json:"language"`
	ParseError   bool             `json:"parse_error"`
	ExportsValue bool             `json:"exports_value"`
	Scopes       []jsScopeSummary `json:"scopes"`
	ModuleNames  []string         `json:"module_names"`
	Imports      []Import         `json:"imports"`
}

// TestJSGolden extracts each testdata/js file and compares its scopes,
// module-level names and imports with the .golden.json beside it
// (go test -run TestJSGolden -update rewrites them).
func TestJSGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/js/*.[jt]s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	p := jsast.NewParser()
	defer p.Close()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d := jsast.DialectOf(f)
			tree, err := p.Parse(src, d)
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			m := new(Extractor).ExtractJS(tree.RootNode(), src, d.Language())
			got, err := json.MarshalIndent(summarizeJS(m), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(f, filepath.Ext(f)) + ".golden.json"
			if *updateGolden {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(want)) != string(got) {
				t.Errorf("extraction of %s differs from %s:\n%s", f, golden, got)
			}
		})
	}
}

func summarizeJS(m *Module) jsModuleSummary {
	out := jsModuleSummary{Language: m.Language, ParseError: m.ParseError, ExportsValue: m.ExportsValue, Imports: m.Imports}
	for _, s := range m.Scopes {
		ss := jsScopeSummary{
			Kind: s.Kind, QualName: s.QualName, Lines: [2]int{s.StartLine, s.EndLine},
			Signature: s.Signature, Docstring: s.Docstring, Inline: s.Inline, IsObject: s.IsObject,
			Trivial: s.Trivial, SyntaxError: s.SyntaxError, IsProperty: s.IsProperty, IsClassMeth: s.IsClassMethod,
		}
		for _, p := range s.Params {
			ss.Params = append(ss.Params, p.Name)
		}
		out.Scopes = append(out.Scopes, ss)
	}
	seen := map[string]bool{}
	for _, d := range m.Defs {
		if d.Scope == 0 && !seen[d.Name] {
			seen[d.Name] = true
			out.ModuleNames = append(out.ModuleNames, d.Name)
		}
	}
	return out
}

// TestJSDeepNesting: deeply nested input is cut off, not a stack overflow.
func TestJSDeepNesting(t *testing.T) {
	src := []byte("x = " + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + ";\nfunction f() { g(); }\n")
	m := extractJSSource(t, src, jsast.JavaScript)
	if len(m.Scopes) != 2 || m.Scopes[1].QualName != "f" {
		t.Fatalf("scopes = %+v", m.Scopes)
	}
}

// TestJSDeclaredTypes: the declared types of parameters, variables and
// fields that may name classes are recorded; the others are not.
func TestJSDeclaredTypes(t *testing.T) {
	src := []byte(`import * as ns from './ns';
class A {
  private f: Foo<number>;
  g: string;
  static s: Foo;
  h: Foo | undefined = undefined;
  constructor(private p: ns.Bar, q: Foo, readonly r: Baz, plain: Qux) {}
}
function fn(a: Foo | Bar | null, b: any, c: () => void, d: Foo | { x: number }, e: (Foo), ...rest: Foo[]) {
  return (cb: (this: any, s: Foo, n: number, t: ns.Bar) => void) => cb;
  const v: Foo = a;
  let w: Foo;
}
`)
	m := extractJSSource(t, src, jsast.TypeScript)
	var typeText func(e ExprID) string
	typeText = func(e ExprID) string {
		x := &m.Exprs[e]
		switch x.Kind {
		case ExprName:
			return m.Str(x)
		case ExprAttr:
			return typeText(x.X) + "." + m.Str(x)
		case ExprUnion:
			var parts []string
			for _, a := range m.ArgsOf(x) {
				parts = append(parts, typeText(a))
			}
			return strings.Join(parts, "|")
		}
		return "?"
	}
	var got []string
	for _, d := range m.Types {
		var binding string
		if d.Def >= 0 {
			def := m.Defs[d.Def]
			binding = m.Scopes[def.Scope].QualName + ":" + def.Name
			if d.Arg > 0 {
				binding += "(" + strconv.Itoa(int(d.Arg)) + ")"
			}
		} else {
			binding = m.Scopes[d.Class].QualName + "#" + d.Field
		}
		got = append(got, binding+" "+typeText(d.Type))
	}
	want := []string{
		"A#f Foo",
		"A#h Foo",
		"A:h Foo",
		"A.constructor:p ns.Bar",
		"A.constructor:q Foo",
		"A.constructor:r Baz",
		"A.constructor:plain Qux",
		"fn:a Foo|Bar",
		"fn:e Foo",
		"fn.<lambda1>:cb(1) Foo",
		"fn.<lambda1>:cb(3) ns.Bar",
		"fn:v Foo",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("declared types:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// extractJSSource extracts src in dialect d.
func extractJSSource(t *testing.T, src []byte, d jsast.Dialect) *Module {
	t.Helper()
	p := jsast.NewParser()
	defer p.Close()
	tree, err := p.Parse(src, d)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	return new(Extractor).ExtractJS(tree.RootNode(), src, d.Language())
}
