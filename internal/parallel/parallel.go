// Package parallel spreads independent calls over goroutines with a bound
// on their number, so that callers can trade speed for leaving cores to
// others (a dataset activated under load uses one worker).
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls fn(0) … fn(n-1) from up to workers goroutines (zero or
// negative: GOMAXPROCS) and returns when every call has returned. With one
// worker, or n ≤ 1, the calls run in order on the calling goroutine, and
// so on its OS thread, whatever priority that thread has. fn must be safe
// for concurrent use with distinct i. n ≤ 0 calls nothing.
func For(workers, n int, fn func(i int)) {
	if workers <= 0 {
		workers = Workers()
	}
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// Workers is the default number of workers: GOMAXPROCS.
func Workers() int { return runtime.GOMAXPROCS(0) }
