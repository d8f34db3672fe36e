package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock fires After channels only when the test advances it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// tryWait runs b.wait in a goroutine and reports whether it returned within a short real-time grace.
func tryWait(t *testing.T, b *breaker) (started <-chan uint64) {
	t.Helper()
	ch := make(chan uint64, 1)
	go func() {
		gen, err := b.wait(context.Background(), nil)
		if err == nil {
			ch <- gen
		}
	}()
	return ch
}

func receivedWithin(ch <-chan uint64, d time.Duration) (uint64, bool) {
	select {
	case g := <-ch:
		return g, true
	case <-time.After(d):
		return 0, false
	}
}

func TestBreakerPausesAndProbes(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	b := newBreaker(time.Second, time.Minute, 3, clock)
	gen, err := b.wait(context.Background(), nil)
	if err != nil || gen != 0 {
		t.Fatalf("closed breaker: gen %d err %v", gen, err)
	}
	// Two calls of generation 0 fail: one trip, not two.
	if b.outage(gen, 0) || b.outage(gen, 0) {
		t.Fatal("one outage counted as lasting")
	}
	if b.trips != 1 {
		t.Fatalf("trips %d after two failures of one generation, want 1", b.trips)
	}
	probe := tryWait(t, b)
	other := tryWait(t, b)
	if _, ok := receivedWithin(probe, 20*time.Millisecond); ok {
		t.Fatal("a call started during the pause")
	}
	clock.Advance(999 * time.Millisecond)
	if _, ok := receivedWithin(probe, 20*time.Millisecond); ok {
		t.Fatal("a call started before the 1s pause ended")
	}
	clock.Advance(time.Millisecond)
	// One of the two waiters is the probe; the other waits for its outcome.
	var first <-chan uint64
	var pgen uint64
	select {
	case pgen = <-probe:
		first = other
	case pgen = <-other:
		first = probe
	case <-time.After(2 * time.Second):
		t.Fatal("no probe after the pause")
	}
	if _, ok := receivedWithin(first, 20*time.Millisecond); ok {
		t.Fatal("a second call started while the probe was in flight")
	}
	// The probe fails too: the second pause is twice the first, and the server's longer delay wins.
	if b.outage(pgen, 5*time.Second) {
		t.Fatal("two trips counted as lasting with 3 allowed")
	}
	clock.Advance(4 * time.Second)
	if _, ok := receivedWithin(first, 20*time.Millisecond); ok {
		t.Fatal("a call started before the server's 5s Retry-After")
	}
	clock.Advance(time.Second)
	pgen, ok := receivedWithin(first, 2*time.Second)
	if !ok {
		t.Fatal("no probe after the second pause")
	}
	// The probe gets an answer: closed, and the count of trips starts again.
	b.answered(pgen)
	if g, ok := receivedWithin(tryWait(t, b), 2*time.Second); !ok || g != pgen {
		t.Fatalf("closed breaker did not let a call start (gen %d)", g)
	}
	if b.trips != 0 {
		t.Fatalf("trips %d after an answer", b.trips)
	}
}

func TestBreakerLastingOutage(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	b := newBreaker(time.Second, 4*time.Second, 3, clock)
	var pauses []time.Duration
	for trip := 1; trip <= 3; trip++ {
		// Each trip's probe belongs to the generation the previous trip started.
		lasting := b.outage(uint64(trip-1), 0)
		if lasting != (trip == 3) {
			t.Fatalf("trip %d: lasting = %v", trip, lasting)
		}
		pauses = append(pauses, b.until.Sub(clock.Now()))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	for i := range want {
		if pauses[i] != want[i] {
			t.Fatalf("pauses %v, want %v (doubling, capped at the maximum)", pauses, want)
		}
	}
	// A late failure of a call from the first generation does not count again.
	if b.outage(0, 0); b.trips != 3 {
		t.Fatalf("trips %d after a stale failure, want 3", b.trips)
	}
}

func TestBreakerWaitEnds(t *testing.T) {
	b := newBreaker(time.Hour, time.Hour, 5, &fakeClock{now: time.Unix(0, 0)})
	b.outage(0, 0)
	stop := make(chan struct{})
	close(stop)
	if _, err := b.wait(context.Background(), stop); err != errStopping {
		t.Fatalf("wait with stop closed: %v, want errStopping", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.wait(ctx, nil); err != context.Canceled {
		t.Fatalf("wait with ctx cancelled: %v", err)
	}
}
