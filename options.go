package lsgd

import (
	"math"
	"strings"
)

// Optimizer names a training method as the command line spells it.
type Optimizer string

// The optimizers. SGD is gradient descent on mini-batches of rows,
// reshuffled every epoch.
const (
	OptPCG      Optimizer = "pcg"
	OptGD       Optimizer = "gd"
	OptMomentum Optimizer = "momentum"
	OptNesterov Optimizer = "nesterov"
	OptRMSprop  Optimizer = "rmsprop"
	OptAdam     Optimizer = "adam"
	OptSGD      Optimizer = "sgd"
)

// Optimizers lists every optimizer, the default first.
var Optimizers = []Optimizer{OptPCG, OptNesterov, OptGD, OptMomentum, OptRMSprop, OptAdam, OptSGD}

// DefaultOptimizer is the preconditioned conjugate-gradient method: a
// handful of passes over the data at any conditioning (see runPCG).
const DefaultOptimizer = OptPCG

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
	case OptNesterov:
		return Nesterov
	case OptRMSprop:
		return RMSprop
	case OptAdam:
		return Adam
	}
	return GD
}

// Options configure Fit. The zero value is the safe default: intercept on,
// features standardized, preconditioned conjugate gradients, tolerance and
// epochs from the precision. Resolved fills in every default; Fit and the command both
// use it, so a default is decided in one place.
type Options struct {
	Optimizer     Optimizer // "" means DefaultOptimizer
	LR            float64   // step size on the standardized problem; 0 means auto (1/L, or 0.01 for RMSprop/Adam); pcg takes none
	Epochs        int       // passes over the data at most; 0 means a default per optimizer
	Batch         int       // rows per mini-batch; 0 means full batch (SGD: 512)
	Tol           float64   // certified relative accuracy of the coefficients to stop at; 0 means 1e-8 (f64) or 1e-5 (f32)
	L2            float64   // λ in MSE + λ‖θ‖² (θ on the original scale, intercept not penalized)
	L1            float64   // λ₁ in MSE + λ₁‖θ‖₁ + λ₂‖θ‖² (original scale); > 0 fits by coordinate descent on the Gram matrix (see FitElasticNet)
	Seed          uint64    // shuffling seed for mini-batches
	NoIntercept   bool      // fit y = x·θ (columns are scaled, not centred)
	NoStandardize bool      // fit on the raw columns
	Momentum      float64   // momentum β (default 0.9; Nesterov: the k/(k+3) schedule with restarts)
	Beta1, Beta2  float64   // Adam's β₁, β₂ (defaults 0.9, 0.999); RMSprop's ρ is Beta2 (default 0.9)
	Eps           float64   // RMSprop/Adam ε (default 1e-8)
	CheckEvery    int       // full-batch iterations between readbacks; 0 means 10
	InPlace       bool      // the backend may standardize the table's storage in place
	Family        Family    // the model: "" or Gaussian (least squares), Binomial (logistic regression, fitted by Newton's method)
	Progress      func(Progress)

	colL2  []float64 // per-column λ replacing L2 for a prescaled table (see fitScaled); nil: L2
	colExp []int     // the prescale's exponents, for messages that quote values; nil: none
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

// check rejects options out of their ranges and unknown optimizers.
func (o *Options) check() error {
	if o.Optimizer != "" {
		if _, err := ParseOptimizer(string(o.Optimizer)); err != nil {
			return err
		}
	}
	switch {
	case o.LR < 0 || math.IsNaN(o.LR) || math.IsInf(o.LR, 0):
		return inputErrorf("step size must be positive, got %g", o.LR)
	case o.LR > 0 && (o.LR > MaxLR || o.LR < MinLR):
		return inputErrorf("step size %g is out of range [%g, %g]: it applies to the standardized problem, where the stable steps are near 1/L (L ≈ the number of features); use the automatic step", o.LR, MinLR, MaxLR)
	case o.Epochs < 0:
		return inputErrorf("epochs must be positive, got %d", o.Epochs)
	case o.Batch < 0:
		return inputErrorf("batch size must be positive, got %d", o.Batch)
	case o.Tol < 0 || o.Tol >= 1 || math.IsNaN(o.Tol):
		return inputErrorf("tolerance must be in (0, 1), got %g", o.Tol)
	case o.L2 < 0 || math.IsNaN(o.L2) || math.IsInf(o.L2, 0):
		return inputErrorf("L2 penalty must be ≥ 0, got %g", o.L2)
	case o.L1 < 0 || math.IsNaN(o.L1) || math.IsInf(o.L1, 0):
		return inputErrorf("L1 penalty must be ≥ 0, got %g", o.L1)
	case o.L1 > 0 && (o.Optimizer != "" && o.Optimizer != OptPCG || o.LR > 0 || o.Batch > 0):
		return inputErrorf("an L1 penalty is fitted by coordinate descent on the Gram matrix: optimizers, step sizes and mini-batches do not apply")
	case o.Momentum < 0 || o.Momentum >= 1:
		return inputErrorf("momentum must be in [0, 1), got %g", o.Momentum)
	case o.Beta1 < 0 || o.Beta1 >= 1 || o.Beta2 < 0 || o.Beta2 >= 1:
		return inputErrorf("beta1 and beta2 must be in [0, 1)")
	case o.Eps < 0:
		return inputErrorf("eps must be ≥ 0")
	case o.Family != "" && o.Family != Gaussian && o.Family != Binomial:
		_, err := ParseFamily(string(o.Family))
		return err
	case o.Family == Binomial && o.L1 > 0:
		return inputErrorf("an L1 penalty applies to least squares (the gaussian family); logistic regression takes an L2 penalty")
	case o.Family == Binomial && o.Optimizer != "" && o.Optimizer != OptPCG:
		return inputErrorf("the binomial family is fitted by a Newton method with a sample-Hessian preconditioner; --optimizer %s applies to the gaussian family", o.Optimizer)
	case o.CheckEvery < 0:
		return inputErrorf("check interval must be positive")
	case (o.Optimizer == OptPCG || o.Optimizer == "") && o.LR > 0:
		return inputErrorf("the pcg method takes no step size (its steps come from the data); a step size applies to gd, momentum, nesterov, rmsprop, adam and sgd")
	case (o.Optimizer == OptPCG || o.Optimizer == "") && o.Batch > 0:
		return inputErrorf("the pcg method works on the full data; mini-batches apply to sgd and the other gradient methods")
	}
	return nil
}

// MinLR and MaxLR bound a step size given by hand: on the standardized
// problem the stable steps are near 1/L with L about the number of
// features, and a step beyond these bounds overflows or underflows the
// float32 arithmetic of an update.
const (
	MinLR = 1e-30
	MaxLR = 1e30
)

// DefaultTol is the certified relative accuracy a fit in precision p stops
// at when Options.Tol is 0: 1e-8 in float64, 1e-5 in float32. Fit raises it
// to what the precision can certify on an ill-conditioned problem.
func DefaultTol(p Precision) float64 {
	if p == F32 {
		return 1e-5
	}
	return 1e-8
}

// Resolved returns o with its defaults filled in for a fit of rows rows
// stored in precision p: the optimizer (pcg), Tol (DefaultTol), the
// mini-batch (512 rows for SGD; 0, full batch, when it would hold every
// row), Epochs (passes at most: 200 for pcg, 5000 for the other full-batch
// methods, 100 with mini-batches), CheckEvery (10),
// Eps (1e-8), Beta1 (0.9), Beta2 (0.999; RMSprop's ρ 0.9) and Momentum's β
// (0.9). LR stays 0 when it is: Fit estimates 1/L (0.01 for RMSprop and
// Adam).
func (o Options) Resolved(p Precision, rows int) Options {
	if o.Optimizer == "" {
		o.Optimizer = DefaultOptimizer
	}
	m := o.Optimizer.method()
	if o.Tol == 0 {
		o.Tol = DefaultTol(p)
	}
	if o.Optimizer == OptSGD && o.Batch == 0 {
		o.Batch = 512
	}
	if o.Batch >= rows {
		o.Batch = 0
	}
	if o.Epochs == 0 {
		switch {
		case o.Optimizer == OptPCG:
			o.Epochs = 200
		case o.Batch > 0:
			o.Epochs = 100
		default:
			o.Epochs = 5000
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
	return o
}
