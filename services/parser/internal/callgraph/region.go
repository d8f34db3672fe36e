package callgraph

import "unsafe"

// The solver's large tables (nodes, value lists, constraints, hash tables:
// about 6 bytes per source byte) hold no pointers, live exactly as long as
// one resolution, and are written from start to end. They are carved from
// memory mapped outside the Go heap and unmapped when resolution ends.
// On Linux the mappings ask for transparent huge pages: faulting tens of
// megabytes in 4 KiB at a time costs more than filling them where page
// faults are dear (measured on the 2-vCPU virtual machine of
// docs/BENCHMARKS.md: 9 µs per 4 KiB page, 14 ms for 256 MiB in huge pages
// against 600 ms). The solver runs on one core while the other waits, so
// every fault it takes is wall time.
//
// A table that outgrows its share is reallocated by append on the Go heap,
// as any slice; nothing carved from a region may be kept after release
// (graph copies what it returns).

// regionChunk is the size of one mapping; larger tables get their own.
// Mappings are reserved, not committed: unused room costs no memory.
const regionChunk = 32 << 20

// region is a bump allocator over anonymous mappings made as needed.
type region struct {
	chunks [][]byte
	used   int // bytes used in the last chunk
}

// carve returns n zeroed Ts with capacity n from r, or from the Go heap
// when r is nil or no mapping can be made. T must hold no pointers: the
// collector does not see the region.
func carve[T any](r *region, n int) []T {
	if n <= 0 {
		return nil
	}
	var zero T
	size := int(unsafe.Sizeof(zero)) * n
	if r != nil {
		if mem := r.take(size); mem != nil {
			return unsafe.Slice((*T)(unsafe.Pointer(&mem[0])), n)
		}
	}
	return make([]T, n)
}

// take returns size bytes, cache-line aligned, from the last chunk or a
// new one; nil when no mapping can be made.
func (r *region) take(size int) []byte {
	at := (r.used + 63) &^ 63
	if len(r.chunks) == 0 || at+size > len(r.chunks[len(r.chunks)-1]) {
		mem := mapChunk(max(size, regionChunk))
		if mem == nil {
			return nil
		}
		r.chunks = append(r.chunks, mem)
		at = 0
	}
	r.used = at + size
	return r.chunks[len(r.chunks)-1][at : at+size]
}

// release unmaps the region; nothing carved from it may be used after.
func (r *region) release() {
	if r == nil {
		return
	}
	for _, mem := range r.chunks {
		unmapChunk(mem)
	}
	r.chunks, r.used = nil, 0
}
