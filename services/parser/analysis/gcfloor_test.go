package analysis

import (
	"os"
	"runtime/debug"
	"testing"
)

// gcSettings reads the collector's percent and memory limit.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func TestHoldGCRaisesLimitAndRestores(t *testing.T) {
	// Not parallel: the settings are process-wide.
	t.Setenv("GOGC", "")                        // restores the variable afterwards...
	if err := os.Unsetenv("GOGC"); err != nil { // ...and runs as if the operator set nothing
		t.Fatal(err)
	}
	p0, l0 := gcSettings()
	release1 := holdGC(10 << 20)
	p1, l1 := gcSettings()
	if p1 != -1 {
		t.Fatalf("GC percent while held = %d, want -1 (off until the limit)", p1)
	}
	if want := gcHold.base + 10<<20*gcBudgetPerSourceByte; l1 != min(want, l0) {
		t.Fatalf("limit while held = %d, want %d", l1, want)
	}
	release2 := holdGC(20 << 20) // a second analysis adds its budget
	_, l2 := gcSettings()
	if want := gcHold.base + 30<<20*gcBudgetPerSourceByte; l2 != min(want, l0) {
		t.Fatalf("limit with two analyses = %d, want %d", l2, want)
	}
	release1()
	if p, l := gcSettings(); p != -1 || (l != min(gcHold.base+20<<20*gcBudgetPerSourceByte, l0)) {
		t.Fatalf("after the first release: percent %d limit %d", p, l)
	}
	release2()
	if p, l := gcSettings(); p != p0 || l != l0 {
		t.Fatalf("after the last release: percent %d limit %d, want %d %d", p, l, p0, l0)
	}
}

func TestHoldGCLeavesOperatorsGOGCAlone(t *testing.T) {
	t.Setenv("GOGC", "100")
	p0, l0 := gcSettings()
	release := holdGC(10 << 20)
	if p, l := gcSettings(); p != p0 || l != l0 {
		t.Fatalf("with GOGC set: percent %d limit %d, want %d %d", p, l, p0, l0)
	}
	release()
}
