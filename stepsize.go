package lsgd

import "math"

// The second stage of a fit: the step size, from a power iteration
// started at the curvature sample's top eigenvector, and the per-step
// constants every update is given.

// powerIterations estimates L = λmax(H) on the full data, starting from the
// sample's top eigenvector, so a few passes suffice.
func (f *fitter) estimateL(maxIter int) (float64, error) {
	v := append([]float64(nil), f.curv.Top...)
	if norm(v) == 0 {
		for j := range v {
			v[j] = f.mask[j]
		}
	}
	scal(1/norm(v), v)
	g := make([]float64, f.p)
	lambda := 0.0
	all := Rows{Lo: 0, Hi: f.n}
	for k := 0; k < maxIter; k++ {
		if err := f.data.SetVector(Look, v); err != nil {
			return 0, err
		}
		if err := f.data.Gradient(Look, all); err != nil {
			return 0, err
		}
		f.passes++
		if err := f.data.Vector(Grad, g); err != nil {
			return 0, err
		}
		rq := dot(v, g) // Rayleigh quotient, a lower bound on λmax
		gn := norm(g)
		if gn == 0 || math.IsNaN(gn) || math.IsInf(gn, 0) {
			break
		}
		prev := lambda
		lambda = math.Max(lambda, rq)
		copy(v, g)
		scal(1/gn, v)
		if k > 0 && math.Abs(lambda-prev) <= 1e-3*lambda {
			break
		}
	}
	if lambda <= 0 || math.IsNaN(lambda) {
		lambda = math.Max(f.curv.Max, 1e-300)
	}
	if _, err := f.data.Status(); err != nil { // drop the power iteration's sums
		return 0, err
	}
	// Rayleigh quotients approach λmax from below: keep a margin.
	return lambda * 1.02, nil
}

func (f *fitter) chooseStep() error {
	o := &f.opt
	m := o.Optimizer.method()
	f.batch, f.maxEpochs = o.Batch, o.Epochs
	if o.Optimizer == OptPCG {
		return nil // no step size: the steps come from the data
	}
	if o.LR > 0 {
		f.lr = o.LR
		return nil
	}
	switch m {
	case RMSprop, Adam:
		f.lr = 1e-2
		return nil
	}
	L, err := f.estimateL(8)
	if err != nil {
		return err
	}
	f.L = L
	f.lr = 1 / L
	if f.batch > 0 {
		// A mini-batch's curvature exceeds the full data's; halve the step.
		f.lr = 0.5 / L
	}
	return nil
}

// step returns the update for iteration it (1-based) of the current epoch.
func (f *fitter) step(it int) Step {
	o := f.opt
	m := o.Optimizer.method()
	s := Step{Method: m, LR: f.lr, Eps: o.Eps}
	if f.batch > 0 && o.LR == 0 {
		// Mini-batch noise: decay the step (1/(1+e/5)) so SGD settles.
		s.LR = f.lr / (1 + math.Floor(f.epoch)/5)
	}
	switch m {
	case Momentum:
		s.Beta = o.Momentum
	case Nesterov:
		s.Beta = -1
		if o.Momentum > 0 {
			s.Beta = o.Momentum
		}
		s.Restart = f.batch == 0
	case RMSprop:
		s.Beta = o.Beta2
	case Adam:
		s.Beta, s.Beta2 = o.Beta1, o.Beta2
		s.Bias1 = 1 - math.Pow(o.Beta1, float64(it))
		s.Bias2 = 1 - math.Pow(o.Beta2, float64(it))
	}
	return s
}

// stableLR is the largest step size for which the method is stable on a
// quadratic with curvature L.
func stableLR(m Method, beta, L float64) float64 {
	switch m {
	case GD:
		return 2 / L
	case Momentum:
		return 2 * (1 + beta) / L
	case Nesterov:
		return 1 / L
	}
	return 0
}
