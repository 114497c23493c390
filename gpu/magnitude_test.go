//go:build cgo

package gpu

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// The GPU stores float32: a float64 column beyond float32's range, or so
// small that it would round to zero or to subnormals, must reach the
// device prescaled by a power of two, and the fit must map back to the
// answer of the exact solve (scale-invariance), or refuse a column that
// overflows float32 as such. An exploding step is "diverged".
func TestExtremeMagnitudesGPU(t *testing.T) {
	b := newBackendOrSkip(t)
	rng := rand.New(rand.NewPCG(5, 5))
	base := tableio.NewTable(600, 3, lsgd.F64)
	for i := 0; i < base.Rows; i++ {
		a, c := rng.NormFloat64(), rng.NormFloat64()
		base.Set(i, 0, a)
		base.Set(i, 1, c)
		base.Set(i, 2, 0.5+2*a-3*c+0.01*rng.NormFloat64())
	}
	ref, err := lsgd.Solve(base, lsgd.SolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []float64{1e-300, 1e-200, 1e-45, 1e-30, 1e30, 1e100} {
		for _, col := range []int{0, 2} {
			tab := base.Clone(lsgd.F64)
			for i := 0; i < tab.Rows; i++ {
				tab.Set(i, col, tab.At(i, col)*m)
			}
			res, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{})
			if m > math.MaxFloat32 {
				if !errors.Is(err, lsgd.ErrInput) || !strings.Contains(err.Error(), "float32") {
					t.Errorf("%g in column %d: got %v; want a float32 range error", m, col, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%g in column %d: %v", m, col, err)
				continue
			}
			for k := range res.Coef {
				want := ref.Coef[k]
				if col == 2 {
					want *= m
				} else if k == col {
					want /= m
				}
				if e := math.Abs(res.Coef[k]/want - 1); e > 1e-3 || math.IsNaN(e) {
					t.Errorf("%g in column %d: coef[%d] = %g; want %g", m, col, k, res.Coef[k], want)
				}
			}
		}
	}
	for _, o := range []lsgd.Optimizer{lsgd.OptGD, lsgd.OptAdam, lsgd.OptRMSprop} {
		_, err := lsgd.Fit(context.Background(), b, base, lsgd.Options{Optimizer: o, LR: 1e20})
		var div *lsgd.DivergedError
		if !errors.As(err, &div) || !(div.SuggestLR > 0 && div.SuggestLR < 1e20) {
			t.Errorf("%s lr 1e20: got %v; want diverged with a smaller step", o, err)
		}
	}
}
