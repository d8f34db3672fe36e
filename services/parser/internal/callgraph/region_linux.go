package callgraph

import "syscall"

const hugePage = 2 << 20

// mapChunk maps size bytes (rounded up to huge pages), or returns nil.
func mapChunk(size int) []byte {
	size = (size + hugePage - 1) &^ (hugePage - 1)
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	// Best effort: without transparent huge pages (disabled, or not
	// offered for madvise) the region faults in 4 KiB pages like the heap.
	_ = syscall.Madvise(mem, syscall.MADV_HUGEPAGE)
	return mem
}

func unmapChunk(mem []byte) { _ = syscall.Munmap(mem) }
