package lsgd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Optimizer names a training method as the command line spells it.
type Optimizer string

// The optimizers. SGD is gradient descent on mini-batches of rows,
// reshuffled every epoch.
const (
	OptGD       Optimizer = "gd"
	OptMomentum Optimizer = "momentum"
	OptNesterov Optimizer = "nesterov"
	OptRMSprop  Optimizer = "rmsprop"
	OptAdam     Optimizer = "adam"
	OptSGD      Optimizer = "sgd"
)

// Optimizers lists every optimizer, the default first.
var Optimizers = []Optimizer{OptNesterov, OptGD, OptMomentum, OptRMSprop, OptAdam, OptSGD}

// DefaultOptimizer is Nesterov's method with step 1/L and adaptive restart:
// the fewest passes over the data for least squares among the methods.
const DefaultOptimizer = OptNesterov

// ParseOptimizer checks an optimizer name.
func ParseOptimizer(s string) (Optimizer, error) {
	for _, o := range Optimizers {
		if string(o) == strings.ToLower(s) {
			return o, nil
		}
	}
	names := make([]string, len(Optimizers))
	for i, o := range Optimizers {
		names[i] = string(o)
	}
	return "", inputErrorf("unknown optimizer %q (want one of %s)", s, strings.Join(names, ", "))
}

func (o Optimizer) method() Method {
	switch o {
	case OptMomentum:
		return Momentum
	case OptNesterov, "":
		return Nesterov
	case OptRMSprop:
		return RMSprop
	case OptAdam:
		return Adam
	}
	return GD
}

// Options configure Fit. The zero value is the safe default: intercept on,
// features standardized, Nesterov with step 1/L, tolerance and epochs from
// the precision.
type Options struct {
	Optimizer     Optimizer // "" means DefaultOptimizer
	LR            float64   // step size on the standardized problem; 0 means auto (1/L, or 0.01 for RMSprop/Adam)
	Epochs        int       // passes over the data at most; 0 means a default per optimizer
	Batch         int       // rows per mini-batch; 0 means full batch (SGD: 512)
	Tol           float64   // certified relative accuracy of the coefficients to stop at; 0 means 1e-8 (f64) or 1e-5 (f32)
	L2            float64   // λ in MSE + λ‖θ‖² (θ on the original scale, intercept not penalized)
	Seed          uint64    // shuffling seed for mini-batches
	NoIntercept   bool      // fit y = x·θ (columns are scaled, not centred)
	NoStandardize bool      // fit on the raw columns
	Momentum      float64   // momentum β (default 0.9; Nesterov: the k/(k+3) schedule with restarts)
	Beta1, Beta2  float64   // Adam's β₁, β₂ (defaults 0.9, 0.999); RMSprop's ρ is Beta2 (default 0.9)
	Eps           float64   // RMSprop/Adam ε (default 1e-8)
	CheckEvery    int       // full-batch iterations between readbacks; 0 means 10
	InPlace       bool      // the backend may standardize the table's storage in place
	Progress      func(Progress)
}

// Progress is reported at every check.
type Progress struct {
	Iteration int
	Epoch     float64
	MaxEpochs int
	Loss      float64 // on the original scale
	RelGrad   float64 // ‖g‖/‖g₀‖
	Gap       float64 // certified relative distance to the optimum (estimate)
}

// Result is a fitted model on the user's original scale, with the evidence
// of convergence.
type Result struct {
	Features  []string  `json:"features"`
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	MSE       float64   `json:"mse"`
	R2        float64   `json:"r2"`
	Loss      float64   `json:"loss"` // MSE + λ‖θ‖²

	Optimizer  string  `json:"optimizer"`
	Iterations int     `json:"iterations"`
	Epochs     float64 `json:"epochs"`
	Passes     float64 `json:"passes"` // reads of the whole data, statistics and step-size estimation included
	Converged  bool    `json:"converged"`
	Reason     string  `json:"reason"`
	RelGrad    float64 `json:"grad_norm_rel"`  // final ‖g‖/‖g₀‖
	GapBound   float64 `json:"gap_bound"`      // final ‖g‖/(μ·max(‖θ‖,1)) on the standardized problem
	Cond       float64 `json:"cond"`           // estimated condition number of the standardized Hessian
	LR         float64 `json:"lr"`             // step size used (standardized problem)
	L          float64 `json:"lipschitz"`      // power-iteration estimate of L (0 if not needed)
	CondSample int     `json:"cond_sample"`    // rows in the curvature sample
	Restarts   int     `json:"restarts"`       // Nesterov restarts
	Accuracy   float64 `json:"accuracy_limit"` // ≈ 10·cond·u·(1+max|μ|/s): the relative accuracy the precision allows
	ErrorBound float64 `json:"error_bound"`    // gap_bound + accuracy_limit: certified relative distance to the exact solution
	Tol        float64 `json:"tol"`            // the relative accuracy asked for (converged: error_bound ≤ tol)
	// CoefBound and InterceptBound bound |coef − exact| on the original
	// scale, mapped from error_bound on the standardized problem.
	CoefBound      []float64 `json:"coef_bound"`
	InterceptBound float64   `json:"intercept_bound"`

	Backend     string    `json:"backend"`
	Device      string    `json:"device"`
	Precision   string    `json:"precision"`
	Seconds     float64   `json:"seconds"`
	Warnings    []string  `json:"warnings,omitempty"`
	History     []float64 `json:"-"` // loss (original scale) at every check
	HistoryIt   []int     `json:"-"` // iteration of each History entry
	Intercepted bool      `json:"-"`
}

// Fit trains a linear least-squares model on the table with backend b.
// The control logic (standardization, step size, schedule, stopping,
// divergence) is here, once; the backend runs the kernels.
//
// Fit returns an error wrapping ErrInput for bad data (constant columns,
// fewer rows than coefficients), *DivergedError when the loss blows up, and,
// when ctx is cancelled, the partial result together with an error saying
// how far it got.
func Fit(ctx context.Context, b Backend, t *Table, opt Options) (*Result, error) {
	start := time.Now()
	if err := t.Check(); err != nil {
		return nil, &InputError{Msg: err.Error()}
	}
	if opt.Optimizer == "" {
		opt.Optimizer = DefaultOptimizer
	}
	if _, err := ParseOptimizer(string(opt.Optimizer)); err != nil {
		return nil, err
	}
	if err := checkOptions(&opt); err != nil {
		return nil, err
	}
	prec := b.Precision()
	u := prec.UnitRoundoff()
	userTol := opt.Tol > 0
	if !userTol {
		opt.Tol = 1e-8
		if prec == F32 {
			opt.Tol = 1e-5
		}
	}
	n, c := t.Rows, t.Cols
	p := c + 1
	nfree := c - 1
	if !opt.NoIntercept {
		nfree++
	}
	if n < nfree {
		return nil, inputErrorf("%s: %d rows but %d coefficients to fit: least squares needs at least as many rows as coefficients",
			t.Label(), n, nfree)
	}

	f := &fitter{opt: opt, t: t, n: n, c: c, p: p, prec: prec}
	data, err := b.Load(t, opt.InPlace)
	if err != nil {
		return nil, err
	}
	defer data.Release()
	f.data = data

	// Statistics and standardization.
	center := !opt.NoIntercept
	mean, scale, err := data.Moments(center)
	if err != nil {
		return nil, err
	}
	f.passes++
	if err := f.standardization(mean, scale); err != nil {
		return nil, err
	}
	theta, mask, ridge := f.initial()
	f.mask, f.ridge = mask, ridge
	f.curv = estimateCurvature(t, f.shift, f.mul, mask, ridge)
	if !opt.NoStandardize {
		if err := data.Standardize(f.shift, f.mul); err != nil {
			return nil, err
		}
		f.passes++
	}
	res := &Result{Features: t.FeatureNames(), Optimizer: string(opt.Optimizer), Backend: b.Name(),
		Device: b.Device(), Precision: prec.String(), Cond: f.curv.Cond, CondSample: f.curv.SampleRows,
		Intercepted: !opt.NoIntercept}
	f.res = res
	for _, g := range f.curv.Collinear {
		res.Warnings = append(res.Warnings, f.collinearWarning(g))
	}
	// What the precision allows: rounding the standardized values to u
	// perturbs the problem by about u relative, and the solution by up to
	// cond times that (cond of the Hessian covers the κ² term of
	// least-squares perturbation theory); a factor 10 for the sums. When
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
	res.Accuracy = 10 * f.curv.Cond * u * amp
	if !userTol {
		// The default asks for what the precision can certify.
		f.opt.Tol = math.Max(f.opt.Tol, math.Min(2*res.Accuracy, maxUsefulAccuracy))
	}
	res.Tol = f.opt.Tol
	if res.Accuracy > f.opt.Tol || res.Accuracy > maxUsefulAccuracy {
		hint := ""
		if prec == F32 {
			hint = "; use --precision f64"
		}
		why := fmt.Sprintf("cond ≈ %.2g", f.curv.Cond)
		if amp > 2 {
			why += fmt.Sprintf(" and float64 values rounded to float32 with offsets up to %.2g× their spread", amp-1)
		}
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"%s arithmetic can only certify the coefficients to ≈ %.2g relative here (%s)%s",
			prec, res.Accuracy, why, hint))
	}

	if err := data.Init(theta, mask, ridge); err != nil {
		return nil, err
	}
	if err := f.chooseStep(); err != nil {
		return nil, err
	}
	res.LR, res.L = f.lr, f.L
	if err := data.Init(theta, mask, ridge); err != nil {
		return nil, err
	}
	runErr := f.run(ctx)
	var div *DivergedError
	if errors.As(runErr, &div) {
		return nil, f.diverged(div)
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return nil, runErr
	}
	if err := f.finish(); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	if runErr != nil {
		res.Converged = false
		res.Reason = "interrupted"
		return res, fmt.Errorf("lsgd: interrupted at iteration %d (epoch %.1f of %d), loss %.6g: %w",
			res.Iterations, res.Epochs, f.maxEpochs, res.Loss, runErr)
	}
	return res, nil
}

func checkOptions(o *Options) error {
	switch {
	case o.LR < 0 || math.IsNaN(o.LR) || math.IsInf(o.LR, 0):
		return inputErrorf("step size must be positive, got %g", o.LR)
	case o.Epochs < 0:
		return inputErrorf("epochs must be positive, got %d", o.Epochs)
	case o.Batch < 0:
		return inputErrorf("batch size must be positive, got %d", o.Batch)
	case o.Tol < 0 || o.Tol >= 1 || math.IsNaN(o.Tol):
		return inputErrorf("tolerance must be in (0, 1), got %g", o.Tol)
	case o.L2 < 0 || math.IsNaN(o.L2) || math.IsInf(o.L2, 0):
		return inputErrorf("L2 penalty must be ≥ 0, got %g", o.L2)
	case o.Momentum < 0 || o.Momentum >= 1:
		return inputErrorf("momentum must be in [0, 1), got %g", o.Momentum)
	case o.Beta1 < 0 || o.Beta1 >= 1 || o.Beta2 < 0 || o.Beta2 >= 1:
		return inputErrorf("beta1 and beta2 must be in [0, 1)")
	case o.Eps < 0:
		return inputErrorf("eps must be ≥ 0")
	case o.CheckEvery < 0:
		return inputErrorf("check interval must be positive")
	}
	return nil
}

type fitter struct {
	opt         Options
	t           *Table
	data        Data
	n, c, p     int
	prec        Precision
	shift, mul  []float64
	mask, ridge []float64
	curv        Curvature
	L, lr       float64
	maxEpochs   int
	batch       int
	passes      float64
	iter        int
	epoch       float64
	loss0       float64 // standardized loss at the start
	gnorm0      float64
	tgtScale    float64 // the target's spread about its mean (about zero without an intercept)
	reason      string
	res         *Result
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
					return inputErrorf("%s: column %q is all zeros: it carries no information; drop it", t.Label(), t.Name(j))
				}
			} else {
				return inputErrorf("%s: column %q is constant (every row ≈ %.6g): it duplicates the intercept; drop it or use --no-intercept",
					t.Label(), t.Name(j), mean[j])
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
		ridge[j] = f.opt.L2 * f.mul[j] * f.mul[j]
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
	f.batch = o.Batch
	if o.Optimizer == OptSGD && f.batch == 0 {
		f.batch = 512
	}
	if f.batch >= f.n {
		f.batch = 0
	}
	f.maxEpochs = o.Epochs
	if f.maxEpochs == 0 {
		switch {
		case f.batch > 0:
			f.maxEpochs = 100
		default:
			f.maxEpochs = 5000
		}
	}
	if o.CheckEvery == 0 {
		o.CheckEvery = 10
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.999
		if m == RMSprop {
			o.Beta2 = 0.9
		}
	}
	if o.Momentum == 0 && m == Momentum {
		o.Momentum = 0.9
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

func (f *fitter) diverged(d *DivergedError) error {
	m := f.opt.Optimizer.method()
	d.Method = string(f.opt.Optimizer)
	d.LR = f.lr
	d.Loss0 = f.loss0 / (f.mul[f.t.Target] * f.mul[f.t.Target])
	d.Loss = d.Loss / (f.mul[f.t.Target] * f.mul[f.t.Target])
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
	}
	return d
}

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
		if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsNaN(gn2) || math.IsInf(gn2, 0) ||
			loss > 100*f.loss0+1e-300 {
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

// finish evaluates the loss and gradient at the final θ (one more pass),
// certifies the result and maps it to the original scale.
func (f *fitter) finish() error {
	res := f.res
	if err := f.data.Gradient(Theta, Rows{Lo: 0, Hi: f.n}); err != nil {
		return err
	}
	f.passes++
	st, err := f.data.Status()
	if err != nil {
		return err
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
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
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
