package extract_test

import (
	"context"
	"testing"

	"github.com/query4code/query4code/services/parser/internal/callgraph"
	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/pyast"
)

// FuzzExtract feeds arbitrary bytes through parsing, extraction and call
// resolution: none of them may panic, and the IR must stay consistent.
// Seeds live in testdata/fuzz/FuzzExtract.
func FuzzExtract(f *testing.F) {
	f.Add([]byte("def f(x):\n    return g(x)\n"))
	f.Add([]byte("class A(B):\n    def m(self):\n        super().m()\n"))
	f.Add([]byte("@d\n@e(1)\nasync def f(*a, **k): yield from g()\n"))
	f.Add([]byte("x = [1, *y]; a, (b, *c) = x; d = {**e, 'k': lambda: 0}\n"))
	f.Add([]byte("def broken(:\n  pass\n"))
	f.Add([]byte("\xff\xfe\x00garbage"))
	p, err := pyast.NewParser()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(p.Close)
	f.Fuzz(func(t *testing.T, src []byte) {
		tree, err := p.Parse(src)
		if err != nil {
			return // timeouts are errors, not panics
		}
		m := extract.Extract(tree)
		checkModule(t, m)
		if _, err := callgraph.Resolve(context.Background(), []callgraph.File{{Path: "m.py", Module: m}}); err != nil {
			t.Fatalf("resolve: %v", err)
		}
	})
}

func checkModule(t *testing.T, m *extract.Module) {
	t.Helper()
	nExpr := int32(len(m.Exprs))
	inRange := func(id extract.ExprID) bool { return id == extract.NoExpr || (id >= 0 && id < nExpr) }
	for k, e := range m.Exprs {
		if !inRange(e.X) || !inRange(e.Y) {
			t.Fatalf("expr %d refers outside the arena: %+v", k, e)
		}
		if e.Args.Off < 0 || e.Args.Len < 0 || int(e.Args.Off+e.Args.Len) > len(m.Args) {
			t.Fatalf("expr %d has arguments %+v outside the list of %d", k, e.Args, len(m.Args))
		}
		switch e.Kind {
		case extract.ExprName, extract.ExprAttr, extract.ExprKeyword, extract.ExprStr:
			if e.Str < 0 || int(e.Str) >= len(m.Strings) {
				t.Fatalf("expr %d has string %d of %d", k, e.Str, len(m.Strings))
			}
		}
		for _, a := range m.ArgsOf(&e) {
			if !inRange(a) || a == extract.NoExpr {
				t.Fatalf("expr %d has a bad argument %d", k, a)
			}
		}
		if e.Scope < 0 || int(e.Scope) >= len(m.Scopes) {
			t.Fatalf("expr %d in scope %d of %d", k, e.Scope, len(m.Scopes))
		}
	}
	for k, s := range m.Scopes {
		if k > 0 && (s.Parent < 0 || int(s.Parent) >= k) {
			t.Fatalf("scope %d has parent %d", k, s.Parent)
		}
		if s.StartLine > s.EndLine {
			t.Fatalf("scope %d spans lines %d-%d", k, s.StartLine, s.EndLine)
		}
	}
	for k, u := range m.Uses {
		if u.Defs.Off < 0 || u.Defs.Len < 0 || int(u.Defs.Off+u.Defs.Len) > len(m.UseDefs) {
			t.Fatalf("use %d has definitions %+v outside the list of %d", k, u.Defs, len(m.UseDefs))
		}
		for _, d := range m.DefsOf(&u) {
			if d < 0 || int(d) >= len(m.Defs) || m.Defs[d].Name != u.Name {
				t.Fatalf("use %d (%s) reached by bad definition %d", k, u.Name, d)
			}
		}
	}
}
