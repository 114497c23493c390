package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

type grammer interface {
	Gram(lsgd.Rows) ([]float64, error)
}

// gramTable returns a rows×cols float64 table: random values with column
// offsets and scales that differ, or small integers (int) whose Gram
// matrix every summation order gets exactly.
func gramTable(rng *rand.Rand, rows, cols int, integer bool) *lsgd.Table {
	t := tableio.NewTable(rows, cols, lsgd.F64)
	for j := 0; j < cols; j++ {
		scale := math.Pow(10, 2*rng.Float64()-1)
		off := (6*rng.Float64() - 3) * scale
		for i := 0; i < rows; i++ {
			v := off + scale*rng.NormFloat64()
			if integer {
				v = float64(rng.IntN(41) - 20)
			}
			t.Set(i, j, float64(float32(v)))
		}
	}
	t.Target = cols / 2 // inside the table, not last
	t.Source = fmt.Sprintf("%d×%d", rows, cols)
	return t
}

// naiveGram is Σ x̃ x̃ᵀ by the definition, every entry on its own (both
// triangles), read through Table.At.
func naiveGram(t *lsgd.Table, idx []int) []float64 {
	p := t.Cols + 1
	g := make([]float64, p*p)
	at := func(i, j int) float64 {
		if j == t.Cols {
			return 1
		}
		return t.At(i, j)
	}
	for j := 0; j < p; j++ {
		for l := 0; l < p; l++ {
			s := 0.0
			for _, i := range idx {
				s += at(i, j) * at(i, l)
			}
			g[j*p+l] = s
		}
	}
	return g
}

func gramOf(t *testing.T, d lsgd.Data, rows lsgd.Rows) []float64 {
	t.Helper()
	g, err := d.(grammer).Gram(rows)
	if err != nil {
		t.Fatalf("Gram(%+v): %v", rows, err)
	}
	return g
}

// TestGramReferenceExact checks the reference on integer tables, whose
// Gram matrix is exact in any order, against the definition, with the
// target inside the table and shuffled and sub-range rows.
func TestGramReferenceExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][2]int{{1, 2}, {7, 3}, {300, 10}} {
		tab := gramTable(rng, sh[0], sh[1], true)
		d, err := NewReference().Load(tab, false)
		if err != nil {
			t.Fatal(err)
		}
		order := rng.Perm(sh[0])
		o32 := make([]int32, len(order))
		for i, v := range order {
			o32[i] = int32(v)
		}
		d.SetOrder(o32)
		lo, hi := sh[0]/3, sh[0]
		idx := make([]int, 0, hi-lo)
		for k := lo; k < hi; k++ {
			idx = append(idx, k)
		}
		for _, shuffled := range []bool{false, true} {
			want := idx
			if shuffled {
				want = make([]int, len(idx))
				for k, i := range idx {
					want[k] = order[i]
				}
			}
			got := gramOf(t, d, lsgd.Rows{Lo: lo, Hi: hi, Shuffled: shuffled})
			w := naiveGram(tab, want)
			for k := range w {
				if got[k] != w[k] {
					t.Fatalf("%s shuffled=%v: G[%d] = %g; want %g", tab.Source, shuffled, k, got[k], w[k])
				}
			}
			p := sh[1] + 1
			if got[p*p-1] != float64(hi-lo) {
				t.Errorf("%s: G[p−1,p−1] = %g; want the row count %d", tab.Source, got[p*p-1], hi-lo)
			}
		}
	}
}

// gramTol returns the bound on |G_jl − G'_jl| between two float64 sums of
// the same m exact products in different orders: 2·m·u·Σ_i |x̃_ij·x̃_il|
// (each order's error is at most (m−1)·u times the sum of magnitudes).
func gramTol(t *lsgd.Table, idx []int) []float64 {
	p := t.Cols + 1
	s := make([]float64, p*p)
	row := make([]float64, p)
	row[t.Cols] = 1
	for _, i := range idx {
		for j := 0; j < t.Cols; j++ {
			row[j] = math.Abs(t.At(i, j))
		}
		for j := 0; j < p; j++ {
			for l := 0; l < p; l++ {
				s[j*p+l] += row[j] * row[l]
			}
		}
	}
	f := 2 * float64(len(idx)) * lsgd.F64.UnitRoundoff()
	for k := range s {
		s[k] *= f
	}
	return s
}

// TestGramFast checks the fast backends (float64 and float32 storage,
// several thread counts) against the reference over tables narrower and
// wider than a tile, with row counts that are not multiples of a block or
// a chunk, on the full table, a sub-range and shuffled rows; and that the
// thread count does not change a bit.
func TestGramFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sh := range [][2]int{{1, 2}, {5, 2}, {129, 7}, {4097 + 130, 33}, {9001, 3}, {700, 130}, {300, 2*gramTile + 7}} {
		n, c := sh[0], sh[1]
		tab := gramTable(rng, n, c, false)
		ref, err := NewReference().Load(tab, false)
		if err != nil {
			t.Fatal(err)
		}
		order := make([]int32, n)
		for i, v := range rng.Perm(n) {
			order[i] = int32(v)
		}
		ref.SetOrder(order)
		lo, hi := n/5, n-n/7
		for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: lo, Hi: hi}, {Lo: lo, Hi: hi, Shuffled: true}} {
			idx := make([]int, 0, rows.Len())
			for k := rows.Lo; k < rows.Hi; k++ {
				i := k
				if rows.Shuffled {
					i = int(order[k])
				}
				idx = append(idx, i)
			}
			want := gramOf(t, ref, rows)
			tol := gramTol(tab, idx)
			var first []float64
			for _, opt := range []Options{{Threads: 1}, {Threads: 3}, {Precision: lsgd.F32, Threads: 2}, {Precision: lsgd.F32, Portable: true, Threads: 1}} {
				d, err := New(opt).Load(tab, false)
				if err != nil {
					t.Fatal(err)
				}
				d.SetOrder(order)
				got := gramOf(t, d, rows)
				name := fmt.Sprintf("%s %v threads=%d rows=%+v", tab.Source, opt.Precision, opt.Threads, rows)
				bad := 0
				for k := range want {
					if !(math.Abs(got[k]-want[k]) <= tol[k]) {
						if bad++; bad <= 5 {
							t.Errorf("%s: G[%d] = %.17g; want %.17g ± %.3g", name, k, got[k], want[k], tol[k])
						}
					}
				}
				// The table holds float32 values, so every
				// variant sums the same exact products in the
				// same order: the same bits.
				if first == nil {
					first = got
				} else {
					for k := range got {
						if math.Float64bits(got[k]) != math.Float64bits(first[k]) {
							t.Fatalf("%s: G[%d] = %x differs from the first variant's %x", name, k, math.Float64bits(got[k]), math.Float64bits(first[k]))
						}
					}
				}
			}
		}
	}
}

// TestGramChunkRows checks that wide tables get fewer, longer chunks so
// the partial matrices stay within gramPartialBytes, and that a multi-chunk
// pass over a wide table still agrees with the reference.
func TestGramChunkRows(t *testing.T) {
	for _, c := range []struct{ m, c, want int }{
		{1_000_000, 32, ChunkRows},
		{200_000, 1024, 7 * ChunkRows}, // 49 chunks of 8.4 MB → 7 groups
		{50_000, 4096, 13 * ChunkRows}, // one chunk: straight into G
		{1, 4096, ChunkRows},
	} {
		if got := gramChunkRows(c.m, c.c); got != c.want {
			t.Errorf("gramChunkRows(%d, %d) = %d; want %d", c.m, c.c, got, c.want)
		}
	}
}

// TestGramAdditive checks that the Gram matrices of disjoint row ranges
// add up to the Gram matrix of their union (within the rounding bound of
// two float64 summation orders).
func TestGramAdditive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n, c := 5000, 70
	tab := gramTable(rng, n, c, false)
	d, err := New(Options{Threads: 2}).Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	all := gramOf(t, d, lsgd.Rows{Lo: 0, Hi: n})
	sum := make([]float64, len(all))
	for _, r := range [][2]int{{0, 1}, {1, 1000}, {1000, 4097}, {4097, n}} {
		for k, v := range gramOf(t, d, lsgd.Rows{Lo: r[0], Hi: r[1]}) {
			sum[k] += v
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	tol := gramTol(tab, idx)
	for k := range all {
		if !(math.Abs(sum[k]-all[k]) <= tol[k]) {
			t.Fatalf("Σ over ranges G[%d] = %.17g; G over all rows %.17g ± %.3g", k, sum[k], all[k], tol[k])
		}
	}
}

// TestGramMicro8 checks the 4×8 micro-kernel, vector (where the CPU has
// it) and portable, against sums written out entry by entry, for 0, 1 and
// many rows, added into a non-zero accumulator: exactly for
// float32-valued panels (exact products summed in the same order), to
// rounding for float64 ones.
func TestGramMicro8(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, gramBlock} {
		for _, f32 := range []bool{true, false} {
			a, b0, b1 := make([]float64, 4*n), make([]float64, 4*n), make([]float64, 4*n)
			for _, q := range [][]float64{a, b0, b1} {
				for i := range q {
					q[i] = rng.NormFloat64()
					if f32 {
						q[i] = float64(float32(q[i]))
					}
				}
			}
			acc0 := make([]float64, 4*gramTile)
			for i := range acc0 {
				acc0[i] = float64(i % 13)
			}
			want := append([]float64(nil), acc0...)
			tol := make([]float64, len(want))
			for r := 0; r < 4; r++ {
				for k := 0; k < 8; k++ {
					s, mag := 0.0, 0.0
					for i := 0; i < n; i++ {
						bv := b0[4*i+k%4]
						if k >= 4 {
							bv = b1[4*i+k%4]
						}
						s += a[4*i+r] * bv
						mag += math.Abs(a[4*i+r] * bv)
					}
					want[r*gramTile+k] += s
					if !f32 {
						tol[r*gramTile+k] = 2 * float64(n+1) * 0x1p-53 * (mag + acc0[r*gramTile+k])
					}
				}
			}
			for _, vec := range []bool{false, haveVector(lsgd.F64)} {
				acc := append([]float64(nil), acc0...)
				gramMicro8(a, b0, b1, acc, vec)
				for i := range acc {
					if !(math.Abs(acc[i]-want[i]) <= tol[i]) {
						t.Fatalf("n=%d f32=%v vec=%v: acc[%d] = %.17g; want %.17g ± %.3g", n, f32, vec, i, acc[i], want[i], tol[i])
					}
				}
			}
		}
	}
}
