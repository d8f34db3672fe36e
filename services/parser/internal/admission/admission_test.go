package admission

import (
	"context"
	"errors"
	"testing"
	"time"
)

func newGate(t *testing.T, budget int64, wait time.Duration) *Gate {
	t.Helper()
	g, err := New(budget, wait)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNewRejectsBadSettings(t *testing.T) {
	if _, err := New(0, time.Second); err == nil {
		t.Error("a zero budget was accepted")
	}
	if _, err := New(10, -time.Second); err == nil {
		t.Error("a negative wait was accepted")
	}
}

func TestAcquireWithinBudgetThenWaitsForRelease(t *testing.T) {
	g := newGate(t, 100, time.Minute)
	r1, err := g.Acquire(context.Background(), 60)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := g.Acquire(context.Background(), 40)
	if err != nil {
		t.Fatal(err)
	}
	if u := g.Usage(); u.Bytes != 100 || u.Analyses != 2 {
		t.Fatalf("usage = %+v, want 100 bytes in 2 analyses", u)
	}
	admitted := make(chan error, 1)
	go func() {
		r, err := g.Acquire(context.Background(), 50)
		if err == nil {
			r()
		}
		admitted <- err
	}()
	waitFor(t, func() bool { return g.Usage().Waiting == 1 })
	r1()
	if err := <-admitted; err != nil {
		t.Fatalf("the waiting analysis was not admitted after a release: %v", err)
	}
	r2()
	r1() // a second call is harmless
	if u := g.Usage(); u.Bytes != 0 || u.Analyses != 0 || u.Waiting != 0 {
		t.Fatalf("usage after all releases = %+v", u)
	}
}

func TestRefusedAfterWaitWithRetryDelay(t *testing.T) {
	g := newGate(t, 100, 20*time.Millisecond)
	r, err := g.Acquire(context.Background(), 80)
	if err != nil {
		t.Fatal(err)
	}
	defer r()
	_, err = g.Acquire(context.Background(), 30)
	var busy *BusyError
	if !errors.As(err, &busy) || !errors.Is(err, ErrBusy) {
		t.Fatalf("err = %v, want a BusyError", err)
	}
	if busy.Cost != 30 || busy.InFlight != 80 || busy.Budget != 100 {
		t.Errorf("refusal = %+v", busy)
	}
	if busy.RetryAfter < minRetryAfter || busy.RetryAfter > maxRetryAfter {
		t.Errorf("retry after %s, outside [%s, %s]", busy.RetryAfter, minRetryAfter, maxRetryAfter)
	}
	if u := g.Usage(); u.Waiting != 0 || u.Refusals != 1 {
		t.Errorf("usage after the refusal = %+v", u)
	}
}

func TestRetryDelayFollowsObservedSpeed(t *testing.T) {
	g := newGate(t, 100, time.Millisecond)
	clock := time.Unix(0, 0)
	g.now = func() time.Time { return clock }
	r, _ := g.Acquire(context.Background(), 100)
	clock = clock.Add(10 * time.Second) // 10 bytes a second
	r()
	r, _ = g.Acquire(context.Background(), 100)
	defer r()
	_, err := g.Acquire(context.Background(), 50)
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("err = %v, want a BusyError", err)
	}
	// 50 bytes must finish first, at 10 bytes a second.
	if busy.RetryAfter != 5*time.Second {
		t.Errorf("retry after %s, want 5s", busy.RetryAfter)
	}
}

func TestOverBudgetAdmittedWhenIdle(t *testing.T) {
	g := newGate(t, 100, time.Millisecond)
	r, err := g.Acquire(context.Background(), 1000)
	if err != nil {
		t.Fatalf("an analysis larger than the budget was refused on an idle gate: %v", err)
	}
	if _, err := g.Acquire(context.Background(), 1); !errors.Is(err, ErrBusy) {
		t.Errorf("a second analysis beside an over-budget one: err = %v, want ErrBusy", err)
	}
	r()
}

func TestWaitersAreServedInOrder(t *testing.T) {
	g := newGate(t, 100, time.Minute)
	r, _ := g.Acquire(context.Background(), 90)
	order := make(chan int64, 2)
	start := func(cost int64) {
		go func() {
			if rel, err := g.Acquire(context.Background(), cost); err == nil {
				order <- cost
				rel()
			}
		}()
	}
	start(100)
	waitFor(t, func() bool { return g.Usage().Waiting == 1 })
	// 5 bytes would fit beside the 90 but must not pass the waiting 100.
	start(5)
	waitFor(t, func() bool { return g.Usage().Waiting == 2 })
	r()
	if first, second := <-order, <-order; first != 100 || second != 5 {
		t.Errorf("admitted %d then %d, want 100 then 5", first, second)
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	g := newGate(t, 10, time.Minute)
	r, _ := g.Acquire(context.Background(), 10)
	defer r()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := g.Acquire(ctx, 5)
		done <- err
	}()
	waitFor(t, func() bool { return g.Usage().Waiting == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if u := g.Usage(); u.Waiting != 0 || u.Refusals != 0 {
		t.Errorf("usage after a cancelled wait = %+v", u)
	}
}

func TestDefaultBudget(t *testing.T) {
	tests := []struct {
		limit Limit
		want  int64
	}{
		{Limit{2 << 30, "GOMEMLIMIT"}, (2 << 30) / limitShare / PeakBytesPerSourceByte},
		{Limit{2 << 30, "cgroup"}, (2 << 30) / limitShare / PeakBytesPerSourceByte},
		{Limit{24 << 30, "physical memory"}, (24 << 30) / physicalShare / PeakBytesPerSourceByte},
		{Limit{256 << 30, "physical memory"}, maxUnlimitedMemory / PeakBytesPerSourceByte}, // capped on a large machine
		{Limit{1 << 20, "cgroup"}, 1 << 20},                                                // never below a megabyte
	}
	for _, tt := range tests {
		if got := DefaultBudget(tt.limit); got != tt.want {
			t.Errorf("DefaultBudget(%+v) = %d, want %d", tt.limit, got, tt.want)
		}
	}
	if l := MemoryLimit(); l.Bytes <= 0 || l.Source == "" {
		t.Errorf("MemoryLimit() = %+v", l)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
