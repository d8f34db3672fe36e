// Package topo orders a call graph callees-first: Tarjan's strongly
// connected components, a topological order of the condensed graph, and
// levels (the longest path down to a leaf; leaves are level 0). No edge is
// dropped: the members of a cycle share a component.
package topo

import "slices"

// Result is the order of a graph of N nodes.
type Result struct {
	// Component of each node. Components are numbered in callee-first order:
	// every edge u->v has Component[v] <= Component[u].
	Component []int32
	// Members of each component, ascending.
	Members [][]int32
	// Level of each component: 0 when it calls no other component, else one
	// more than the highest level among the components it calls.
	Level []int32
	// Order lists the nodes callee-first (by component, then node index).
	Order []int32
}

// Cyclic reports whether component c is a cycle: several members, or one
// member that calls itself.
func (r *Result) Cyclic(c int32, succ [][]int32) bool {
	if len(r.Members[c]) > 1 {
		return true
	}
	u := r.Members[c][0]
	for _, v := range succ[u] {
		if v == u {
			return true
		}
	}
	return false
}

// Order computes components, levels and order for n nodes whose edges are
// succ[u] = the nodes u calls. Edges to nodes outside [0, n) are ignored.
func Order(n int, succ [][]int32) *Result {
	const unvisited = -1
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	comp := make([]int32, n)
	for i := range index {
		index[i] = unvisited
		comp[i] = unvisited
	}
	var stack []int32
	type frame struct {
		node int32
		next int // next successor to look at
	}
	var call []frame
	var members [][]int32
	var counter int32
	for root := 0; root < n; root++ {
		if index[root] != unvisited {
			continue
		}
		call = append(call, frame{node: int32(root)})
		index[root], low[root] = counter, counter
		counter++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			u := f.node
			if f.next < len(succ[u]) {
				v := succ[u][f.next]
				f.next++
				if v < 0 || int(v) >= n {
					continue
				}
				if index[v] == unvisited {
					index[v], low[v] = counter, counter
					counter++
					stack = append(stack, v)
					onStack[v] = true
					call = append(call, frame{node: v})
				} else if onStack[v] && index[v] < low[u] {
					low[u] = index[v]
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].node
				if low[u] < low[p] {
					low[p] = low[u]
				}
			}
			if low[u] != index[u] {
				continue
			}
			id := int32(len(members))
			var group []int32
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = id
				group = append(group, w)
				if w == u {
					break
				}
			}
			slices.Sort(group)
			members = append(members, group)
		}
	}
	// Tarjan emits a component after every component it reaches, so ids
	// are already callee-first; levels follow in the same order.
	level := make([]int32, len(members))
	for c, group := range members {
		var lv int32
		for _, u := range group {
			for _, v := range succ[u] {
				if v < 0 || int(v) >= n {
					continue
				}
				if d := comp[v]; d != int32(c) && level[d]+1 > lv {
					lv = level[d] + 1
				}
			}
		}
		level[c] = lv
	}
	order := make([]int32, 0, n)
	for _, group := range members {
		order = append(order, group...)
	}
	return &Result{Component: comp, Members: members, Level: level, Order: order}
}
