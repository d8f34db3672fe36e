package extract

import (
	"reflect"
	"sort"
	"testing"

	"github.com/query4code/query4code/services/parser/internal/pyast"
)

func extractSource(t *testing.T, src string) *Module {
	t.Helper()
	p, err := pyast.NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tree, err := p.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return Extract(tree)
}

func scopeNamed(m *Module, qual string) *Scope {
	for k := range m.Scopes {
		if m.Scopes[k].QualName == qual {
			return &m.Scopes[k]
		}
	}
	return nil
}

func TestScopes(t *testing.T) {
	m := extractSource(t, `"""Module doc."""
import os

@decorator(1)
@other
class Shape(Base, metaclass=Meta):
    """A shape.

    More text.
    """

    def area(self, *, scale: float = 1.0) -> float:
        """Area."""
        def helper(x):
            return x
        return helper(scale)

    @staticmethod
    def make(**kw):
        pass

    @property
    def name(self):
        ...

    def todo(self):
        raise NotImplementedError("later")

f = lambda a, b=2: a + b
g = lambda: (lambda: 0)
`)
	tests := []struct {
		qual       string
		kind       ScopeKind
		signature  string
		docstring  string
		decorators []string
		lines      [2]int
		trivial    bool
		params     []string
	}{
		{qual: "Shape", kind: ScopeClass, signature: "class Shape(Base, metaclass=Meta)", docstring: "A shape.\n\nMore text.",
			decorators: []string{"decorator(1)", "other"}, lines: [2]int{4, 27}},
		{qual: "Shape.area", kind: ScopeFunction, signature: "def area(self, *, scale: float = 1.0) -> float", docstring: "Area.",
			lines: [2]int{12, 16}, params: []string{"self", "scale"}},
		{qual: "Shape.area.helper", kind: ScopeFunction, signature: "def helper(x)", lines: [2]int{14, 15}, trivial: true, params: []string{"x"}},
		{qual: "Shape.make", kind: ScopeFunction, signature: "def make(**kw)", decorators: []string{"staticmethod"},
			lines: [2]int{18, 20}, trivial: true, params: []string{"kw"}},
		{qual: "Shape.name", kind: ScopeFunction, signature: "def name(self)", decorators: []string{"property"},
			lines: [2]int{22, 24}, trivial: true, params: []string{"self"}},
		{qual: "Shape.todo", kind: ScopeFunction, signature: "def todo(self)", lines: [2]int{26, 27}, trivial: true, params: []string{"self"}},
		{qual: "<lambda1>", kind: ScopeLambda, signature: "lambda a, b=2", lines: [2]int{29, 29}, params: []string{"a", "b"}},
		{qual: "<lambda2>", kind: ScopeLambda, signature: "lambda", lines: [2]int{30, 30}},
		{qual: "<lambda2>.<lambda1>", kind: ScopeLambda, signature: "lambda", lines: [2]int{30, 30}},
	}
	if m.Scopes[0].Docstring != "Module doc." {
		t.Errorf("module docstring = %q", m.Scopes[0].Docstring)
	}
	for _, tt := range tests {
		t.Run(tt.qual, func(t *testing.T) {
			s := scopeNamed(m, tt.qual)
			if s == nil {
				t.Fatalf("scope %s not found", tt.qual)
			}
			var params []string
			for _, p := range s.Params {
				params = append(params, p.Name)
			}
			got := []any{s.Kind, s.Signature, s.Docstring, s.Decorators, [2]int{s.StartLine, s.EndLine}, s.Trivial, params}
			want := []any{tt.kind, tt.signature, tt.docstring, tt.decorators, tt.lines, tt.trivial, tt.params}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
		})
	}
	if s := scopeNamed(m, "Shape.make"); !s.IsStatic {
		t.Error("Shape.make is not marked static")
	}
	if s := scopeNamed(m, "Shape.name"); !s.IsProperty {
		t.Error("Shape.name is not marked as a property")
	}
}

// reaching returns, for each use of name in scope qual (in order), the
// lines of the definitions that reach it.
func reaching(m *Module, qual, name string) [][]int32 {
	var s ScopeID = -1
	for k := range m.Scopes {
		if m.Scopes[k].QualName == qual {
			s = ScopeID(k)
		}
	}
	var out [][]int32
	for _, u := range m.Uses {
		if u.Scope != s || u.Name != name {
			continue
		}
		lines := []int32{}
		for _, d := range m.DefsOf(&u) {
			lines = append(lines, m.Defs[d].Line)
		}
		sort.Slice(lines, func(a, b int) bool { return lines[a] < lines[b] })
		out = append(out, lines)
	}
	return out
}

func TestReachingDefinitions(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want [][]int32
	}{
		{"straight line", "def f():\n    x = 1\n    x = 2\n    x\n", [][]int32{{3}}},
		{"if without else keeps the old binding", "def f(c):\n    x = 1\n    if c:\n        x = 2\n    x\n", [][]int32{{2, 4}}},
		{"if/else replaces it", "def f(c):\n    x = 1\n    if c:\n        x = 2\n    else:\n        x = 3\n    x\n", [][]int32{{4, 6}}},
		{"return ends a branch", "def f(c):\n    x = 1\n    if c:\n        x = 2\n        return\n    x\n", [][]int32{{2}}},
		{"loop carries bindings back", "def f(xs):\n    x = 1\n    for i in xs:\n        x\n        x = 2\n    x\n", [][]int32{{2, 5}, {2, 5}}},
		{"break leaves with its binding", "def f():\n    x = 1\n    while True:\n        x = 2\n        break\n    x\n", [][]int32{{2, 4}}},
		{"try handler sees body and before", "def f():\n    x = 1\n    try:\n        x = 2\n    except E:\n        x\n", [][]int32{{2, 4}}},
		{"unbound local has no reaching definition", "def f():\n    x\n    x = 1\n", [][]int32{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := extractSource(t, tt.src)
			if got := reaching(m, "f", "x"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("reaching defs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUseTargets(t *testing.T) {
	m := extractSource(t, `x = 1
def outer():
    y = 2
    class C:
        y = 3
        def m(self):
            return y, x
    def g():
        global x
        x = 5
`)
	m2 := scopeNamed(m, "outer.C.m")
	for _, u := range m.Uses {
		if &m.Scopes[u.Scope] != m2 {
			continue
		}
		var want string
		switch u.Name {
		case "y":
			want = "outer" // class bodies are skipped
		case "x":
			want = ""
		default:
			continue
		}
		if got := m.Scopes[u.Target].QualName; got != want {
			t.Errorf("use of %s targets %q, want %q", u.Name, got, want)
		}
	}
	var globalDefs int
	for _, d := range m.Defs {
		if d.Name == "x" && d.Scope == 0 {
			globalDefs++
		}
	}
	if globalDefs != 2 {
		t.Errorf("module-level definitions of x = %d, want 2 (one through global)", globalDefs)
	}
}

func TestImports(t *testing.T) {
	m := extractSource(t, "import a.b.c\nimport d.e as f\nfrom ..g import h as i, j\nfrom . import k\nfrom m import *\n")
	want := []Import{
		{Module: "a.b.c", BindsTop: true, Line: 1},
		{Module: "d.e", Line: 2},
		{Module: "g", Level: 2, Name: "h", Line: 3},
		{Module: "g", Level: 2, Name: "j", Line: 3},
		{Module: "", Level: 1, Name: "k", Line: 4},
		{Module: "m", Star: true, Line: 5},
	}
	if !reflect.DeepEqual(m.Imports, want) {
		t.Errorf("imports = %+v\nwant %+v", m.Imports, want)
	}
	for _, name := range []string{"a", "f", "i", "j", "k"} {
		if !m.Binds(0, name) {
			t.Errorf("%s is not bound", name)
		}
	}
	if m.Binds(0, "b") {
		t.Error("b is bound (import a.b.c binds a)")
	}
}

func TestLiteralValue(t *testing.T) {
	tests := map[string]string{
		`"abc"`:         "abc",
		`'a\'b'`:        "a'b",
		`r"a\nb"`:       `a\nb`,
		`"""x\ty"""`:    "x\ty",
		`b"bytes"`:      "bytes",
		`"unterminated`: "unterminated",
		`'caf\u00e9'`:   "café",
		`"back\\slash"`: `back\slash`,
	}
	for in, want := range tests {
		got, ok := literalValue(in)
		if !ok || got != want {
			t.Errorf("literalValue(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestSyntaxErrorRecovery(t *testing.T) {
	m := extractSource(t, "def ok():\n    pass\n\ndef broken(:\n    pass\n\nclass Fine:\n    def m(self):\n        pass\n")
	if !m.ParseError {
		t.Error("ParseError not set")
	}
	for _, q := range []string{"ok", "Fine.m"} {
		if scopeNamed(m, q) == nil {
			t.Errorf("%s not recovered", q)
		}
	}
}

// An Extractor reuses its buffers from file to file: what it returns for a
// file must not depend on the files it saw before, nor change when it goes
// on to the next one.
func TestExtractorReuseMatchesFreshExtract(t *testing.T) {
	srcs := []string{
		"import os\n\nclass A(Base):\n    def m(self, x=1):\n        return os.path.join(x, self.y)\n",
		"def f(a, *args, **kw):\n    for i in range(a):\n        if i:\n            g = lambda v: v + i\n    return [g(k) for k in args]\n",
		"x = {'k': 1}\nx['k'] += 2\n",
	}
	p, err := pyast.NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fresh := make([]*Module, len(srcs))
	for k, src := range srcs {
		tree, err := p.Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		fresh[k] = Extract(tree)
	}
	var x Extractor
	var reused []*Module
	for _, k := range []int{0, 1, 2, 0, 2, 1} {
		tree, err := p.Parse([]byte(srcs[k]))
		if err != nil {
			t.Fatal(err)
		}
		reused = append(reused, x.Extract(tree))
	}
	for j, k := range []int{0, 1, 2, 0, 2, 1} {
		if !reflect.DeepEqual(reused[j], fresh[k]) {
			t.Errorf("extraction %d (source %d) differs from a fresh Extract", j, k)
		}
	}
}

func TestTrivialBodies(t *testing.T) {
	tests := []struct {
		body    string
		trivial bool
	}{
		{"pass", true},
		{"...", true},
		{"\"\"\"Doc.\"\"\"\n    pass", true},
		{"return", true},
		{"return None", true},
		{"return -1", true},
		{"return 'text'", true},
		{"return ()", true},
		{"return {}", true},
		{"return a", true},
		{"raise ValueError(a)", true},
		{"raise NotImplementedError", true},
		{"return f'{a}'", false},
		{"return b", false}, // a global, not a parameter
		{"return a + 1", false},
		{"return [a]", false},
		{"a.close()", false},
		{"x = a\n    return x", false},
		{"if a:\n        raise ValueError", false},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			m := extractSource(t, "def f(a):\n    "+tt.body+"\n")
			if got := scopeNamed(m, "f").Trivial; got != tt.trivial {
				t.Errorf("Trivial = %v, want %v", got, tt.trivial)
			}
		})
	}
}

func TestSyntaxErrorScopes(t *testing.T) {
	m := extractSource(t, `def ok():
    return 1


def broken(:
    ok()


class Holder:
    def fine(self):
        return ok()

    def bad(self):
        x = (1 +


def after():
    return ok()
`)
	want := map[string]bool{"ok": false, "broken": true, "Holder": true, "Holder.fine": false, "Holder.bad": true, "after": false}
	for qual, broken := range want {
		s := scopeNamed(m, qual)
		if s == nil {
			t.Errorf("scope %s not found", qual)
			continue
		}
		if s.SyntaxError != broken {
			t.Errorf("%s: SyntaxError = %v, want %v", qual, s.SyntaxError, broken)
		}
	}
}
