package lsgd

import (
	"context"
	"math"
)

// pcgInner is the most conjugate-gradient steps between two evaluations of
// the true gradient; the recurrence for the residual drifts from the true
// gradient by rounding, so each round restarts from a fresh one (iterative
// refinement on residuals).
const pcgInner = 50

// runPCG is the preconditioned conjugate-gradient method on the normal
// equations H·θ = b of the standardized problem, with M = the sample
// Hessian as preconditioner. Every pass over the data is the backend's
// fused gradient kernel: at θ (target entry −1) it gives the true gradient
// g(θ) = H·θ − b, at a direction d (target entry 0) the product H·d. The
// p-vectors and the d×d algebra stay on the host in float64; a pass reads
// back p numbers.
//
// Rounds: the true gradient at θ, then conjugate-gradient steps on
// H·δ = −g(θ) until the recurrence's residual certifies the gap, then
// θ ← θ + δ and a new round. A round that no longer halves the true
// gradient has reached what the precision allows.
func (f *fitter) runPCG(ctx context.Context) error {
	res := f.res
	all := Rows{Lo: 0, Hi: f.n}
	p := f.p
	theta, _, _ := f.initial()
	g := make([]float64, p)
	r := make([]float64, p)
	z := make([]float64, p)
	d := make([]float64, p)
	q := make([]float64, p)
	delta := make([]float64, p)
	maxPasses := float64(f.maxEpochs)
	prevG := math.Inf(1)
	// Each further digit costs about one pass, and the gap bound is
	// pessimistic where a coefficient's scale is small: with the default
	// tolerance aim two digits below the stopping gap, or at what the
	// precision allows; a tolerance the caller chose is taken as asked.
	goal := math.Max(f.stopGap()/100, 2*f.res.Accuracy)
	if f.userTol {
		goal = f.stopGap()
	}
	for round := 0; ; round++ {
		// The true gradient at θ.
		st, err := f.fullGradient(theta, g)
		if err != nil {
			return err
		}
		gn := math.Sqrt(st.GradNorm2)
		if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) || math.IsNaN(gn) || math.IsInf(gn, 0) {
			return &DivergedError{Iteration: f.iter, Loss: st.Loss}
		}
		if round == 0 {
			f.loss0, f.gnorm0 = st.Loss, gn
			if gn == 0 {
				f.reason = "gradient" // already optimal (e.g. a constant target)
				f.final = &st
				return nil
			}
		}
		tn := math.Max(math.Sqrt(freeNorm2(theta, f.mask)), 1)
		gap := f.gapSafety() * gn / (f.curv.Min * tn)
		res.History = append(res.History, st.Loss*f.lossScale())
		res.HistoryIt = append(res.HistoryIt, f.iter)
		if f.opt.Progress != nil {
			f.opt.Progress(Progress{Iteration: f.iter, Epoch: f.epoch, MaxEpochs: f.maxEpochs,
				Loss: st.Loss * f.lossScale(), RelGrad: gn / f.gnorm0, Gap: gap})
		}
		switch {
		case gap <= goal:
			f.reason = "gradient"
			f.final = &st
			return nil
		case gn > 0.5*prevG:
			// Refinement no longer gains: the gradient is at the level
			// of its own rounding.
			f.reason = "loss-stalled"
			if gap <= f.stopGap() {
				f.reason = "gradient"
			}
			f.final = &st
			return nil
		case f.passes+1 >= maxPasses:
			f.reason = "max-epochs"
			f.final = &st
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		prevG = gn

		// Conjugate gradients on H·δ = −g from δ = 0.
		for j := range r {
			r[j] = -g[j]
		}
		clear(delta)
		f.pc.apply(z, r)
		copy(d, z)
		rz := dot(r, z)
		for k := 0; k < pcgInner && f.passes+2 < maxPasses; k++ {
			if err := f.data.SetVector(Look, d); err != nil {
				return err
			}
			if err := f.data.Gradient(Look, all); err != nil {
				return err
			}
			f.passes++
			f.epoch++
			f.iter++
			if err := f.data.Vector(Grad, q); err != nil {
				return err
			}
			dq := dot(d, q)
			if !(dq > 0) || math.IsInf(dq, 0) {
				break // no curvature left along d at this precision
			}
			alpha := rz / dq
			for j := range delta {
				delta[j] += alpha * d[j]
				r[j] -= alpha * q[j]
			}
			tn := math.Max(math.Sqrt(freeNorm2Sum(theta, delta, f.mask)), 1)
			if f.gapSafety()*norm(r)/(f.curv.Min*tn) <= goal/4 {
				break
			}
			f.pc.apply(z, r)
			rzNew := dot(r, z)
			if !(rzNew > 0) {
				break
			}
			beta := rzNew / rz
			rz = rzNew
			for j := range d {
				d[j] = z[j] + beta*d[j]
			}
			if err := ctx.Err(); err != nil {
				break
			}
		}
		for j := range theta {
			theta[j] += delta[j]
		}
		f.iter++
	}
}

// freeNorm2 is ‖θ‖² over the free entries.
func freeNorm2(theta, mask []float64) float64 {
	s := 0.0
	for j, v := range theta {
		if mask[j] != 0 {
			s += v * v
		}
	}
	return s
}

// freeNorm2Sum is ‖θ + δ‖² over the free entries.
func freeNorm2Sum(theta, delta, mask []float64) float64 {
	s := 0.0
	for j, v := range theta {
		if mask[j] != 0 {
			v += delta[j]
			s += v * v
		}
	}
	return s
}

// sampleRho estimates ρ = ‖r‖/(‖X̃‖·‖θ‖) at the sample's least-squares
// solution θ_s = M⁻¹·(2/s)·X̃_sᵀy_s: the relative residual that sets the
// κ²·u part of what the precision can certify.
func sampleRho(G []float64, p, s, target int, mask []float64, pc *precond, lmax float64) float64 {
	b := make([]float64, p)
	for j := range b {
		if mask[j] != 0 {
			b[j] = 2 * G[j*p+target] / float64(s)
		}
	}
	th := make([]float64, p)
	pc.apply(th, b)
	th[target] = -1
	mse := 0.0
	for a := 0; a < p; a++ {
		row := 0.0
		for c := 0; c < p; c++ {
			row += G[a*p+c] * th[c]
		}
		mse += th[a] * row
	}
	mse = math.Max(mse/float64(s), 0)
	tn := math.Sqrt(freeNorm2(th, mask))
	if tn == 0 || lmax <= 0 {
		return 1
	}
	return math.Sqrt(mse) / (math.Sqrt(lmax/2) * tn)
}

// accuracyPCG is what refinement on residuals can certify: 10·u·amp·(κ +
// κ²·ρ), κ = √cond the condition number of the standardized data, ρ the
// relative residual (least-squares perturbation theory: a perturbation of
// the data by u moves the solution by κ·u, plus κ²·u times the relative
// residual; the gradient's own rounding passes through X̃⁺, not H⁻¹).
func (f *fitter) accuracyPCG(rho float64) float64 {
	u := f.prec.UnitRoundoff()
	return 10 * u * f.amp * (math.Sqrt(f.curv.Cond) + f.curv.Cond*rho)
}

// fullGradient uploads θ, runs the fused pass over every row and reads back
// the status and the gradient into g: one pass.
func (f *fitter) fullGradient(theta, g []float64) (Status, error) {
	if err := f.data.SetVector(Theta, theta); err != nil {
		return Status{}, err
	}
	if err := f.data.Gradient(Theta, Rows{Lo: 0, Hi: f.n}); err != nil {
		return Status{}, err
	}
	f.passes++
	f.epoch++
	st, err := f.data.Status()
	if err != nil {
		return Status{}, err
	}
	return st, f.data.Vector(Grad, g)
}
