package backendtest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare"
	"github.com/lsgd/lsgd/cpu"
)

// labelTable is randomTable with the target replaced by 0/1 labels drawn
// from σ of a random linear predictor of the features.
func labelTable(rng *rand.Rand, rows, feats int, p lsgd.Precision) *lsgd.Table {
	tab := randomTable(rng, rows, feats, p)
	beta, mean, sd := make([]float64, feats), make([]float64, feats), make([]float64, feats)
	for j := range beta {
		beta[j] = rng.NormFloat64()
		col := tab.Column(j)
		for _, x := range col {
			mean[j] += x / float64(rows)
		}
		for _, x := range col {
			sd[j] += (x - mean[j]) * (x - mean[j]) / float64(rows)
		}
		sd[j] = math.Max(math.Sqrt(sd[j]), 1e-300)
	}
	for i := 0; i < rows; i++ {
		z := 0.0
		for j := 0; j < feats; j++ {
			z += beta[j] * (tab.At(i, j) - mean[j]) / sd[j]
		}
		y := 0.0
		if rng.Float64() < lsgd.Sigmoid(z/math.Sqrt(float64(feats))) {
			y = 1
		}
		tab.Set(i, tab.Target, y)
	}
	tab.Source = fmt.Sprintf("labels %d×%d", rows, feats+1)
	return tab
}

// binomialSetup standardizes the features of d and ref (the label is left
// as stored: shift 0, multiplier 1), selects the binomial family and sets
// a random point (entries spread so that some |z| are large: the loss
// must not overflow), mask and ridge.
func binomialSetup(t *testing.T, rng *rand.Rand, tab *lsgd.Table, scaleZ float64, ds ...lsgd.Data) []float64 {
	t.Helper()
	c := tab.Cols
	shift, mul := columnStandardization(tab)
	shift[tab.Target], mul[tab.Target] = 0, 1
	p := c + 1
	v, mask, ridge := make([]float64, p), make([]float64, p), make([]float64, p)
	for j := range v {
		v[j] = scaleZ * rng.NormFloat64() / math.Sqrt(float64(c))
		mask[j] = 1
		if rng.IntN(5) == 0 {
			ridge[j] = rng.Float64()
		}
	}
	// The target's entry is ignored by the binomial pass: a value there
	// must change nothing.
	v[tab.Target], mask[tab.Target], ridge[tab.Target] = 7, 0, 0
	if rng.IntN(2) == 0 {
		mask[c] = 0
	}
	for _, d := range ds {
		if err := d.Standardize(shift, mul); err != nil {
			t.Fatal(err)
		}
		if err := d.SetFamily(lsgd.Binomial); err != nil {
			t.Fatal(err)
		}
		if err := d.Init(v, mask, ridge); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

// binomialTolerance is gradTolerance for the binomial pass: the linear
// predictor z of a row is off by about u·(|z| + Σ|x_j·v_j|) =: u·A, so
// σ(z) − y by at most a quarter of that plus u, and the loss term by A·u;
// per component the tolerance is tolFactor·u·(1/m)·Σ (A+1)·|x̃_ij|, and
// the loss's tolFactor·u·(1/m)·Σ (A+1); row i's terms weighted by w_i
// (nil w: unweighted).
func binomialTolerance(b lsgd.Backend, v []float64, rows lsgd.Rows, order []int32, w []float64, c, tg int, read func(i, j int) float64) (tg2 []float64, tl float64) {
	u := b.Precision().UnitRoundoff()
	k := tolFactor(b.Precision())
	p := c + 1
	tol := make([]float64, p)
	m := float64(rows.Len())
	for kk := rows.Lo; kk < rows.Hi; kk++ {
		i := kk
		if rows.Shuffled {
			i = int(order[kk])
		}
		z, za := v[c], math.Abs(v[c])
		for j := 0; j < c; j++ {
			if j != tg {
				x := read(i, j)
				z += x * v[j]
				za += math.Abs(x * v[j])
			}
		}
		mag := math.Abs(z) + za + 1
		if w != nil {
			mag *= w[i]
		}
		for j := 0; j < c; j++ {
			tol[j] += mag * math.Abs(read(i, j))
		}
		tol[c] += mag
		tl += mag
	}
	for j := range tol {
		tol[j] = k * u * tol[j] / m
	}
	return tol, k * u * tl / m
}

// testBinomialGradient checks the binomial pass against the reference on
// every shape, over all rows, a range and shuffled rows, at moderate and
// at large linear predictors (|z| in the hundreds: σ saturates and a naive
// log(1+e^z) would overflow).
func testBinomialGradient(t *testing.T, b lsgd.Backend) { binomialGradientCases(t, b, 21, nil) }

// binomialGradientCases is testBinomialGradient with the rows weighted by
// weigh (nil: unweighted).
func binomialGradientCases(t *testing.T, b lsgd.Backend, seed uint64, weigh weigher) {
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, n := range ConformanceRows {
		for _, f := range ConformanceFeatures {
			for _, scaleZ := range []float64{1, 300} {
				tab := labelTable(rng, n, f, b.Precision())
				weigh.apply(rng, tab)
				d := load(t, b, tab)
				ref := load(t, cpu.NewReference(), tab)
				v := binomialSetup(t, rng, tab, scaleZ, d, ref)
				order := make([]int32, n)
				for i := range order {
					order[i] = int32(i)
				}
				rng.Shuffle(n, func(a, b int) { order[a], order[b] = order[b], order[a] })
				if err := d.SetOrder(order); err != nil {
					t.Fatal(err)
				}
				if err := ref.SetOrder(order); err != nil {
					t.Fatal(err)
				}
				lo := n / 3
				hi := max(lo+1, n-n/5)
				for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: lo, Hi: hi}, {Lo: lo, Hi: hi, Shuffled: true}} {
					name := fmt.Sprintf("binomial %s |z|~%g rows[%d:%d] shuffled=%v", tab.Source, scaleZ, rows.Lo, rows.Hi, rows.Shuffled)
					if err := d.SetVector(lsgd.Grad, poison(len(v))); err != nil {
						t.Fatal(err)
					}
					if _, err := d.Status(); err != nil {
						t.Fatal(err)
					}
					if err := d.Gradient(lsgd.Theta, rows); err != nil {
						t.Fatalf("%s: Gradient: %v", name, err)
					}
					if err := ref.Gradient(lsgd.Theta, rows); err != nil {
						t.Fatal(err)
					}
					got, want := make([]float64, len(v)), make([]float64, len(v))
					if err := d.Vector(lsgd.Grad, got); err != nil {
						t.Fatal(err)
					}
					ref.Vector(lsgd.Grad, want)
					st, err := d.Status()
					if err != nil {
						t.Fatal(err)
					}
					rst, _ := ref.Status()
					vv := make([]float64, len(v))
					ref.Vector(lsgd.Theta, vv)
					tg, tl := binomialTolerance(b, vv, rows, order, tab.Weights, tab.Cols, tab.Target, func(i, j int) float64 {
						return stdValue(ref, i, j)
					})
					cg := checker{t: t, name: name + " grad"}
					for j := range want {
						cg.check(j, got[j], want[j], tg[j]+1e-300)
					}
					if math.IsInf(rst.Loss, 0) || math.IsNaN(rst.Loss) {
						t.Fatalf("%s: the reference's loss is %v", name, rst.Loss)
					}
					if !within(st.Loss, rst.Loss, tl) {
						t.Errorf("%s: loss %.9g; want %.9g ± %.3g", name, st.Loss, rst.Loss, tl)
					}
				}
			}
		}
	}
}

// testBinomialFit fits logistic regressions on b and on the reference
// and checks that they agree within the sum of their certified bounds.
func testBinomialFit(t *testing.T, b lsgd.Backend) {
	rng := rand.New(rand.NewPCG(22, 22))
	for _, c := range []struct {
		rows, feats int
		l2          float64
	}{{1001, 3, 0}, {3001, 12, 1e-4}} {
		tab := labelTable(rng, c.rows, c.feats, b.Precision())
		opt := lsgd.Options{Family: lsgd.Binomial, L2: c.l2}
		want, err := lsgd.Fit(context.Background(), cpu.NewReference(), tab, opt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := lsgd.Fit(context.Background(), b, tab, opt)
		if err != nil {
			t.Fatalf("%s: %v", tab.Source, err)
		}
		t.Logf("%s: %d iterations, %.1f passes, %s; reference %d iterations", tab.Source, got.Iterations, got.Passes, got.Reason, want.Iterations)
		if !got.Converged || !want.Converged {
			t.Errorf("%s: converged %v (%s), reference %v (%s)", tab.Source, got.Converged, got.Reason, want.Converged, want.Reason)
		}
		for k := range want.Coef {
			if d := math.Abs(got.Coef[k] - want.Coef[k]); d > got.CoefBound[k]+want.CoefBound[k] {
				t.Errorf("%s: coef[%d] = %.9g; reference %.9g ± %.3g", tab.Source, k, got.Coef[k], want.Coef[k], got.CoefBound[k]+want.CoefBound[k])
			}
		}
		if d := math.Abs(got.Intercept - want.Intercept); d > got.InterceptBound+want.InterceptBound {
			t.Errorf("%s: intercept = %.9g; reference %.9g ± %.3g", tab.Source, got.Intercept, want.Intercept, got.InterceptBound+want.InterceptBound)
		}
		if e := compare.CoefError(got.Coef, got.Intercept, want.Coef, want.Intercept); e > 1e-3 {
			t.Errorf("%s: relative difference %.3g from the reference", tab.Source, e)
		}
	}
}

// TestBinomial runs the binomial part of the conformance suite (the pass
// and whole fits) alone, for backends that check it under several kernel
// configurations.
func TestBinomial(t *testing.T, b lsgd.Backend) {
	t.Run("BinomialGradient", func(t *testing.T) { testBinomialGradient(t, b) })
	t.Run("BinomialFit", func(t *testing.T) { testBinomialFit(t, b) })
}
