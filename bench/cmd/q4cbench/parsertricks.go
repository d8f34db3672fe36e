package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/query4code/query4code/bench/internal/gotest"
	"github.com/query4code/query4code/bench/internal/report"
	"github.com/query4code/query4code/bench/internal/sysinfo"
)

const (
	benchFlatten     = "BenchmarkFlatten"
	testConcurrent   = "TestConcurrentStdlibParsesStayUnderOneGiB"
	concurrentCalls  = 6
	concurrentRawLog = "parser-concurrent"
)

// flattenPaired measures the one trick the parser keeps: walking each
// syntax tree in one C call (flatten.c) rather than node by node through
// go-tree-sitter's API, both sides timed in every iteration.
func flattenPaired(ctx context.Context, b *bench) report.Section {
	args := []string{"test", "-run", "^$", "-bench", "^" + benchFlatten + "$", "-benchtime", fmt.Sprintf("%dx", b.pairedRuns()),
		"-cpu", "1", "./services/parser/internal/pyast"}
	sec := report.Section{
		Text: []string{"`" + benchFlatten + "` parses a quarter of the standard library (every 4th file) and turns each tree into " +
			"the parser's flat node array twice per iteration, in alternating order: with services/parser/internal/pyast/flatten.c " +
			"(one cgo call per file) and with go-tree-sitter's node-by-node API (a cgo call and an allocation per node). " +
			"The ratio is go-tree-sitter's time over flatten.c's, per iteration, with its median and range: other work on a " +
			"shared machine swings single iterations both ways, so the median is the figure to hold against 1. Its hand declarations of tree-sitter's types are compiled against the module's api.h by " +
			"`TestDeclarationsMatchTreeSitterHeader`, so a tree-sitter bump that changes a layout fails a test."},
		Table: &report.Table{Right: true, Header: []string{"runs", "flatten.c s", "go-tree-sitter API s",
			"go-tree-sitter / flatten.c (median)", "lowest", "highest"}},
	}
	b.stdlibBenchRows(ctx, &sec, "parser-flatten", benchFlatten, args, func(r gotest.Result, m func(string) string) []string {
		return []string{fmt.Sprint(r.Iterations), m("c-s/op"), m("goapi-s/op"), m("goapi/c-median"), m("goapi/c-lowest"), m("goapi/c-highest")}
	})
	return sec
}

// concurrentLine is what the concurrency test logs.
var concurrentLine = regexp.MustCompile(`(\d+) of (\d+) served, peak RSS (\d+) MiB`)

// parserConcurrent runs the test that sends six concurrent analyses of the
// standard library to bin/parser with default settings and reads its peak
// RSS.
func parserConcurrent(ctx context.Context, b *bench) report.Section {
	root, err := b.stdlibRoot(ctx)
	if err != nil {
		return failed(err)
	}
	args := []string{"test", "-count", "1", "-run", "^" + testConcurrent + "$", "-v", "./services/parser/server"}
	sec := report.Section{
		Text: []string{fmt.Sprintf("`%s` starts bin/parser with default settings and sends it %d concurrent `ParseRepository` "+
			"calls for the standard library (tests left out). The parser admits analyses while their source bytes fit its "+
			"budget (by default a share of GOMEMLIMIT, the cgroup memory limit or physical memory: docs/operations.md); the "+
			"others wait up to `--admission-wait`, then get RESOURCE_EXHAUSTED with a retry delay. Peak RSS is VmHWM from "+
			"/proc/PID/status after the last call.", testConcurrent, concurrentCalls)},
		Commands: []string{"Q4C_STDLIB=STDLIB go " + strings.Join(quoteArgs(args), " ")},
		Table:    &report.Table{Right: true, Header: []string{"calls", "served", "refused (RESOURCE_EXHAUSTED)", "peak RSS (MiB)"}},
	}
	out, _, err := b.exec(ctx, concurrentRawLog, []string{"Q4C_STDLIB=" + root}, "go", args...)
	if err != nil {
		sec.Err = err.Error()
		return sec
	}
	m := concurrentLine.FindStringSubmatch(out)
	if m == nil {
		sec.Err = testConcurrent + " reported nothing (skipped?): see docs/bench-raw/" + concurrentRawLog + ".txt"
		return sec
	}
	var served, calls int
	_, _ = fmt.Sscan(m[1], &served)
	_, _ = fmt.Sscan(m[2], &calls)
	sec.Table.Rows = append(sec.Table.Rows, []string{m[2], m[1], fmt.Sprint(calls - served), m[3]})
	b.peakPerSourceByte(ctx, &sec, root)
	return sec
}

// peakPerSourceByte notes what one analysis takes at its peak per byte of
// source, the figure the default budget divides memory by, on the standard
// library without and with its test suite (denser in calls).
func (b *bench) peakPerSourceByte(ctx context.Context, sec *report.Section, root string) {
	withoutTests, _, _, err := b.subsetDir(ctx, 1)
	if err != nil {
		sec.Notes = append(sec.Notes, "Peak per source byte not measured: "+err.Error())
		return
	}
	sec.Commands = append(sec.Commands, "/usr/bin/time -v bin/q4c callgraph --format json DIR   # one analysis: peak RSS and wall time")
	for _, input := range []struct{ name, dir, raw string }{
		{"the standard library, tests left out", withoutTests, "parser-peak-notests"},
		{"the standard library with its tests", root, "parser-peak-tests"},
	} {
		stdout, stderr, err := b.exec(ctx, input.raw, nil, "/usr/bin/time", "-v", b.binary("q4c"), "callgraph", "--format", "json", input.dir)
		if err != nil {
			sec.Notes = append(sec.Notes, fmt.Sprintf("Peak per source byte of %s not measured: %v", input.name, err))
			continue
		}
		var graph struct {
			Stats struct {
				Bytes int64 `json:"bytes"`
			} `json:"stats"`
		}
		kib, rssErr := sysinfo.MaxRSSFromTimeV(stderr)
		if err := json.Unmarshal([]byte(stdout), &graph); err != nil || rssErr != nil || graph.Stats.Bytes == 0 {
			sec.Notes = append(sec.Notes, fmt.Sprintf("Peak per source byte of %s not measured: see docs/bench-raw/%s.txt", input.name, input.raw))
			continue
		}
		sec.Notes = append(sec.Notes, fmt.Sprintf("One analysis in one process (`q4c callgraph`) of %s: %.1f MB of source, "+
			"peak RSS %.0f MiB, %.0f bytes per source byte, wall time %s.", input.name, float64(graph.Stats.Bytes)/1e6,
			float64(kib)/1024, float64(kib*1024)/float64(graph.Stats.Bytes), wallTimeFromTimeV(stderr)))
	}
}

// wallTimeFromTimeV returns GNU time's "Elapsed (wall clock) time" field.
func wallTimeFromTimeV(report string) string {
	for _, line := range strings.Split(report, "\n") {
		if _, v, ok := strings.Cut(strings.TrimSpace(line), "Elapsed (wall clock) time (h:mm:ss or m:ss): "); ok {
			return v
		}
	}
	return "unknown"
}
