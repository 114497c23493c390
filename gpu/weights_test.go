//go:build cgo

package gpu

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
	"github.com/lsgd/lsgd/tableio"
)

// weightOptions are the configurations the weighted kernels are checked
// under: each gradient kernel and tiled shape of kernelOptions, float64
// storage, and the rows kernel on 4 KiB blocks (weight buffers split with
// the table, several windows and dispatches).
var weightOptions = append(kernelOptions[:len(kernelOptions):len(kernelOptions)],
	Options{F64: true},
	Options{F64: true, Kernel: "tiled"},
	Options{Kernel: "rows", MaxBlockBytes: 4 << 10, MaxGroups: 2, MaxBound: 2, WorkGroupSize: 32, RowsPerInvocation: 3},
)

var weightShapes = []struct{ rows, feats int }{{1, 1}, {255, 3}, {1001, 17}, {300, 70}}

// randWeights returns n weights: about a fifth zero, a third small
// integers, the rest uniform in (0, 3).
func randWeights(rng *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		switch u := rng.Float64(); {
		case u < 0.2:
			w[i] = 0
		case u < 0.5:
			w[i] = float64(1 + rng.IntN(4))
		default:
			w[i] = 3 * rng.Float64()
		}
	}
	if n == 1 {
		w[0] = 1.75
	}
	return w
}

// weightedTable is randTable with weights; binomial turns the target into
// a 0/1 label.
func weightedTable(rng *rand.Rand, rows, feats int, binomial bool) *lsgd.Table {
	tab := randTable(rng, rows, feats)
	if binomial {
		for i := 0; i < rows; i++ {
			y := 0.0
			if tab.At(i, feats)-3+rng.NormFloat64() > 0 {
				y = 1
			}
			tab.Set(i, feats, y)
		}
	}
	tab.Weights = randWeights(rng, rows)
	return tab
}

// wantGradient is the weighted gradient, loss and their error scales,
// computed in float64 from the contract (lsgd.Data.Gradient and
// SetFamily): g_j = mask_j·(F/m)·Σ w_i·r_i·x̃_ij + 2·ridge_j·v_j, F = 2
// (gaussian) or 1 (binomial). The scales are (F/m)·Σ w_i·(ρ_i+|r_i|)·|x̃_ij|
// for g (ρ_i the sum of the row's |x_ij·v_j| and |v_intercept|) and
// (1/m)·Σ w_i·(ρ_i·(ρ_i+|r_i|) + ℓ_i) for the loss.
func wantGradient(tab *lsgd.Table, v, mask, ridge []float64, rows lsgd.Rows, order []int32, binomial bool) (g, gs []float64, loss, ls float64) {
	c := tab.Cols
	acc, sc := make([]float64, c+1), make([]float64, c+1)
	for k := rows.Lo; k < rows.Hi; k++ {
		i := k
		if rows.Shuffled {
			i = int(order[k])
		}
		w := tab.Weights[i]
		r, rho := v[c], math.Abs(v[c])
		for j := 0; j < c; j++ {
			if binomial && j == tab.Target {
				continue
			}
			r += tab.At(i, j) * v[j]
			rho += math.Abs(tab.At(i, j) * v[j])
		}
		var l float64
		if binomial {
			z, y := r, tab.At(i, tab.Target)
			l = math.Max(z, 0) + math.Log1p(math.Exp(-math.Abs(z))) - y*z
			r = 1/(1+math.Exp(-z)) - y
		} else {
			l = r * r
		}
		for j := 0; j < c; j++ {
			acc[j] += w * r * tab.At(i, j)
			sc[j] += w * (rho + math.Abs(r)) * math.Abs(tab.At(i, j))
		}
		acc[c] += w * r
		sc[c] += w * (rho + math.Abs(r))
		loss += w * l
		ls += w * (rho*(rho+math.Abs(r)) + l)
	}
	m := float64(rows.Len())
	f := 2.0
	if binomial {
		f = 1
	}
	g, gs = make([]float64, c+1), make([]float64, c+1)
	loss, ls = loss/m, ls/m
	for j := range g {
		g[j] = mask[j]*f/m*acc[j] + 2*ridge[j]*v[j]
		gs[j] = f/m*sc[j] + 2*ridge[j]*math.Abs(v[j])
		loss += ridge[j] * v[j] * v[j]
		ls += ridge[j] * v[j] * v[j]
	}
	return g, gs, loss, ls
}

// TestWeightedGradient compares the weighted gradient, loss and ‖g‖² of
// every kernel configuration, gaussian and binomial, on contiguous and
// shuffled rows, with the float64 sums written out from the contract, and
// checks that a second run gives the same bits.
func TestWeightedGradient(t *testing.T) {
	for _, opt := range weightOptions {
		t.Run(optName(opt)+fmt.Sprintf("/f64=%v", opt.F64), func(t *testing.T) {
			b := newBackendOrSkip(t, opt)
			rel := 300 * b.Precision().UnitRoundoff()
			rng := rand.New(rand.NewPCG(21, 21))
			for _, sh := range weightShapes {
				for _, binomial := range []bool{false, true} {
					testWeightedGradient(t, b, rng, sh.rows, sh.feats, binomial, rel)
				}
			}
		})
	}
}

func testWeightedGradient(t *testing.T, b *Backend, rng *rand.Rand, n, feats int, binomial bool, rel float64) {
	tab := weightedTable(rng, n, feats, binomial)
	d, err := b.Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	c := tab.Cols
	theta, mask, ridge := make([]float64, c+1), make([]float64, c+1), make([]float64, c+1)
	for j := range theta {
		theta[j], mask[j] = rng.NormFloat64()/math.Max(1, math.Abs(tab.At(0, min(j, c-1)))), 1
		if j%3 == 1 {
			ridge[j] = 0.25
		}
	}
	theta[tab.Target], mask[tab.Target] = -1, 0
	if err := d.Init(theta, mask, ridge); err != nil {
		t.Fatal(err)
	}
	if binomial {
		if err := d.SetFamily(lsgd.Binomial); err != nil {
			t.Fatal(err)
		}
	}
	order := make([]int32, n)
	for i, v := range rng.Perm(n) {
		order[i] = int32(v)
	}
	if err := d.SetOrder(order); err != nil {
		t.Fatal(err)
	}
	for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: n / 3, Hi: n/3 + (n+1)/2},
		{Lo: 0, Hi: n, Shuffled: true}, {Lo: n / 2, Hi: n, Shuffled: true}} {
		name := fmt.Sprintf("%dx%d binomial=%v rows %+v", n, feats, binomial, rows)
		want, scale, loss, ls := wantGradient(tab, theta, mask, ridge, rows, order, binomial)
		var first []float64
		for rep := 0; rep < 2; rep++ {
			got := make([]float64, c+1)
			poison(got)
			if err := d.SetVector(lsgd.Grad, got); err != nil {
				t.Fatal(err)
			}
			if err := d.Gradient(lsgd.Theta, rows); err != nil {
				t.Fatal(err)
			}
			if err := d.Vector(lsgd.Grad, got); err != nil {
				t.Fatal(err)
			}
			st, err := d.Status()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, st.Loss)
			if rep == 1 {
				for j := range got {
					if math.Float64bits(got[j]) != math.Float64bits(first[j]) {
						t.Fatalf("%s: value %d = %v on the second run, %v on the first", name, j, got[j], first[j])
					}
				}
				break
			}
			first = got
			checkClose(t, name+" grad", got[:c+1], want, scale, 1e-300, rel)
			checkClose(t, name+" loss", got[c+1:], []float64{loss}, []float64{ls}, 1e-300, rel)
			gn, gscale := 0.0, 0.0
			for j := range want {
				gn += want[j] * want[j]
				gscale += 2 * scale[j] * math.Abs(want[j])
			}
			checkClose(t, name+" ‖g‖²", []float64{st.GradNorm2}, []float64{gn}, []float64{gscale}, 1e-300, rel)
		}
	}
}

// TestUnitWeights checks that weights of 1 change no bit of Gradient
// (both families), Moments and Gram: w·r, w·x and Σw are exact, so the
// weighted kernels must do exactly the unweighted arithmetic.
func TestUnitWeights(t *testing.T) {
	for _, opt := range weightOptions {
		b := newBackendOrSkip(t, opt)
		rng := rand.New(rand.NewPCG(22, 22))
		for _, sh := range weightShapes {
			tab := weightedTable(rng, sh.rows, sh.feats, true)
			unw := *tab
			unw.Weights = nil
			for i := range tab.Weights {
				tab.Weights[i] = 1
			}
			name := fmt.Sprintf("%s f64=%v %dx%d", optName(opt), opt.F64, sh.rows, sh.feats)
			a, w := runAll(t, b, &unw), runAll(t, b, tab)
			for k := range a {
				if math.Float64bits(a[k]) != math.Float64bits(w[k]) {
					t.Fatalf("%s: value %d = %v with unit weights, %v without weights", name, k, w[k], a[k])
				}
			}
		}
	}
}

// runAll returns, in one slice, the gaussian and binomial gradients and
// losses on a contiguous and a shuffled range, both Moments and the Gram
// matrix of a row range.
func runAll(t *testing.T, b *Backend, tab *lsgd.Table) []float64 {
	t.Helper()
	d, err := b.Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	n, c := tab.Rows, tab.Cols
	theta, mask := make([]float64, c+1), make([]float64, c+1)
	rng := rand.New(rand.NewPCG(23, 23))
	for j := range theta {
		theta[j], mask[j] = rng.NormFloat64()/math.Max(1, math.Abs(tab.At(0, min(j, c-1)))), 1
	}
	order := make([]int32, n)
	for i, v := range rng.Perm(n) {
		order[i] = int32(v)
	}
	var out []float64
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Init(theta, mask, make([]float64, c+1)))
	must(d.SetOrder(order))
	for _, fam := range []lsgd.Family{lsgd.Gaussian, lsgd.Binomial} {
		must(d.SetFamily(fam))
		for _, rows := range []lsgd.Rows{{Lo: n / 4, Hi: n}, {Lo: 0, Hi: n, Shuffled: true}} {
			must(d.Gradient(lsgd.Theta, rows))
			g := make([]float64, c+1)
			poison(g)
			must(d.Vector(lsgd.Grad, g))
			st, err := d.Status()
			must(err)
			out = append(append(out, g...), st.Loss, st.GradNorm2)
		}
	}
	for _, center := range []bool{true, false} {
		mean, scale, err := d.Moments(center)
		must(err)
		out = append(append(out, mean...), scale...)
	}
	g, err := d.(*Data).Gram(lsgd.Rows{Lo: n / 5, Hi: n})
	must(err)
	return append(out, g...)
}

// TestWeightedMomentsGram compares weighted Moments (before and after
// Standardize, which leaves the weights alone) and Gram matrices of row
// ranges with float64 sums written out from the contract, and checks that
// Predict ignores the weights.
func TestWeightedMomentsGram(t *testing.T) {
	for _, opt := range []Options{{}, {F64: true}, {WorkGroupSize: 16}, // fewer invocations than lanes at 70 features
		{MaxBlockBytes: 4 << 10, MaxGroups: 2, MaxBound: 2, WorkGroupSize: 32, RowsPerInvocation: 3}} {
		b := newBackendOrSkip(t, opt)
		rel := 300 * b.Precision().UnitRoundoff()
		rng := rand.New(rand.NewPCG(24, 24))
		for _, sh := range []struct{ rows, feats int }{{1, 1}, {257, 3}, {1500, 40}, {300, 70}} {
			tab := weightedTable(rng, sh.rows, sh.feats, false)
			name := fmt.Sprintf("%+v %dx%d", opt, sh.rows, sh.feats)
			d, err := b.Load(tab, false)
			if err != nil {
				t.Fatal(err)
			}
			checkWeightedMoments(t, name, d, tab, nil, nil, rel)
			checkWeightedGram(t, name, d.(*Data), tab, rel)
			checkPredictIgnoresWeights(t, name, b, d, tab)

			c := tab.Cols
			shift, mul := make([]float64, c), make([]float64, c)
			for j := range shift {
				shift[j], mul[j] = tab.At(0, j)+rng.NormFloat64(), 0.5+rng.Float64()
			}
			if err := d.Standardize(shift, mul); err != nil {
				t.Fatal(err)
			}
			checkWeightedMoments(t, name+" standardized", d, tab, shift, mul, rel)
			d.Release()
		}
	}
}

// checkWeightedMoments compares d's Moments with the weighted mean and
// root-mean-square deviation of the table's columns, (x − shift)·mul
// when shift is not nil.
func checkWeightedMoments(t *testing.T, name string, d lsgd.Data, tab *lsgd.Table, shift, mul []float64, rel float64) {
	t.Helper()
	c := tab.Cols
	at := func(i, j int) float64 {
		if shift == nil {
			return tab.At(i, j)
		}
		return (tab.At(i, j) - shift[j]) * mul[j]
	}
	sw, mean, msq, mag := 0.0, make([]float64, c), make([]float64, c), make([]float64, c)
	for i := 0; i < tab.Rows; i++ {
		w := tab.Weights[i]
		sw += w
		for j := 0; j < c; j++ {
			mean[j] += w * at(i, j)
		}
	}
	for j := range mean {
		mean[j] /= sw
	}
	vr := make([]float64, c)
	for i := 0; i < tab.Rows; i++ {
		w := tab.Weights[i]
		for j := 0; j < c; j++ {
			e := at(i, j) - mean[j]
			vr[j] += w * e * e
			msq[j] += w * at(i, j) * at(i, j)
		}
	}
	for j := range vr {
		vr[j] = math.Sqrt(vr[j] / sw)
		msq[j] = math.Sqrt(msq[j] / sw)
		mag[j] = vr[j] + math.Abs(mean[j])
	}
	for _, center := range []bool{true, false} {
		gm, gs, err := d.Moments(center)
		if err != nil {
			t.Fatal(err)
		}
		n := fmt.Sprintf("%s center=%v", name, center)
		if center {
			// Stored values are x − shift rounded: errors relative to
			// the column's spread and offset.
			checkClose(t, n+" mean", gm, mean, mag, 1e-300, rel)
			checkClose(t, n+" scale", gs, vr, mag, 1e-300, rel)
		} else {
			checkClose(t, n+" mean", gm, make([]float64, c), nil, 0, 0)
			checkClose(t, n+" scale", gs, msq, mag, 1e-300, rel)
		}
	}
}

// checkWeightedGram compares Gram over row ranges with Σ w·x̃x̃ᵀ in
// float64, relative to Σ w·(|x̃_j|+|μ_j|)·(|x̃_k|+|μ_k|) (μ the column
// means the storage is shifted by).
func checkWeightedGram(t *testing.T, name string, d *Data, tab *lsgd.Table, rel float64) {
	t.Helper()
	n, p := tab.Rows, tab.Cols+1
	mu := make([]float64, p)
	for i := 0; i < n; i++ {
		for j := 0; j < tab.Cols; j++ {
			mu[j] += tab.At(i, j) / float64(n)
		}
	}
	row := func(i int) []float64 {
		x := make([]float64, p)
		for j := 0; j < tab.Cols; j++ {
			x[j] = tab.At(i, j)
		}
		x[p-1] = 1
		return x
	}
	for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: n / 3, Hi: n/3 + (n+1)/2}} {
		want, scale := make([]float64, p*p), make([]float64, p*p)
		for i := rows.Lo; i < rows.Hi; i++ {
			x, w := row(i), tab.Weights[i]
			for j := 0; j < p; j++ {
				for k := 0; k < p; k++ {
					want[j*p+k] += w * x[j] * x[k]
					scale[j*p+k] += w * (math.Abs(x[j]) + math.Abs(mu[j])) * (math.Abs(x[k]) + math.Abs(mu[k]))
				}
			}
		}
		if d.gram != nil {
			poisonGram(t, d)
		}
		got, err := d.Gram(rows)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, fmt.Sprintf("%s Gram rows %+v", name, rows), got, want, scale, 1e-300, rel)
		for j := 0; j < p; j++ {
			for k := 0; k < j; k++ {
				if got[j*p+k] != got[k*p+j] {
					t.Fatalf("%s Gram rows %+v: G[%d][%d] = %v, G[%d][%d] = %v", name, rows, j, k, got[j*p+k], k, j, got[k*p+j])
				}
			}
		}
	}
}

// checkPredictIgnoresWeights wants the same bits from Predict on the
// weighted table as on the same table loaded without weights.
func checkPredictIgnoresWeights(t *testing.T, name string, b *Backend, d lsgd.Data, tab *lsgd.Table) {
	t.Helper()
	unw := *tab
	unw.Weights = nil
	u, err := b.Load(&unw, false)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Release()
	c := tab.Cols
	theta := make([]float64, c+1)
	for j := range theta {
		theta[j] = 0.5 + float64(j)
	}
	got, want := make([]float64, tab.Rows), make([]float64, tab.Rows)
	poison(got)
	poison(want)
	for _, x := range []struct {
		d   lsgd.Data
		dst []float64
	}{{d, got}, {u, want}} {
		if err := x.d.Init(theta, make([]float64, c+1), make([]float64, c+1)); err != nil {
			t.Fatal(err)
		}
		if err := x.d.Predict(lsgd.Theta, x.dst); err != nil {
			t.Fatal(err)
		}
	}
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) || math.IsNaN(got[i]) {
			t.Fatalf("%s: predict[%d] = %v weighted, %v unweighted", name, i, got[i], want[i])
		}
	}
}

// TestWeightOverflow: a weight beyond float32's range is a load error
// naming the row and the weight column, with the float64 remedy, for a
// float32 table; float64 storage takes it.
func TestWeightOverflow(t *testing.T) {
	tab := tableio.NewTable(3, 2, lsgd.F64)
	for i := 0; i < 3; i++ {
		tab.Set(i, 0, float64(i))
		tab.Set(i, 1, float64(i*i))
	}
	tab.Source, tab.Weights, tab.WeightName = "big.csv", []float64{1, 1e39, 2}, "w"
	_, err := newBackendOrSkip(t).Load(tab, false)
	var ie *tableio.InputError
	if !errors.As(err, &ie) || ie.Fix != tableio.FixFloat64 || !strings.Contains(err.Error(), "big.csv") ||
		!strings.Contains(err.Error(), `"w"`) || !strings.Contains(err.Error(), "overflows float32") {
		t.Fatalf("weight 1e39 in float32: error %v; want an input error naming big.csv and column \"w\", with the float64 fix", err)
	}
	t.Log(err)
	d, err := newBackendOrSkip(t, Options{F64: true}).Load(tab, false)
	if err != nil {
		t.Fatalf("weight 1e39 in float64: %v", err)
	}
	d.Release()
}

// TestWeightedFit runs weighted fits end to end on the GPU (float64
// storage) beside the CPU backend on the same table: least squares (the
// default method), an L1 fit and its cross-validation (fold Grams of the
// grouped copy, weights carried), and logistic regression; coefficients
// agree within the certified bounds and 1e-7 of their size, cv_mse to
// 1e-8.
func TestWeightedFit(t *testing.T) {
	b := newBackendOrSkip(t, Options{F64: true})
	ref := cpu.New(cpu.Options{})
	rng := rand.New(rand.NewPCG(25, 25))
	ctx := context.Background()
	for _, c := range []struct {
		binomial bool
		opt      lsgd.Options
	}{{false, lsgd.Options{}}, {false, lsgd.Options{L1: 0.05}}, {true, lsgd.Options{Family: lsgd.Binomial}}} {
		tab := weightedTable(rng, 2000, 5, c.binomial)
		g, err := lsgd.Fit(ctx, b, tab, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		w, err := lsgd.Fit(ctx, ref, tab, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		for a := range w.Coef {
			if d := math.Abs(g.Coef[a] - w.Coef[a]); !(d <= 1e-7*math.Abs(w.Coef[a])+w.CoefBound[a]+g.CoefBound[a]) {
				t.Errorf("%+v θ_%d: gpu %.12g, cpu %.12g (bounds %.3g, %.3g)", c.opt, a, g.Coef[a], w.Coef[a], g.CoefBound[a], w.CoefBound[a])
			}
		}
		if c.opt.L1 == 0 {
			continue
		}
		cvo := lsgd.CVOptions{L1Ratio: 1, Folds: 4, Seed: 5, NLambdas: 10}
		gcv, err := lsgd.CrossValidate(ctx, b, tab, cvo)
		if err != nil {
			t.Fatal(err)
		}
		wcv, err := lsgd.CrossValidate(ctx, ref, tab, cvo)
		if err != nil {
			t.Fatal(err)
		}
		for k := range wcv.CVMSE {
			if !(math.Abs(gcv.CVMSE[k]-wcv.CVMSE[k]) <= 1e-8*wcv.CVMSE[k]) {
				t.Errorf("weighted cv λ[%d]: gpu cv_mse %.12g, cpu %.12g", k, gcv.CVMSE[k], wcv.CVMSE[k])
			}
		}
	}
}
