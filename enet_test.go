package lsgd_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
)

// enetTable draws n rows of d correlated features on very different
// scales and offsets (so that the scale the penalty applies on matters),
// a sparse truth and noise.
func enetTable(n, d int, seed uint64) *lsgd.Table {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([][]float64, n)
	y := make([]float64, n)
	scale := make([]float64, d)
	offset := make([]float64, d)
	truth := make([]float64, d)
	for j := range scale {
		scale[j] = math.Pow(10, float64(j%5)-2) // 0.01 … 100
		offset[j] = float64(j) * 3 * scale[j]
		if j%3 != 2 {
			truth[j] = (rng.Float64()*2 - 1) / scale[j]
		}
	}
	for i := range x {
		x[i] = make([]float64, d)
		common := rng.NormFloat64()
		s := 2.0
		for j := range x[i] {
			x[i][j] = offset[j] + scale[j]*(0.6*common+rng.NormFloat64())
			s += truth[j] * x[i][j]
		}
		y[i] = s + 0.5*rng.NormFloat64()
	}
	return lsgd.FromRows(x, y)
}

// cdReference minimizes (1/n)‖y − b − Xθ‖² + l1‖θ‖₁ + l2‖θ‖² by plain
// cyclic coordinate descent on the rows themselves (residual updates, the
// original scale, centred columns), for many sweeps: an independent
// reference, not the solver under test.
func cdReference(tab *lsgd.Table, l1, l2 float64) (coef []float64, b0 float64) {
	feats := tab.Features()
	n, d := tab.Rows, len(feats)
	xc := make([][]float64, d)
	mean := make([]float64, d)
	ssq := make([]float64, d)
	ym := 0.0
	for i := 0; i < n; i++ {
		ym += tab.At(i, tab.Target)
	}
	ym /= float64(n)
	for a, j := range feats {
		xc[a] = make([]float64, n)
		for i := 0; i < n; i++ {
			mean[a] += tab.At(i, j)
		}
		mean[a] /= float64(n)
		for i := 0; i < n; i++ {
			xc[a][i] = tab.At(i, j) - mean[a]
			ssq[a] += xc[a][i] * xc[a][i]
		}
	}
	r := make([]float64, n)
	for i := range r {
		r[i] = tab.At(i, tab.Target) - ym
	}
	coef = make([]float64, d)
	for sweep := 0; sweep < 20000; sweep++ {
		moved := 0.0
		for a := 0; a < d; a++ {
			rho := 0.0
			for i, v := range xc[a] {
				rho += v * r[i]
			}
			rho = 2*rho/float64(n) + 2*ssq[a]/float64(n)*coef[a]
			nw := 0.0
			if rho > l1 {
				nw = (rho - l1) / (2*ssq[a]/float64(n) + 2*l2)
			} else if rho < -l1 {
				nw = (rho + l1) / (2*ssq[a]/float64(n) + 2*l2)
			}
			if dl := nw - coef[a]; dl != 0 {
				for i, v := range xc[a] {
					r[i] -= dl * v
				}
				moved = math.Max(moved, math.Abs(dl)*math.Sqrt(ssq[a]/float64(n)))
				coef[a] = nw
			}
		}
		if moved < 1e-15 {
			break
		}
	}
	b0 = ym
	for a := range coef {
		b0 -= coef[a] * mean[a]
	}
	return coef, b0
}

// enetObjective evaluates the objective on the rows.
func enetObjective(tab *lsgd.Table, coef []float64, b0, l1, l2 float64) float64 {
	mse, _ := lsgd.Score(tab, coef, b0, true)
	pen := 0.0
	for _, c := range coef {
		pen += l1*math.Abs(c) + l2*c*c
	}
	return mse + pen
}

// checkKKT checks the optimality conditions of the elastic net on the
// original scale, from the rows: with g_j = (2/n)·Σ x_ij·r_i the negative
// gradient of the MSE, g_j = l1·sign(θ_j) + 2·l2·θ_j where θ_j ≠ 0 and
// |g_j| ≤ l1 where θ_j = 0; and the residuals sum to zero (intercept).
// tol is relative to the size of the terms.
func checkKKT(t *testing.T, name string, tab *lsgd.Table, coef []float64, b0, l1, l2, tol float64, intercept bool) {
	t.Helper()
	feats := tab.Features()
	n := tab.Rows
	g := make([]float64, len(feats))
	gs := make([]float64, len(feats)) // Σ|x_ij·r_i|: the scale of g_j
	rs, rabs := 0.0, 0.0
	for i := 0; i < n; i++ {
		r := tab.At(i, tab.Target) - b0
		for a, j := range feats {
			r -= coef[a] * tab.At(i, j)
		}
		rs += r
		rabs += math.Abs(r)
		for a, j := range feats {
			g[a] += 2 * tab.At(i, j) * r / float64(n)
			gs[a] += 2 * math.Abs(tab.At(i, j)*r) / float64(n)
		}
	}
	if intercept && math.Abs(rs) > tol*rabs {
		t.Errorf("%s: residuals sum to %.3g (Σ|r| = %.3g): the intercept is not optimal", name, rs, rabs)
	}
	for a, c := range coef {
		slack := tol * (gs[a] + l1)
		if c == 0 {
			if math.Abs(g[a]) > l1+slack {
				t.Errorf("%s: θ_%d = 0 but |g| = %.10g > λ₁ = %g", name, a, math.Abs(g[a]), l1)
			}
			continue
		}
		want := l1*math.Copysign(1, c) + 2*l2*c
		if math.Abs(g[a]-want) > slack+2*l2*math.Abs(c)*tol {
			t.Errorf("%s: θ_%d = %.6g: g = %.10g; want λ₁·sign + 2λ₂θ = %.10g", name, a, c, g[a], want)
		}
	}
}

// Lasso and elastic net on the original scale against the optimality
// conditions and an independent coordinate-descent reference on the rows,
// on every CPU backend, from λ near λ_max to small λ.
func TestElasticNetAgainstKKTAndReference(t *testing.T) {
	tab := enetTable(400, 9, 1)
	cases := []struct{ l1, l2 float64 }{
		{0.5, 0}, {0.05, 0}, {0.002, 0}, // lasso
		{0.05, 0.05}, {0.01, 1}, {0.3, 0.001}, // elastic net
	}
	for _, b := range backends() {
		for _, c := range cases {
			res, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{L1: c.l1, L2: c.l2})
			if err != nil {
				t.Fatal(err)
			}
			name := b.Device() + " " + formatPen(c.l1, c.l2)
			if !res.Converged || res.ElasticNet == nil {
				t.Fatalf("%s: not converged: %s", name, res.Reason)
			}
			checkKKT(t, name, tab, res.Coef, res.Intercept, c.l1, c.l2, 1e-7, true)
			rc, rb := cdReference(tab, c.l1, c.l2)
			got := enetObjective(tab, res.Coef, res.Intercept, c.l1, c.l2)
			want := enetObjective(tab, rc, rb, c.l1, c.l2)
			if math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s: objective %.15g; reference %.15g", name, got, want)
			}
			if e := relErr(res.Coef, res.Intercept, rc, rb); e > 1e-6 {
				t.Errorf("%s: coefficients %v, intercept %g; reference %v, %g (rel err %.2g)", name, res.Coef, res.Intercept, rc, rb, e)
			}
			// Exact zeros where the reference has them, and the reported
			// objective, gap and count are what the rows give.
			nz := 0
			for a := range rc {
				if (rc[a] == 0) != (res.Coef[a] == 0) {
					t.Errorf("%s: θ_%d = %g; reference %g (zero pattern differs)", name, a, res.Coef[a], rc[a])
				}
				if res.Coef[a] != 0 {
					nz++
				}
			}
			cert := res.ElasticNet
			if cert.Nonzero != nz {
				t.Errorf("%s: nonzero = %d; counted %d", name, cert.Nonzero, nz)
			}
			if math.Abs(cert.Primal-got) > 1e-9*got {
				t.Errorf("%s: certificate's primal %.15g; objective on the rows %.15g", name, cert.Primal, got)
			}
			if cert.Dual > want*(1+1e-12) || cert.RelGap > cert.Tol {
				t.Errorf("%s: dual %.15g above the minimum %.15g, or gap %.2g above tol", name, cert.Dual, want, cert.RelGap)
			}
			for a := range rc {
				if math.Abs(res.Coef[a]-rc[a]) > res.CoefBound[a]+1e-9*math.Abs(rc[a]) {
					t.Errorf("%s: |θ_%d − reference| = %.3g above its certified bound %.3g", name, a, math.Abs(res.Coef[a]-rc[a]), res.CoefBound[a])
				}
			}
		}
	}
}

// At λ₁ ≥ λ_max = max_j |(2/n)·x_cjᵀy_c| every coefficient is exactly zero
// and the intercept is the mean; just below, one is not.
func TestLassoLambdaMax(t *testing.T) {
	tab := enetTable(300, 6, 2)
	feats := tab.Features()
	n := tab.Rows
	ym := 0.0
	for i := 0; i < n; i++ {
		ym += tab.At(i, tab.Target)
	}
	ym /= float64(n)
	lmax := 0.0
	for _, j := range feats {
		m := 0.0
		for i := 0; i < n; i++ {
			m += tab.At(i, j)
		}
		m /= float64(n)
		s := 0.0
		for i := 0; i < n; i++ {
			s += (tab.At(i, j) - m) * (tab.At(i, tab.Target) - ym)
		}
		lmax = math.Max(lmax, math.Abs(2*s/float64(n)))
	}
	b := backends()[1]
	res, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{L1: lmax * (1 + 1e-9)})
	if err != nil {
		t.Fatal(err)
	}
	for a, c := range res.Coef {
		if c != 0 {
			t.Errorf("λ = λ_max: θ_%d = %g; want exactly 0", a, c)
		}
	}
	if math.Abs(res.Intercept-ym) > 1e-12*math.Abs(ym) {
		t.Errorf("λ = λ_max: intercept %.15g; want the mean %.15g", res.Intercept, ym)
	}
	res, err = lsgd.Fit(context.Background(), b, tab, lsgd.Options{L1: lmax * 0.99})
	if err != nil {
		t.Fatal(err)
	}
	if res.ElasticNet.Nonzero != 1 {
		t.Errorf("λ = 0.99·λ_max: %d non-zero coefficients; want 1", res.ElasticNet.Nonzero)
	}
}

// Without an intercept the columns are scaled, not centred, and the
// conditions hold with b = 0.
func TestElasticNetNoIntercept(t *testing.T) {
	tab := enetTable(300, 5, 3)
	res, err := lsgd.Fit(context.Background(), backends()[0], tab, lsgd.Options{L1: 0.01, L2: 0.01, NoIntercept: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Intercept != 0 {
		t.Errorf("intercept %g; want 0", res.Intercept)
	}
	checkKKT(t, "no intercept", tab, res.Coef, 0, 0.01, 0.01, 1e-7, false)
}

func TestElasticNetRejectsOptimizerOptions(t *testing.T) {
	tab := enetTable(50, 3, 4)
	for _, o := range []lsgd.Options{{L1: 0.1, Optimizer: lsgd.OptAdam}, {L1: 0.1, LR: 0.1, Optimizer: lsgd.OptGD}, {L1: -1}} {
		if _, err := lsgd.Fit(context.Background(), backends()[0], tab, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func formatPen(l1, l2 float64) string { return fmt.Sprintf("λ₁=%g λ₂=%g", l1, l2) }
