package llm

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// Clock is the time source of rate limiting and retry back-off, so tests
// can check waits without sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Limiter enforces requests-per-minute and tokens-per-minute limits across
// all concurrent callers of one client.
type Limiter struct {
	requests *rate.Limiter // nil: unlimited
	tokens   *rate.Limiter // nil: unlimited
	clock    Clock
}

// NewLimiter returns a limiter for rpm requests and tpm tokens a minute;
// zero means no limit. Requests may burst to one second's worth (servers
// often enforce per-minute limits over shorter windows); tokens to one
// minute's worth, so any single request that fits the limit can go.
func NewLimiter(rpm, tpm int, clock Clock) *Limiter {
	if clock == nil {
		clock = RealClock{}
	}
	l := &Limiter{clock: clock}
	if rpm > 0 {
		l.requests = rate.NewLimiter(rate.Limit(float64(rpm)/60), max(1, rpm/60))
	}
	if tpm > 0 {
		l.tokens = rate.NewLimiter(rate.Limit(float64(tpm)/60), tpm)
	}
	return l
}

// Wait blocks until one request of n tokens may go, or ctx ends. A request
// larger than the whole token budget fails with ErrRateLimited at once.
func (l *Limiter) Wait(ctx context.Context, n int) error {
	if l == nil || (l.requests == nil && l.tokens == nil) {
		return ctx.Err()
	}
	now := l.clock.Now()
	var reservations []*rate.Reservation
	cancel := func() {
		for _, r := range reservations {
			r.CancelAt(now)
		}
	}
	var delay time.Duration
	if l.requests != nil {
		r := l.requests.ReserveN(now, 1)
		reservations = append(reservations, r)
		delay = max(delay, r.DelayFrom(now))
	}
	if l.tokens != nil {
		r := l.tokens.ReserveN(now, n)
		if !r.OK() {
			cancel()
			return fmt.Errorf("%w: request of ~%d tokens exceeds the limit of %d tokens per minute", ErrRateLimited, n, l.tokens.Burst())
		}
		reservations = append(reservations, r)
		delay = max(delay, r.DelayFrom(now))
	}
	if delay <= 0 {
		return nil
	}
	if err := l.clock.Sleep(ctx, delay); err != nil {
		cancel()
		return err
	}
	return nil
}
