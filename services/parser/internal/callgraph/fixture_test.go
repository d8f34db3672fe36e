package callgraph

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// wantLine is an expected edge in a fixture: "# WANT: caller -> callee",
// names as in PyCG's output (module, module.Class.method, <builtin>.name,
// or the full import path of an external API).
var wantLine = regexp.MustCompile(`#\s*WANT:\s*(\S+)\s*->\s*(\S+)`)

// pycgCategories are the categories of PyCG's micro-benchmark; each needs
// a fixture named after it (a file or a directory).
var pycgCategories = []string{
	"args", "assignments", "builtins", "classes", "decorators", "dicts", "direct_calls", "dynamic",
	"exceptions", "external", "functions", "generators", "imports", "kwargs", "lambdas", "lists", "mro", "returns",
}

// TestFixtures resolves each fixture of testdata (a .py file, whose module
// is its base name, or a directory of modules) and compares its resolved
// edges, builtins and external calls with the fixture's WANT lines: an edge
// missing or one not wanted fails.
func TestFixtures(t *testing.T) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".py")
		if !e.IsDir() && name == e.Name() {
			continue
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			srcs := fixtureSources(t, filepath.Join("testdata", e.Name()), e.IsDir())
			want := wantedEdges(t, wantLine, slices.Collect(maps.Values(srcs)))
			compareEdges(t, want, edgeSet(resolveSources(t, srcs)))
		})
	}
	for _, c := range pycgCategories {
		if !seen[c] {
			t.Errorf("no fixture for PyCG category %s", c)
		}
	}
}

// wantedEdges collects a fixture's "WANT: caller -> callee" lines (re has
// the two names as groups); a fixture without one fails.
func wantedEdges(t *testing.T, re *regexp.Regexp, srcs []string) map[string]bool {
	t.Helper()
	want := map[string]bool{}
	for _, src := range srcs {
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			want[m[1]+" -> "+m[2]] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("fixture has no WANT line")
	}
	return want
}

// compareEdges reports every wanted edge missing from got and every edge
// of got not wanted.
func compareEdges(t *testing.T, want, got map[string]bool) {
	t.Helper()
	for _, edge := range sortedKeys(want) {
		if !got[edge] {
			t.Errorf("missing edge %s", edge)
		}
	}
	for _, edge := range sortedKeys(got) {
		if !want[edge] {
			t.Errorf("unexpected edge %s", edge)
		}
	}
}

// fixtureSources reads a fixture: one file named after its module, or the
// .py files of a directory by slash path.
func fixtureSources(t *testing.T, path string, dir bool) map[string]string {
	t.Helper()
	srcs := map[string]string{}
	if !dir {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		srcs[filepath.Base(path)] = string(src)
		return srcs
	}
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".py") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(path, p)
		if err != nil {
			return err
		}
		srcs[filepath.ToSlash(rel)] = string(src)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return srcs
}

// edgeSet is the graph as "caller -> callee" strings: resolved edges,
// builtins and external calls, as PyCG's format lists them.
func edgeSet(g *Graph) map[string]bool {
	out := map[string]bool{}
	for k, sc := range g.Scopes {
		for _, c := range g.Callees[k] {
			if c.Kind == EdgeResolved {
				out[sc.Name+" -> "+g.Scopes[c.Scope].Name] = true
			}
		}
		for _, b := range g.Builtins[k] {
			out[sc.Name+" -> <builtin>."+b] = true
		}
		for api := range g.External[k] {
			out[sc.Name+" -> "+api] = true
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
