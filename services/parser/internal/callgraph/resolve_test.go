package callgraph

import (
	"context"
	"reflect"
	"sort"
	"testing"

	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/pyast"
)

// resolveSources parses the given files and resolves them.
func resolveSources(t *testing.T, srcs map[string]string) *Graph {
	t.Helper()
	p, err := pyast.NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	paths := make([]string, 0, len(srcs))
	for path := range srcs {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	var files []File
	for _, path := range paths {
		tree, err := p.Parse([]byte(srcs[path]))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, File{Path: path, Module: extract.Extract(tree)})
	}
	g, err := Resolve(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// callees returns the callees of the scope named caller, by kind.
func callees(g *Graph, caller string, kind EdgeKind) []string {
	out := []string{}
	for k, sc := range g.Scopes {
		if sc.Name != caller {
			continue
		}
		for _, c := range g.Callees[k] {
			if c.Kind == kind {
				out = append(out, g.Scopes[c.Scope].Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name   string
		srcs   map[string]string
		caller string
		want   []string
	}{
		{
			name: "absolute import with alias",
			srcs: map[string]string{
				"pkg/__init__.py": "",
				"pkg/util.py":     "def helper():\n    pass\n",
				"main.py":         "import pkg.util as u\n\ndef run():\n    u.helper()\n",
			},
			caller: "main.run", want: []string{"pkg.util.helper"},
		},
		{
			name: "relative imports two levels up",
			srcs: map[string]string{
				"pkg/__init__.py":     "",
				"pkg/core.py":         "def base():\n    pass\n",
				"pkg/sub/__init__.py": "",
				"pkg/sub/mod.py":      "from ..core import base\nfrom .. import core\n\ndef f():\n    base()\n    core.base()\n",
			},
			caller: "pkg.sub.mod.f", want: []string{"pkg.core.base"},
		},
		{
			name: "star import of a repository module honours __all__",
			srcs: map[string]string{
				"lib.py":  "__all__ = ['pub']\n\ndef pub():\n    pass\n\ndef other():\n    pass\n",
				"main.py": "from lib import *\n\ndef run():\n    pub()\n    other()\n",
			},
			caller: "main.run", want: []string{"lib.pub"},
		},
		{
			name: "src layout resolves through the source root",
			srcs: map[string]string{
				"src/app/__init__.py": "",
				"src/app/db.py":       "def connect():\n    pass\n",
				"scripts/run.py":      "from app.db import connect\n\ndef main():\n    connect()\n",
			},
			caller: "scripts.run.main", want: []string{"src.app.db.connect"},
		},
		{
			name: "constructor, self and locals bound to instances",
			srcs: map[string]string{
				"m.py": `class Repo:
    def __init__(self):
        self.load()
    def load(self):
        pass
    def save(self):
        pass

def use():
    r = Repo()
    r.save()
`,
			},
			caller: "m.use", want: []string{"m.Repo.__init__", "m.Repo.save"},
		},
		{
			name: "self call resolves to the override of the receiver",
			srcs: map[string]string{
				"m.py": `class Base:
    def run(self):
        self.step()
    def step(self):
        pass

class Child(Base):
    def step(self):
        pass

Child().run()
`,
			},
			caller: "m.Base.run", want: []string{"m.Base.step", "m.Child.step"},
		},
		{
			name: "super in a diamond follows the C3 order",
			srcs: map[string]string{
				"m.py": `class A:
    def f(self):
        pass

class B(A):
    def f(self):
        super().f()

class C(A):
    def f(self):
        super().f()

class D(B, C):
    def f(self):
        super().f()
`,
			},
			caller: "m.D.f", want: []string{"m.B.f"},
		},
		{
			name: "cls and classmethods",
			srcs: map[string]string{
				"m.py": `class Cfg:
    @classmethod
    def load(cls):
        return cls.parse()
    @classmethod
    def parse(cls):
        return cls()
`,
			},
			caller: "m.Cfg.load", want: []string{"m.Cfg.parse"},
		},
		{
			name: "nested function and closure",
			srcs: map[string]string{
				"m.py": "def outer():\n    def inner():\n        pass\n    inner()\n",
			},
			caller: "m.outer", want: []string{"m.outer.inner"},
		},
		{
			name: "decorator applied from the defining scope, wrapper called",
			srcs: map[string]string{
				"m.py": `def log(fn):
    def wrapper(*a, **k):
        return fn(*a, **k)
    return wrapper

@log
def work():
    pass

def main():
    work()
`,
			},
			caller: "m.main", want: []string{"m.log.wrapper"},
		},
		{
			name: "external decorator keeps the function",
			srcs: map[string]string{
				"m.py": "import functools\n\n@functools.lru_cache(maxsize=None)\ndef cached():\n    pass\n\ndef main():\n    cached()\n",
			},
			caller: "m.main", want: []string{"m.cached"},
		},
		{
			name: "function values through dicts, lists and returns",
			srcs: map[string]string{
				"m.py": `def a():
    pass

def b():
    pass

HANDLERS = {"a": a, "b": b}

def pick():
    return [a, b]

def main():
    HANDLERS["b"]()
    pick()[0]()
`,
			},
			caller: "m.main", want: []string{"m.a", "m.b", "m.pick"},
		},
		{
			name: "flow-sensitive rebinding in one scope",
			srcs: map[string]string{
				"m.py": "def a():\n    pass\n\ndef b():\n    pass\n\ndef main():\n    f = a\n    f = b\n    f()\n",
			},
			caller: "m.main", want: []string{"m.b"},
		},
		{
			name: "branches merge both bindings",
			srcs: map[string]string{
				"m.py": "def a():\n    pass\n\ndef b():\n    pass\n\ndef main(x):\n    if x:\n        f = a\n    else:\n        f = b\n    f()\n",
			},
			caller: "m.main", want: []string{"m.a", "m.b"},
		},
		{
			name: "loop-carried binding is seen on the next iteration",
			srcs: map[string]string{
				"m.py": "def a():\n    pass\n\ndef b():\n    pass\n\ndef main(xs):\n    f = a\n    for x in xs:\n        f()\n        f = b\n",
			},
			caller: "m.main", want: []string{"m.a", "m.b"},
		},
		{
			name: "module-level code is the module node",
			srcs: map[string]string{
				"m.py": "def setup():\n    pass\n\nsetup()\n",
			},
			caller: "m", want: []string{"m.setup"},
		},
		{
			name: "syntax error still resolves what was recovered",
			srcs: map[string]string{
				"m.py": "def ok():\n    pass\n\ndef broken(:\n    ok()\n\ndef fine():\n    ok()\n",
			},
			caller: "m.fine", want: []string{"m.ok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := resolveSources(t, tt.srcs)
			got := callees(g, tt.caller, EdgeResolved)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("callees(%s) = %v, want %v", tt.caller, got, tt.want)
			}
		})
	}
}

func TestExternalCalls(t *testing.T) {
	g := resolveSources(t, map[string]string{
		"m.py": `import numpy as np
import os.path
from sklearn.linear_model import LogisticRegression

def f(x):
    np.mean(x)
    np.mean(x)
    os.path.join("a", "b")
    model = LogisticRegression()
    model.fit(x)
    len(x)
`,
	})
	var got map[string]int
	for k, sc := range g.Scopes {
		if sc.Name == "m.f" {
			got = g.External[k]
		}
	}
	want := map[string]int{
		"numpy.mean": 2, "os.path.join": 1,
		"sklearn.linear_model.LogisticRegression":     1,
		"sklearn.linear_model.LogisticRegression.fit": 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("external calls = %v, want %v", got, want)
	}
}

func TestMRO(t *testing.T) {
	g := resolveSources(t, map[string]string{
		"m.py": `class O: pass
class A(O): pass
class B(O): pass
class C(O): pass
class D(O): pass
class E(O): pass
class K1(A, B, C): pass
class K2(D, B, E): pass
class K3(D, A): pass
class Z(K1, K2, K3): pass
`,
	})
	names := func(ids []int32) []string {
		out := make([]string, len(ids))
		for k, id := range ids {
			out[k] = g.Scopes[id].Name
		}
		return out
	}
	for _, sc := range g.Scopes {
		if sc.Name != "m.Z" {
			continue
		}
		// Wikipedia's C3 example.
		want := []string{"m.Z", "m.K1", "m.K2", "m.K3", "m.D", "m.A", "m.B", "m.C", "m.E", "m.O"}
		if got := names(sc.MRO); !reflect.DeepEqual(got, want) {
			t.Errorf("MRO(Z) = %v, want %v", got, want)
		}
		return
	}
	t.Fatal("class Z not found")
}

func TestNameMatchedFallback(t *testing.T) {
	g := resolveSources(t, map[string]string{
		"m.py": `class Store:
    def flush_all(self):
        pass

def handler(store):
    store.flush_all()
`,
	})
	if got := callees(g, "m.handler", EdgeNameMatched); !reflect.DeepEqual(got, []string{"m.Store.flush_all"}) {
		t.Errorf("name-matched callees = %v", got)
	}
}

func TestModuleName(t *testing.T) {
	tests := map[string]string{
		"main.py":           "main",
		"pkg/__init__.py":   "pkg",
		"pkg/sub/mod.py":    "pkg.sub.mod",
		"__init__.py":       "",
		"stubs/thing.pyi":   "stubs.thing",
		"a/b/__init__.py":   "a.b",
		"scripts/run-it.py": "scripts.run-it",
	}
	for path, want := range tests {
		if got := ModuleName(path); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestResolveCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := pyast.NewParser()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tree, err := p.Parse([]byte("def f():\n    f()\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve(ctx, []File{{Path: "m.py", Module: extract.Extract(tree)}}); err == nil {
		t.Fatal("Resolve with a cancelled context succeeded")
	}
}
