package callgraph

import (
	"reflect"
	"testing"
	"unsafe"
)

func TestRegionCarvesZeroedDisjointTables(t *testing.T) {
	r := &region{}
	defer r.release()
	a := carve[int32](r, 1000)
	b := carve[node](r, 1000)
	if len(a) != 1000 || cap(a) != 1000 || len(b) != 1000 {
		t.Fatalf("carved %d/%d and %d", len(a), cap(a), len(b))
	}
	for k := range a {
		if a[k] != 0 {
			t.Fatalf("a[%d] = %d, want zero", k, a[k])
		}
		a[k] = int32(k)
	}
	if uintptr(unsafe.Pointer(&b[0]))%64 != 0 {
		t.Error("tables are not cache-line aligned")
	}
	// Tables do not overlap: writing b leaves a intact.
	for k := range b {
		b[k] = node{vals: -1, succ: -1, subs: -1}
	}
	// A table larger than a chunk gets a mapping of its own, and the next
	// one a fresh chunk; all stay disjoint.
	big := carve[int64](r, regionChunk/8+1)
	big[0], big[len(big)-1] = 7, 7
	c := carve[int32](r, 1000)
	c[0] = -1
	for k := range a {
		if a[k] != int32(k) {
			t.Fatalf("a[%d] = %d after writing b, big and c", k, a[k])
		}
	}
	if b[999].vals != -1 || big[0] != 7 {
		t.Error("a later table overwrote an earlier one")
	}
	// A nil region allocates on the heap.
	if h := carve[uint64](nil, 10); len(h) != 10 {
		t.Fatalf("nil region carved %d", len(h))
	}
	if carve[int32](r, 0) != nil {
		t.Error("an empty table should be nil")
	}
}

// The collector does not scan the region: what is carved from it must hold
// no pointers.
func TestRegionTablesHoldNoPointers(t *testing.T) {
	for _, v := range []any{node{}, constraint{}, callArg{}, lookup{}, unresolvedCall{}, hashSlot{}, int32(0), uint64(0), false} {
		if typ := reflect.TypeOf(v); hasPointers(typ) {
			t.Errorf("%v holds pointers", typ)
		}
	}
}

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return false
	case reflect.Array:
		return hasPointers(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	return true
}
