package backendtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// testGramFolds checks the decomposition cross-validation rests on: the
// Gram matrices of k folds, each a set of rows drawn at random (shuffled
// rows indexing a fold-grouping permutation; contiguous ranges of
// unequal length where the backend takes only those), add up to the Gram
// matrix of all rows, ΣG_f = G, and to the float64 reference's.
func testGramFolds(t *testing.T, b lsgd.Backend) { gramFoldsCases(t, b, 13, nil) }

// gramFoldsCases is testGramFolds with the rows weighted by weigh (nil:
// unweighted).
func gramFoldsCases(t *testing.T, b lsgd.Backend, seed uint64, weigh weigher) {
	rng := rand.New(rand.NewPCG(seed, seed))
	u := b.Precision().UnitRoundoff()
	for _, cs := range []struct{ n, f, k int }{{1000, 6, 5}, {4099, 33, 10}, {257, 70, 3}} {
		tab := randomTable(rng, cs.n, cs.f, b.Precision())
		weigh.apply(rng, tab)
		d := load(t, b, tab)
		ref := load(t, cpu.NewReference(), tab)
		n, p := cs.n, cs.f+2
		// A random fold per row, rows grouped by fold.
		fold := make([]int, n)
		for i := range fold {
			fold[i] = rng.IntN(cs.k)
		}
		var order []int32
		var ranges []lsgd.Rows
		for f := 0; f < cs.k; f++ {
			lo := len(order)
			for i, g := range fold {
				if g == f {
					order = append(order, int32(i))
				}
			}
			ranges = append(ranges, lsgd.Rows{Lo: lo, Hi: len(order), Shuffled: true})
		}
		if err := d.SetOrder(order); err != nil {
			t.Fatal(err)
		}
		if err := ref.SetOrder(order); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Gram(ranges[0]); err != nil {
			if b.Name() == "cpu" {
				t.Fatalf("%s: shuffled Gram: %v", tab.Source, err)
			}
			for f := range ranges {
				ranges[f].Shuffled = false
			}
		}
		name := fmt.Sprintf("%s Σ of %d fold Gram matrices (shuffled %v)", tab.Source, cs.k, ranges[0].Shuffled)
		sum := make([]float64, p*p)
		for _, r := range ranges {
			if r.Len() == 0 {
				continue
			}
			for k, v := range gramOf(t, d, r) {
				sum[k] += v
			}
		}
		all := gramOf(t, d, lsgd.Rows{Lo: 0, Hi: n})
		want := gramOf(t, ref, lsgd.Rows{Lo: 0, Hi: n})
		tol := gramTolerance(gramMagnitude(ref, tab, lsgd.Rows{Lo: 0, Hi: n}, order), u, n)
		ck := checker{t: t, name: name}
		ckRef := checker{t: t, name: name + " against the reference"}
		for k := range all {
			ck.check(k, sum[k], all[k], 2*tol[k])
			ckRef.check(k, sum[k], want[k], 2*tol[k])
		}
		checkCount(t, name, sum[p*p-1], tab, lsgd.Rows{Lo: 0, Hi: n}, order)
	}
}
