package gotest

import (
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/query4code/query4code/services/parser/analysis
cpu: AMD EPYC
BenchmarkTreeSitterParseOnly   	       1	2992478913 ns/op	   4.05 MB/s	  153832 B/op	    2955 allocs/op
BenchmarkTreeSitterParseOnly-2 	       3	1500000000 ns/op	   8.10 MB/s
BenchmarkAnalyzeStdlib-2         	       1	11145430041 ns/op	     33593 edges	       734.0 files	       395.6 heap-sys-MiB
BenchmarkSub/files=92-2  	      10	   100 ns/op
BenchmarkSkipped-2  --- SKIP: no python3
    bench_test.go:10: log line
PASS
ok  	github.com/query4code/query4code/services/parser/analysis	15.414s
`

func TestParse(t *testing.T) {
	res, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Fatalf("got %d results, want 4: %+v", len(res), res)
	}
	tests := []struct {
		name  string
		procs int
		n     int64
		unit  string
		value float64
	}{
		{"BenchmarkTreeSitterParseOnly", 1, 1, "MB/s", 4.05},
		{"BenchmarkTreeSitterParseOnly", 2, 3, "ns/op", 1.5e9},
		{"BenchmarkAnalyzeStdlib", 2, 1, "heap-sys-MiB", 395.6},
		{"BenchmarkSub/files=92", 2, 10, "ns/op", 100},
	}
	for _, tt := range tests {
		r, ok := Find(res, tt.name, tt.procs)
		if !ok {
			t.Errorf("%s-%d not found", tt.name, tt.procs)
			continue
		}
		if v, ok := r.Metric(tt.unit); !ok || v != tt.value || r.Iterations != tt.n {
			t.Errorf("%s-%d: %s = %v (%v), N %d; want %v, N %d", tt.name, tt.procs, tt.unit, v, ok, r.Iterations, tt.value, tt.n)
		}
	}
}

func TestParseRejectsBrokenLine(t *testing.T) {
	for _, in := range []string{"BenchmarkX-2 10 100 ns/op 5\n", "BenchmarkX-2 10 abc ns/op\n"} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestSplitProcs(t *testing.T) {
	tests := []struct {
		in    string
		name  string
		procs int
	}{
		{"BenchmarkA-16", "BenchmarkA", 16},
		{"BenchmarkA", "BenchmarkA", 1},
		{"BenchmarkA/x-y", "BenchmarkA/x-y", 1},
		{"BenchmarkA/x-y-4", "BenchmarkA/x-y", 4},
	}
	for _, tt := range tests {
		if n, p := splitProcs(tt.in); n != tt.name || p != tt.procs {
			t.Errorf("splitProcs(%q) = %q, %d; want %q, %d", tt.in, n, p, tt.name, tt.procs)
		}
	}
}

func TestBest(t *testing.T) {
	res, err := Parse(strings.NewReader("BenchmarkA-2 1 300 ns/op 2.0 MB/s\nBenchmarkA-2 1 100 ns/op 6.0 MB/s\nBenchmarkA-2 1 200 ns/op 3.0 MB/s\nBenchmarkA 1 50 ns/op 9.0 MB/s\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := Best(res, "BenchmarkA", 2, "MB/s")
	if !ok || r.Metrics["ns/op"] != 100 {
		t.Errorf("best = %+v, %v; want the 6 MB/s run", r, ok)
	}
	if _, ok := Best(res, "BenchmarkA", 2, "calls/s"); ok {
		t.Error("found a metric nobody reported")
	}
}
