// Package gotest reads the output of go test -bench.
package gotest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Result is one benchmark line: BenchmarkName[/sub]-P  N  value unit ...
type Result struct {
	// Name without the -P suffix, e.g. "BenchmarkAnalyzeStdlib" or "BenchmarkX/files=10".
	Name string
	// Procs is GOMAXPROCS (the -P suffix; 1 when go test leaves it out).
	Procs int
	// Iterations is b.N.
	Iterations int64
	// Metrics by unit: "ns/op", "B/op", "allocs/op", "MB/s" and custom ones.
	Metrics map[string]float64
}

// Metric returns a metric and whether it was reported.
func (r Result) Metric(unit string) (float64, bool) {
	v, ok := r.Metrics[unit]
	return v, ok
}

// Parse reads every benchmark result line of r, skipping other lines
// (goos, pkg, PASS, logs). A line that starts like a result but is
// malformed is an error.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		n, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			// "BenchmarkX ... SKIP" or a log line starting with the name.
			continue
		}
		if len(fields)%2 != 0 {
			return nil, fmt.Errorf("line %d: odd value/unit pairs: %q", line, sc.Text())
		}
		res := Result{Iterations: n, Metrics: map[string]float64{}}
		res.Name, res.Procs = splitProcs(fields[0])
		for i := 2; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: value %q: %w", line, fields[i], err)
			}
			res.Metrics[fields[i+1]] = v
		}
		out = append(out, res)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	return out, nil
}

// splitProcs splits "BenchmarkX/a=1-2" into "BenchmarkX/a=1" and 2.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || strings.ContainsRune(name[i:], '/') {
		return name, 1
	}
	p, err := strconv.Atoi(name[i+1:])
	if err != nil || p < 1 {
		return name, 1
	}
	return name[:i], p
}

// Find returns the first result with name and procs.
func Find(results []Result, name string, procs int) (Result, bool) {
	for _, r := range results {
		if r.Name == name && r.Procs == procs {
			return r, true
		}
	}
	return Result{}, false
}

// Best returns, of the results with name and procs (several with -count),
// the one with the highest value of metric: on a shared machine
// interference only slows a run down, so the best run is the closest to the
// code's own cost.
func Best(results []Result, name string, procs int, metric string) (Result, bool) {
	var best Result
	found := false
	for _, r := range results {
		if r.Name != name || r.Procs != procs {
			continue
		}
		v, ok := r.Metrics[metric]
		if !ok {
			continue
		}
		if !found || v > best.Metrics[metric] {
			best, found = r, true
		}
	}
	return best, found
}
