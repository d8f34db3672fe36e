package analysis

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/python"

	"github.com/query4code/query4code/services/parser/internal/repowalk"
)

// stdlibExclude leaves out third-party packages and test folders.
var stdlibExclude = []string{"site-packages/**", "dist-packages/**", "**/test/**", "**/tests/**", "**/idle_test/**"}

// stdlibRoot returns the CPython standard library directory, or skips.
func stdlibRoot(b *testing.B) string {
	b.Helper()
	if dir := os.Getenv("Q4C_STDLIB"); dir != "" {
		return dir
	}
	out, err := exec.Command("python3", "-c", `import sysconfig;print(sysconfig.get_paths()["stdlib"])`).Output()
	if err != nil {
		b.Skipf("python3 not available to locate the standard library: %v", err)
	}
	return strings.TrimSpace(string(out))
}

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
	files := stdlibFiles(b, root)
	srcs := make([][]byte, 0, len(files))
	var total int64
	for _, f := range files {
		src, err := repowalk.ReadSource(f, DefaultMaxFileBytes)
		if err != nil {
			continue
		}
		srcs = append(srcs, src)
		total += int64(len(src))
	}
	workers := runtime.GOMAXPROCS(0)
	b.SetBytes(total)
	b.ReportMetric(float64(len(srcs)), "files")
	cpu := startCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
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
	b.StopTimer()
	cpu.report(b)
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
