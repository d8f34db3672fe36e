// Package jobbound writes a synthetic Python repository with a known call
// structure and computes the wall-time lower bound of annotating it.
package jobbound

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StagesPerFunction is the LLM calls per function: summary, query, validation.
const StagesPerFunction = 3

// Shape is the call structure of a synthetic repository: a chain of Depth
// functions (chain_0 calls chain_1 ... calls chain_{Depth-1}) and a hub
// calling Width leaves.
type Shape struct {
	Depth, Width int
}

// Functions is the number of functions in the repository.
func (s Shape) Functions() int { return s.Depth + s.Width + 1 }

// Calls is the LLM calls a job makes: three per function.
func (s Shape) Calls() int { return StagesPerFunction * s.Functions() }

// CriticalPath is the longest chain of summaries that must run one after
// the other (a caller's summary needs its callees' summaries).
func (s Shape) CriticalPath() int {
	return max(s.Depth, 2) // the hub and its leaves are two levels
}

// LowerBound is the least wall time any scheduler needs with calls of the
// given latency and at most concurrency calls in flight:
//
//	max(criticalPath x latency + 2 x latency,  calls x latency / concurrency)
//
// the first term being the chain of summaries and then the query and
// validation of the last function, the second the total work spread over
// the concurrency.
func LowerBound(criticalPath, calls int, latency time.Duration, concurrency int) (time.Duration, error) {
	if criticalPath < 0 || calls < 0 || latency < 0 || concurrency < 1 {
		return 0, errors.New("lower bound: want non-negative path, calls and latency and concurrency >= 1")
	}
	path := time.Duration(criticalPath+2) * latency
	work := time.Duration(float64(calls) * float64(latency) / float64(concurrency))
	return max(path, work), nil
}

// Write creates the repository under dir: synth/chain.py and synth/fan.py.
// Every function body differs, so none is deduplicated as identical code.
func Write(dir string, s Shape) error {
	if s.Depth < 1 || s.Width < 1 {
		return fmt.Errorf("synthetic repository: depth %d and width %d must be >= 1", s.Depth, s.Width)
	}
	pkg := filepath.Join(dir, "synth")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return fmt.Errorf("synthetic repository: %w", err)
	}
	var chain strings.Builder
	chain.WriteString("\"\"\"A deep call chain: each function calls the next.\"\"\"\n")
	for i := range s.Depth {
		fmt.Fprintf(&chain, "\n\ndef chain_%d(value):\n    \"\"\"Step %d of the chain: scale the value by %d.\"\"\"\n", i, i, i+2)
		if i+1 < s.Depth {
			fmt.Fprintf(&chain, "    return chain_%d(value * %d) + %d\n", i+1, i+2, i)
		} else {
			fmt.Fprintf(&chain, "    return value * %d + %d\n", i+2, i)
		}
	}
	var fan strings.Builder
	fan.WriteString("\"\"\"A wide fan-out: one hub calls many leaves.\"\"\"\n")
	for i := range s.Width {
		fmt.Fprintf(&fan, "\n\ndef leaf_%d(value):\n    \"\"\"Leaf %d: offset the value by %d.\"\"\"\n    return value + %d\n", i, i, i*7+1, i*7+1)
	}
	fan.WriteString("\n\ndef hub(value):\n    \"\"\"Sum every leaf applied to the value.\"\"\"\n    total = 0\n")
	for i := range s.Width {
		fmt.Fprintf(&fan, "    total += leaf_%d(value)\n", i)
	}
	fan.WriteString("    return total\n")
	for name, text := range map[string]string{"__init__.py": "", "chain.py": chain.String(), "fan.py": fan.String()} {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("synthetic repository: %w", err)
		}
	}
	return nil
}
