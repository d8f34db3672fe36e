package callgraph

// The solver is a worklist propagation over nodes holding sets of abstract
// values. Copy edges move values unchanged; constraints react to new values
// in the nodes they watch (attribute loads, calls, subscripts, ...).

type node struct {
	vals []int32
	set  map[int32]struct{} // membership once vals grows large
	done int32              // vals[:done] have been propagated
	succ []int32
	subs []int32 // constraints watching this node
	inWL bool
}

const setThreshold = 12

func (s *solver) newNode() int32 {
	s.nodes = append(s.nodes, node{})
	return int32(len(s.nodes) - 1)
}

func (s *solver) has(n int32, v int32) bool {
	nd := &s.nodes[n]
	if nd.set != nil {
		_, ok := nd.set[v]
		return ok
	}
	for _, x := range nd.vals {
		if x == v {
			return true
		}
	}
	return false
}

// maxSetSize caps the values a node holds. A node past it is megamorphic
// (typically an identity-like helper or a parameter every caller feeds):
// following all of its values costs time quadratic in the program and
// yields edges that are mostly wrong, so it keeps what it has.
var maxSetSize = 48

// add puts value v into node n; it reports whether v was new.
func (s *solver) add(n int32, v int32) bool {
	if n < 0 || s.has(n, v) {
		return false
	}
	nd := &s.nodes[n]
	if len(nd.vals) >= maxSetSize {
		s.saturated++
		return false
	}
	nd.vals = append(nd.vals, v)
	if nd.set != nil {
		nd.set[v] = struct{}{}
	} else if len(nd.vals) > setThreshold {
		nd.set = make(map[int32]struct{}, len(nd.vals)*2)
		for _, x := range nd.vals {
			nd.set[x] = struct{}{}
		}
	}
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
	succ := s.nodes[from].succ
	if len(succ) < 16 {
		for _, x := range succ {
			if x == to {
				return
			}
		}
	} else {
		if len(succ) == 16 {
			for _, x := range succ {
				s.edges[uint64(uint32(from))<<32|uint64(uint32(x))] = struct{}{}
			}
		}
		key := uint64(uint32(from))<<32 | uint64(uint32(to))
		if _, ok := s.edges[key]; ok {
			return
		}
		s.edges[key] = struct{}{}
	}
	s.nodes[from].succ = append(s.nodes[from].succ, to)
	for _, v := range s.nodes[from].vals[:s.nodes[from].done] {
		s.add(to, v)
	}
}

// watch subscribes constraint c to node n and replays n's propagated values.
func (s *solver) watch(n int32, c int32) {
	if n < 0 {
		return
	}
	s.nodes[n].subs = append(s.nodes[n].subs, c)
	nd := &s.nodes[n]
	if nd.done > 0 {
		s.fire(c, n, nd.vals[:nd.done])
	}
}
