// Package schedule runs per-node stages over a dependency graph as soon as each node's dependencies allow,
// not level by level.
//
// Every node has a chain of stages. The first stage is on the critical path: a node's first stage starts
// once the first stage of each of its dependencies has finished, and the moment it finishes its
// dependants are released. The later stages of a node run off the critical path, in order. A fixed pool
// of workers bounds how many stages run at once (one in flight per worker, so the pool is the semaphore),
// and a priority queue hands every free worker the most urgent ready stage: first stages before later
// ones, and among first stages the one with the longest chain of dependants above it. Ready work waits in
// the queue, not in goroutines, which is the back-pressure.
package schedule

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrStopped is returned by Run when Options.Stop closed before every stage ran.
var ErrStopped = errors.New("schedule stopped before all work ran")

// ErrCycle is returned when the dependencies form a cycle, which would never release.
var ErrCycle = errors.New("dependency cycle")

// Node is one unit of work.
type Node struct {
	ID string
	// Deps are the ids of nodes whose first stage must finish before this node's first stage starts.
	// Ids not in the graph and the node's own id are ignored.
	Deps []string
}

// Stage runs one stage for the node with the given id. A non-nil error stops the whole run: stages
// report per-node failures themselves and return nil.
type Stage func(ctx context.Context, id string) error

// Options tune a run.
type Options struct {
	// Concurrency is how many stages run at once; at least 1.
	Concurrency int
	// Stop, when closed, makes Run start no new stage, wait for those running and return ErrStopped.
	Stop <-chan struct{}
}

type task struct {
	node  int
	stage int
	seq   int
}

type scheduler struct {
	stages     []Stage
	ids        []string
	dependants [][]int
	pending    []int
	rank       []int // longest chain of dependants above a node, counting itself

	mu       sync.Mutex
	cond     *sync.Cond
	ready    taskHeap
	seq      int
	finished int // nodes whose last stage ran
	err      error
	halted   bool // cancelled, stopped or failed: start nothing new
	stopped  bool
	stop     <-chan struct{} // Options.Stop; nil never fires
}

// Run runs stages for every node and returns when all have run, a stage failed, ctx was cancelled or
// Stop closed. It always waits for the stages it started before it returns.
func Run(ctx context.Context, nodes []Node, stages []Stage, opts Options) error {
	if len(stages) == 0 {
		return errors.New("schedule: no stages")
	}
	if opts.Concurrency < 1 {
		return fmt.Errorf("schedule: concurrency %d must be at least 1", opts.Concurrency)
	}
	s, err := newScheduler(nodes, stages)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.cond = sync.NewCond(&s.mu)
	s.stop = opts.Stop

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopWatch := context.AfterFunc(ctx, func() { s.halt(nil, false) })
	defer stopWatch()
	watchDone := make(chan struct{})
	if opts.Stop != nil {
		go func() {
			defer close(watchDone)
			select {
			case <-opts.Stop:
				s.halt(nil, true)
			case <-ctx.Done():
			}
		}()
	} else {
		close(watchDone)
	}

	var wg sync.WaitGroup
	for range min(opts.Concurrency, len(nodes)*len(stages)) {
		wg.Go(func() { s.work(ctx) })
	}
	wg.Wait()
	cancel()
	<-watchDone

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return s.err
	case s.finished == len(s.ids):
		return nil
	case s.stopped:
		return ErrStopped
	default:
		return context.Cause(ctx)
	}
}

func newScheduler(nodes []Node, stages []Stage) (*scheduler, error) {
	s := &scheduler{
		stages:     stages,
		ids:        make([]string, len(nodes)),
		dependants: make([][]int, len(nodes)),
		pending:    make([]int, len(nodes)),
		rank:       make([]int, len(nodes)),
	}
	index := make(map[string]int, len(nodes))
	for i, n := range nodes {
		if _, dup := index[n.ID]; dup {
			return nil, fmt.Errorf("schedule: duplicate node id %q", n.ID)
		}
		index[n.ID] = i
		s.ids[i] = n.ID
	}
	for i, n := range nodes {
		seen := map[int]bool{}
		for _, dep := range n.Deps {
			j, ok := index[dep]
			if !ok || j == i || seen[j] {
				continue
			}
			seen[j] = true
			s.dependants[j] = append(s.dependants[j], i)
			s.pending[i]++
		}
	}
	// Kahn's algorithm: a topological order proves there is no cycle and orders the rank computation.
	order := make([]int, 0, len(nodes))
	left := append([]int(nil), s.pending...)
	for i := range nodes {
		if left[i] == 0 {
			order = append(order, i)
		}
	}
	for k := 0; k < len(order); k++ {
		for _, d := range s.dependants[order[k]] {
			left[d]--
			if left[d] == 0 {
				order = append(order, d)
			}
		}
	}
	if len(order) != len(nodes) {
		return nil, fmt.Errorf("schedule: %d of %d nodes: %w", len(nodes)-len(order), len(nodes), ErrCycle)
	}
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		best := 0
		for _, d := range s.dependants[i] {
			best = max(best, s.rank[d])
		}
		s.rank[i] = best + 1
	}
	s.ready.s = s
	for _, i := range order {
		if s.pending[i] == 0 {
			s.push(i, 0)
		}
	}
	return s, nil
}

// push queues a task; the caller holds mu (or is still single-threaded).
func (s *scheduler) push(node, stage int) {
	s.seq++
	heap.Push(&s.ready, task{node: node, stage: stage, seq: s.seq})
}

func (s *scheduler) halt(err error, stopped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil && s.err == nil {
		s.err = err
	}
	if stopped {
		s.stopped = true
	}
	s.halted = true
	s.cond.Broadcast()
}

func (s *scheduler) work(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		// The watchers of ctx and Stop halt too, but asynchronously: do not start another stage meanwhile.
		if ctx.Err() != nil {
			s.halted = true
			s.cond.Broadcast()
			return
		}
		select {
		case <-s.stop:
			s.halted, s.stopped = true, true
			s.cond.Broadcast()
			return
		default:
		}
		for !s.halted && s.finished < len(s.ids) && s.ready.Len() == 0 {
			s.cond.Wait()
		}
		if s.halted || s.finished == len(s.ids) {
			return
		}
		t := heap.Pop(&s.ready).(task)
		s.mu.Unlock()
		err := s.stages[t.stage](ctx, s.ids[t.node])
		s.mu.Lock()
		if err != nil {
			if s.err == nil {
				s.err = fmt.Errorf("stage %d of %s: %w", t.stage, s.ids[t.node], err)
			}
			s.halted = true
			s.cond.Broadcast()
			return
		}
		released := 0
		if t.stage == 0 {
			for _, d := range s.dependants[t.node] {
				s.pending[d]--
				if s.pending[d] == 0 {
					s.push(d, 0)
					released++
				}
			}
		}
		if t.stage+1 < len(s.stages) {
			s.push(t.node, t.stage+1)
			released++
		} else {
			s.finished++
			if s.finished == len(s.ids) {
				s.cond.Broadcast()
			}
		}
		// This worker takes one task itself; wake others for the rest.
		for range released - 1 {
			s.cond.Signal()
		}
	}
}

// taskHeap orders ready tasks: first stages before later stages, later stages nearer the end first
// (they complete records), then longer chains of dependants first, then first come first served.
type taskHeap struct {
	s     *scheduler
	tasks []task
}

func (h *taskHeap) Len() int { return len(h.tasks) }
func (h *taskHeap) Less(i, j int) bool {
	a, b := h.tasks[i], h.tasks[j]
	if (a.stage == 0) != (b.stage == 0) {
		return a.stage == 0
	}
	if a.stage != b.stage {
		return a.stage > b.stage
	}
	if ra, rb := h.s.rank[a.node], h.s.rank[b.node]; ra != rb {
		return ra > rb
	}
	return a.seq < b.seq
}
func (h *taskHeap) Swap(i, j int) { h.tasks[i], h.tasks[j] = h.tasks[j], h.tasks[i] }
func (h *taskHeap) Push(x any)    { h.tasks = append(h.tasks, x.(task)) }
func (h *taskHeap) Pop() any {
	t := h.tasks[len(h.tasks)-1]
	h.tasks = h.tasks[:len(h.tasks)-1]
	return t
}
