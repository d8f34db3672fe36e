package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/query4code/query4code/bench/internal/gotest"
	"github.com/query4code/query4code/bench/internal/report"
)

const (
	benchTreeSitter = "BenchmarkTreeSitterParseOnly"
	benchAnalyze    = "BenchmarkAnalyzeStdlib"
	benchPaired     = "BenchmarkAnalyzeVsTreeSitter"
)

// stdlibRoot finds the CPython standard library.
func (b *bench) stdlibRoot(ctx context.Context) (string, error) {
	if b.cfg.stdlib != "" {
		return b.cfg.stdlib, nil
	}
	out, err := exec.CommandContext(ctx, "python3", "-c", `import sysconfig;print(sysconfig.get_paths()["stdlib"])`).Output()
	if err != nil {
		return "", fmt.Errorf("locate the standard library with python3: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// stdlibFiles lists the standard library's .py files, without tests and
// installed packages (the parser benchmarks' own exclusions), sorted.
func stdlibFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".py") && d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// stdlibSubset copies every step-th file of the standard library (keeping
// relative paths, so imports still resolve inside the subset) into dir.
func stdlibSubset(root string, files []string, step int, dir string) (n int, bytes int64, err error) {
	for i := 0; i < len(files); i += step {
		data, err := os.ReadFile(filepath.Join(root, files[i]))
		if err != nil {
			return 0, 0, err
		}
		dst := filepath.Join(dir, files[i])
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return 0, 0, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return 0, 0, err
		}
		n++
		bytes += int64(len(data))
	}
	return n, bytes, nil
}

// subsetSteps are the strides of the standard-library subsets, largest last.
func (b *bench) subsetSteps() []int {
	if b.cfg.quick {
		return []int{16, 8}
	}
	return []int{8, 4, 2, 1}
}

// parserCount is the runs per parser benchmark point.
func (b *bench) parserCount() int {
	if b.cfg.quick {
		return 1
	}
	return 3
}

// subsetDir returns the folder of the whole (or, with -quick, the
// largest quick) standard-library subset, creating it when needed.
func (b *bench) subsetDir(ctx context.Context, step int) (string, int, int64, error) {
	dir := filepath.Join(b.tmp, fmt.Sprintf("stdlib-1of%d", step))
	root, err := b.stdlibRoot(ctx)
	if err != nil {
		return "", 0, 0, err
	}
	files, err := stdlibFiles(root)
	if err != nil {
		return "", 0, 0, err
	}
	if _, err := os.Stat(dir); err == nil {
		n := (len(files) + step - 1) / step
		var size int64
		_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					size += info.Size()
				}
			}
			return nil
		})
		return dir, n, size, nil
	}
	n, size, err := stdlibSubset(root, files, step, dir)
	return dir, n, size, err
}

func parserThroughput(ctx context.Context, b *bench) report.Section {
	sec := report.Section{
		Text: []string{
			"`" + benchAnalyze + "` runs the whole analysis (read, tree-sitter parse, extract, resolve calls, order) " +
				"and `" + benchTreeSitter + "` only parses the same files with go-tree-sitter, both with GOMAXPROCS workers. " +
				"Inputs are subsets of the CPython standard library (every k-th file, tests left out), " +
				"so the ratio shows what the call-graph work costs on top of parsing as files and cores grow.",
		},
	}
	type point struct {
		files      int
		mb         float64
		procs      int
		ts, an     gotest.Result
		tsOK, anOK bool
		tsMB, anMB float64
	}
	var points []point
	for _, step := range b.subsetSteps() {
		dir, n, size, err := b.subsetDir(ctx, step)
		if err != nil {
			return failed(err)
		}
		args := []string{"test", "-run", "^$", "-bench", "^(" + benchTreeSitter + "|" + benchAnalyze + ")$",
			"-benchtime", "1x", "-count", fmt.Sprint(b.parserCount()), "-benchmem", "-cpu", cpuList(), "./services/parser/analysis"}
		sec.Commands = append(sec.Commands, fmt.Sprintf("Q4C_STDLIB=<stdlib 1 file in %d> go %s", step, strings.Join(quoteArgs(args), " ")))
		out, _, err := b.exec(ctx, fmt.Sprintf("parser-1of%d", step), []string{"Q4C_STDLIB=" + dir}, "go", args...)
		if err != nil {
			return failed(err)
		}
		results, err := gotest.Parse(strings.NewReader(out))
		if err != nil {
			return failed(err)
		}
		for _, procs := range []int{1, 2} {
			p := point{files: n, mb: float64(size) / 1e6, procs: procs}
			p.ts, p.tsOK = gotest.Best(results, benchTreeSitter, procs, "MB/s")
			p.an, p.anOK = gotest.Best(results, benchAnalyze, procs, "MB/s")
			if !p.tsOK || !p.anOK {
				continue
			}
			p.tsMB, _ = p.ts.Metric("MB/s")
			p.anMB, _ = p.an.Metric("MB/s")
			points = append(points, p)
		}
	}
	if len(points) == 0 {
		return report.Section{Err: "the parser benchmarks reported nothing (skipped?): see docs/bench-raw/parser-*.txt"}
	}
	sec.Table = &report.Table{Right: true, Header: []string{"files", "MB", "GOMAXPROCS", "tree-sitter MB/s", "analysis MB/s",
		"analysis speed / tree-sitter speed", "analysis s", "functions", "edges", "analysis MB allocated"}}
	series := map[string]*report.Series{}
	order := []string{}
	add := func(name string, color int, dashed bool, x, y float64) {
		s, ok := series[name]
		if !ok {
			s = &report.Series{Name: name, Color: color, Dashed: dashed}
			series[name] = s
			order = append(order, name)
		}
		s.X = append(s.X, x)
		s.Y = append(s.Y, y)
	}
	for _, p := range points {
		ns, _ := p.an.Metric("ns/op")
		fns, _ := p.an.Metric("functions")
		edges, _ := p.an.Metric("edges")
		bop, _ := p.an.Metric("B/op")
		sec.Table.Rows = append(sec.Table.Rows, []string{
			fmt.Sprint(p.files), fmt.Sprintf("%.1f", p.mb), fmt.Sprint(p.procs),
			fmt.Sprintf("%.2f", p.tsMB), fmt.Sprintf("%.2f", p.anMB), fmt.Sprintf("%.2f", p.anMB/p.tsMB),
			fmt.Sprintf("%.2f", ns/1e9), fmt.Sprintf("%.0f", fns), fmt.Sprintf("%.0f", edges), fmt.Sprintf("%.0f", bop/1e6),
		})
		color := p.procs - 1
		add(fmt.Sprintf("tree-sitter only, GOMAXPROCS %d", p.procs), color, true, float64(p.files), p.tsMB)
		add(fmt.Sprintf("analysis, GOMAXPROCS %d", p.procs), color, false, float64(p.files), p.anMB)
	}
	chart := report.LineChart{Title: "Parser throughput (CPython stdlib subsets)", XLabel: "files", YLabel: "MB/s", LogX: true}
	for _, name := range order {
		chart.Series = append(chart.Series, *series[name])
	}
	if err := b.saveChart(chart, "parser-throughput.png", &sec); err != nil {
		sec.Notes = append(sec.Notes, "Chart not drawn: "+err.Error())
	}
	sec.Notes = append(sec.Notes, fmt.Sprintf("Each run parses the whole subset once (`-benchtime 1x`); of %d runs per point "+
		"(`-count`) the fastest is shown, since other work on a shared machine only slows runs down. "+
		"\"analysis MB allocated\" is B/op of the analysis.", b.parserCount()))
	return sec
}

// parserPaired runs tree-sitter alone and the whole analysis back to back
// in every iteration: the speed ratio of the target, measured so
// that the machine's changing load falls on both sides alike.
func parserPaired(ctx context.Context, b *bench) report.Section {
	sec := report.Section{
		Text: []string{"`" + benchPaired + "` parses every file of the standard library with go-tree-sitter alone and then " +
			"runs the whole analysis on the same files (the order alternating between iterations), both with GOMAXPROCS workers. " +
			"The ratio is taken per iteration and its median reported; separate benchmarks run minutes apart, and on a " +
			"shared machine their speeds drift apart by more than the effect being measured. " +
			"Both sides let tree-sitter allocate with its default allocator (malloc) and Go collect garbage with its default " +
			"pacing; the analysis changes no process-wide setting (no swapped allocator, no GC hold)."},
		Table: &report.Table{Right: true, Header: []string{"GOMAXPROCS", "runs", "tree-sitter s (median)", "analysis s (median)",
			"analysis speed / tree-sitter speed (median)", "lowest", "highest"}},
	}
	args := []string{"test", "-run", "^$", "-bench", "^" + benchPaired + "$", "-benchtime", fmt.Sprintf("%dx", b.pairedRuns()),
		"-cpu", cpuList(), "./services/parser/analysis"}
	b.stdlibBenchRows(ctx, &sec, "parser-paired", benchPaired, args, func(r gotest.Result, m func(string) string) []string {
		return []string{fmt.Sprint(r.Procs), fmt.Sprint(r.Iterations),
			m("treesitter-s"), m("analysis-s"), m("speed-ratio"), m("speed-ratio-min"), m("speed-ratio-max")}
	})
	return sec
}

// pairedRuns is the iterations of a paired benchmark.
func (b *bench) pairedRuns() int {
	if b.cfg.quick {
		return 3
	}
	return 9
}

// stdlibBenchRows runs a benchmark of the parser module over the standard
// library and adds a row per result of bench to sec, or says why not.
func (b *bench) stdlibBenchRows(ctx context.Context, sec *report.Section, rawName, bench string, args []string,
	row func(r gotest.Result, metric func(unit string) string) []string) {
	sec.Commands = append(sec.Commands, "go "+strings.Join(quoteArgs(args), " "))
	root, err := b.stdlibRoot(ctx)
	if err != nil {
		sec.Err = err.Error()
		return
	}
	out, _, err := b.exec(ctx, rawName, []string{"Q4C_STDLIB=" + root}, "go", args...)
	if err != nil {
		sec.Err = err.Error()
		return
	}
	results, err := gotest.Parse(strings.NewReader(out))
	if err != nil {
		sec.Err = err.Error()
		return
	}
	for _, r := range results {
		if r.Name != bench {
			continue
		}
		sec.Table.Rows = append(sec.Table.Rows, row(r, func(unit string) string {
			v, _ := r.Metric(unit)
			return fmt.Sprintf("%.2f", v)
		}))
	}
	if len(sec.Table.Rows) == 0 {
		sec.Err = bench + " reported nothing (skipped?): see docs/bench-raw/" + rawName + ".txt"
	}
}

func (b *bench) saveChart(c report.LineChart, name string, sec *report.Section) error {
	path := filepath.Join(b.path(b.cfg.charts), name)
	if err := c.SavePNG(path); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(b.path(b.cfg.out)), path)
	if err != nil {
		rel = path
	}
	sec.Charts = append(sec.Charts, report.Chart{Alt: c.Title, Path: filepath.ToSlash(rel)})
	return nil
}

// quoteArgs quotes arguments with shell metacharacters for display.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$|*() ") {
			out[i] = "'" + a + "'"
		} else {
			out[i] = a
		}
	}
	return out
}
