package lsgd

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/lsgd/lsgd/internal/par"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// SolveOptions configure Solve and SolveOn.
type SolveOptions struct {
	NoIntercept bool        // fit y = x·θ
	L2          float64     // λ in MSE + λ‖θ‖² (θ on the original scale)
	Method      SolveMethod // how to factorize (default SolveAuto)
	// InPlace lets the Gram method load the table on the backend without
	// a copy and standardize it there: t's values are then left
	// standardized, so set it only when t is not read afterwards. (When
	// the conditioning sends SolveAuto on to TSQR, t is first mapped back,
	// every value to within a few u·max|x_j| of its column.)
	InPlace bool

	colL2  []float64 // per-column λ replacing L2 for a prescaled table (see solveScaled); nil: L2
	colExp []int     // the prescale's exponents, for messages that quote values; nil: none
}

// SolveMethod chooses the factorization of an exact solve.
type SolveMethod int

const (
	// SolveAuto takes one Gram pass and a Cholesky factorization (SolveGram)
	// when a float64 backend is given, the table has at least GramMinRows
	// rows and the estimated condition number of the standardized design
	// is at most GramMaxCond; otherwise Householder TSQR (SolveQR).
	SolveAuto SolveMethod = iota
	// SolveQR is Householder TSQR on the host with refinement on
	// compensated residuals: the most accurate method, and the slowest.
	SolveQR
	// SolveGram forms the Gram matrix of the standardized table in one
	// pass on the backend, factorizes it by Cholesky and refines on
	// residuals from the backend's gradient pass. It needs a float64
	// backend; at any size or condition (an error when Cholesky fails).
	SolveGram
)

var solveMethodNames = [...]string{"auto", "qr", "gram"}

func (m SolveMethod) String() string {
	if m >= 0 && int(m) < len(solveMethodNames) {
		return solveMethodNames[m]
	}
	return fmt.Sprintf("solvemethod(%d)", int(m))
}

// The method names a Solution reports.
const (
	methodQR   = "householder-tsqr+refinement"
	methodGram = "gram-cholesky+refinement"
)

// Solution is the exact least-squares solution on the original scale.
type Solution struct {
	Linear         // features, coefficients and intercept on the original scale
	MSE    float64 `json:"mse"`
	R2     float64 `json:"r2"`
	Loss   float64 `json:"loss"`
	Cond   float64 `json:"cond"` // condition number of the standardized design (2-norm, its square for the Gram matrix)
	Method string  `json:"method"`
	// MethodWhy says in one line why Method was chosen.
	MethodWhy string `json:"method_why,omitempty"`
	// ErrorBound estimates ‖θ − θ*‖/‖θ*‖ for the standardized
	// coefficients: 10·u·(κ + κ²·ρ), κ = Cond, ρ = ‖r‖/(‖X‖·‖θ‖) the
	// relative residual (least-squares perturbation theory; what both
	// methods reach after refinement on residuals).
	ErrorBound float64 `json:"error_bound"`
	// Inference holds the standard errors and tests of a gaussian,
	// unpenalized fit (nil with L2 > 0).
	*Inference
}

// GramMinRows is the fewest rows SolveAuto takes the Gram path for: below
// it TSQR costs little and its compensated residuals keep the last digits
// on small ill-conditioned tables (the NIST StRD problems all have fewer).
const GramMinRows = 1 << 16

// GramMaxCond is the largest condition number κ of the standardized design
// SolveAuto takes the Gram path for: Cholesky of the Gram matrix starts
// from a relative error near κ²·u (10⁻⁸ here), which refinement on
// residuals contracts by about that factor a step.
const GramMaxCond = 1e4

// Solve returns the exact least-squares (or ridge) solution by Householder
// TSQR on the host: SolveOn without a backend.
func Solve(t *Table, opt SolveOptions) (*Solution, error) {
	return SolveOn(context.Background(), nil, t, opt)
}

// SolveOn returns the exact least-squares (or ridge) solution, in float64
// on the standardized design, by the method opt.Method names (see
// SolveAuto for the rule). Both methods refine on residuals and reach a
// relative error near κ·u + κ²·u·ρ (Solution.ErrorBound). b may be nil
// (TSQR on the host); the table is loaded on b as a copy unless
// opt.InPlace. Linearly dependent columns are detected from the singular values
// of R and reported by name (a *RankError), never turned into huge
// coefficients.
//
// A weighted table (Table.Weights) gives weighted least squares: the
// minimum of Σ w_i·r_i² (plus the ridge term on Σ w_i/n's scale), and the
// statistics of analytic weights, as R's lm and statsmodels' WLS have
// them (see Inference.Weighted).
func SolveOn(ctx context.Context, b Backend, t *Table, opt SolveOptions) (*Solution, error) {
	if err := t.Check(); err != nil {
		return nil, &InputError{Msg: err.Error()}
	}
	if t.Weights == nil {
		return solveOn(ctx, b, t, opt)
	}
	wmean := 0.0
	for _, w := range t.Weights {
		wmean += w
	}
	wmean /= float64(t.Rows)
	sol, err := solveOn(ctx, b, unitWeights(t), opt)
	if err == nil && sol.Inference != nil {
		// σ̂² = Σ w_i·r_i²/df with the weights as given.
		sol.Inference.ResidualStdErr *= math.Sqrt(wmean)
		sol.Inference.Weighted = true
	}
	return sol, err
}

// solveOn is SolveOn on a checked table whose weights, if any, have mean 1.
func solveOn(ctx context.Context, b Backend, t *Table, opt SolveOptions) (*Solution, error) {
	if opt.L2 < 0 || math.IsNaN(opt.L2) || math.IsInf(opt.L2, 0) {
		return nil, inputErrorf("L2 penalty must be ≥ 0, got %g", opt.L2)
	}
	if opt.Method < SolveAuto || opt.Method > SolveGram {
		return nil, inputErrorf("unknown solve method %v", opt.Method)
	}
	if exp, err := prescaleExponents(t, F64); err != nil {
		return nil, err
	} else if exp != nil {
		return solveScaled(t, exp, opt)
	}
	q := len(t.Features())
	if !opt.NoIntercept {
		q++
	}
	if np := positiveRows(t); np < q {
		return nil, inputErrorf("%s: %d rows (of positive weight) but %d coefficients to fit: least squares needs at least as many rows as coefficients",
			t.Label(), np, q)
	}
	gramOK := b != nil && b.Precision() == F64
	why := ""
	switch {
	case opt.Method == SolveQR:
		why = "asked for"
	case opt.Method == SolveGram && !gramOK:
		return nil, inputErrorf("the gram solve method needs a float64 backend")
	case opt.Method == SolveAuto && !gramOK:
		why = "no float64 backend"
	case opt.Method == SolveAuto && t.Rows < GramMinRows:
		why = fmt.Sprintf("%d rows, fewer than %d: TSQR is cheap and the most accurate", t.Rows, GramMinRows)
	default:
		sol, err := solveGram(ctx, b, t, opt)
		if err != nil {
			return nil, err
		}
		if sol.Method == methodGram {
			return sol, nil
		}
		why = sol.MethodWhy
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sol, err := solveQR(t, opt)
	if err != nil {
		return nil, err
	}
	sol.MethodWhy = why
	return sol, nil
}

// scaling is the standardization of an exact solve: the feature columns,
// their means (zero without an intercept) and multipliers 1/scale, in
// table space.
type scaling struct {
	t         *Table
	feats     []int
	d, q      int // features; coefficients (d, +1 for the intercept)
	intercept bool
	mean, mul []float64
}

// newScaling checks the columns (a constant column is an error with an
// intercept, a zero one without) and derives the multipliers.
func newScaling(t *Table, noIntercept bool, mean, scale []float64, colExp []int) (*scaling, error) {
	s := &scaling{t: t, feats: t.Features(), intercept: !noIntercept, mean: mean}
	s.d = len(s.feats)
	s.q = s.d
	if s.intercept {
		s.q++
	}
	if noIntercept {
		clear(mean)
	}
	for _, j := range s.feats {
		if scale[j] == 0 || scale[j] <= 16*F64.UnitRoundoff()*math.Abs(mean[j]) {
			if noIntercept {
				if scale[j] == 0 {
					return nil, zeroColumn(t, j)
				}
				continue
			}
			return nil, constantColumn(t, j, unscaled(mean[j], colExp, j))
		}
	}
	s.mul = make([]float64, len(scale))
	for j := range s.mul {
		s.mul[j] = 1
		if scale[j] > 0 {
			s.mul[j] = 1 / scale[j]
		}
	}
	return s, nil
}

// toOriginal maps standardized coefficients th (features, then the
// intercept) to the original scale: coef gets the slopes; the intercept
// is returned without the target's mean (a correction has none).
func (s *scaling) toOriginal(th []float64, coef []float64) (b0 float64) {
	tg := s.t.Target
	b := 0.0
	if s.intercept {
		b = th[s.d]
	}
	for a, j := range s.feats {
		coef[a] = th[a] * s.mul[j] / s.mul[tg]
		b -= th[a] * s.mul[j] * s.mean[j]
	}
	return b / s.mul[tg]
}

// name is the name of standardized coefficient a.
func (s *scaling) name(a int) string {
	if a == s.d {
		return "(intercept)"
	}
	return s.t.Name(s.feats[a])
}

// rankError names the columns in the near-null right singular vectors of
// the standardized design (V's columns k with sv[k] ≤ tol).
func (s *scaling) rankError(sv []float64, V *mat.Dense, tol float64) error {
	q := s.q
	var groups []string
	var cols []string
	for k := q - 1; k >= 0 && sv[k] <= tol; k-- {
		big := 0.0
		for a := 0; a < q; a++ {
			big = math.Max(big, math.Abs(V.At(a, k)))
		}
		var g []string
		var terms []string
		for a := 0; a < q; a++ {
			if v := V.At(a, k); math.Abs(v) >= 0.05*big {
				g = append(g, s.name(a))
				terms = append(terms, fmt.Sprintf("%+.3g·%s", v/big, s.name(a)))
			}
		}
		sort.Strings(g)
		cols = append(cols, g...)
		groups = append(groups, strings.Join(terms, " ")+" ≈ 0")
	}
	return &RankError{Source: s.t.Label(), Columns: dedupe(cols), Detail: strings.Join(groups, "; ")}
}

// rankTol is the relative singular value below which the standardized
// design counts as rank deficient.
func rankTol(q int) float64 { return 1e-13 * math.Sqrt(float64(q)) }

// errorBound is Solution.ErrorBound for condition number kappa, residual
// norm rnorm, design norm xnorm and coefficient norm thnorm (all
// standardized).
func errorBound(kappa, rnorm, xnorm, thnorm float64) float64 {
	rho := 0.0
	if xnorm > 0 && thnorm > 0 {
		rho = rnorm / (xnorm * thnorm)
	}
	return 10 * F64.UnitRoundoff() * (kappa + kappa*kappa*rho)
}

// solveQR is the TSQR method: Householder QR in float64 on the
// standardized design, followed by two steps of iterative refinement on
// compensated residuals.
func solveQR(t *Table, opt SolveOptions) (*Solution, error) {
	n := t.Rows
	// Column statistics in float64, two passes (weighted: the weights
	// have mean 1, so Σ w_i = n).
	cols := t.Cols
	mean, scale := make([]float64, cols), make([]float64, cols)
	for j := 0; j < cols; j++ {
		if !opt.NoIntercept {
			s := 0.0
			for i := 0; i < n; i++ {
				s += t.Weight(i) * t.At(i, j)
			}
			mean[j] = s / float64(n)
		}
		s := 0.0
		for i := 0; i < n; i++ {
			e := t.At(i, j) - mean[j]
			s += t.Weight(i) * e * e
		}
		scale[j] = math.Sqrt(s / float64(n))
	}
	sc, err := newScaling(t, opt.NoIntercept, mean, scale, opt.colExp)
	if err != nil {
		return nil, err
	}
	feats, d, q, mul := sc.feats, sc.d, sc.q, sc.mul
	tg := t.Target
	// Design Z (standardized features, then a column of ones), target z,
	// every row scaled by √w_i, and for ridge the rows √(n·λ)·mul_j·e_j
	// below.
	extra := 0
	if opt.L2 > 0 {
		extra = d
	}
	Z := make([]float64, (n+extra)*q)
	z := make([]float64, n+extra)
	par.For((n+tsqrBlockRows-1)/tsqrBlockRows, 0, func(_, k int) {
		for i := k * tsqrBlockRows; i < min((k+1)*tsqrBlockRows, n); i++ {
			row := Z[i*q : (i+1)*q]
			sw := math.Sqrt(t.Weight(i))
			for a, j := range feats {
				row[a] = sw * (t.At(i, j) - mean[j]) * mul[j]
			}
			if !opt.NoIntercept {
				row[d] = sw
			}
			z[i] = sw * (t.At(i, tg) - mean[tg]) * mul[tg]
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
	if tol := sv[0] * rankTol(q); sv[q-1] <= tol {
		var V mat.Dense
		svd.VTo(&V)
		return nil, sc.rankError(sv, &V, tol)
	}
	theta := qr.QTv(z)
	qr.solveR(theta)
	sol := &Solution{Linear: Linear{Features: t.FeatureNames()}, Cond: cond, Method: methodQR}
	sol.Coef = make([]float64, d)
	sol.Intercept = sc.toOriginal(theta, sol.Coef)
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
				r[i] = math.Sqrt(t.Weight(i)) * dot2(xs, cs) * mul[tg]
			}
		})
		for a := range feats {
			if extra > 0 {
				r[n+a] = -math.Sqrt(float64(n)*l2At(opt.colL2, opt.L2, feats[a])) * sol.Coef[a] * mul[tg]
			}
		}
		dth := qr.QTv(r)
		qr.solveR(dth)
		for a := range theta {
			theta[a] += dth[a]
		}
		db := sc.toOriginal(dth, dcoef)
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
	rnorm := math.Sqrt(float64(n)*sol.MSE) * mul[tg]
	sol.ErrorBound = errorBound(cond, rnorm, sv[0], floats.Norm(theta, 2))
	if opt.L2 == 0 {
		sol.Inference = infer(sc, qr.R(), sol, float64(n)*sol.MSE)
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
// A weighted table gives the weighted MSE Σw_i·r_i²/Σw_i and R² with
// weighted sums, as R's lm.
func Score(t *Table, coef []float64, intercept float64, centred bool) (mse, r2 float64) {
	feats := t.Features()
	n := 0.0
	for i := 0; i < t.Rows; i++ {
		n += t.Weight(i)
	}
	ym := 0.0
	if centred {
		for i := 0; i < t.Rows; i++ {
			ym += t.Weight(i) * t.At(i, t.Target)
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
		w := t.Weight(i)
		sse += w * e * e
		sst += w * (y - ym) * (y - ym)
	}
	mse = sse / n
	if sst > 0 {
		r2 = 1 - sse/sst
	}
	return mse, r2
}
