package pyast

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/python"

	"github.com/query4code/query4code/services/parser/internal/stdlibdir"
)

// flatten.h declares tree-sitter's types and functions by hand; compiled
// after the module's real api.h, every prototype must agree and every
// hand-declared struct must have the real one's size, alignment and field
// offsets, or this test fails.
func TestDeclarationsMatchTreeSitterHeader(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/smacker/go-tree-sitter").Output()
	if err != nil {
		t.Fatalf("locating github.com/smacker/go-tree-sitter: %v", err)
	}
	moduleDir := strings.TrimSpace(string(out))
	cc, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		t.Fatal(err)
	}
	pkgDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var check strings.Builder
	check.WriteString("#include \"api.h\"\n#define Q4C_LAYOUT_CHECK\n#include \"flatten.h\"\n")
	same := func(typ string, fields ...string) {
		d := "q4c_declared_" + typ
		fmt.Fprintf(&check, "_Static_assert(sizeof(%s) == sizeof(%s) && _Alignof(%s) == _Alignof(%s), \"%s size\");\n", typ, d, typ, d, typ)
		for _, f := range fields {
			fmt.Fprintf(&check, "_Static_assert(offsetof(%s, %s) == offsetof(%s, %s) && sizeof(((%s *)0)->%s) == sizeof(((%s *)0)->%s), \"%s.%s\");\n",
				typ, f, d, f, typ, f, d, f, typ, f)
		}
	}
	same("TSPoint", "row", "column")
	same("TSNode", "context", "id", "tree")
	same("TSTreeCursor", "tree", "id", "context")
	file := filepath.Join(t.TempDir(), "layout_check.c")
	if err := os.WriteFile(file, []byte(check.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	compile := exec.Command(strings.TrimSpace(string(cc)), "-fsyntax-only", "-Werror", "-I", moduleDir, "-I", pkgDir, file)
	if msg, err := compile.CombinedOutput(); err != nil {
		t.Fatalf("flatten.h disagrees with %s/api.h: %v\n%s", moduleDir, err, msg)
	}
}

// flattenGoAPI is what q4c_flatten does, written against go-tree-sitter's
// node-by-node API: the reference for TestFlattenMatchesGoAPI and the other
// side of BenchmarkFlatten.
func flattenGoAPI(parser *sitter.Parser, src []byte) ([]Node, bool, error) {
	tree, err := parser.ParseCtx(context.Background(), nil, src)
	if err != nil {
		return nil, false, err
	}
	defer tree.Close()
	root := tree.RootNode()
	c := sitter.NewTreeCursor(root)
	defer c.Close()
	var out []Node
	var open []int // output index of the named node entered at each depth, or -1
	depth := 0
	for {
		nd := c.CurrentNode()
		idx := -1
		descend := true
		if nd.IsNamed() {
			sym := uint16(nd.Symbol())
			if sym == commentSymbol {
				descend = false
			} else {
				if sym == stringSymbol && plainString(src[nd.StartByte():nd.EndByte()]) {
					descend = false
				}
				idx = len(out)
				var flags uint8
				if nd.IsMissing() {
					flags |= FlagMissing
				}
				if sym == 0xFFFF {
					flags |= FlagError
				}
				if nd.HasError() {
					flags |= FlagHasError
				}
				out = append(out, Node{
					Kind: symbolKind[sym], Field: fieldByName[c.CurrentFieldName()], Flags: flags,
					Start: nd.StartByte(), End: nd.EndByte(), StartRow: nd.StartPoint().Row, EndRow: nd.EndPoint().Row,
				})
			}
		}
		open = append(open[:depth], idx)
		if descend && c.GoToFirstChild() {
			depth++
			continue
		}
		for {
			if done := open[depth]; done >= 0 {
				out[done].Next = uint32(len(out))
			}
			if c.GoToNextSibling() {
				break
			}
			if !c.GoToParent() {
				return out, root.HasError(), nil
			}
			depth--
		}
	}
}

func plainString(lit []byte) bool {
	for _, c := range lit {
		switch c {
		case '"', '\'':
			return true
		case 'f', 'F':
			return false
		}
	}
	return true
}

// bothParsers returns this package's parser and go-tree-sitter's, both
// closed when the test ends.
func bothParsers(tb testing.TB) (*Parser, *sitter.Parser) {
	p, err := NewParser()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	ref := sitter.NewParser()
	ref.SetLanguage(python.GetLanguage())
	tb.Cleanup(ref.Close)
	return p, ref
}

func TestFlattenMatchesGoAPI(t *testing.T) {
	srcs := []string{
		"",
		"# c\nf(x)  # d\n",
		"class A(B, metaclass=M):\n    @d\n    def m(self, *a, k=1, **kw):\n        return f'{self.x!r}' + 'y'\n",
		"def f(:\n    pass\n",
		"x = [i for i in range(3) if i]\nlambda a: a\n",
	}
	p, ref := bothParsers(t)
	for _, src := range srcs {
		want, wantErr, err := flattenGoAPI(ref, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Nodes, want) || got.HasError != wantErr {
			t.Errorf("%q: flatten.c gives %d nodes (error %v), go-tree-sitter %d (error %v)",
				src, len(got.Nodes), got.HasError, len(want), wantErr)
		}
	}
}

// stdlibSample returns every step-th .py file of the CPython standard
// library, or skips the benchmark when there is none.
func stdlibSample(b *testing.B, step int) [][]byte {
	root := stdlibdir.Find(b)
	var srcs [][]byte
	n := 0
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == "site-packages" || d.Name() == "dist-packages" || d.Name() == "test") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".py") {
			if n%step == 0 {
				if src, err := os.ReadFile(path); err == nil {
					srcs = append(srcs, src)
				}
			}
			n++
		}
		return nil
	})
	if len(srcs) == 0 {
		b.Skip("no .py files under " + root)
	}
	return srcs
}

// BenchmarkFlatten parses a quarter of the standard library and flattens
// each tree once with flatten.c and once with go-tree-sitter's API, in
// alternating order, and reports the median of the per-iteration ratio
// (go-tree-sitter time / flatten.c time) with its range: the paired figure
// that justifies keeping the C walk (docs/BENCHMARKS.md).
func BenchmarkFlatten(b *testing.B) {
	srcs := stdlibSample(b, 4)
	p, ref := bothParsers(b)
	viaC := func() {
		for _, src := range srcs {
			if _, err := p.Parse(src); err != nil {
				b.Fatal(err)
			}
		}
	}
	viaGo := func() {
		for _, src := range srcs {
			if _, _, err := flattenGoAPI(ref, src); err != nil {
				b.Fatal(err)
			}
		}
	}
	timed := func(run func()) time.Duration {
		t0 := time.Now()
		run()
		return time.Since(t0)
	}
	var ratios []float64
	var cTotal, goTotal time.Duration
	for i := 0; b.Loop(); i++ {
		var dc, dg time.Duration
		if i%2 == 0 {
			dc, dg = timed(viaC), timed(viaGo)
		} else {
			dg, dc = timed(viaGo), timed(viaC)
		}
		cTotal += dc
		goTotal += dg
		ratios = append(ratios, dg.Seconds()/dc.Seconds())
	}
	sort.Float64s(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "goapi/c-median")
	b.ReportMetric(ratios[0], "goapi/c-lowest")
	b.ReportMetric(ratios[len(ratios)-1], "goapi/c-highest")
	b.ReportMetric(cTotal.Seconds()/float64(len(ratios)), "c-s/op")
	b.ReportMetric(goTotal.Seconds()/float64(len(ratios)), "goapi-s/op")
}
