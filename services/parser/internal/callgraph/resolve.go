package callgraph

import (
	"context"
	"fmt"

	"github.com/query4code/query4code/services/parser/internal/extract"
)

// maxFallbackRounds bounds the re-solving after fallbacks (decorators whose
// result is unknown, subscripts whose key stays unknown).
const maxFallbackRounds = 8

// Resolve builds the call graph of the given files.
func Resolve(ctx context.Context, files []File) (*Graph, error) {
	return ResolveWith(ctx, files, Options{})
}

// Options tune resolution.
type Options struct {
	// TSConfigs are the repository's tsconfig.json module settings.
	TSConfigs []TSConfig
	// PackageMains maps a directory (slash path relative to the root, ""
	// for the root) to the file its package.json "main" names (relative
	// to the root, extension optional), which an import of the directory
	// reads before its index file.
	PackageMains map[string]string
}

// ResolveWith builds the call graph of the given files with options.
func ResolveWith(ctx context.Context, files []File, opts Options) (*Graph, error) {
	s := newSolver(ctx, files)
	s.ix.ts = opts.TSConfigs
	s.ix.mains = opts.PackageMains
	if err := s.setup(); err != nil {
		return nil, fmt.Errorf("call graph setup: %w", err)
	}
	for round := 0; ; round++ {
		if err := s.solve(); err != nil {
			return nil, err
		}
		if round >= maxFallbackRounds || !s.applyFallbacks() {
			break
		}
	}
	s.nameMatch()
	return s.graph(), nil
}

// langKey prefixes name with the language of scope g's module.
func (s *solver) langKey(g int32, name string) string {
	if lang := s.mod(s.scopes[g].mod).ir.Language; lang != "" {
		// JavaScript and TypeScript call each other.
		return "js\x00" + name
	}
	return name
}

// solve runs the worklist, checking for cancellation now and then.
func (s *solver) solve() error {
	for len(s.wl) > 0 || len(s.pendingLookups) > 0 {
		if len(s.wl) == 0 {
			pending := s.pendingLookups
			s.pendingLookups = nil
			for _, l := range pending {
				if !s.lookups[l].evaluated {
					s.refresh(l)
				}
			}
			continue
		}
		if err := s.ctx.Err(); err != nil {
			return fmt.Errorf("call graph resolution: %w", err)
		}
		// Process a bounded batch between cancellation checks.
		limit := 20000
		for len(s.wl) > 0 && limit > 0 {
			limit--
			s.step()
		}
	}
	return nil
}

func (s *solver) step() {
	n := s.wl[len(s.wl)-1]
	s.wl = s.wl[:len(s.wl)-1]
	nd := &s.nodes[n]
	nd.inWL = false
	start, end := nd.vals+int32(nd.done), nd.vals+int32(nd.nVals)
	if start == end {
		return
	}
	nd.done = nd.nVals
	delta := s.arena[start:end:end]
	for k := int32(0); k < s.nodes[n].nSucc; k++ {
		to := s.arena[s.nodes[n].succ+k]
		for _, v := range delta {
			s.add(to, v)
		}
	}
	for k := int32(0); k < s.nodes[n].nSubs; k++ {
		s.fire(s.arena[s.nodes[n].subs+k], n, delta)
	}
}

// applyFallbacks handles what the fixpoint left unknown and reports whether
// anything changed.
func (s *solver) applyFallbacks() bool {
	// Declared types come first: what they release may settle the rest.
	if s.applyTypes() {
		return true
	}
	changed := false
	for _, ci := range s.decorators {
		c := &s.cons[ci]
		if s.hasCallable(c.result) || c.raise {
			continue
		}
		// The decorator's result is unknown (external, builtin, or opaque):
		// assume it returns the decorated function or class.
		if args := s.argsOf(c.args); len(args) > 0 && args[0].node >= 0 {
			for _, v := range s.valsOf(args[0].node) {
				if s.add(c.result, v) {
					changed = true
				}
			}
		}
	}
	for _, ci := range s.keyLoads {
		c := &s.cons[ci]
		if c.anyKey || c.key < 0 || s.nodes[c.key].nVals > 0 {
			continue
		}
		// The key never got a constant: read every slot.
		c.anyKey = true
		for _, v := range s.valsOf(c.base) {
			if val := s.vals.list[v]; val.kind == vContainer {
				s.edge(s.allNode(val.a), c.result)
				changed = true
			}
		}
	}
	return changed || len(s.wl) > 0
}

func (s *solver) hasCallable(n int32) bool {
	for _, v := range s.valsOf(n) {
		switch s.vals.list[v].kind {
		case vFunc, vBound, vClass, vInst:
			return true
		}
	}
	return false
}

// nameMatch links calls whose callee stayed unknown to the single
// repository function or method of that name, as a weaker kind of edge.
func (s *solver) nameMatch() {
	// Keyed by language and name: calls do not cross languages.
	methods := map[string][]int32{}
	functions := map[string][]int32{}
	for g := range s.scopes {
		sc := s.scope(int32(g))
		if sc.Kind != extract.ScopeFunction {
			continue
		}
		key := s.langKey(int32(g), sc.Name)
		if s.methodScope(int32(g)) {
			methods[key] = append(methods[key], int32(g))
		} else if sc.Parent == 0 {
			functions[key] = append(functions[key], int32(g))
		}
	}
	for _, u := range s.unresolved {
		if u.fn >= 0 && s.nodes[u.fn].nVals > 0 {
			continue
		}
		name := s.names[u.name]
		if isDunder(name) {
			continue
		}
		var cands []int32
		if u.attr {
			cands = methods[s.langKey(u.caller, name)]
		} else {
			cands = functions[s.langKey(u.caller, name)]
		}
		if len(cands) == 1 {
			s.addEdge(u.caller, cands[0], EdgeNameMatched)
		}
	}
}
