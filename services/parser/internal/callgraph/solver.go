package callgraph

// The solver is a worklist propagation over nodes holding sets of abstract
// values. Copy edges move values unchanged; constraints react to new values
// in the nodes they watch (attribute loads, calls, subscripts, ...).

// A node holds at most maxSetSize values, so membership is a scan of a
// short contiguous slice: cheaper than keeping a hash set beside it.
//
// Its values, successors and watchers live in s.arena at the given offsets:
// a node holds no pointers (the collector never scans the node array) and
// fits in a third of a cache line. A list's capacity follows from its
// length; a full list moves to the arena's end, and its old place is never
// reused. Slices of the arena thus stay valid for reading after it grows
// (step's delta does), but appends must go through push.
type node struct {
	vals, succ, subs int32 // arena offsets
	nSucc, nSubs     int32
	nVals, done      uint8 // vals[:done] have been propagated
	inWL             bool
}

// push appends v to the list at *off of length n, moving the list to the
// arena's end when it is full. Capacities are powers of two: most nodes
// hold one value, successor or watcher.
func (s *solver) push(off *int32, n int32, v int32) {
	if n&(n-1) == 0 {
		size := max(1, 2*n)
		at := int32(len(s.arena))
		s.arena = append(s.arena, make([]int32, size)...)
		copy(s.arena[at:], s.arena[*off:*off+n])
		*off = at
	}
	s.arena[*off+n] = v
}

func (s *solver) valsOf(n int32) []int32 {
	nd := &s.nodes[n]
	end := nd.vals + int32(nd.nVals)
	return s.arena[nd.vals:end:end]
}

// doneVals are the values of n already propagated.
func (s *solver) doneVals(n int32) []int32 {
	nd := &s.nodes[n]
	end := nd.vals + int32(nd.done)
	return s.arena[nd.vals:end:end]
}

func (s *solver) newNode() int32 {
	s.nodes = append(s.nodes, node{})
	return int32(len(s.nodes) - 1)
}

func (s *solver) has(n int32, v int32) bool {
	for _, x := range s.valsOf(n) {
		if x == v {
			return true
		}
	}
	return false
}

// maxSetSize caps the values a node holds (at most 255: node.nVals is a
// byte). A node past it is megamorphic
// (typically an identity-like helper or a parameter every caller feeds):
// following all of its values costs time quadratic in the program and
// yields edges that are mostly wrong, so it keeps what it has.
var maxSetSize = 48

// add puts value v into node n; it reports whether v was new.
func (s *solver) add(n int32, v int32) bool {
	// A full node takes nothing more: no need to scan it (a quarter of
	// the adds on large code bases hit full nodes).
	if n < 0 || int(s.nodes[n].nVals) >= maxSetSize || s.has(n, v) {
		return false
	}
	nd := &s.nodes[n]
	s.push(&nd.vals, int32(nd.nVals), v)
	nd.nVals++
	if !nd.inWL {
		nd.inWL = true
		s.wl = append(s.wl, n)
	}
	return true
}

// edge adds a copy edge from -> to and moves the values already there.
func (s *solver) edge(from, to int32) {
	if from < 0 || to < 0 || from == to {
		return
	}
	// Most nodes have a handful of successors: scan them; fall back to the
	// global set for the few hubs.
	nd := &s.nodes[from]
	succ := s.arena[nd.succ : nd.succ+nd.nSucc]
	if len(succ) < 16 {
		for _, x := range succ {
			if x == to {
				return
			}
		}
	} else {
		if len(succ) == 16 {
			for _, x := range succ {
				s.edges.insert(pairKey(from, x))
			}
		}
		if !s.edges.insert(pairKey(from, to)) {
			return
		}
	}
	s.push(&nd.succ, nd.nSucc, to)
	nd.nSucc++
	for _, v := range s.doneVals(from) {
		s.add(to, v)
	}
}

// watch subscribes constraint c to node n and replays n's propagated values.
func (s *solver) watch(n int32, c int32) {
	if n < 0 {
		return
	}
	nd := &s.nodes[n]
	s.push(&nd.subs, nd.nSubs, c)
	nd.nSubs++
	if nd.done > 0 {
		s.fire(c, n, s.doneVals(n))
	}
}
