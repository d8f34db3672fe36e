package analysis

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/python"

	"github.com/query4code/query4code/services/parser/internal/repowalk"
	"github.com/query4code/query4code/services/parser/internal/stdlibdir"
)

// stdlibExclude leaves out third-party packages and test folders.
var stdlibExclude = []string{"site-packages/**", "dist-packages/**", "**/test/**", "**/tests/**", "**/idle_test/**"}

// stdlibRoot returns the CPython standard library directory, or skips.
func stdlibRoot(tb testing.TB) string { return stdlibdir.Find(tb) }

func stdlibFiles(b *testing.B, root string) []repowalk.File {
	b.Helper()
	files, _, err := repowalk.Walk(context.Background(), root, repowalk.Options{Exclude: stdlibExclude})
	if err != nil {
		b.Fatal(err)
	}
	return files
}

// BenchmarkTreeSitterParseOnly parses every standard-library file with
// go-tree-sitter and GOMAXPROCS workers: the baseline Analyze is held to.
func BenchmarkTreeSitterParseOnly(b *testing.B) {
	root := stdlibRoot(b)
	srcs, total := readSources(b, stdlibFiles(b, root))
	workers := runtime.GOMAXPROCS(0)
	b.SetBytes(total)
	b.ReportMetric(float64(len(srcs)), "files")
	cpu := startCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		treeSitterParseAll(b, srcs, workers)
	}
	b.StopTimer()
	cpu.report(b)
}

func readSources(b *testing.B, files []repowalk.File) (srcs [][]byte, total int64) {
	b.Helper()
	for _, f := range files {
		src, err := repowalk.ReadSource(f, DefaultMaxFileBytes)
		if err != nil {
			continue
		}
		srcs = append(srcs, src)
		total += int64(len(src))
	}
	return srcs, total
}

// treeSitterParseAll parses srcs with go-tree-sitter alone on workers goroutines.
func treeSitterParseAll(b *testing.B, srcs [][]byte, workers int) {
	jobs := make(chan []byte)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := sitter.NewParser()
			defer p.Close()
			p.SetLanguage(python.GetLanguage())
			for src := range jobs {
				tree, err := p.ParseCtx(context.Background(), nil, src)
				if err != nil {
					b.Error(err)
					continue
				}
				tree.Close()
			}
		}()
	}
	for _, src := range srcs {
		jobs <- src
	}
	close(jobs)
	wg.Wait()
}

// BenchmarkAnalyzeVsTreeSitter times tree-sitter parsing alone and the whole
// analysis of the same files back to back in every iteration (their order
// alternating), so both see the same load on a shared machine, and reports
// the medians over the iterations of both times and of their ratio
// (tree-sitter time / analysis time, i.e. analysis speed / tree-sitter
// speed). Separate benchmarks run minutes apart and drift apart with the
// machine's load; paired runs do not.
func BenchmarkAnalyzeVsTreeSitter(b *testing.B) {
	root := stdlibRoot(b)
	srcs, total := readSources(b, stdlibFiles(b, root))
	workers := runtime.GOMAXPROCS(0)
	b.SetBytes(total)
	timed := func(f func()) float64 {
		b.StopTimer()
		runtime.GC() // neither run pays for the other's garbage
		b.StartTimer()
		start := time.Now()
		f()
		return time.Since(start).Seconds()
	}
	parse := func() { treeSitterParseAll(b, srcs, workers) }
	analyze := func() {
		if _, err := Analyze(context.Background(), Options{Root: root, Exclude: stdlibExclude}); err != nil {
			b.Fatal(err)
		}
	}
	var ts, an, ratio []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var t, a float64
		if i%2 == 0 {
			t = timed(parse)
			a = timed(analyze)
		} else {
			a = timed(analyze)
			t = timed(parse)
		}
		ts, an, ratio = append(ts, t), append(an, a), append(ratio, t/a)
	}
	b.StopTimer()
	b.ReportMetric(median(ts), "treesitter-s")
	b.ReportMetric(median(an), "analysis-s")
	b.ReportMetric(median(ratio), "speed-ratio")
	b.ReportMetric(slices.Min(ratio), "speed-ratio-min")
	b.ReportMetric(slices.Max(ratio), "speed-ratio-max")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpuClock measures the process CPU time of a benchmark: on a shared
// machine it is steadier than wall time.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric((processCPU()-c.start).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkAnalyzeStdlib runs the whole analysis (read, parse, extract,
// resolve, order) on the same files with the same number of workers.
func BenchmarkAnalyzeStdlib(b *testing.B) {
	root := stdlibRoot(b)
	files := stdlibFiles(b, root)
	var total int64
	for _, f := range files {
		total += f.Size
	}
	b.SetBytes(total)
	cpu := startCPU()
	b.ResetTimer()
	var res *Result
	for i := 0; i < b.N; i++ {
		var err error
		res, err = Analyze(context.Background(), Options{Root: root, Exclude: stdlibExclude})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b)
	b.ReportMetric(float64(res.Stats.Files), "files")
	b.ReportMetric(float64(res.Stats.Functions), "functions")
	b.ReportMetric(float64(res.Stats.Edges), "edges")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-sys-MiB")
}

// BenchmarkResolveStdlib times call resolution alone (the solver), on the
// standard library parsed once beforehand: it runs on one core after the
// parse, so its time adds to the analysis' wall time one for one. Each
// iteration starts from a collected heap; on a virtual machine where fresh
// pages are dear, compare runs made back to back.
func BenchmarkResolveStdlib(b *testing.B) {
	root := stdlibRoot(b)
	parsed, _, err := parseAll(context.Background(), stdlibFiles(b, root), DefaultMaxFileBytes, runtime.GOMAXPROCS(0))
	if err != nil {
		b.Fatal(err)
	}
	names := importPaths(root, parsed, false)
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		if _, err := resolve(context.Background(), parsed, names); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b)
}
