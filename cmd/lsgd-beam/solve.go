package main

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// system is the launcher's half of an exact solve: the merged statistics
// turned into the triangular factor of the standardized design of
// lsgd.Solve (features minus their means, times 1/std; a column of ones;
// for ridge the rows √(n·λ)·mul_j·e_j), the solution from it, and the
// corrections that later passes over the data feed it. With row weights
// every row of the design is scaled by √w_i, the means and spreads are
// weighted and n is the total weight W = Σ w_i: the loss minimized is
// Σ w_i·r_i²/W + λ‖θ‖².
//
// Solve keeps Q and refines with Qᵀr; a pipeline keeps only R, so the
// refinement here is by the corrected semi-normal equations,
// Δθ = R⁻¹R⁻ᵀ(Aᵀr), with Aᵀr summed by the workers in compensated
// arithmetic. With a backward-stable R its error is of the same order,
// cond·u·‖r‖/σ_min, as the correction Solve computes (Björck, Numerical
// Methods for Least Squares Problems, §2.5).
type system struct {
	label     string
	opt       lsgd.SolveOptions
	names     []string // features, then the target
	n         float64  // Σ w_i (the row count without weights)
	npos      int64    // rows of positive weight
	d, q      int
	mean, mul []float64 // per column of [X y]
	rq        []float64 // q×q upper triangular
	cond      float64
	sst       float64 // Σ(y − ȳ)², or Σy² without an intercept
	coef      []float64
	intercept float64
}

// newSystem factorizes the standardized design from the merged Stats and
// solves it once.
func newSystem(st Stats, opt lsgd.SolveOptions, label string) (*system, error) {
	if opt.L2 < 0 || math.IsNaN(opt.L2) || math.IsInf(opt.L2, 0) {
		return nil, &tableio.InputError{Msg: fmt.Sprintf("L2 penalty must be ≥ 0, got %g", opt.L2)}
	}
	p := st.P()
	d := p - 1
	q := d
	if !opt.NoIntercept {
		q++
	}
	if st.NPos < int64(q) {
		what := "rows"
		if st.NPos < st.N {
			what = "rows of positive weight"
		}
		return nil, &tableio.InputError{Msg: fmt.Sprintf("%s: %d %s but %d coefficients to fit: least squares needs at least as many rows as coefficients", label, st.NPos, what, q)}
	}
	s := &system{label: label, opt: opt, names: st.Names, n: st.W, npos: st.NPos, d: d, q: q,
		mean: append([]float64(nil), st.Mean...), mul: make([]float64, p)}
	if opt.NoIntercept {
		clear(s.mean)
	}
	scale := make([]float64, p)
	for j := 0; j < p; j++ {
		ss := 0.0
		for i := 0; i <= j; i++ {
			ss += st.R[i*p+j] * st.R[i*p+j]
		}
		scale[j] = math.Sqrt(ss / s.n)
		s.mul[j] = 1
		if scale[j] > 0 {
			s.mul[j] = 1 / scale[j]
		}
	}
	s.sst = scale[d] * scale[d] * s.n
	for j := 0; j < d; j++ {
		if scale[j] == 0 || scale[j] <= 16*lsgd.F64.UnitRoundoff()*math.Abs(s.mean[j]) {
			if opt.NoIntercept {
				if scale[j] == 0 {
					return nil, &tableio.InputError{Msg: fmt.Sprintf("%s: column %q is all zeros: it carries no information; drop it", label, st.Names[j])}
				}
				continue
			}
			return nil, &tableio.InputError{Msg: fmt.Sprintf("%s: column %q is constant (every row ≈ %.6g): it duplicates the intercept; drop it",
				label, st.Names[j], s.mean[j]), Fix: tableio.FixNoIntercept}
		}
	}
	// [Z z] in factored form: R's columns scaled, the intercept's row, the
	// ridge rows; one QR of these few rows gives R_Z and Qᵀz.
	c := q + 1
	rows := p + d
	a := make([]float64, (rows+1)*c)
	for i := 0; i < p; i++ {
		for j := 0; j < d; j++ {
			a[i*c+j] = st.R[i*p+j] * s.mul[j]
		}
		a[i*c+q] = st.R[i*p+d] * s.mul[d]
	}
	if !opt.NoIntercept {
		a[p*c+d] = math.Sqrt(s.n)
	}
	if opt.L2 > 0 {
		for j := 0; j < d; j++ {
			a[(p+1+j)*c+j] = math.Sqrt(s.n*opt.L2) * s.mul[j]
		}
	}
	t := qrR(a, rows+1, c)
	s.rq = make([]float64, q*q)
	theta := make([]float64, q)
	for i := 0; i < q; i++ {
		copy(s.rq[i*q+i:(i+1)*q], t[i*c+i:i*c+q])
		theta[i] = t[i*c+q]
	}
	if err := s.checkRank(); err != nil {
		return nil, err
	}
	s.solveR(theta, blas.NoTrans)
	s.coef = make([]float64, d)
	s.intercept = s.toOriginal(theta, s.coef)
	if !opt.NoIntercept {
		s.intercept += s.mean[d]
	}
	return s, nil
}

// checkRank sets cond from the singular values of R_Z and names the
// columns of a dependency the way lsgd.Solve does.
func (s *system) checkRank() error {
	q, d := s.q, s.d
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(q, q, append([]float64(nil), s.rq...)), mat.SVDThin) {
		return errors.New("lsgd-beam: SVD of R failed")
	}
	sv := svd.Values(nil)
	s.cond = math.Inf(1)
	if sv[q-1] > 0 {
		s.cond = sv[0] / sv[q-1]
	}
	tol := sv[0] * 1e-13 * math.Sqrt(float64(q))
	if sv[q-1] > tol {
		return nil
	}
	var V mat.Dense
	svd.VTo(&V)
	name := func(a int) string {
		if a == d {
			return "(intercept)"
		}
		return s.names[a]
	}
	var groups, cols []string
	for k := q - 1; k >= 0 && sv[k] <= tol; k-- {
		big := 0.0
		for a := 0; a < q; a++ {
			big = math.Max(big, math.Abs(V.At(a, k)))
		}
		var g, terms []string
		for a := 0; a < q; a++ {
			if v := V.At(a, k); math.Abs(v) >= 0.05*big {
				g = append(g, name(a))
				terms = append(terms, fmt.Sprintf("%+.3g·%s", v/big, name(a)))
			}
		}
		sort.Strings(g)
		cols = append(cols, g...)
		groups = append(groups, strings.Join(terms, " ")+" ≈ 0")
	}
	seen := map[string]bool{}
	var uniq []string
	for _, c := range cols {
		if !seen[c] {
			seen[c] = true
			uniq = append(uniq, c)
		}
	}
	return &lsgd.RankError{Source: s.label, Columns: uniq, Detail: strings.Join(groups, "; ")}
}

// solveR solves R_Z·x = b (or R_Zᵀ·x = b) in place.
func (s *system) solveR(b []float64, tr blas.Transpose) {
	blas64.Trsv(tr, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: s.q, Stride: s.q, Data: s.rq},
		blas64.Vector{N: s.q, Inc: 1, Data: b})
}

// toOriginal maps standardized coefficients th to the original scale
// (coef) and returns the intercept's part that does not come from the
// target's mean.
func (s *system) toOriginal(th, coef []float64) float64 {
	d := s.d
	b := 0.0
	if !s.opt.NoIntercept {
		b = th[d]
	}
	for a := 0; a < d; a++ {
		coef[a] = th[a] * s.mul[a] / s.mul[d]
		b -= th[a] * s.mul[a] * s.mean[a]
	}
	return b / s.mul[d]
}

// correct applies one refinement step from the pass's Aᵀr (g, over the
// data rows; the ridge rows are added here).
func (s *system) correct(g []float64) {
	d := s.d
	v := append([]float64(nil), g...)
	if s.opt.L2 > 0 {
		w := math.Sqrt(s.n * s.opt.L2)
		for a := 0; a < d; a++ {
			v[a] += w * s.mul[a] * (-w * s.coef[a] * s.mul[d])
		}
	}
	s.solveR(v, blas.Trans)
	s.solveR(v, blas.NoTrans)
	dcoef := make([]float64, d)
	db := s.toOriginal(v, dcoef)
	for a := range dcoef {
		s.coef[a] += dcoef[a]
	}
	if !s.opt.NoIntercept {
		s.intercept += db
	}
}

// solution returns the lsgd.Solution with the MSE from sse, the sum of
// squared residuals at the final coefficients.
func (s *system) solution(sse float64) *lsgd.Solution {
	sol := &lsgd.Solution{Linear: lsgd.Linear{Features: s.names[:s.d], Coef: s.coef, Intercept: s.intercept},
		Cond: s.cond, Method: "beam-tsqr+refinement"}
	sol.MSE = sse / s.n
	if s.sst > 0 {
		sol.R2 = 1 - sse/s.sst
	}
	pen := 0.0
	for _, c := range s.coef {
		pen += c * c
	}
	sol.Loss = sol.MSE + s.opt.L2*pen
	return sol
}

// Resid are the mergeable sums of a refinement pass at fixed
// coefficients: Aᵀr = Σ w_i·z_i·r_i over the rows (z_i the standardized
// design row, r_i the residual in the target's standardized units, w_i
// the row's weight) and SSE = Σ w_i·e_i² (e_i the residual on the
// original scale), each with the compensation term of Neumaier's
// summation.
type Resid struct {
	Source    string
	N         int64
	G, GC     []float64
	SSE, SSEC float64
	Err       string
	Input     bool
}

// twoSum returns a+b and its rounding error.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	z := s - a
	return s, (a - (s - z)) + (b - z)
}

// MergeResid adds two Resid.
func MergeResid(a, b Resid) Resid {
	if a.Err != "" || b.Err != "" {
		if errWins(b.Err, b.Source, a.Err, a.Source) {
			return b
		}
		return a
	}
	if a.G == nil {
		return b
	}
	if b.G == nil {
		return a
	}
	out := Resid{Source: min(a.Source, b.Source), N: a.N + b.N, G: make([]float64, len(a.G)), GC: make([]float64, len(a.G))}
	for k := range a.G {
		var e float64
		out.G[k], e = twoSum(a.G[k], b.G[k])
		out.GC[k] = a.GC[k] + b.GC[k] + e
	}
	var e float64
	out.SSE, e = twoSum(a.SSE, b.SSE)
	out.SSEC = a.SSEC + b.SSEC + e
	return out
}

// Sums returns the compensated totals Aᵀr and SSE.
func (r Resid) Sums() (g []float64, sse float64) {
	g = make([]float64, len(r.G))
	for k := range g {
		g[k] = r.G[k] + r.GC[k]
	}
	return g, r.SSE + r.SSEC
}

// Point is what a refinement pass needs of the current solution: the
// standardization and the coefficients on the original scale.
type Point struct {
	Mean, Mul  []float64 // per column of [X y]
	Coef       []float64
	Intercept  float64
	Intercept0 bool // the design has a column of ones
}

func (s *system) point() Point {
	return Point{Mean: s.mean, Mul: s.mul, Coef: s.coef, Intercept: s.intercept, Intercept0: !s.opt.NoIntercept}
}

// TableResid returns the Resid of the columns cols (features, then the
// target) of t at pt, each row weighted by t.Weights (1 when nil).
func TableResid(t *tableio.Table, cols []int, pt Point) Resid {
	d := len(cols) - 1
	q := d
	if pt.Intercept0 {
		q++
	}
	r := Resid{Source: t.Source, N: int64(t.Rows), G: make([]float64, q), GC: make([]float64, q)}
	xs := make([]float64, d+2)
	cs := make([]float64, d+2)
	for a := 0; a < d; a++ {
		cs[a] = -pt.Coef[a]
	}
	cs[d], cs[d+1] = -pt.Intercept, 1
	xs[d] = 1
	z := make([]float64, q)
	mt := pt.Mul[d]
	for i := 0; i < t.Rows; i++ {
		for a := 0; a < d; a++ {
			xs[a] = t.At(i, cols[a])
			z[a] = (xs[a] - pt.Mean[a]) * pt.Mul[a]
		}
		if pt.Intercept0 {
			z[d] = 1
		}
		xs[d+1] = t.At(i, cols[d])
		e := dot2(xs, cs)
		w := t.Weight(i)
		ri := w * e * mt
		for k := 0; k < q; k++ {
			var err float64
			r.G[k], err = twoSum(r.G[k], z[k]*ri)
			r.GC[k] += err
		}
		var err float64
		r.SSE, err = twoSum(r.SSE, w*e*e)
		r.SSEC += err
	}
	return r
}

// dot2 returns x·y as if computed in twice the working precision (Ogita,
// Rump and Oishi's Dot2), as lsgd.Solve computes its residuals.
func dot2(x, y []float64) float64 {
	var s, c float64
	for i := range x {
		p := x[i] * y[i]
		pe := math.FMA(x[i], y[i], -p)
		var se float64
		s, se = twoSum(s, p)
		c += se + pe
	}
	return s + c
}
