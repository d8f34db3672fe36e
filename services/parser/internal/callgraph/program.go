package callgraph

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/query4code/query4code/services/parser/internal/extract"
	"github.com/query4code/query4code/services/parser/internal/pystd"
)

// scopeRef locates a scope of the program.
type scopeRef struct {
	mod   int32 // module index
	local extract.ScopeID
}

type solver struct {
	ctx   context.Context
	files []File
	ix    *moduleIndex

	scopes    []scopeRef
	scopeBase []int32 // per module
	defBase   []int32
	exprBase  []int32
	useBase   []int32
	strBase   []int32
	// strNames are the name ids of the modules' Strings (by strBase[mod]
	// plus the string's index), plus one; 0 until first asked for.
	strNames []int32

	nodes []node
	arena []int32 // the nodes' lists
	wl    []int32
	edges *intSet
	vals  *values
	cons  []constraint
	args  []callArg // the constraints' arguments

	// argStack holds the arguments of the calls being compiled.
	argStack []callArg
	// Names are interned: maps keyed by (scope, name) hash one integer.
	names     []string
	nameIDs   map[string]int32
	smallInts [64]int32 // intConst(i)+1, 0 until asked

	defNode   []int32 // per global def
	exprNode  []int32 // per global expr; exprPending until compiled
	retNode   []int32 // per global scope (functions)
	yieldNode []int32
	caller    []int32 // per global scope: the function or module its code is attributed to

	allDefs     *intMap // pairKey(scope, name)
	modAttr     *intMap // pairKey(module, name)
	modName     *intMap // pairKey(module, name)
	instField   *intMap // pairKey(class, name)
	containers  []container
	containerAt *intMap      // siteKey
	elems       *intMap      // siteKey
	sites       *intSet      // siteKey: per-site work done once
	classes     []*classInfo // per global scope, nil until asked
	lookups     []lookup
	// pendingLookups wait for the worklist to drain before their first evaluation.
	pendingLookups []int32
	lookupAt       *intMap // lookupKeyOf(kind, class, name); lkSuper in superAt
	superAt        map[superKey]int32
	superBound     map[[2]int32]bool
	trackedStr     map[string]bool
	storeTarget    []bool // per global expr

	// Results.
	callEdges    *intMap // pairKey(caller, callee) -> EdgeKind
	builtinCalls map[int32]map[string]bool
	delivered    *intSet // pairKey(src, result)
	bound        *intSet // pairKey(from, to)
	extCall      map[int32]map[string]int
	unresolved   []unresolvedCall
	decorators   []int32 // call constraints that apply decorators
	keyLoads     []int32 // subscript loads with a computed key
	// Declared types (jstypes.go): the read nodes of typed definitions
	// (by global def) and fields (pairKey(class, name)), and the cTyped
	// constraints with their state.
	typedRead  map[int32]int32
	typedField map[uint64]int32
	typed      []int32
	typedAt    map[int32]*typedState
	// callbackType: the type node of an unnamed callback's untyped
	// parameter (by global def).
	callbackType map[int32]int32
	calls        int
}

// pairKey packs two ids into one map key (a single 64-bit hash instead of
// hashing an array).
func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

type siteKey struct {
	site int32
	tag  int32
}

func (k siteKey) pack() uint64 { return pairKey(k.site, k.tag) }

// superKey identifies an lkSuper lookup.
type superKey struct {
	class, name, after, recv int32
}

// lookupKeyOf packs the key of the other lookups: class and name ids are
// non-negative int32s.
func lookupKeyOf(kind lookupKind, class, name int32) uint64 {
	return uint64(kind)<<62 | uint64(class)<<31 | uint64(name)
}

// Names the solver asks for itself, interned first.
const (
	nameEnter int32 = iota
	nameExit
	nameGetitem
	nameSetitem
	nameCall
	nameInit
	nameIter
	nameNext
)

var fixedNames = [...]string{"__enter__", "__exit__", "__getitem__", "__setitem__", "__call__", "__init__", "__iter__", "__next__"}

// name returns the id of an attribute or variable name.
func (s *solver) name(str string) int32 {
	if id, ok := s.nameIDs[str]; ok {
		return id
	}
	id := int32(len(s.names))
	s.names = append(s.names, str)
	s.nameIDs[str] = id
	return id
}

// strName returns the name id of string str of module mod.
func (s *solver) strName(mod int32, str extract.StrID) int32 {
	k := s.strBase[mod] + str
	if id := s.strNames[k]; id > 0 {
		return id - 1
	}
	id := s.name(s.mod(mod).ir.Strings[str])
	s.strNames[k] = id + 1
	return id
}

type unresolvedCall struct {
	caller int32
	fn     int32 // callee node (-1 when the callee expression has no value)
	name   int32
	attr   bool
}

const exprPending int32 = -2

func newSolver(ctx context.Context, files []File) *solver {
	s := &solver{ctx: ctx, files: files, ix: newModuleIndex(files)}
	var nScopes, nDefs, nExprs, nUses, nStrs int32
	for _, m := range s.ix.mods {
		s.scopeBase = append(s.scopeBase, nScopes)
		s.defBase = append(s.defBase, nDefs)
		s.exprBase = append(s.exprBase, nExprs)
		s.useBase = append(s.useBase, nUses)
		s.strBase = append(s.strBase, nStrs)
		if m.ir == nil {
			continue
		}
		nScopes += int32(len(m.ir.Scopes))
		nDefs += int32(len(m.ir.Defs))
		nExprs += int32(len(m.ir.Exprs))
		nUses += int32(len(m.ir.Uses))
		nStrs += int32(len(m.ir.Strings))
	}
	s.scopes = make([]scopeRef, 0, nScopes)
	for mi, m := range s.ix.mods {
		if m.ir == nil {
			continue
		}
		for k := range m.ir.Scopes {
			s.scopes = append(s.scopes, scopeRef{mod: int32(mi), local: extract.ScopeID(k)})
		}
	}
	// Size hints from the proportions seen on large code bases; they only
	// spare the regrowing of tables that reach tens of thousands of entries.
	e, d, sc := int(nExprs), int(nDefs), int(nScopes)
	s.vals = newValues(e / 8)
	s.edges = newIntSet(e / 8)
	s.allDefs = newIntMap(sc)
	s.modAttr = newIntMap(sc / 4)
	s.modName = newIntMap(sc / 2)
	s.instField = newIntMap(d / 3)
	s.containerAt = newIntMap(e / 32)
	s.elems = newIntMap(e / 64)
	s.sites = newIntSet(e / 32)
	s.lookupAt = newIntMap(e / 8)
	s.callEdges = newIntMap(e / 16)
	s.delivered = newIntSet(e / 8)
	s.bound = newIntSet(e / 8)
	s.classes = make([]*classInfo, nScopes)
	s.superAt = map[superKey]int32{}
	s.nameIDs = make(map[string]int32, d/6)
	for _, n := range fixedNames {
		s.name(n)
	}
	s.superBound = map[[2]int32]bool{}
	s.trackedStr = map[string]bool{}
	s.builtinCalls = map[int32]map[string]bool{}
	s.extCall = map[int32]map[string]int{}
	s.storeTarget = make([]bool, e)
	s.typedRead = map[int32]int32{}
	s.typedField = map[uint64]int32{}
	s.typedAt = map[int32]*typedState{}
	s.callbackType = map[int32]int32{}
	s.defNode = make([]int32, d)
	s.exprNode = make([]int32, e)
	for k := range s.exprNode {
		s.exprNode[k] = exprPending
	}
	s.strNames = make([]int32, int(nStrs))
	s.retNode = make([]int32, sc)
	s.yieldNode = make([]int32, sc)
	s.caller = make([]int32, sc)
	s.nodes = make([]node, 0, d+e)
	s.arena = make([]int32, 0, 7*e)
	s.cons = make([]constraint, 0, e*3/5)
	s.args = make([]callArg, 0, e/6)
	s.lookups = make([]lookup, 0, e/8)
	s.unresolved = make([]unresolvedCall, 0, e/8)
	return s
}

func (s *solver) mod(k int32) *module { return s.ix.mods[k] }
func (s *solver) scope(g int32) *extract.Scope {
	r := s.scopes[g]
	return &s.ix.mods[r.mod].ir.Scopes[r.local]
}
func (s *solver) gscope(mod int32, local extract.ScopeID) int32 {
	return s.scopeBase[mod] + local
}

// ---- setup ----

func (s *solver) setup() error {
	for mi, m := range s.ix.mods {
		if m.ir == nil {
			continue
		}
		s.collectTracked(m.ir)
		for k := range m.ir.Defs {
			s.defNode[s.defBase[mi]+int32(k)] = s.newNode()
		}
		for k := range m.ir.Scopes {
			g := s.gscope(int32(mi), extract.ScopeID(k))
			sc := &m.ir.Scopes[k]
			s.retNode[g], s.yieldNode[g] = -1, -1
			if sc.Kind == extract.ScopeFunction || sc.Kind == extract.ScopeLambda {
				s.retNode[g] = s.newNode()
				if sc.IsGenerator {
					s.yieldNode[g] = s.newNode()
				}
			}
			if sc.Kind == extract.ScopeClass {
				s.classInfo(g)
			}
			c := g
			for s.scope(c).Kind == extract.ScopeClass || s.scope(c).Inline {
				c = s.gscope(int32(mi), s.scope(c).Parent)
			}
			s.caller[g] = c
		}
		for k := range m.ir.Stores {
			st := m.ir.Stores[k]
			s.storeTarget[s.exprBase[mi]+st.Target] = true
		}
	}
	s.setupTypes()
	for mi, m := range s.ix.mods {
		if m.ir == nil {
			continue
		}
		if err := s.ctx.Err(); err != nil {
			return err
		}
		mod := int32(mi)
		// Expressions are compiled on demand from what has effects: calls,
		// raise, iteration and with (below), definitions, stores, returns
		// and bases. Loads whose value nothing uses (operands of arithmetic
		// or comparisons, conditions) never become nodes.
		for k := range m.ir.Exprs {
			switch m.ir.Exprs[k].Kind {
			case extract.ExprCall, extract.ExprRaise, extract.ExprIter, extract.ExprEnter:
				s.compile(mod, extract.ExprID(k))
			}
		}
		for k := range m.ir.Defs {
			d := &m.ir.Defs[k]
			if d.Kind == extract.DefValue {
				s.edge(s.compile(mod, d.Value), s.defNode[s.defBase[mi]+int32(k)])
			}
		}
		for _, st := range m.ir.Stores {
			s.compileStore(mod, st)
		}
		s.compileTypes(mod)
		for k := range m.ir.Scopes {
			s.setupScope(mod, extract.ScopeID(k))
		}
	}
	return nil
}

// collectTracked records string literals used as keys, so that constants
// flowing to subscripts can pick dict slots.
func (s *solver) collectTracked(ir *extract.Module) {
	for k := range ir.Exprs {
		e := &ir.Exprs[k]
		switch e.Kind {
		case extract.ExprPair:
			if e.X != extract.NoExpr && ir.Exprs[e.X].Kind == extract.ExprStr {
				s.trackedStr[ir.Str(&ir.Exprs[e.X])] = true
			}
		case extract.ExprSubscript:
			if e.Y != extract.NoExpr && ir.Exprs[e.Y].Kind == extract.ExprStr {
				s.trackedStr[ir.Str(&ir.Exprs[e.Y])] = true
			}
		case extract.ExprCall:
			if fx := e.X; fx != extract.NoExpr && ir.Exprs[fx].Kind == extract.ExprName && e.Args.Len >= 2 {
				switch ir.Str(&ir.Exprs[fx]) {
				case "getattr", "setattr", "hasattr":
					if a := &ir.Exprs[ir.ArgsOf(e)[1]]; a.Kind == extract.ExprStr {
						s.trackedStr[ir.Str(a)] = true
					}
				}
			}
		}
	}
}

func (s *solver) setupScope(mod int32, local extract.ScopeID) {
	g := s.gscope(mod, local)
	sc := s.scope(g)
	for _, r := range sc.Returns {
		s.edge(s.compile(mod, r), s.retNode[g])
	}
	for _, y := range sc.Yields {
		s.edge(s.compile(mod, y), s.yieldNode[g])
	}
	db := s.defBase[mod]
	for k, p := range sc.Params {
		pn := s.defNode[db+p.Def]
		if p.Default != extract.NoExpr {
			s.edge(s.compile(mod, p.Default), pn)
		}
		switch p.Kind {
		case extract.ParamVarArgs:
			s.add(pn, s.containerVal(siteKey{site: -1 - g, tag: 1}, ctTuple, -1))
		case extract.ParamKwArgs:
			s.add(pn, s.containerVal(siteKey{site: -1 - g, tag: 2}, ctDict, -1))
		}
		if k == 0 && sc.Kind == extract.ScopeFunction && !sc.IsStatic && sc.Parent >= 0 {
			parent := s.gscope(mod, sc.Parent)
			if s.scope(parent).Kind == extract.ScopeClass && p.Kind == extract.ParamPositional {
				if sc.IsClassMethod {
					s.add(pn, s.vals.intern(value{kind: vClass, a: parent}))
				} else {
					s.add(pn, s.vals.intern(value{kind: vInst, a: parent}))
				}
			}
		}
	}
	if sc.Kind == extract.ScopeClass {
		ci := s.classInfo(g)
		for _, b := range sc.Bases {
			n := s.compile(mod, b)
			ci.baseNodes = append(ci.baseNodes, n)
		}
		c := s.newCons(constraint{kind: cBases, class: g})
		for _, n := range ci.baseNodes {
			s.watch(n, c)
		}
	}
}

// ---- values and containers ----

func (s *solver) constNode(v int32) int32 {
	n := s.newNode()
	s.add(n, v)
	return n
}

func (s *solver) strConst(str string) int32 {
	return s.vals.intern(value{kind: vConst, s: "s:" + str})
}

func (s *solver) intConst(i int64) int32 {
	// Small constants (positions, literal keys) are cached by value.
	if i >= 0 && i < int64(len(s.smallInts)) {
		if id := s.smallInts[i]; id > 0 {
			return id - 1
		}
	}
	id := s.vals.intern(value{kind: vConst, s: "i:" + strconv.FormatInt(i, 10)})
	if i >= 0 && i < int64(len(s.smallInts)) {
		s.smallInts[i] = id + 1
	}
	return id
}

// containerVal returns the value of the container created at site.
func (s *solver) containerVal(site siteKey, kind containerKind, length int32) int32 {
	if c, ok := s.containerAt.get(site.pack()); ok {
		return s.containers[c].val
	}
	c := int32(len(s.containers))
	any := s.newNode()
	v := s.vals.intern(value{kind: vContainer, a: c})
	s.containers = append(s.containers, container{kind: kind, length: length, any: any, all: -1, keys: -1, val: v})
	s.containerAt.put(site.pack(), c)
	return v
}

// slot returns the node holding values stored under constant key k.
func (s *solver) slot(c int32, k int32) int32 {
	ct := &s.containers[c]
	if n, ok := ct.slots[k]; ok {
		return n
	}
	n := s.newNode()
	ct = &s.containers[c]
	if ct.slots == nil {
		ct.slots = map[int32]int32{}
	}
	ct.slots[k] = n
	if ct.all >= 0 {
		s.edge(n, ct.all)
	}
	if ct.kind == ctDict {
		s.add(s.keysNode(c), k)
	}
	return n
}

// allNode is the union of every slot of container c.
func (s *solver) allNode(c int32) int32 {
	if s.containers[c].all >= 0 {
		return s.containers[c].all
	}
	n := s.newNode()
	s.containers[c].all = n
	s.edge(s.containers[c].any, n)
	for _, sn := range s.sortedSlots(c) {
		s.edge(sn, n)
	}
	return n
}

func (s *solver) sortedSlots(c int32) []int32 {
	ct := &s.containers[c]
	keys := make([]int32, 0, len(ct.slots))
	for k := range ct.slots {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
	out := make([]int32, len(keys))
	for i, k := range keys {
		out[i] = ct.slots[k]
	}
	return out
}

func (s *solver) keysNode(c int32) int32 {
	if s.containers[c].keys < 0 {
		s.containers[c].keys = s.newNode()
	}
	return s.containers[c].keys
}

// ---- names ----

func (s *solver) allDefsNode(g int32, name int32) int32 {
	key := pairKey(g, name)
	if n, ok := s.allDefs.get(key); ok {
		return n
	}
	n := s.newNode()
	s.allDefs.put(key, n)
	r := s.scopes[g]
	db := s.defBase[r.mod]
	for _, d := range s.mod(r.mod).ir.LocalDefs(r.local, s.names[name]) {
		s.edge(s.readNode(db+d), n)
	}
	return n
}

// moduleAttrNode is `module.name` seen from outside: the module's global,
// a submodule, or a name it star-imports.
func (s *solver) moduleAttrNode(mod int32, name int32) int32 {
	key := pairKey(mod, name)
	if n, ok := s.modAttr.get(key); ok {
		return n
	}
	n := s.newNode()
	s.modAttr.put(key, n)
	m := s.mod(mod)
	if m.js {
		s.edge(s.allDefsNode(s.gscope(mod, 0), name), n)
		s.starLookup(mod, name, n)
		return n
	}
	if sub := s.ix.lookup(m.name + "." + s.names[name]); sub >= 0 {
		s.add(n, s.vals.intern(value{kind: vModule, a: int32(sub)}))
	}
	if m.ir == nil {
		return n
	}
	g := s.gscope(mod, 0)
	local := m.ir.Binds(0, s.names[name])
	if local || len(m.ir.Scopes[0].StarImports) == 0 {
		s.edge(s.allDefsNode(g, name), n)
		if local {
			return n
		}
	}
	s.starLookup(mod, name, n)
	return n
}

// starLookup adds name as seen through the star imports of mod.
func (s *solver) starLookup(mod int32, name int32, into int32) {
	m := s.mod(mod)
	str := s.names[name]
	if m.js {
		s.jsStarLookup(mod, name, into)
		return
	}
	if strings.HasPrefix(str, "_") {
		return
	}
	for _, im := range m.ir.Scopes[0].StarImports {
		imp := &m.ir.Imports[im]
		target := s.importTarget(mod, imp)
		if target >= 0 {
			tm := s.mod(int32(target))
			if tm.ir != nil && tm.ir.HasAll && !contains(tm.ir.DunderAll, str) {
				continue
			}
			s.edge(s.moduleAttrNode(int32(target), name), into)
			continue
		}
		if imp.Level == 0 && imp.Module != "" && !pystd.IsBuiltin(str) && len(m.ir.Scopes[0].StarImports) == 1 {
			s.add(into, s.vals.intern(value{kind: vExternal, s: imp.Module + "." + str}))
		}
	}
}

func contains(list []string, x string) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

// moduleNameNode resolves a global name read inside module mod.
func (s *solver) moduleNameNode(mod int32, str string) int32 {
	name := s.name(str)
	key := pairKey(mod, name)
	if n, ok := s.modName.get(key); ok {
		return n
	}
	m := s.mod(mod)
	g := s.gscope(mod, 0)
	var n int32
	if m.ir.Binds(0, str) {
		n = s.allDefsNode(g, name)
	} else {
		n = s.newNode()
		if len(m.ir.Scopes[0].StarImports) > 0 {
			s.starLookup(mod, name, n)
		}
		switch {
		case m.js:
			s.jsGlobal(n, str)
		case pystd.IsBuiltin(str):
			s.add(n, s.vals.intern(value{kind: vBuiltin, s: str}))
		}
	}
	s.modName.put(key, n)
	return n
}

// importTarget resolves the module an import statement names, or -1.
func (s *solver) importTarget(mod int32, imp *extract.Import) int {
	if imp.Level > 0 {
		_, k := s.ix.resolveRelative(imp.Level, imp.Module, int(mod))
		return k
	}
	return s.ix.resolveAbsolute(imp.Module, int(mod))
}

// importNode is the value an import binds.
func (s *solver) importNode(mod int32, id extract.ImportID) int32 {
	m := s.mod(mod)
	imp := &m.ir.Imports[id]
	if imp.Specifier {
		return s.jsImportNode(mod, imp)
	}
	n := s.newNode()
	if imp.Name == "" {
		target := s.ix.resolveAbsolute(imp.Module, int(mod))
		switch {
		case target >= 0 && imp.BindsTop:
			if top := s.ix.topOf(target, imp.Module); top >= 0 {
				s.add(n, s.vals.intern(value{kind: vModule, a: int32(top)}))
			}
		case target >= 0:
			s.add(n, s.vals.intern(value{kind: vModule, a: int32(target)}))
		case imp.BindsTop:
			top, _, _ := strings.Cut(imp.Module, ".")
			if t := s.ix.resolveAbsolute(top, int(mod)); t >= 0 {
				s.add(n, s.vals.intern(value{kind: vModule, a: int32(t)}))
			} else {
				s.add(n, s.vals.intern(value{kind: vExternal, s: top}))
			}
		default:
			s.add(n, s.vals.intern(value{kind: vExternal, s: imp.Module}))
		}
		return n
	}
	var target int
	var full string
	if imp.Level > 0 {
		full, target = s.ix.resolveRelative(imp.Level, imp.Module, int(mod))
	} else {
		full, target = imp.Module, s.ix.resolveAbsolute(imp.Module, int(mod))
	}
	switch {
	case target >= 0:
		s.edge(s.moduleAttrNode(int32(target), s.name(imp.Name)), n)
	case full != "" && imp.Level > 0:
		// A relative import of a module the walker did not see (excluded or broken).
		if sub := s.ix.lookup(full + "." + imp.Name); sub >= 0 {
			s.add(n, s.vals.intern(value{kind: vModule, a: int32(sub)}))
		}
	case imp.Level == 0:
		s.add(n, s.vals.intern(value{kind: vExternal, s: imp.Module + "." + imp.Name}))
	}
	return n
}
