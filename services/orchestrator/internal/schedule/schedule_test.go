package schedule

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// journal records the order in which stages start and finish.
type journal struct {
	mu     sync.Mutex
	clock  int
	start  map[string]int // "id/stage" -> tick
	finish map[string]int
}

func newJournal() *journal {
	return &journal{start: map[string]int{}, finish: map[string]int{}}
}

func (j *journal) stage(n int, body func(ctx context.Context, id string) error) Stage {
	return func(ctx context.Context, id string) error {
		key := fmt.Sprintf("%s/%d", id, n)
		j.mu.Lock()
		j.clock++
		j.start[key] = j.clock
		j.mu.Unlock()
		var err error
		if body != nil {
			err = body(ctx, id)
		}
		j.mu.Lock()
		j.clock++
		j.finish[key] = j.clock
		j.mu.Unlock()
		return err
	}
}

func randomDAG(r *rand.Rand, n int) []Node {
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i].ID = fmt.Sprintf("n%03d", i)
		for range r.IntN(4) {
			if i > 0 {
				nodes[i].Deps = append(nodes[i].Deps, fmt.Sprintf("n%03d", r.IntN(i)))
			}
		}
	}
	r.Shuffle(len(nodes), func(a, b int) { nodes[a], nodes[b] = nodes[b], nodes[a] })
	return nodes
}

func TestDependenciesAndStageOrder(t *testing.T) {
	tests := []struct {
		name        string
		nodes       int
		stages      int
		concurrency int
	}{
		{"one worker", 30, 3, 1},
		{"few workers", 120, 3, 4},
		{"many workers", 120, 2, 64},
		{"single stage", 60, 1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nodes := randomDAG(rand.New(rand.NewPCG(1, uint64(tc.nodes))), tc.nodes)
			j := newJournal()
			var stages []Stage
			for s := range tc.stages {
				stages = append(stages, j.stage(s, nil))
			}
			if err := Run(context.Background(), nodes, stages, Options{Concurrency: tc.concurrency}); err != nil {
				t.Fatal(err)
			}
			for _, n := range nodes {
				for s := range tc.stages {
					if _, ok := j.finish[fmt.Sprintf("%s/%d", n.ID, s)]; !ok {
						t.Fatalf("%s stage %d never ran", n.ID, s)
					}
					if s > 0 && j.start[fmt.Sprintf("%s/%d", n.ID, s)] < j.finish[fmt.Sprintf("%s/%d", n.ID, s-1)] {
						t.Fatalf("%s stage %d started before stage %d finished", n.ID, s, s-1)
					}
				}
				for _, d := range n.Deps {
					if j.start[n.ID+"/0"] < j.finish[d+"/0"] {
						t.Fatalf("%s started before its dependency %s finished", n.ID, d)
					}
				}
			}
		})
	}
}

// TestReleaseIsNotLevelByLevel: the first leaf to start blocks until a deep chain has finished. A scheduler
// that waits for a whole level before the next would need that leaf done before the chain could go on,
// and would hang.
func TestReleaseIsNotLevelByLevel(t *testing.T) {
	const depth, width = 6, 20
	var nodes []Node
	for i := range depth {
		n := Node{ID: fmt.Sprintf("chain%d", i)}
		if i > 0 {
			n.Deps = []string{fmt.Sprintf("chain%d", i-1)}
		}
		nodes = append(nodes, n)
	}
	for i := range width {
		nodes = append(nodes, Node{ID: fmt.Sprintf("wide%02d", i)})
	}
	chainDone := make(chan struct{})
	var (
		blocking atomic.Bool
		blocker  atomic.Value
	)
	j := newJournal()
	stage := j.stage(0, func(ctx context.Context, id string) error {
		switch {
		case id == fmt.Sprintf("chain%d", depth-1):
			close(chainDone)
		case id[:4] == "wide":
			if !blocking.CompareAndSwap(false, true) {
				return nil
			}
			blocker.Store(id)
			select {
			case <-chainDone:
			case <-time.After(10 * time.Second):
				return errors.New("the chain never finished while a leaf was busy: level-by-level release")
			}
		}
		return nil
	})
	if err := Run(context.Background(), nodes, []Stage{stage}, Options{Concurrency: 2}); err != nil {
		t.Fatal(err)
	}
	// The leaf that blocked was busy the whole time the chain ran: it finished after the top started.
	blockerID, _ := blocker.Load().(string)
	if blockerID == "" || j.finish[blockerID+"/0"] < j.start[fmt.Sprintf("chain%d/0", depth-1)] {
		t.Fatalf("blocking leaf %q did not overlap the chain", blockerID)
	}
}

func TestConcurrencyBound(t *testing.T) {
	for _, limit := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var inFlight, peak atomic.Int64
			stage := func(ctx context.Context, id string) error {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(200 * time.Microsecond)
				inFlight.Add(-1)
				return nil
			}
			nodes := randomDAG(rand.New(rand.NewPCG(7, 7)), 150)
			if err := Run(context.Background(), nodes, []Stage{stage, stage, stage}, Options{Concurrency: limit}); err != nil {
				t.Fatal(err)
			}
			if p := peak.Load(); p > int64(limit) || p < 1 {
				t.Fatalf("peak in flight %d, limit %d", p, limit)
			}
		})
	}
}

func TestSummariesFirst(t *testing.T) {
	// With one worker every first stage is ready at once and must all run before any later stage.
	var order []int
	mk := func(n int) Stage {
		return func(ctx context.Context, id string) error { order = append(order, n); return nil }
	}
	var nodes []Node
	for i := range 10 {
		nodes = append(nodes, Node{ID: fmt.Sprint(i)})
	}
	if err := Run(context.Background(), nodes, []Stage{mk(0), mk(1), mk(2)}, Options{Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	for i, s := range order[:10] {
		if s != 0 {
			t.Fatalf("call %d ran stage %d before every first stage: %v", i, s, order)
		}
	}
}

func TestStopsAndErrors(t *testing.T) {
	chain := func(n int) []Node {
		var nodes []Node
		for i := range n {
			node := Node{ID: fmt.Sprint(i)}
			if i > 0 {
				node.Deps = []string{fmt.Sprint(i - 1)}
			}
			nodes = append(nodes, node)
		}
		return nodes
	}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		run     func() (ran int64, err error)
		wantErr error
		maxRan  int64
	}{
		{
			name: "stage error stops the run",
			run: func() (int64, error) {
				var ran atomic.Int64
				err := Run(context.Background(), chain(20), []Stage{func(ctx context.Context, id string) error {
					ran.Add(1)
					if id == "4" {
						return boom
					}
					return nil
				}}, Options{Concurrency: 4})
				return ran.Load(), err
			},
			wantErr: boom, maxRan: 5,
		},
		{
			name: "cancel",
			run: func() (int64, error) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var ran atomic.Int64
				err := Run(ctx, chain(20), []Stage{func(ctx context.Context, id string) error {
					if ran.Add(1) == 3 {
						cancel()
					}
					return nil
				}}, Options{Concurrency: 2})
				return ran.Load(), err
			},
			wantErr: context.Canceled, maxRan: 3,
		},
		{
			name: "stop lets running stages finish",
			run: func() (int64, error) {
				stop := make(chan struct{})
				var ran atomic.Int64
				err := Run(context.Background(), chain(20), []Stage{func(ctx context.Context, id string) error {
					if ran.Add(1) == 5 {
						close(stop)
						// The stage in flight keeps a live context.
						time.Sleep(time.Millisecond)
						if ctx.Err() != nil {
							return fmt.Errorf("stage cancelled by Stop: %w", ctx.Err())
						}
					}
					return nil
				}}, Options{Concurrency: 1, Stop: stop})
				return ran.Load(), err
			},
			wantErr: ErrStopped, maxRan: 5,
		},
		{
			name: "cycle",
			run: func() (int64, error) {
				return 0, Run(context.Background(), []Node{{ID: "a", Deps: []string{"b"}}, {ID: "b", Deps: []string{"a"}}},
					[]Stage{func(context.Context, string) error { return nil }}, Options{Concurrency: 1})
			},
			wantErr: ErrCycle,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ran, err := tc.run()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if ran > tc.maxRan {
				t.Fatalf("%d stages ran, at most %d expected", ran, tc.maxRan)
			}
		})
	}
}

func TestGraphEdgeCases(t *testing.T) {
	noop := []Stage{func(context.Context, string) error { return nil }}
	tests := []struct {
		name    string
		nodes   []Node
		opts    Options
		wantErr bool
	}{
		{"empty graph", nil, Options{Concurrency: 1}, false},
		{"unknown and self deps ignored", []Node{{ID: "a", Deps: []string{"zzz", "a"}}, {ID: "b", Deps: []string{"a", "a"}}}, Options{Concurrency: 2}, false},
		{"duplicate id", []Node{{ID: "a"}, {ID: "a"}}, Options{Concurrency: 1}, true},
		{"zero concurrency", []Node{{ID: "a"}}, Options{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Run(context.Background(), tc.nodes, noop, tc.opts)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

// BenchmarkDeepChainAndWideFanOut measures a graph with a deep call chain and a wide level of leaves,
// each stage sleeping a fixed latency (summary, then query and validation), against the lower bound
// max(critical path x latency + 2 x latency, calls x latency / concurrency). The ratio is reported as
// x-lower-bound; 1.00 is optimal.
func BenchmarkDeepChainAndWideFanOut(b *testing.B) {
	const (
		depth       = 20
		width       = 100
		concurrency = 16
		latency     = 10 * time.Millisecond
	)
	var nodes []Node
	for i := range depth {
		n := Node{ID: fmt.Sprintf("chain%d", i)}
		if i > 0 {
			n.Deps = []string{fmt.Sprintf("chain%d", i-1)}
		}
		nodes = append(nodes, n)
	}
	for i := range width {
		// The wide level calls into the bottom of the chain, as utility helpers often do.
		nodes = append(nodes, Node{ID: fmt.Sprintf("wide%d", i), Deps: []string{"chain0"}})
	}
	sleep := func(ctx context.Context, id string) error { time.Sleep(latency); return nil }
	stages := []Stage{sleep, sleep, sleep}
	calls := len(nodes) * len(stages)
	bound := max(time.Duration(depth+2)*latency, time.Duration(calls)*latency/concurrency)
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		if err := Run(context.Background(), nodes, stages, Options{Concurrency: concurrency}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total)/float64(b.N)/float64(bound), "x-lower-bound")
}
