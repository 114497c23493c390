package lsgd_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// split returns the rows of tab in fold f (held out) and the others
// (training), as new tables.
func split(tab *lsgd.Table, fold []int, f int) (train, test *lsgd.Table) {
	var xtr, xte [][]float64
	var ytr, yte []float64
	feats := tab.Features()
	for i := 0; i < tab.Rows; i++ {
		row := make([]float64, len(feats))
		for a, j := range feats {
			row[a] = tab.At(i, j)
		}
		if fold[i] == f {
			xte, yte = append(xte, row), append(yte, tab.At(i, tab.Target))
		} else {
			xtr, ytr = append(xtr, row), append(ytr, tab.At(i, tab.Target))
		}
	}
	return lsgd.FromRows(xtr, ytr), lsgd.FromRows(xte, yte)
}

// The per-fold MSE path against independent refits: for every fold and λ,
// the existing fitter (Fit: coordinate descent for the lasso and elastic
// net, preconditioned conjugate gradients for ridge) on the training rows
// alone, scored on the held-out rows.
func TestCVAgainstPerFoldRefits(t *testing.T) {
	tab := enetTable(600, 7, 5)
	b := cpu.New(cpu.Options{})
	for _, ratio := range []float64{1, 0.5, 0} {
		res, err := lsgd.CrossValidate(context.Background(), b, tab, lsgd.CVOptions{L1Ratio: ratio, Folds: 4, Seed: 3, NLambdas: 12, Tol: 1e-13})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Lambdas) != 12 || res.Folds != 4 || len(res.FoldMSE) != 4 {
			t.Fatalf("r = %g: %d λ, %d folds, %d fold paths", ratio, len(res.Lambdas), res.Folds, len(res.FoldMSE))
		}
		for f := 0; f < res.Folds; f++ {
			train, test := split(tab, res.Fold, f)
			if test.Rows != res.FoldRows[f] {
				t.Errorf("fold %d: %d rows; result says %d", f, test.Rows, res.FoldRows[f])
			}
			for k, lam := range res.Lambdas {
				l1, l2 := lam*ratio, lam*(1-ratio)
				fit, err := lsgd.Fit(context.Background(), b, train, lsgd.Options{L1: l1, L2: l2, Tol: 1e-13})
				if err != nil {
					t.Fatal(err)
				}
				want, _ := lsgd.Score(test, fit.Coef, fit.Intercept, true)
				// pcg (ridge) certifies its coefficients to 1e-8 relative
				// by default; coordinate descent the objective to 1e-13.
				tol := 1e-7
				if got := res.FoldMSE[f][k]; math.Abs(got-want) > tol*want {
					t.Errorf("r = %g fold %d λ = %.4g: held-out MSE %.12g; refit gives %.12g", ratio, f, lam, got, want)
				}
			}
		}
		// The mean and standard error are the weighted ones of cv.glmnet.
		for k := range res.Lambdas {
			m, n := 0.0, 0.0
			for f := range res.FoldMSE {
				m += float64(res.FoldRows[f]) * res.FoldMSE[f][k]
				n += float64(res.FoldRows[f])
			}
			m /= n
			v := 0.0
			for f := range res.FoldMSE {
				v += float64(res.FoldRows[f]) * (res.FoldMSE[f][k] - m) * (res.FoldMSE[f][k] - m)
			}
			se := math.Sqrt(v / n / float64(res.Folds-1))
			if math.Abs(res.CVMSE[k]-m) > 1e-12*m || math.Abs(res.CVSE[k]-se) > 1e-9*se+1e-300 {
				t.Errorf("r = %g λ = %g: cv %g ± %g; folds give %g ± %g", ratio, res.Lambdas[k], res.CVMSE[k], res.CVSE[k], m, se)
			}
		}
		// λ_min minimizes the curve; λ_1se is the largest λ within one SE.
		for k, v := range res.CVMSE {
			if v < res.CVMSE[res.IndexMin] {
				t.Errorf("r = %g: cv_mse[%d] = %g below the minimum at %d (%g)", ratio, k, v, res.IndexMin, res.CVMSE[res.IndexMin])
			}
		}
		lim := res.CVMSE[res.IndexMin] + res.CVSE[res.IndexMin]
		for k := 0; k < res.Index1SE; k++ {
			if res.CVMSE[k] <= lim {
				t.Errorf("r = %g: λ[%d] = %g is within one SE and larger than λ_1se = %g", ratio, k, res.Lambdas[k], res.Lambda1SE)
			}
		}
		if res.CVMSE[res.Index1SE] > lim || res.Index1SE > res.IndexMin {
			t.Errorf("r = %g: λ_1se index %d, λ_min index %d", ratio, res.Index1SE, res.IndexMin)
		}
	}
}

// Every point of the path on all rows satisfies the KKT conditions, its
// zeros are exact and counted, the grid starts at the λ where every
// coefficient is zero, and the model is the path's point at λ_min.
func TestCVPathKKT(t *testing.T) {
	tab := enetTable(500, 8, 6)
	for _, ratio := range []float64{1, 0.3} {
		res, err := lsgd.CrossValidate(context.Background(), cpu.NewReference(), tab, lsgd.CVOptions{L1Ratio: ratio, Seed: 1, NLambdas: 30})
		if err != nil {
			t.Fatal(err)
		}
		for k, lam := range res.Lambdas {
			coef := res.PathCoef[k]
			name := fmt.Sprintf("r = %g λ[%d] = %.4g", ratio, k, lam)
			checkKKT(t, name, tab, coef, res.PathIntercept[k], lam*ratio, lam*(1-ratio), 1e-6, true)
			nz := 0
			for _, c := range coef {
				if c != 0 {
					nz++
				}
			}
			if nz != res.Nonzero[k] {
				t.Errorf("%s: nonzero = %d; counted %d", name, res.Nonzero[k], nz)
			}
		}
		if res.Nonzero[0] != 0 || res.Nonzero[1] == 0 {
			t.Errorf("r = %g: nonzero starts %v; want 0 at λ_max, then some", ratio, res.Nonzero[:3])
		}
		if r := res.Lambdas[len(res.Lambdas)-1] / res.Lambdas[0]; math.Abs(r-lsgd.DefaultLambdaMinRatio) > 1e-12 {
			t.Errorf("r = %g: grid spans a ratio %g; want %g", ratio, r, lsgd.DefaultLambdaMinRatio)
		}
		for a, c := range res.Coef {
			if c != res.PathCoef[res.IndexMin][a] {
				t.Errorf("r = %g: coef %v is not the path's at λ_min %v", ratio, res.Coef, res.PathCoef[res.IndexMin])
				break
			}
		}
		if e := res.ElasticNet; e == nil || e.RelGap > lsgd.DefaultGapTol || e.Nonzero != res.Nonzero[res.IndexMin] {
			t.Errorf("r = %g: certificate %+v", ratio, e)
		}
	}
}

// A fold column decides the folds, is not a feature, and gives the same
// path as the same folds drawn from a seed.
func TestCVFoldColumn(t *testing.T) {
	tab := enetTable(300, 4, 7)
	b := cpu.New(cpu.Options{})
	bySeed, err := lsgd.CrossValidate(context.Background(), b, tab, lsgd.CVOptions{L1Ratio: 1, Folds: 3, Seed: 9, NLambdas: 10})
	if err != nil {
		t.Fatal(err)
	}
	// The same table with the folds in a column between the features.
	x := make([][]float64, tab.Rows)
	y := make([]float64, tab.Rows)
	for i := range x {
		x[i] = []float64{tab.At(i, 0), tab.At(i, 1), float64(bySeed.Fold[i]), tab.At(i, 2), tab.At(i, 3)}
		y[i] = tab.At(i, tab.Target)
	}
	wf := lsgd.FromRows(x, y)
	wf.Names[2] = "fold"
	byCol, err := lsgd.CrossValidate(context.Background(), b, wf, lsgd.CVOptions{L1Ratio: 1, FoldColumn: "fold", NLambdas: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(byCol.Features) != 4 || byCol.Features[2] != "x4" {
		t.Errorf("features %v; want the fold column left out", byCol.Features)
	}
	for k := range bySeed.CVMSE {
		if math.Abs(bySeed.CVMSE[k]-byCol.CVMSE[k]) > 1e-12*bySeed.CVMSE[k] {
			t.Errorf("λ[%d]: cv_mse %g by seed, %g by column", k, bySeed.CVMSE[k], byCol.CVMSE[k])
		}
	}
	// Bad fold columns are input errors.
	for _, v := range []float64{-1, 0.5} {
		bad := lsgd.FromRows(x, y)
		bad.Names[2] = "fold"
		bad.Set(7, 2, v)
		if _, err := lsgd.CrossValidate(context.Background(), b, bad, lsgd.CVOptions{FoldColumn: "fold"}); !errors.Is(err, lsgd.ErrInput) {
			t.Errorf("fold value %g: err = %v; want an input error", v, err)
		}
	}
	if _, err := lsgd.CrossValidate(context.Background(), b, wf, lsgd.CVOptions{FoldColumn: "nope"}); !errors.Is(err, lsgd.ErrInput) {
		t.Errorf("missing fold column: err = %v; want an input error", err)
	}
}

// contiguousOnly wraps a backend whose Gram refuses shuffled rows, as the
// GPU's does.
type contiguousOnly struct{ lsgd.Backend }

type contiguousData struct{ lsgd.Data }

func (c contiguousOnly) Load(t *lsgd.Table, inPlace bool) (lsgd.Data, error) {
	d, err := c.Backend.Load(t, inPlace)
	return contiguousData{d}, err
}

func (c contiguousData) Gram(rows lsgd.Rows) ([]float64, error) {
	if rows.Shuffled {
		return nil, errors.New("contiguous rows only")
	}
	return c.Data.Gram(rows)
}

// A backend without shuffled Gram matrices gets the rows grouped by fold
// on the host, with the same result.
func TestCVContiguousGramBackend(t *testing.T) {
	tab := enetTable(400, 5, 8)
	opt := lsgd.CVOptions{L1Ratio: 0.7, Folds: 5, Seed: 2, NLambdas: 15}
	b := cpu.New(cpu.Options{})
	want, err := lsgd.CrossValidate(context.Background(), b, tab, opt)
	if err != nil {
		t.Fatal(err)
	}
	got, err := lsgd.CrossValidate(context.Background(), contiguousOnly{b}, tab, opt)
	if err != nil {
		t.Fatal(err)
	}
	for k := range want.CVMSE {
		if math.Abs(got.CVMSE[k]-want.CVMSE[k]) > 1e-12*want.CVMSE[k] {
			t.Errorf("λ[%d]: cv_mse %g grouped on the host; %g shuffled", k, got.CVMSE[k], want.CVMSE[k])
		}
	}
}

// The ridge path (l1 ratio 0) on all rows is the exact ridge solution
// (Householder QR) at every λ, to 1e-9: the sweeps go on until the
// coefficients settle, not only until the objective's gap is met.
func TestCVRidgePathAgainstQR(t *testing.T) {
	tab := enetTable(2000, 6, 9)
	res, err := lsgd.CrossValidate(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.CVOptions{L1Ratio: 0, Seed: 4, NLambdas: 15})
	if err != nil {
		t.Fatal(err)
	}
	for k, lam := range res.Lambdas {
		sol, err := lsgd.Solve(tab, lsgd.SolveOptions{L2: lam})
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(res.PathCoef[k], res.PathIntercept[k], sol.Coef, sol.Intercept); e > 1e-9 {
			t.Errorf("λ = %.4g: ridge path point %v; QR %v (rel err %.2g)", lam, res.PathCoef[k], sol.Coef, e)
		}
	}
}

// CrossValidateGrams on fold Gram matrices summed in the test by plain
// loops gives CrossValidate's path.
func TestCrossValidateGrams(t *testing.T) {
	tab, _ := weightedTable(4, 999, 3, false)
	tab.Weights = nil
	folds := make([]float64, tab.Rows)
	for i := range folds {
		folds[i] = float64((i * 7) % 4)
	}
	ft := withFolds(tab, folds)
	opt := lsgd.CVOptions{L1Ratio: 0.7, FoldColumn: "fold", NLambdas: 25}
	want, err := lsgd.CrossValidate(context.Background(), cpu.NewReference(), ft, opt)
	if err != nil {
		t.Fatal(err)
	}
	p := ft.Cols + 1
	grams := make([][]float64, 4)
	for f := range grams {
		grams[f] = make([]float64, p*p)
	}
	x := make([]float64, p)
	for i := 0; i < ft.Rows; i++ {
		for j := 0; j < ft.Cols; j++ {
			x[j] = ft.At(i, j)
		}
		x[p-1] = 1
		G := grams[int(folds[i])]
		for a := 0; a < p; a++ {
			for b := 0; b < p; b++ {
				G[a*p+b] += x[a] * x[b]
			}
		}
	}
	var feats []int
	for j := 0; j < ft.Cols; j++ {
		if j != ft.Target && ft.Names[j] != "fold" {
			feats = append(feats, j)
		}
	}
	got, err := lsgd.CrossValidateGrams(ft, grams, feats, lsgd.CVOptions{L1Ratio: 0.7, NLambdas: 25})
	if err != nil {
		t.Fatal(err)
	}
	if got.IndexMin != want.IndexMin || got.Index1SE != want.Index1SE || len(got.Lambdas) != len(want.Lambdas) {
		t.Fatalf("λ_min index %d, λ_1se index %d; CrossValidate %d, %d", got.IndexMin, got.Index1SE, want.IndexMin, want.Index1SE)
	}
	for i := range got.Lambdas {
		if !closeRel(got.Lambdas[i], want.Lambdas[i], 1e-12) || !closeRel(got.CVMSE[i], want.CVMSE[i], 1e-9) || !closeRel(got.CVSE[i], want.CVSE[i], 1e-8) {
			t.Errorf("λ %g: mse %g se %g; CrossValidate λ %g mse %g se %g", got.Lambdas[i], got.CVMSE[i], got.CVSE[i], want.Lambdas[i], want.CVMSE[i], want.CVSE[i])
		}
	}
	for k, c := range got.Coef {
		if !closeRel(c, want.Coef[k], 1e-9) {
			t.Errorf("coef[%d] = %g, want %g", k, c, want.Coef[k])
		}
	}
	for f, n := range got.FoldRows {
		if n != want.FoldRows[f] {
			t.Errorf("fold %d: %d rows, want %d", f, n, want.FoldRows[f])
		}
	}
}

// Cross-validation of a table streamed from disk (mapped) groups its rows
// by fold window by window; the result is the resident table's, with
// random folds and a fold column, weighted or not, and on a backend whose
// Gram takes contiguous ranges only.
func TestCrossValidateMapped(t *testing.T) {
	defer lsgd.SetCVWindowBytes(40 * 1024)() // 40 KiB: about 1,000 rows of 5 values, so many windows
	tab, _ := weightedTable(5, 7001, 3, false)
	folds := make([]float64, tab.Rows)
	for i := range folds {
		folds[i] = float64((i*5 + i/7) % 4)
	}
	ft := withFolds(tab, folds)
	path := filepath.Join(t.TempDir(), "t.npy")
	if err := tableio.SaveTable(path, ft); err != nil {
		t.Fatal(err)
	}
	mapped, err := tableio.MapNPY(path, tableio.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mapped.Map == nil {
		t.Fatal("not mapped")
	}
	mapped.Names = ft.Names // a .npy file has no column names
	for _, weighted := range []bool{false, true} {
		resident := ft
		if weighted {
			mapped.Weights = ft.Weights
		} else {
			mapped.Weights = nil
			resident = ft.Clone(lsgd.F64)
			resident.Weights = nil
		}
		for _, opt := range []lsgd.CVOptions{{L1Ratio: 0.5, Seed: 3, NLambdas: 15}, {L1Ratio: 1, FoldColumn: "fold", NLambdas: 15}} {
			for _, b := range []lsgd.Backend{cpu.New(cpu.Options{}), contiguousOnly{cpu.New(cpu.Options{})}} {
				want, err := lsgd.CrossValidate(context.Background(), b, resident, opt)
				if err != nil {
					t.Fatal(err)
				}
				got, err := lsgd.CrossValidate(context.Background(), b, mapped, opt)
				if err != nil {
					t.Fatal(err)
				}
				if got.IndexMin != want.IndexMin || len(got.Lambdas) != len(want.Lambdas) {
					t.Fatalf("weighted %v %+v: λ_min index %d, resident %d", weighted, opt, got.IndexMin, want.IndexMin)
				}
				for i := range got.Lambdas {
					if !closeRel(got.Lambdas[i], want.Lambdas[i], 1e-10) || !closeRel(got.CVMSE[i], want.CVMSE[i], 1e-9) {
						t.Errorf("weighted %v %+v: λ %g mse %g; resident λ %g mse %g", weighted, opt,
							got.Lambdas[i], got.CVMSE[i], want.Lambdas[i], want.CVMSE[i])
					}
				}
			}
		}
	}
}
