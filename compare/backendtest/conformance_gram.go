package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// gramMagnitude returns S_jl = Σ_i w_i·(|x̃_ij| + |μ_j|)·(|x̃_il| + |μ_l|)
// over the selected rows, x̃ read from the float64 reference, μ the
// reference's column means (0 for the intercept) and w_i row i's weight.
func gramMagnitude(ref lsgd.Data, tab *lsgd.Table, rows lsgd.Rows, order []int32) []float64 {
	c := tab.Cols
	p := c + 1
	mu, _, _ := ref.Moments(true)
	s := make([]float64, p*p)
	a := make([]float64, p)
	for k := rows.Lo; k < rows.Hi; k++ {
		i := k
		if rows.Shuffled {
			i = int(order[k])
		}
		for j := 0; j < c; j++ {
			a[j] = math.Abs(stdValue(ref, i, j)) + math.Abs(mu[j])
		}
		a[c] = 1
		w := tab.Weight(i)
		for j := 0; j < p; j++ {
			for l := j; l < p; l++ {
				s[j*p+l] += w * a[j] * a[l]
			}
		}
	}
	for j := 0; j < p; j++ {
		for l := 0; l < j; l++ {
			s[j*p+l] = s[l*p+j]
		}
	}
	return s
}

// gramTolerance turns the magnitudes S of gramMagnitude into the bound
//
//	tol_jl = (8·u + (m+16)·u₆₄)·S_jl
//
// for a backend of storage unit round-off u summing m rows. Storage: a
// stored value may differ from the reference's by a few roundings of u
// relative to |x| + |μ| (float32 rounding of the centred value x − μ
// that the GPU stores, of a standardized value, of the product with a
// rounded multiplier), so a product x_j·x_l by at most about 6u·S_jl.
// Arithmetic: products of stored values are exact in float64, and any
// order of summing m terms is off by at most (m−1)·u₆₄ times the sum of
// their magnitudes; the host's un-shift of centred storage adds a few
// float64 roundings more.
func gramTolerance(s []float64, u float64, m int) []float64 {
	f := 8*u + float64(m+16)*lsgd.F64.UnitRoundoff()
	tol := make([]float64, len(s))
	for k, v := range s {
		tol[k] = f * v
	}
	return tol
}

// gramOf calls Gram, failing the test on an error.
func gramOf(t *testing.T, d lsgd.Data, rows lsgd.Rows) []float64 {
	t.Helper()
	g, err := d.Gram(rows)
	if err != nil {
		t.Fatalf("Gram(%+v): %v", rows, err)
	}
	return g
}

// testGram checks Gram against the float64 reference on random tables
// (row counts not multiples of any work-group size or tile, tables
// narrower and wider than a tile, raw and standardized), on the full
// table, a sub-range and shuffled rows (where the backend supports them;
// the CPU backends must); that G is exactly symmetric with the row count
// in its corner; that two runs give the same bits; and that the Gram
// matrices of disjoint row ranges add up to that of their union.
//
// Before every checked call the backend computes the Gram matrix of a
// different range, so output buffers hold a wrong, finite answer (the
// poison) that a call that skips a write would return.
func testGram(t *testing.T, b lsgd.Backend) { gramCases(t, b, 11, nil) }

// gramCases is testGram with the rows weighted by weigh (nil: unweighted).
func gramCases(t *testing.T, b lsgd.Backend, seed uint64, weigh weigher) {
	rng := rand.New(rand.NewPCG(seed, seed))
	u := b.Precision().UnitRoundoff()
	cases := []struct {
		n, f int
		std  bool
	}{
		{1, 3, false}, {257, 3, true}, {1031, 17, false}, {1031, 17, true},
		{300, 70, true},   // p = 72: wider than a GPU tile (32)
		{130, 300, false}, // p = 302: wider than a CPU tile (256)
		{4099, 5, false},
	}
	noShuffle := false
	for _, cs := range cases {
		tab := randomTable(rng, cs.n, cs.f, b.Precision())
		tab.Source += fmt.Sprintf(" std=%v", cs.std)
		weigh.apply(rng, tab)
		d := load(t, b, tab)
		ref := load(t, cpu.NewReference(), tab)
		if cs.std {
			gradSetup(t, rng, tab, d, ref)
		}
		n, p := cs.n, cs.f+2
		order := make([]int32, n)
		for i, v := range rng.Perm(n) {
			order[i] = int32(v)
		}
		if err := d.SetOrder(order); err != nil {
			t.Fatal(err)
		}
		if err := ref.SetOrder(order); err != nil {
			t.Fatal(err)
		}
		lo, hi := n/3, n-n/5
		for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: lo, Hi: hi}, {Lo: lo, Hi: hi, Shuffled: true}} {
			if rows.Len() <= 0 {
				continue
			}
			name := fmt.Sprintf("%s Gram rows[%d:%d] shuffled=%v", tab.Source, rows.Lo, rows.Hi, rows.Shuffled)
			// Poison: a different range's G in every buffer.
			gramOf(t, d, lsgd.Rows{Lo: n - 1, Hi: n})
			got, err := d.Gram(rows)
			if err != nil && rows.Shuffled && b.Name() != "cpu" {
				if !noShuffle {
					t.Logf("%s: %v (shuffled rows skipped)", name, err)
				}
				noShuffle = true
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(got) != p*p {
				t.Fatalf("%s: %d values; want %d×%d", name, len(got), p, p)
			}
			want := gramOf(t, ref, rows)
			tol := gramTolerance(gramMagnitude(ref, tab, rows, order), u, rows.Len())
			ck := checker{t: t, name: name}
			for k := range want {
				ck.check(k, got[k], want[k], tol[k])
			}
			for j := 0; j < p; j++ {
				for l := 0; l < j; l++ {
					if math.Float64bits(got[j*p+l]) != math.Float64bits(got[l*p+j]) {
						t.Errorf("%s: G[%d,%d] = %g but G[%d,%d] = %g; want symmetric", name, j, l, got[j*p+l], l, j, got[l*p+j])
					}
				}
			}
			checkCount(t, name, got[p*p-1], tab, rows, order)
			again := gramOf(t, d, rows)
			for k := range got {
				if math.Float64bits(again[k]) != math.Float64bits(got[k]) {
					t.Fatalf("%s: second run G[%d] = %.17g; first %.17g (not reproducible)", name, k, again[k], got[k])
				}
			}
		}
		// Additivity over disjoint ranges.
		if n >= 3 {
			all := gramOf(t, d, lsgd.Rows{Lo: 0, Hi: n})
			sum := make([]float64, p*p)
			for _, r := range [][2]int{{0, lo}, {lo, hi}, {hi, n}} {
				if r[0] < r[1] {
					for k, v := range gramOf(t, d, lsgd.Rows{Lo: r[0], Hi: r[1]}) {
						sum[k] += v
					}
				}
			}
			tol := gramTolerance(gramMagnitude(ref, tab, lsgd.Rows{Lo: 0, Hi: n}, order), u, n)
			ck := checker{t: t, name: tab.Source + " Σ of Gram over disjoint ranges"}
			for k := range all {
				ck.check(k, sum[k], all[k], 2*tol[k])
			}
		}
	}
}
