package eval

import (
	"context"
	"sync"
)

// forEach calls fn for i in 0..n-1 from at most concurrency goroutines
// and returns when every started call has returned. It stops starting new
// calls once ctx is done and then returns ctx's error.
func forEach(ctx context.Context, n, concurrency int, fn func(ctx context.Context, i int)) error {
	if concurrency < 1 {
		concurrency = 1
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(ctx, i)
			}
		}()
	}
	var err error
dispatch:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break dispatch
		}
	}
	close(next)
	wg.Wait()
	return err
}
