package callgraph

import "syscall"

const hugePage = 2 << 20

// newRegion maps size bytes (rounded up to huge pages) or returns nil when
// the mapping fails; callers then allocate on the Go heap.
func newRegion(size int) *region {
	if size <= 0 {
		return nil
	}
	size = (size + hugePage - 1) &^ (hugePage - 1)
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	// Best effort: without transparent huge pages (disabled, or not
	// offered for madvise) the region faults in 4 KiB pages like the heap.
	_ = syscall.Madvise(mem, syscall.MADV_HUGEPAGE)
	return &region{mem: mem}
}

// release unmaps the region; nothing carved from it may be used after.
func (r *region) release() {
	if r == nil || r.mem == nil {
		return
	}
	_ = syscall.Munmap(r.mem)
	r.mem, r.used = nil, 0
}
