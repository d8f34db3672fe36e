// Command jscallgraph runs the JavaScript/TypeScript call-graph benchmark
// alone (make bench-jscallgraph, after make build): it prints its
// docs/BENCHMARKS.md section, replaces that section in the report and writes
// what each side missed to docs/bench-raw/jscallgraph.txt.
//
//	go run ./bench/cmd/jscallgraph [-root .] [-bin bin] [-runs 3] [-out docs/BENCHMARKS.md] [-raw docs/bench-raw/jscallgraph.txt]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/query4code/query4code/bench/internal/jsbench"
	"github.com/query4code/query4code/bench/internal/report"
)

func main() {
	root := flag.String("root", ".", "repository root")
	bin := flag.String("bin", "bin", "folder with the built q4c, relative to -root")
	runs := flag.Int("runs", 3, "timed runs of each side per package (the median is kept)")
	out := flag.String("out", "docs/BENCHMARKS.md", "report whose section to replace, relative to -root; empty: print only")
	raw := flag.String("raw", "docs/bench-raw/jscallgraph.txt", "file for the lists of misses, relative to -root; empty: none")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *root, *bin, *runs, *out, *raw)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jscallgraph:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, root, bin string, runs int, out, raw string) error {
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	at := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	results, err := jsbench.Run(ctx, jsbench.Config{Root: root, Q4C: filepath.Join(at(bin), "q4c"), Runs: runs, Log: os.Stderr})
	if err != nil {
		return err
	}
	sec := jsbench.Section(results)
	sec.Title = jsbench.Title
	if err := report.WriteSection(os.Stdout, sec); err != nil {
		return err
	}
	if raw != "" {
		if err := os.WriteFile(at(raw), []byte(jsbench.Raw(results, 200)), 0o644); err != nil {
			return err
		}
	}
	if out == "" {
		return nil
	}
	doc, err := os.ReadFile(at(out))
	if err != nil {
		return fmt.Errorf("read the report: %w", err)
	}
	return os.WriteFile(at(out), report.ReplaceSection(doc, sec), 0o644)
}
