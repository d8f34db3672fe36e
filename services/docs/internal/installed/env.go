package installed

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DefaultPaths returns the import path (sys.path) of the given Python
// interpreter ("python3" when empty): its existing directories, in order,
// without the current directory and zip archives.
func DefaultPaths(ctx context.Context, python string) ([]string, error) {
	if python == "" {
		python = "python3"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", "import json, sys; print(json.dumps(sys.path))").Output()
	if err != nil {
		return nil, fmt.Errorf("ask %s for sys.path: %w", python, err)
	}
	var paths []string
	if err := json.Unmarshal(out, &paths); err != nil {
		return nil, fmt.Errorf("read sys.path of %s: %w", python, err)
	}
	var dirs []string
	for _, p := range paths {
		if p == "" || !filepath.IsAbs(p) {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			dirs = append(dirs, p)
		}
	}
	return dirs, nil
}

// VirtualenvPaths returns the site-packages directories of a virtualenv
// (lib/pythonX.Y/site-packages, or Lib/site-packages on Windows layouts).
func VirtualenvPaths(venv string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(venv, "lib", "python*", "site-packages"))
	if err != nil {
		return nil, fmt.Errorf("find site-packages in %s: %w", venv, err)
	}
	if fi, err := os.Stat(filepath.Join(venv, "Lib", "site-packages")); err == nil && fi.IsDir() {
		matches = append(matches, filepath.Join(venv, "Lib", "site-packages"))
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("%s: no site-packages directory", venv)
	}
	sort.Strings(matches)
	return matches, nil
}

// location is where a dotted module lives.
type location struct {
	file      string // .py, or .pyi for stub-only modules; "" for namespace packages
	stub      string // .pyi next to (or in a -stubs package for) a .py file
	isPackage bool
	compiled  bool // an extension module with no source and no stub
}

// findModule looks for module parts (["requests", "api"]) in roots: source
// first (its docstrings are what we want), then a stub beside compiled code
// or in a PEP 561 "-stubs" package, then a namespace package directory.
func findModule(roots []string, parts []string) (location, bool) {
	rel := filepath.Join(parts...)
	stubRel := filepath.Join(append([]string{parts[0] + "-stubs"}, parts[1:]...)...)
	for _, root := range roots {
		base := filepath.Join(root, rel)
		for _, c := range []struct {
			source, stub string
			isPackage    bool
		}{
			{filepath.Join(base, "__init__.py"), filepath.Join(base, "__init__.pyi"), true},
			{base + ".py", base + ".pyi", false},
		} {
			if isFile(c.source) {
				loc := location{file: c.source, isPackage: c.isPackage}
				if isFile(c.stub) {
					loc.stub = c.stub
				} else if s := stubPackageFile(root, stubRel, c.isPackage); s != "" {
					loc.stub = s
				}
				return loc, true
			}
			if isFile(c.stub) {
				return location{file: c.stub, isPackage: c.isPackage}, true
			}
		}
		for _, isPackage := range []bool{true, false} {
			if s := stubPackageFile(root, stubRel, isPackage); s != "" {
				return location{file: s, isPackage: isPackage}, true
			}
		}
		if hasCompiled(base) {
			return location{compiled: true}, true
		}
	}
	for _, root := range roots {
		if isDir(filepath.Join(root, rel)) {
			return location{isPackage: true}, true
		}
	}
	return location{}, false
}

func stubPackageFile(root, stubRel string, isPackage bool) string {
	p := filepath.Join(root, stubRel) + ".pyi"
	if isPackage {
		p = filepath.Join(root, stubRel, "__init__.pyi")
	}
	if isFile(p) {
		return p
	}
	return ""
}

// hasCompiled reports an extension module: base.cpython-311-x86_64-linux-gnu.so,
// base.so, base.pyd, base.abi3.so.
func hasCompiled(base string) bool {
	for _, pattern := range []string{base + ".*.so", base + ".so", base + ".*.pyd", base + ".pyd"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return true
		}
	}
	return false
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Distribution is an installed distribution found through its
// *.dist-info or *.egg-info metadata.
type Distribution struct {
	Name    string
	Version string
	// ImportNames are the packages and modules it installs, from RECORD
	// (dotted for namespace packages: "google.cloud.storage") or
	// top_level.txt.
	ImportNames []string
	// DocsURL is the documentation (or else home) page the metadata names.
	DocsURL string
	// Root is the environment directory it is installed in.
	Root string
}

// scanDistributions reads the metadata of every distribution in root.
func scanDistributions(root string) ([]Distribution, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", root, err)
	}
	var dists []Distribution
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(root, name)
		var d Distribution
		var err error
		switch {
		case strings.HasSuffix(name, ".dist-info") && e.IsDir():
			d, err = readDistInfo(path, "METADATA")
		case strings.HasSuffix(name, ".egg-info") && e.IsDir():
			d, err = readDistInfo(path, "PKG-INFO")
		case strings.HasSuffix(name, ".egg-info"):
			// Old single-file egg-info: the file is PKG-INFO.
			d, err = readMetadataFile(path)
		default:
			continue
		}
		if err != nil || d.Name == "" {
			continue // unreadable metadata: skip the distribution, not the environment
		}
		d.Root = root
		if len(d.ImportNames) == 0 {
			d.ImportNames = []string{strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(d.Name))}
		}
		dists = append(dists, d)
	}
	return dists, nil
}

func readDistInfo(dir, metadataName string) (Distribution, error) {
	d, err := readMetadataFile(filepath.Join(dir, metadataName))
	if err != nil {
		return d, err
	}
	if names := importNamesFromRecord(filepath.Join(dir, "RECORD")); len(names) > 0 {
		d.ImportNames = names
	} else {
		d.ImportNames = readLines(filepath.Join(dir, "top_level.txt"))
	}
	return d, nil
}

// readMetadataFile reads the RFC 822 style header of METADATA / PKG-INFO.
func readMetadataFile(path string) (Distribution, error) {
	f, err := os.Open(path)
	if err != nil {
		return Distribution{}, err
	}
	defer f.Close() //nolint:errcheck // read-only file
	var d Distribution
	var home string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // the body (long description) follows
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(key) {
		case "name":
			d.Name = value
		case "version":
			d.Version = value
		case "home-page":
			if value != "UNKNOWN" {
				home = value
			}
		case "project-url":
			label, url, ok := strings.Cut(value, ",")
			if ok && strings.Contains(strings.ToLower(label), "doc") {
				d.DocsURL = strings.TrimSpace(url)
			}
		}
	}
	if d.DocsURL == "" && !isCodeHost(home) {
		d.DocsURL = home
	}
	return d, sc.Err()
}

// isCodeHost reports a home page on a code-hosting site: a repository, not
// a documentation site to trust for the whole host.
func isCodeHost(home string) bool {
	for _, host := range []string{"github.com", "gitlab.com", "bitbucket.org", "pypi.org", "sourceforge.net"} {
		if strings.Contains(home, "://"+host) || strings.Contains(home, "://www."+host) {
			return true
		}
	}
	return false
}

func readLines(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// importNamesFromRecord derives import names from the files a wheel
// installed: a top-level module file gives its name; a file inside
// packages gives the outermost package with an __init__.py, so a
// namespace package yields "google.cloud.storage", not "google".
func importNamesFromRecord(path string) []string {
	lines := readLines(path)
	if len(lines) == 0 {
		return nil
	}
	files := make(map[string]bool, len(lines))
	for _, line := range lines {
		file, _, _ := strings.Cut(line, ",")
		files[file] = true
	}
	seen := map[string]bool{}
	var names []string
	for file := range files {
		name := importNameOf(file, files)
		if name != "" && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func importNameOf(file string, files map[string]bool) string {
	if strings.HasPrefix(file, "..") || strings.HasPrefix(file, "/") {
		return "" // scripts and data outside the environment
	}
	parts := strings.Split(file, "/")
	first := parts[0]
	if strings.HasSuffix(first, ".dist-info") || strings.HasSuffix(first, ".data") || strings.HasSuffix(first, "-stubs") || first == "__pycache__" {
		return ""
	}
	if len(parts) == 1 {
		ext := filepath.Ext(first)
		if ext != ".py" && ext != ".so" && ext != ".pyd" && ext != ".pyi" {
			return ""
		}
		stem, _, _ := strings.Cut(first, ".")
		return stem
	}
	if !strings.HasSuffix(file, ".py") && !strings.HasSuffix(file, ".pyi") && !strings.HasSuffix(file, ".so") {
		return ""
	}
	for i := 1; i < len(parts); i++ {
		pkg := strings.Join(parts[:i], "/")
		if files[pkg+"/__init__.py"] || files[pkg+"/__init__.pyi"] {
			return strings.Join(parts[:i], ".")
		}
	}
	return first
}

// errCompiled reports an extension module with neither source nor stub.
var errCompiled = errors.New("compiled extension module without source or .pyi stub")
