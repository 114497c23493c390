package lsgd

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Result is a fitted model on the user's original scale, with the evidence
// of convergence.
type Result struct {
	Linear         // features, coefficients and intercept on the original scale
	MSE    float64 `json:"mse"`
	R2     float64 `json:"r2"`
	Loss   float64 `json:"loss"` // MSE + λ‖θ‖² (with L1: + λ₁‖θ‖₁; binomial: log-loss + λ‖θ‖²)
	// ElasticNet is the duality-gap certificate of a fit with an L1
	// penalty (nil without one).
	ElasticNet *ElasticNetCert `json:"elastic_net,omitempty"`

	// The binomial family reports these in place of MSE and R² (NaN, null
	// in JSON): the fraction of rows classified right at p = ½, the mean
	// negative log-likelihood and the area under the ROC curve.
	Family        string  `json:"family,omitempty"`
	ClassAccuracy float64 `json:"accuracy,omitempty"`
	LogLoss       float64 `json:"log_loss,omitempty"`
	AUC           float64 `json:"auc,omitempty"`

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

	Backend   string `json:"backend"`
	Device    string `json:"device"`
	Precision string `json:"precision"`
	// Streamed: the table was larger than the memory budget and every
	// pass streamed it (Caps.Streamed).
	Streamed bool     `json:"streamed,omitempty"`
	Seconds  float64  `json:"seconds"`
	Warnings []string `json:"warnings,omitempty"`
	// Fixes maps the index of a warning in Warnings to the change of
	// options that addresses it, for the caller to phrase.
	Fixes       map[int]Fix `json:"-"`
	History     []float64   `json:"-"` // loss (original scale) at every check
	HistoryIt   []int       `json:"-"` // iteration of each History entry
	Intercepted bool        `json:"-"`
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
	if err := opt.check(); err != nil {
		return nil, err
	}
	t = unitWeights(t)
	if opt.L1 > 0 {
		return fitElasticNet(ctx, b, t, opt, start)
	}
	prec := b.Precision()
	if prec == F32 {
		// Values beyond float32 are refused, not scaled into it: the
		// small values of such a column would round to zero.
		if err := t.CheckFloat32(); err != nil {
			return nil, err
		}
	}
	if exp, err := prescaleExponents(t, prec); err != nil {
		return nil, err
	} else if exp != nil {
		return fitScaled(ctx, b, t, exp, opt)
	}
	userTol := opt.Tol > 0
	opt = opt.Resolved(prec, t.Rows)
	n, c := t.Rows, t.Cols
	p := c + 1
	nfree := c - 1
	if !opt.NoIntercept {
		nfree++
	}
	if np := positiveRows(t); np < nfree {
		return nil, inputErrorf("%s: %d rows (of positive weight) but %d coefficients to fit: least squares needs at least as many rows as coefficients",
			t.Label(), np, nfree)
	}

	if opt.Family == Binomial {
		if err := CheckLabels(t); err != nil {
			return nil, err
		}
	}
	f := &fitter{opt: opt, userTol: userTol, t: t, n: n, c: c, p: p, prec: prec}
	data, err := b.Load(t, opt.InPlace)
	if err != nil {
		return nil, err
	}
	defer data.Release()
	f.data = data
	f.res = &Result{Linear: Linear{Features: t.FeatureNames()}, Optimizer: string(opt.Optimizer), Backend: b.Name(),
		Device: b.Device(), Precision: prec.String(), Intercepted: !opt.NoIntercept, Streamed: data.Caps().Streamed}
	res := f.res
	if opt.Family == Binomial {
		return f.fitBinomial(ctx, start) // logistic.go
	}

	// Stage 1 (prepare.go): statistics, standardization, curvature.
	theta, mask, ridge, err := f.prepare()
	if err != nil {
		return nil, err
	}
	// Stage 2 (stepsize.go): the step size.
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
	// Stage 3 (iterate.go): the optimizer loop.
	runErr := f.run(ctx)
	var div *DivergedError
	if errors.As(runErr, &div) {
		return nil, f.diverged(div)
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) && !errors.Is(runErr, context.DeadlineExceeded) {
		return nil, runErr
	}
	// Stage 4 (certify.go): the certificate, on the original scale.
	if err := f.finish(); err != nil {
		if errors.As(err, &div) {
			return nil, f.diverged(div)
		}
		return nil, err
	}
	if err := rangeCheck(t, &res.Linear, res.MSE+res.Loss); err != nil {
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

type fitter struct {
	opt         Options // resolved (Options.Resolved)
	userTol     bool    // the caller chose Tol
	t           *Table
	data        Data
	n, c, p     int
	prec        Precision
	shift, mul  []float64
	mask, ridge []float64
	curv        Curvature
	pc          *precond // the preconditioner (pcg)
	rho         float64  // estimated relative residual ‖r‖/(‖X̃‖·‖θ‖) (pcg's accuracy limit)
	amp         float64  // the accuracy limit's factor for float64 input rounded to float32 as is
	final       *Status  // the status of a last full-data gradient at θ, when the loop ended on one
	L, lr       float64
	maxEpochs   int
	batch       int
	passes      float64
	iter        int
	epoch       float64
	loss0       float64 // standardized loss at the start
	gnorm0      float64
	tgtScale    float64 // the target's spread about its mean (about zero without an intercept)
	rawLimited  bool    // unstandardized, the columns' scales put a direction below the rank threshold (rawScaleCurvature)
	reason      string
	res         *Result
}

func (r *Result) addFix(warning int, fix Fix) {
	if r.Fixes == nil {
		r.Fixes = map[int]Fix{}
	}
	r.Fixes[warning] = fix
}
