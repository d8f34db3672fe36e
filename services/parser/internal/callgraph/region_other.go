//go:build !linux

package callgraph

// mapChunk maps nothing off Linux: the tables live on the Go heap.
func mapChunk(size int) []byte { return nil }

func unmapChunk(mem []byte) {}
