package analysis

import (
	"os"
	"path/filepath"
	"strings"
)

// Module ids follow Python's import semantics, relative to the import root
// (the directory that would be on sys.path):
//
//   - Root is itself a package (it holds __init__.py and its name is an
//     identifier): the import root is the nearest ancestor that is not a
//     package, so the package keeps its name (requests/api.py ->
//     requests.api, requests/__init__.py -> requests; email/mime as the
//     source: email.mime.text). Only files under Root are read; the
//     ancestors only name them.
//   - Otherwise Root is the import root, except for a src/ layout: src/ is
//     not a package (no src/__init__.py), so the modules under it are
//     imported without it (src/pkg/mod.py -> pkg.mod). Files beside src/
//     (tests/, setup.py) keep their paths.
//
// Options.DirectoryModuleNames turns both rules off (PyCG's naming).

// importPaths returns, for every parsed file, its slash path relative to
// the import root: the path its module name is made from.
func importPaths(root string, parsed []parsedFile, directoryNames bool) []string {
	out := make([]string, len(parsed))
	prefix := ""
	if !directoryNames {
		prefix = packagePrefix(root)
	}
	srcLayout := !directoryNames && prefix == "" && !isPackageDir(filepath.Join(root, "src"))
	for k := range parsed {
		rel := parsed[k].path
		switch {
		case parsed[k].module.Language != "":
			// JavaScript/TypeScript modules are named by their path.
			out[k] = rel
		case prefix != "":
			out[k] = prefix + "/" + rel
		case srcLayout && strings.HasPrefix(rel, "src/"):
			out[k] = strings.TrimPrefix(rel, "src/")
		default:
			out[k] = rel
		}
	}
	return out
}

// packagePrefix returns the slash path of root below its import root: the
// names of root and of its ancestors that are packages too ("email/mime"),
// or "" when root is not a package.
func packagePrefix(root string) string {
	var names []string
	for dir := root; isPackageDir(dir) && isIdentifier(filepath.Base(dir)); {
		names = append([]string{filepath.Base(dir)}, names...)
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return strings.Join(names, "/")
}

func isPackageDir(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, "__init__.py"))
	return err == nil && info.Mode().IsRegular()
}

// isIdentifier reports a name Python can import (ASCII is enough for the
// directory names packages use).
func isIdentifier(name string) bool {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for _, r := range name {
		if r != '_' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
