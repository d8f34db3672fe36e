package installed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestCleandoc(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"One line.", "One line."},
		{"  Leading space.  ", "Leading space."},
		{"Summary.\n\n    Body line.\n      Indented.\n    ", "Summary.\n\nBody line.\n  Indented."},
		{"\n    Starts on line two.\n    More.\n", "Starts on line two.\nMore."},
		{"Tabs.\n\tBody.", "Tabs.\nBody."},
		{"Short.\n  a\n b", "Short.\n a\nb"},
	}
	for _, tt := range tests {
		if got := cleandoc(tt.in); got != tt.want {
			t.Errorf("cleandoc(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain`, "plain"},
		{`a\nb\tc`, "a\nb\tc"},
		{`quote \" and \' and \\`, `quote " and ' and \`},
		{`\x41\u00e9\U0001F600\101`, "Aé😀A"},
		{"line\\\ncontinued", "linecontinued"},
		{`unknown \d stays`, `unknown \d stays`},
		{`bad \xZZ and \u12`, `bad \xZZ and \u12`},
		{`trailing \`, `trailing \`},
	}
	for _, tt := range tests {
		if got := unescape(tt.in); got != tt.want {
			t.Errorf("unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTidySignature(t *testing.T) {
	src := "def f(\n    a,  # first\n    b='#not a comment',\n):"
	if got := tidySignature(collapseSpace(stripComments(src))); got != "def f(a, b='#not a comment'):" {
		t.Errorf("got %q", got)
	}
}

func TestRelativeImports(t *testing.T) {
	src := []byte("from . import a\nfrom .b import c\nfrom ..d.e import f\nfrom ... import g\n")
	tests := []struct {
		module    string
		isPackage bool
		want      map[string]string // name -> module
	}{
		{"pkg.sub.mod", false, map[string]string{"a": "pkg.sub", "c": "pkg.sub.b", "f": "pkg.d.e"}},
		{"pkg.sub", true, map[string]string{"a": "pkg.sub", "c": "pkg.sub.b", "f": "pkg.d.e"}},
		{"top", false, map[string]string{}},
	}
	for _, tt := range tests {
		m, err := parseModule(context.Background(), tt.module, "x.py", tt.isPackage, src)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range tt.want {
			syms := m.symbols[name]
			if len(syms) != 1 || syms[0].module != want {
				t.Errorf("%s: %s -> %+v, want module %s", tt.module, name, syms, want)
			}
		}
		if len(m.symbols["g"]) != 0 {
			t.Errorf("%s: an import beyond the top-level package was kept", tt.module)
		}
	}
}

func TestAllForms(t *testing.T) {
	src := []byte(`__all__ = ["a", 'b'] + ["c"]
__all__ += ("d",)
__all__.extend(["e"])
__all__.append("f")
`)
	m, err := parseModule(context.Background(), "m", "m.py", false, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(m.all); got != 6 || m.all[0] != "a" || m.all[5] != "f" {
		t.Errorf("__all__ = %q", m.all)
	}
}

// FuzzParseModule: any bytes parse without a panic into a usable summary.
func FuzzParseModule(f *testing.F) {
	for _, s := range []string{
		"def f(x):\n    \"\"\"Doc.\"\"\"\n",
		"class C(B[int], metaclass=M):\n    x: int = 1\n    '''x doc'''\n",
		"from .a import *\n__all__ = ['x']\nif True:\n    import os.path as p\n",
		"def broken(:\n  '''unterminated",
		"f'''{x}'''\nb'bytes'\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := parseModule(context.Background(), "pkg.mod", "mod.py", false, src)
		if err != nil {
			return
		}
		for name, syms := range m.symbols {
			for _, s := range syms {
				if s.name != name || s.line < 1 {
					t.Fatalf("symbol %q under %q at line %d", s.name, name, s.line)
				}
			}
		}
	})
}

func TestMetadataDocsURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ metadata, want string }{
		{"Name: a\nVersion: 1\nHome-page: https://a.example.org\nProject-URL: Documentation, https://a.readthedocs.io\n", "https://a.readthedocs.io"},
		{"Name: a\nVersion: 1\nHome-page: https://a.example.org\n", "https://a.example.org"},
		{"Name: a\nVersion: 1\nHome-page: https://github.com/o/a\n", ""},
		{"Name: a\nVersion: 1\nHome-page: UNKNOWN\n", ""},
	}
	for i, tt := range tests {
		path := filepath.Join(dir, fmt.Sprintf("m%d", i))
		if err := os.WriteFile(path, []byte(tt.metadata), 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := readMetadataFile(path)
		if err != nil || d.DocsURL != tt.want || d.Name != "a" || d.Version != "1" {
			t.Errorf("case %d: %+v, %v; want docs URL %q", i, d, err, tt.want)
		}
	}
}
