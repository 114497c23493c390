package main

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lsgd/lsgd/tableio"
)

// randTable returns an n×p table whose columns have means far from zero
// (so centring matters) and mixed scales.
func randTable(rng *rand.Rand, n, p int) *tableio.Table {
	t := tableio.NewTable(n, p, tableio.F64)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			t.F64[i*p+j] = 1e3*float64(j+1) + math.Pow(10, float64(j%3))*rng.NormFloat64()
		}
	}
	return t
}

func allCols(p int) []int {
	c := make([]int, p)
	for j := range c {
		c[j] = j
	}
	return c
}

// rowsStats returns the Stats of rows [lo, hi) of t, as one worker's
// shard would.
func rowsStats(t *tableio.Table, lo, hi int, centred bool) Stats {
	sub := &tableio.Table{Source: t.Source, Names: t.Names, Target: t.Target, Rows: hi - lo, Cols: t.Cols, Stride: t.Stride,
		F64: t.F64[lo*t.Stride:]}
	if hi == lo {
		return Stats{Source: t.Source, Names: t.Names, Centred: centred}
	}
	return TableStats(sub, allCols(t.Cols), t.Names, centred)
}

// checkStats compares s with the statistics of t computed directly: the
// two-pass mean, and RᵀR against the centred cross products C = Σ(r−m)(r−m)ᵀ.
// Householder QR's backward error gives |(RᵀR − C)_ij| ≤ c·u·‖a_i‖‖a_j‖
// with c a small multiple of the rows merged and the columns; the merges
// add a QR of 2p+1 rows each, so c = 8·(p + log2 n + the chunk's rows'
// square root) is generous and still far below a wrong merge's error.
func checkStats(t *testing.T, what string, s Stats, tab *tableio.Table, centred bool) {
	t.Helper()
	n, p := tab.Rows, tab.Cols
	if s.Err != "" {
		t.Fatalf("%s: error %s", what, s.Err)
	}
	if s.N != int64(n) {
		t.Fatalf("%s: N = %d; want %d", what, s.N, n)
	}
	mean := make([]float64, p)
	norm := make([]float64, p)
	for j := 0; j < p; j++ {
		if centred {
			for i := 0; i < n; i++ {
				mean[j] += tab.At(i, j)
			}
			mean[j] /= float64(n)
		}
		for i := 0; i < n; i++ {
			e := tab.At(i, j) - mean[j]
			norm[j] += e * e
		}
		norm[j] = math.Sqrt(norm[j])
		if d := math.Abs(s.Mean[j] - mean[j]); d > 4*math.Sqrt(float64(n))*0x1p-53*(math.Abs(mean[j])+norm[j]/math.Sqrt(float64(n))) {
			t.Errorf("%s: mean[%d] = %.17g; want %.17g", what, j, s.Mean[j], mean[j])
		}
	}
	c := 8 * (float64(p) + math.Log2(float64(n)) + math.Sqrt(chunkRows)) * 0x1p-53
	for a := 0; a < p; a++ {
		for b := a; b < p; b++ {
			want := 0.0
			for i := 0; i < n; i++ {
				want += (tab.At(i, a) - mean[a]) * (tab.At(i, b) - mean[b])
			}
			got := 0.0
			for k := 0; k <= a; k++ {
				got += s.R[k*p+a] * s.R[k*p+b]
			}
			if tol := c * norm[a] * norm[b]; math.Abs(got-want) > tol {
				t.Errorf("%s: (RᵀR)[%d,%d] = %.17g; want %.17g (±%.3g)", what, a, b, got, want, tol)
			}
		}
		for k := a + 1; k < p; k++ {
			if s.R[k*p+a] != 0 {
				t.Fatalf("%s: R[%d,%d] = %g below the diagonal", what, k, a, s.R[k*p+a])
			}
		}
	}
}

// TestMergeSplits merges the statistics of uneven splits, empty bundles
// and single rows, in many orders, and checks each against the whole
// table's.
func TestMergeSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, p = 3000, 5
	tab := randTable(rng, n, p)
	tab.Source = "a.npy"
	for _, centred := range []bool{true, false} {
		whole := rowsStats(tab, 0, n, centred)
		checkStats(t, "whole", whole, tab, centred)
		for trial := 0; trial < 20; trial++ {
			// Cut points: random, with empty and one-row pieces.
			cuts := []int{0, n}
			for k := 0; k < 2+trial; k++ {
				c := rng.IntN(n + 1)
				cuts = append(cuts, c, c) // an empty piece
				if c < n {
					cuts = append(cuts, c+1) // a one-row piece
				}
			}
			sortInts(cuts)
			var parts []Stats
			for k := 0; k+1 < len(cuts); k++ {
				parts = append(parts, rowsStats(tab, cuts[k], cuts[k+1], centred))
			}
			parts = append(parts, Stats{}) // a bundle that saw nothing at all
			// A random merge tree: repeatedly merge two random parts.
			rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			for len(parts) > 1 {
				i := rng.IntN(len(parts))
				j := rng.IntN(len(parts) - 1)
				if j >= i {
					j++
				}
				m := Merge(parts[i], parts[j])
				parts[i] = m
				parts = append(parts[:j], parts[j+1:]...)
			}
			checkStats(t, "merged", parts[0], tab, centred)
			// The merged R agrees with the whole table's R entry by entry
			// (both have a nonnegative diagonal, so R is unique): the
			// columns are independent (cond of R about 10), so R's forward
			// error is a few times its backward error, far below 1e-12 of
			// its column's norm.
			for k := range whole.R {
				if d := math.Abs(parts[0].R[k] - whole.R[k]); d > 1e-12*colNorm(whole.R, p, k%p) {
					t.Fatalf("centred=%v trial %d: R[%d] = %.17g; whole table's %.17g", centred, trial, k, parts[0].R[k], whole.R[k])
				}
			}
		}
	}
}

// colNorm returns the norm of column j of the p×p matrix r.
func colNorm(r []float64, p, j int) float64 {
	s := 0.0
	for i := 0; i < p; i++ {
		s += r[i*p+j] * r[i*p+j]
	}
	return math.Sqrt(s)
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// TestMergeErrors: columns that differ name both files; an error is kept
// whatever the merge order, and the first file's error wins.
func TestMergeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := randTable(rng, 50, 3)
	a.Source = "a.csv"
	b := randTable(rng, 40, 4)
	b.Source = "b.csv"
	sa, sb := rowsStats(a, 0, 50, true), rowsStats(b, 0, 40, true)
	for _, m := range []Stats{Merge(sa, sb), Merge(sb, sa), Merge(Merge(Stats{}, sb), sa)} {
		if !m.Input || !strings.Contains(m.Err, "a.csv has columns x1, x2, y (3 columns) but b.csv has x1, x2, x3, y (4 columns)") {
			t.Errorf("mismatch: got %q", m.Err)
		}
	}
	e1 := Stats{Source: "c.npy", Err: "c.npy: broken"}
	e2 := Stats{Source: "d.npy", Err: "d.npy: broken"}
	for _, m := range []Stats{Merge(e2, Merge(sa, e1)), Merge(Merge(e1, sa), e2), Merge(e2, e1)} {
		if m.Err != "c.npy: broken" {
			t.Errorf("two errors: got %q; want c.npy's", m.Err)
		}
	}
}
