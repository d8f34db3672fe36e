package callgraph

import (
	"github.com/query4code/query4code/services/parser/internal/extract"
)

// consKind is the kind of a constraint: what happens when a value reaches
// the node it watches (base, unless said otherwise). Each kind reads the
// fields named here; the others are unused.
type consKind uint8

const (
	// cAttrLoad: result = base.name, for every value of base: a module's
	// attribute, a class's or instance's attribute through the MRO (bound
	// for methods, called for properties), or an external path extended.
	cAttrLoad consKind = iota
	// cAttrStore: base.name = val, for every instance, class or module
	// value of base.
	cAttrStore
	// cCall: result = base(args...) at site, attributed to caller: a call
	// edge to every function, method or class (its __init__) reaching
	// base; recv is the receiver already bound, -1 if none. Options:
	// decorator, raise.
	cCall
	// cSubLoad: result = base[key]; fires for new containers on base and
	// for new keys on key. Option: anyKey.
	cSubLoad
	// cSubStore: base[key] = val; fires as cSubLoad. Option: anyKey.
	cSubStore
	// cSlice: result = base[index:]: a new list of the elements from
	// index on. Option: anyStart.
	cSlice
	// cIter: result = the elements of iterating base (for loops,
	// comprehensions): a container's elements, a generator's yields, or
	// __iter__ called on an instance.
	cIter
	// cIterNext: result = next(base): __next__ called on the iterator an
	// instance's __iter__ returned.
	cIterNext
	// cUnpack: result = the element at index of unpacking base, after
	// elements following a starred target. Option: starred.
	cUnpack
	// cEnter: result = the value a with statement binds: __enter__'s
	// return for instances, the value itself otherwise.
	cEnter
	// cInstance: result = instances of the classes in base (a declared
	// TypeScript type), with no constructor call.
	cInstance
	// cBases: the bases of class changed; recompute its MRO and those of
	// its subclasses, refreshing their lookups.
	cBases
	// cBind: result = the functions found on class bound to recv (the
	// instance or class an attribute was read on). Option: onClass.
	cBind
	// cDeliver: result = base's values, calling property getters found on
	// the way (an edge from caller to each getter).
	cDeliver
	// cSuperRecv: result = super().name in class, once the receiver
	// (base: self or cls) is known.
	cSuperRecv
	// cDictMerge: every slot of the containers reaching base flows into
	// the same slot of container class (dict(x), d.update(x), **x).
	cDictMerge
	// cAllOf: result = every element of the containers reaching base.
	cAllOf
	// cFilter: result = base's values except external ones: how
	// arguments reach parameters, so a widely called function does not
	// gather every caller's external objects.
	cFilter
	// cTyped: result = base's values that fit the declared type whose
	// classes reach key; fires for new values on base and new classes on
	// key (jstypes.go).
	cTyped
	// cCallbackType: the classes of key (the declared type of parameter
	// index of a function type) type that parameter of the unnamed
	// callbacks reaching base (jstypes.go).
	cCallbackType
)

type argKind uint8

const (
	argPos argKind = iota
	argStar
	argKw
	argDStar
)

type callArg struct {
	kind argKind
	name int32 // keyword name id
	node int32
}

// argList is a call's arguments: s.args[off:off+n].
type argList struct{ off, n int32 }

func (s *solver) argsOf(l argList) []callArg {
	return s.args[l.off : l.off+l.n : l.off+l.n]
}

func (s *solver) newArgs(args ...callArg) argList {
	off := int32(len(s.args))
	s.args = append(s.args, args...)
	return argList{off, int32(len(args))}
}

// constraint is one reaction to new values; which fields matter depends on
// kind (see consKind). It holds no pointers and fits one cache line.
type constraint struct {
	kind consKind
	// Options of one kind each.
	decorator bool  // cCall: applies a decorator, so staticmethod(f) and the like pass nothing through
	raise     bool  // cCall: a raise statement, which only instantiates classes
	anyKey    bool  // cSubLoad, cSubStore: the key is unknown, so every slot is read or written
	anyStart  bool  // cSlice: the start is not a constant, so the slice holds every element
	starred   bool  // cUnpack: the target is *rest, which receives a list of the remaining elements
	onClass   bool  // cBind: the attribute is read on the class object, so plain functions stay unbound
	base      int32 // watched node (base, callee, source)
	key       int32 // subscript key node
	val       int32 // stored value node
	result    int32
	name      int32 // name id
	caller    int32 // function or module the code belongs to (global scope)
	site      int32 // global expr id, for per-site allocations
	class     int32 // class scope (bases, super, bind)
	recv      int32 // receiver value of a bound call or bind, -1 if none
	after     int32
	args      argList
	index     int64
}

func (s *solver) newCons(c constraint) int32 {
	s.cons = append(s.cons, c)
	return int32(len(s.cons) - 1)
}

// compile returns the node holding the values of expression e of module
// mod (-1 when untracked), creating the constraints it needs once.
func (s *solver) compile(mod int32, e extract.ExprID) int32 {
	if e == extract.NoExpr {
		return -1
	}
	gid := s.exprBase[mod] + e
	if n := s.exprNode[gid]; n != exprPending {
		return n
	}
	s.exprNode[gid] = -1 // guards against cycles through malformed IR
	n := s.compileExpr(mod, e, gid)
	s.exprNode[gid] = n
	return n
}

func (s *solver) compileExpr(mod int32, e extract.ExprID, gid int32) int32 {
	m := s.mod(mod)
	ex := &m.ir.Exprs[e]
	g := s.gscope(mod, ex.Scope)
	caller := s.caller[g]
	if s.storeTarget[gid] {
		// Assignment targets are handled by compileStore; only their
		// sub-expressions are evaluated here.
		s.compile(mod, ex.X)
		s.compile(mod, ex.Y)
		return -1
	}
	switch ex.Kind {
	case extract.ExprOpaque:
		for _, a := range m.ir.ArgsOf(ex) {
			s.compile(mod, a)
		}
		return -1
	case extract.ExprName:
		return s.useNode(mod, ex.Use)
	case extract.ExprAttr:
		base := s.compile(mod, ex.X)
		if base < 0 {
			return -1
		}
		r := s.newNode()
		c := s.newCons(constraint{kind: cAttrLoad, base: base, name: s.strName(mod, ex.Str), result: r, caller: caller, site: gid})
		s.watch(base, c)
		return r
	case extract.ExprCall:
		fn := s.compile(mod, ex.X)
		args := s.compileArgs(mod, m.ir.ArgsOf(ex), caller, gid)
		r := s.newNode()
		s.calls++
		if fn < 0 || (ex.X != extract.NoExpr && m.ir.Exprs[ex.X].Kind == extract.ExprOpaque) {
			s.noteUnresolved(mod, ex.X, caller, -1)
			return r
		}
		c := s.newCons(constraint{kind: cCall, base: fn, args: args, result: r, caller: caller, site: gid, recv: -1, decorator: ex.Flag})
		if ex.Flag {
			s.decorators = append(s.decorators, c)
		}
		s.noteUnresolved(mod, ex.X, caller, fn)
		s.watch(fn, c)
		return r
	case extract.ExprSubscript:
		base := s.compile(mod, ex.X)
		key := s.compile(mod, ex.Y)
		if base < 0 {
			return -1
		}
		r := s.newNode()
		c := s.newCons(constraint{kind: cSubLoad, base: base, key: key, result: r, site: gid, caller: caller, anyKey: ex.Y == extract.NoExpr || key < 0})
		s.watch(base, c)
		if key >= 0 {
			s.watch(key, c)
			if m.ir.Exprs[ex.Y].Kind != extract.ExprStr && m.ir.Exprs[ex.Y].Kind != extract.ExprInt {
				s.keyLoads = append(s.keyLoads, c)
			}
		}
		return r
	case extract.ExprSlice:
		base := s.compile(mod, ex.X)
		if base < 0 {
			return -1
		}
		r := s.newNode()
		c := s.newCons(constraint{kind: cSlice, base: base, result: r, site: gid, index: int64(ex.Int), anyStart: ex.Flag})
		s.watch(base, c)
		return r
	case extract.ExprTuple, extract.ExprList, extract.ExprSet:
		kind := ctTuple
		switch ex.Kind {
		case extract.ExprList:
			kind = ctList
		case extract.ExprSet:
			kind = ctSet
		}
		elems := m.ir.ArgsOf(ex)
		length := int32(len(elems))
		for _, a := range elems {
			if m.ir.Exprs[a].Kind == extract.ExprStarred {
				length = -1
			}
		}
		v := s.containerVal(siteKey{site: gid}, kind, length)
		c := s.vals.list[v].a
		positional := true
		for k, a := range elems {
			ae := &m.ir.Exprs[a]
			if ae.Kind == extract.ExprStarred {
				positional = false
				s.edge(s.elemsNode(s.compile(mod, ae.X), caller, s.exprBase[mod]+a), s.containers[c].any)
				continue
			}
			n := s.compile(mod, a)
			if n < 0 {
				continue
			}
			if positional && kind != ctSet {
				s.edge(n, s.slot(c, s.intConst(int64(k))))
			} else {
				s.edge(n, s.containers[c].any)
			}
		}
		return s.constNode(v)
	case extract.ExprDict:
		v := s.containerVal(siteKey{site: gid}, ctDict, -1)
		c := s.vals.list[v].a
		for _, a := range m.ir.ArgsOf(ex) {
			ae := &m.ir.Exprs[a]
			switch ae.Kind {
			case extract.ExprPair:
				val := s.compile(mod, ae.Y)
				if k := s.literalKey(mod, ae.X); k >= 0 {
					s.edge(val, s.slot(c, k))
					continue
				}
				key := s.compile(mod, ae.X)
				cn := s.constNode(v)
				st := s.newCons(constraint{kind: cSubStore, base: cn, key: key, val: val})
				s.watch(cn, st)
				s.watch(key, st)
			case extract.ExprDoubleStarred:
				src := s.compile(mod, ae.X)
				mc := s.newCons(constraint{kind: cDictMerge, base: src, class: c})
				s.watch(src, mc)
			}
		}
		return s.constNode(v)
	case extract.ExprPair:
		s.compile(mod, ex.X)
		s.compile(mod, ex.Y)
		return -1
	case extract.ExprFunc:
		return s.constNode(s.vals.intern(value{kind: vFunc, a: s.gscope(mod, ex.Int)}))
	case extract.ExprClass:
		return s.constNode(s.vals.intern(value{kind: vClass, a: s.gscope(mod, ex.Int)}))
	case extract.ExprStr:
		if str := m.ir.Str(ex); s.trackedStr[str] {
			return s.constNode(s.strConst(str))
		}
		return -1
	case extract.ExprInt:
		if ex.Int >= -4096 && ex.Int <= 4096 {
			return s.constNode(s.intConst(int64(ex.Int)))
		}
		return -1
	case extract.ExprUnion:
		r := s.newNode()
		for _, a := range m.ir.ArgsOf(ex) {
			s.edge(s.compile(mod, a), r)
		}
		return r
	case extract.ExprStarred, extract.ExprDoubleStarred, extract.ExprKeyword:
		return s.compile(mod, ex.X)
	case extract.ExprUnpack:
		src := s.compile(mod, ex.X)
		if src < 0 {
			return -1
		}
		r := s.newNode()
		c := s.newCons(constraint{kind: cUnpack, base: src, result: r, index: int64(ex.Int), after: ex.Int2, starred: ex.Flag, site: gid, caller: caller})
		s.watch(src, c)
		return r
	case extract.ExprIter:
		return s.elemsNode(s.compile(mod, ex.X), caller, gid)
	case extract.ExprEnter:
		src := s.compile(mod, ex.X)
		if src < 0 {
			return -1
		}
		r := s.newNode()
		c := s.newCons(constraint{kind: cEnter, base: src, result: r, caller: caller, site: gid})
		s.watch(src, c)
		return r
	case extract.ExprComp:
		kind := ctList
		switch extract.ExprKind(ex.Int) {
		case extract.ExprSet:
			kind = ctSet
		case extract.ExprDict:
			kind = ctDict
		case extract.ExprIter:
			kind = ctIter
		}
		v := s.containerVal(siteKey{site: gid}, kind, -1)
		c := s.vals.list[v].a
		if ex.X != extract.NoExpr && m.ir.Exprs[ex.X].Kind == extract.ExprPair {
			p := &m.ir.Exprs[ex.X]
			s.compile(mod, p.X)
			s.edge(s.compile(mod, p.Y), s.containers[c].any)
		} else {
			s.edge(s.compile(mod, ex.X), s.containers[c].any)
		}
		return s.constNode(v)
	case extract.ExprImport:
		return s.importNode(mod, ex.Int)
	case extract.ExprInstance:
		src := s.compile(mod, ex.X)
		if src < 0 {
			return -1
		}
		r := s.newNode()
		c := s.newCons(constraint{kind: cInstance, base: src, result: r})
		s.watch(src, c)
		return r
	case extract.ExprRaise:
		src := s.compile(mod, ex.X)
		if src < 0 {
			return -1
		}
		c := s.newCons(constraint{kind: cCall, base: src, result: s.newNode(), caller: caller, site: gid, recv: -1, raise: true})
		s.watch(src, c)
		return -1
	}
	return -1
}

// literalKey returns the constant value of a literal key expression, or -1.
func (s *solver) literalKey(mod int32, e extract.ExprID) int32 {
	if e == extract.NoExpr {
		return -1
	}
	ex := &s.mod(mod).ir.Exprs[e]
	switch ex.Kind {
	case extract.ExprStr:
		return s.strConst(s.mod(mod).ir.Str(ex))
	case extract.ExprInt:
		return s.intConst(int64(ex.Int))
	}
	return -1
}

func (s *solver) compileArgs(mod int32, args []extract.ExprID, caller, site int32) argList {
	if len(args) == 0 {
		return argList{}
	}
	m := s.mod(mod)
	// Arguments compile to a stack first: nested calls push theirs on top
	// and pop them before this call continues.
	base := len(s.argStack)
	for _, a := range args {
		ae := &m.ir.Exprs[a]
		var arg callArg
		switch ae.Kind {
		case extract.ExprKeyword:
			arg = callArg{kind: argKw, name: s.strName(mod, ae.Str), node: s.compile(mod, ae.X)}
		case extract.ExprStarred:
			arg = callArg{kind: argStar, node: s.elemsNode(s.compile(mod, ae.X), caller, s.exprBase[mod]+a)}
		case extract.ExprDoubleStarred:
			src := s.compile(mod, ae.X)
			n := s.newNode()
			if src >= 0 {
				c := s.newCons(constraint{kind: cAllOf, base: src, result: n})
				s.watch(src, c)
			}
			arg = callArg{kind: argDStar, node: n}
		default:
			arg = callArg{kind: argPos, node: s.compile(mod, a)}
		}
		s.argStack = append(s.argStack, arg)
	}
	out := s.newArgs(s.argStack[base:]...)
	s.argStack = s.argStack[:base]
	return out
}

// elemsNode is the node of the elements obtained by iterating src.
func (s *solver) elemsNode(src int32, caller, site int32) int32 {
	if src < 0 {
		return -1
	}
	key := siteKey{site: site, tag: -src - 1}
	if n, ok := s.elems.get(key.pack()); ok {
		return n
	}
	r := s.newNode()
	s.elems.put(key.pack(), r)
	c := s.newCons(constraint{kind: cIter, base: src, result: r, caller: caller, site: site})
	s.watch(src, c)
	return r
}

func (s *solver) useNode(mod int32, u extract.UseID) int32 {
	m := s.mod(mod)
	use := &m.ir.Uses[u]
	db := s.defBase[mod]
	defs := m.ir.DefsOf(use)
	if len(defs) == 1 {
		return s.readNode(db + defs[0])
	}
	if len(defs) > 1 {
		r := s.newNode()
		for _, d := range defs {
			s.edge(s.readNode(db+d), r)
		}
		return r
	}
	if use.Target == 0 {
		return s.moduleNameNode(mod, use.Name)
	}
	return s.allDefsNode(s.gscope(mod, use.Target), s.name(use.Name))
}

func (s *solver) compileStore(mod int32, st extract.Store) {
	m := s.mod(mod)
	t := &m.ir.Exprs[st.Target]
	g := s.gscope(mod, t.Scope)
	val := s.compile(mod, st.Value)
	base := s.compile(mod, t.X)
	if base < 0 || val < 0 {
		return
	}
	switch t.Kind {
	case extract.ExprAttr:
		c := s.newCons(constraint{kind: cAttrStore, base: base, name: s.strName(mod, t.Str), val: val, caller: s.caller[g]})
		s.watch(base, c)
	case extract.ExprSubscript:
		key := s.compile(mod, t.Y)
		c := s.newCons(constraint{kind: cSubStore, base: base, key: key, val: val})
		s.watch(base, c)
		s.watch(key, c)
	}
}

// noteUnresolved remembers a call whose callee may stay unknown, for the
// name-matching fallback.
func (s *solver) noteUnresolved(mod int32, fx extract.ExprID, caller, fn int32) {
	if fx == extract.NoExpr {
		return
	}
	e := &s.mod(mod).ir.Exprs[fx]
	switch e.Kind {
	case extract.ExprAttr:
		s.unresolved = append(s.unresolved, unresolvedCall{caller: caller, fn: fn, name: s.strName(mod, e.Str), attr: true})
	case extract.ExprName:
		s.unresolved = append(s.unresolved, unresolvedCall{caller: caller, fn: fn, name: s.strName(mod, e.Str)})
	}
}
