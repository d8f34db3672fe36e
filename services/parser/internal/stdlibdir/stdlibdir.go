// Package stdlibdir locates the CPython standard library that tests and
// benchmarks analyse as a large, real input.
package stdlibdir

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Find returns $Q4C_STDLIB, else the standard library of the python3 on
// PATH; it skips tb when neither is available.
func Find(tb testing.TB) string {
	tb.Helper()
	if dir := os.Getenv("Q4C_STDLIB"); dir != "" {
		return dir
	}
	out, err := exec.Command("python3", "-c", `import sysconfig;print(sysconfig.get_paths()["stdlib"])`).Output()
	if err != nil {
		tb.Skipf("python3 not available to locate the standard library (set Q4C_STDLIB): %v", err)
	}
	return strings.TrimSpace(string(out))
}
