package lsgd

import (
	"fmt"
	"math"
	"strings"
)

// The first stage of a fit: column statistics, standardization, the
// curvature sample and what the precision can certify.

// prepare reads the column moments, derives the standardization, samples
// the curvature, standardizes the data on the device and sizes the
// accuracy limit; it returns θ₀, the mask and the ridge weights.
func (f *fitter) prepare() (theta, mask, ridge []float64, err error) {
	t, data, opt, prec, c := f.t, f.data, f.opt, f.prec, f.c
	u := prec.UnitRoundoff()
	center := !opt.NoIntercept
	mean, scale, err := data.Moments(center)
	if err != nil {
		return nil, nil, nil, err
	}
	f.passes++
	if err := f.standardization(mean, scale); err != nil {
		return nil, nil, nil, err
	}
	theta, mask, ridge = f.initial()
	f.mask, f.ridge = mask, ridge
	if !opt.NoStandardize {
		if err := data.Standardize(f.shift, f.mul); err != nil {
			return nil, nil, nil, err
		}
		f.passes++
	}
	if err := f.sampleCurvature(); err != nil {
		return nil, nil, nil, err
	}
	res := f.res
	res.Cond, res.CondSample = f.curv.Cond, f.curv.SampleRows
	for _, g := range f.curv.Collinear {
		res.Warnings = append(res.Warnings, f.collinearWarning(g))
	}
	// What the precision allows: rounding the standardized values to u
	// perturbs the problem by about u relative, and the solution by up to
	// cond times that (cond of the Hessian covers the κ² term of
	// least-squares perturbation theory); a factor 10 for the sums. The
	// pcg method, refining on residuals, reaches κ·u plus κ²·u times the
	// relative residual (accuracyPCG). When
	// the backend rounded float64 input to float32 as is, a column with
	// mean μ and spread s lost u·|μ|/s more of its information (a year
	// column, 1950 ± 5, loses 400 u); backends that subtract the mean
	// first (Caps.CenteredStorage) do not.
	amp := 1.0
	if t.Precision() == F64 && prec == F32 && !data.Caps().CenteredStorage {
		for j := 0; j < c; j++ {
			amp = math.Max(amp, 1+math.Abs(f.shift[j])*f.mul[j])
		}
	}
	f.amp = amp
	res.Accuracy = 10 * f.curv.Cond * u * amp
	if opt.Optimizer == OptPCG {
		res.Accuracy = f.accuracyPCG(f.rho)
	}
	if !f.userTol {
		// The default asks for what the precision can certify.
		f.opt.Tol = math.Max(f.opt.Tol, math.Min(2*res.Accuracy, maxUsefulAccuracy))
	}
	res.Tol = f.opt.Tol
	if res.Accuracy > f.opt.Tol || res.Accuracy > maxUsefulAccuracy {
		why := fmt.Sprintf("cond ≈ %.2g", f.curv.Cond)
		if amp > 2 {
			why += fmt.Sprintf(" and float64 values rounded to float32 with offsets up to %.2g× their spread", amp-1)
		}
		if prec == F32 {
			res.addFix(len(res.Warnings), FixFloat64)
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"%s arithmetic can only certify the coefficients to ≈ %.2g relative here (%s)",
			prec, res.Accuracy, why))
	}

	return theta, mask, ridge, nil
}

// standardization derives shift and mul from the column moments and
// rejects constant columns.
func (f *fitter) standardization(mean, scale []float64) error {
	t := f.t
	u := f.prec.UnitRoundoff()
	f.tgtScale = scale[t.Target]
	f.shift = make([]float64, f.c)
	f.mul = make([]float64, f.c)
	for j := 0; j < f.c; j++ {
		if math.IsNaN(mean[j]) || math.IsInf(mean[j], 0) || math.IsNaN(scale[j]) || math.IsInf(scale[j], 0) {
			return inputErrorf("%s: column %q: values too large to sum in %s arithmetic", t.Label(), t.Name(j), f.prec)
		}
		constant := scale[j] <= 16*u*math.Abs(mean[j]) || scale[j] == 0
		if j != t.Target && constant {
			if f.opt.NoIntercept {
				if scale[j] == 0 {
					return zeroColumn(t, j)
				}
			} else {
				return constantColumn(t, j, unscaled(mean[j], f.opt.colExp, j))
			}
		}
		f.shift[j], f.mul[j] = 0, 1
		if f.opt.NoStandardize {
			continue
		}
		if !f.opt.NoIntercept {
			f.shift[j] = mean[j]
		}
		if scale[j] > 0 && !(j == t.Target && constant) {
			f.mul[j] = 1 / scale[j]
		}
	}
	return nil
}

// initial returns θ₀ (0, the target fixed at −1), the mask and the ridge
// weights in table space.
func (f *fitter) initial() (theta, mask, ridge []float64) {
	theta, mask, ridge = make([]float64, f.p), make([]float64, f.p), make([]float64, f.p)
	for j := 0; j < f.c; j++ {
		if j == f.t.Target {
			theta[j] = -1
			continue
		}
		mask[j] = 1
		ridge[j] = l2At(f.opt.colL2, f.opt.L2, j) * f.mul[j] * f.mul[j]
	}
	if !f.opt.NoIntercept {
		mask[f.c] = 1
	}
	return theta, mask, ridge
}

func (f *fitter) collinearWarning(group []int) string {
	names := make([]string, 0, len(group))
	for _, j := range group {
		if j == f.c {
			names = append(names, "(intercept)")
		} else {
			names = append(names, f.t.Name(j))
		}
	}
	where := fmt.Sprintf("in a sample of %d rows", f.curv.SampleRows)
	if f.curv.Exact {
		where = "in the data"
	}
	return fmt.Sprintf("columns %s are collinear %s: the fit returns the minimum-norm solution (on the standardized scale)",
		strings.Join(quoteAll(names), ", "), where)
}
