package e2e

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/query4code/query4code/cmd/q4c/internal/processtest"
	"github.com/query4code/query4code/platform/client"
	annotatorv1 "github.com/query4code/query4code/proto/gen/go/query4code/annotator/v1"
)

// The default is a few seconds for the normal test run; scripts/load sets 60s.
var (
	loadDuration = flag.Duration("load.duration", envDuration("Q4C_LOAD_DURATION", 3*time.Second), "how long each load test runs")
	loadWorkers  = flag.Int("load.workers", 8, "concurrent callers in the load tests")
)

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// rssKiB reads VmRSS of a process from /proc.
func rssKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS line")
}

// loadResult is what one load run measured.
type loadResult struct {
	calls, errors     int
	p50, p99          time.Duration
	callsPerSec       float64
	rssFirst, rssLast int64 // mean KiB over the first and last third of the samples
	firstError        error
}

// runLoad calls call from workers goroutines for duration, sampling the
// server's RSS every 100ms.
func runLoad(t *testing.T, pid, workers int, duration time.Duration, call func(context.Context) error) loadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		res       loadResult
		wg        sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				err := call(context.Background())
				took := time.Since(start)
				mu.Lock()
				res.calls++
				latencies = append(latencies, took)
				if err != nil {
					res.errors++
					if res.firstError == nil {
						res.firstError = err
					}
				}
				mu.Unlock()
			}
		}()
	}
	var samples []int64
	tick := time.NewTicker(100 * time.Millisecond)
	began := time.Now()
sampling:
	for {
		select {
		case <-ctx.Done():
			break sampling
		case <-tick.C:
			if kib, err := rssKiB(pid); err == nil {
				samples = append(samples, kib)
			}
		}
	}
	tick.Stop()
	wg.Wait()
	elapsed := time.Since(began)
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		res.p50, res.p99 = latencies[n/2], latencies[min(n-1, n*99/100)]
	}
	res.callsPerSec = float64(res.calls) / elapsed.Seconds()
	if third := len(samples) / 3; third > 0 {
		res.rssFirst, res.rssLast = mean(samples[:third]), mean(samples[len(samples)-third:])
	}
	return res
}

func mean(xs []int64) int64 {
	var sum int64
	for _, x := range xs {
		sum += x
	}
	return sum / int64(len(xs))
}

// checkLoad asserts zero errors and memory that does not grow: the mean RSS
// of the last third may exceed the first third's by half plus 32 MiB (GC
// pacing and allocator caches move it around; a leak under sustained load
// grows well past that over a run).
func checkLoad(t *testing.T, name string, res loadResult) {
	t.Helper()
	t.Logf("LOAD %s: duration=%v workers=%d calls=%d errors=%d calls/s=%.0f p50=%v p99=%v rss_first_third=%dKiB rss_last_third=%dKiB",
		name, *loadDuration, *loadWorkers, res.calls, res.errors, res.callsPerSec, res.p50, res.p99, res.rssFirst, res.rssLast)
	if res.calls == 0 {
		t.Fatalf("%s: no call completed", name)
	}
	if res.errors != 0 {
		t.Errorf("%s: %d of %d calls failed; first: %v", name, res.errors, res.calls, res.firstError)
	}
	if res.rssFirst == 0 {
		t.Fatalf("%s: too few RSS samples", name)
	}
	if limit := res.rssFirst*3/2 + 32<<10; res.rssLast > limit {
		t.Errorf("%s: RSS grew from %d KiB to %d KiB (limit %d KiB)", name, res.rssFirst, res.rssLast, limit)
	}
}

// TestLoadAnnotateOffline drives Annotate on the offline back-end.
func TestLoadAnnotateOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	p := processtest.Start(t, "annotator")
	conn, err := client.Dial(p.Addr, client.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ann := annotatorv1.NewAnnotatorServiceClient(conn)
	var n sync.Mutex
	seq := 0
	res := runLoad(t, p.Pid(), *loadWorkers, *loadDuration, func(ctx context.Context) error {
		n.Lock()
		seq++
		i := seq
		n.Unlock()
		// Distinct code per call, so no cache inside the annotator hides work.
		code := fmt.Sprintf("def scale_%d(values, factor=%d):\n    \"\"\"Multiply every value by the factor.\"\"\"\n    return [v * factor for v in values]\n", i, i)
		_, err := ann.Annotate(ctx, &annotatorv1.AnnotateRequest{Function: &annotatorv1.CodeFunction{Path: "scale.py", Code: code}})
		return err
	})
	checkLoad(t, "Annotate(offline)", res)
}

// TestLoadParseRepository drives ParseRepository over examples/bookshelf.
func TestLoadParseRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	p := processtest.Start(t, "parser", "--allowed-roots", example)
	parser := dialParser(t, p.Addr)
	res := runLoad(t, p.Pid(), *loadWorkers, *loadDuration, func(ctx context.Context) error {
		stream, err := parser.ParseRepository(ctx, localReq(example))
		if err != nil {
			return err
		}
		functions := 0
		for {
			msg, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return errors.New("stream ended without stats")
			}
			if err != nil {
				return err
			}
			if msg.GetFunction() != nil {
				functions++
			}
			if s := msg.GetStats(); s != nil {
				if int(s.GetFunctions()) != functions || functions == 0 {
					return fmt.Errorf("stats say %d functions, stream had %d", s.GetFunctions(), functions)
				}
				return nil
			}
		}
	})
	checkLoad(t, "ParseRepository(examples/bookshelf)", res)
}
