package callgraph

import (
	"strings"

	"github.com/query4code/query4code/services/parser/internal/extract"
)

// classInfo is what the solver knows about a class of the repository.
type classInfo struct {
	baseNodes []int32
	bases     []int32  // repository base classes, in order
	extBases  []string // external base classes, in order
	mro       []int32  // C3 linearisation over repository classes, itself first
	ext       []string // external classes reachable through the bases
	subs      []int32  // classes that name this one as a base
	lookups   []int32  // lookups to refresh when the MRO changes
	dynamic   map[int32]bool
}

func (s *solver) classInfo(g int32) *classInfo {
	if ci := s.classes[g]; ci != nil {
		return ci
	}
	ci := &classInfo{mro: []int32{g}}
	s.classes[g] = ci
	return ci
}

// defines reports whether class g binds name in its body or through a store.
func (s *solver) defines(g int32, name int32) bool {
	if r := s.scopes[g]; s.mod(r.mod).ir.Binds(r.local, s.names[name]) {
		return true
	}
	return s.classes[g] != nil && s.classes[g].dynamic[name]
}

// updateBases recomputes the bases of class g from its base nodes, and the
// MRO of g and of its subclasses when they changed.
func (s *solver) updateBases(g int32) {
	ci := s.classInfo(g)
	var bases []int32
	var ext []string
	for _, n := range ci.baseNodes {
		if n < 0 {
			continue
		}
		for _, v := range s.valsOf(n) {
			val := s.vals.list[v]
			switch val.kind {
			case vClass:
				if val.a != g && !containsInt(bases, val.a) {
					bases = append(bases, val.a)
				}
			case vExternal, vExtInst:
				if !contains(ext, val.s) {
					ext = append(ext, val.s)
				}
			}
		}
	}
	if equalInts(bases, ci.bases) && equalStrings(ext, ci.extBases) {
		return
	}
	for _, b := range bases {
		bi := s.classInfo(b)
		if !containsInt(bi.subs, g) {
			bi.subs = append(bi.subs, g)
		}
	}
	ci.bases, ci.extBases = bases, ext
	s.recomputeMRO(g, map[int32]bool{})
}

func (s *solver) recomputeMRO(g int32, visiting map[int32]bool) {
	if visiting[g] {
		return
	}
	visiting[g] = true
	defer delete(visiting, g)
	ci := s.classInfo(g)
	mro := s.c3(g)
	var ext []string
	for _, k := range mro {
		for _, e := range s.classInfo(k).extBases {
			if !contains(ext, e) {
				ext = append(ext, e)
			}
		}
	}
	if equalInts(mro, ci.mro) && equalStrings(ext, ci.ext) {
		return
	}
	ci.mro, ci.ext = mro, ext
	for _, l := range ci.lookups {
		if s.lookups[l].evaluated {
			s.refresh(l)
		}
	}
	for _, sub := range ci.subs {
		s.recomputeMRO(sub, visiting)
	}
}

// c3 linearises g's repository bases; inconsistent hierarchies fall back
// to a left-to-right depth-first order without duplicates.
func (s *solver) c3(g int32) []int32 {
	ci := s.classInfo(g)
	if len(ci.bases) == 0 {
		return []int32{g}
	}
	var seqs [][]int32
	for _, b := range ci.bases {
		seqs = append(seqs, append([]int32(nil), s.classInfo(b).mro...))
	}
	seqs = append(seqs, append([]int32(nil), ci.bases...))
	out := []int32{g}
	for {
		nonEmpty := seqs[:0]
		for _, sq := range seqs {
			if len(sq) > 0 {
				nonEmpty = append(nonEmpty, sq)
			}
		}
		seqs = nonEmpty
		if len(seqs) == 0 {
			return out
		}
		var head int32 = -1
		for _, sq := range seqs {
			cand := sq[0]
			inTail := false
			for _, other := range seqs {
				if containsInt(other[1:], cand) {
					inTail = true
					break
				}
			}
			if !inTail {
				head = cand
				break
			}
		}
		if head < 0 {
			return s.dfsOrder(g)
		}
		if head != g && !containsInt(out, head) {
			out = append(out, head)
		}
		for k, sq := range seqs {
			if len(sq) > 0 && sq[0] == head {
				seqs[k] = sq[1:]
			}
		}
	}
}

func (s *solver) dfsOrder(g int32) []int32 {
	var out []int32
	var visit func(c int32)
	visit = func(c int32) {
		if containsInt(out, c) {
			return
		}
		out = append(out, c)
		for _, b := range s.classInfo(c).bases {
			visit(b)
		}
	}
	visit(g)
	return out
}

type lookupKind uint8

const (
	lkClassAttr  lookupKind = iota // attribute of the class (first definer in the MRO)
	lkInstAttr                     // attribute of an instance: instance fields plus bound class attributes
	lkClassBound                   // attribute read on the class object itself
	lkSuper                        // attribute after `after` in the MRO of class, bound to recv
)

type lookup struct {
	kind  lookupKind
	bound bool // lkInstAttr/lkClassBound/lkSuper: the bind constraint exists
	// evaluated: refresh ran at least once (lookups wait for the worklist to drain).
	evaluated bool
	class     int32
	name      int32
	after     int32
	recv      int32
	node      int32
}

func (s *solver) lookupNode(kind lookupKind, class int32, name int32, after, recv int32) int32 {
	var key uint64
	if kind == lkSuper {
		if l, ok := s.superAt[superKey{class, name, after, recv}]; ok {
			return s.lookups[l].node
		}
	} else {
		key = lookupKeyOf(kind, class, name)
		if l, ok := s.lookupAt.get(key); ok {
			return s.lookups[l].node
		}
	}
	l := int32(len(s.lookups))
	s.lookups = append(s.lookups, lookup{kind: kind, class: class, name: name, after: after, recv: recv, node: s.newNode()})
	if kind == lkSuper {
		s.superAt[superKey{class, name, after, recv}] = l
	} else {
		s.lookupAt.put(key, l)
	}
	ci := s.classInfo(class)
	ci.lookups = append(ci.lookups, l)
	// Evaluated once the worklist drains, so that the class hierarchy has
	// settled: results only grow, and an early MRO would leave stale edges.
	s.pendingLookups = append(s.pendingLookups, l)
	return s.lookups[l].node
}

// refresh (re)computes a lookup from the current MRO; results only grow.
func (s *solver) refresh(l int32) {
	s.lookups[l].evaluated = true
	lk := s.lookups[l]
	ci := s.classInfo(lk.class)
	switch lk.kind {
	case lkClassAttr:
		for _, k := range ci.mro {
			if s.defines(k, lk.name) {
				s.edge(s.allDefsNode(k, lk.name), lk.node)
				return
			}
		}
		if len(ci.ext) > 0 && !isDunder(s.names[lk.name]) {
			s.add(lk.node, s.vals.intern(value{kind: vExternal, s: ci.ext[0] + "." + s.names[lk.name]}))
		}
	case lkInstAttr:
		for _, k := range ci.mro {
			s.edge(s.instFieldRead(k, lk.name), lk.node)
		}
		if !lk.bound {
			s.lookups[l].bound = true
			src := s.lookupNode(lkClassAttr, lk.class, lk.name, -1, -1)
			c := s.newCons(constraint{kind: cBind, base: src, result: lk.node, class: lk.class, recv: s.vals.intern(value{kind: vInst, a: lk.class})})
			s.watch(src, c)
		}
	case lkClassBound:
		if !lk.bound {
			s.lookups[l].bound = true
			src := s.lookupNode(lkClassAttr, lk.class, lk.name, -1, -1)
			c := s.newCons(constraint{kind: cBind, base: src, result: lk.node, class: lk.class, recv: s.vals.intern(value{kind: vClass, a: lk.class}), onClass: true})
			s.watch(src, c)
		}
	case lkSuper:
		found := false
		for k, c := range ci.mro {
			if c != lk.after {
				continue
			}
			for _, d := range ci.mro[k+1:] {
				if s.defines(d, lk.name) {
					src := s.allDefsNode(d, lk.name)
					key := [2]int32{src, lk.node}
					if !s.superBound[key] {
						s.superBound[key] = true
						recvVal := s.vals.list[lk.recv]
						c := s.newCons(constraint{kind: cBind, base: src, result: lk.node, class: lk.class, recv: lk.recv, onClass: recvVal.kind == vClass})
						s.watch(src, c)
					}
					found = true
					break
				}
			}
			break
		}
		if !found && len(ci.ext) > 0 && !isDunder(s.names[lk.name]) {
			s.add(lk.node, s.vals.intern(value{kind: vExternal, s: ci.ext[0] + "." + s.names[lk.name]}))
		}
	}
}

func (s *solver) instFieldNode(class int32, name int32) int32 {
	key := pairKey(class, name)
	if n, ok := s.instField.get(key); ok {
		return n
	}
	n := s.newNode()
	s.instField.put(key, n)
	return n
}

// defineDynamic records that a store bound name on class g, and refreshes
// the lookups that may now find it.
func (s *solver) defineDynamic(g int32, name int32) {
	ci := s.classInfo(g)
	if ci.dynamic[name] {
		return
	}
	if ci.dynamic == nil {
		ci.dynamic = map[int32]bool{}
	}
	ci.dynamic[name] = true
	for _, cls := range s.subclassesOf(g) {
		for _, l := range s.classInfo(cls).lookups {
			if s.lookups[l].name == name && s.lookups[l].evaluated {
				s.refresh(l)
			}
		}
	}
}

func (s *solver) subclassesOf(g int32) []int32 {
	out := []int32{g}
	for k := 0; k < len(out); k++ {
		for _, sub := range s.classInfo(out[k]).subs {
			if !containsInt(out, sub) {
				out = append(out, sub)
			}
		}
	}
	return out
}

func isDunder(name string) bool {
	return len(name) > 4 && strings.HasPrefix(name, "__") && strings.HasSuffix(name, "__")
}

func containsInt(list []int32, x int32) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

func equalInts(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// methodScope reports whether function g is defined directly in a class.
func (s *solver) methodScope(g int32) bool {
	sc := s.scope(g)
	if sc.Kind != extract.ScopeFunction || sc.Parent < 0 {
		return false
	}
	return s.scope(s.gscope(s.scopes[g].mod, sc.Parent)).Kind == extract.ScopeClass
}
