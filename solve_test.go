package lsgd_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// solveBoth solves tab by TSQR and by the Gram method on the fast CPU
// backend.
func solveBoth(t *testing.T, tab *lsgd.Table, opt lsgd.SolveOptions) (qr, gram *lsgd.Solution) {
	t.Helper()
	b := cpu.New(cpu.Options{Precision: lsgd.F64})
	var err error
	opt.Method = lsgd.SolveQR
	if qr, err = lsgd.SolveOn(context.Background(), b, tab, opt); err != nil {
		t.Fatal(err)
	}
	opt.Method = lsgd.SolveGram
	if gram, err = lsgd.SolveOn(context.Background(), b, tab, opt); err != nil {
		t.Fatal(err)
	}
	return qr, gram
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Abs(want)
}

// The Gram method agrees with TSQR to about κ·u on a well-conditioned
// table, and SolveAuto picks it on a large one.
func TestSolveGramAgreesWithQR(t *testing.T) {
	rows := 100_000
	if testing.Short() {
		rows = 70_000
	}
	for _, cond := range []float64{1, 1e3, lsgd.GramMaxCond} {
		tab, _ := gen(t, rows, 13, cond, 1, 3)
		for _, l2 := range []float64{0, 0.01} {
			opt := lsgd.SolveOptions{L2: l2}
			qr, gram := solveBoth(t, tab, opt)
			if e := relErr(gram.Coef, gram.Intercept, qr.Coef, qr.Intercept); e > 1e-11 && cond <= 1e3 {
				t.Errorf("cond %g, λ %g: gram vs qr relative difference %.3g; want ≤ 1e-11", cond, l2, e)
			}
			// The certificates: on the standardized scale the two differ
			// by no more than the sum of their bounds.
			if e := stdDiff(tab, gram, qr); e > gram.ErrorBound+qr.ErrorBound {
				t.Errorf("cond %g, λ %g: standardized difference %.3g above the bounds %.3g + %.3g",
					cond, l2, e, gram.ErrorBound, qr.ErrorBound)
			}
			if gram.ErrorBound > 1e-6 || gram.ErrorBound < 1e-15 {
				t.Errorf("cond %g: error bound %.3g out of range for κ ≈ %g", cond, gram.ErrorBound, cond)
			}
			if !relClose(gram.Cond, qr.Cond, 1e-6) {
				t.Errorf("cond %g: gram cond %.10g, qr cond %.10g", cond, gram.Cond, qr.Cond)
			}
			if !relClose(gram.MSE, qr.MSE, 1e-9) || !relClose(gram.R2, qr.R2, 1e-12) || !relClose(gram.Loss, qr.Loss, 1e-9) {
				t.Errorf("cond %g, λ %g: gram MSE %.15g R² %.15g loss %.15g; qr %.15g %.15g %.15g",
					cond, l2, gram.MSE, gram.R2, gram.Loss, qr.MSE, qr.R2, qr.Loss)
			}
			if l2 > 0 {
				if gram.Inference != nil || qr.Inference != nil {
					t.Errorf("ridge solve has inference")
				}
				continue
			}
			for k := range qr.StdErr {
				if !relClose(gram.StdErr[k], qr.StdErr[k], 1e-9) {
					t.Errorf("cond %g: std_err[%d] gram %.15g, qr %.15g", cond, k, gram.StdErr[k], qr.StdErr[k])
				}
			}
			if !relClose(gram.InterceptStdErr, qr.InterceptStdErr, 1e-9) {
				t.Errorf("cond %g: intercept std_err gram %.15g, qr %.15g", cond, gram.InterceptStdErr, qr.InterceptStdErr)
			}
		}
		sol, err := lsgd.SolveOn(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.SolveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sol.Method != "gram-cholesky+refinement" {
			t.Errorf("cond %g, %d rows: auto chose %s (%s); want the Gram method", cond, rows, sol.Method, sol.MethodWhy)
		}
	}
}

// SolveAuto keeps TSQR for small tables, without a backend, and when the
// design is too ill-conditioned for the Gram matrix.
func TestSolveAutoFallsBack(t *testing.T) {
	b := cpu.New(cpu.Options{})
	small, _ := gen(t, 1000, 4, 10, 0.1, 1)
	ill, _ := gen(t, lsgd.GramMinRows, 4, 1e6, 0.1, 1)
	for _, c := range []struct {
		name string
		b    lsgd.Backend
		tab  *lsgd.Table
	}{{"small", b, small}, {"no backend", nil, small}, {"f32 backend", cpu.New(cpu.Options{Precision: lsgd.F32}), small}, {"ill-conditioned", b, ill}} {
		sol, err := lsgd.SolveOn(context.Background(), c.b, c.tab, lsgd.SolveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sol.Method != "householder-tsqr+refinement" || sol.MethodWhy == "" {
			t.Errorf("%s: method %q (%q); want TSQR and why", c.name, sol.Method, sol.MethodWhy)
		}
	}
	if _, err := lsgd.SolveOn(context.Background(), nil, small, lsgd.SolveOptions{Method: lsgd.SolveGram}); !errors.Is(err, lsgd.ErrInput) {
		t.Errorf("gram without a backend: %v; want an input error", err)
	}
}

// Simple regression y = a + b·x against its closed forms: b = Sxy/Sxx,
// se(b) = σ̂/√Sxx, se(a) = σ̂·√(1/n + x̄²/Sxx), σ̂² = RSS/(n−2). With n = 3
// (one degree of freedom) Student's t is Cauchy: P(|T| > t) =
// 1 − (2/π)·atan t and t₀.₉₇₅ = tan(0.475π); F = t_b² has the same p-value.
func TestInferenceSimpleRegression(t *testing.T) {
	for _, c := range []struct{ x, y []float64 }{
		{[]float64{1, 2, 4}, []float64{1.5, 2.1, 4.6}},
		{[]float64{1000.5, 1001, 1003, 1002.5, 1000}, []float64{3, 2.5, 9, 7.5, 1}},
	} {
		n := float64(len(c.x))
		xm, ym := 0.0, 0.0
		for i := range c.x {
			xm += c.x[i] / n
			ym += c.y[i] / n
		}
		sxx, sxy, syy := 0.0, 0.0, 0.0
		for i := range c.x {
			sxx += (c.x[i] - xm) * (c.x[i] - xm)
			sxy += (c.x[i] - xm) * (c.y[i] - ym)
			syy += (c.y[i] - ym) * (c.y[i] - ym)
		}
		slope := sxy / sxx
		a := ym - slope*xm
		rss := syy - slope*sxy
		s2 := rss / (n - 2)
		seB, seA := math.Sqrt(s2/sxx), math.Sqrt(s2*(1/n+xm*xm/sxx))
		r2 := 1 - rss/syy
		rows := make([][]float64, len(c.x))
		for i, v := range c.x {
			rows[i] = []float64{v}
		}
		tab := lsgd.FromRows(rows, c.y)
		qr, gram := solveBoth(t, tab, lsgd.SolveOptions{})
		for _, sol := range []*lsgd.Solution{qr, gram} {
			m := sol.Method
			check := func(what string, got, want float64) {
				t.Helper()
				if !relClose(got, want, 1e-10) {
					t.Errorf("n=%g %s: %s = %.15g; want %.15g", n, m, what, got, want)
				}
			}
			check("slope", sol.Coef[0], slope)
			check("intercept", sol.Intercept, a)
			check("std_err", sol.StdErr[0], seB)
			check("intercept_std_err", sol.InterceptStdErr, seA)
			check("t", sol.TValues[0], slope/seB)
			check("intercept t", sol.InterceptTValue, a/seA)
			check("residual std err", sol.ResidualStdErr, math.Sqrt(s2))
			check("adj R²", sol.AdjR2, 1-(1-r2)*(n-1)/(n-2))
			check("F", sol.FStatistic, (syy-rss)/s2)
			if sol.DFResid != int(n)-2 || sol.DFModel != 1 {
				t.Errorf("%s: df %d, %d; want %g, 1", m, sol.DFResid, sol.DFModel, n-2)
			}
			if n != 3 {
				continue
			}
			tb := math.Abs(slope / seB)
			pb := 1 - 2/math.Pi*math.Atan(tb)
			check("p", sol.PValues[0], pb)
			check("intercept p", sol.InterceptPValue, 1-2/math.Pi*math.Atan(math.Abs(a/seA)))
			check("F p", sol.FPValue, pb)
			tq := math.Tan(0.475 * math.Pi)
			check("ci lo", sol.ConfInt[0][0], slope-tq*seB)
			check("ci hi", sol.ConfInt[0][1], slope+tq*seB)
			check("intercept ci lo", sol.InterceptConfInt[0], a-tq*seA)
		}
	}
}

// Through the origin: se(b) = σ̂/√Σx², σ̂² = RSS/(n−1), F on the
// uncentred sums; no intercept statistics.
func TestInferenceNoIntercept(t *testing.T) {
	x := []float64{1, 2, 3, 5}
	y := []float64{1.1, 1.9, 3.2, 4.8}
	sxx, sxy, syy := 0.0, 0.0, 0.0
	for i := range x {
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
		syy += y[i] * y[i]
	}
	b := sxy / sxx
	rss := syy - b*sxy
	s2 := rss / 3
	tab := lsgd.FromRows([][]float64{{1}, {2}, {3}, {5}}, y)
	qr, gram := solveBoth(t, tab, lsgd.SolveOptions{NoIntercept: true})
	for _, sol := range []*lsgd.Solution{qr, gram} {
		if !relClose(sol.StdErr[0], math.Sqrt(s2/sxx), 1e-10) || !relClose(sol.FStatistic, (syy-rss)/s2, 1e-10) {
			t.Errorf("%s: std_err %.15g F %.15g; want %.15g %.15g", sol.Method, sol.StdErr[0], sol.FStatistic, math.Sqrt(s2/sxx), (syy-rss)/s2)
		}
		if !math.IsNaN(sol.InterceptStdErr) || !math.IsNaN(sol.InterceptPValue) {
			t.Errorf("%s: intercept statistics %g, %g without an intercept; want NaN", sol.Method, sol.InterceptStdErr, sol.InterceptPValue)
		}
	}
}

// As many rows as coefficients: an exact fit with no residual degrees of
// freedom has no standard errors, and none are made up.
func TestInferenceNoDegreesOfFreedom(t *testing.T) {
	tab := lsgd.FromRows([][]float64{{1}, {3}}, []float64{2, 5})
	sol, err := lsgd.Solve(tab, lsgd.SolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sol.DFResid != 0 || !math.IsNaN(sol.StdErr[0]) || !math.IsNaN(sol.PValues[0]) || !math.IsNaN(sol.InterceptStdErr) ||
		!math.IsNaN(sol.ResidualStdErr) || !math.IsNaN(sol.FStatistic) {
		t.Errorf("df %d, std_err %g, p %g, intercept std_err %g, σ̂ %g, F %g; want 0 and NaN", sol.DFResid, sol.StdErr[0],
			sol.PValues[0], sol.InterceptStdErr, sol.ResidualStdErr, sol.FStatistic)
	}
}

var nistFRe = regexp.MustCompile(`(?m)^Regression\s+\d+\s+\S+\s+\S+\s+(\S+)\s*$`)

// The NIST StRD certified standard deviations of the estimates, residual
// standard deviation and F statistic, by TSQR (what Solve does on tables
// this small), as least log relative errors: Longley (cond ≈ 10⁷
// unstandardized) to 11 digits, Filip (cond ≈ 10¹⁰ standardized) to 7,
// the others to 12. An exact fit (Wampler1, 2) has standard errors 0.
func TestInferenceNIST(t *testing.T) {
	need := map[string]float64{"Norris": 12, "Pontius": 12, "NoInt1": 12, "NoInt2": 12, "Longley": 11,
		"Filip": 7, "Wampler1": 12, "Wampler2": 12, "Wampler3": 12, "Wampler4": 12, "Wampler5": 12}
	for name, lre := range need {
		path := filepath.Join("testdata", "nist", name+".dat")
		set, err := tableio.ReadNIST(path)
		if err != nil {
			t.Fatal(err)
		}
		sol, err := lsgd.Solve(set.Table, lsgd.SolveOptions{NoIntercept: !set.Intercept})
		if err != nil {
			t.Fatal(err)
		}
		se := sol.StdErr
		if set.Intercept {
			se = append([]float64{sol.InterceptStdErr}, se...)
		}
		for k, want := range set.CertifiedSD {
			if want == 0 {
				if !(se[k] <= 1e-11*math.Abs(set.Certified[k])) {
					t.Errorf("%s: std err B%d = %g; want 0", name, k, se[k])
				}
				continue
			}
			if got := lsgd.LRE(se[k], want); got < lre {
				t.Errorf("%s: std err B%d = %.15g; certified %.15g (LRE %.1f < %g)", name, k, se[k], want, got, lre)
			}
		}
		if set.ResidualSD != 0 {
			if got := lsgd.LRE(sol.ResidualStdErr, set.ResidualSD); got < lre {
				t.Errorf("%s: residual SD %.15g; certified %.15g (LRE %.1f)", name, sol.ResidualStdErr, set.ResidualSD, got)
			}
		}
		raw, _ := os.ReadFile(path)
		if m := nistFRe.FindSubmatch(raw); m != nil {
			f, _ := strconv.ParseFloat(string(m[1]), 64)
			if got := lsgd.LRE(sol.FStatistic, f); got < lre-1 && !(math.IsInf(f, 0)) {
				t.Errorf("%s: F = %.15g; certified %.15g (LRE %.1f)", name, sol.FStatistic, f, got)
			}
		} else {
			t.Errorf("%s: no certified F statistic found", name)
		}
	}
}

// stdDiff is ‖θ_a − θ_b‖/‖θ_b‖ for the slopes on the standardized scale,
// θ_j = coef_j·sd(x_j)/sd(y).
func stdDiff(tab *lsgd.Table, a, b *lsgd.Solution) float64 {
	sd := func(j int) float64 {
		m, s := 0.0, 0.0
		for i := 0; i < tab.Rows; i++ {
			m += tab.At(i, j)
		}
		m /= float64(tab.Rows)
		for i := 0; i < tab.Rows; i++ {
			s += (tab.At(i, j) - m) * (tab.At(i, j) - m)
		}
		return math.Sqrt(s / float64(tab.Rows))
	}
	sy := sd(tab.Target)
	num, den := 0.0, 0.0
	for k, j := range tab.Features() {
		f := sd(j) / sy
		num += (a.Coef[k] - b.Coef[k]) * f * (a.Coef[k] - b.Coef[k]) * f
		den += b.Coef[k] * f * b.Coef[k] * f
	}
	return math.Sqrt(num / den)
}

// InPlace gives the same Gram solution without the copy; when the
// conditioning sends SolveAuto on to TSQR the table is mapped back first,
// every value within a few units of roundoff of its column's largest, and
// TSQR's answer moves less than its error bound.
func TestSolveInPlace(t *testing.T) {
	b := cpu.New(cpu.Options{})
	for _, cond := range []float64{10, 1e6} {
		tab, _ := gen(t, lsgd.GramMinRows, 5, cond, 0.1, 4)
		orig := tab.Clone(lsgd.F64)
		want, err := lsgd.SolveOn(context.Background(), b, tab, lsgd.SolveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := lsgd.SolveOn(context.Background(), b, tab, lsgd.SolveOptions{InPlace: true})
		if err != nil {
			t.Fatal(err)
		}
		if got.Method != want.Method {
			t.Fatalf("cond %g: in place ran %s, with a copy %s", cond, got.Method, want.Method)
		}
		e := relErr(got.Coef, got.Intercept, want.Coef, want.Intercept)
		switch {
		case got.Method == "gram-cholesky+refinement" && e != 0:
			t.Errorf("cond %g: in place differs from the copy by %.3g; want the same bits", cond, e)
		case e > want.ErrorBound:
			t.Errorf("cond %g: TSQR on the restored table differs by %.3g, above its bound %.3g", cond, e, want.ErrorBound)
		}
		if got.Method == "gram-cholesky+refinement" {
			continue
		}
		// Rounding in (x − m)·mul and back costs a few units of the
		// column's largest value: a normwise backward error far below
		// Householder QR's own.
		worst := 0.0
		for j := 0; j < tab.Cols; j++ {
			big := 0.0
			for i := 0; i < tab.Rows; i++ {
				big = math.Max(big, math.Abs(orig.At(i, j)))
			}
			for i := 0; i < tab.Rows; i++ {
				worst = math.Max(worst, math.Abs(tab.At(i, j)-orig.At(i, j))/(big*0x1p-53))
			}
		}
		if worst > 8 {
			t.Errorf("cond %g: restored values off by up to %.1f u·max|x_j|; want ≤ 8", cond, worst)
		}
	}
}

// A large table with a duplicated column: its Gram matrix is singular,
// SolveAuto goes on to TSQR, and the error names both columns.
func TestSolveAutoCollinear(t *testing.T) {
	tab, _ := gen(t, lsgd.GramMinRows, 3, 1, 0.1, 5)
	x := make([][]float64, tab.Rows)
	y := make([]float64, tab.Rows)
	for i := range x {
		x[i] = []float64{tab.At(i, 0), tab.At(i, 1), tab.At(i, 2), 2 * tab.At(i, 1)}
		y[i] = tab.At(i, tab.Target)
	}
	_, err := lsgd.SolveOn(context.Background(), cpu.New(cpu.Options{}), lsgd.FromRows(x, y), lsgd.SolveOptions{})
	var re *lsgd.RankError
	if !errors.As(err, &re) || len(re.Columns) != 2 || re.Columns[0] != "x2" || re.Columns[1] != "x4" {
		t.Errorf("err = %v; want a *RankError naming x2 and x4", err)
	}
}
