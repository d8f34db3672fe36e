package callgraph

import (
	"math/rand/v2"
	"testing"
)

// The open-addressing tables must agree with Go maps on any mix of keys,
// through growth and with the all-ones key that their slots cannot hold.
func TestIntMapAndSetAgreeWithGoMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, s := newIntMap(0), newIntSet(0)
	refM, refS := map[uint64]int32{}, map[uint64]bool{}
	key := func() uint64 {
		switch rng.IntN(10) {
		case 0:
			return maxKey
		case 1:
			return uint64(rng.IntN(8)) // dense small keys collide often
		default:
			return pairKey(rng.Int32N(1000), rng.Int32N(1000))
		}
	}
	for i := 0; i < 50000; i++ {
		k := key()
		switch rng.IntN(3) {
		case 0:
			v := rng.Int32()
			m.put(k, v)
			refM[k] = v
		case 1:
			if got, want := s.insert(k), !refS[k]; got != want {
				t.Fatalf("insert(%#x) = %v, want %v", k, got, want)
			}
			refS[k] = true
		default:
			got, ok := m.get(k)
			want, wantOK := refM[k]
			if ok != wantOK || got != want {
				t.Fatalf("get(%#x) = %d, %v; want %d, %v", k, got, ok, want, wantOK)
			}
		}
	}
	seen := map[uint64]int32{}
	m.each(func(k uint64, v int32) {
		if _, dup := seen[k]; dup {
			t.Fatalf("each visits %#x twice", k)
		}
		seen[k] = v
	})
	if len(seen) != len(refM) {
		t.Fatalf("each visited %d keys, want %d", len(seen), len(refM))
	}
	for k, v := range refM {
		if seen[k] != v {
			t.Fatalf("each gave %#x -> %d, want %d", k, seen[k], v)
		}
	}
	for k := range refS {
		if s.insert(k) {
			t.Fatalf("key %#x was lost from the set", k)
		}
	}
}
