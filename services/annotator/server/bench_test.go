package server

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkAnnotateOffline measures the Annotate RPC over bufconn with the
// offline back-end: the service's own overhead (validation, redaction,
// prompt fitting, the three stages, protobuf and gRPC). It reports p50 and
// p99 latency and calls per second with calls made from GOMAXPROCS
// goroutines.
func BenchmarkAnnotateOffline(b *testing.B) {
	client := startServer(b, DefaultConfig())
	req := sampleAnnotateRequest(splitFunction)
	ctx := context.Background()
	if _, err := client.Annotate(ctx, req); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	latencies := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			start := time.Now()
			if _, err := client.Annotate(ctx, req); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(start))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds())
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(len(latencies))/b.Elapsed().Seconds(), "calls/s")
}
