package analysis

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// An analysis builds a large, mostly long-lived heap (about 7 bytes per
// source byte, 85 MB for the CPython standard library) and allocates
// about 14 bytes per source byte in all. Under Go's default pacing
// (GOGC=100) the collector starts a cycle each time the heap doubles, so it
// marks the growing heap a dozen times for garbage that is mostly still
// live, and that costs a tenth of the analysis' wall time (the GOGC=100
// row of docs/BENCHMARKS.md; a quarter when the heap was larger). Like the Go
// compiler (cmd/compile's AdjustStartingHeap), an analysis therefore holds
// collection back until the heap has grown by a budget sized from its
// input: the collector is switched off and a soft memory limit set at the
// heap in use plus the budgets of the running analyses. Past that limit
// the runtime collects as usual. When the last analysis ends, the previous
// settings come back and the next cycle frees what the analyses dropped.
//
// The peak heap is then what the analysis allocated (the budget is a
// ceiling, not a target), where default pacing peaks near twice the live
// heap: about the same memory for far less collection. An operator's explicit GOGC wins: with
// it set, the settings are left alone. GOMEMLIMIT caps the limit set here,
// so under a container's memory limit the collector runs instead.

// gcBudgetPerSourceByte sizes the budget: bytes allocated per source byte,
// with room to spare for denser code (measured: 14 on the standard
// library, 15 on Debian's dist-packages).
const gcBudgetPerSourceByte = 48

// minGCBudget keeps small repositories from collecting at once.
const minGCBudget = 64 << 20

type gcHoldState struct {
	mu          sync.Mutex
	active      int
	budget      int64 // sum over running analyses
	base        int64 // runtime memory in use when the first one started
	prevPercent int
	prevLimit   int64
}

var gcHold gcHoldState

// holdGC raises the collection point by a budget for sourceBytes of input
// and returns the function that gives it back. With GOGC set in the
// environment it does nothing.
func holdGC(sourceBytes int64) (release func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	budget := max(sourceBytes*gcBudgetPerSourceByte, minGCBudget)
	h := &gcHold
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.active == 0 {
		h.base = runtimeMemoryInUse()
		h.prevLimit = debug.SetMemoryLimit(-1) // -1 reads without changing
		h.prevPercent = debug.SetGCPercent(-1)
	}
	h.active++
	h.budget += budget
	h.apply()
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.active--
		h.budget -= budget
		if h.active == 0 {
			debug.SetGCPercent(h.prevPercent)
			debug.SetMemoryLimit(h.prevLimit)
			return
		}
		h.apply()
	}
}

// apply sets the memory limit for the running analyses; the caller holds mu.
func (h *gcHoldState) apply() {
	limit := h.base + h.budget
	if limit < 0 { // overflow
		limit = math.MaxInt64
	}
	debug.SetMemoryLimit(min(limit, h.prevLimit))
}

// runtimeMemoryInUse is the memory the Go runtime holds for the process,
// the quantity the memory limit applies to.
func runtimeMemoryInUse() int64 {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}
