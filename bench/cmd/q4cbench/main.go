// Command q4cbench runs every benchmark of the suite and rewrites
// docs/BENCHMARKS.md and docs/charts/*.png. make bench runs it (through
// scripts/bench) after building bin/.
//
//	go run ./bench/cmd/q4cbench [-quick] [-root .] [-bin bin] [-shared ../shared]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/query4code/query4code/bench/internal/jsbench"
	"github.com/query4code/query4code/bench/internal/report"
	"github.com/query4code/query4code/bench/internal/sysinfo"
)

// config is the driver's flags.
type config struct {
	root, bin, shared, stdlib string
	out, charts, raw          string
	quick                     bool
	only                      string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.root, "root", ".", "repository root")
	flag.StringVar(&cfg.bin, "bin", "bin", "folder with the built binaries (q4c, fakellm, parser, docs, annotator, orchestrator), relative to -root")
	flag.StringVar(&cfg.shared, "shared", "../shared", "shared reference data (bench/cosqa, bench/pycg-micro), relative to -root")
	flag.StringVar(&cfg.stdlib, "stdlib", "", "CPython standard library folder (default: python3's)")
	flag.StringVar(&cfg.out, "out", "docs/BENCHMARKS.md", "report to rewrite, relative to -root")
	flag.StringVar(&cfg.charts, "charts", "docs/charts", "folder for the PNG charts, relative to -root")
	flag.StringVar(&cfg.raw, "raw", "docs/bench-raw", "folder for the raw outputs, relative to -root")
	flag.BoolVar(&cfg.quick, "quick", false, "smaller inputs and grids (a smoke test, not for the report)")
	flag.StringVar(&cfg.only, "only", "", "comma-separated section keys to run (parser,parserpaired,flatten,concurrent,callgraph,jscallgraph,docs,annotate,judge,search,jobs,cost,memory,neardup,decontam); empty: all")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, cfg, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "q4cbench:", err)
		os.Exit(1)
	}
}

// bench holds what every step needs.
type bench struct {
	cfg     config
	root    string
	tmp     string
	log     io.Writer
	machine sysinfo.Machine
}

type step struct {
	key   string
	title string
	run   func(ctx context.Context, b *bench) report.Section
}

func run(ctx context.Context, cfg config, log io.Writer) error {
	root, err := filepath.Abs(cfg.root)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "q4cbench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	b := &bench{cfg: cfg, root: root, tmp: tmp, log: log, machine: sysinfo.Read()}
	for _, dir := range []string{cfg.charts, cfg.raw} {
		if err := os.MkdirAll(b.path(dir), 0o755); err != nil {
			return err
		}
	}
	if cfg.only == "" {
		// A full run rewrites the whole report: drop raw outputs of runs it no longer makes.
		stale, _ := filepath.Glob(filepath.Join(b.path(cfg.raw), "*.txt"))
		for _, f := range stale {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for _, name := range []string{"q4c", "fakellm"} {
		if _, err := os.Stat(b.binary(name)); err != nil {
			return fmt.Errorf("%s not built (run make build): %w", b.binary(name), err)
		}
	}
	steps := []step{
		{"parser", "Parser throughput against raw tree-sitter", parserThroughput},
		{"parserpaired", "Parser against tree-sitter: paired runs on the whole standard library", parserPaired},
		{"flatten", "Tree walk in one C call against go-tree-sitter's API: paired runs", flattenPaired},
		{"concurrent", "Six concurrent analyses against the parser's admission budget", parserConcurrent},
		{"callgraph", "Call graph accuracy: PyCG micro-benchmark", callgraphAccuracy},
		{"jscallgraph", jsbench.Title, jsCallgraph},
		{"docs", "Docs lookup: 1,000 APIs from a warm cache", docsLookup},
		{"annotate", "Annotate RPC latency and throughput (offline back-end)", annotateRPC},
		{"judge", "Reverse-validation judge against human labels (CoSQA dev)", judgeAgreement},
		{"search", "Code search: does generated text make code findable? (CoSQA retrieval)", searchQuality},
		{"jobs", "Job wall time against the lower bound", jobWallTime},
		{"cost", "Tokens and cost per kept pair", costPerPair},
		{"memory", "Peak memory", peakMemory},
		{"neardup", "Near-duplicates: Debian's requests against the requests pip vendors", nearDuplicates},
		{"decontam", "Decontamination: a package holding CoSQA functions", decontamination},
	}
	only := map[string]bool{}
	for _, k := range strings.Split(cfg.only, ",") {
		if k = strings.TrimSpace(k); k != "" {
			only[k] = true
		}
	}
	start := time.Now()
	var sections []report.Section
	for _, s := range steps {
		if len(only) > 0 && !only[s.key] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		fmt.Fprintf(log, "== %s\n", s.title)
		sec := s.run(ctx, b)
		sec.Title = s.title
		if sec.Err != "" {
			fmt.Fprintf(log, "   not measured: %s\n", sec.Err)
		}
		fmt.Fprintf(log, "   %.1fs\n", time.Since(t0).Seconds())
		sections = append(sections, sec)
	}
	goVersion, _, _ := b.exec(ctx, "", nil, "go", "env", "GOVERSION")
	rep := &report.Report{
		Title: "Benchmarks",
		Preamble: []string{
			"Generated by `make bench` (`scripts/bench` -> `go run ./bench/cmd/q4cbench`); do not edit by hand. " +
				"Every number below comes with the command that produced it, run from the repository root. " +
				"Raw outputs are in `docs/bench-raw/`.",
			"The machine is shared and small, so absolute speeds are indicative; ratios measured in the same run " +
				"(parser against tree-sitter, job time against its lower bound) are the numbers to compare.",
		},
		Facts: [][2]string{
			{"Machine", b.machine.String()},
			{"Go", strings.TrimSpace(goVersion)},
			{"Date", time.Now().UTC().Format("2006-01-02 15:04 MST")},
			{"Run time", time.Since(start).Round(time.Second).String()},
			{"Mode", map[bool]string{true: "quick (smoke test, smaller inputs)", false: "full"}[cfg.quick]},
		},
		Sections: sections,
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(b.path(cfg.out), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(log, "wrote %s in %s\n", cfg.out, time.Since(start).Round(time.Second))
	return nil
}

// path resolves a path relative to the repository root.
func (b *bench) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(b.root, p)
}

func (b *bench) binary(name string) string { return filepath.Join(b.path(b.cfg.bin), name) }

// rel shows p relative to the root when it is inside or beside it.
func (b *bench) rel(p string) string {
	if r, err := filepath.Rel(b.root, p); err == nil && !strings.HasPrefix(r, "../..") {
		return r
	}
	return p
}

// exec runs a command in the repository root, saves its output under the
// raw folder as rawName.txt (when rawName is set) and returns stdout and stderr.
func (b *bench) exec(ctx context.Context, rawName string, env []string, name string, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = b.root
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if rawName != "" {
		// The raw files are committed beside the report: keep each readable and small.
		raw := fmt.Sprintf("$ %s %s\n%s", strings.Join(env, " "), strings.Join(append([]string{name}, args...), " "), head(stdout.String(), 64<<10))
		if stderr.Len() > 0 {
			raw += "\n--- stderr\n" + tail(stderr.String(), 4000)
		}
		_ = os.WriteFile(filepath.Join(b.path(b.cfg.raw), rawName+".txt"), []byte(raw), 0o644)
	}
	if err != nil {
		return stdout.String(), stderr.String(), fmt.Errorf("%s: %w: %s", name, err, tail(stderr.String()+stdout.String(), 600))
	}
	return stdout.String(), stderr.String(), nil
}

// head keeps the first n bytes of s, saying how much was cut.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s\n... (%d more bytes not kept)\n", s[:n], len(s)-n)
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

func failed(err error) report.Section { return report.Section{Err: err.Error()} }

func f3(v float64) string { return fmt.Sprintf("%.3f", v) }

func cpuList() string {
	if runtime.NumCPU() >= 2 {
		return "1,2"
	}
	return "1"
}
