package lsgd

import (
	"fmt"
	"math"
)

// The last stage of a fit: the final gradient, the certified error bound
// and the back-transform to the original scale.

// finish evaluates the loss and gradient at the final θ (one more pass),
// certifies the result and maps it to the original scale.
func (f *fitter) finish() error {
	res := f.res
	var st Status
	if f.final != nil {
		st = *f.final // the loop ended on a full gradient at θ
	} else {
		if err := f.data.Gradient(Theta, Rows{Lo: 0, Hi: f.n}); err != nil {
			return err
		}
		f.passes++
		var err error
		if st, err = f.data.Status(); err != nil {
			return err
		}
	}
	theta := make([]float64, f.p)
	if err := f.data.Vector(Theta, theta); err != nil {
		return err
	}
	for _, v := range theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &DivergedError{Iteration: f.iter, Loss: math.NaN()}
		}
	}
	// A final point whose loss is not finite, whose gradient is not, or
	// whose loss is well above the starting point's did not converge,
	// whatever its relative gradient says (a huge θ makes ‖g‖/‖θ‖ small).
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) || math.IsNaN(st.GradNorm2) || math.IsInf(st.GradNorm2, 0) ||
		(f.gnorm0 > 0 && st.Loss > 1.5*f.loss0+1e-300) {
		return &DivergedError{Iteration: f.iter, Loss: st.Loss}
	}
	gn := math.Sqrt(st.GradNorm2)
	pn := 0.0
	ridgeTerm := 0.0
	for j, v := range theta {
		if f.mask[j] != 0 {
			pn += v * v
		}
		ridgeTerm += f.ridge[j] * v * v
	}
	res.Iterations = f.iter
	res.Epochs = f.epoch
	res.Passes = f.passes
	res.RelGrad = 0
	if f.gnorm0 > 0 {
		res.RelGrad = gn / f.gnorm0
	}
	thn := math.Max(math.Sqrt(pn), 1)
	res.GapBound = f.gapSafety() * gn / (f.curv.Min * thn)
	if f.opt.Optimizer == OptPCG {
		// The residual is known now: the accuracy limit's κ²·ρ term.
		rho := math.Sqrt(math.Max(st.Loss-ridgeTerm, 0)) / (math.Sqrt(f.curv.Max/2) * math.Max(math.Sqrt(pn), 1e-300))
		res.Accuracy = f.accuracyPCG(rho)
	}
	res.ErrorBound = res.GapBound + res.Accuracy
	ls := f.lossScale()
	res.Loss = st.Loss * ls
	res.MSE = math.Max(st.Loss-ridgeTerm, 0) * ls
	// Moments gave the target's scale: the spread about its mean (or about
	// zero without an intercept, the uncentred R² NIST uses).
	tgtScale := f.tgtScale
	if tgtScale > 0 {
		res.R2 = 1 - res.MSE/(tgtScale*tgtScale)
	} else {
		res.R2 = 0
		res.Warnings = append(res.Warnings, "the target is constant: R² is undefined (reported as 0)")
	}
	// Back to the original scale: coef_j = θ_j·mul_j/mul_t,
	// intercept = shift_t + (b − Σ θ_j·mul_j·shift_j)/mul_t.
	tg := f.t.Target
	mt := f.mul[tg]
	b := theta[f.c]
	res.Coef = res.Coef[:0]
	for j := 0; j < f.c; j++ {
		if j == tg {
			continue
		}
		res.Coef = append(res.Coef, theta[j]*f.mul[j]/mt)
		b -= theta[j] * f.mul[j] * f.shift[j]
	}
	res.Intercept = f.shift[tg] + b/mt
	if f.opt.NoIntercept {
		res.Intercept = 0
	}

	// Per-coefficient bounds on the original scale: with ‖δθ‖ ≤ E on the
	// standardized problem, |δcoef_j| ≤ E·mul_j/mul_t and |δintercept| ≤
	// E·√(1 + Σ(mul_j·μ_j)²)/mul_t (Cauchy–Schwarz).
	E := res.ErrorBound * thn
	res.CoefBound = res.CoefBound[:0]
	ib := 1.0
	for j := 0; j < f.c; j++ {
		if j == tg {
			continue
		}
		res.CoefBound = append(res.CoefBound, E*f.mul[j]/mt)
		ib += (f.mul[j] * f.shift[j]) * (f.mul[j] * f.shift[j])
	}
	res.InterceptBound = E * math.Sqrt(ib) / mt
	if f.opt.NoIntercept {
		res.InterceptBound = 0
	}

	res.Converged = (res.ErrorBound <= f.opt.Tol && res.Accuracy <= maxUsefulAccuracy) || f.gnorm0 == 0
	res.Reason = f.reason
	switch {
	case f.gnorm0 == 0:
		res.Reason = "gradient (zero at the start)"
	case res.Converged:
	case res.Accuracy > f.opt.Tol/2:
		res.Reason += fmt.Sprintf("; precision-limited: %s with cond ≈ %.2g certifies only ≈ %.2g relative", f.prec, f.curv.Cond, res.Accuracy)
	case f.curv.Cond > 1e6:
		res.Reason += fmt.Sprintf("; ill-conditioned (cond ≈ %.2g)", f.curv.Cond)
	case f.reason == "gradient":
		res.Reason += " (not confirmed at the final point)"
	}
	if !res.Converged && f.rawLimited {
		res.Reason += "; the raw columns' scales differ too much to fit them unstandardized (drop --no-standardize)"
	}
	return nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func scal(s float64, a []float64) {
	for i := range a {
		a[i] *= s
	}
}
