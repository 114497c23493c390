package compare

import (
	"math"

	"github.com/lsgd/lsgd"
)

// CoefError is ‖(θ, b) − (θ*, b*)‖/‖(θ*, b*)‖.
func CoefError(coef []float64, b0 float64, want []float64, wantB0 float64) float64 {
	num, den := (b0-wantB0)*(b0-wantB0), wantB0*wantB0
	for i := range coef {
		num += (coef[i] - want[i]) * (coef[i] - want[i])
		den += want[i] * want[i]
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

// FitTolerance is the relative coefficient error a converged fit may show
// against the exact solution: the certified gap the fit stopped at, plus
// what rounding the data and the gradient to the precision can cause,
// about cond·u (with a safety factor of 100 for the sums).
func FitTolerance(p lsgd.Precision, cond, gap float64) float64 {
	return math.Max(2*gap, 0) + 100*math.Max(cond, 1)*p.UnitRoundoff() + 1e-7
}
