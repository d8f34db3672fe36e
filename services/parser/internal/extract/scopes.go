// scopes.go holds scope creation, name bindings and uses, and resolving each use to a scope.

package extract

import (
	"slices"
	"strings"

	"github.com/query4code/query4code/services/parser/internal/pyast"
)

// define binds name in the current scope (or the module/enclosing scope for
// global/nonlocal names) and records the binding event.
func (b *builder) define(name string, kind DefKind, value ExprID, param int32, line int32) DefID {
	owner := b.cur
	s := b.scope()
	if s.Globals[name] {
		owner = 0
	} else if s.Nonlocals[name] {
		owner = b.enclosingFunctionWith(name)
	}
	b.m.Defs = append(b.m.Defs, Def{Name: name, Scope: owner, From: b.cur, Kind: kind, Value: value, Param: param, Line: line})
	id := DefID(len(b.m.Defs) - 1)
	if owner == b.cur {
		b.emit(evDef, id)
	}
	return id
}

// enclosingFunctionWith finds the nearest enclosing function that binds
// name (for nonlocal); the module when none does.
func (b *builder) enclosingFunctionWith(name string) ScopeID {
	for p := b.scope().Parent; p >= 0; p = b.m.Scopes[p].Parent {
		ps := &b.m.Scopes[p]
		if (ps.Kind == ScopeFunction || ps.Kind == ScopeLambda) && b.definedSoFar(p, name) {
			return p
		}
	}
	return 0
}

// definedSoFar reports whether scope s binds name in the code built so far
// (the Locals index is built at the end; nonlocal declarations, which ask
// this, are rare).
func (b *builder) definedSoFar(s ScopeID, name string) bool {
	for k := range b.m.Defs {
		if d := &b.m.Defs[k]; d.Scope == s && d.Name == name {
			return true
		}
	}
	return false
}

// indexLocals fills Module.Locals and every scope's span of it.
func (b *builder) indexLocals() {
	m := b.m
	counts := make([]int32, len(m.Scopes)+1)
	for k := range m.Defs {
		counts[m.Defs[k].Scope+1]++
	}
	for s := range m.Scopes {
		counts[s+1] += counts[s]
		m.Scopes[s].Locals = Span{Off: counts[s], Len: counts[s+1] - counts[s]}
	}
	m.Locals = make([]DefID, len(m.Defs))
	next := counts[:len(m.Scopes)]
	for k := range m.Defs {
		s := m.Defs[k].Scope
		m.Locals[next[s]] = DefID(k)
		next[s]++
	}
	for s := range m.Scopes {
		defs := spanned(m.Locals, m.Scopes[s].Locals)
		// Stable: definitions of a name stay in source order.
		slices.SortStableFunc(defs, func(a, c DefID) int { return strings.Compare(m.Defs[a].Name, m.Defs[c].Name) })
	}
}

// use reads the name at node i.
func (b *builder) use(i int32, line int32) ExprID {
	n := b.name(i)
	b.m.Uses = append(b.m.Uses, Use{Name: n.s, Scope: b.cur, Target: -1})
	u := UseID(len(b.m.Uses) - 1)
	b.emit(evUse, u)
	return b.newExpr(Expr{Kind: ExprName, Use: u, Str: b.nameID(n), Line: line})
}

func (b *builder) newScope(kind ScopeKind, name string, span, def int32) ScopeID {
	parent := b.cur
	ps := &b.m.Scopes[parent]
	qual := name
	if ps.QualName != "" {
		qual = ps.QualName + "." + name
	}
	sn := b.node(span)
	b.m.Scopes = append(b.m.Scopes, Scope{
		Kind: kind, Name: name, QualName: qual, Parent: parent,
		StartLine: int(sn.StartRow) + 1, EndLine: int(sn.EndRow) + 1,
		StartByte: sn.Start, EndByte: sn.End,
		DefLine: int(b.node(def).StartRow) + 1, DefOf: -1,
		SyntaxError: sn.Flags&pyast.FlagHasError != 0,
		events:      b.x.takeEvents(),
	})
	return ScopeID(len(b.m.Scopes) - 1)
}

// resolveTargets points every use without a reaching definition at the
// scope whose bindings it sees under Python's scoping rules: the local scope
// when the name is bound there, else the nearest enclosing function that
// binds it (class bodies are skipped), else the module.
func (b *builder) resolveTargets() {
	nestedModuleDefs := map[string]bool{}
	for _, d := range b.m.Defs {
		if d.Scope == 0 && d.From != 0 {
			nestedModuleDefs[d.Name] = true
		}
	}
	for k := range b.m.Uses {
		u := &b.m.Uses[k]
		s := &b.m.Scopes[u.Scope]
		switch {
		case s.Globals[u.Name]:
			u.Defs = Span{}
			u.Target = 0
			continue
		case s.Nonlocals[u.Name]:
			u.Defs = Span{}
			u.Target = b.nonlocalTarget(u.Scope, u.Name)
			continue
		}
		if u.Defs.Len > 0 {
			if u.Scope == 0 && nestedModuleDefs[u.Name] {
				// Functions may rebind this global at any time.
				u.Defs = Span{}
				u.Target = 0
			}
			continue
		}
		if b.m.Binds(u.Scope, u.Name) {
			u.Target = u.Scope
			continue
		}
		u.Target = b.freeTarget(u.Scope, u.Name)
	}
}

func (b *builder) nonlocalTarget(from ScopeID, name string) ScopeID {
	for p := b.m.Scopes[from].Parent; p > 0; p = b.m.Scopes[p].Parent {
		ps := &b.m.Scopes[p]
		if ps.Kind == ScopeClass {
			continue
		}
		if b.m.Binds(p, name) {
			return p
		}
	}
	return 0
}

func (b *builder) freeTarget(from ScopeID, name string) ScopeID {
	for p := b.m.Scopes[from].Parent; p > 0; p = b.m.Scopes[p].Parent {
		ps := &b.m.Scopes[p]
		if ps.Kind == ScopeClass {
			continue
		}
		if b.m.Binds(p, name) {
			return p
		}
	}
	return 0
}
