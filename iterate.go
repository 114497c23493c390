package lsgd

import (
	"context"
	"math"
	"math/rand/v2"
)

// The third stage of a fit: the optimizer loop, with its stopping and
// divergence tests.

// gapSafety multiplies ‖g‖/μ, the bound on ‖θ − θ*‖: 2 when μ is the
// smallest eigenvalue of the Hessian of all rows (the bound is then tight
// for well-conditioned problems and rounding must not tip it over), 4 when
// μ comes from a sample of at least 16·p rows, whose extreme eigenvalues
// can be off by (1 ± √(p/S))².
func (f *fitter) gapSafety() float64 {
	if f.curv.Exact {
		return 2
	}
	return 4
}

// maxUsefulAccuracy is the largest accuracy limit under which a fit may
// still call itself converged.
const maxUsefulAccuracy = 1e-2

// stopGap is the certified gap at which the loop stops: the tolerance less
// what the precision costs, but at least a tenth of the tolerance (when the
// precision alone comes near the tolerance the fit cannot be certified, but
// goes on while it helps).
func (f *fitter) stopGap() float64 {
	tol, acc := f.opt.Tol, f.res.Accuracy
	return math.Max(tol-acc, tol/10)
}

func (f *fitter) lossScale() float64 {
	mt := f.mul[f.t.Target]
	return 1 / (mt * mt)
}

// run is the optimizer loop: kernels every iteration, a small readback
// every CheckEvery iterations (or every epoch with mini-batches).
func (f *fitter) run(ctx context.Context) error {
	o := f.opt
	if o.Optimizer == OptPCG {
		return f.runPCG(ctx)
	}
	res := f.res
	at := Theta
	if o.Optimizer.method() == Nesterov {
		at = Look
	}
	// The starting point's loss and gradient norm anchor every relative
	// test. Full batch: they come from the first iteration's gradient (at
	// θ₀ = Look₀), read back once; mini-batches need a full pass for them.
	anchor := func() (done bool, err error) {
		st, err := f.data.Status()
		if err != nil {
			return false, err
		}
		f.loss0, f.gnorm0 = st.Loss, math.Sqrt(st.GradNorm2)
		if f.gnorm0 == 0 {
			f.reason = "gradient" // already optimal (e.g. a constant target)
			return true, nil
		}
		return false, nil
	}
	if f.batch > 0 {
		if err := f.data.Gradient(Theta, Rows{Lo: 0, Hi: f.n}); err != nil {
			return err
		}
		f.passes++
		if done, err := anchor(); done || err != nil {
			return err
		}
	}
	var rng *rand.Rand
	var order []int32
	if f.batch > 0 {
		rng = rand.New(rand.NewPCG(o.Seed, 0x6c736764))
		order = make([]int32, f.n)
		for i := range order {
			order[i] = int32(i)
		}
	}
	sync := f.data.Caps().Synchronous
	prevLoss, bestGrad := math.Inf(1), math.Inf(1)
	stalled := 0
	stallTol := math.Max(o.Tol*o.Tol, 8*f.prec.UnitRoundoff())
	it := 0
	for f.epoch < float64(f.maxEpochs) {
		var loss, gn2, pn2 float64
		if f.batch > 0 {
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			if err := f.data.SetOrder(order); err != nil {
				return err
			}
			for lo := 0; lo < f.n; lo += f.batch {
				hi := min(lo+f.batch, f.n)
				if err := f.data.Gradient(at, Rows{Lo: lo, Hi: hi, Shuffled: true}); err != nil {
					return err
				}
				it++
				if err := f.data.Step(f.step(it)); err != nil {
					return err
				}
			}
			f.epoch++
			f.passes++
			st, err := f.data.Status()
			if err != nil {
				return err
			}
			loss, gn2, pn2 = st.LossSum/float64(max(st.Count, 1)), st.GradNorm2, st.ParamNorm2
			res.Restarts = st.Restarts
		} else {
			if err := f.data.Gradient(at, Rows{Lo: 0, Hi: f.n}); err != nil {
				return err
			}
			if it == 0 {
				if done, err := anchor(); done || err != nil {
					return err
				}
			}
			it++
			f.epoch++
			f.passes++
			if err := f.data.Step(f.step(it)); err != nil {
				return err
			}
			if it%o.CheckEvery != 0 && f.epoch < float64(f.maxEpochs) {
				if !sync {
					continue
				}
				// A host backend's readback is free: stop as soon as the
				// certified gap is reached (the full check, with the stall
				// test that needs a span of iterations, stays every
				// CheckEvery).
				st, err := f.data.Status()
				if err != nil {
					return err
				}
				if f.exploded(st.Loss, st.GradNorm2, st.ParamNorm2) {
					return &DivergedError{Iteration: it, Loss: st.Loss}
				}
				pn := math.Max(math.Sqrt(st.ParamNorm2), 1)
				if g := f.gapSafety() * math.Sqrt(st.GradNorm2) / (f.curv.Min * pn); g <= f.stopGap() {
					f.iter, f.reason = it, "gradient"
					return nil
				}
				continue
			}
			st, err := f.data.Status()
			if err != nil {
				return err
			}
			loss, gn2, pn2 = st.Loss, st.GradNorm2, st.ParamNorm2
			res.Restarts = st.Restarts
		}
		f.iter = it
		if f.exploded(loss, gn2, pn2) {
			return &DivergedError{Iteration: it, Loss: loss}
		}
		relGrad := math.Sqrt(gn2) / f.gnorm0
		gap := f.gapSafety() * math.Sqrt(gn2) / (f.curv.Min * math.Max(math.Sqrt(pn2), 1))
		res.History = append(res.History, loss*f.lossScale())
		res.HistoryIt = append(res.HistoryIt, it)
		if o.Progress != nil {
			o.Progress(Progress{Iteration: it, Epoch: f.epoch, MaxEpochs: f.maxEpochs,
				Loss: loss * f.lossScale(), RelGrad: relGrad, Gap: gap})
		}
		if f.batch == 0 && gap <= f.stopGap() {
			f.reason = "gradient"
			return nil
		}
		// Stalled: the loss no longer changes at working precision and
		// the gradient norm has stopped falling (≥ 0.1% per check).
		gnow := math.Sqrt(gn2)
		if math.Abs(prevLoss-loss) <= stallTol*math.Abs(loss) && gnow > 0.999*bestGrad {
			stalled++
			if stalled >= 3 {
				f.reason = "loss-stalled"
				return nil
			}
		} else {
			stalled = 0
		}
		prevLoss = loss
		bestGrad = math.Min(bestGrad, gnow)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	f.reason = "max-epochs"
	return nil
}

// exploded reports a loss, gradient or θ that is not finite, or a loss
// far (100×) above the starting loss: the signs of divergence at any
// readback.
func (f *fitter) exploded(loss, gn2, pn2 float64) bool {
	for _, v := range []float64{loss, gn2, pn2} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return true
		}
	}
	return loss > 100*f.loss0+1e-300
}

func (f *fitter) diverged(d *DivergedError) error {
	m := f.opt.Optimizer.method()
	d.Method = string(f.opt.Optimizer)
	d.LR = f.lr
	d.Loss0 = f.loss0 / (f.mul[f.t.Target] * f.mul[f.t.Target])
	d.Loss = d.Loss / (f.mul[f.t.Target] * f.mul[f.t.Target])
	if f.opt.Optimizer == OptPCG {
		// pcg takes no step: its divergence is arithmetic that left the
		// floating-point range.
		d.LR = 0
		return d
	}
	if f.L == 0 && (m == GD || m == Momentum || m == Nesterov) {
		// The step was given by hand: measure L now to name the stable step.
		theta, mask, ridge := f.initial()
		if err := f.data.Init(theta, mask, ridge); err == nil {
			if L, err := f.estimateL(20); err == nil {
				f.L = L
			}
		}
	}
	if f.L > 0 {
		d.StableLR = stableLR(m, f.opt.Momentum, f.L)
		if f.batch > 0 {
			// A mini-batch's curvature exceeds the full data's.
			d.StableLR /= 2
		}
	}
	// The suggestion is below the step that diverged whatever the
	// estimate says (a mini-batch, or an adaptive method, can diverge
	// below the full-batch stability limit), and below the limit.
	d.SuggestLR = f.lr / 10
	if m == RMSprop || m == Adam {
		d.SuggestLR = math.Min(d.SuggestLR, 1e-2) // their default
	}
	if d.StableLR > 0 {
		d.SuggestLR = math.Min(d.StableLR/2, f.lr/4)
	}
	return d
}
