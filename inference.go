package lsgd

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Inference is the classical inference of an unpenalized least-squares fit
// under the gaussian model y = b + x·β + ε, ε ~ N(0, σ²·I) (σ²/w_i for
// weighted rows; see Weighted). Slices are in the order of the
// coefficients (Linear.Coef); the intercept's statistics are apart. A
// statistic that does not exist (no residual degrees of freedom, no
// intercept) is NaN, written as null in JSON.
type Inference struct {
	StdErr  []float64    `json:"std_err"`  // standard error √(σ̂²·[(XᵀX)⁻¹]_kk)
	TValues []float64    `json:"t_values"` // coef / std_err
	PValues []float64    `json:"p_values"` // two-sided, Student's t with DFResid degrees of freedom
	ConfInt [][2]float64 `json:"conf_int"` // 95% confidence interval coef ± t₀.₉₇₅·std_err

	InterceptStdErr  float64    `json:"intercept_std_err"`
	InterceptTValue  float64    `json:"intercept_t_value"`
	InterceptPValue  float64    `json:"intercept_p_value"`
	InterceptConfInt [2]float64 `json:"intercept_conf_int"`

	// ResidualStdErr is σ̂ = √(RSS/DFResid).
	ResidualStdErr float64 `json:"residual_std_err"`
	DFResid        int     `json:"df_resid"` // rows − coefficients (the intercept counted)
	DFModel        int     `json:"df_model"` // coefficients − the intercept
	// AdjR2 is 1 − (1 − R²)·(n − k)/DFResid, k = 1 with an intercept (R²
	// centred) and 0 without (R² about zero), as statsmodels has it.
	AdjR2 float64 `json:"adj_r2"`
	// FStatistic tests every slope zero: ((TSS − RSS)/DFModel)/σ̂², TSS
	// centred with an intercept and about zero without; FPValue is its
	// upper tail in F(DFModel, DFResid).
	FStatistic float64 `json:"f_statistic"`
	FPValue    float64 `json:"f_p_value"`
	// Weighted says whether row weights entered the statistics. They are
	// analytic weights, as in R's lm and statsmodels' WLS: Var(ε_i) =
	// σ²/w_i, n counts the rows of positive weight, RSS = Σ w_i·r_i² with
	// the weights as given, Cov(β) = σ̂²·(XᵀWX)⁻¹ (unchanged when every
	// weight is scaled alike), and R² uses weighted sums about the
	// weighted mean.
	Weighted bool `json:"weighted"`
}

// confLevel is the coverage of Inference's confidence intervals.
const confLevel = 0.95

// infer computes the Inference of sol from R, the q×q upper-triangular
// factor (row-major) of the standardized design's Gram matrix ZᵀZ = RᵀR
// (from QR or Cholesky), and the residual sum of squares rss on the
// original scale (see InferenceFromR).
func infer(sc *scaling, R []float64, sol *Solution, rss float64) *Inference {
	t := sc.t
	mean, mul := make([]float64, sc.d), make([]float64, sc.d)
	for a, j := range sc.feats {
		mean[a], mul[a] = sc.mean[j], sc.mul[j]
	}
	// TSS: Σ w_i = rows (weights of mean 1) times scale_y², the spread
	// about the mean (or zero without an intercept) standardization
	// measured.
	tss := float64(t.Rows) / (sc.mul[t.Target] * sc.mul[t.Target])
	return InferenceFromR(R, mean, mul, sc.intercept, &sol.Linear, sol.R2, rss, tss, positiveRows(t))
}

// InferenceFromR computes the Inference of the least-squares fit lin (R²
// r2) from R, the q×q upper-triangular factor (row-major) of ZᵀWZ = RᵀR,
// where Z's column a is the feature (x_a − mean[a])·mul[a], followed by a
// column of ones with an intercept (q = d or d+1, d = len(mul)), rss and
// tss the residual and total sums of squares Σ w_i·(·)² on the original
// scale (tss about the weighted mean, or about zero without an
// intercept), and n the rows of positive weight. lsgd solve and lsgd-beam
// both call it.
//
// With the target standardized as z = (y − m_y)·mul_y, Cov(θ) =
// σ²·mul_y²·(RᵀR)⁻¹; on the original scale β = T·θ/mul_y + c, so
// Cov(β) = σ²·T(RᵀR)⁻¹Tᵀ and the standard error of β_k is σ̂·‖R⁻ᵀ·T_kᵀ‖:
// one triangular solve for all of them, then the norms of its columns
// (sums of squares, no differences of large numbers).
func InferenceFromR(R, mean, mul []float64, intercept bool, lin *Linear, r2, rss, tss float64, n int) *Inference {
	d := len(mul)
	q := d
	if intercept {
		q++
	}
	inf := &Inference{DFResid: n - q, DFModel: d}
	nan := math.NaN()
	df := float64(inf.DFResid)
	sigma2 := nan
	if inf.DFResid > 0 {
		sigma2 = rss / df
	}
	inf.ResidualStdErr = math.Sqrt(sigma2)
	// Tᵀ, q×q: column k holds row k of T (slopes first, the intercept
	// last).
	W := make([]float64, q*q)
	for a := 0; a < d; a++ {
		W[a*q+a] = mul[a]
		if intercept {
			W[a*q+d] = -mul[a] * mean[a]
		}
	}
	if intercept {
		W[d*q+d] = 1
	}
	lapack64.Trtrs(blas.Trans, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: q, Stride: q, Data: R},
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
		tv = b / s // ±Inf for an exact fit (s = 0), NaN when b is 0 too
		return tv, 2 * st.Survival(math.Abs(tv)), [2]float64{b - tq*s, b + tq*s}
	}
	for a := 0; a < d; a++ {
		tv, pv, ci := stat(lin.Coef[a], se[a])
		inf.StdErr = append(inf.StdErr, se[a])
		inf.TValues = append(inf.TValues, tv)
		inf.PValues = append(inf.PValues, pv)
		inf.ConfInt = append(inf.ConfInt, ci)
	}
	inf.InterceptStdErr, inf.InterceptTValue, inf.InterceptPValue = nan, nan, nan
	inf.InterceptConfInt = [2]float64{nan, nan}
	if intercept {
		inf.InterceptStdErr = se[d]
		inf.InterceptTValue, inf.InterceptPValue, inf.InterceptConfInt = stat(lin.Intercept, se[d])
	}
	k := 0.0
	if intercept {
		k = 1
	}
	inf.AdjR2, inf.FStatistic, inf.FPValue = nan, nan, nan
	if inf.DFResid > 0 {
		inf.AdjR2 = 1 - (1-r2)*(float64(n)-k)/df
		if inf.DFModel > 0 && rss > 0 {
			inf.FStatistic = ((tss - rss) / float64(inf.DFModel)) / sigma2
			// P(F > f) = I_x(d2/2, d1/2), x = d2/(d2 + d1·f): the
			// incomplete beta directly, not 1 − CDF, which stops at u.
			d1 := float64(inf.DFModel)
			inf.FPValue = mathext.RegIncBeta(df/2, d1/2, df/(df+d1*inf.FStatistic))
		}
	}
	return inf
}
