package callgraph

import (
	"strings"
	"unicode"

	"github.com/query4code/query4code/services/parser/internal/extract"
)

// fire runs constraint c for the new values delta of node n.
func (s *solver) fire(ci int32, n int32, delta []int32) {
	c := &s.cons[ci]
	switch c.kind {
	case cAttrLoad:
		for _, v := range delta {
			s.attrLoad(ci, v)
		}
	case cAttrStore:
		for _, v := range delta {
			s.attrStore(c, v)
		}
	case cCall:
		for _, v := range delta {
			s.callValue(ci, v)
		}
	case cInstance:
		for _, v := range delta {
			switch val := s.vals.list[v]; val.kind {
			case vClass:
				s.add(c.result, s.vals.intern(value{kind: vInst, a: val.a}))
			case vExternal:
				s.add(c.result, s.vals.intern(value{kind: vExtInst, s: val.s}))
			}
		}
	case cSubLoad:
		if n == c.key && n != c.base {
			// New keys: revisit every container seen so far.
			for _, v := range s.doneVals(c.base) {
				s.subLoad(ci, v, delta)
			}
			return
		}
		for _, v := range delta {
			s.subLoad(ci, v, nil)
		}
	case cSubStore:
		if n == c.key && n != c.base {
			for _, v := range s.doneVals(c.base) {
				s.subStore(ci, v, delta)
			}
			return
		}
		for _, v := range delta {
			s.subStore(ci, v, nil)
		}
	case cSlice:
		for _, v := range delta {
			s.slice(c, v)
		}
	case cIter:
		for _, v := range delta {
			s.iterValue(v, c.result, c.caller, c.site)
		}
	case cIterNext:
		for _, v := range delta {
			s.iterNext(v, c.result, c.caller, c.site)
		}
	case cUnpack:
		for _, v := range delta {
			s.unpack(ci, v)
		}
	case cEnter:
		for _, v := range delta {
			s.enter(ci, v)
		}
	case cBases:
		s.updateBases(c.class)
	case cBind:
		for _, v := range delta {
			s.bind(c, v)
		}
	case cDeliver:
		for _, v := range delta {
			s.deliver(c, v)
		}
	case cSuperRecv:
		for _, v := range delta {
			s.superRecv(ci, v)
		}
	case cDictMerge:
		for _, v := range delta {
			s.dictMerge(c, v)
		}
	case cFilter:
		for _, v := range delta {
			if k := s.vals.list[v].kind; k != vExternal && k != vExtInst {
				s.add(c.result, v)
			}
		}
	case cTyped:
		s.fireTyped(ci, n, delta)
	case cCallbackType:
		s.callbackTypes(c, delta)
	case cAllOf:
		for _, v := range delta {
			if val := s.vals.list[v]; val.kind == vContainer {
				s.edge(s.allNode(val.a), c.result)
			}
		}
	}
}

// ---- attributes ----

// maxExternalDepth bounds the dots in an external API path.
const maxExternalDepth = 6

func (s *solver) attrLoad(ci int32, v int32) {
	c := s.cons[ci]
	val := s.vals.list[v]
	switch val.kind {
	case vInst:
		s.deliverFrom(s.lookupNode(lkInstAttr, val.a, c.name, -1, -1), c.result, c.caller)
	case vClass:
		s.deliverFrom(s.lookupNode(lkClassBound, val.a, c.name, -1, -1), c.result, c.caller)
	case vModule:
		s.edge(s.moduleAttrNode(val.a, c.name), c.result)
	case vExternal, vExtInst:
		// Attribute chains on values of other packages; loops such as
		// `node = node.parent` would otherwise grow them without end.
		if strings.Count(val.s, ".") < maxExternalDepth {
			s.add(c.result, s.vals.intern(value{kind: vExternal, s: val.s + "." + s.names[c.name]}))
		}
	case vBuiltin:
		switch {
		case val.b == builtinResult:
			s.add(c.result, v)
		case val.b == builtinDeep && strings.Count(val.s, ".") < maxExternalDepth:
			s.add(c.result, s.vals.intern(value{kind: vBuiltin, b: builtinDeep, s: val.s + "." + s.names[c.name]}))
		}
	case vContainer:
		if name := s.names[c.name]; containerMethods[name] {
			s.add(c.result, s.vals.intern(value{kind: vBuiltinMethod, a: v, s: name}))
		}
	case vSuper:
		self := s.firstParamNode(val.b)
		if self < 0 {
			return
		}
		key := siteKey{site: c.site, tag: -2 - val.a}
		if !s.sites.insert(key.pack()) {
			return
		}
		sc := s.newCons(constraint{kind: cSuperRecv, base: self, name: c.name, result: c.result, caller: c.caller, class: val.a})
		s.watch(self, sc)
	}
}

// deliverFrom moves the values of a shared lookup node into a load's
// result, calling property getters on the way.
func (s *solver) deliverFrom(src, result, caller int32) {
	if !s.delivered.insert(pairKey(src, result)) {
		return
	}
	c := s.newCons(constraint{kind: cDeliver, base: src, result: result, caller: caller})
	s.watch(src, c)
}

func (s *solver) deliver(c *constraint, v int32) {
	val := s.vals.list[v]
	if val.kind == vBound && s.scope(val.a).IsProperty {
		s.addEdge(c.caller, val.a, EdgeResolved)
		s.edge(s.retNode[val.a], c.result)
		return
	}
	s.add(c.result, v)
}

// bind turns functions found on a class into bound methods for the receiver.
func (s *solver) bind(c *constraint, v int32) {
	val := s.vals.list[v]
	if val.kind != vFunc {
		s.add(c.result, v)
		return
	}
	sc := s.scope(val.a)
	switch {
	case sc.IsStatic:
		s.add(c.result, v)
	case sc.IsClassMethod:
		recv := s.vals.list[c.recv]
		cls := recv.a
		s.add(c.result, s.vals.intern(value{kind: vBound, a: val.a, b: s.vals.intern(value{kind: vClass, a: cls})}))
	case c.onClass:
		// Read on the class object: a plain function stays unbound.
		s.add(c.result, v)
	default:
		s.add(c.result, s.vals.intern(value{kind: vBound, a: val.a, b: c.recv}))
	}
}

func (s *solver) superRecv(ci int32, v int32) {
	c := s.cons[ci]
	val := s.vals.list[v]
	if val.kind != vInst && val.kind != vClass {
		return
	}
	n := s.lookupNode(lkSuper, val.a, c.name, c.class, v)
	s.deliverFrom(n, c.result, c.caller)
}

func (s *solver) firstParamNode(fn int32) int32 {
	if fn < 0 {
		return -1
	}
	sc := s.scope(fn)
	if len(sc.Params) == 0 {
		return -1
	}
	return s.defNode[s.defBase[s.scopes[fn].mod]+sc.Params[0].Def]
}

func (s *solver) attrStore(c *constraint, v int32) {
	val := s.vals.list[v]
	switch val.kind {
	case vInst:
		s.edge(c.val, s.instFieldNode(val.a, c.name))
	case vClass:
		s.edge(c.val, s.allDefsNode(val.a, c.name))
		s.defineDynamic(val.a, c.name)
	case vModule:
		if s.mod(val.a).ir != nil {
			s.edge(c.val, s.allDefsNode(s.gscope(val.a, 0), c.name))
		}
	}
}

// ---- subscripts ----

func (s *solver) subLoad(ci int32, v int32, keys []int32) {
	c := s.cons[ci]
	val := s.vals.list[v]
	switch val.kind {
	case vContainer:
		ct := val.a
		if c.anyKey {
			s.edge(s.allNode(ct), c.result)
			return
		}
		if keys == nil {
			keys = s.doneVals(c.key)
		}
		for _, k := range keys {
			s.loadKey(ct, k, c.result)
		}
	case vInst:
		s.callMethod(ci, val.a, nameGetitem, v, []callArg{{kind: argPos, node: c.key}}, c.result, 1)
	}
}

func (s *solver) loadKey(ct int32, k int32, result int32) {
	kv := s.vals.list[k]
	if kv.kind != vConst {
		s.edge(s.allNode(ct), result)
		return
	}
	cont := &s.containers[ct]
	if strings.HasPrefix(kv.s, "i:-") && cont.kind != ctDict {
		if cont.length >= 0 {
			var i int64
			for _, ch := range kv.s[3:] {
				i = i*10 + int64(ch-'0')
			}
			if int64(cont.length)-i >= 0 {
				s.edge(s.slot(ct, s.intConst(int64(cont.length)-i)), result)
			}
		} else {
			s.edge(s.allNode(ct), result)
			return
		}
	} else {
		s.edge(s.slot(ct, k), result)
	}
	s.edge(s.containers[ct].any, result)
}

func (s *solver) subStore(ci int32, v int32, keys []int32) {
	c := s.cons[ci]
	val := s.vals.list[v]
	switch val.kind {
	case vContainer:
		ct := val.a
		if c.key < 0 || c.anyKey {
			s.edge(c.val, s.containers[ct].any)
			return
		}
		if keys == nil {
			keys = s.doneVals(c.key)
		}
		for _, k := range keys {
			if s.vals.list[k].kind == vConst {
				s.edge(c.val, s.slot(ct, k))
			} else {
				s.edge(c.val, s.containers[ct].any)
			}
		}
	case vInst:
		s.callMethod(ci, val.a, nameSetitem, v, []callArg{{kind: argPos, node: c.key}, {kind: argPos, node: c.val}}, -1, 2)
	}
}

func (s *solver) slice(c *constraint, v int32) {
	val := s.vals.list[v]
	if val.kind != vContainer {
		return
	}
	src := s.containers[val.a]
	nv := s.containerVal(siteKey{site: c.site, tag: 16}, ctList, -1)
	dst := s.vals.list[nv].a
	if c.anyStart || src.length < 0 {
		s.edge(s.allNode(val.a), s.containers[dst].any)
	} else {
		start := c.index
		if start < 0 {
			start += int64(src.length)
		}
		for j := max(start, 0); j < int64(src.length); j++ {
			s.edge(s.slot(val.a, s.intConst(j)), s.slot(dst, s.intConst(j-start)))
		}
		s.edge(src.any, s.containers[dst].any)
	}
	s.add(c.result, nv)
}

func (s *solver) dictMerge(c *constraint, v int32) {
	val := s.vals.list[v]
	if val.kind != vContainer {
		return
	}
	dst := c.class
	src := val.a
	ct := &s.containers[src]
	for k, n := range ct.slots {
		s.edge(n, s.slot(dst, k))
	}
	s.edge(s.containers[src].any, s.containers[dst].any)
}

// ---- iteration, unpacking, with ----

// iterValue adds the elements produced by iterating v to result.
func (s *solver) iterValue(v int32, result, caller, site int32) {
	val := s.vals.list[v]
	switch val.kind {
	case vContainer:
		if s.containers[val.a].kind == ctDict {
			s.edge(s.keysNode(val.a), result)
			return
		}
		s.edge(s.allNode(val.a), result)
	case vGenerator:
		s.edge(s.yieldNode[val.a], result)
	case vInst:
		key := siteKey{site: site, tag: -100 - val.a}
		if !s.sites.insert(key.pack()) {
			return
		}
		itRes := s.newNode()
		fn := s.lookupNode(lkClassAttr, val.a, nameIter, -1, -1)
		cc := s.newCons(constraint{kind: cCall, base: fn, result: itRes, caller: caller, site: site, recv: v})
		s.watch(fn, cc)
		nc := s.newCons(constraint{kind: cIterNext, base: itRes, result: result, caller: caller, site: site})
		s.watch(itRes, nc)
	}
}

func (s *solver) iterNext(v int32, result, caller, site int32) {
	val := s.vals.list[v]
	switch val.kind {
	case vInst:
		key := siteKey{site: site, tag: -100000 - val.a}
		if !s.sites.insert(key.pack()) {
			return
		}
		fn := s.lookupNode(lkClassAttr, val.a, nameNext, -1, -1)
		cc := s.newCons(constraint{kind: cCall, base: fn, result: result, caller: caller, site: site, recv: v})
		s.watch(fn, cc)
	default:
		s.iterValue(v, result, caller, site)
	}
}

func (s *solver) unpack(ci int32, v int32) {
	c := s.cons[ci]
	val := s.vals.list[v]
	if val.kind != vContainer {
		s.iterValue(v, c.result, c.caller, c.site)
		return
	}
	ct := s.containers[val.a]
	if ct.kind != ctTuple && ct.kind != ctList {
		s.iterValue(v, c.result, c.caller, c.site)
		return
	}
	if c.starred {
		nv := s.containerVal(siteKey{site: c.site, tag: 17}, ctList, -1)
		dst := s.vals.list[nv].a
		if ct.length >= 0 {
			for j := c.index; j < int64(ct.length)-int64(c.after); j++ {
				s.edge(s.slot(val.a, s.intConst(j)), s.containers[dst].any)
			}
			s.edge(ct.any, s.containers[dst].any)
		} else {
			s.edge(s.allNode(val.a), s.containers[dst].any)
		}
		s.add(c.result, nv)
		return
	}
	idx := c.index
	if idx < 0 {
		if ct.length < 0 {
			s.edge(s.allNode(val.a), c.result)
			return
		}
		idx += int64(ct.length)
	}
	if ct.length >= 0 || idx >= 0 {
		s.edge(s.slot(val.a, s.intConst(idx)), c.result)
	}
	s.edge(ct.any, c.result)
}

func (s *solver) enter(ci int32, v int32) {
	c := s.cons[ci]
	val := s.vals.list[v]
	if val.kind != vInst {
		s.add(c.result, v)
		return
	}
	found := false
	for _, k := range s.classInfo(val.a).mro {
		if s.defines(k, nameEnter) {
			found = true
			break
		}
	}
	if !found {
		s.add(c.result, v)
	}
	s.callMethod(ci, val.a, nameEnter, v, nil, c.result, 1)
	s.callMethod(ci, val.a, nameExit, v, nil, -1, 2)
}

// callMethod calls method name of class cls on receiver recv from the site
// of constraint ci, once per (site, class, tag).
func (s *solver) callMethod(ci int32, cls int32, name int32, recv int32, args []callArg, result int32, tag int32) {
	c := s.cons[ci]
	key := siteKey{site: c.site, tag: -1000000*tag - cls}
	if !s.sites.insert(key.pack()) {
		return
	}
	if result < 0 {
		result = s.newNode()
	}
	fn := s.lookupNode(lkClassAttr, cls, name, -1, -1)
	cc := s.newCons(constraint{kind: cCall, base: fn, args: s.newArgs(args...), result: result, caller: c.caller, site: c.site, recv: recv})
	s.watch(fn, cc)
}

// ---- calls ----

var containerMethods = map[string]bool{
	"get": true, "pop": true, "setdefault": true, "values": true, "items": true,
	"update": true, "append": true, "extend": true, "insert": true, "add": true,
	"copy": true, "popitem": true, "keys": true,
}

func (s *solver) callValue(ci int32, v int32) {
	c := &s.cons[ci]
	val := s.vals.list[v]
	if c.raise && val.kind != vClass {
		return
	}
	switch val.kind {
	case vFunc:
		if c.recv >= 0 && s.methodScope(val.a) && !s.scope(val.a).IsStatic {
			s.invoke(ci, val.a, c.recv)
		} else {
			s.invoke(ci, val.a, -1)
		}
	case vBound:
		s.invoke(ci, val.a, val.b)
	case vClass:
		s.add(c.result, s.vals.intern(value{kind: vInst, a: val.a}))
		key := siteKey{site: c.site, tag: -3000000 - val.a}
		if !s.sites.insert(key.pack()) {
			return
		}
		inst := s.vals.intern(value{kind: vInst, a: val.a})
		init := nameInit
		if s.mod(s.scopes[val.a].mod).js {
			init = s.name("constructor")
		}
		fn := s.lookupNode(lkClassAttr, val.a, init, -1, -1)
		cc := s.newCons(constraint{kind: cCall, base: fn, args: c.args, result: s.newNode(), caller: c.caller, site: c.site, recv: inst})
		s.watch(fn, cc)
	case vInst:
		s.callMethod(ci, val.a, nameCall, v, s.argsOf(c.args), c.result, 3)
	case vExternal:
		s.externalCall(ci, val.s)
	case vBuiltin:
		switch val.b {
		case builtinResult:
			s.add(c.result, v)
		case builtinDeep:
			s.builtinCall(ci, val.s)
			s.add(c.result, s.vals.intern(value{kind: vBuiltin, b: builtinResult}))
		default:
			s.builtinCall(ci, val.s)
		}
	case vBuiltinMethod:
		s.containerCall(ci, val)
	}
}

// invoke records the edge to function fn and binds arguments to parameters.
func (s *solver) invoke(ci int32, fn int32, recv int32) {
	c := s.cons[ci]
	s.addEdge(c.caller, fn, EdgeResolved)
	sc := s.scope(fn)
	db := s.defBase[s.scopes[fn].mod]
	params := sc.Params
	pos := 0
	if recv >= 0 && len(params) > 0 && params[0].Kind == extract.ParamPositional {
		s.add(s.defNode[db+params[0].Def], recv)
		pos = 1
	}
	var varargs, kwargs int32 = -1, -1
	for _, p := range params {
		switch p.Kind {
		case extract.ParamVarArgs:
			varargs = s.defNode[db+p.Def]
		case extract.ParamKwArgs:
			kwargs = s.defNode[db+p.Def]
		}
	}
	if recv >= 0 && pos == 0 && varargs >= 0 {
		s.edge(s.constNode(recv), s.varargsAny(fn))
	}
	for _, a := range s.argsOf(c.args) {
		if a.node < 0 {
			if a.kind == argPos {
				pos++
			}
			continue
		}
		switch a.kind {
		case argPos:
			if pos < len(params) && params[pos].Kind == extract.ParamPositional {
				s.bindEdge(a.node, s.defNode[db+params[pos].Def])
			} else if varargs >= 0 {
				s.bindEdge(a.node, s.varargsAny(fn))
			}
			pos++
		case argStar:
			for q := pos; q < len(params); q++ {
				if params[q].Kind == extract.ParamPositional {
					s.bindEdge(a.node, s.defNode[db+params[q].Def])
				}
			}
			if varargs >= 0 {
				s.bindEdge(a.node, s.varargsAny(fn))
			}
		case argKw:
			matched := false
			for q := range params {
				if params[q].Name == s.names[a.name] && (params[q].Kind == extract.ParamPositional || params[q].Kind == extract.ParamKeywordOnly) {
					s.bindEdge(a.node, s.defNode[db+params[q].Def])
					matched = true
					break
				}
			}
			if !matched && kwargs >= 0 {
				s.bindEdge(a.node, s.slot(s.kwargsContainer(fn), s.strConst(s.names[a.name])))
			}
		case argDStar:
			for q := pos; q < len(params); q++ {
				if params[q].Kind == extract.ParamPositional || params[q].Kind == extract.ParamKeywordOnly {
					s.bindEdge(a.node, s.defNode[db+params[q].Def])
				}
			}
			if kwargs >= 0 {
				s.bindEdge(a.node, s.containers[s.kwargsContainer(fn)].any)
			}
		}
	}
	if sc.IsGenerator {
		s.add(c.result, s.vals.intern(value{kind: vGenerator, a: fn}))
		return
	}
	s.edge(s.retNode[fn], c.result)
}

// bindEdge passes arguments to a parameter. Values of other packages stay
// behind: a widely called function would otherwise collect the external
// objects of every caller and build an attribute path for each pair.
func (s *solver) bindEdge(from, to int32) {
	if from < 0 || to < 0 || from == to {
		return
	}
	if !s.bound.insert(pairKey(from, to)) {
		return
	}
	c := s.newCons(constraint{kind: cFilter, base: from, result: to})
	s.watch(from, c)
}

func (s *solver) varargsAny(fn int32) int32 {
	v := s.containerVal(siteKey{site: -1 - fn, tag: 1}, ctTuple, -1)
	return s.containers[s.vals.list[v].a].any
}

func (s *solver) kwargsContainer(fn int32) int32 {
	v := s.containerVal(siteKey{site: -1 - fn, tag: 2}, ctDict, -1)
	return s.vals.list[v].a
}

// externalCall counts a call of an API outside the repository.
func (s *solver) externalCall(ci int32, path string) {
	c := s.cons[ci]
	args := s.argsOf(c.args)
	m := s.extCall[c.caller]
	if m == nil {
		m = map[string]int{}
		s.extCall[c.caller] = m
	}
	m[path]++
	last := path[strings.LastIndexByte(path, '.')+1:]
	if last != "" && unicode.IsUpper(rune(last[0])) {
		s.add(c.result, s.vals.intern(value{kind: vExtInst, s: path}))
	}
	switch path {
	case "functools.partial":
		// partial(f, ...) behaves like f for the call graph.
		if len(args) > 0 && args[0].kind == argPos {
			s.edge(args[0].node, c.result)
		}
	case "functools.wraps", "functools.lru_cache", "functools.cache":
	}
}

func (s *solver) builtinCall(ci int32, name string) {
	c := s.cons[ci]
	args := s.argsOf(c.args)
	set := s.builtinCalls[c.caller]
	if set == nil {
		set = map[string]bool{}
		s.builtinCalls[c.caller] = set
	}
	set[name] = true
	switch name {
	case "super":
		fn := s.enclosingMethod(c.caller)
		if fn < 0 {
			return
		}
		cls := s.gscope(s.scopes[fn].mod, s.scope(fn).Parent)
		s.add(c.result, s.vals.intern(value{kind: vSuper, a: cls, b: fn}))
	case "map", "filter", "sorted", "min", "max", "reduce":
		// Function arguments are called with the elements of the others.
		var elems []callArg
		for _, a := range args {
			if a.kind == argPos && a.node >= 0 {
				elems = append(elems, callArg{kind: argPos, node: s.elemsNode(a.node, c.caller, c.site)})
			}
		}
		out := c.result
		if name == "map" || name == "filter" {
			v := s.containerVal(siteKey{site: c.site, tag: 7}, ctIter, -1)
			s.add(c.result, v)
			out = s.containers[s.vals.list[v].a].any
		}
		for k, a := range args {
			if a.node < 0 || (a.kind != argPos && (a.kind != argKw || s.names[a.name] != "key")) {
				continue
			}
			var callArgs []callArg
			for j, e := range elems {
				if j != k && len(callArgs) == 0 {
					callArgs = append(callArgs, e)
				}
			}
			key := siteKey{site: c.site, tag: -4000000 - int32(k)}
			if !s.sites.insert(key.pack()) {
				continue
			}
			res := out
			if name == "filter" || name == "sorted" || name == "min" || name == "max" {
				res = s.newNode()
			}
			cc := s.newCons(constraint{kind: cCall, base: a.node, args: s.newArgs(callArgs...), result: res, caller: c.caller, site: c.site, recv: -1})
			s.watch(a.node, cc)
		}
		if name != "map" {
			for _, e := range elems {
				s.edge(e.node, out)
			}
		}
	case "iter", "list", "tuple", "set", "frozenset", "reversed", "sorted_":
		if len(args) > 0 && args[0].node >= 0 {
			kind := ctList
			if name == "iter" || name == "reversed" {
				kind = ctIter
			}
			v := s.containerVal(siteKey{site: c.site, tag: 8}, kind, -1)
			s.add(c.result, v)
			s.edge(s.elemsNode(args[0].node, c.caller, c.site), s.containers[s.vals.list[v].a].any)
		}
	case "next":
		if len(args) > 0 && args[0].node >= 0 {
			s.edge(s.elemsNode(args[0].node, c.caller, c.site), c.result)
		}
	case "enumerate":
		if len(args) > 0 && args[0].node >= 0 {
			pair := s.containerVal(siteKey{site: c.site, tag: 9}, ctTuple, 2)
			s.edge(s.elemsNode(args[0].node, c.caller, c.site), s.slot(s.vals.list[pair].a, s.intConst(1)))
			v := s.containerVal(siteKey{site: c.site, tag: 10}, ctIter, -1)
			s.add(s.containers[s.vals.list[v].a].any, pair)
			s.add(c.result, v)
		}
	case "dict":
		v := s.containerVal(siteKey{site: c.site, tag: 11}, ctDict, -1)
		ct := s.vals.list[v].a
		for _, a := range args {
			switch a.kind {
			case argKw:
				s.edge(a.node, s.slot(ct, s.strConst(s.names[a.name])))
			case argPos:
				if a.node >= 0 {
					mc := s.newCons(constraint{kind: cDictMerge, base: a.node, class: ct})
					s.watch(a.node, mc)
				}
			}
		}
		s.add(c.result, v)
	case "getattr":
		if len(args) >= 2 && args[0].node >= 0 && args[1].node >= 0 {
			for _, k := range s.valsOf(args[1].node) {
				kv := s.vals.list[k]
				if kv.kind != vConst || !strings.HasPrefix(kv.s, "s:") {
					continue
				}
				lc := s.newCons(constraint{kind: cAttrLoad, base: args[0].node, name: s.name(kv.s[2:]), result: c.result, caller: c.caller, site: c.site})
				s.watch(args[0].node, lc)
			}
			if len(args) >= 3 {
				s.edge(args[2].node, c.result)
			}
		}
	case "setattr":
		if len(args) >= 3 && args[0].node >= 0 && args[1].node >= 0 && args[2].node >= 0 {
			for _, k := range s.valsOf(args[1].node) {
				kv := s.vals.list[k]
				if kv.kind != vConst || !strings.HasPrefix(kv.s, "s:") {
					continue
				}
				sc := s.newCons(constraint{kind: cAttrStore, base: args[0].node, name: s.name(kv.s[2:]), val: args[2].node, caller: c.caller})
				s.watch(args[0].node, sc)
			}
		}
	case "staticmethod", "classmethod", "property":
		if len(args) > 0 && args[0].kind == argPos && !c.decorator && !c.raise {
			s.edge(args[0].node, c.result)
		}
	}
}

// enclosingMethod returns the method whose body (or a function nested in
// it) contains code attributed to scope g, or -1.
func (s *solver) enclosingMethod(g int32) int32 {
	for g >= 0 {
		if s.methodScope(g) {
			return g
		}
		sc := s.scope(g)
		if sc.Parent < 0 {
			return -1
		}
		g = s.gscope(s.scopes[g].mod, sc.Parent)
	}
	return -1
}

func (s *solver) containerCall(ci int32, m value) {
	c := s.cons[ci]
	args := s.argsOf(c.args)
	cv := s.vals.list[m.a]
	ct := cv.a
	argNode := func(k int) int32 {
		if k < len(args) && (args[k].kind == argPos) {
			return args[k].node
		}
		return -1
	}
	switch m.s {
	case "get", "pop", "setdefault":
		if k := argNode(0); k >= 0 {
			key := siteKey{site: c.site, tag: -5000000 - ct}
			if s.sites.insert(key.pack()) {
				lc := s.newCons(constraint{kind: cSubLoad, base: s.constNode(m.a), key: k, result: c.result, site: c.site})
				s.watch(s.cons[lc].base, lc)
				s.watch(k, lc)
			}
		} else if m.s == "pop" {
			s.edge(s.allNode(ct), c.result)
		}
		if d := argNode(1); d >= 0 {
			s.edge(d, c.result)
			if m.s == "setdefault" {
				s.edge(d, s.containers[ct].any)
			}
		}
	case "values":
		v := s.containerVal(siteKey{site: c.site, tag: 12}, ctList, -1)
		s.edge(s.allNode(ct), s.containers[s.vals.list[v].a].any)
		s.add(c.result, v)
	case "items":
		pair := s.containerVal(siteKey{site: c.site, tag: 13}, ctTuple, 2)
		s.edge(s.keysNode(ct), s.slot(s.vals.list[pair].a, s.intConst(0)))
		s.edge(s.allNode(ct), s.slot(s.vals.list[pair].a, s.intConst(1)))
		v := s.containerVal(siteKey{site: c.site, tag: 14}, ctList, -1)
		s.add(s.containers[s.vals.list[v].a].any, pair)
		s.add(c.result, v)
	case "keys":
		v := s.containerVal(siteKey{site: c.site, tag: 15}, ctList, -1)
		s.edge(s.keysNode(ct), s.containers[s.vals.list[v].a].any)
		s.add(c.result, v)
	case "copy":
		s.add(c.result, m.a)
	case "popitem":
		s.edge(s.allNode(ct), c.result)
	case "append", "add":
		if k := argNode(0); k >= 0 {
			s.edge(k, s.containers[ct].any)
		}
	case "insert":
		if k := argNode(1); k >= 0 {
			s.edge(k, s.containers[ct].any)
		}
	case "extend":
		if k := argNode(0); k >= 0 {
			s.edge(s.elemsNode(k, c.caller, c.site), s.containers[ct].any)
		}
	case "update":
		if k := argNode(0); k >= 0 {
			mc := s.newCons(constraint{kind: cDictMerge, base: k, class: ct})
			s.watch(k, mc)
		}
		for _, a := range args {
			if a.kind == argKw && a.node >= 0 {
				s.edge(a.node, s.slot(ct, s.strConst(s.names[a.name])))
			}
		}
	}
}

// ---- results ----

func (s *solver) addEdge(caller, callee int32, kind EdgeKind) {
	key := pairKey(caller, callee)
	if old, ok := s.callEdges.get(key); ok && EdgeKind(old) <= kind {
		return
	}
	s.callEdges.put(key, int32(kind))
}
