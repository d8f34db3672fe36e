// Package admission bounds the analyses a parser runs at once by the source
// bytes they parse. An analysis' memory grows with its input (the peak is
// 25 to 41 bytes per source byte: docs/BENCHMARKS.md), so a budget of bytes
// in flight bounds the process' memory where a count of requests would not:
// one large repository and ten small ones cost alike.
//
// A request that does not fit waits, first come first served, up to a
// deadline; then it is refused with a *BusyError saying when to retry. An
// analysis larger than the whole budget is admitted when nothing else runs,
// so every repository can be served.
package admission

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrBusy reports that the budget stayed full for the whole wait; errors
// returned by Acquire wrap it in a *BusyError.
var ErrBusy = errors.New("analyses in flight exhaust the parser's budget")

// BusyError is a refusal: what was asked, what was in flight, and when a
// retry may succeed.
type BusyError struct {
	Cost, InFlight, Budget int64
	// RetryAfter estimates when enough of the running analyses will have
	// finished for this one to fit.
	RetryAfter time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%v: an analysis of %d source bytes waited for %d bytes in flight under a budget of %d; retry in %s",
		ErrBusy, e.Cost, e.InFlight, e.Budget, e.RetryAfter.Round(time.Second))
}

func (e *BusyError) Unwrap() error { return ErrBusy }

// Bounds of the retry delay a refusal suggests.
const (
	minRetryAfter = time.Second
	maxRetryAfter = time.Minute
)

// Usage is what the gate holds at a moment (for metrics).
type Usage struct {
	Bytes    int64 // source bytes of the analyses running
	Analyses int   // analyses running
	Waiting  int   // analyses waiting to start
	Refusals int64 // refusals since the gate was made
	Budget   int64
}

// Gate admits analyses while their source bytes fit in a budget.
type Gate struct {
	budget int64
	wait   time.Duration
	now    func() time.Time // for tests

	mu    sync.Mutex
	usage Usage
	queue []*waiter // FIFO
	// bytesPerSecond is a moving average of finished analyses' speed, to
	// estimate retry delays; 0 until one has finished.
	bytesPerSecond float64
}

type waiter struct {
	cost  int64
	ready chan struct{} // closed when admitted
}

// New returns a gate admitting up to budget source bytes at once; a
// request waits at most wait before it is refused.
func New(budget int64, wait time.Duration) (*Gate, error) {
	if budget <= 0 {
		return nil, fmt.Errorf("admission budget must be positive, got %d bytes", budget)
	}
	if wait < 0 {
		return nil, fmt.Errorf("admission wait must not be negative, got %s", wait)
	}
	g := &Gate{budget: budget, wait: wait, now: time.Now}
	g.usage.Budget = budget
	return g, nil
}

// Usage returns what the gate holds now.
func (g *Gate) Usage() Usage {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.usage
}

// Budget returns the gate's budget in source bytes.
func (g *Gate) Budget() int64 { return g.budget }

// Acquire admits an analysis of cost source bytes, waiting if the budget
// is full. The returned release must be called once when the analysis is
// done. A refusal is a *BusyError (errors.Is ErrBusy); a context ended
// while waiting returns the context's error.
func (g *Gate) Acquire(ctx context.Context, cost int64) (release func(), err error) {
	cost = max(cost, 0)
	g.mu.Lock()
	if len(g.queue) == 0 && g.fits(cost) {
		g.admit(cost)
		g.mu.Unlock()
		return g.releaser(cost), nil
	}
	w := &waiter{cost: cost, ready: make(chan struct{})}
	g.queue = append(g.queue, w)
	g.usage.Waiting++
	g.mu.Unlock()

	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return g.releaser(cost), nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-w.ready: // admitted while timing out: take it
		return g.releaser(cost), nil
	default:
	}
	g.dequeue(w)
	if err != nil {
		return nil, err
	}
	g.usage.Refusals++
	return nil, &BusyError{Cost: cost, InFlight: g.usage.Bytes, Budget: g.budget, RetryAfter: g.retryAfter(cost)}
}

// fits reports whether cost can start now; the caller holds mu.
func (g *Gate) fits(cost int64) bool {
	return g.usage.Analyses == 0 || g.usage.Bytes+cost <= g.budget
}

// admit counts an admitted analysis; the caller holds mu.
func (g *Gate) admit(cost int64) {
	g.usage.Bytes += cost
	g.usage.Analyses++
}

func (g *Gate) releaser(cost int64) func() {
	start := g.now()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if secs := g.now().Sub(start).Seconds(); secs > 0 && cost > 0 {
				speed := float64(cost) / secs
				if g.bytesPerSecond == 0 {
					g.bytesPerSecond = speed
				} else {
					g.bytesPerSecond = 0.7*g.bytesPerSecond + 0.3*speed
				}
			}
			g.usage.Bytes -= cost
			g.usage.Analyses--
			g.wake()
		})
	}
}

// wake admits waiters from the head of the queue while they fit; the
// caller holds mu.
func (g *Gate) wake() {
	for len(g.queue) > 0 && g.fits(g.queue[0].cost) {
		w := g.queue[0]
		g.queue = g.queue[1:]
		g.usage.Waiting--
		g.admit(w.cost)
		close(w.ready)
	}
}

// dequeue removes a waiter that gave up; the caller holds mu. The waiters
// behind it may fit now.
func (g *Gate) dequeue(w *waiter) {
	for i, q := range g.queue {
		if q == w {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			g.usage.Waiting--
			break
		}
	}
	g.wake()
}

// retryAfter estimates how long until cost fits: the bytes that must
// finish first, at the speed analyses have been finishing; the caller
// holds mu.
func (g *Gate) retryAfter(cost int64) time.Duration {
	if g.bytesPerSecond == 0 {
		return min(max(g.wait, minRetryAfter), maxRetryAfter)
	}
	var queued int64
	for _, w := range g.queue {
		queued += w.cost
	}
	excess := g.usage.Bytes + queued + cost - g.budget
	if excess <= 0 {
		return minRetryAfter
	}
	d := time.Duration(float64(excess) / g.bytesPerSecond * float64(time.Second))
	return min(max(d, minRetryAfter), maxRetryAfter)
}
