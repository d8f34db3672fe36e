package pipeline

import (
	"context"
	"sync"
	"time"
)

// breaker is a job's circuit breaker for LLM outages. The annotator already retried a call with back-off
// before it reported an outage (LLM unavailable, rate limited, timed out), so resending at once would only
// add load and cost: instead the breaker opens and new calls wait.
//
//   - closed: calls start freely.
//   - open: no call starts until the pause ends. The pause grows exponentially with the trips in a row
//     (base, 2*base, ... up to maxPause) and is never shorter than the delay the annotator asked for
//     (its RetryInfo, from Retry-After when the LLM sent one).
//   - half-open: after the pause one call (the probe) starts; the others wait for its outcome. An answer
//     closes the breaker; another outage opens it again for a longer pause.
//
// Calls already in flight when the breaker opened may fail the same way; those failures belong to the trip
// that opened it and do not count again (each call carries the generation it started in). After maxTrips
// trips in a row with no answer between them, the outage is taken as lasting and the job stops.
type breaker struct {
	base, maxPause time.Duration
	maxTrips       int
	clock          breakerClock

	mu      sync.Mutex
	state   breakerState
	gen     uint64 // bumped at each trip
	trips   int    // trips since the last answer
	until   time.Time
	changed chan struct{} // closed and replaced at every state change
}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

// breakerClock is the time source of the breaker's pauses, so tests run them without waiting.
type breakerClock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func newBreaker(base, maxPause time.Duration, maxTrips int, clock breakerClock) *breaker {
	return &breaker{base: base, maxPause: maxPause, maxTrips: maxTrips, clock: clock, changed: make(chan struct{})}
}

// wait blocks until a call may start, and returns the generation the call belongs to. It returns early
// with ctx's error, or with errStopping when stop is closed.
func (b *breaker) wait(ctx context.Context, stop <-chan struct{}) (uint64, error) {
	for {
		b.mu.Lock()
		var timer <-chan time.Time
		switch b.state {
		case breakerClosed:
			gen := b.gen
			b.mu.Unlock()
			return gen, nil
		case breakerOpen:
			if d := b.until.Sub(b.clock.Now()); d > 0 {
				timer = b.clock.After(d)
				break
			}
			// The pause is over: this call is the probe.
			b.state = breakerHalfOpen
			b.notifyLocked()
			gen := b.gen
			b.mu.Unlock()
			return gen, nil
		case breakerHalfOpen:
			// Wait for the probe's outcome.
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-timer:
		case <-stop:
			return 0, errStopping
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// answered records that a call of generation gen got an answer from the LLM (a result, or a failure
// of the function's own such as an unusable answer): the LLM is reachable, so the breaker closes.
func (b *breaker) answered(gen uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trips = 0
	if b.state != breakerClosed && gen == b.gen {
		b.state = breakerClosed
		b.notifyLocked()
	}
}

// outage records that a call of generation gen failed because the LLM is unavailable, with the delay the
// annotator asked for. It reports whether the outage now counts as lasting (maxTrips trips in a row).
func (b *breaker) outage(gen uint64, retryAfter time.Duration) (lasting bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen {
		// Started before the current trip: that trip already accounts for it.
		return b.trips >= b.maxTrips
	}
	b.trips++
	b.gen++
	pause := b.base << min(b.trips-1, 30)
	if pause > b.maxPause || pause <= 0 {
		pause = b.maxPause
	}
	pause = max(pause, retryAfter)
	b.state = breakerOpen
	b.until = b.clock.Now().Add(pause)
	b.notifyLocked()
	return b.trips >= b.maxTrips
}

func (b *breaker) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}
