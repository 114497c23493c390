package main

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lsgd/lsgd"
)

// confLevel is the coverage of the confidence intervals (lsgd solve's).
const confLevel = 0.95

// inference returns the classical inference of the unpenalized fit sol
// under the gaussian model with analytic weights, y_i = b + x_i·β + ε_i,
// ε_i ~ N(0, σ²/w_i) (R's lm with weights, statsmodels' WLS), from the
// merged factor and rss = Σ w_i·e_i², the weighted residual sum of
// squares of the last refinement pass:
//
//	n = rows of positive weight, k = coefficients (the intercept counted),
//	df_resid = n − k, σ̂² = rss/df_resid, Cov(β) = σ̂²·(XᵀWX)⁻¹,
//
// adj R² and F as lsgd.Inference's comments say, with TSS = Σ w_i·(y_i − ȳ_w)²
// (about zero without an intercept). Without weights this is lsgd solve's
// inference exactly.
//
// R_Z, the factor of the standardized design, has R_ZᵀR_Z = ZᵀWZ with
// z = (x − m)·mul and the target standardized by mul_y, so Cov(θ) =
// σ²·mul_y²·(R_ZᵀR_Z)⁻¹; on the original scale β = T·θ/mul_y + c and
// Cov(β) = σ²·T(R_ZᵀR_Z)⁻¹Tᵀ: the standard error of β_k is σ̂·‖R_Z⁻ᵀ·T_kᵀ‖,
// one triangular solve for all of them. A rank-deficient R_Z never gets
// here: newSystem names the collinear columns and stops.
func (s *system) inference(sol *lsgd.Solution, rss float64, weighted bool) *lsgd.Inference {
	d, q := s.d, s.q
	intercept := !s.opt.NoIntercept
	n := int(s.npos)
	inf := &lsgd.Inference{DFResid: n - q, DFModel: d, Weighted: weighted}
	nan := math.NaN()
	df := float64(inf.DFResid)
	sigma2 := nan
	if inf.DFResid > 0 {
		sigma2 = rss / df
	}
	inf.ResidualStdErr = math.Sqrt(sigma2)
	W := make([]float64, q*q) // Tᵀ: column k is row k of T
	for a := 0; a < d; a++ {
		W[a*q+a] = s.mul[a]
		if intercept {
			W[a*q+d] = -s.mul[a] * s.mean[a]
		}
	}
	if intercept {
		W[d*q+d] = 1
	}
	lapack64.Trtrs(blas.Trans, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: q, Stride: q, Data: s.rq},
		blas64.General{Rows: q, Cols: q, Stride: q, Data: W})
	se := make([]float64, q)
	col := make([]float64, q)
	for k := 0; k < q; k++ {
		for a := 0; a < q; a++ {
			col[a] = W[a*q+k]
		}
		se[k] = math.Sqrt(sigma2) * floats.Norm(col, 2)
	}
	tq := nan
	st := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	if inf.DFResid > 0 {
		tq = st.Quantile(1 - (1-confLevel)/2)
	}
	stat := func(b, s float64) (tv, pv float64, ci [2]float64) {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return nan, nan, [2]float64{nan, nan}
		}
		tv = b / s // ±Inf for an exact fit (s = 0)
		return tv, 2 * st.Survival(math.Abs(tv)), [2]float64{b - tq*s, b + tq*s}
	}
	for a := 0; a < d; a++ {
		tv, pv, ci := stat(sol.Coef[a], se[a])
		inf.StdErr = append(inf.StdErr, se[a])
		inf.TValues = append(inf.TValues, tv)
		inf.PValues = append(inf.PValues, pv)
		inf.ConfInt = append(inf.ConfInt, ci)
	}
	inf.InterceptStdErr, inf.InterceptTValue, inf.InterceptPValue = nan, nan, nan
	inf.InterceptConfInt = [2]float64{nan, nan}
	if intercept {
		inf.InterceptStdErr = se[d]
		inf.InterceptTValue, inf.InterceptPValue, inf.InterceptConfInt = stat(sol.Intercept, se[d])
	}
	k := 0.0
	if intercept {
		k = 1
	}
	inf.AdjR2, inf.FStatistic, inf.FPValue = nan, nan, nan
	if inf.DFResid > 0 {
		inf.AdjR2 = 1 - (1-sol.R2)*(float64(n)-k)/df
		if inf.DFModel > 0 && rss > 0 {
			inf.FStatistic = ((s.sst - rss) / float64(inf.DFModel)) / sigma2
			// P(F > f) = I_x(d2/2, d1/2), x = d2/(d2 + d1·f): the
			// incomplete beta directly, not 1 − CDF, which stops at u.
			d1 := float64(inf.DFModel)
			inf.FPValue = mathext.RegIncBeta(df/2, d1/2, df/(df+d1*inf.FStatistic))
		}
	}
	return inf
}
