package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/backend"
	"github.com/lsgd/lsgd/tableio"
)

type trainFlags struct {
	memory        sizeFlag
	data, target  string
	features      []string
	weights       string
	noIntercept   bool
	noStandardize bool
	backend       *choice
	optimizer     string
	lr, tol       floatOrAuto
	epochs, batch int
	l2, l1        float64
	seed          uint64
	precision     string
	threads       int
	json          bool
	modelOut      string
	plot          string
	verify        bool
	family        string
}

func (a *app) trainCommand() *cobra.Command {
	f := &trainFlags{backend: backendFlag()}
	cmd := &cobra.Command{
		Use:   "train --data FILE [flags]",
		Short: "Fit a linear least-squares model by gradient descent",
		Long: `train fits y ≈ b + x·θ to a CSV, .npy or Parquet file (or a directory or glob
of shards) by gradient descent and reports
the coefficients with the evidence of convergence: the certified error
bound (relative distance to the exact solution: the optimization's gap bound
plus what the precision allows, with a ± bound per coefficient), the
estimated condition number, the iterations and passes over the data.

The default optimizer, pcg, is the conjugate-gradient method on the normal
equations, preconditioned by the Hessian of a sample of rows (up to 65,536,
its Gram matrix formed in float64 on the device) on standardized features:
each iteration is one pass of the fused gradient kernel, and it restarts
from the true gradient (iterative refinement on residuals) until the
certified error bound is below --tol. It takes about 10-25 passes over the
data whatever the conditioning. Precision defaults to f64 on the CPU and f32
on the GPU.

Optimizers: pcg (default), nesterov (step 1/L, L by power iteration, with
adaptive restart; --lr overrides the step on the standardized problem), gd
and momentum reach the exact solution.
rmsprop and adam take a constant step (default 0.01): they settle near the
optimum, not at it, typically within about 1e-2 relative, and then end as
"not converged". sgd takes mini-batches (--batch, default 512) reshuffled
every epoch from --seed, with a step that decays every epoch; it gets within
the mini-batch noise (about 1e-2 relative) in its 100 default epochs.

Penalties: --l2 λ₂ adds λ₂‖θ‖² and --l1 λ₁ adds λ₁‖θ‖₁ to the MSE (the lasso;
both: the elastic net). Both apply on the ORIGINAL scale of the data (the
coefficients as printed, in the units of the columns, as in scikit-learn),
whatever the internal standardization, and the intercept is not penalized.
With --l1 the fit is one pass over the rows forming their float64 Gram
matrix on the backend, then coordinate descent on it (glmnet's covariance
updates), so zero coefficients are exactly zero; it stops when the duality
gap, relative to the objective, is below --tol (default 1e-10), and reports
the gap as its certificate (the ± bounds follow from it and the smallest
curvature; they are infinite for collinear features without --l2).
--optimizer, --lr, --batch, --plot and --verify do not apply to it.

A progress bar appears on stderr (when it is a terminal) for fits longer than
a second. Ctrl-C stops the fit at its next check, prints how far it got and
exits with status 130, writing no model file.` + memoryLong,
		Example: `  lsgd train --data data.csv
  lsgd train --data data.npy --backend gpu --json
  lsgd train --data houses.csv --target price --optimizer adam --lr 0.01 --epochs 500
  lsgd train --data 'shards/*.parquet' --target price --features sqft,rooms,age
  lsgd train --data data.csv --model-out model.json --plot loss.png
  lsgd train --data data.csv --l1 0.01 --l2 0.001`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.train(cmd, f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "`FILE` to read: .csv (a header row of names), .npy or .parquet, or a directory or glob ('dir/*.parquet') of shards with the same columns (required)")
	fl.StringVar(&f.target, "target", "", targetHelp)
	fl.Var(&f.memory, "memory", memoryHelp)
	fl.StringSliceVar(&f.features, "features", nil, "feature columns, comma-separated: `NAMES` or 1-based indices, in the order the coefficients take; default: every column but the target")
	fl.StringVar(&f.weights, "weights", "", weightsHelp)
	fl.BoolVar(&f.noIntercept, "no-intercept", false, "fit y = x·θ without an intercept")
	fl.BoolVar(&f.noStandardize, "no-standardize", false, "fit on the raw columns instead of standardized ones (slower on badly scaled data)")
	fl.Var(f.backend, "backend", "where to compute: auto (a hardware GPU if there is one, else the CPU), cpu or gpu")
	fl.StringVar(&f.optimizer, "optimizer", string(lsgd.DefaultOptimizer), "`NAME`: pcg (preconditioned conjugate gradients), nesterov, gd, momentum, rmsprop, adam or sgd (mini-batch GD, reshuffled every epoch)")
	fl.Var(&f.lr, "lr", "step size on the standardized problem; auto: 1/L for gd/momentum/nesterov, 0.01 for rmsprop/adam")
	fl.IntVar(&f.epochs, "epochs", 0, "most passes over the data; 0: 200 for pcg, 5000 for the other full-batch methods, 100 with mini-batches")
	fl.IntVar(&f.batch, "batch", 0, "rows per mini-batch; 0: the full data (sgd: 512)")
	fl.Var(&f.tol, "tol", "stop when the certified relative error of the coefficients is below this; auto: 1e-8 (f64), 1e-5 (f32), raised to twice what the precision allows on ill-conditioned data")
	fl.Float64Var(&f.l2, "l2", 0, "ridge penalty λ in MSE + λ‖θ‖² (intercept not penalized)")
	fl.Float64Var(&f.l1, "l1", 0, "lasso penalty λ₁ in MSE + λ₁‖θ‖₁ (+ λ₂‖θ‖² with --l2), on the original scale; fitted by coordinate descent on the Gram matrix")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the mini-batch shuffling")
	fl.StringVar(&f.precision, "precision", "", "`f64|f32` storage and arithmetic; default f64 on the CPU, f32 on the GPU")
	fl.IntVar(&f.threads, "threads", 0, "CPU threads; 0: all cores")
	fl.BoolVar(&f.json, "json", false, "print the result as one JSON object on stdout")
	fl.StringVar(&f.modelOut, "model-out", "", "write the fitted model as JSON to `FILE` (for lsgd predict)")
	fl.StringVar(&f.plot, "plot", "", "draw the loss history to `FILE`.png")
	fl.StringVar(&f.family, "family", string(lsgd.Gaussian), familyUsage)
	fl.BoolVar(&f.verify, "verify", false, "also compute the exact QR solution and check every coefficient is within its certified bound (exit 1 if not)")
	return cmd
}

func (a *app) train(cmd *cobra.Command, f *trainFlags) error {
	if err := required(cmd, "data"); err != nil {
		return err
	}
	opt, err := parseOptimizer(cmd, f.optimizer)
	if err != nil {
		return err
	}
	switch {
	case f.epochs < 0:
		return usageErrorf(cmd, "--epochs must be ≥ 0, got %d", f.epochs)
	case f.batch < 0:
		return usageErrorf(cmd, "--batch must be ≥ 0, got %d", f.batch)
	case f.threads < 0:
		return usageErrorf(cmd, "--threads must be ≥ 0, got %d", f.threads)
	case f.tol.v >= 1:
		return usageErrorf(cmd, "--tol must be below 1, got %g", f.tol.v)
	}
	if err := nonNegative(cmd, "l2", f.l2); err != nil {
		return err
	}
	if err := nonNegative(cmd, "l1", f.l1); err != nil {
		return err
	}
	if f.l1 > 0 {
		for _, name := range []string{"optimizer", "lr", "batch", "plot", "verify"} {
			if cmd.Flags().Changed(name) {
				return usageErrorf(cmd, "--%s does not apply with --l1 (coordinate descent on the Gram matrix, certified by the duality gap)", name)
			}
		}
		if f.tol.v == 0 {
			f.tol.v = lsgd.DefaultGapTol
		}
	}
	prec, err := parsePrecision(cmd, f.precision)
	if err != nil {
		return err
	}
	family, err := parseFamily(cmd, f)
	if err != nil {
		return err
	}
	if err := checkPlot(cmd, f.plot); err != nil {
		return err
	}
	ctx := cmd.Context()

	b, err := a.openBackend(cmd, backendOptions{Kind: f.backend.v, Precision: prec, Threads: f.threads})
	if err != nil {
		return err
	}
	defer func() { b.Close() }() // b may become the CPU after a GPU failure

	loadStart := time.Now()
	t, err := loadTableCtx(withMemory(ctx, f.memory.n), f.data, f.target, f.features, f.weights, inputPrecision(f.data))
	if err != nil {
		return err
	}
	a.noteStreamed(t)
	loadTime := time.Since(loadStart)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted while reading %s", f.data)
	}

	o := lsgd.Options{
		Optimizer:     opt,
		LR:            f.lr.v,
		Epochs:        f.epochs,
		Batch:         f.batch,
		Tol:           f.tol.v,
		L2:            f.l2,
		L1:            f.l1,
		Seed:          f.seed,
		NoIntercept:   f.noIntercept,
		NoStandardize: f.noStandardize,
		Family:        family,
		// The command needs nothing of the raw table after the fit (the
		// result carries MSE and R²), unless --verify solves on it.
		InPlace: !f.verify,
	}
	var bar *progressBar
	if isTerminal(a.stderr) {
		bar = newProgressBar(a.stderr, o.Resolved(b.Precision(), t.Rows).Tol)
		o.Progress = bar.update
	}
	res, fitErr := lsgd.Fit(ctx, b, t, o)
	var div *lsgd.DivergedError
	if fitErr != nil && f.backend.v == string(backend.Auto) && b.Name() == string(backend.GPU) &&
		!errors.Is(fitErr, lsgd.ErrInput) && !errors.As(fitErr, &div) && ctx.Err() == nil {
		// auto promised a working fit: a device failure (out of memory, a
		// dispatch beyond its limits) falls back to the CPU. The GPU never
		// writes to the table, so it is intact.
		a.notef("note: using the CPU: the GPU failed: %v", fitErr)
		b.Close()
		b = a.cpuBackend(backendOptions{Precision: prec, Threads: f.threads})
		res, fitErr = lsgd.Fit(ctx, b, t, o)
	}
	if bar != nil {
		bar.clear()
	}
	if res != nil {
		hintWarnings(res)
	}
	if res != nil && res.Streamed && t.Map == nil {
		a.notef("note: the table (%s) is larger than the GPU memory budget: it was streamed through the device on every pass (--gpu-memory sets the budget)",
			tableio.FormatSize(t.Bytes()))
	}
	if res != nil {
		for _, w := range res.Warnings {
			a.notef("warning: %s", w)
		}
	}
	if fitErr != nil {
		if res != nil && errors.Is(fitErr, context.Canceled) {
			// Interrupted: show the partial result, write no model.
			a.printTrain(res, t, f, loadTime, nil)
			return fmt.Errorf("%w; no model written", fitErr)
		}
		return fitErr
	}

	var ver *verification
	if f.verify {
		ver, err = verify(t, res, f)
		if err != nil {
			return err
		}
	}
	if f.plot != "" {
		title := fmt.Sprintf("%s: %s on %s, %s", f.data, res.Optimizer, res.Backend, res.Precision)
		if err := plotLoss(f.plot, res.HistoryIt, res.History, title); err != nil {
			// A plot never costs the fit: warn, and say nothing was drawn.
			a.notef("warning: --plot %s: not drawn: %v", f.plot, err)
			f.plot = ""
		}
	}
	if f.modelOut != "" {
		m := trainModel(res, t, f)
		if err := writeAtomic(ctx, f.modelOut, func(w io.Writer) error { return writeJSON(w, m) }); err != nil {
			return err
		}
	}
	if err := a.printTrain(res, t, f, loadTime, ver); err != nil {
		return err
	}
	if ver != nil && !ver.OK {
		return fmt.Errorf("verify: a coefficient is outside its certified bound: %s", ver.Worst)
	}
	return nil
}

func parseOptimizer(cmd *cobra.Command, s string) (lsgd.Optimizer, error) {
	o, err := lsgd.ParseOptimizer(s)
	if err != nil {
		return "", usageErrorf(cmd, "--optimizer: %v", err)
	}
	return o, nil
}

// trainOutput is train's JSON: the lsgd.Result, plus the data's shape and,
// with --verify, the comparison with the exact solution.
type trainOutput struct {
	*lsgd.Result
	Data        string        `json:"data"`
	Rows        int           `json:"rows"`
	Weights     string        `json:"weights,omitempty"` // the weight column
	LoadSeconds float64       `json:"load_seconds"`
	Verify      *verification `json:"verify,omitempty"`
}

func (a *app) printTrain(res *lsgd.Result, t *lsgd.Table, f *trainFlags, load time.Duration, ver *verification) error {
	if f.json {
		return writeJSON(a.stdout, trainOutput{Result: res, Data: f.data, Rows: t.Rows, Weights: t.WeightName, LoadSeconds: load.Seconds(), Verify: ver})
	}
	w := a.stdout
	fmt.Fprintf(w, "%s: %s, %s, target %q%s\n\n", f.data, plural(t.Rows, "row"), plural(len(res.Features), "feature"), t.Name(t.Target), weightedBy(t))
	printCoefficients(w, res.Features, res.Coef, res.Intercept, !f.noIntercept, res.CoefBound, res.InterceptBound)
	conv := "no"
	if res.Converged {
		conv = "yes"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	printMetrics(tw, res, f.l2)
	if res.LR > 0 {
		fmt.Fprintf(tw, "optimizer\t%s, step %.4g\n", res.Optimizer, res.LR)
	} else {
		fmt.Fprintf(tw, "optimizer\t%s\n", res.Optimizer)
	}
	if res.ElasticNet != nil {
		fmt.Fprintf(tw, "iterations\t%d coordinate sweeps on the Gram matrix (one pass over the data formed it)\n", res.Iterations)
	} else {
		fmt.Fprintf(tw, "iterations\t%d (%.4g epochs, %.4g passes over the data)\n", res.Iterations, res.Epochs, res.Passes)
	}
	fmt.Fprintf(tw, "converged\t%s (%s)\n", conv, res.Reason)
	if res.ElasticNet != nil {
		fmt.Fprintf(tw, "error bound\t%.3g (certified relative distance of the coefficients to the minimizer: √(gap/μ), + %.2g the %s storage allows)\n", res.ErrorBound, res.Accuracy, res.Precision)
	} else {
		fmt.Fprintf(tw, "error bound\t%.3g (certified relative distance to the exact solution, tol %.2g)\n", res.ErrorBound, res.Tol)
		fmt.Fprintf(tw, "gap bound\t%.3g (optimization; + %.2g the %s arithmetic allows)\n", res.GapBound, res.Accuracy, res.Precision)
	}
	fmt.Fprintf(tw, "cond\t%.4g (standardized Hessian, estimated)\n", res.Cond)
	fmt.Fprintf(tw, "backend\t%s, %s: %s\n", res.Backend, res.Precision, res.Device)
	fmt.Fprintf(tw, "time\t%s fit, %s reading the data\n", seconds(res.Seconds), seconds(load.Seconds()))
	if ver != nil {
		verdict := "ok: every coefficient within its certified bound"
		if !ver.OK {
			verdict = "FAILED: " + ver.Worst
		}
		fmt.Fprintf(tw, "verify\t%.3g relative error against the exact QR solution; worst |error|/bound %.2g: %s\n",
			ver.RelErr, ver.WorstRatio, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if f.modelOut != "" && res.Reason != "interrupted" {
		fmt.Fprintf(w, "model written to %s\n", f.modelOut)
	}
	if f.plot != "" && res.Reason != "interrupted" {
		fmt.Fprintf(w, "loss history drawn to %s\n", f.plot)
	}
	return nil
}

// printCoefficients prints the coefficient table; with bounds (a fit's
// certified |coef − exact| on the original scale) a ± column beside it.
func printCoefficients(w io.Writer, names []string, coef []float64, intercept float64, withIntercept bool,
	bounds []float64, interceptBound float64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	withBounds := len(bounds) == len(coef)
	if withBounds {
		fmt.Fprintf(tw, "feature\tcoefficient\t± certified\n")
	} else {
		fmt.Fprintf(tw, "feature\tcoefficient\n")
	}
	for k, name := range names {
		if withBounds {
			fmt.Fprintf(tw, "%s\t% .10g\t%.2g\n", name, coef[k], bounds[k])
		} else {
			fmt.Fprintf(tw, "%s\t% .10g\n", name, coef[k])
		}
	}
	switch {
	case !withIntercept:
		fmt.Fprintf(tw, "(intercept)\t 0 (not fitted: --no-intercept)\n")
	case withBounds:
		fmt.Fprintf(tw, "(intercept)\t% .10g\t%.2g\n", intercept, interceptBound)
	default:
		fmt.Fprintf(tw, "(intercept)\t% .10g\n", intercept)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func seconds(s float64) string {
	switch {
	case s < 1e-3:
		return fmt.Sprintf("%.0f µs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.1f ms", s*1e3)
	}
	return fmt.Sprintf("%.2f s", s)
}

func trainModel(res *lsgd.Result, t *lsgd.Table, f *trainFlags) *lsgd.Model {
	m := res.Model(t)
	p := &m.Provenance
	p.Data, p.L2, p.Intercept, p.Created = f.data, f.l2, !f.noIntercept, now()
	p.L1 = f.l1
	return m
}

// verification compares a fit with the exact solution.
type verification struct {
	// RelErr is the relative error of the coefficients on the standardized
	// scale, ‖s∘(θ−θ*)‖/‖s∘θ*‖ with s the columns' spreads: the scale the
	// fit's error bound is stated on, the same for every unit the data use.
	RelErr float64 `json:"rel_err"`
	// WorstRatio is the largest |coef − exact|/bound over the coefficients
	// (and the intercept): ≤ 1 when every certified bound holds.
	WorstRatio float64   `json:"worst_bound_ratio"`
	Worst      string    `json:"worst"`
	Coef       []float64 `json:"exact_coef"`
	Intercept  float64   `json:"exact_intercept"`
	Seconds    float64   `json:"solve_seconds"`
	OK         bool      `json:"ok"` // every coefficient within its certified bound
}

func verify(t *lsgd.Table, res *lsgd.Result, f *trainFlags) (*verification, error) {
	start := time.Now()
	sol, err := lsgd.Solve(t, lsgd.SolveOptions{NoIntercept: f.noIntercept, L2: f.l2})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v := &verification{Coef: sol.Coef, Intercept: sol.Intercept, Seconds: time.Since(start).Seconds()}
	num, den := 0.0, 0.0
	ratio := func(name string, got, want, bound float64) {
		// A bound of 0 (an exact fit) still allows the exact solve's own
		// rounding.
		r := math.Abs(got-want) / (bound + 1e-14*math.Abs(want) + math.SmallestNonzeroFloat64)
		if math.IsNaN(r) {
			r = math.Inf(1) // a number that is not finite is never within its bound
		}
		if r > v.WorstRatio || v.Worst == "" {
			v.WorstRatio = r
			v.Worst = fmt.Sprintf("%s = %.12g, exact %.12g, bound ±%.2g", name, got, want, bound)
		}
	}
	for k, j := range t.Features() {
		s := spread(t, j, !f.noIntercept)
		d := (res.Coef[k] - sol.Coef[k]) * s
		num += d * d
		den += sol.Coef[k] * s * sol.Coef[k] * s
		if k < len(res.CoefBound) {
			ratio(res.Features[k], res.Coef[k], sol.Coef[k], res.CoefBound[k])
		}
	}
	if !f.noIntercept {
		ratio("(intercept)", res.Intercept, sol.Intercept, res.InterceptBound)
	}
	v.RelErr = math.Sqrt(num / math.Max(den, math.SmallestNonzeroFloat64))
	if den == 0 {
		v.RelErr = math.Sqrt(num)
	}
	v.OK = v.WorstRatio <= 1
	return v, nil
}

// spread is column j's root-mean-square deviation from its mean (centred)
// or from zero.
func spread(t *lsgd.Table, j int, centred bool) float64 {
	m := 0.0
	if centred {
		for i := 0; i < t.Rows; i++ {
			m += t.At(i, j)
		}
		m /= float64(t.Rows)
	}
	s := 0.0
	for i := 0; i < t.Rows; i++ {
		e := t.At(i, j) - m
		s += e * e
	}
	return math.Sqrt(s / float64(t.Rows))
}

// checkPlot fails before the fit when --plot cannot be honoured.
func checkPlot(cmd *cobra.Command, path string) error {
	if path == "" {
		return nil
	}
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return usageErrorf(cmd, "--plot %s: want a .png file name", path)
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
