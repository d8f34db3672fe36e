package callgraph

import (
	"path"
	"strings"

	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/jsast"
	"github.com/query4code/query4code/services/parser/internal/jsstd"
)

// TSConfig is what one tsconfig.json (or jsconfig.json) says about module
// resolution for the files under its directory. Paths are slash paths
// relative to the repository root.
type TSConfig struct {
	Dir        string // the config's directory ("" for the root)
	BaseURL    string // compilerOptions.baseUrl, relative to the root
	HasBaseURL bool
	// Paths maps patterns with at most one '*' ("@app/*") to targets
	// relative to the root ("src/app/*"), tried in order.
	Paths []PathMapping
}

// PathMapping is one entry of compilerOptions.paths.
type PathMapping struct {
	Pattern string
	Targets []string
}

// configFor returns the config of the deepest directory holding p, or nil.
func (ix *moduleIndex) configFor(p string) *TSConfig {
	var best *TSConfig
	for k := range ix.ts {
		c := &ix.ts[k]
		if (c.Dir == "" || p == c.Dir || strings.HasPrefix(p, c.Dir+"/")) && (best == nil || len(c.Dir) > len(best.Dir)) {
			best = c
		}
	}
	return best
}

// resolveSpec resolves a JavaScript/TypeScript module specifier imported
// by module from: the repository module it names (or -1), else the dotted
// package path of a bare specifier ("" when it names no package).
// Relative specifiers are tried as written, with each extension, as a
// directory's index file, and a .js written for a .ts source; bare ones go
// through the tsconfig paths and baseUrl of the importing file first.
func (ix *moduleIndex) resolveSpec(from int, spec string) (int, string) {
	fm := ix.mods[from]
	if strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || spec == "." || spec == ".." {
		return ix.resolveFile(path.Join(fm.dir, spec)), ""
	}
	if strings.HasPrefix(spec, "/") {
		return -1, ""
	}
	if c := ix.configFor(fm.path); c != nil {
		for _, pm := range c.Paths {
			star, ok := matchPattern(pm.Pattern, spec)
			if !ok {
				continue
			}
			for _, t := range pm.Targets {
				if k := ix.resolveFile(strings.Replace(t, "*", star, 1)); k >= 0 {
					return k, ""
				}
			}
		}
		if c.HasBaseURL {
			if k := ix.resolveFile(path.Join(c.BaseURL, spec)); k >= 0 {
				return k, ""
			}
		}
	}
	return -1, jsstd.PackagePath(spec)
}

// matchPattern matches a paths pattern (one '*' at most) against spec and
// returns what the star stands for.
func matchPattern(pattern, spec string) (string, bool) {
	pre, post, star := strings.Cut(pattern, "*")
	if !star {
		return "", pattern == spec
	}
	if len(spec) < len(pre)+len(post) || !strings.HasPrefix(spec, pre) || !strings.HasSuffix(spec, post) {
		return "", false
	}
	return spec[len(pre) : len(spec)-len(post)], true
}

// resolveFile finds the module of slash path p (relative to the root; ""
// or "." is the root directory): the file, the file with an extension, or
// the directory's package.json main, else its index file, as Node does.
func (ix *moduleIndex) resolveFile(p string) int {
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return -1
	}
	dir := p
	if p == "." {
		dir = ""
	} else if k := ix.fileWithExt(p); k >= 0 {
		return k
	}
	if main, ok := ix.mains[dir]; ok {
		if k := ix.fileWithExt(main); k >= 0 {
			return k
		}
		if k := ix.indexOf(main); k >= 0 {
			return k
		}
	}
	return ix.indexOf(dir)
}

// fileWithExt finds the module of file p, written with or without its
// extension (a .js written for a .ts source too).
func (ix *moduleIndex) fileWithExt(p string) int {
	if k, ok := ix.byPath[p]; ok {
		return k
	}
	base := p
	if ext := path.Ext(p); jsast.DialectOf(p) != jsast.NotJS {
		// TypeScript sources import each other by their output name (.js).
		base = strings.TrimSuffix(p, ext)
	}
	for _, ext := range jsast.Extensions {
		if k, ok := ix.byPath[base+ext]; ok {
			return k
		}
	}
	return -1
}

// indexOf finds the index file of directory dir ("" for the root).
func (ix *moduleIndex) indexOf(dir string) int {
	for _, ext := range jsast.Extensions {
		if k, ok := ix.byPath[path.Join(dir, "index"+ext)]; ok {
			return k
		}
	}
	return -1
}

// builtinDeep marks a vBuiltin value (in value.b) whose attributes and
// call results are builtins too: JavaScript's globals (console.log,
// JSON.parse(...).x) are dropped like Python's builtins, never name-matched.
const builtinDeep = 1

// builtinResult marks the vBuiltin value of what a JavaScript global's call
// returns (`String(x)`, `JSON.parse(s)`): its attributes and call results
// are itself, so that paths do not grow through fields and recursion
// (`this.raw = String(r).raw`), and calls on it are not recorded.
const builtinResult = 2

// jsGlobal gives node n the value of a JavaScript global name, if name is one.
func (s *solver) jsGlobal(n int32, name string) {
	switch {
	case name == "super":
		// super.m reads from super(), resolved like Python's (builtinCall).
		s.add(n, s.vals.intern(value{kind: vBuiltin, s: name}))
	case jsstd.IsGlobal(name):
		s.add(n, s.vals.intern(value{kind: vBuiltin, b: builtinDeep, s: name}))
	}
}

// jsImportNode is the value a JavaScript/TypeScript import binds.
func (s *solver) jsImportNode(mod int32, imp *extract.Import) int32 {
	n := s.newNode()
	target, pkg := s.ix.resolveSpec(int(mod), imp.Module)
	switch {
	case target >= 0:
		tm := s.mod(int32(target))
		switch {
		case tm.ir.ExportsValue && (imp.Name == "" && imp.Require || imp.Name == "default"):
			// module.exports = fn, and its properties (module.exports.x =
			// g, which the module binds as x): functions have no attributes
			// here, the module's names stand in for them.
			s.edge(s.moduleAttrNode(int32(target), s.name("default")), n)
			s.add(n, s.vals.intern(value{kind: vModule, a: int32(target)}))
		case imp.Name == "", imp.Name == "default" && !tm.ir.Binds(0, "default"):
			// A namespace, or the default import of a CommonJS module
			// (esModuleInterop): the module's exports.
			s.add(n, s.vals.intern(value{kind: vModule, a: int32(target)}))
		default:
			s.edge(s.moduleAttrNode(int32(target), s.name(imp.Name)), n)
		}
	case pkg != "":
		// A package's default export is the package itself: `import _ from
		// 'lodash'; _.get()` calls lodash.get.
		if imp.Name == "" || imp.Name == "default" {
			s.add(n, s.vals.intern(value{kind: vExternal, s: pkg}))
		} else {
			s.add(n, s.vals.intern(value{kind: vExternal, s: pkg + "." + imp.Name}))
		}
	}
	return n
}

// jsStarLookup adds name as seen through the `export * from` of mod.
func (s *solver) jsStarLookup(mod int32, name int32, into int32) {
	m := s.mod(mod)
	if s.names[name] == "default" {
		return // export * does not re-export the default
	}
	for _, im := range m.ir.Scopes[0].StarImports {
		imp := &m.ir.Imports[im]
		target, pkg := s.ix.resolveSpec(int(mod), imp.Module)
		switch {
		case target >= 0:
			s.edge(s.moduleAttrNode(int32(target), name), into)
		case pkg != "" && len(m.ir.Scopes[0].StarImports) == 1:
			s.add(into, s.vals.intern(value{kind: vExternal, s: pkg + "." + s.names[name]}))
		}
	}
}
