package par

import (
	"sync/atomic"
	"testing"
)

func TestFor(t *testing.T) {
	for _, c := range []struct{ n, workers int }{{0, 4}, {1, 4}, {7, 1}, {100, 3}, {5, 0}, {3, 16}} {
		seen := make([]atomic.Int32, c.n)
		nw := Workers(c.n, c.workers)
		For(c.n, c.workers, func(w, k int) {
			if w < 0 || w >= nw {
				t.Errorf("n %d, workers %d: worker %d outside 0…%d", c.n, c.workers, w, nw-1)
			}
			seen[k].Add(1)
		})
		for k := range seen {
			if got := seen[k].Load(); got != 1 {
				t.Errorf("n %d, workers %d: item %d ran %d times; want 1", c.n, c.workers, k, got)
			}
		}
	}
}
