package lsgd_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// logitData draws n rows of d features with different offsets and scales
// and a 0/1 label from P(y=1) = σ(b + x·β), β chosen so that the linear
// predictor spreads over a few units.
func logitData(seed uint64, n, d int) *lsgd.Table {
	rng := rand.New(rand.NewPCG(seed, 17))
	off, sc, beta := make([]float64, d), make([]float64, d), make([]float64, d)
	for j := range d {
		sc[j] = math.Pow(10, 2*rng.Float64()-1)
		off[j] = (4*rng.Float64() - 2) * sc[j]
		beta[j] = rng.NormFloat64() / sc[j] / math.Sqrt(float64(d))
	}
	x, y := make([][]float64, n), make([]float64, n)
	for i := range n {
		x[i] = make([]float64, d)
		z := 0.3
		for j := range d {
			x[i][j] = off[j] + sc[j]*rng.NormFloat64()
			z += 2 * beta[j] * (x[i][j] - off[j])
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	t := lsgd.FromRows(x, y)
	t.Source = fmt.Sprintf("logit %d×%d", n, d)
	return t
}

// newtonLogit is the test's own maximum-likelihood fit: Newton's method in
// float64 on the raw columns, minimising (1/n)·Σ[log(1+e^z) − y·z] +
// λ·‖coef‖² (the intercept, the last entry, not penalized), each Newton
// system solved by Gaussian elimination with partial pivoting, with step
// halving, until the step is at rounding level.
func newtonLogit(t *lsgd.Table, l2 float64) (coef []float64, b float64) {
	feats := t.Features()
	q := len(feats) + 1
	n := t.Rows
	th := make([]float64, q)
	loss := func(th []float64) float64 {
		s := 0.0
		for i := 0; i < n; i++ {
			z := th[q-1]
			for k, j := range feats {
				z += th[k] * t.At(i, j)
			}
			y := t.At(i, t.Target)
			s += math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) - y*z
		}
		s /= float64(n)
		for k := 0; k < q-1; k++ {
			s += l2 * th[k] * th[k]
		}
		return s
	}
	x := make([]float64, q)
	for it := 0; it < 100; it++ {
		g := make([]float64, q)
		H := make([][]float64, q)
		for a := range H {
			H[a] = make([]float64, q+1)
		}
		for i := 0; i < n; i++ {
			for k, j := range feats {
				x[k] = t.At(i, j)
			}
			x[q-1] = 1
			z := 0.0
			for k := range x {
				z += th[k] * x[k]
			}
			p := 1 / (1 + math.Exp(-z))
			r, w := p-t.At(i, t.Target), p*(1-p)
			for a := range x {
				g[a] += r * x[a] / float64(n)
				for c := range x {
					H[a][c] += w * x[a] * x[c] / float64(n)
				}
			}
		}
		for k := 0; k < q-1; k++ {
			g[k] += 2 * l2 * th[k]
			H[k][k] += 2 * l2
		}
		for a := range H {
			H[a][q] = -g[a]
		}
		// Gaussian elimination with partial pivoting on [H | −g].
		for c := 0; c < q; c++ {
			piv := c
			for a := c + 1; a < q; a++ {
				if math.Abs(H[a][c]) > math.Abs(H[piv][c]) {
					piv = a
				}
			}
			H[c], H[piv] = H[piv], H[c]
			for a := c + 1; a < q; a++ {
				f := H[a][c] / H[c][c]
				for k := c; k <= q; k++ {
					H[a][k] -= f * H[c][k]
				}
			}
		}
		d := make([]float64, q)
		for a := q - 1; a >= 0; a-- {
			s := H[a][q]
			for k := a + 1; k < q; k++ {
				s -= H[a][k] * d[k]
			}
			d[a] = s / H[a][a]
		}
		l0 := loss(th)
		step := 1.0
		next := make([]float64, q)
		for {
			for k := range th {
				next[k] = th[k] + step*d[k]
			}
			if loss(next) <= l0 || step < 1e-8 {
				break
			}
			step /= 2
		}
		dn, tn := 0.0, 0.0
		for k := range th {
			dn += (next[k] - th[k]) * (next[k] - th[k])
			tn += next[k] * next[k]
		}
		copy(th, next)
		if math.Sqrt(dn) <= 1e-15*math.Sqrt(tn) {
			break
		}
	}
	return th[:q-1], th[q-1]
}

// checkBounds fails unless every coefficient and the intercept lie within
// the fit's certified bounds of the Newton solution (rounding of the
// reference itself allowed for).
func checkBounds(t *testing.T, name string, res *lsgd.Result, coef []float64, b float64) {
	t.Helper()
	if !res.Converged {
		t.Errorf("%s: not converged: %s (gap %.3g, error bound %.3g, tol %.3g)", name, res.Reason, res.GapBound, res.ErrorBound, res.Tol)
	}
	for k, c := range coef {
		if d := math.Abs(res.Coef[k] - c); d > res.CoefBound[k]+1e-12*math.Abs(c) {
			t.Errorf("%s: coef[%d] = %.12g; Newton %.12g (off %.3g, certified ± %.3g)", name, k, res.Coef[k], c, d, res.CoefBound[k])
		}
	}
	if d := math.Abs(res.Intercept - b); d > res.InterceptBound+1e-12*math.Abs(b) {
		t.Errorf("%s: intercept = %.12g; Newton %.12g (off %.3g, certified ± %.3g)", name, res.Intercept, b, d, res.InterceptBound)
	}
}

// TestBinomialAgainstNewton fits logistic regressions on every CPU
// backend and checks them against the test's own Newton solution, inside
// the certified bounds: a problem small enough for the Hessian sample to
// be every row (Newton's method) and one where it is a sample.
func TestBinomialAgainstNewton(t *testing.T) {
	bs := append(backends(), cpu.New(cpu.Options{Precision: lsgd.F32}))
	for _, c := range []struct {
		n, d int
		l2   float64
	}{{2001, 3, 0}, {3001, 6, 1e-3}, {70001, 4, 0}} {
		tab := logitData(uint64(c.n), c.n, c.d)
		coef, b := newtonLogit(tab, c.l2)
		for _, be := range bs {
			if c.n > 10000 && be.Precision() == lsgd.F64 && strings.Contains(be.Device(), "reference") {
				continue // the reference's speed: the fast paths cover the sampled case
			}
			name := fmt.Sprintf("%s l2=%g %s %s", tab.Source, c.l2, be.Precision(), be.Device())
			res, err := lsgd.Fit(context.Background(), be, tab, lsgd.Options{Family: lsgd.Binomial, L2: c.l2})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			t.Logf("%s: %d iterations, %.1f passes, gap %.2g, %s; accuracy %.3f log-loss %.4f AUC %.4f",
				name, res.Iterations, res.Passes, res.GapBound, res.Reason, res.ClassAccuracy, res.LogLoss, res.AUC)
			checkBounds(t, name, res, coef, b)
			if be.Precision() == lsgd.F64 && relErr(res.Coef, res.Intercept, coef, b) > 1e-7 {
				t.Errorf("%s: relative error %.3g; want ≤ 1e-7", name, relErr(res.Coef, res.Intercept, coef, b))
			}
		}
	}
}

// TestBinomialNoIntercept checks a fit through the origin against Newton
// on the same columns.
func TestBinomialNoIntercept(t *testing.T) {
	tab := logitData(5, 1501, 3)
	res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.Options{Family: lsgd.Binomial, NoIntercept: true})
	if err != nil {
		t.Fatal(err)
	}
	coef, _ := newtonLogitNoIntercept(tab)
	checkBounds(t, "no intercept", res, coef, 0)
}

// newtonLogitNoIntercept is newtonLogit without the intercept (and
// without a penalty): Newton's method on the feature columns alone, from
// zero, where full steps converge on this data.
func newtonLogitNoIntercept(t *lsgd.Table) ([]float64, float64) {
	feats := t.Features()
	q := len(feats)
	n := t.Rows
	th := make([]float64, q)
	for it := 0; it < 60; it++ {
		g := make([]float64, q)
		H := make([][]float64, q)
		for a := range H {
			H[a] = make([]float64, q+1)
		}
		for i := 0; i < n; i++ {
			z := 0.0
			for k, j := range feats {
				z += th[k] * t.At(i, j)
			}
			p := 1 / (1 + math.Exp(-z))
			r, w := p-t.At(i, t.Target), p*(1-p)
			for a, ja := range feats {
				g[a] += r * t.At(i, ja) / float64(n)
				for c, jc := range feats {
					H[a][c] += w * t.At(i, ja) * t.At(i, jc) / float64(n)
				}
			}
		}
		for a := range H {
			H[a][q] = -g[a]
		}
		for c := 0; c < q; c++ {
			piv := c
			for a := c + 1; a < q; a++ {
				if math.Abs(H[a][c]) > math.Abs(H[piv][c]) {
					piv = a
				}
			}
			H[c], H[piv] = H[piv], H[c]
			for a := c + 1; a < q; a++ {
				f := H[a][c] / H[c][c]
				for k := c; k <= q; k++ {
					H[a][k] -= f * H[c][k]
				}
			}
		}
		for a := q - 1; a >= 0; a-- {
			s := H[a][q]
			for k := a + 1; k < q; k++ {
				s -= H[a][k] * H[k][q]
			}
			H[a][q] = s / H[a][a]
		}
		for a := range th {
			th[a] += H[a][q]
		}
	}
	return th, 0
}

// TestBinomialLabels: a label other than 0/1 names its row and column;
// one class only is an error too.
func TestBinomialLabels(t *testing.T) {
	tab := logitData(3, 50, 2)
	tab.Set(17, tab.Target, 2)
	_, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.Options{Family: lsgd.Binomial})
	if err == nil || !errors.Is(err, lsgd.ErrInput) || !strings.Contains(err.Error(), "row 18") || !strings.Contains(err.Error(), `"y"`) {
		t.Errorf("label 2 at row 18: err = %v; want an input error naming row 18 and column \"y\"", err)
	}
	for i := 0; i < tab.Rows; i++ {
		tab.Set(i, tab.Target, 0)
	}
	_, err = lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.Options{Family: lsgd.Binomial})
	if err == nil || !errors.Is(err, lsgd.ErrInput) || !strings.Contains(err.Error(), "both classes") {
		t.Errorf("all labels 0: err = %v; want an input error asking for both classes", err)
	}
}

// TestBinomialSeparable: on separable classes the fit stops with a
// SeparableError that suggests an L2 penalty; with one it converges to
// the penalized optimum (checked against Newton).
func TestBinomialSeparable(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	x, y := make([][]float64, 999), make([]float64, 999)
	for i := range x {
		x[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
		if x[i][0]+0.5*x[i][1] > 0.1 {
			y[i] = 1
		}
	}
	tab := lsgd.FromRows(x, y)
	_, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.Options{Family: lsgd.Binomial})
	var sep *lsgd.SeparableError
	if !errors.As(err, &sep) || !strings.Contains(err.Error(), "--l2") {
		t.Fatalf("separable classes: err = %v; want a SeparableError suggesting --l2", err)
	}
	t.Logf("%v", err)
	res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.Options{Family: lsgd.Binomial, L2: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	coef, b := newtonLogit(tab, 1e-3)
	checkBounds(t, "separable with l2", res, coef, b)
}

// TestClassification checks accuracy and AUC against their definitions
// (every positive–negative pair counted), ties included.
func TestClassification(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	n := 301
	z, y := make([]float64, n), make([]float64, n)
	for i := range z {
		z[i] = float64(rng.IntN(21)-10) / 4 // many ties
		if rng.Float64() < 1/(1+math.Exp(-z[i])) {
			y[i] = 1
		}
	}
	acc, auc := lsgd.Classification(z, y)
	right, pairs, wins := 0, 0.0, 0.0
	for i := range z {
		if (z[i] >= 0) == (y[i] == 1) {
			right++
		}
		for k := range z {
			if y[i] == 1 && y[k] == 0 {
				pairs++
				switch {
				case z[i] > z[k]:
					wins++
				case z[i] == z[k]:
					wins += 0.5
				}
			}
		}
	}
	if want := float64(right) / float64(n); acc != want {
		t.Errorf("accuracy %v; want %v", acc, want)
	}
	if want := wins / pairs; math.Abs(auc-want) > 1e-12 {
		t.Errorf("AUC %v; want %v", auc, want)
	}
}

// TestBinomialInPlace: a fit that may standardize the table in place (the
// command's default) and one on float32 input give the same certified
// answer as the plain fit: the Hessian sample is read before Standardize
// rewrites the rows, and the labels are left as they are.
func TestBinomialInPlace(t *testing.T) {
	tab := logitData(11, 3001, 4)
	coef, b := newtonLogit(tab, 0)
	in := tab.Clone(lsgd.F64)
	res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), in, lsgd.Options{Family: lsgd.Binomial, InPlace: true})
	if err != nil {
		t.Fatal(err)
	}
	checkBounds(t, "in place", res, coef, b)
	for i := 0; i < in.Rows; i++ {
		if y := in.At(i, in.Target); y != tab.At(i, tab.Target) {
			t.Fatalf("label of row %d changed from %v to %v", i+1, tab.At(i, tab.Target), y)
		}
	}
	f32 := tab.Clone(lsgd.F32)
	coef32, b32 := newtonLogit(f32, 0)
	res, err = lsgd.Fit(context.Background(), cpu.New(cpu.Options{Precision: lsgd.F32}), f32, lsgd.Options{Family: lsgd.Binomial, InPlace: true})
	if err != nil {
		t.Fatal(err)
	}
	checkBounds(t, "float32 in place", res, coef32, b32)
}
