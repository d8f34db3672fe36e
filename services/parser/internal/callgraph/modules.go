package callgraph

import (
	"path"
	"sort"
	"strings"

	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/jsast"
)

// File is one parsed file of the repository.
type File struct {
	Path   string // slash-separated, relative to the repository root
	Module *extract.Module
}

// ModuleName returns the dotted module name of a file path relative to the
// root: pkg/mod.py -> pkg.mod, pkg/__init__.py -> pkg; for JavaScript and
// TypeScript the path without extension, src/util/format.ts ->
// src.util.format (index files keep their name).
func ModuleName(p string) string {
	if jsast.DialectOf(p) != jsast.NotJS {
		return strings.ReplaceAll(strings.TrimSuffix(p, path.Ext(p)), "/", ".")
	}
	p = strings.TrimSuffix(strings.TrimSuffix(p, ".pyi"), ".py")
	if p == "__init__" {
		return ""
	}
	p = strings.TrimSuffix(p, "/__init__")
	return strings.ReplaceAll(p, "/", ".")
}

// module is a repository module or a namespace package (a directory of
// modules without __init__.py, which has no IR).
type module struct {
	name  string
	path  string // file path; "" for namespace packages
	dir   string // slash directory of the file
	pkg   string // dotted package that relative imports start from
	isPkg bool
	ir    *extract.Module
	file  int // index into program.files; -1 for namespace packages
	// js: a JavaScript/TypeScript module, resolved by path (jsmodules.go),
	// never by Python's imports.
	js bool
}

// moduleIndex maps dotted names to modules and resolves imports.
type moduleIndex struct {
	mods    []*module
	byName  map[string]int
	pkgDirs map[string]bool // directories that hold an __init__.py
	suffix  map[string]int  // import names reachable through a source root (src/, lib/, ...)
	byPath  map[string]int  // JavaScript/TypeScript modules by file path
	ts      []TSConfig
	mains   map[string]string // Options.PackageMains
}

func newModuleIndex(files []File) *moduleIndex {
	ix := &moduleIndex{byName: map[string]int{}, pkgDirs: map[string]bool{}, suffix: map[string]int{}, byPath: map[string]int{}}
	order := make([]int, len(files))
	for k := range order {
		order[k] = k
	}
	// Deterministic: packages (__init__) before same-named modules, then by path.
	sort.SliceStable(order, func(a, b int) bool { return files[order[a]].Path < files[order[b]].Path })
	for _, k := range order {
		f := files[k]
		if path.Base(f.Path) == "__init__.py" {
			ix.pkgDirs[path.Dir(f.Path)] = true
		}
	}
	// JavaScript/TypeScript modules are found by path, never by name: a
	// Python module of the same name (tool/run.py beside tool/run.js) keeps
	// it. Of two files of one JavaScript module the first is kept (the
	// walker already leaves one).
	jsNames := map[string]bool{}
	for _, k := range order {
		f := files[k]
		name := ModuleName(f.Path)
		if name == "" {
			continue // __init__.py at the root: not importable by name
		}
		if f.Module != nil && f.Module.Language != "" {
			if jsNames[name] {
				continue
			}
			jsNames[name] = true
		} else if _, dup := ix.byName[name]; dup {
			continue
		}
		isPkg := path.Base(f.Path) == "__init__.py"
		dir := path.Dir(f.Path)
		if dir == "." {
			dir = ""
		}
		pkg := dir
		m := &module{name: name, path: f.Path, dir: dir, isPkg: isPkg, ir: f.Module, file: k}
		m.pkg = strings.ReplaceAll(pkg, "/", ".")
		if m.js = f.Module != nil && f.Module.Language != ""; m.js {
			ix.byPath[f.Path] = len(ix.mods)
		} else {
			ix.byName[name] = len(ix.mods)
		}
		ix.mods = append(ix.mods, m)
	}
	// Namespace packages: every directory prefix of a module name that is not a module itself.
	for _, m := range append([]*module(nil), ix.mods...) {
		if m.js {
			continue
		}
		parts := strings.Split(m.name, ".")
		for k := 1; k < len(parts); k++ {
			prefix := strings.Join(parts[:k], ".")
			if _, ok := ix.byName[prefix]; ok {
				continue
			}
			dir := strings.Join(parts[:k], "/")
			parent := ""
			if k > 1 {
				parent = strings.Join(parts[:k-1], ".")
			}
			ix.byName[prefix] = len(ix.mods)
			ix.mods = append(ix.mods, &module{name: prefix, dir: dir, pkg: prefix, isPkg: true, file: -1})
			_ = parent
		}
	}
	for _, m := range ix.mods {
		if m.isPkg {
			m.pkg = m.name
		}
	}
	ix.buildSuffixes()
	return ix
}

// buildSuffixes registers, for modules under directories that are not
// packages (src/, lib/, a script folder), the names they are imported by
// when that directory is on sys.path. The shortest prefix wins; names that
// two roots claim at the same depth are ambiguous and dropped.
func (ix *moduleIndex) buildSuffixes() {
	depth := map[string]int{}
	ambiguous := map[string]bool{}
	for k, m := range ix.mods {
		if m.file < 0 || m.js {
			continue
		}
		parts := strings.Split(m.name, ".")
		for cut := 1; cut < len(parts); cut++ {
			rootDir := strings.Join(parts[:cut], "/")
			if ix.pkgDirs[rootDir] {
				continue
			}
			name := strings.Join(parts[cut:], ".")
			if _, exact := ix.byName[name]; exact {
				continue
			}
			d, seen := depth[name]
			switch {
			case !seen || cut < d:
				depth[name] = cut
				ix.suffix[name] = k
				delete(ambiguous, name)
			case cut == d && ix.suffix[name] != k:
				ambiguous[name] = true
			}
		}
	}
	for name := range ambiguous {
		delete(ix.suffix, name)
	}
}

// lookup returns the Python module named exactly name, or -1.
func (ix *moduleIndex) lookup(name string) int {
	if k, ok := ix.byName[name]; ok && !ix.mods[k].js {
		return k
	}
	return -1
}

// resolveAbsolute finds the module an absolute import of name from module
// `from` refers to, or -1 when it is not in the repository.
func (ix *moduleIndex) resolveAbsolute(name string, from int) int {
	if name == "" {
		return -1
	}
	if k := ix.lookup(name); k >= 0 {
		return k
	}
	if from >= 0 {
		// A script's own directory is on sys.path when it is not a package.
		fm := ix.mods[from]
		if fm.dir != "" && !ix.pkgDirs[fm.dir] {
			if k := ix.lookup(strings.ReplaceAll(fm.dir, "/", ".") + "." + name); k >= 0 {
				return k
			}
		}
	}
	if k, ok := ix.suffix[name]; ok {
		return k
	}
	return -1
}

// resolveRelative resolves `from <level dots><name> import ...` in module from.
func (ix *moduleIndex) resolveRelative(level int, name string, from int) (string, int) {
	base := ix.mods[from].pkg
	for k := 1; k < level; k++ {
		i := strings.LastIndexByte(base, '.')
		if i < 0 {
			if base == "" {
				return "", -1
			}
			base = ""
			continue
		}
		base = base[:i]
	}
	full := name
	if base != "" {
		if name != "" {
			full = base + "." + name
		} else {
			full = base
		}
	}
	if full == "" {
		return "", -1
	}
	return full, ix.lookup(full)
}

// topOf returns the module bound by `import a.b.c` given the module that
// a.b.c resolved to: the ancestor whose name ends with the first component.
func (ix *moduleIndex) topOf(resolved int, imported string) int {
	full := ix.mods[resolved].name
	depth := strings.Count(imported, ".")
	for ; depth > 0; depth-- {
		i := strings.LastIndexByte(full, '.')
		if i < 0 {
			return -1
		}
		full = full[:i]
	}
	return ix.lookup(full)
}
