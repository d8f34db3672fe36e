package callgraph

import "unsafe"

// The solver's large tables (nodes, value lists, constraints, hash tables:
// about 6 bytes per source byte) hold no pointers, live exactly as long as
// one resolution, and are written from start to end. They are carved from
// a region mapped outside the Go heap and unmapped when resolution ends.
// On Linux the region asks for transparent huge pages: faulting tens of
// megabytes in 4 KiB at a time costs more than filling them where page
// faults are dear (measured on the 2-vCPU virtual machine of
// docs/BENCHMARKS.md: 9 µs per 4 KiB page, 14 ms for 256 MiB in huge pages
// against 600 ms). The solver runs on one core while the other waits, so
// every fault it takes is wall time.
//
// A table that outgrows its share is reallocated by append on the Go heap,
// as any slice; nothing carved from the region may be kept after release
// (graph copies what it returns).

// region is a bump allocator over one anonymous mapping.
type region struct {
	mem  []byte
	used int
}

// carve returns n zeroed Ts with capacity n from r, or from the Go heap
// when r is nil or full. T must hold no pointers: the collector does not
// see the region.
func carve[T any](r *region, n int) []T {
	if n <= 0 {
		return nil
	}
	var zero T
	size := int(unsafe.Sizeof(zero)) * n
	if r != nil {
		at := (r.used + 63) &^ 63 // cache-line aligned
		if at+size <= len(r.mem) {
			r.used = at + size
			return unsafe.Slice((*T)(unsafe.Pointer(&r.mem[at])), n)
		}
	}
	return make([]T, n)
}

// tableBytes is the room n Ts take in a region, alignment included.
func tableBytes[T any](n int) int {
	var zero T
	return int(unsafe.Sizeof(zero))*max(n, 0) + 64
}
