package lsgd

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// rawScaleCurvature corrects the curvature of an unstandardized fit
// (Options.NoStandardize). The rank threshold of analyze is relative to
// the largest eigenvalue, so a column whose scale is 1e-12 of another's
// has an eigenvalue below it and was called collinear, its direction left
// out of μ: the certificate then ignored the one coefficient the fit could
// not reach. Collinearity is a property of the columns, not of their
// units, so it is judged on the Jacobi-scaled Hessian D·H·D (D = diag(H)^-½,
// what standardization would give); directions that are null only on the
// raw scale keep their curvature in μ, which is then at most u·λmax, so the
// accuracy limit (10·cond·u ≥ 10) forbids a certificate. It reports
// whether the raw scale limited the fit.
func rawScaleCurvature(H *mat.SymDense, free []int, p int, cv *Curvature) bool {
	q := len(free)
	if q == 0 || q > eigLimit || len(cv.Collinear) == 0 {
		return false
	}
	d := make([]float64, q)
	for a := 0; a < q; a++ {
		if h := H.At(a, a); h > 0 {
			d[a] = 1 / math.Sqrt(h)
		}
	}
	S := mat.NewSymDense(q, nil)
	for a := 0; a < q; a++ {
		for b := a; b < q; b++ {
			S.SetSym(a, b, H.At(a, b)*d[a]*d[b])
		}
	}
	scaled, _ := analyze(S, free, p)
	if len(scaled.Collinear) >= len(cv.Collinear) {
		return false
	}
	cv.Collinear = scaled.Collinear
	var eig mat.EigenSym
	lmin := 0.0
	if eig.Factorize(H, false) {
		lmin = eig.Values(nil)[0]
	}
	u := F64.UnitRoundoff()
	cv.Min = math.Max(math.Min(lmin, cv.Max*u), cv.Max*1e-300)
	cv.Cond = cv.Max / cv.Min
	return true
}
