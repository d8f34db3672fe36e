package analysis

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/query4code/query4code/services/parser/internal/callgraph"
	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/jsast"
	"github.com/query4code/query4code/services/parser/internal/jsstd"
	"github.com/query4code/query4code/services/parser/internal/pystd"
	"github.com/query4code/query4code/services/parser/internal/repowalk"
)

// parseJS checks, parses and extracts a JavaScript or TypeScript file; a
// minified or generated file, or one tree-sitter gives up on, is skipped.
func parseJS(p *jsast.Parser, x *extract.Extractor, rel string, src []byte, d jsast.Dialect) (*extract.Module, *repowalk.Skipped) {
	if err := repowalk.CheckJSSource(src); err != nil {
		var se *repowalk.SkipError
		if errors.As(err, &se) {
			return nil, &repowalk.Skipped{Path: rel, Reason: se.Reason, Detail: se.Detail}
		}
		return nil, &repowalk.Skipped{Path: rel, Reason: repowalk.ReasonUnreadable, Detail: err.Error()}
	}
	tree, err := p.Parse(src, d)
	if err != nil {
		return nil, &repowalk.Skipped{Path: rel, Reason: repowalk.ReasonUnreadable, Detail: err.Error()}
	}
	defer tree.Close()
	return x.ExtractJS(tree.RootNode(), src, d.Language()), nil
}

// languageOf is the Function.Language of a module's functions.
func languageOf(m *extract.Module) string {
	if m.Language == "" {
		return Python
	}
	return m.Language
}

// stdlibTest returns how the API paths called from scope g are told
// apart: the standard library of the scope's language.
func (p *program) stdlibTest(g int32) func(string) bool {
	if p.fileOf(g).module.Language != "" {
		return jsstd.IsStdlib
	}
	return pystd.IsStdlib
}

// jsResolveOptions reads the module settings of every directory that
// holds a JavaScript/TypeScript file or is an ancestor of one, up to the
// root: its tsconfig.json (or else jsconfig.json), following its extends
// (callgraph.LoadTSConfig; when what it extends is missing, its own
// settings apply), and its package.json "main". A file that does not parse
// is ignored: imports it would map stay unresolved (bare ones become npm
// packages).
func jsResolveOptions(root string, parsed []parsedFile) callgraph.Options {
	dirs := map[string]bool{}
	for k := range parsed {
		f := &parsed[k]
		if f.module.Language == "" {
			continue
		}
		for d := path.Dir(f.path); !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			if d == "." || d == "/" {
				break
			}
		}
	}
	keys := make([]string, 0, len(dirs))
	for d := range dirs {
		keys = append(keys, d)
	}
	sort.Strings(keys)
	// Configs (and those they extend, node_modules included) are read
	// from inside the root only.
	read := func(rel string) ([]byte, error) {
		if !fs.ValidPath(rel) {
			return nil, fmt.Errorf("%s: outside the repository", rel)
		}
		return os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	}
	var out callgraph.Options
	for _, d := range keys {
		rel := d
		if rel == "." {
			rel = ""
		}
		if data, err := read(path.Join(rel, "package.json")); err == nil {
			if main := callgraph.PackageMain(rel, data); main != "" {
				if out.PackageMains == nil {
					out.PackageMains = map[string]string{}
				}
				out.PackageMains[rel] = main
			}
		}
		for _, name := range []string{"tsconfig.json", "jsconfig.json"} {
			file := path.Join(rel, name)
			data, err := read(file)
			if err != nil {
				continue
			}
			c, err := callgraph.LoadTSConfig(file, read)
			if err != nil {
				// What it extends is missing or broken: its own settings.
				c, err = callgraph.ParseTSConfig(rel, data)
			}
			if err == nil {
				out.TSConfigs = append(out.TSConfigs, c)
				break
			}
		}
	}
	return out
}
