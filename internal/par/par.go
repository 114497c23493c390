// Package par shares work among goroutines: the one parallel loop every
// package of lsgd uses.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers is the number of goroutines For runs for n items when asked for
// workers (≤ 0: GOMAXPROCS): min(workers, n), at least 1.
func Workers(n, workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(min(workers, n), 1)
}

// For calls fn(w, k) for every k in 0…n−1 on Workers(n, workers)
// goroutines, handing the k out in increasing order as goroutines become
// free; w in 0…Workers(n, workers)−1 names the goroutine, so fn may use
// per-worker scratch space without locks. With one worker it runs in the
// caller's goroutine. It returns when every call has returned.
func For(n, workers int, fn func(w, k int)) {
	nw := Workers(n, workers)
	if nw == 1 {
		for k := 0; k < n; k++ {
			fn(0, k)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(nw)
	for w := 0; w < nw; w++ {
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				fn(w, k)
			}
		}()
	}
	wg.Wait()
}
