package installed

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/query4code/query4code/services/docs/internal/apidoc"
)

// maxResolveDepth bounds chains of re-exports, aliases and base classes.
const maxResolveDepth = 32

// target is what a dotted name resolved to.
type target struct {
	mod   *module // the module that defines sym, or the module itself
	sym   *symbol // nil when the name is a module
	owner *symbol // the class when sym is one of its members
	// overloads are the other definitions of sym's name in the same scope
	// (typing.overload in stubs).
	overloads []*symbol
}

// resolve walks api down through packages as far as files exist, then
// through the bindings of the last module.
func (p *Provider) resolve(ctx context.Context, api string) (target, error) {
	parts := strings.Split(api, ".")
	var mod *module
	var stopped error
	i := 0
	for ; i < len(parts); i++ {
		m, err := p.loadModule(ctx, strings.Join(parts[:i+1], "."))
		if err != nil {
			stopped = err
			break
		}
		mod = m
	}
	if mod == nil {
		if errors.Is(stopped, errNoModule) {
			return target{}, fmt.Errorf("%w: no module %q in %d python environment(s)", apidoc.ErrNotFound, parts[0], len(p.roots))
		}
		if errors.Is(stopped, errCompiled) {
			return target{}, fmt.Errorf("%w: %w", apidoc.ErrNotFound, stopped)
		}
		return target{}, stopped
	}
	if i == len(parts) {
		return target{mod: mod}, nil
	}
	r := &resolver{p: p, ctx: ctx, visited: map[string]bool{}}
	t, ok := r.attr(mod, parts[i:], 0)
	if err := ctx.Err(); err != nil {
		return target{}, err
	}
	if !ok {
		return target{}, fmt.Errorf("%w: module %q has no attribute %q", apidoc.ErrNotFound, mod.name, strings.Join(parts[i:], "."))
	}
	return t, nil
}

type resolver struct {
	p       *Provider
	ctx     context.Context
	visited map[string]bool
}

// attr resolves names (["Session", "get"]) inside mod the way attribute
// access would: bindings of the module, then its submodules, then what its
// star imports bring in, then its .pyi stub.
func (r *resolver) attr(mod *module, names []string, depth int) (target, bool) {
	if depth > maxResolveDepth || r.ctx.Err() != nil {
		return target{}, false
	}
	key := mod.name + "\x00" + mod.file + "\x00" + strings.Join(names, ".")
	if r.visited[key] {
		return target{}, false
	}
	r.visited[key] = true

	name, rest := names[0], names[1:]
	candidates := mod.symbols[name]
	for _, s := range byPreference(candidates) {
		if t, ok := r.follow(mod, s, candidates, rest, depth); ok {
			return t, true
		}
	}
	if mod.isPackage {
		if sub, err := r.p.loadModule(r.ctx, mod.name+"."+name); err == nil {
			if len(rest) == 0 {
				return target{mod: sub}, true
			}
			if t, ok := r.attr(sub, rest, depth+1); ok {
				return t, true
			}
		}
	}
	if !strings.HasPrefix(name, "_") || mod.all != nil {
		for _, from := range mod.stars {
			star, err := r.p.loadModule(r.ctx, from)
			if err != nil || !exports(star, name) {
				continue
			}
			if t, ok := r.attr(star, names, depth+1); ok {
				return t, true
			}
		}
	}
	if stub, ok := r.p.stubOf(r.ctx, mod); ok {
		return r.attr(stub, names, depth+1)
	}
	return target{}, false
}

// exports reports whether `from m import *` binds name.
func exports(m *module, name string) bool {
	if m.all != nil {
		for _, n := range m.all {
			if n == name {
				return true
			}
		}
		return false
	}
	return !strings.HasPrefix(name, "_")
}

// follow resolves the rest of a name through one binding s of mod.
func (r *resolver) follow(mod *module, s *symbol, scope []*symbol, rest []string, depth int) (target, bool) {
	switch s.kind {
	case symbolFunction, symbolClass:
		if len(rest) == 0 {
			return target{mod: mod, sym: s, overloads: siblings(scope, s)}, true
		}
		if s.kind == symbolClass {
			return r.member(mod, s, rest, depth+1)
		}
		return target{}, false
	case symbolAssignment:
		if s.aliasOf != "" {
			if t, ok := r.attr(mod, append(strings.Split(s.aliasOf, "."), rest...), depth+1); ok {
				return t, true
			}
		}
		if len(rest) == 0 {
			return target{mod: mod, sym: s}, true
		}
		return target{}, false
	case symbolImportedName:
		if from, err := r.p.loadModule(r.ctx, s.module); err == nil {
			if t, ok := r.attr(from, append([]string{s.attr}, rest...), depth+1); ok {
				return t, true
			}
		}
		// `from pkg import submodule`
		sub, err := r.p.loadModule(r.ctx, s.module+"."+s.attr)
		if err != nil {
			return target{}, false
		}
		if len(rest) == 0 {
			return target{mod: sub}, true
		}
		return r.attr(sub, rest, depth+1)
	case symbolImportedModule:
		m, err := r.p.loadModule(r.ctx, s.module)
		if err != nil {
			return target{}, false
		}
		if len(rest) == 0 {
			return target{mod: m}, true
		}
		return r.attr(m, rest, depth+1)
	}
	return target{}, false
}

// member resolves names inside class cls of mod, then in its base classes
// in declaration order (a depth-first approximation of the MRO).
func (r *resolver) member(mod *module, cls *symbol, names []string, depth int) (target, bool) {
	if depth > maxResolveDepth || r.ctx.Err() != nil {
		return target{}, false
	}
	key := "class\x00" + mod.file + "\x00" + cls.name + "\x00" + fmt.Sprint(cls.line) + "\x00" + strings.Join(names, ".")
	if r.visited[key] {
		return target{}, false
	}
	r.visited[key] = true

	name, rest := names[0], names[1:]
	candidates := cls.members[name]
	for _, s := range byPreference(candidates) {
		switch {
		case len(rest) == 0:
			return target{mod: mod, sym: s, owner: cls, overloads: siblings(candidates, s)}, true
		case s.kind == symbolClass:
			if t, ok := r.member(mod, s, rest, depth+1); ok {
				return t, true
			}
		}
	}
	for _, base := range cls.bases {
		bt, ok := r.attr(mod, strings.Split(base, "."), depth+1)
		if !ok || bt.sym == nil || bt.sym.kind != symbolClass {
			continue
		}
		if t, ok := r.member(bt.mod, bt.sym, names, depth+1); ok {
			return t, true
		}
	}
	return target{}, false
}

// byPreference orders the bindings of one name: definitions first (they
// carry docstrings; a fallback `def` beats a compiled import), then imports,
// then plain assignments, each group in source order.
func byPreference(candidates []*symbol) []*symbol {
	if len(candidates) < 2 {
		return candidates
	}
	rank := func(s *symbol) int {
		switch s.kind {
		case symbolFunction, symbolClass:
			return 0
		case symbolImportedName, symbolImportedModule:
			return 1
		case symbolAssignment:
			if s.aliasOf != "" {
				return 1
			}
		}
		return 2
	}
	out := make([]*symbol, 0, len(candidates))
	for want := 0; want <= 2; want++ {
		for _, s := range candidates {
			if rank(s) == want {
				out = append(out, s)
			}
		}
	}
	return out
}

// siblings returns the other function definitions of s's name in its
// scope: typing.overload variants.
func siblings(scope []*symbol, s *symbol) []*symbol {
	if s.kind != symbolFunction {
		return nil
	}
	var out []*symbol
	for _, c := range scope {
		if c != s && c.kind == symbolFunction {
			out = append(out, c)
		}
	}
	return out
}

// maxOverloads bounds the signatures shown for an overloaded function.
const maxOverloads = 4

// document turns a resolved target into documentation.
func (p *Provider) document(ctx context.Context, t target) apidoc.Doc {
	d := apidoc.Doc{Location: t.mod.file}
	if t.sym == nil {
		d.Kind = apidoc.KindModule
		d.Docstring = t.mod.doc
		if t.mod.file != "" {
			d.Line = 1
		}
		return d
	}
	s := t.sym
	d.Line = s.line
	d.Docstring = s.doc
	switch s.kind {
	case symbolFunction:
		d.Kind = apidoc.KindFunction
		if t.owner != nil {
			d.Kind = apidoc.KindMethod
		}
		sigs := []string{withDecorators(s)}
		for _, o := range t.overloads {
			if len(sigs) == maxOverloads {
				break
			}
			sigs = append(sigs, withDecorators(o))
			if d.Docstring == "" {
				d.Docstring = o.doc
			}
		}
		d.Signature = strings.Join(sigs, "\n")
	case symbolClass:
		d.Kind = apidoc.KindClass
		d.Signature = withDecorators(s)
		r := &resolver{p: p, ctx: ctx, visited: map[string]bool{}}
		if init, ok := r.member(t.mod, s, []string{"__init__"}, 0); ok && init.sym.kind == symbolFunction {
			d.Signature += "\n    " + init.sym.signature
			if d.Docstring == "" {
				d.Docstring = init.sym.doc
			}
		}
	default:
		d.Kind = apidoc.KindAttribute
		d.Signature = s.signature
	}
	return d
}

// withDecorators prefixes a signature with the decorators that change how
// it is called (@property, @classmethod, ...); typing.overload is implied
// by listing several signatures and is left out.
func withDecorators(s *symbol) string {
	var b strings.Builder
	for _, dec := range s.decorators {
		if dec == "@overload" || dec == "@typing.overload" {
			continue
		}
		b.WriteString(dec)
		b.WriteByte('\n')
	}
	b.WriteString(s.signature)
	return b.String()
}
