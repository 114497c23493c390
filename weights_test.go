package lsgd_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// weightedTable returns rows×(feats+1) random values (target last, a
// linear model plus noise) and integer weights in 0…3, with its expansion:
// every row repeated w_i times.
func weightedTable(seed uint64, rows, feats int, binomial bool) (w, rep *lsgd.Table) {
	rng := rand.New(rand.NewPCG(seed, 7))
	w = tableio.NewTable(rows, feats+1, lsgd.F64)
	w.Weights = make([]float64, rows)
	beta := make([]float64, feats)
	for j := range beta {
		beta[j] = rng.NormFloat64()
	}
	var repRows [][]float64
	var repY []float64
	for i := 0; i < rows; i++ {
		x := make([]float64, feats)
		z := 0.5
		for j := range x {
			x[j] = 3 + float64(j+1)*rng.NormFloat64()
			w.Set(i, j, x[j])
			z += beta[j] * (x[j] - 3) / float64(j+1)
		}
		y := z + 0.3*rng.NormFloat64()
		if binomial {
			y = 0
			if rng.Float64() < lsgd.Sigmoid(z) {
				y = 1
			}
		}
		w.Set(i, feats, y)
		w.Weights[i] = float64(rng.IntN(4))
		if i == 0 {
			// A zero-weight row with a wild value counts for nothing.
			w.Weights[i] = 0
			w.Set(i, 0, 1e6)
		}
		for k := 0; k < int(w.Weights[i]); k++ {
			repRows = append(repRows, x)
			repY = append(repY, y)
		}
	}
	return w, tableio.FromRows(repRows, repY)
}

// wls is the weighted least-squares solution and its analytic-weights
// statistics, by a QR of √W·[X 1] in the test: coefficients (intercept
// last), their standard errors and σ̂.
func wls(t *lsgd.Table) (beta, se []float64, sigma float64) {
	n, d := t.Rows, t.Cols-1
	q := d + 1
	A := mat.NewDense(n, q, nil)
	b := mat.NewVecDense(n, nil)
	npos := 0
	for i := 0; i < n; i++ {
		sw := math.Sqrt(t.Weights[i])
		if sw > 0 {
			npos++
		}
		for j := 0; j < d; j++ {
			A.Set(i, j, sw*t.At(i, j))
		}
		A.Set(i, d, sw)
		b.SetVec(i, sw*t.At(i, d))
	}
	var qr mat.QR
	qr.Factorize(A)
	var x mat.VecDense
	if err := qr.SolveVecTo(&x, false, b); err != nil {
		panic(err)
	}
	var r mat.VecDense
	r.MulVec(A, &x)
	r.SubVec(b, &r)
	s2 := mat.Dot(&r, &r) / float64(npos-q)
	var ata, inv mat.Dense
	ata.Mul(A.T(), A)
	if err := inv.Inverse(&ata); err != nil {
		panic(err)
	}
	se = make([]float64, q)
	for k := range se {
		se[k] = math.Sqrt(s2 * inv.At(k, k))
	}
	return x.RawVector().Data, se, math.Sqrt(s2)
}

func closeRel(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// Weighted least squares equals the unweighted fit of the rows repeated
// by their integer weights, on every solve method and the default train;
// the statistics are those of analytic weights, from a QR in the test.
func TestWeightedSolve(t *testing.T) {
	tab, rep := weightedTable(1, 3001, 5, false)
	want, se, sigma := wls(tab)
	b := cpu.NewReference()
	for _, m := range []lsgd.SolveMethod{lsgd.SolveQR, lsgd.SolveGram} {
		sol, err := lsgd.SolveOn(context.Background(), b, tab, lsgd.SolveOptions{Method: m})
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		solRep, err := lsgd.SolveOn(context.Background(), b, rep, lsgd.SolveOptions{Method: m})
		if err != nil {
			t.Fatal(err)
		}
		for k, c := range sol.Coef {
			if !closeRel(c, want[k], 1e-9) || !closeRel(c, solRep.Coef[k], 1e-9) {
				t.Errorf("%v: coef[%d] = %.15g; QR of √W·X %.15g, repeated rows %.15g", m, k, c, want[k], solRep.Coef[k])
			}
		}
		if !closeRel(sol.Intercept, want[5], 1e-9) {
			t.Errorf("%v: intercept %.15g, want %.15g", m, sol.Intercept, want[5])
		}
		if !closeRel(sol.MSE, solRep.MSE, 1e-9) || !closeRel(sol.R2, solRep.R2, 1e-9) {
			t.Errorf("%v: mse %g r2 %g; repeated rows %g %g", m, sol.MSE, sol.R2, solRep.MSE, solRep.R2)
		}
		inf := sol.Inference
		if inf == nil || !inf.Weighted {
			t.Fatalf("%v: inference %+v, want weighted statistics", m, inf)
		}
		for k, s := range inf.StdErr {
			if !closeRel(s, se[k], 1e-8) {
				t.Errorf("%v: std_err[%d] = %.12g, want %.12g", m, k, s, se[k])
			}
		}
		if !closeRel(inf.InterceptStdErr, se[5], 1e-8) || !closeRel(inf.ResidualStdErr, sigma, 1e-9) {
			t.Errorf("%v: intercept std_err %g residual std_err %g, want %g %g", m, inf.InterceptStdErr, inf.ResidualStdErr, se[5], sigma)
		}
		if npos := positive(tab.Weights); inf.DFResid != npos-6 {
			t.Errorf("%v: df_resid %d, want %d (rows of positive weight − 6)", m, inf.DFResid, npos-6)
		}
	}
	// Scaling every weight alike changes only σ̂.
	scaled := tab.Clone(lsgd.F64)
	for i := range scaled.Weights {
		scaled.Weights[i] *= 4
	}
	s1, err := lsgd.SolveOn(context.Background(), b, scaled, lsgd.SolveOptions{Method: lsgd.SolveQR})
	if err != nil {
		t.Fatal(err)
	}
	if !closeRel(s1.Inference.StdErr[0], se[0], 1e-8) || !closeRel(s1.Inference.ResidualStdErr, 2*sigma, 1e-9) {
		t.Errorf("weights ×4: std_err %g residual %g, want %g %g", s1.Inference.StdErr[0], s1.Inference.ResidualStdErr, se[0], 2*sigma)
	}
	// Train (default method) reaches the same coefficients.
	for _, be := range []lsgd.Backend{b, cpu.New(cpu.Options{})} {
		res, err := lsgd.Fit(context.Background(), be, tab, lsgd.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for k, c := range res.Coef {
			if !closeRel(c, want[k], 1e-6) {
				t.Errorf("train on %s: coef[%d] = %.12g, want %.12g", be.Device(), k, c, want[k])
			}
		}
		if !closeRel(res.MSE, s1.MSE, 1e-6) {
			t.Errorf("train on %s: mse %g, want %g", be.Device(), res.MSE, s1.MSE)
		}
	}
}

func positive(w []float64) int {
	n := 0
	for _, v := range w {
		if v > 0 {
			n++
		}
	}
	return n
}

// Weighted logistic regression equals the fit of the repeated rows.
func TestWeightedLogistic(t *testing.T) {
	tab, rep := weightedTable(2, 2003, 3, true)
	tab.Set(0, 0, 3) // keep the zero-weight row harmless to the curvature sample
	for _, be := range []lsgd.Backend{cpu.NewReference(), cpu.New(cpu.Options{})} {
		opt := lsgd.Options{Family: lsgd.Binomial}
		a, err := lsgd.Fit(context.Background(), be, tab, opt)
		if err != nil {
			t.Fatal(err)
		}
		r, err := lsgd.Fit(context.Background(), be, rep, opt)
		if err != nil {
			t.Fatal(err)
		}
		for k := range a.Coef {
			if !closeRel(a.Coef[k], r.Coef[k], 1e-7) {
				t.Errorf("%s: coef[%d] = %.12g, repeated rows %.12g", be.Device(), k, a.Coef[k], r.Coef[k])
			}
		}
		if !closeRel(a.Intercept, r.Intercept, 1e-7) || !closeRel(a.LogLoss, r.LogLoss, 1e-9) ||
			!closeRel(a.ClassAccuracy, r.ClassAccuracy, 1e-12) || !closeRel(a.AUC, r.AUC, 1e-12) {
			t.Errorf("%s: intercept %g log-loss %g acc %g auc %g; repeated rows %g %g %g %g", be.Device(),
				a.Intercept, a.LogLoss, a.ClassAccuracy, a.AUC, r.Intercept, r.LogLoss, r.ClassAccuracy, r.AUC)
		}
	}
}

// withFolds returns t with a fold column "fold" (row i in fold i mod 3 for
// the weighted table; repeated rows keep their row's fold) before the
// target.
func withFolds(t *lsgd.Table, folds []float64) *lsgd.Table {
	c := tableio.NewTable(t.Rows, t.Cols+1, lsgd.F64)
	for i := 0; i < t.Rows; i++ {
		for j := 0; j < t.Cols-1; j++ {
			c.Set(i, j, t.At(i, j))
		}
		c.Set(i, t.Cols-1, folds[i])
		c.Set(i, t.Cols, t.At(i, t.Target))
	}
	c.Names[t.Cols-1] = "fold"
	c.Weights = t.Weights
	return c
}

// Weighted cross-validation equals cross-validation of the repeated rows
// with the same folds.
func TestWeightedCV(t *testing.T) {
	tab, _ := weightedTable(3, 1501, 4, false)
	folds := make([]float64, tab.Rows)
	var repFolds []float64
	var repRows [][]float64
	var repY []float64
	for i := range folds {
		folds[i] = float64(i % 3)
		for k := 0; k < int(tab.Weights[i]); k++ {
			x := make([]float64, tab.Cols-1)
			for j := range x {
				x[j] = tab.At(i, j)
			}
			repRows = append(repRows, x)
			repY = append(repY, tab.At(i, tab.Target))
			repFolds = append(repFolds, folds[i])
		}
	}
	a := withFolds(tab, folds)
	r := withFolds(tableio.FromRows(repRows, repY), repFolds)
	for _, be := range []lsgd.Backend{cpu.NewReference(), cpu.New(cpu.Options{})} {
		opt := lsgd.CVOptions{L1Ratio: 0.5, FoldColumn: "fold", NLambdas: 20}
		ca, err := lsgd.CrossValidate(context.Background(), be, a, opt)
		if err != nil {
			t.Fatal(err)
		}
		cr, err := lsgd.CrossValidate(context.Background(), be, r, opt)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ca.Lambdas {
			if !closeRel(ca.Lambdas[i], cr.Lambdas[i], 1e-9) || !closeRel(ca.CVMSE[i], cr.CVMSE[i], 1e-8) ||
				!closeRel(ca.CVSE[i], cr.CVSE[i], 1e-7) {
				t.Errorf("%s: λ %g mse %g se %g; repeated rows λ %g mse %g se %g", be.Device(),
					ca.Lambdas[i], ca.CVMSE[i], ca.CVSE[i], cr.Lambdas[i], cr.CVMSE[i], cr.CVSE[i])
			}
		}
		if ca.IndexMin != cr.IndexMin {
			t.Errorf("%s: λ_min index %d, repeated rows %d", be.Device(), ca.IndexMin, cr.IndexMin)
		}
	}
}
