package lsgd

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/lsgd/lsgd/internal/par"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// SolveOptions configure Solve.
type SolveOptions struct {
	NoIntercept bool    // fit y = x·θ
	L2          float64 // λ in MSE + λ‖θ‖² (θ on the original scale)

	colL2  []float64 // per-column λ replacing L2 for a prescaled table (see solveScaled); nil: L2
	colExp []int     // the prescale's exponents, for messages that quote values; nil: none
}

// Solution is the exact least-squares solution on the original scale.
type Solution struct {
	Linear         // features, coefficients and intercept on the original scale
	MSE    float64 `json:"mse"`
	R2     float64 `json:"r2"`
	Loss   float64 `json:"loss"`
	Cond   float64 `json:"cond"` // condition number of the standardized design (2-norm, its square for the Gram matrix)
	Method string  `json:"method"`
}

// Solve returns the exact least-squares (or ridge) solution by Householder
// QR in float64 on the standardized design, followed by one step of
// iterative refinement. Linearly dependent columns are detected from the
// singular values of R and reported by name (a *RankError), never turned
// into huge coefficients.
func Solve(t *Table, opt SolveOptions) (*Solution, error) {
	if err := t.Check(); err != nil {
		return nil, &InputError{Msg: err.Error()}
	}
	if opt.L2 < 0 || math.IsNaN(opt.L2) || math.IsInf(opt.L2, 0) {
		return nil, inputErrorf("L2 penalty must be ≥ 0, got %g", opt.L2)
	}
	if exp, err := prescaleExponents(t, F64); err != nil {
		return nil, err
	} else if exp != nil {
		return solveScaled(t, exp, opt)
	}
	n := t.Rows
	feats := t.Features()
	d := len(feats)
	q := d
	if !opt.NoIntercept {
		q++
	}
	if n < q {
		return nil, inputErrorf("%s: %d rows but %d coefficients to fit: least squares needs at least as many rows as coefficients",
			t.Label(), n, q)
	}
	// Column statistics in float64, two passes.
	cols := t.Cols
	mean, scale := make([]float64, cols), make([]float64, cols)
	for j := 0; j < cols; j++ {
		if !opt.NoIntercept {
			s := 0.0
			for i := 0; i < n; i++ {
				s += t.At(i, j)
			}
			mean[j] = s / float64(n)
		}
		s := 0.0
		for i := 0; i < n; i++ {
			e := t.At(i, j) - mean[j]
			s += e * e
		}
		scale[j] = math.Sqrt(s / float64(n))
	}
	for _, j := range feats {
		if scale[j] == 0 || scale[j] <= 16*F64.UnitRoundoff()*math.Abs(mean[j]) {
			if opt.NoIntercept {
				if scale[j] == 0 {
					return nil, zeroColumn(t, j)
				}
				continue
			}
			return nil, constantColumn(t, j, unscaled(mean[j], opt.colExp, j))
		}
	}
	mul := make([]float64, cols)
	for j := range mul {
		mul[j] = 1
		if scale[j] > 0 {
			mul[j] = 1 / scale[j]
		}
	}
	tg := t.Target
	// Design Z (standardized features, then a column of ones), target z,
	// and for ridge the rows √(n·λ)·mul_j·e_j below.
	extra := 0
	if opt.L2 > 0 {
		extra = d
	}
	Z := make([]float64, (n+extra)*q)
	z := make([]float64, n+extra)
	par.For((n+tsqrBlockRows-1)/tsqrBlockRows, 0, func(_, k int) {
		for i := k * tsqrBlockRows; i < min((k+1)*tsqrBlockRows, n); i++ {
			row := Z[i*q : (i+1)*q]
			for a, j := range feats {
				row[a] = (t.At(i, j) - mean[j]) * mul[j]
			}
			if !opt.NoIntercept {
				row[d] = 1
			}
			z[i] = (t.At(i, tg) - mean[tg]) * mul[tg]
		}
	})
	for a, j := range feats {
		if extra > 0 {
			Z[(n+a)*q+a] = math.Sqrt(float64(n)*l2At(opt.colL2, opt.L2, j)) * mul[j]
		}
	}
	qr := newTSQR(blas64.General{Rows: n + extra, Cols: q, Stride: q, Data: Z})
	Rq := mat.NewDense(q, q, qr.R())
	var svd mat.SVD
	if !svd.Factorize(Rq, mat.SVDThin) {
		return nil, fmt.Errorf("lsgd: SVD of R failed")
	}
	sv := svd.Values(nil)
	cond := math.Inf(1)
	if sv[q-1] > 0 {
		cond = sv[0] / sv[q-1]
	}
	if sv[q-1] <= sv[0]*1e-13*math.Sqrt(float64(q)) {
		var V mat.Dense
		svd.VTo(&V)
		names := func(a int) string {
			if a == d {
				return "(intercept)"
			}
			return t.Name(feats[a])
		}
		var groups []string
		var cols []string
		for k := q - 1; k >= 0 && sv[k] <= sv[0]*1e-13*math.Sqrt(float64(q)); k-- {
			big := 0.0
			for a := 0; a < q; a++ {
				big = math.Max(big, math.Abs(V.At(a, k)))
			}
			var g []string
			var terms []string
			for a := 0; a < q; a++ {
				if v := V.At(a, k); math.Abs(v) >= 0.05*big {
					g = append(g, names(a))
					terms = append(terms, fmt.Sprintf("%+.3g·%s", v/big, names(a)))
				}
			}
			sort.Strings(g)
			cols = append(cols, g...)
			groups = append(groups, strings.Join(terms, " ")+" ≈ 0")
		}
		return nil, &RankError{Source: t.Label(), Columns: dedupe(cols), Detail: strings.Join(groups, "; ")}
	}
	theta := qr.QTv(z)
	qr.solveR(theta)
	sol := &Solution{Linear: Linear{Features: t.FeatureNames()}, Cond: cond, Method: "householder-tsqr+refinement"}
	sol.Coef = make([]float64, d)
	toOriginal := func(th []float64, coef []float64) (b0 float64) {
		b := 0.0
		if !opt.NoIntercept {
			b = th[d]
		}
		for a, j := range feats {
			coef[a] = th[a] * mul[j] / mul[tg]
			b -= th[a] * mul[j] * mean[j]
		}
		return b / mul[tg]
	}
	sol.Intercept = toOriginal(theta, sol.Coef)
	if !opt.NoIntercept {
		sol.Intercept += mean[tg]
	}
	// Iterative refinement on the original scale: residuals from
	// compensated dot products (accurate to about u·|r| even when the
	// terms cancel, as they do for polynomial designs), the correction
	// solved with the same QR factors.
	dcoef := make([]float64, d)
	r := make([]float64, n+extra)
	for iter := 0; iter < 2; iter++ {
		par.For((n+tsqrBlockRows-1)/tsqrBlockRows, 0, func(_, k int) {
			xs := make([]float64, d+2)
			cs := make([]float64, d+2)
			for a := range feats {
				cs[a] = -sol.Coef[a]
			}
			xs[d], cs[d], cs[d+1] = 1, -sol.Intercept, 1
			for i := k * tsqrBlockRows; i < min((k+1)*tsqrBlockRows, n); i++ {
				for a, j := range feats {
					xs[a] = t.At(i, j)
				}
				xs[d+1] = t.At(i, tg)
				r[i] = dot2(xs, cs) * mul[tg]
			}
		})
		for a := range feats {
			if extra > 0 {
				r[n+a] = -math.Sqrt(float64(n)*l2At(opt.colL2, opt.L2, feats[a])) * sol.Coef[a] * mul[tg]
			}
		}
		dth := qr.QTv(r)
		qr.solveR(dth)
		db := toOriginal(dth, dcoef)
		for a := range dcoef {
			sol.Coef[a] += dcoef[a]
		}
		if !opt.NoIntercept {
			sol.Intercept += db
		}
	}
	sol.MSE, sol.R2 = Score(t, sol.Coef, sol.Intercept, !opt.NoIntercept)
	pen := 0.0
	for _, c := range sol.Coef {
		pen += c * c
	}
	sol.Loss = sol.MSE + opt.L2*pen
	if err := rangeCheck(t, &sol.Linear, sol.Loss); err != nil {
		return nil, err
	}
	return sol, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// dot2 returns x·y accurately (Ogita, Rump and Oishi's Dot2: error-free
// products by FMA and error-free sums, as if computed in twice the
// working precision).
func dot2(x, y []float64) float64 {
	var s, c float64
	for i := range x {
		p := x[i] * y[i]
		pe := math.FMA(x[i], y[i], -p)
		t := s + p
		z := t - s
		se := (s - (t - z)) + (p - z)
		s = t
		c += se + pe
	}
	return s + c
}

// Score returns the mean squared error and R² of the model on the table,
// computed on the original scale in float64. R² is centred with an
// intercept and uncentred (about zero) without one, as NIST defines it.
func Score(t *Table, coef []float64, intercept float64, centred bool) (mse, r2 float64) {
	feats := t.Features()
	n := float64(t.Rows)
	ym := 0.0
	if centred {
		for i := 0; i < t.Rows; i++ {
			ym += t.At(i, t.Target)
		}
		ym /= n
	}
	sse, sst := 0.0, 0.0
	for i := 0; i < t.Rows; i++ {
		pred := intercept
		for a, j := range feats {
			pred += coef[a] * t.At(i, j)
		}
		y := t.At(i, t.Target)
		e := y - pred
		sse += e * e
		sst += (y - ym) * (y - ym)
	}
	mse = sse / n
	if sst > 0 {
		r2 = 1 - sse/sst
	}
	return mse, r2
}
