package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
)

// weightedRun is what one fast backend computes on a weighted table: the
// moments, the gradient and loss of both families over rows, and the Gram
// matrix of rows.
func weightedRun(t *testing.T, tb *lsgd.Table, opt Options, theta []float64, rows lsgd.Rows, order []int32) []float64 {
	t.Helper()
	d, err := New(opt).Load(tb, true) // in place: a float64 table keeps its stride
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, center := range []bool{true, false} {
		m, s, err := d.Moments(center)
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, m...), s...)
	}
	p := tb.Cols + 1
	mask := make([]float64, p)
	for j := range mask {
		mask[j] = 1
	}
	mask[tb.Target] = 0
	if err := d.Init(theta, mask, make([]float64, p)); err != nil {
		t.Fatal(err)
	}
	if err := d.SetOrder(order); err != nil {
		t.Fatal(err)
	}
	for _, fam := range []lsgd.Family{lsgd.Gaussian, lsgd.Binomial} {
		if err := d.SetFamily(fam); err != nil {
			t.Fatal(err)
		}
		if err := d.Gradient(lsgd.Theta, rows); err != nil {
			t.Fatal(err)
		}
		g := make([]float64, p)
		if err := d.Vector(lsgd.Grad, g); err != nil {
			t.Fatal(err)
		}
		st, _ := d.Status()
		out = append(append(out, g...), st.Loss)
	}
	g, err := d.Gram(rows)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, g...)
}

// TestFastWeightedDeterministic checks that on a weighted table (weights
// 0 and 1e-3…1e3, a stride wider than the row) every weighted kernel of
// the fast backend gives the same bits for any number of threads, over
// all rows, a range and shuffled rows, and the same bits as on the packed
// copy of the table (the kernels' order of sums does not depend on the
// stride, so a weight read for the wrong row would show).
func TestFastWeightedDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 17))
	for _, shape := range []struct{ rows, cols, stride int }{
		{2*ChunkRows + 1001, 9, 12},
		{ChunkRows + 77, 33, 33},
	} {
		tb := randomTable(rng, shape.rows, shape.cols, shape.stride)
		tb.Weights = make([]float64, shape.rows)
		for i := range tb.Weights {
			if rng.IntN(5) > 0 {
				tb.Weights[i] = math.Pow(10, 6*rng.Float64()-3)
			}
		}
		for i := 0; i < shape.rows; i++ { // the target holds labels, for the binomial pass
			tb.Set(i, tb.Target, float64(rng.IntN(2)))
		}
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
			for _, rows := range []lsgd.Rows{
				{Lo: 0, Hi: shape.rows},
				{Lo: 123, Hi: shape.rows - 45},
				{Lo: 1000, Hi: shape.rows - 300, Shuffled: true},
			} {
				name := fmt.Sprintf("%dx%d/s=%d/%s/%+v", shape.rows, shape.cols, shape.stride, prec, rows)
				want := weightedRun(t, tb, Options{Precision: prec, Threads: 1}, theta, rows, order)
				packed := weightedRun(t, tb.Clone(lsgd.F64), Options{Precision: prec, Threads: 2}, theta, rows, order)
				for k := range want {
					if math.Float64bits(packed[k]) != math.Float64bits(want[k]) {
						t.Fatalf("%s: packed copy: value %d = %v; want %v (stride %d)", name, k, packed[k], want[k], shape.stride)
					}
				}
				for _, threads := range []int{3, 8} {
					got := weightedRun(t, tb, Options{Precision: prec, Threads: threads}, theta, rows, order)
					for k := range want {
						if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
							t.Fatalf("%s: threads=%d: value %d = %v; want %v (threads=1)", name, threads, k, got[k], want[k])
						}
					}
				}
			}
		}
	}
}
