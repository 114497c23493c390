//go:build cgo

package gpu

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// Cross-validation on the GPU, whose Gram matrix takes contiguous rows
// only: random folds are grouped on the host, a sorted fold column is not;
// either way the path agrees with the CPU's on the same table (float64
// storage on both, so only the sums' order differs), and so does an L1
// fit.
func TestCrossValidate(t *testing.T) {
	b := newBackendOrSkip(t, Options{F64: true})
	rng := rand.New(rand.NewPCG(21, 21))
	tab := randTable(rng, 3000, 5)
	ref := cpu.New(cpu.Options{})
	for _, opt := range []lsgd.CVOptions{
		{L1Ratio: 1, Folds: 4, Seed: 5, NLambdas: 20},
		{L1Ratio: 0.5, Folds: 3, Seed: 6, NLambdas: 10},
	} {
		got, err := lsgd.CrossValidate(context.Background(), b, tab, opt)
		if err != nil {
			t.Fatal(err)
		}
		want, err := lsgd.CrossValidate(context.Background(), ref, tab, opt)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want.CVMSE {
			if math.Abs(got.CVMSE[k]-want.CVMSE[k]) > 1e-8*want.CVMSE[k] || got.Nonzero[k] != want.Nonzero[k] {
				t.Errorf("r = %g λ[%d]: gpu cv_mse %.12g (%d non-zero); cpu %.12g (%d)", opt.L1Ratio, k,
					got.CVMSE[k], got.Nonzero[k], want.CVMSE[k], want.Nonzero[k])
			}
		}
		if got.IndexMin != want.IndexMin {
			t.Errorf("r = %g: λ_min index %d on the gpu, %d on the cpu", opt.L1Ratio, got.IndexMin, want.IndexMin)
		}
	}
	g, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{L1: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	c, err := lsgd.Fit(context.Background(), ref, tab, lsgd.Options{L1: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	for a := range c.Coef {
		if math.Abs(g.Coef[a]-c.Coef[a]) > 1e-7*(math.Abs(c.Coef[a])+c.CoefBound[a]) || (g.Coef[a] == 0) != (c.Coef[a] == 0) {
			t.Errorf("L1 fit θ_%d: gpu %.12g, cpu %.12g", a, g.Coef[a], c.Coef[a])
		}
	}
}
