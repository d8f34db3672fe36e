package analysis

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/query4code/query4code/services/parser/internal/callgraph"
	"github.com/query4code/query4code/services/parser/internal/extract"
)

// PyCG analyses the package rooted at root and returns its call graph in
// PyCG's JSON format: every module and every defined function (lambdas as
// module.<lambdaN>) is a key; module keys hold module-level code; callees
// are repository functions, builtins as <builtin>.name and external APIs by
// import path. Only resolved edges are included. Modules are named by
// their path relative to root, as PyCG names them (DirectoryModuleNames).
func PyCG(ctx context.Context, root string) (map[string][]string, error) {
	res, err := Analyze(ctx, Options{Root: root, DirectoryModuleNames: true})
	if err != nil {
		return nil, err
	}
	return res.PyCG(), nil
}

// PyCG returns the call graph of an analysis in PyCG's JSON format; its
// names match PyCG's when the analysis ran with DirectoryModuleNames.
func (r *Result) PyCG() map[string][]string {
	p := r.program
	out := map[string][]string{}
	if p == nil {
		return out
	}
	g := p.graph
	sets := map[string]map[string]bool{}
	key := func(name string) map[string]bool {
		if sets[name] == nil {
			sets[name] = map[string]bool{}
		}
		return sets[name]
	}
	for k, sc := range g.Scopes {
		s := p.scope(int32(k))
		if s.Kind == extract.ScopeClass || s.Inline {
			// JavaScript callbacks: their calls are their enclosing function's.
			continue
		}
		set := key(sc.Name)
		for _, c := range g.Callees[k] {
			if c.Kind == callgraph.EdgeResolved {
				set[g.Scopes[c.Scope].Name] = true
			}
		}
		for _, b := range g.Builtins[k] {
			set["<builtin>."+b] = true
		}
		for api := range g.External[k] {
			set[api] = true
		}
	}
	for name, set := range sets {
		list := make([]string, 0, len(set))
		for c := range set {
			list = append(list, c)
		}
		sort.Strings(list)
		out[name] = list
	}
	return out
}

// GraphFunction is one node of the JSON call graph.
type GraphFunction struct {
	ID        string   `json:"id"`
	Path      string   `json:"path"`
	StartLine int      `json:"start_line"`
	EndLine   int      `json:"end_line"`
	Class     string   `json:"class,omitempty"`
	Callees   []Callee `json:"callees"`
	SCC       int      `json:"scc"`
	Level     int      `json:"level"`
	Cyclic    bool     `json:"cyclic,omitempty"`
	IsTest    bool     `json:"is_test,omitempty"`
	IsDunder  bool     `json:"is_dunder,omitempty"`
	IsTrivial bool     `json:"is_trivial,omitempty"`
	Language  string   `json:"language"`
}

// GraphJSON is the call graph with levels and SCCs, functions callee-first,
// as `q4c callgraph --format json` prints it.
type GraphJSON struct {
	Functions []GraphFunction `json:"functions"`
	// SCCs lists the members of each strongly connected component with more
	// than one member or a self-call, by id.
	Cycles [][]string `json:"cycles"`
	Stats  Stats      `json:"stats"`
	// Skipped files and functions left out for syntax errors, by name.
	Skipped              []SkippedFile         `json:"skipped"`
	SyntaxErrorFunctions []SyntaxErrorFunction `json:"syntax_error_functions"`
}

// Graph returns the JSON form of the call graph.
func (r *Result) Graph() GraphJSON {
	out := GraphJSON{
		Functions: make([]GraphFunction, 0, len(r.Functions)), Cycles: [][]string{}, Stats: r.Stats,
		Skipped: append([]SkippedFile{}, r.Skipped...), SyntaxErrorFunctions: append([]SyntaxErrorFunction{}, r.SyntaxErrorFunctions...),
	}
	members := map[int][]string{}
	for _, f := range r.Functions {
		callees := f.Callees
		if callees == nil {
			callees = []Callee{}
		}
		out.Functions = append(out.Functions, GraphFunction{
			ID: f.ID, Path: f.Path, StartLine: f.StartLine, EndLine: f.EndLine, Class: f.Class,
			Callees: callees, SCC: f.SCC, Level: f.Level, Cyclic: f.Cyclic,
			IsTest: f.IsTest, IsDunder: f.IsDunder, IsTrivial: f.IsTrivial, Language: f.Language,
		})
		if f.Cyclic {
			members[f.SCC] = append(members[f.SCC], f.ID)
		}
	}
	ids := make([]int, 0, len(members))
	for id := range members {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		out.Cycles = append(out.Cycles, members[id])
	}
	return out
}

// MarshalPyCG encodes a PyCG graph with sorted keys, one edge list per line.
func MarshalPyCG(g map[string][]string) ([]byte, error) {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding PyCG graph: %w", err)
	}
	return b, nil
}
