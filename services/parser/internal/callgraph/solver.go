package callgraph

// The solver is a worklist propagation over nodes holding sets of abstract
// values. Copy edges move values unchanged; constraints react to new values
// in the nodes they watch (attribute loads, calls, subscripts, ...).

// A node holds at most maxSetSize values, so membership is a scan of a
// short contiguous slice: cheaper than keeping a hash set beside it.
type node struct {
	vals []int32
	done int32 // vals[:done] have been propagated
	succ []int32
	subs []int32 // constraints watching this node
	inWL bool
}

// int32Slab hands out short int32 slices carved from large chunks: most of
// the hundreds of thousands of nodes hold a few values, successors and
// watchers, and one heap allocation per slice dominated the solver's
// allocations. A slice that outgrows its carved capacity moves to the heap
// through append as usual; the capacity limit keeps neighbours apart.
type int32Slab struct{ chunk []int32 }

const slabChunk = 1 << 14

func (sl *int32Slab) alloc(n int) []int32 {
	if len(sl.chunk) < n {
		sl.chunk = make([]int32, slabChunk)
	}
	out := sl.chunk[:0:n]
	sl.chunk = sl.chunk[n:]
	return out
}

// Initial capacities of the per-node slices, from their distribution on
// large code bases (most nodes hold at most four values).
const (
	initVals = 4
	initSucc = 2
	initSubs = 2
)

func (s *solver) newNode() int32 {
	s.nodes = append(s.nodes, node{})
	return int32(len(s.nodes) - 1)
}

func (s *solver) has(n int32, v int32) bool {
	for _, x := range s.nodes[n].vals {
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
	// A full node takes nothing more: no need to scan it (a quarter of
	// the adds on large code bases hit full nodes).
	if n < 0 || len(s.nodes[n].vals) >= maxSetSize || s.has(n, v) {
		return false
	}
	nd := &s.nodes[n]
	if cap(nd.vals) == 0 {
		nd.vals = s.slab.alloc(initVals)
	}
	nd.vals = append(nd.vals, v)
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
	if cap(s.nodes[from].succ) == 0 {
		s.nodes[from].succ = s.slab.alloc(initSucc)
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
	if cap(s.nodes[n].subs) == 0 {
		s.nodes[n].subs = s.slab.alloc(initSubs)
	}
	s.nodes[n].subs = append(s.nodes[n].subs, c)
	nd := &s.nodes[n]
	if nd.done > 0 {
		s.fire(c, n, nd.vals[:nd.done])
	}
}
