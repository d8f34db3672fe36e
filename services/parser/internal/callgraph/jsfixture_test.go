package callgraph

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/jsast"
)

// jsWantLine is an expected edge in a JavaScript/TypeScript fixture.
var jsWantLine = regexp.MustCompile(`//\s*WANT:\s*(\S+)\s*->\s*(\S+)`)

// jsFixtureRules are the resolution rules each needing a fixture in
// jsfixtures (a file or a directory named after the rule).
var jsFixtureRules = []string{
	"es_named", "es_default", "es_namespace", "reexports", "commonjs", "require_value",
	"index_files", "tsconfig_paths", "this_calls", "super_calls", "extends_chain", "new_class",
	"instances", "node_builtins", "npm_packages", "callbacks", "object_literals",
	"es5_classes", "interop", "tsconfig_extends", "globals", "computed_names", "package_main", "declared_types",
	"declared_filter",
}

// TestJSFixtures resolves each fixture of jsfixtures and compares its
// resolved edges and external calls with its "// WANT:" lines (calls of
// JavaScript globals, `<builtin>.name`, only in a fixture that lists some).
func TestJSFixtures(t *testing.T) {
	entries, err := os.ReadDir("jsfixtures")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			root := filepath.Join("jsfixtures", e.Name())
			files, srcs, opts := loadJSFixture(t, root, e.IsDir())
			want := wantedEdges(t, jsWantLine, srcs)
			wantsBuiltins := false
			for _, src := range srcs {
				wantsBuiltins = wantsBuiltins || strings.Contains(src, "<builtin>")
			}
			g, err := ResolveWith(context.Background(), files, opts)
			if err != nil {
				t.Fatal(err)
			}
			got := edgeSet(g)
			for edge := range got {
				if strings.Contains(edge, "<builtin>") && !wantsBuiltins {
					delete(got, edge)
				}
			}
			compareEdges(t, want, got)
		})
	}
	for _, r := range jsFixtureRules {
		if !seen[r] {
			t.Errorf("no fixture for rule %s", r)
		}
	}
}

// loadJSFixture parses a fixture file (its module named by its base name)
// or the sources and tsconfig.json files of a directory (node_modules left
// out but for the configs those extend).
func loadJSFixture(t *testing.T, root string, dir bool) ([]File, []string, Options) {
	t.Helper()
	var files []File
	var srcs []string
	var opts Options
	p := jsast.NewParser()
	defer p.Close()
	add := func(rel string, src []byte) {
		if rel == "tsconfig.json" || strings.HasSuffix(rel, "/tsconfig.json") {
			c, err := LoadTSConfig(rel, func(p string) ([]byte, error) {
				return os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
			})
			if err != nil {
				t.Fatal(err)
			}
			opts.TSConfigs = append(opts.TSConfigs, c)
			return
		}
		if rel == "package.json" || strings.HasSuffix(rel, "/package.json") {
			dir := strings.TrimSuffix(strings.TrimSuffix(rel, "package.json"), "/")
			if main := PackageMain(dir, src); main != "" {
				if opts.PackageMains == nil {
					opts.PackageMains = map[string]string{}
				}
				opts.PackageMains[dir] = main
			}
			return
		}
		d := jsast.DialectOf(rel)
		if d == jsast.NotJS {
			return
		}
		tree, err := p.Parse(src, d)
		if err != nil {
			t.Fatal(err)
		}
		defer tree.Close()
		m := new(extract.Extractor).ExtractJS(tree.RootNode(), src, d.Language())
		files = append(files, File{Path: rel, Module: m})
		srcs = append(srcs, string(src))
	}
	if !dir {
		src, err := os.ReadFile(root)
		if err != nil {
			t.Fatal(err)
		}
		add(filepath.Base(root), src)
		return files, srcs, opts
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir // read only as what a tsconfig extends
		}
		if d.IsDir() {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		add(filepath.ToSlash(rel), src)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, srcs, opts
}
