package lsgd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/lsgd/lsgd/internal/par"
)

// The binomial family: logistic regression by a Newton method whose
// Hessian comes from a sample.
//
// Every pass over the data is the backend's fused pass (Data.Gradient
// with SetFamily(Binomial)): the gradient g and the loss at θ, p + 1
// numbers read back. The Hessian H(θ) = (1/n)·X̃ᵀW X̃ + 2·diag(ridge),
// W = diag(σ(z_i)(1 − σ(z_i))), is formed on the host in float64 from a
// sample of rows kept there (the same evenly spaced blocks, and the same
// size, as the least-squares curvature sample; every row when there are
// few), and the step is θ ← θ − t·H_s(θ)⁻¹·g(θ) with t = 1 unless the loss
// fails Armijo's test, when t is halved (each trial a pass). With every
// row in the sample this is Newton's method (quadratic convergence); with
// S ≫ p rows the error contracts by about √(p/S) per pass near the
// optimum (sub-sampled Newton).

// logitSample is the host's copy of the curvature sample: rows of the
// standardized table restricted to the free coefficients (the intercept's
// 1 included), packed, with their labels.
type logitSample struct {
	q, s int
	x    []float64 // s×q
	y    []float64
	w    []float64 // the rows' weights (1 when the table has none)
	rmax float64   // the largest row norm ‖x̃_i‖ over the free coordinates
}

// hessianChunk is the number of sample rows whose contribution to the
// sample Hessian one worker sums before the fixed-order merge.
const hessianChunk = 2048

// separableNorm is the ‖θ‖ on the standardized scale past which an
// unpenalized fit calls the classes separable: a coefficient of 10³ per
// standard deviation multiplies the odds by e^1000.
const separableNorm = 1e3

// separableLoss is the mean log-loss (nats) under which an unpenalized fit
// calls the classes separable: every row predicted with p within 10⁻⁷ of
// its label on average.
const separableLoss = 1e-7

// fitBinomial is Fit for the binomial family, after the table is loaded.
func (f *fitter) fitBinomial(ctx context.Context, start time.Time) (*Result, error) {
	res, data, t, opt := f.res, f.data, f.t, f.opt
	res.Optimizer, res.Family = "newton", string(Binomial)
	if err := data.SetFamily(Binomial); err != nil {
		return nil, err
	}
	mean, scale, err := data.Moments(!opt.NoIntercept)
	if err != nil {
		return nil, err
	}
	f.passes++
	if err := f.standardization(mean, scale); err != nil {
		return nil, err
	}
	tg := t.Target
	// The label is read as stored: neither shifted nor scaled.
	f.shift[tg], f.mul[tg] = 0, 1
	theta, mask, ridge := f.initial()
	theta[tg] = 0
	f.mask, f.ridge = mask, ridge
	if !opt.NoIntercept {
		// The intercept that fits the class frequency: the optimum when no
		// feature helps, and a start inside Newton's quadratic region.
		ybar := mean[tg]
		theta[f.c] = math.Log(ybar / (1 - ybar))
	}
	// The sample is read before Standardize, which may rewrite t in place.
	smp := f.takeSample()
	if !opt.NoStandardize {
		if err := data.Standardize(f.shift, f.mul); err != nil {
			return nil, err
		}
		f.passes++
	}
	if err := data.Init(theta, mask, ridge); err != nil {
		return nil, err
	}
	f.binomialAccuracy(smp, theta)
	runErr := f.runNewton(ctx, smp, theta)
	var sep *SeparableError
	if errors.As(runErr, &sep) {
		return nil, runErr
	}
	var div *DivergedError
	if errors.As(runErr, &div) {
		div.Method, div.Loss0 = "newton", f.loss0
		return nil, div
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return nil, runErr
	}
	if err := f.finishBinomial(smp); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	if runErr != nil {
		res.Converged = false
		res.Reason = "interrupted"
		return res, fmt.Errorf("lsgd: interrupted at iteration %d (pass %.1f of %d), log-loss %.6g: %w",
			res.Iterations, res.Passes, f.maxEpochs, res.Loss, runErr)
	}
	return res, nil
}

// takeSample copies sampleSize rows of the table, in evenly spaced
// contiguous blocks, standardized with f.shift and f.mul, onto the host.
func (f *fitter) takeSample() *logitSample {
	free := freeIndices(f.mask)
	s := sampleSize(f.n, f.p)
	nb := 1
	if s < f.n {
		nb = max(1, min(64, s/1024))
	}
	per := s / nb
	s = per * nb
	q := len(free)
	smp := &logitSample{q: q, s: s, x: make([]float64, s*q), y: make([]float64, s), w: make([]float64, s)}
	k := 0
	for b := 0; b < nb; b++ {
		lo := int(int64(b) * int64(f.n) / int64(nb))
		for i := lo; i < lo+per; i++ {
			row := smp.x[k*q : (k+1)*q]
			nn := 0.0
			for a, j := range free {
				v := 1.0
				if j < f.c {
					v = (f.t.At(i, j) - f.shift[j]) * f.mul[j]
				}
				row[a] = v
				nn += v * v
			}
			smp.rmax = math.Max(smp.rmax, math.Sqrt(nn))
			smp.y[k] = f.t.At(i, f.t.Target)
			smp.w[k] = f.t.Weight(i)
			k++
		}
	}
	f.curv.SampleRows, f.curv.Exact = s, s == f.n
	f.passes += float64(s) / float64(f.n)
	return smp
}

// hessian returns the sample Hessian at θ over the free coordinates,
// (1/S)·Σ w_i·x̃_i x̃_iᵀ + 2·diag(ridge), w_i = σ(z_i)(1 − σ(z_i)), summed
// in chunks of hessianChunk rows on all cores and merged in a fixed order.
func (f *fitter) hessian(smp *logitSample, theta []float64) [][]float64 {
	free := freeIndices(f.mask)
	q := smp.q
	th := make([]float64, q)
	for a, j := range free {
		th[a] = theta[j]
	}
	nch := (smp.s + hessianChunk - 1) / hessianChunk
	parts := make([][]float64, nch)
	par.For(nch, 0, func(_, k int) {
		h := make([]float64, q*q)
		for i := k * hessianChunk; i < min((k+1)*hessianChunk, smp.s); i++ {
			x := smp.x[i*q : (i+1)*q]
			z := 0.0
			for a, v := range x {
				z += v * th[a]
			}
			sg := Sigmoid(z)
			w := smp.w[i] * sg * (1 - sg)
			for a := 0; a < q; a++ {
				wa := w * x[a]
				row := h[a*q : a*q+q]
				for b := a; b < q; b++ {
					row[b] += wa * x[b]
				}
			}
		}
		parts[k] = h
	})
	H := make([]float64, q*q)
	for _, h := range parts {
		for i, v := range h {
			H[i] += v
		}
	}
	out := make([][]float64, q)
	for a := range out {
		out[a] = make([]float64, q)
	}
	for a := 0; a < q; a++ {
		for b := a; b < q; b++ {
			v := H[a*q+b] / float64(smp.s)
			out[a][b], out[b][a] = v, v
		}
		out[a][a] += 2 * f.ridge[free[a]]
	}
	return out
}

// curvatureAt analyses the sample Hessian at θ: f.curv (its extreme
// eigenvalues, collinear groups) and f.pc, its pseudo-inverse.
func (f *fitter) curvatureAt(smp *logitSample, theta []float64) {
	Hq := f.hessian(smp, theta)
	free := freeIndices(f.mask)
	q := len(free)
	H := mat.NewSymDense(q, nil)
	for a := 0; a < q; a++ {
		for b := a; b < q; b++ {
			H.SetSym(a, b, Hq[a][b])
		}
	}
	rows, exact := f.curv.SampleRows, f.curv.Exact
	f.curv, f.pc = analyze(H, free, f.p)
	f.curv.SampleRows, f.curv.Exact = rows, exact
}

// binomialAccuracy sizes the accuracy limit (what the precision can
// certify) from the sample Hessian at θ₀ and resolves the tolerance, as
// prepare does for least squares: rounding the data and the gradient's
// sums to u moves the solution by about cond·u.
func (f *fitter) binomialAccuracy(smp *logitSample, theta []float64) {
	res := f.res
	f.curvatureAt(smp, theta)
	res.Cond, res.CondSample = f.curv.Cond, f.curv.SampleRows
	for _, g := range f.curv.Collinear {
		res.Warnings = append(res.Warnings, f.collinearWarning(g))
	}
	f.amp = 1
	if f.t.Precision() == F64 && f.prec == F32 && !f.data.Caps().CenteredStorage {
		for j := 0; j < f.c; j++ {
			if j != f.t.Target {
				f.amp = math.Max(f.amp, 1+math.Abs(f.shift[j])*f.mul[j])
			}
		}
	}
	res.Accuracy = 10 * f.curv.Cond * f.prec.UnitRoundoff() * f.amp
	if !f.userTol {
		f.opt.Tol = math.Max(f.opt.Tol, math.Min(2*res.Accuracy, maxUsefulAccuracy))
	}
	res.Tol = f.opt.Tol
	if res.Accuracy > f.opt.Tol || res.Accuracy > maxUsefulAccuracy {
		if f.prec == F32 {
			res.addFix(len(res.Warnings), FixFloat64)
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"%s arithmetic can only certify the coefficients to ≈ %.2g relative here (cond ≈ %.2g)",
			f.prec, res.Accuracy, f.curv.Cond))
	}
}

// logitGap is the certified relative distance to the optimum at θ with
// gradient norm gn, and whether the certificate's condition holds.
//
// With μ = λmin of the Hessian at θ, the logistic loss's Hessian at θ′
// is ⪰ e^{−R·‖θ′−θ‖}·H(θ), R the largest row norm, since σ′(z+δ) ≥
// e^{−|δ|}σ′(z). On the ball of radius ρ = 2‖g‖/μ around θ it is therefore
// ⪰ μ/2 when R·ρ ≤ ln 2, and then ‖θ − θ*‖ ≤ 2‖g‖/μ. μ and R come from
// the sample (exact when the sample is every row), hence gapSafety's
// margin on top.
func (f *fitter) logitGap(smp *logitSample, gn, thetaNorm float64) (gap float64, local bool) {
	r := f.gapSafety() * 2 * gn / f.curv.Min
	return r / math.Max(thetaNorm, 1), smp.rmax*r <= math.Ln2
}

// runNewton is the optimizer loop of the binomial family (see the top of
// this file). It leaves θ in the Theta slot and the status of the last
// pass at θ in f.final.
func (f *fitter) runNewton(ctx context.Context, smp *logitSample, theta []float64) error {
	res := f.res
	p := f.p
	f.maxEpochs = f.opt.Epochs
	maxPasses := float64(f.maxEpochs)
	penalized := false
	for _, r := range f.ridge {
		penalized = penalized || r > 0
	}
	g := make([]float64, p)
	dir := make([]float64, p)
	prev := make([]float64, p)
	var prevLoss, slope, prevGn float64
	step := 1.0
	fresh := true // the curvature was computed at θ₀ already
	for k := 0; ; k++ {
		st, err := f.fullGradient(theta, g)
		if err != nil {
			return err
		}
		loss, gn := st.Loss, math.Sqrt(st.GradNorm2)
		if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(gn) || math.IsInf(gn, 0) {
			return &DivergedError{Iteration: f.iter, Loss: loss}
		}
		f.final = &st
		if k == 0 {
			f.loss0, f.gnorm0 = loss, gn
			if gn == 0 {
				f.reason = "gradient"
				return nil
			}
		} else if !(loss <= prevLoss+1e-4*step*slope+8*f.prec.UnitRoundoff()*math.Abs(prevLoss)) {
			// Armijo's test failed: halve the step from the previous point.
			step /= 2
			if step < 1e-10 || f.passes+1 >= maxPasses {
				f.reason = "loss-stalled"
				copy(theta, prev)
				return f.restore(theta)
			}
			for j := range theta {
				theta[j] = prev[j] + step*dir[j]
			}
			continue
		}
		tn := math.Sqrt(freeNorm2(theta, f.mask))
		if !penalized && (tn > separableNorm || loss < separableLoss) {
			return &SeparableError{Source: f.t.Label(), Iteration: f.iter, ThetaNorm: tn, Loss: loss}
		}
		// The Hessian changes little once the steps are small: keep it
		// when the last step moved no z by more than 10⁻³ (W changes by
		// at most 0.1%).
		if !fresh && step*norm(dir)*smp.rmax > 1e-3 {
			f.curvatureAt(smp, theta)
		}
		fresh = false
		gap, local := f.logitGap(smp, gn, tn)
		res.History = append(res.History, loss)
		res.HistoryIt = append(res.HistoryIt, f.iter)
		if f.opt.Progress != nil {
			f.opt.Progress(Progress{Iteration: f.iter, Epoch: f.epoch, MaxEpochs: f.maxEpochs,
				Loss: loss, RelGrad: gn / f.gnorm0, Gap: gap})
		}
		switch {
		case gap <= f.stopGap() && local:
			f.reason = "gradient"
			return nil
		case k > 0 && step == 1 && gn > 0.5*prevGn && gap <= 1e3*f.stopGap() && local:
			// A full step near the optimum no longer halves the gradient:
			// it is at the level of its own rounding.
			f.reason = "loss-stalled"
			return nil
		case f.passes+1 >= maxPasses:
			f.reason = "max-epochs"
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// The Newton direction d = −H_s⁻¹·g and its slope g·d < 0.
		f.pc.apply(dir, g)
		scal(-1, dir)
		slope = dot(g, dir)
		if !(slope < 0) {
			f.reason = "loss-stalled" // no descent left at this precision
			return nil
		}
		copy(prev, theta)
		prevLoss, prevGn, step = loss, gn, 1
		for j := range theta {
			theta[j] += dir[j]
		}
		f.iter++
	}
}

// restore evaluates the fused pass at θ once more so that the Theta slot
// and f.final describe the point the loop ends on.
func (f *fitter) restore(theta []float64) error {
	if err := f.data.SetVector(Theta, theta); err != nil {
		return err
	}
	if err := f.data.Gradient(Theta, Rows{Lo: 0, Hi: f.n}); err != nil {
		return err
	}
	f.passes++
	st, err := f.data.Status()
	if err != nil {
		return err
	}
	f.final = &st
	return nil
}

// finishBinomial certifies the result, maps it to the original scale and
// computes accuracy, log-loss and AUC from the final pass and the linear
// predictor of every row.
func (f *fitter) finishBinomial(smp *logitSample) error {
	res := f.res
	st := *f.final
	theta := make([]float64, f.p)
	if err := f.data.Vector(Theta, theta); err != nil {
		return err
	}
	for _, v := range theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &DivergedError{Iteration: f.iter, Loss: math.NaN(), Method: "newton"}
		}
	}
	gn := math.Sqrt(st.GradNorm2)
	pn, ridgeTerm := 0.0, 0.0
	for j, v := range theta {
		if f.mask[j] != 0 {
			pn += v * v
		}
		ridgeTerm += f.ridge[j] * v * v
	}
	tn := math.Sqrt(pn)
	res.Iterations, res.Epochs, res.Passes = f.iter, f.epoch, f.passes
	if f.gnorm0 > 0 {
		res.RelGrad = gn / f.gnorm0
	}
	res.Cond = f.curv.Cond
	gap, local := f.logitGap(smp, gn, tn)
	res.GapBound = gap
	res.ErrorBound = gap + res.Accuracy
	res.Loss = st.Loss
	res.LogLoss = math.Max(st.Loss-ridgeTerm, 0)
	res.MSE, res.R2 = math.NaN(), math.NaN()

	// Back to the original scale (the label is neither shifted nor
	// scaled): coef_j = θ_j·mul_j, intercept = b − Σ θ_j·mul_j·shift_j.
	tg := f.t.Target
	b := theta[f.c]
	res.Coef = res.Coef[:0]
	res.CoefBound = res.CoefBound[:0]
	thn := math.Max(tn, 1)
	E := res.ErrorBound * thn
	ib := 1.0
	for j := 0; j < f.c; j++ {
		if j == tg {
			continue
		}
		res.Coef = append(res.Coef, theta[j]*f.mul[j])
		res.CoefBound = append(res.CoefBound, E*f.mul[j])
		b -= theta[j] * f.mul[j] * f.shift[j]
		ib += (f.mul[j] * f.shift[j]) * (f.mul[j] * f.shift[j])
	}
	res.Intercept = b
	res.InterceptBound = E * math.Sqrt(ib)
	if f.opt.NoIntercept {
		res.Intercept, res.InterceptBound = 0, 0
	}

	// Accuracy and AUC from the linear predictor of every row.
	z := make([]float64, f.n)
	if err := f.data.Predict(Theta, z); err != nil {
		return err
	}
	y := make([]float64, f.n)
	for i := range y {
		y[i] = f.t.At(i, tg)
	}
	res.ClassAccuracy, res.AUC = WeightedClassification(z, y, f.t.Weights)

	res.Converged = (res.ErrorBound <= f.opt.Tol && res.Accuracy <= maxUsefulAccuracy && local) || f.gnorm0 == 0
	res.Reason = f.reason
	switch {
	case f.gnorm0 == 0:
		res.Reason = "gradient (zero at the start)"
	case res.Converged:
	case !local:
		res.Reason += "; the curvature bound does not hold yet (‖g‖ too large for the local strong convexity)"
	case res.Accuracy > f.opt.Tol/2:
		res.Reason += fmt.Sprintf("; precision-limited: %s with cond ≈ %.2g certifies only ≈ %.2g relative", f.prec, f.curv.Cond, res.Accuracy)
	case f.curv.Cond > 1e6:
		res.Reason += fmt.Sprintf("; ill-conditioned (cond ≈ %.2g)", f.curv.Cond)
	}
	return nil
}

// Classification returns the accuracy (the fraction of rows with z ≥ 0
// exactly when y = 1) and the area under the ROC curve (the probability
// that a random positive row scores above a random negative one, ties
// counting half) of the linear predictors z against 0/1 labels y. The AUC
// is NaN when only one class occurs.
func Classification(z, y []float64) (accuracy, auc float64) {
	return WeightedClassification(z, y, nil)
}

// WeightedClassification is Classification with row i counting w_i times
// (w nil: once each), as if repeated.
func WeightedClassification(z, y, w []float64) (accuracy, auc float64) {
	type scored struct{ z, w float64 }
	wt := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	var right, total float64
	var pos, neg []scored
	for i, v := range z {
		wi := wt(i)
		if wi == 0 {
			continue
		}
		total += wi
		if (v >= 0) == (y[i] == 1) {
			right += wi
		}
		if y[i] == 1 {
			pos = append(pos, scored{v, wi})
		} else {
			neg = append(neg, scored{v, wi})
		}
	}
	if total == 0 {
		return math.NaN(), math.NaN()
	}
	accuracy = right / total
	if len(pos) == 0 || len(neg) == 0 {
		return accuracy, math.NaN()
	}
	byZ := func(a, b scored) int { return cmp.Compare(a.z, b.z) }
	slices.SortFunc(pos, byZ)
	slices.SortFunc(neg, byZ)
	// Mann–Whitney: for each positive score, the weight of the negatives
	// below it and half of those equal to it, by a merge of the two sorted
	// lists over the negatives' cumulative weights.
	cum := make([]float64, len(neg)+1)
	for k, s := range neg {
		cum[k+1] = cum[k] + s.w
	}
	var wins, wpos float64
	lo, hi := 0, 0 // neg[:lo] < v, neg[:hi] ≤ v
	for _, s := range pos {
		for lo < len(neg) && neg[lo].z < s.z {
			lo++
		}
		hi = max(hi, lo)
		for hi < len(neg) && neg[hi].z <= s.z {
			hi++
		}
		wins += s.w * (cum[lo] + 0.5*(cum[hi]-cum[lo]))
		wpos += s.w
	}
	wneg := cum[len(neg)]
	return accuracy, wins / (wpos * wneg)
}
