// Package installed documents Python APIs from the packages installed in
// Python environments (site-packages, dist-packages, a virtualenv, or a
// repository's vendored code): it finds the file that defines a dotted name
// by reading the source statically with tree-sitter, following re-exports,
// star imports and base classes, and returns its signature and docstring.
// Nothing is imported or executed.
package installed

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// Options tune a Provider; zero values take the defaults.
type Options struct {
	// MaxFileBytes skips larger source files (default 4 MiB).
	MaxFileBytes int64
	// CachedModules bounds the parsed modules kept in memory (default 2048).
	CachedModules int
}

const (
	defaultMaxFileBytes  = 4 << 20
	defaultCachedModules = 2048
	maxLocationEntries   = 1 << 15
)

// Provider answers lookups from a fixed list of environment directories,
// searched in order like sys.path. It is safe for concurrent use.
type Provider struct {
	roots []string
	opts  Options

	distOnce     sync.Once
	dists        []Distribution
	distByImport map[string]*Distribution

	mu        sync.Mutex
	locations map[string]locationEntry
	modules   map[string]*list.Element // key: module name + "\x00" + file
	lru       *list.List               // of *module, most recent first
}

type locationEntry struct {
	loc location
	ok  bool
}

// New returns a provider over roots; every root must be a directory.
func New(roots []string, opts Options) (*Provider, error) {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = defaultMaxFileBytes
	}
	if opts.CachedModules <= 0 {
		opts.CachedModules = defaultCachedModules
	}
	clean := make([]string, 0, len(roots))
	seen := map[string]bool{}
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("python environment %q: %w", r, err)
		}
		if !isDir(abs) {
			return nil, fmt.Errorf("python environment %q: not a directory", r)
		}
		if !seen[abs] {
			seen[abs] = true
			clean = append(clean, abs)
		}
	}
	return &Provider{
		roots:     clean,
		opts:      opts,
		locations: map[string]locationEntry{},
		modules:   map[string]*list.Element{},
		lru:       list.New(),
	}, nil
}

// Roots returns the environment directories in search order.
func (p *Provider) Roots() []string { return append([]string(nil), p.roots...) }

// Distributions lists the installed distributions of every root; a
// distribution installed in several roots is listed from the first.
func (p *Provider) Distributions() []Distribution {
	p.loadDistributions()
	return append([]Distribution(nil), p.dists...)
}

func (p *Provider) loadDistributions() {
	p.distOnce.Do(func() {
		p.distByImport = map[string]*Distribution{}
		seen := map[string]bool{}
		for _, root := range p.roots {
			dists, err := scanDistributions(root)
			if err != nil {
				continue // an unreadable root holds no metadata we can use
			}
			for _, d := range dists {
				key := strings.ToLower(d.Name)
				if !seen[key] {
					seen[key] = true
					p.dists = append(p.dists, d)
				}
			}
		}
		for i := range p.dists {
			for _, name := range p.dists[i].ImportNames {
				if _, taken := p.distByImport[name]; !taken {
					p.distByImport[name] = &p.dists[i]
				}
			}
		}
	})
}

// DistributionOf returns the installed distribution that provides api: the
// one whose import name is the longest dotted prefix of api.
func (p *Provider) DistributionOf(api string) (Distribution, bool) {
	p.loadDistributions()
	prefix := api
	for {
		if d, ok := p.distByImport[prefix]; ok {
			return *d, true
		}
		i := strings.LastIndexByte(prefix, '.')
		if i < 0 {
			return Distribution{}, false
		}
		prefix = prefix[:i]
	}
}

// Version returns the version of the package api belongs to: from its
// distribution's metadata, else the top-level module's __version__
// (vendored code has no metadata), else "".
func (p *Provider) Version(ctx context.Context, api string) string {
	if d, ok := p.DistributionOf(api); ok && d.Version != "" {
		return d.Version
	}
	if m, err := p.loadModule(ctx, apidoc.TopLevel(api)); err == nil {
		return m.version
	}
	return ""
}

// Lookup documents api, a dotted name such as "requests.get" or
// "click.Option.__init__". A name that is not there is apidoc.ErrNotFound.
func (p *Provider) Lookup(ctx context.Context, api string) (apidoc.Doc, error) {
	if err := apidoc.ValidateName(api); err != nil {
		return apidoc.Doc{}, err
	}
	t, err := p.resolve(ctx, api)
	if err != nil {
		return apidoc.Doc{}, err
	}
	doc := p.document(ctx, t)
	doc.API = api
	doc.Source = apidoc.SourceInstalled
	doc.Package = apidoc.TopLevel(api)
	if d, ok := p.DistributionOf(api); ok {
		doc.Distribution = d.Name
		doc.Version = d.Version
		if len(d.ImportNames) > 0 {
			doc.Package = longestPrefix(api, d.ImportNames)
		}
	}
	if doc.Version == "" {
		doc.Version = p.Version(ctx, api)
	}
	return doc, nil
}

func longestPrefix(api string, names []string) string {
	best := apidoc.TopLevel(api)
	for _, n := range names {
		if (api == n || strings.HasPrefix(api, n+".")) && len(n) > len(best) {
			best = n
		}
	}
	return best
}

// errNoModule reports a module that none of the roots has.
var errNoModule = errors.New("no such module")

func (p *Provider) locate(name string) (location, bool) {
	p.mu.Lock()
	e, cached := p.locations[name]
	p.mu.Unlock()
	if cached {
		return e.loc, e.ok
	}
	loc, ok := findModule(p.roots, strings.Split(name, "."))
	p.mu.Lock()
	if len(p.locations) >= maxLocationEntries {
		clear(p.locations)
	}
	p.locations[name] = locationEntry{loc: loc, ok: ok}
	p.mu.Unlock()
	return loc, ok
}

// loadModule finds and parses module name. A namespace package is an empty
// module with no file.
func (p *Provider) loadModule(ctx context.Context, name string) (*module, error) {
	loc, ok := p.locate(name)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w %q", errNoModule, name)
	case loc.compiled:
		return nil, fmt.Errorf("module %q: %w", name, errCompiled)
	case loc.file == "":
		return &module{name: name, isPackage: true, symbols: map[string][]*symbol{}}, nil
	}
	m, err := p.parseFile(ctx, name, loc.file, loc.isPackage)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// stubOf loads the .pyi that sits beside m's source, if there is one.
func (p *Provider) stubOf(ctx context.Context, m *module) (*module, bool) {
	if m.isStub || m.file == "" {
		return nil, false
	}
	loc, ok := p.locate(m.name)
	if !ok || loc.stub == "" {
		return nil, false
	}
	stub, err := p.parseFile(ctx, m.name, loc.stub, loc.isPackage)
	return stub, err == nil
}

func (p *Provider) parseFile(ctx context.Context, name, file string, isPackage bool) (*module, error) {
	key := name + "\x00" + file
	p.mu.Lock()
	if el, ok := p.modules[key]; ok {
		p.lru.MoveToFront(el)
		p.mu.Unlock()
		return el.Value.(*module), nil
	}
	p.mu.Unlock()

	fi, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("module %q: %w", name, err)
	}
	if fi.Size() > p.opts.MaxFileBytes {
		return nil, fmt.Errorf("module %q: %s is %d bytes, over the %d byte limit", name, file, fi.Size(), p.opts.MaxFileBytes)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("module %q: %w", name, err)
	}
	m, err := parseModule(ctx, name, file, isPackage, src)
	if err != nil {
		return nil, err
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if el, ok := p.modules[key]; ok { // parsed meanwhile by another lookup
		return el.Value.(*module), nil
	}
	p.modules[key] = p.lru.PushFront(m)
	for p.lru.Len() > p.opts.CachedModules {
		oldest := p.lru.Back()
		old := p.lru.Remove(oldest).(*module)
		delete(p.modules, old.name+"\x00"+old.file)
	}
	return m, nil
}
