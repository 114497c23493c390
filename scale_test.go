package lsgd_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// scaledTable returns tab with column j multiplied by s[j].
func scaledTable(tab *lsgd.Table, s []float64) *lsgd.Table {
	c := tab.Clone(lsgd.F64)
	for i := 0; i < c.Rows; i++ {
		for j := 0; j < c.Cols; j++ {
			c.Set(i, j, c.At(i, j)*s[j])
		}
	}
	return c
}

// Least squares is scale-invariant: multiplying column j by s_j and the
// target by s_y multiplies coefficient j by s_y/s_j and the intercept by
// s_y. Every magnitude float64 holds must give that answer (Solve and
// Fit, every optimizer family, both storage precisions), or, when the
// answer itself is beyond float64, a range error; never NaN, a constant
// or collinear diagnosis, or a wrong converged answer.
func TestExtremeMagnitudes(t *testing.T) {
	base, _ := gen(t, 400, 3, 10, 0.01, 11)
	ref, err := lsgd.Solve(base, lsgd.SolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tg := base.Target
	type fitter struct {
		name string
		fit  func(tab *lsgd.Table) ([]float64, float64, error)
		tol  float64
	}
	fitWith := func(b lsgd.Backend, opt lsgd.Options) func(tab *lsgd.Table) ([]float64, float64, error) {
		return func(tab *lsgd.Table) ([]float64, float64, error) {
			res, err := lsgd.Fit(context.Background(), b, tab, opt)
			if err != nil {
				return nil, 0, err
			}
			if !res.Converged {
				return nil, 0, fmt.Errorf("not converged: %s", res.Reason)
			}
			return res.Coef, res.Intercept, nil
		}
	}
	fitters := []fitter{
		{"solve", func(tab *lsgd.Table) ([]float64, float64, error) {
			s, err := lsgd.Solve(tab, lsgd.SolveOptions{})
			if err != nil {
				return nil, 0, err
			}
			return s.Coef, s.Intercept, nil
		}, 1e-10},
		{"pcg f64", fitWith(cpu.New(cpu.Options{}), lsgd.Options{}), 1e-6},
		{"pcg f32", fitWith(cpu.New(cpu.Options{Precision: lsgd.F32}), lsgd.Options{}), 1e-3},
		{"nesterov", fitWith(cpu.NewReference(), lsgd.Options{Optimizer: lsgd.OptNesterov}), 1e-6},
		{"adam", fitWith(cpu.New(cpu.Options{}), lsgd.Options{Optimizer: lsgd.OptAdam, Epochs: 20000, Tol: 1e-4}), 1e-3},
	}
	mags := []float64{1e-300, 1e-200, 1e-160, 1e-40, 1e40, 1e160, 1e200, 1e300}
	for _, m := range mags {
		for _, mode := range []string{"one feature", "target", "every column"} {
			s := []float64{1, 1, 1, 1}
			switch mode {
			case "one feature":
				s[1] = m
			case "target":
				s[tg] = m
			default:
				for j := range s {
					s[j] = m
				}
			}
			tab := scaledTable(base, s)
			// The answer on this scale, and whether float64 holds it.
			want := make([]float64, len(ref.Coef))
			fits := math.Abs(ref.MSE*s[tg]*s[tg]) < math.MaxFloat64
			for k, j := range base.Features() {
				want[k] = ref.Coef[k] * s[tg] / s[j]
				if math.IsInf(want[k], 0) || want[k] == 0 || math.Abs(want[k]) < 0x1p-1022 {
					fits = false
				}
			}
			wantB := ref.Intercept * s[tg]
			for _, f := range fitters {
				if f.name == "pcg f32" && (m < 1e-30 || m > 1e30) && mode != "target" {
					// float64 values beyond float32 are refused by a
					// float32 backend (tested below); the scale-free
					// part is the same as in float64.
				}
				t.Run(fmt.Sprintf("%s/%g/%s", f.name, m, mode), func(t *testing.T) {
					coef, b0, err := f.fit(tab)
					switch {
					case err != nil && !fits && errors.Is(err, lsgd.ErrInput) && strings.Contains(err.Error(), "range"):
						return
					case err != nil && f.name == "pcg f32" && errors.Is(err, lsgd.ErrInput) && strings.Contains(err.Error(), "float32"):
						return
					case err != nil:
						t.Fatalf("error %v (the answer fits in float64: %v)", err, fits)
					case !fits:
						t.Fatalf("coef %v, intercept %g; want a range error", coef, b0)
					}
					for k := range coef {
						if math.IsNaN(coef[k]) || math.IsInf(coef[k], 0) {
							t.Fatalf("coef %v", coef)
						}
						// Compare on the base scale.
						if e := math.Abs(coef[k]/want[k] - 1); e > f.tol*math.Max(1, 1/math.Abs(ref.Coef[k])) {
							t.Errorf("coef[%d] = %g; want %g (rel err %.2g)", k, coef[k], want[k], e)
						}
					}
					if e := math.Abs(b0-wantB) / math.Abs(wantB); e > f.tol*10 {
						t.Errorf("intercept = %g; want %g (rel err %.2g)", b0, wantB, e)
					}
				})
			}
		}
	}
}

// A step far beyond the stable one diverges for every optimizer, with a
// suggestion below the step that diverged; the CPU's per-iteration test
// (where the relative gradient of an exploded θ looks small) must not
// call it converged. Steps outside [MinLR, MaxLR] are range errors.
func TestDivergenceEveryOptimizer(t *testing.T) {
	tab, _ := gen(t, 2000, 3, 5, 0.1, 5)
	for _, o := range lsgd.Optimizers {
		if o == lsgd.OptPCG {
			continue
		}
		for _, lr := range []float64{1e3, 1e10, 1e20, lsgd.MaxLR} {
			for _, b := range []lsgd.Backend{cpu.NewReference(), cpu.New(cpu.Options{Precision: lsgd.F32})} {
				_, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{Optimizer: o, LR: lr})
				var div *lsgd.DivergedError
				if !errors.As(err, &div) {
					t.Errorf("%s lr %g %s: got %v; want diverged", o, lr, b.Device(), err)
					continue
				}
				if !(div.SuggestLR > 0 && div.SuggestLR < lr) || (div.StableLR > 0 && div.SuggestLR >= div.StableLR) {
					t.Errorf("%s lr %g: suggests %g (stable %g); want a positive step below both", o, lr, div.SuggestLR, div.StableLR)
				}
				if strings.Contains(err.Error(), "step size 0") {
					t.Errorf("%s: %v", o, err)
				}
			}
		}
		for _, lr := range []float64{lsgd.MaxLR * 10, 1e300, lsgd.MinLR / 10} {
			_, err := lsgd.Fit(context.Background(), cpu.NewReference(), tab, lsgd.Options{Optimizer: o, LR: lr})
			if !errors.Is(err, lsgd.ErrInput) || !strings.Contains(err.Error(), "out of range") {
				t.Errorf("%s lr %g: got %v; want a range error", o, lr, err)
			}
		}
	}
}

// Unstandardized, a column on a very different scale has a Hessian
// eigenvalue below the rank threshold relative to the others: it is not
// collinear, and the certificate must count it. Whatever the scale and
// optimizer, a converged fit has every coefficient within its bound of
// the QR solution, and no column is called collinear.
func TestNoStandardizeCertificate(t *testing.T) {
	base, _ := gen(t, 400, 3, 3, 0.05, 13)
	for _, m := range []float64{1e-12, 1e-7, 1e-3, 1e3, 1e7, 1e12} {
		s := []float64{1, m, 1, 1}
		tab := scaledTable(base, s)
		exact, err := lsgd.Solve(tab, lsgd.SolveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []lsgd.Optimizer{lsgd.OptPCG, lsgd.OptGD, lsgd.OptNesterov} {
			for _, b := range []lsgd.Backend{cpu.NewReference(), cpu.New(cpu.Options{Precision: lsgd.F32})} {
				res, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{Optimizer: o, NoStandardize: true, Epochs: 3000})
				var div *lsgd.DivergedError
				if errors.As(err, &div) {
					continue // a hand step is not given: 1/L, but say so
				}
				if err != nil {
					t.Fatalf("%g %s %s: %v", m, o, b.Device(), err)
				}
				for _, w := range res.Warnings {
					if strings.Contains(w, "collinear") {
						t.Errorf("%g %s: %s", m, o, w)
					}
				}
				if !res.Converged {
					continue
				}
				for k := range res.Coef {
					if d := math.Abs(res.Coef[k] - exact.Coef[k]); d > res.CoefBound[k]+1e-12*math.Abs(exact.Coef[k]) {
						t.Errorf("%g %s %s: converged, but coef[%d] = %g is %g from exact %g (bound %g)",
							m, o, b.Device(), k, res.Coef[k], d, exact.Coef[k], res.CoefBound[k])
					}
				}
			}
		}
	}
}

// A constant column is constant at every magnitude, and the message
// quotes its value on the user's scale.
func TestConstantAtAnyMagnitude(t *testing.T) {
	base, _ := gen(t, 100, 2, 2, 0.1, 17)
	for _, m := range []float64{1e-300, 1e-200, 1e-45, 1, 1e45, 1e200, 1e300} {
		tab := base.Clone(lsgd.F64)
		for i := 0; i < tab.Rows; i++ {
			tab.Set(i, 0, 1.5*m)
		}
		want := fmt.Sprintf("every row ≈ %.6g", 1.5*m)
		_, err := lsgd.Solve(tab, lsgd.SolveOptions{})
		if !errors.Is(err, lsgd.ErrInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("solve %g: got %v; want %q", m, err, want)
		}
		_, err = lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.Options{})
		if !errors.Is(err, lsgd.ErrInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("fit %g: got %v; want %q", m, err, want)
		}
	}
}
