package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare"
)

type cvFlags struct {
	data, target   string
	backend        *choice
	precision      string
	threads        int
	l1Ratio        float64
	folds          int
	foldColumn     string
	features       []string
	weights        string
	lambdas        string
	nLambdas       int
	lambdaMinRatio float64
	tol            floatOrAuto
	seed           uint64
	json           bool
	plot           string
}

func (a *app) cvCommand() *cobra.Command {
	f := &cvFlags{backend: backendFlag()}
	cmd := &cobra.Command{
		Use:   "cv --data FILE [flags]",
		Short: "Choose the penalty λ by k-fold cross-validation (lasso, elastic net, ridge)",
		Long: `cv cross-validates the elastic net of the gaussian family (least squares),

  MSE + λ·r‖θ‖₁ + λ·(1−r)‖θ‖²      (r = --l1-ratio: 1 lasso, 0 ridge)

over a grid of λ, and refits on all rows at the λ with the least held-out
error. The penalty applies on the ORIGINAL scale of the data (the
coefficients as printed, in the units of the columns, as in scikit-learn and
lsgd train --l1/--l2); the intercept is not penalized and is fitted on each
training split.

One read of the rows does the whole job: every fold's Gram matrix (X̃ᵀX̃ with
a column of ones, so sums and counts come with it) is formed on the backend
in one dispatch sequence; the training Gram matrix of fold f is the total
minus fold f's. Each training split is centred and standardized from its own
sums and fitted along the whole path by coordinate descent with covariance
updates (glmnet's), warm-started from the previous λ and stopped on the
duality gap (--tol, relative; default 1e-10). The held-out MSE of fold f is
computed from its own Gram matrix about its own means, as scikit-learn's and
glmnet's cross-validation do. All of it after the pass is d×d work.
On the GPU, whose Gram kernel reads contiguous rows only, random folds are
grouped on the host first (a copy of the table in memory); a fold column
that is already sorted needs no copy.

The λ grid (unless --lambdas gives one) starts at λ_max, the smallest λ at
which every coefficient is zero on all rows (for r = 0, where no λ zeroes
them, at the value for r = 0.001, as glmnet does), and runs --n-lambdas
values down to --lambda-min-ratio·λ_max, log-spaced.

It prints, for every λ, the mean held-out MSE over the folds (weighted by
their rows), its standard error (the weighted spread of the folds' MSEs
over √(k−1), as cv.glmnet) and the number of non-zero coefficients of the
fit on all rows; λ_min (least mean MSE) and λ_1se (the largest λ within one
standard error of it); and the coefficients refit on all rows at λ_min with
their duality-gap certificate.

Folds: --folds k drawn at random from --seed (balanced: sizes differ by at
most one), or --fold-column NAME|INDEX, a column of integers 0…k−1 that is
not used as a feature.

Only the gaussian family: a binomial (logistic) path needs a pass over the
rows per IRLS step, so it cannot be done in one pass; it is out of scope
here.`,
		Example: `  lsgd cv --data data.csv
  lsgd cv --data data.npy --l1-ratio 0.5 --folds 10 --json
  lsgd cv --data data.csv --fold-column fold --lambdas 1,0.1,0.01 --plot cv.png`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.cv(cmd, f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "`FILE` to read: .csv (a header row of names), .npy or .parquet, or a directory or glob ('dir/*.parquet') of shards with the same columns (required)")
	fl.StringSliceVar(&f.features, "features", nil, "feature columns, comma-separated: `NAMES` or 1-based indices; default: every column but the target (and the fold column); with --features, --fold-column is read too and must be a name")
	fl.StringVar(&f.weights, "weights", "", weightsHelp+"; each fold's held-out MSE is weighted, and folds count by their weight")
	fl.StringVar(&f.target, "target", "", "target column: its `NAME` (CSV) or 1-based index; default: the last column")
	fl.Float64Var(&f.l1Ratio, "l1-ratio", 1, "r in MSE + λ·r‖θ‖₁ + λ·(1−r)‖θ‖²: 1 lasso, 0 ridge, between: elastic net")
	fl.IntVar(&f.folds, "folds", 5, "number of folds k, drawn at random from --seed")
	fl.StringVar(&f.foldColumn, "fold-column", "", "column holding each row's fold (integers 0…k−1): its `NAME` (CSV) or 1-based index; not a feature")
	fl.StringVar(&f.lambdas, "lambdas", "", "the λ grid, comma-separated (`a,b,c`, each > 0); default: --n-lambdas values from λ_max")
	fl.IntVar(&f.nLambdas, "n-lambdas", lsgd.DefaultNLambdas, "number of λ values on the default grid")
	fl.Float64Var(&f.lambdaMinRatio, "lambda-min-ratio", lsgd.DefaultLambdaMinRatio, "smallest λ of the default grid as a fraction of λ_max")
	fl.Var(&f.tol, "tol", "relative duality gap every fit on the path stops at; auto: 1e-10")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the fold assignment")
	fl.Var(f.backend, "backend", "where to form the Gram matrices: auto (a hardware GPU if there is one, else the CPU), cpu or gpu")
	fl.StringVar(&f.precision, "precision", "", "`f64|f32` storage; default f64 on the CPU, f32 on the GPU (the Gram matrices are float64 either way)")
	fl.IntVar(&f.threads, "threads", 0, "CPU threads; 0: all cores")
	fl.BoolVar(&f.json, "json", false, "print the result as one JSON object on stdout")
	fl.StringVar(&f.plot, "plot", "", "draw the CV curve with its error bars to `FILE`.png")
	return cmd
}

// cvOutput is cv's JSON: the lsgd.CVResult and the data's shape.
type cvOutput struct {
	*lsgd.CVResult
	Data        string  `json:"data"`
	Rows        int     `json:"rows"`
	Target      string  `json:"target"`
	Weights     string  `json:"weights,omitempty"`
	FoldColumn  string  `json:"fold_column,omitempty"`
	Seed        uint64  `json:"seed"`
	LoadSeconds float64 `json:"load_seconds"`
}

func (a *app) cv(cmd *cobra.Command, f *cvFlags) error {
	if err := required(cmd, "data"); err != nil {
		return err
	}
	switch {
	case f.l1Ratio < 0 || f.l1Ratio > 1 || math.IsNaN(f.l1Ratio):
		return usageErrorf(cmd, "--l1-ratio must be in [0, 1], got %g", f.l1Ratio)
	case f.folds < 2:
		return usageErrorf(cmd, "--folds must be at least 2, got %d", f.folds)
	case f.nLambdas < 1:
		return usageErrorf(cmd, "--n-lambdas must be a positive integer, got %d", f.nLambdas)
	case !(f.lambdaMinRatio > 0 && f.lambdaMinRatio < 1):
		return usageErrorf(cmd, "--lambda-min-ratio must be in (0, 1), got %g", f.lambdaMinRatio)
	case f.tol.v >= 1:
		return usageErrorf(cmd, "--tol must be below 1, got %g", f.tol.v)
	case f.threads < 0:
		return usageErrorf(cmd, "--threads must be ≥ 0, got %d", f.threads)
	case cmd.Flags().Changed("folds") && f.foldColumn != "":
		return usageErrorf(cmd, "--folds and --fold-column both give the folds: use one")
	}
	lambdas, err := parseLambdas(cmd, f.lambdas)
	if err != nil {
		return err
	}
	prec, err := parsePrecision(cmd, f.precision)
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
	defer func() { b.Close() }()

	loadStart := time.Now()
	features := f.features
	if len(features) > 0 && f.foldColumn != "" {
		if _, err := strconv.Atoi(f.foldColumn); err == nil {
			return usageErrorf(cmd, "--fold-column %s: with --features, name the fold column (indices refer to the columns kept)", f.foldColumn)
		}
		features = append(append([]string(nil), features...), f.foldColumn)
	}
	t, err := loadTableCtx(ctx, f.data, f.target, features, f.weights, inputPrecision(f.data))
	if err != nil {
		return err
	}
	loadTime := time.Since(loadStart)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted while reading %s", f.data)
	}
	fold := ""
	if f.foldColumn != "" {
		if fold, err = columnName(t, f.foldColumn); err != nil {
			return usageErrorf(cmd, "--fold-column: %v", err)
		}
	}
	res, err := lsgd.CrossValidate(ctx, b, t, lsgd.CVOptions{L1Ratio: f.l1Ratio, Folds: f.folds, FoldColumn: fold,
		Seed: f.seed, Lambdas: lambdas, NLambdas: f.nLambdas, LambdaMinRatio: f.lambdaMinRatio, Tol: f.tol.v})
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		a.notef("warning: %s", w)
	}
	if f.plot != "" {
		title := fmt.Sprintf("%s: %d-fold CV, l1 ratio %g", f.data, res.Folds, res.L1Ratio)
		if err := compare.PlotCV(f.plot, res.Lambdas, res.CVMSE, res.CVSE, res.LambdaMin, res.Lambda1SE, title); err != nil {
			return fmt.Errorf("--plot %s: %w", f.plot, err)
		}
	}
	if f.json {
		return writeJSON(a.stdout, cvOutput{CVResult: res, Data: f.data, Rows: t.Rows, Target: t.Name(t.Target), Weights: t.WeightName,
			FoldColumn: fold, Seed: f.seed, LoadSeconds: loadTime.Seconds()})
	}
	w := a.stdout
	how := fmt.Sprintf("%d folds drawn from seed %d", res.Folds, f.seed)
	if fold != "" {
		how = fmt.Sprintf("%d folds from column %q", res.Folds, fold)
	}
	fmt.Fprintf(w, "%s: %s, %s, target %q; %s; l1 ratio %g (%s)\n\n", f.data, plural(t.Rows, "row"),
		plural(len(res.Features), "feature"), t.Name(t.Target), how, res.L1Ratio, penaltyName(res.L1Ratio))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "λ\tcv MSE\t± SE\tnon-zero\t\n")
	for k, l := range res.Lambdas {
		mark := ""
		switch {
		case k == res.IndexMin && k == res.Index1SE:
			mark = "  λ_min, λ_1se"
		case k == res.IndexMin:
			mark = "  λ_min"
		case k == res.Index1SE:
			mark = "  λ_1se"
		}
		fmt.Fprintf(tw, "%.5g\t%.8g\t%.3g\t%d\t%s\n", l, res.CVMSE[k], res.CVSE[k], res.Nonzero[k], mark)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "λ_min\t%.6g (cv MSE %.8g ± %.3g, %d non-zero)\n", res.LambdaMin, res.CVMSE[res.IndexMin], res.CVSE[res.IndexMin], res.Nonzero[res.IndexMin])
	fmt.Fprintf(tw, "λ_1se\t%.6g (cv MSE %.8g ± %.3g, %d non-zero)\n", res.Lambda1SE, res.CVMSE[res.Index1SE], res.CVSE[res.Index1SE], res.Nonzero[res.Index1SE])
	tw.Flush()
	fmt.Fprintf(w, "\ncoefficients at λ_min, refit on all rows:\n\n")
	printCoefficients(w, res.Features, res.Coef, res.Intercept, true, nil, 0)
	e := res.ElasticNet
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "objective\t%.10g (MSE + λ₁‖θ‖₁ + λ₂‖θ‖², λ₁ = %.4g, λ₂ = %.4g, original scale)\n", e.Primal, e.L1, e.L2)
	fmt.Fprintf(tw, "duality gap\t%.3g (%.2g relative to the objective; tol %.2g)\n", e.Gap, e.RelGap, e.Tol)
	fmt.Fprintf(tw, "passes\t%g over the data (every fold's Gram matrix in one read)\n", res.Passes)
	fmt.Fprintf(tw, "backend\t%s, %s: %s\n", res.Backend, res.Precision, res.Device)
	fmt.Fprintf(tw, "time\t%s compute (%s forming the Gram matrices), %s reading the data\n", seconds(res.Seconds), seconds(res.GramSeconds), seconds(loadTime.Seconds()))
	if err := tw.Flush(); err != nil {
		return err
	}
	if f.plot != "" {
		fmt.Fprintf(w, "CV curve drawn to %s\n", f.plot)
	}
	return nil
}

func penaltyName(r float64) string {
	switch r {
	case 1:
		return "lasso"
	case 0:
		return "ridge"
	}
	return "elastic net"
}

// parseLambdas parses --lambdas: comma-separated positive numbers.
func parseLambdas(cmd *cobra.Command, s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	var out []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, usageErrorf(cmd, "--lambdas: %q is not a positive number (want a,b,c)", part)
		}
		out = append(out, v)
	}
	return out, nil
}

// columnName resolves a column given by name or 1-based index.
func columnName(t *lsgd.Table, s string) (string, error) {
	for _, name := range t.Names {
		if name == s {
			return name, nil
		}
	}
	if i, err := strconv.Atoi(s); err == nil && i >= 1 && i <= t.Cols {
		return t.Names[i-1], nil
	}
	return "", fmt.Errorf("%s has no column %q (columns: %s)", t.Label(), s, strings.Join(t.Names, ", "))
}
