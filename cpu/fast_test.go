package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// gradOf loads t into a fast backend with opt, evaluates one Gradient at
// theta over rows and returns the gradient and the status.
func gradOf(t *testing.T, tb *lsgd.Table, opt Options, theta []float64, rows lsgd.Rows, order []int32) ([]float64, lsgd.Status) {
	t.Helper()
	d, err := New(opt).Load(tb, false)
	if err != nil {
		t.Fatal(err)
	}
	p := tb.Cols + 1
	mask, ridge := make([]float64, p), make([]float64, p)
	for j := range mask {
		mask[j], ridge[j] = 1, 0.001
	}
	mask[tb.Target] = 0
	if err := d.Init(theta, mask, ridge); err != nil {
		t.Fatal(err)
	}
	if order != nil {
		if err := d.SetOrder(order); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Gradient(lsgd.Theta, rows); err != nil {
		t.Fatal(err)
	}
	g := make([]float64, p)
	if err := d.Vector(lsgd.Grad, g); err != nil {
		t.Fatal(err)
	}
	st, err := d.Status()
	if err != nil {
		t.Fatal(err)
	}
	return g, st
}

func randomTable(rng *rand.Rand, rows, cols, stride int) *lsgd.Table {
	tb := tableio.NewTable(rows, cols, lsgd.F64)
	tb.Stride = stride
	tb.F64 = make([]float64, rows*stride)
	for i := range tb.F64 {
		tb.F64[i] = rng.NormFloat64()
	}
	return tb
}

// TestFastDeterministic checks that the fast backend gives the same bits
// whatever the number of threads: chunks are fixed by the row range and
// merged in chunk order.
func TestFastDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, shape := range []struct{ rows, cols, stride int }{
		{3*ChunkRows + 1001, 33, 33},
		{2*ChunkRows + 77, 9, 12},
	} {
		tb := randomTable(rng, shape.rows, shape.cols, shape.stride)
		p := shape.cols + 1
		theta := make([]float64, p)
		for j := range theta {
			theta[j] = rng.NormFloat64() / 4
		}
		theta[tb.Target] = -1
		order := make([]int32, shape.rows)
		for i, k := range rng.Perm(shape.rows) {
			order[i] = int32(k)
		}
		for _, prec := range []lsgd.Precision{lsgd.F64, lsgd.F32} {
			for _, portable := range []bool{false, true} {
				for _, rows := range []lsgd.Rows{
					{Lo: 0, Hi: shape.rows},
					{Lo: 123, Hi: shape.rows - 45},
					{Lo: 1000, Hi: 1000 + ChunkRows + 300, Shuffled: true},
				} {
					name := fmt.Sprintf("%dx%d/s=%d/%s/portable=%v/%+v", shape.rows, shape.cols, shape.stride, prec, portable, rows)
					var ord []int32
					if rows.Shuffled {
						ord = order
					}
					g1, st1 := gradOf(t, tb, Options{Precision: prec, Portable: portable, Threads: 1}, theta, rows, ord)
					for _, threads := range []int{2, 3, 8} {
						g, st := gradOf(t, tb, Options{Precision: prec, Portable: portable, Threads: threads}, theta, rows, ord)
						for j := range g {
							if math.Float64bits(g[j]) != math.Float64bits(g1[j]) {
								t.Fatalf("%s: threads=%d: g[%d] = %v; want %v (threads=1)", name, threads, j, g[j], g1[j])
							}
						}
						if math.Float64bits(st.Loss) != math.Float64bits(st1.Loss) {
							t.Fatalf("%s: threads=%d: loss = %v; want %v (threads=1)", name, threads, st.Loss, st1.Loss)
						}
					}
				}
			}
		}
	}
}

// TestFastMatchesReference compares every fast configuration with the
// float64 reference backend, with tolerances of a few u·(Σ|r·x|) for
// chunked float64 sums and float32 storage and arithmetic.
func TestFastMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	tb := randomTable(rng, 2*ChunkRows+333, 21, 23)
	p := tb.Cols + 1
	theta := make([]float64, p)
	for j := range theta {
		theta[j] = rng.NormFloat64() / 4
	}
	theta[tb.Target] = -1
	rows := lsgd.Rows{Lo: 5, Hi: tb.Rows - 5}
	rd, err := NewReference().Load(tb, false)
	if err != nil {
		t.Fatal(err)
	}
	mask, ridge := make([]float64, p), make([]float64, p)
	for j := range mask {
		mask[j], ridge[j] = 1, 0.001
	}
	mask[tb.Target] = 0
	rd.Init(theta, mask, ridge)
	rd.Gradient(lsgd.Theta, rows)
	want := make([]float64, p)
	rd.Vector(lsgd.Grad, want)
	wst, _ := rd.Status()
	// Error scale of component j: (2/m)·Σ_i A_i·|x̃_ij| with A_i = |r_i| +
	// Σ_j |x_ij·θ_j| + |θ_b| (x̃_i is row i with a 1 appended), and of the
	// loss (1/m)·Σ 2·A_i·|r_i|.
	c, m := tb.Cols, float64(rows.Len())
	scale := make([]float64, p)
	lossScale := 0.0
	for i := rows.Lo; i < rows.Hi; i++ {
		row := tb.F64[i*tb.Stride : i*tb.Stride+c]
		r, a := theta[c], math.Abs(theta[c])
		for j, v := range row {
			r += v * theta[j]
			a += math.Abs(v * theta[j])
		}
		a += math.Abs(r)
		for j, v := range row {
			scale[j] += 2 / m * a * math.Abs(v)
		}
		scale[c] += 2 / m * a
		lossScale += 2 * a * math.Abs(r) / m
	}
	for _, prec := range []lsgd.Precision{lsgd.F64, lsgd.F32} {
		// Worst-case growth: the c-term dot product, then the sums within a
		// kernel call (256 float32 rows or a 4096-row float64 chunk), then
		// the chunk merge; float32 also rounds the data and θ (2u).
		k := float64(c + ChunkRows + tb.Rows/ChunkRows + 4)
		if prec == lsgd.F32 {
			k = float64(c + blockRows + ChunkRows/blockRows + tb.Rows/ChunkRows + 4)
		}
		u := k * prec.UnitRoundoff()
		for _, portable := range []bool{false, true} {
			g, st := gradOf(t, tb, Options{Precision: prec, Portable: portable, Threads: 2}, theta, rows, nil)
			for j := range g {
				if tol := u*scale[j] + 1e-15; !(math.Abs(g[j]-want[j]) <= tol) {
					t.Errorf("%s portable=%v: g[%d] = %v; want %v ± %.2g", prec, portable, j, g[j], want[j], tol)
				}
			}
			if tol := u * lossScale; !(math.Abs(st.Loss-wst.Loss) <= tol) {
				t.Errorf("%s portable=%v: loss = %v; want %v ± %.2g", prec, portable, st.Loss, wst.Loss, tol)
			}
		}
	}
}
