package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// wdata returns an n-row table x1, x2, x3, w, y: features with offsets
// (so centring matters), weights w (every seventh row zero; whole numbers
// 0…3 when integer is set, else uniform in [0, 3)) and y = 3 + x·β + noise
// whose spread grows where w is small.
func wdata(seed uint64, n int, integer bool) *tableio.Table {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := tableio.NewTable(n, 5, tableio.F64)
	t.Names = []string{"x1", "x2", "x3", "w", "y"}
	beta := []float64{1.5, -2, 0.25}
	for i := 0; i < n; i++ {
		r := t.F64[i*5 : i*5+5]
		r[0] = 10 + rng.NormFloat64()
		r[1] = -4 + 2*rng.NormFloat64()
		r[2] = 0.5*r[0] + rng.NormFloat64()
		if integer {
			r[3] = float64(rng.IntN(4))
		} else {
			r[3] = 3 * rng.Float64()
		}
		if i%7 == 0 {
			r[3] = 0
		}
		r[4] = 3 + beta[0]*r[0] + beta[1]*r[1] + beta[2]*r[2] + rng.NormFloat64()/math.Sqrt(0.2+r[3])
	}
	return t
}

// wls is the weighted least-squares reference, computed directly in
// float64 with gonum: β minimizing Σ w_i·(y_i − b − x_i·β)² from a QR of
// the √w-scaled design [X 1] ([X] without an intercept), and (AᵀWA)⁻¹ from a Cholesky factorization
// of the weighted normal equations' matrix (a different route from the
// pipeline's R).
type wls struct {
	beta     []float64 // coefficients, then the intercept (if any)
	inv      *mat.SymDense
	rss, tss float64 // Σ w·e², Σ w·(y − ȳ_w)²
	npos     int
	wsum     float64
}

func wlsRef(t *testing.T, tab *tableio.Table, feats []int, wcol, ycol int, intercept bool) wls {
	t.Helper()
	d := len(feats)
	q := d
	if intercept {
		q++
	}
	var rows []int
	var out wls
	ym := 0.0
	for i := 0; i < tab.Rows; i++ {
		if w := tab.At(i, wcol); w > 0 {
			rows = append(rows, i)
			out.wsum += w
			ym += w * tab.At(i, ycol)
		}
	}
	ym /= out.wsum
	if !intercept {
		ym = 0 // TSS about zero
	}
	out.npos = len(rows)
	A := mat.NewDense(len(rows), q, nil)
	b := mat.NewDense(len(rows), 1, nil)
	for r, i := range rows {
		sw := math.Sqrt(tab.At(i, wcol))
		for a, j := range feats {
			A.Set(r, a, sw*tab.At(i, j))
		}
		if intercept {
			A.Set(r, d, sw)
		}
		b.Set(r, 0, sw*tab.At(i, ycol))
	}
	var qr mat.QR
	qr.Factorize(A)
	var x mat.Dense
	if err := qr.SolveTo(&x, false, b); err != nil {
		t.Fatal(err)
	}
	out.beta = mat.Col(nil, 0, &x)
	for _, i := range rows {
		w, y := tab.At(i, wcol), tab.At(i, ycol)
		e := y
		if intercept {
			e -= out.beta[d]
		}
		for a, j := range feats {
			e -= out.beta[a] * tab.At(i, j)
		}
		out.rss += w * e * e
		out.tss += w * (y - ym) * (y - ym)
	}
	var g mat.SymDense
	g.SymOuterK(1, A.T()) // AᵀA of the scaled design = XᵀWX
	var ch mat.Cholesky
	if !ch.Factorize(&g) {
		t.Fatal("XᵀWX is not positive definite")
	}
	out.inv = new(mat.SymDense)
	if err := ch.InverseTo(out.inv); err != nil {
		t.Fatal(err)
	}
	return out
}

// relErr returns |got − want| / max(|want|, scale).
func relErr(got, want, scale float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), scale)
}

// TestWeightedSolve fits weighted least squares over uneven CSV shards
// (one of a single row, one whose weights are all zero) and .npy shards
// split into row ranges, with the weight column by name and by index,
// and checks coefficients, MSE, R² and every inference statistic against
// the gonum reference and the closed forms:
//
//	df = n₊ − q, σ̂² = Σw·e²/df, se_k = √(σ̂²·[(XᵀWX)⁻¹]_kk), t = β/se,
//	p = 2·P(T_df > |t|), CI = β ± t_{df,0.975}·se,
//	F = ((TSS − RSS)/d)/σ̂², P(F_{d,df} > F), adj R² = 1 − (1 − R²)(n₊ − 1)/df.
//
// Tolerances: the standardized design's condition number here is below
// 20 and the columns' means are within 10 spreads of zero, so the
// backward-stable solve is within 64·q·cond·u·(1 + 10) ≈ 1e-11 relative;
// the reference's (XᵀWX)⁻¹ squares cond(A) ≈ 1e3, so standard errors
// agree to about 1e6·u; 1e-9 leaves room for both.
func TestWeightedSolve(t *testing.T) {
	tab := wdata(1, 900, false)
	for i := 318; i < 400; i++ {
		tab.F64[i*5+3] = 0
	}
	dir := t.TempDir()
	shard(t, tab, dir, "a.csv", 0, 317)
	shard(t, tab, dir, "b.csv", 317, 318)
	shard(t, tab, dir, "c.csv", 318, 400) // every weight zero
	shard(t, tab, dir, "d.csv", 400, 900)
	shard(t, tab, dir, "a.npy", 0, 700)
	shard(t, tab, dir, "b.npy", 700, 900)
	for _, c := range []struct {
		glob, weights string
		noIntercept   bool
	}{{"*.csv", "w", false}, {"*.npy", "4", false}, {"*.npy", "x4", true}} {
		t.Run(fmt.Sprintf("%s, no intercept %v", c.glob, c.noIntercept), func(t *testing.T) {
			ref := wlsRef(t, tab, []int{0, 1, 2}, 3, 4, !c.noIntercept)
			out, err := Fit(context.Background(), onPrism, filepath.Join(dir, c.glob),
				Options{Spec: Spec{Weights: c.weights, NoIntercept: c.noIntercept}, Refine: 2, SplitRows: 150})
			if err != nil {
				t.Fatal(err)
			}
			if out.Rows != 900 || len(out.Coef) != 3 || out.Features[2] != "x3" {
				t.Fatalf("rows %d features %v; want 900 rows of x1, x2, x3", out.Rows, out.Features)
			}
			const tol = 1e-9
			for a := 0; a < 3; a++ {
				if e := relErr(out.Coef[a], ref.beta[a], 0); e > tol {
					t.Errorf("coef[%d] = %.17g; want %.17g (rel. error %.2g)", a, out.Coef[a], ref.beta[a], e)
				}
			}
			if c.noIntercept && out.Intercept != 0 {
				t.Errorf("intercept %g without one", out.Intercept)
			}
			if !c.noIntercept {
				if e := relErr(out.Intercept, ref.beta[3], 0); e > tol {
					t.Errorf("intercept %.17g; want %.17g", out.Intercept, ref.beta[3])
				}
			}
			if e := relErr(out.MSE, ref.rss/ref.wsum, 0); e > tol {
				t.Errorf("mse %.17g; want Σw·e²/Σw = %.17g", out.MSE, ref.rss/ref.wsum)
			}
			r2 := 1 - ref.rss/ref.tss
			if e := relErr(out.R2, r2, 0); e > tol {
				t.Errorf("r2 %.17g; want %.17g", out.R2, r2)
			}
			checkInference(t, out.Solution, ref, !c.noIntercept, true, tol)

			// The single-machine lsgd solve on the same shards agrees.
			local, err := tableio.LoadTable(filepath.Join(dir, c.glob), tableio.ReadOptions{Weights: c.weights})
			if err != nil {
				t.Fatal(err)
			}
			sol, err := lsgd.Solve(local, lsgd.SolveOptions{NoIntercept: c.noIntercept})
			if err != nil {
				t.Fatal(err)
			}
			li, bi := sol.Inference, out.Solution.Inference
			for a := 0; a < 3; a++ {
				if e := relErr(out.Coef[a], sol.Coef[a], 0); e > tol {
					t.Errorf("coef[%d] = %.17g; lsgd solve %.17g", a, out.Coef[a], sol.Coef[a])
				}
				if e := relErr(bi.StdErr[a], li.StdErr[a], 0); e > tol {
					t.Errorf("std_err[%d] = %.17g; lsgd solve %.17g", a, bi.StdErr[a], li.StdErr[a])
				}
			}
			if relErr(out.Intercept, sol.Intercept, 0) > tol || relErr(bi.ResidualStdErr, li.ResidualStdErr, 0) > tol ||
				bi.DFResid != li.DFResid || !li.Weighted {
				t.Errorf("intercept %g σ̂ %g df %d; lsgd solve %g %g %d (weighted %v)", out.Intercept, bi.ResidualStdErr, bi.DFResid,
					sol.Intercept, li.ResidualStdErr, li.DFResid, li.Weighted)
			}
		})
	}
}

// checkInference compares sol's inference with the closed forms from ref.
func checkInference(t *testing.T, sol *lsgd.Solution, ref wls, intercept, weighted bool, tol float64) {
	t.Helper()
	in := sol.Inference
	if in == nil {
		t.Fatal("no inference statistics")
	}
	q := len(ref.beta)
	d := len(sol.Coef)
	df := ref.npos - q
	if in.DFResid != df || in.DFModel != d || in.Weighted != weighted {
		t.Errorf("df_resid %d df_model %d weighted %v; want %d, %d, %v", in.DFResid, in.DFModel, in.Weighted, df, d, weighted)
	}
	s2 := ref.rss / float64(df)
	if e := relErr(in.ResidualStdErr, math.Sqrt(s2), 0); e > tol {
		t.Errorf("residual_std_err %.17g; want %.17g", in.ResidualStdErr, math.Sqrt(s2))
	}
	st := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}
	tq := st.Quantile(0.975)
	for k := 0; k < q; k++ {
		b := ref.beta[k]
		se := math.Sqrt(s2 * ref.inv.At(k, k))
		tv := b / se
		pv := 2 * st.Survival(math.Abs(tv))
		got := [...]float64{in.InterceptStdErr, in.InterceptTValue, in.InterceptPValue, in.InterceptConfInt[0], in.InterceptConfInt[1]}
		if k < d {
			got = [...]float64{in.StdErr[k], in.TValues[k], in.PValues[k], in.ConfInt[k][0], in.ConfInt[k][1]}
		}
		want := [...]float64{se, tv, pv, b - tq*se, b + tq*se}
		for m, name := range []string{"std_err", "t_value", "p_value", "conf_int lo", "conf_int hi"} {
			// p-values far in the tail are compared relative to 1e-300.
			if e := relErr(got[m], want[m], 1e-300); e > tol*math.Max(1, math.Abs(tv)) {
				t.Errorf("coefficient %d: %s %.17g; want %.17g (rel. error %.2g)", k, name, got[m], want[m], e)
			}
		}
	}
	f := ((ref.tss - ref.rss) / float64(d)) / s2
	fp := distuv.F{D1: float64(d), D2: float64(df)}.Survival(f)
	k0 := 0
	if intercept {
		k0 = 1
	}
	adj := 1 - (ref.rss/ref.tss)*float64(ref.npos-k0)/float64(df)
	if e := relErr(in.FStatistic, f, 0); e > tol {
		t.Errorf("f_statistic %.17g; want %.17g", in.FStatistic, f)
	}
	if e := relErr(in.FPValue, fp, 1e-300); e > 1e-6 { // distuv.F's survival is 1 − CDF
		if fp > 1e-10 || in.FPValue > 1e-10 {
			t.Errorf("f_p_value %.17g; want %.17g", in.FPValue, fp)
		}
	}
	if e := relErr(in.AdjR2, adj, 0); e > tol {
		t.Errorf("adj_r2 %.17g; want %.17g", in.AdjR2, adj)
	}
}

// TestWeightsRepeatRows: whole-number weights fit the same line as the
// unweighted table with each row repeated w times (zero-weight rows
// dropped), with the same MSE and R², and the same standard errors once
// they are scaled by √((n₊ − q)/(Σw − q)): analytic weights count a row
// once in the degrees of freedom, repetition counts it w times.
func TestWeightsRepeatRows(t *testing.T) {
	tab := wdata(2, 500, true)
	var rows []float64
	for i := 0; i < tab.Rows; i++ {
		for k := 0; k < int(tab.At(i, 3)); k++ {
			r := tab.F64[i*5 : i*5+5]
			rows = append(rows, r[0], r[1], r[2], r[4])
		}
	}
	rep := tableio.NewTable(len(rows)/4, 4, tableio.F64)
	rep.F64 = rows
	dir := t.TempDir()
	shard(t, tab, dir, "w-0.npy", 0, 133)
	shard(t, tab, dir, "w-1.npy", 133, 500)
	shard(t, rep, dir, "r-0.npy", 0, 400)
	shard(t, rep, dir, "r-1.npy", 400, rep.Rows)
	got, err := Fit(context.Background(), onPrism, filepath.Join(dir, "w-*.npy"), Options{Spec: Spec{Weights: "4"}, Refine: 2})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Fit(context.Background(), onPrism, filepath.Join(dir, "r-*.npy"), Options{Refine: 2})
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-10 // cond < 20: see TestWeightedSolve
	for a := range want.Coef {
		if e := relErr(got.Coef[a], want.Coef[a], 0); e > tol {
			t.Errorf("coef[%d] %.17g; repeated rows %.17g", a, got.Coef[a], want.Coef[a])
		}
	}
	if e := relErr(got.Intercept, want.Intercept, 0); e > tol {
		t.Errorf("intercept %.17g; repeated rows %.17g", got.Intercept, want.Intercept)
	}
	if relErr(got.MSE, want.MSE, 0) > tol || relErr(got.R2, want.R2, 0) > tol {
		t.Errorf("mse %.17g r2 %.17g; repeated rows %.17g, %.17g", got.MSE, got.R2, want.MSE, want.R2)
	}
	if got.Inference == nil || want.Inference == nil || want.Inference.Weighted || !got.Inference.Weighted {
		t.Fatalf("inference %+v, repeated rows %+v", got.Inference, want.Inference)
	}
	scale := math.Sqrt(float64(got.Inference.DFResid) / float64(want.Inference.DFResid))
	for a := range want.Coef {
		if e := relErr(got.Inference.StdErr[a]*scale, want.Inference.StdErr[a], 0); e > 1e-9 {
			t.Errorf("std_err[%d]·√(df ratio) %.17g; repeated rows %.17g", a, got.Inference.StdErr[a]*scale, want.Inference.StdErr[a])
		}
	}
	pos := 0
	for i := 0; i < tab.Rows; i++ {
		if tab.At(i, 3) > 0 {
			pos++
		}
	}
	if got.Inference.DFResid != pos-4 || want.Inference.DFResid != want.Rows-4 {
		t.Errorf("df_resid %d and %d (repeated rows); want %d and %d", got.Inference.DFResid, want.Inference.DFResid, pos-4, want.Rows-4)
	}
}

// TestInferenceLongley checks the unweighted statistics of a fit over
// three shards of NIST's Longley data against the certified standard
// deviations of the estimates, residual standard deviation and R².
// Longley is ill-conditioned (cond ≈ 5e9 unscaled, ≈ 1e4 standardized):
// the certified values have 15 digits and a backward-stable R gives the
// covariance to about cond²·u ≈ 1e-8 relative; 1e-7 is the bound.
func TestInferenceLongley(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "nist", "Longley.dat")
	nist, err := tableio.ReadNIST(path)
	if err != nil {
		t.Fatal(err)
	}
	tab := nist.Table
	dir := t.TempDir()
	shard(t, tab, dir, "l-0.npy", 0, 5)
	shard(t, tab, dir, "l-1.npy", 5, 6)
	shard(t, tab, dir, "l-2.npy", 6, tab.Rows)
	out, err := Fit(context.Background(), onPrism, filepath.Join(dir, "*.npy"), Options{Refine: 2})
	if err != nil {
		t.Fatal(err)
	}
	in := out.Inference
	if in == nil || in.Weighted {
		t.Fatalf("inference %+v", in)
	}
	const tol = 1e-7
	if e := relErr(in.InterceptStdErr, nist.CertifiedSD[0], 0); e > tol {
		t.Errorf("intercept_std_err %.15g; certified %.15g (rel. error %.2g)", in.InterceptStdErr, nist.CertifiedSD[0], e)
	}
	for a := range out.Coef {
		if e := relErr(in.StdErr[a], nist.CertifiedSD[a+1], 0); e > tol {
			t.Errorf("std_err[%d] %.15g; certified %.15g (rel. error %.2g)", a, in.StdErr[a], nist.CertifiedSD[a+1], e)
		}
		if e := relErr(out.Coef[a], nist.Certified[a+1], 0); e > tol {
			t.Errorf("coef[%d] %.15g; certified %.15g", a, out.Coef[a], nist.Certified[a+1])
		}
	}
	if e := relErr(in.ResidualStdErr, nist.ResidualSD, 0); e > tol {
		t.Errorf("residual_std_err %.15g; certified %.15g", in.ResidualStdErr, nist.ResidualSD)
	}
	if e := relErr(out.R2, nist.R2, 0); e > tol {
		t.Errorf("r2 %.15g; certified %.15g", out.R2, nist.R2)
	}
	worst := relErr(in.InterceptStdErr, nist.CertifiedSD[0], 0)
	for a := range out.Coef {
		worst = math.Max(worst, relErr(in.StdErr[a], nist.CertifiedSD[a+1], 0))
	}
	t.Logf("largest relative difference from the certified standard deviations: %.2g", worst)
	if in.DFResid != tab.Rows-7 || in.DFModel != 6 {
		t.Errorf("df_resid %d df_model %d; want %d, 6", in.DFResid, in.DFModel, tab.Rows-7)
	}
}

// TestWeightErrors: a negative, NaN or infinite weight names the file,
// row and column; all weights zero over every shard, a weight column
// that is the target or a feature, are input errors; the command exits
// with status 2.
func TestWeightErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := "x1,x2,w,y\n1,2,1,3\n2,1,0.5,4\n3,5,2,1\n4,4,1,2\n"
	write("neg-a.csv", ok)
	neg := write("neg-b.csv", "x1,x2,w,y\n1,2,1,3\n2,1,-0.5,4\n")
	write("nan-a.csv", ok)
	nan := write("nan-b.csv", "x1,x2,w,y\n1,2,NaN,3\n")
	write("inf-a.csv", ok)
	inf := write("inf-b.csv", "x1,x2,w,y\n1,2,1,3\n2,1,1,4\n5,5,Inf,6\n")
	write("zero-a.csv", "x1,x2,w,y\n1,2,0,3\n2,1,0,4\n3,3,0,1\n")
	write("zero-b.csv", "x1,x2,w,y\n1,5,0,3\n")
	// A negative weight in row 3 of a .npy file read as ranges of 2 rows.
	tab := tableio.NewTable(5, 4, tableio.F64)
	tab.Names = []string{"x1", "x2", "x3", "y"}
	for i := range tab.F64 {
		tab.F64[i] = float64(i%7 + 1)
	}
	tab.F64[2*4+2] = -1
	shard(t, tab, dir, "neg.npy", 0, 5)
	cases := []struct {
		glob    string
		extra   []string
		message []string
	}{
		{"neg-*.csv", nil, []string{neg + ":3", `column "w"`, "negative"}},
		{"nan-*.csv", nil, []string{nan + ":2", `"w"`, "NaN"}},
		{"inf-*.csv", nil, []string{inf + ":4", `"w"`, "infinite"}},
		{"zero-*.csv", nil, []string{"every weight is zero"}},
		{"neg.npy", []string{"--split-rows", "2"}, []string{filepath.Join(dir, "neg.npy") + ": row 3", `column "x3"`, "negative"}},
		{"neg-*.csv", []string{"--target", "w"}, []string{"weight column \"w\" is the target"}},
		{"neg-a.csv", []string{"--features", "x1,w"}, []string{`"w" is both a feature and the weights`}},
	}
	for _, c := range cases {
		w := "w"
		if strings.HasSuffix(c.glob, ".npy") {
			w = "3"
		}
		args := append([]string{"solve", "--data", filepath.Join(dir, c.glob), "--weights", w, "--refine", "1"}, c.extra...)
		var stdout, stderr bytes.Buffer
		rc := run(context.Background(), args, &stdout, &stderr)
		if rc != 2 {
			t.Errorf("%v: exit %d; want 2 (%s)", args[2:], rc, stderr.String())
		}
		for _, m := range c.message {
			if !strings.Contains(stderr.String(), m) {
				t.Errorf("%v: %q does not say %q", args[2:], stderr.String(), m)
			}
		}
	}
}

// TestMergeWeighted merges weighted statistics of uneven splits (empty
// pieces, single rows, a stretch of zero weights) in random orders and
// checks each against the weighted moments computed directly: the mean
// Σw·x/Σw and RᵀR against Σ w·(x − m)(x − m)ᵀ, within the bound of
// checkStats with the weighted column norms.
func TestMergeWeighted(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, p = 2000, 4
	tab := randTable(rng, n, p)
	tab.Source = "w.npy"
	w := make([]float64, n)
	for i := range w {
		if rng.IntN(5) > 0 && (i < 800 || i >= 900) {
			w[i] = 3 * rng.Float64()
		}
	}
	piece := func(lo, hi int, centred bool) Stats {
		if hi == lo {
			return Stats{Source: tab.Source, Names: tab.Names, Centred: centred}
		}
		sub := &tableio.Table{Source: tab.Source, Names: tab.Names, Target: tab.Target, Rows: hi - lo, Cols: p, Stride: p,
			F64: tab.F64[lo*p:], Weights: w[lo:hi]}
		return TableStats(sub, allCols(p), tab.Names, centred)
	}
	for _, centred := range []bool{true, false} {
		var W float64
		var pos int64
		mean := make([]float64, p)
		for i := 0; i < n; i++ {
			W += w[i]
			if w[i] > 0 {
				pos++
			}
			for j := 0; j < p; j++ {
				if centred {
					mean[j] += w[i] * tab.At(i, j)
				}
			}
		}
		norm := make([]float64, p)
		for j := 0; j < p; j++ {
			mean[j] /= W
			for i := 0; i < n; i++ {
				e := tab.At(i, j) - mean[j]
				norm[j] += w[i] * e * e
			}
			norm[j] = math.Sqrt(norm[j])
		}
		for trial := 0; trial < 12; trial++ {
			cuts := []int{0, n, 800, 900}
			for k := 0; k < 2+trial; k++ {
				c := rng.IntN(n + 1)
				cuts = append(cuts, c, c)
				if c < n {
					cuts = append(cuts, c+1)
				}
			}
			sortInts(cuts)
			var parts []Stats
			for k := 0; k+1 < len(cuts); k++ {
				parts = append(parts, piece(cuts[k], cuts[k+1], centred))
			}
			parts = append(parts, Stats{})
			rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			for len(parts) > 1 {
				i := rng.IntN(len(parts))
				j := rng.IntN(len(parts) - 1)
				if j >= i {
					j++
				}
				parts[i] = Merge(parts[i], parts[j])
				parts = append(parts[:j], parts[j+1:]...)
			}
			s := parts[0]
			if s.Err != "" || s.N != n || s.NPos != pos || relErr(s.W, W, 0) > 1e-13 {
				t.Fatalf("trial %d: N %d NPos %d W %.17g err %q; want %d, %d, %.17g", trial, s.N, s.NPos, s.W, s.Err, n, pos, W)
			}
			for j := 0; j < p; j++ {
				if d := math.Abs(s.Mean[j] - mean[j]); d > 4*math.Sqrt(n)*0x1p-53*(math.Abs(mean[j])+norm[j]/math.Sqrt(W)) {
					t.Errorf("trial %d: mean[%d] = %.17g; want %.17g", trial, j, s.Mean[j], mean[j])
				}
			}
			c := 8 * (float64(p) + math.Log2(n) + math.Sqrt(chunkRows)) * 0x1p-53
			for a := 0; a < p; a++ {
				for b := a; b < p; b++ {
					want, got := 0.0, 0.0
					for i := 0; i < n; i++ {
						want += w[i] * (tab.At(i, a) - mean[a]) * (tab.At(i, b) - mean[b])
					}
					for k := 0; k <= a; k++ {
						got += s.R[k*p+a] * s.R[k*p+b]
					}
					if tol := c * norm[a] * norm[b]; math.Abs(got-want) > tol {
						t.Errorf("centred=%v trial %d: (RᵀR)[%d,%d] = %.17g; want %.17g (±%.3g)", centred, trial, a, b, got, want, tol)
					}
				}
			}
		}
	}
}

// TestWeightedCollinear: columns that are collinear on the rows of
// positive weight (and not on the rows of weight zero, which count for
// nothing) stop the fit with a *lsgd.RankError naming them, rather than
// giving made-up standard errors; without the weights the same rows fit.
func TestWeightedCollinear(t *testing.T) {
	tab := wdata(4, 300, false)
	for i := 0; i < tab.Rows; i++ {
		r := tab.F64[i*5 : i*5+5]
		if r[3] > 0 {
			r[2] = r[0] - 2*r[1]
		}
	}
	dir := t.TempDir()
	shard(t, tab, dir, "a.csv", 0, 120)
	shard(t, tab, dir, "b.csv", 120, 300)
	_, err := Fit(context.Background(), onPrism, filepath.Join(dir, "*.csv"), Options{Spec: Spec{Weights: "w"}, Refine: 1})
	var rank *lsgd.RankError
	if !errors.As(err, &rank) || !errors.Is(err, tableio.ErrInput) {
		t.Fatalf("got %v; want a *lsgd.RankError", err)
	}
	if got := strings.Join(rank.Columns, ","); got != "x1,x2,x3" {
		t.Errorf("collinear columns %q; want x1,x2,x3 (%v)", got, err)
	}
	if _, err := Fit(context.Background(), onPrism, filepath.Join(dir, "*.csv"), Options{Spec: Spec{Features: []string{"x1", "x2", "x3"}}, Refine: 1}); err != nil {
		t.Errorf("unweighted: %v", err)
	}
}
