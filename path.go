package lsgd

import (
	"math"
	"sort"
)

// Regularization paths: the elastic net at a decreasing sequence of λ,
// each fit warm-started from the previous one (glmnet's pathwise
// coordinate descent), all on one set of sufficient statistics.

// DefaultNLambdas and DefaultLambdaMinRatio shape the default λ grid:
// DefaultNLambdas values from λ_max down to DefaultLambdaMinRatio·λ_max,
// log-spaced (scikit-learn's n_alphas and eps).
const (
	DefaultNLambdas       = 100
	DefaultLambdaMinRatio = 1e-3
)

// ridgeGridRatio stands in for the L1 ratio r when λ_max is computed for
// r = 0 (pure ridge), where no finite λ zeroes the coefficients: λ_max is
// then the lasso's λ_max/0.001, as glmnet does.
const ridgeGridRatio = 1e-3

// enetPenalty is the split of λ between the two penalties for the L1
// ratio r: λ·r‖θ‖₁ + λ·(1−r)‖θ‖².
func enetPenalty(lambda, ratio float64) (l1, l2 float64) {
	return lambda * ratio, lambda * (1 - ratio)
}

// LambdaGrid returns m values of λ from lmax down to ratio·lmax,
// log-spaced (lmax alone when m is 1).
func LambdaGrid(lmax float64, m int, ratio float64) []float64 {
	out := make([]float64, m)
	for k := range out {
		if m == 1 {
			out[k] = lmax
			continue
		}
		out[k] = lmax * math.Pow(ratio, float64(k)/float64(m-1))
	}
	return out
}

// pathLambdaMax is the smallest λ at which every coefficient is zero for
// the L1 ratio r (for r = 0, the value at r = 0.001), the start of the
// default grid.
func (pr *enetProblem) pathLambdaMax(sc *enetScale, ratio float64) float64 {
	if ratio < ridgeGridRatio {
		ratio = ridgeGridRatio
	}
	// A relative 1e-12 above the bound, so that rounding in the sums
	// cannot leave a coefficient a hair from zero at the first λ.
	return pr.lambdaMax(sc) / ratio * (1 + 1e-12)
}

// enetPathPoint is one λ of a path: the coefficients on the original
// scale and the solve's certificate.
type enetPathPoint struct {
	Coef      []float64
	Intercept float64
	Beta      []float64 // standardized
	enetResult
}

// path solves the problem at every λ of lambdas (in decreasing order),
// each from the previous solution.
func (pr *enetProblem) path(sc *enetScale, lambdas []float64, ratio, tol float64, center bool) []enetPathPoint {
	beta := make([]float64, pr.D)
	out := make([]enetPathPoint, len(lambdas))
	for k, lam := range lambdas {
		l1, l2 := enetPenalty(lam, ratio)
		pr.setPenalty(sc, l1, l2)
		r := pr.solve(beta, tol, enetMaxSweeps)
		coef, b0 := sc.original(beta, center)
		out[k] = enetPathPoint{Coef: coef, Intercept: b0, Beta: append([]float64(nil), beta...), enetResult: r}
	}
	return out
}

// sortedDescending returns a copy of v sorted from largest to smallest.
func sortedDescending(v []float64) []float64 {
	out := append([]float64(nil), v...)
	sort.Sort(sort.Reverse(sort.Float64Slice(out)))
	return out
}
