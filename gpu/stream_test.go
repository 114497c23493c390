//go:build cgo

package gpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
)

// A table beyond the memory budget streams through a ring of 2·nx buffers
// and gives the resident path's results bit for bit: the kernels read the
// same values (converted and standardized alike) in the same dispatches.
// Small blocks make a few thousand rows many chunks.
func TestStreamedSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for _, o := range []Options{
		{MaxBlockBytes: 4 << 10, MaxGroups: 2, MaxBound: 2, WorkGroupSize: 32, RowsPerInvocation: 3},
		{MaxBlockBytes: 8 << 10, Kernel: "tiled", MaxBound: 3},
		{MaxBlockBytes: 4 << 10, F64: true},
	} {
		res := newBackendOrSkip(t, o)
		so := o
		so.Memory = 1
		str := newBackendOrSkip(t, so)
		for _, shape := range [][3]int{{3001, 6, 0}, {2000, 13, 0}, {1999, 5, 1}} {
			tab := randTable(rng, shape[0], shape[1])
			if shape[2] == 1 { // weighted: the weights stay resident beside the streamed rows
				tab.Weights = make([]float64, tab.Rows)
				for i := range tab.Weights {
					tab.Weights[i] = float64(rng.IntN(4)) * rng.Float64()
				}
			}
			name := fmt.Sprintf("%+v %v", o, shape)
			dr, err := res.Load(tab, false)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := str.Load(tab, false)
			if err != nil {
				t.Fatal(err)
			}
			if k := ds.(*Data).Kernel(); !strings.Contains(k, "streamed") || ds.(*Data).l.nchunks <= len(ds.(*Data).stream.slots) {
				t.Fatalf("%s: not streamed through fewer buffers than chunks: %s", name, k)
			}
			if strings.Contains(dr.(*Data).Kernel(), "streamed") {
				t.Fatalf("%s: the resident table streams", name)
			}
			sameKernels(t, rng, name, tab, dr, ds)
			mean, scale, _ := dr.Moments(true)
			mul := make([]float64, len(scale))
			for j := range mul {
				mul[j] = 1 / scale[j]
			}
			for _, d := range []lsgd.Data{dr, ds} {
				if err := d.Standardize(mean, mul); err != nil {
					t.Fatal(err)
				}
			}
			sameKernels(t, rng, name+" standardized", tab, dr, ds)
			if _, err := ds.Gram(lsgd.Rows{Lo: 0, Hi: tab.Rows, Shuffled: true}); err == nil {
				t.Errorf("%s: Gram of shuffled rows of a streamed table succeeded", name)
			}
			dr.Release()
			ds.Release()
		}
		// A whole fit: the same iterations and coefficients.
		tab := randTable(rng, 3001, 5)
		fr, err := lsgd.Fit(context.Background(), res, tab, lsgd.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := lsgd.Fit(context.Background(), str, tab, lsgd.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if fr.Iterations != fs.Iterations || bitsDiffer(fr.Coef, fs.Coef) || math.Float64bits(fr.Intercept) != math.Float64bits(fs.Intercept) {
			t.Errorf("%+v: fit: %d iterations %v %v resident, %d %v %v streamed", o, fr.Iterations, fr.Coef, fr.Intercept, fs.Iterations, fs.Coef, fs.Intercept)
		}
	}
}

func bitsDiffer(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return true
		}
	}
	return len(a) != len(b)
}

// sameKernels checks Moments, Gradient (whole and part ranges, two
// points), Gram and Predict for the same bits on a and b.
func sameKernels(t *testing.T, rng *rand.Rand, name string, tab *lsgd.Table, a, b lsgd.Data) {
	t.Helper()
	n, p := tab.Rows, tab.Cols+1
	for _, center := range []bool{true, false} {
		ma, sa, err := a.Moments(center)
		if err != nil {
			t.Fatal(err)
		}
		mb, sb, err := b.Moments(center)
		if err != nil {
			t.Fatal(err)
		}
		if bitsDiffer(append(ma, sa...), append(mb, sb...)) {
			t.Errorf("%s: Moments(%v) differ", name, center)
		}
	}
	v, mask, ridge := make([]float64, p), make([]float64, p), make([]float64, p)
	for j := range v {
		v[j], mask[j], ridge[j] = rng.NormFloat64(), 1, 0.01
	}
	v[tab.Target] = -1
	for _, d := range []lsgd.Data{a, b} {
		if err := d.Init(v, mask, ridge); err != nil {
			t.Fatal(err)
		}
	}
	for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: n / 3, Hi: n - 7}, {Lo: 5, Hi: 9}} {
		var g [2][]float64
		var st [2]lsgd.Status
		for k, d := range []lsgd.Data{a, b} {
			if err := d.Gradient(lsgd.Theta, rows); err != nil {
				t.Fatal(err)
			}
			g[k] = make([]float64, p)
			if err := d.Vector(lsgd.Grad, g[k]); err != nil {
				t.Fatal(err)
			}
			st[k], _ = d.Status()
		}
		if bitsDiffer(g[0], g[1]) || st[0].Loss != st[1].Loss {
			t.Errorf("%s rows %+v: gradient %v vs %v, loss %v vs %v", name, rows, g[0], g[1], st[0].Loss, st[1].Loss)
		}
		ga, err := a.Gram(rows)
		if err != nil {
			t.Fatal(err)
		}
		gb, err := b.Gram(rows)
		if err != nil {
			t.Fatal(err)
		}
		if bitsDiffer(ga, gb) {
			t.Errorf("%s rows %+v: Gram differs", name, rows)
		}
	}
	pa, pb := make([]float64, n), make([]float64, n)
	if err := a.Predict(lsgd.Theta, pa); err != nil {
		t.Fatal(err)
	}
	if err := b.Predict(lsgd.Theta, pb); err != nil {
		t.Fatal(err)
	}
	if bitsDiffer(pa, pb) {
		t.Errorf("%s: Predict differs", name)
	}
}
