package callgraph

import (
	"sort"

	"github.com/query4code/query4code/services/parser/internal/extract"
)

// EdgeKind tells how a call edge was found.
type EdgeKind uint8

// Edge kinds.
const (
	EdgeResolved    EdgeKind = iota + 1 // by following values
	EdgeNameMatched                     // by the callee's name alone
)

// Graph is the resolved call graph of a repository.
type Graph struct {
	Modules []Module
	// Scopes lists every module, class, function and lambda.
	Scopes []Scope
	// Callees of each scope (functions and modules), sorted by callee.
	Callees [][]Callee
	// External calls per scope: dotted API path -> call sites.
	External []map[string]int
	// Builtins called per scope (for the PyCG output).
	Builtins [][]string
	// Calls is the number of call sites seen.
	Calls int
}

// Module is one module of the repository.
type Module struct {
	Name string
	Path string // "" for namespace packages
	File int    // index into the files given to Resolve, -1 for namespace packages
}

// Scope is one scope of the program.
type Scope struct {
	Module int32
	Local  extract.ScopeID
	// Name is the dotted PyCG-style name: module, module.Class.method,
	// module.func.<lambda1>.
	Name string
	// MRO lists the class's repository bases in method resolution order
	// (classes only; the class itself first).
	MRO []int32
}

// Callee is one outgoing edge.
type Callee struct {
	Scope int32
	Kind  EdgeKind
}

func (s *solver) graph() *Graph {
	g := &Graph{Calls: s.calls}
	for _, m := range s.ix.mods {
		g.Modules = append(g.Modules, Module{Name: m.name, Path: m.path, File: m.file})
	}
	g.Scopes = make([]Scope, len(s.scopes))
	for k, r := range s.scopes {
		sc := s.scope(int32(k))
		name := s.ix.mods[r.mod].name
		if sc.QualName != "" {
			name += "." + sc.QualName
		}
		g.Scopes[k] = Scope{Module: r.mod, Local: r.local, Name: name}
		if sc.Kind == extract.ScopeClass {
			g.Scopes[k].MRO = append([]int32(nil), s.classInfo(int32(k)).mro...)
		}
	}
	g.Callees = make([][]Callee, len(s.scopes))
	s.callEdges.each(func(key uint64, kind int32) {
		caller, callee := int32(key>>32), int32(uint32(key))
		g.Callees[caller] = append(g.Callees[caller], Callee{Scope: callee, Kind: EdgeKind(kind)})
	})
	for k := range g.Callees {
		sort.Slice(g.Callees[k], func(a, b int) bool { return g.Callees[k][a].Scope < g.Callees[k][b].Scope })
	}
	g.External = make([]map[string]int, len(s.scopes))
	for caller, m := range s.extCall {
		g.External[caller] = m
	}
	g.Builtins = make([][]string, len(s.scopes))
	for caller, set := range s.builtinCalls {
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		g.Builtins[caller] = names
	}
	return g
}
