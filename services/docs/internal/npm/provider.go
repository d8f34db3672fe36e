// Package npm documents JavaScript and TypeScript APIs from a repository's
// node_modules: for an npm API path ("lodash.get", "@scope/pkg.sub.fn") it
// finds the package (the longest installed package name that prefixes the
// path), then the member through the package's declaration files (its
// "types"/"typings" or "exports" types conditions, else @types/<pkg>), else
// through the JSDoc of its JavaScript entry. Files are read statically with
// tree-sitter; nothing is executed, and no file outside node_modules is read.
package npm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// Options tune a Provider; zero values take the defaults.
type Options struct {
	// MaxFileBytes skips larger source and declaration files (default 4 MiB).
	MaxFileBytes int64
	// MaxPackageJSONBytes skips larger package.json files (default 1 MiB).
	MaxPackageJSONBytes int64
}

const (
	defaultMaxFileBytes        = 4 << 20
	defaultMaxPackageJSONBytes = 1 << 20
	// maxFiles bounds the files one lookup may read through re-exports.
	maxFiles = 32
)

// Provider is safe for concurrent use: it keeps no state between lookups,
// since each request names its own repository.
type Provider struct{ opts Options }

// New returns a provider.
func New(opts Options) *Provider {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = defaultMaxFileBytes
	}
	if opts.MaxPackageJSONBytes <= 0 {
		opts.MaxPackageJSONBytes = defaultMaxPackageJSONBytes
	}
	return &Provider{opts: opts}
}

// Version returns the installed version of the package api belongs to, in
// repo's node_modules, or "" when it is not installed.
func (p *Provider) Version(repo, api string) string {
	nm, err := p.nodeModules(repo)
	if err != nil {
		return ""
	}
	pk, _, err := nm.findPackage(api)
	if err != nil {
		return ""
	}
	return pk.version()
}

// Lookup documents api from repo's node_modules. repo is a directory the
// caller has allowed. A name that is not there, a package.json that cannot
// be read and a file that leaves node_modules are apidoc.ErrNotFound with
// the reason.
func (p *Provider) Lookup(ctx context.Context, repo, api string) (apidoc.Doc, error) {
	if err := apidoc.ValidateNPMName(api); err != nil {
		return apidoc.Doc{}, err
	}
	nm, err := p.nodeModules(repo)
	if err != nil {
		return apidoc.Doc{}, err
	}
	pk, member, err := nm.findPackage(api)
	if err != nil {
		return apidoc.Doc{}, err
	}
	r := &resolver{ctx: ctx, nm: nm, modules: map[string]*module{}, visited: map[string]bool{}}
	defer r.close()
	found, err := r.resolvePackage(pk, member)
	if err != nil {
		return apidoc.Doc{}, err
	}
	name := "default"
	if len(member) > 0 {
		name = member[len(member)-1]
	}
	doc := found.doc(name)
	doc.API = api
	doc.Source = apidoc.SourceInstalled
	doc.Package = pk.name
	doc.Distribution = pk.name
	doc.Version = pk.version()
	return doc, nil
}

// nodeModules is one repository's node_modules directory.
type nodeModules struct {
	p   *Provider
	dir string // <repo>/node_modules as named
	// real is dir with symlinks resolved: every file read must lie below it.
	real string
}

func (p *Provider) nodeModules(repo string) (*nodeModules, error) {
	repoReal, err := filepath.EvalSymlinks(repo)
	if err != nil {
		return nil, fmt.Errorf("%w: repository: %w", apidoc.ErrNotFound, err)
	}
	dir := filepath.Join(repo, "node_modules")
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: the repository has no node_modules (run npm install there)", apidoc.ErrNotFound)
		}
		return nil, fmt.Errorf("%w: node_modules: %w", apidoc.ErrNotFound, err)
	}
	if !within(repoReal, real) {
		return nil, fmt.Errorf("%w: node_modules is a symlink out of the repository", apidoc.ErrNotFound)
	}
	return &nodeModules{p: p, dir: dir, real: real}, nil
}

// within reports whether p is root or below it (both clean and absolute).
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// errOutside marks a file whose real path leaves node_modules.
var errOutside = errors.New("resolves outside node_modules")

// read returns the file at path (below nm.dir) if its real path stays in
// node_modules and it is a regular file of at most limit bytes.
func (nm *nodeModules) read(path string, limit int64) ([]byte, error) {
	// The real path is opened, so a symlink swapped after the check cannot
	// lead out of node_modules.
	real, err := nm.check(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the %d byte limit", nm.rel(path), fi.Size(), limit)
	}
	return os.ReadFile(real)
}

// check returns the real path of the regular file path names, or an error
// wrapping fs.ErrNotExist, or one wrapping errOutside.
func (nm *nodeModules) check(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	if !within(nm.real, real) {
		return "", fmt.Errorf("%s %w (a symlink)", nm.rel(path), errOutside)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: %w", nm.rel(path), fs.ErrNotExist)
	}
	return real, nil
}

// rel names path for answers and reasons: relative to the repository
// ("node_modules/pkg/index.d.ts"), never a local absolute path.
func (nm *nodeModules) rel(path string) string {
	r, err := filepath.Rel(filepath.Dir(nm.dir), path)
	if err != nil {
		return filepath.Base(path)
	}
	return filepath.ToSlash(r)
}

// pkg is an installed package, or the @types package standing in for one.
type pkg struct {
	name string
	dir  string
	json packageJSON
	// types is the package's @types/<pkg>, when installed.
	types *pkg
	// typesOnly: the package itself is not installed, only its @types.
	typesOnly bool
}

func (p pkg) version() string {
	if p.typesOnly && p.types != nil {
		return p.types.json.Version
	}
	return p.json.Version
}

// findPackage splits api into the longest installed package name and the
// member path after it.
func (nm *nodeModules) findPackage(api string) (pkg, []string, error) {
	head, rest := apidoc.NPMPackageHead(api)
	var parts []string
	if rest != "" {
		parts = strings.Split(rest, ".")
	}
	// npm names may hold dots ("lodash.get" is a package of its own): the
	// longest installed name wins.
	for k := len(parts); k >= 0; k-- {
		name := strings.Join(append([]string{head}, parts[:k]...), ".")
		pk, ok, err := nm.loadPackage(name)
		if err != nil {
			return pkg{}, nil, err
		}
		types, typesOK, typesErr := nm.loadPackage(typesName(name))
		if typesErr != nil && !ok {
			return pkg{}, nil, typesErr
		}
		switch {
		case ok:
			if typesOK {
				pk.types = &types
			}
			return pk, parts[k:], nil
		case typesOK:
			return pkg{name: name, dir: types.dir, json: types.json, types: &types, typesOnly: true}, parts[k:], nil
		}
	}
	return pkg{}, nil, fmt.Errorf("%w: package %q is not installed in node_modules", apidoc.ErrNotFound, head)
}

// typesName is the DefinitelyTyped package of name: @types/pkg, and
// @types/scope__pkg for @scope/pkg.
func typesName(name string) string {
	if scoped, ok := strings.CutPrefix(name, "@"); ok {
		return "@types/" + strings.Replace(scoped, "/", "__", 1)
	}
	return "@types/" + name
}

// loadPackage reads node_modules/<name>/package.json. ok is false when the
// package is not installed; err says why an installed one cannot be used.
func (nm *nodeModules) loadPackage(name string) (pkg, bool, error) {
	dir := filepath.Join(nm.dir, filepath.FromSlash(name))
	data, err := nm.read(filepath.Join(dir, "package.json"), nm.p.opts.MaxPackageJSONBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return pkg{}, false, nil
	case err != nil:
		return pkg{}, false, fmt.Errorf("%w: package %q: %w", apidoc.ErrNotFound, name, err)
	}
	pj, err := parsePackageJSON(data)
	if err != nil {
		return pkg{}, false, fmt.Errorf("%w: package %q: malformed package.json: %w", apidoc.ErrNotFound, name, err)
	}
	return pkg{name: name, dir: dir, json: pj}, true, nil
}
