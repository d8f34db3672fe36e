package topo

import (
	"reflect"
	"testing"
)

func TestOrder(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		succ       [][]int32
		wantLevels []int32 // per node
		sameComp   [][2]int32
		cyclic     []int32 // nodes in cyclic components
	}{
		{name: "empty", n: 0, succ: nil},
		{name: "single leaf", n: 1, succ: [][]int32{nil}, wantLevels: []int32{0}},
		{
			name: "chain", n: 3,
			succ:       [][]int32{{1}, {2}, nil},
			wantLevels: []int32{2, 1, 0},
		},
		{
			name: "diamond", n: 4,
			succ:       [][]int32{{1, 2}, {3}, {3}, nil},
			wantLevels: []int32{2, 1, 1, 0},
		},
		{
			name: "longest path wins", n: 4,
			succ:       [][]int32{{3, 1}, {2}, {3}, nil},
			wantLevels: []int32{3, 2, 1, 0},
		},
		{
			name: "self recursion", n: 2,
			succ:       [][]int32{{0, 1}, nil},
			wantLevels: []int32{1, 0},
			cyclic:     []int32{0},
		},
		{
			name: "mutual recursion above a leaf", n: 4,
			succ:       [][]int32{{1}, {2}, {1, 3}, nil},
			wantLevels: []int32{2, 1, 1, 0},
			sameComp:   [][2]int32{{1, 2}},
			cyclic:     []int32{1, 2},
		},
		{
			name: "edges out of range are ignored", n: 2,
			succ:       [][]int32{{1, 7, -1}, nil},
			wantLevels: []int32{1, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Order(tt.n, tt.succ)
			if len(r.Order) != tt.n {
				t.Fatalf("order has %d nodes, want %d", len(r.Order), tt.n)
			}
			pos := make([]int, tt.n)
			for i, u := range r.Order {
				pos[u] = i
			}
			for u, vs := range tt.succ {
				for _, v := range vs {
					if v < 0 || int(v) >= tt.n {
						continue
					}
					if r.Component[v] > r.Component[u] {
						t.Errorf("edge %d->%d: callee component %d after caller %d", u, v, r.Component[v], r.Component[u])
					}
					if r.Component[v] != r.Component[u] && pos[v] > pos[u] {
						t.Errorf("edge %d->%d: callee after caller in order", u, v)
					}
				}
			}
			if tt.wantLevels != nil {
				got := make([]int32, tt.n)
				for u := range got {
					got[u] = r.Level[r.Component[u]]
				}
				if !reflect.DeepEqual(got, tt.wantLevels) {
					t.Errorf("levels = %v, want %v", got, tt.wantLevels)
				}
			}
			for _, p := range tt.sameComp {
				if r.Component[p[0]] != r.Component[p[1]] {
					t.Errorf("nodes %d and %d in different components", p[0], p[1])
				}
			}
			for u := 0; u < tt.n; u++ {
				want := false
				for _, c := range tt.cyclic {
					if int(c) == u {
						want = true
					}
				}
				if got := r.Cyclic(r.Component[u], tt.succ); got != want {
					t.Errorf("node %d cyclic = %v, want %v", u, got, want)
				}
			}
		})
	}
}

func TestOrderDeepChainDoesNotRecurse(t *testing.T) {
	const n = 200000
	succ := make([][]int32, n)
	for i := 0; i < n-1; i++ {
		succ[i] = []int32{int32(i + 1)}
	}
	r := Order(n, succ)
	if got := r.Level[r.Component[0]]; got != n-1 {
		t.Fatalf("level of chain head = %d, want %d", got, n-1)
	}
	if r.Order[0] != n-1 {
		t.Fatalf("first in order = %d, want the leaf %d", r.Order[0], n-1)
	}
}
