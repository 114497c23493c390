package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

type solveFlags struct {
	memory       sizeFlag
	data, target string
	features     []string
	weights      string
	noIntercept  bool
	l2           float64
	method       *choice
	json         bool
	modelOut     string
}

func (a *app) solveCommand() *cobra.Command {
	f := &solveFlags{method: &choice{v: "auto", opts: []string{"auto", "qr", "gram"}}}
	cmd := &cobra.Command{
		Use:   "solve --data FILE [flags]",
		Short: "Compute the exact least-squares solution and its statistics",
		Long: `solve computes the exact least-squares (or ridge) solution in float64 on the
standardized design, on the CPU, by one of two methods (--method):

  gram  one pass forms the Gram matrix XᵀX on the fast CPU backend; Cholesky
        solves it and refinement on residuals (the backend's gradient pass)
        brings the error from κ²·u down to about κ·u + κ²·u·ρ
  qr    Householder QR of the whole design (parallel TSQR) with refinement
        on compensated residuals: slower, the most accurate

auto (the default) takes gram for tables of at least 65536 rows whose
standardized design has condition number κ ≤ 1e4, and qr otherwise; the
output says which ran and why. It is the reference a gradient-descent fit
(lsgd train) is judged against. Linearly dependent columns are an error that
names them.

Without --l2 it also prints the inference of the gaussian linear model, like
statsmodels' summary: every coefficient's standard error, t value, two-sided
p-value and 95% confidence interval, the residual standard error, adjusted R²
and the F statistic. Rows are unweighted (each counts once). The JSON output
uses train's field names where they apply (iterations is 0 and converged
true) and adds std_err, t_values, p_values and conf_int in the order of coef,
intercept_std_err, intercept_p_value and the others; a statistic that does
not exist (no residual degrees of freedom) is null.` + memoryLong,
		Example: `  lsgd solve --data data.csv
  lsgd solve --data data.npy --no-intercept --json
  lsgd solve --data data.npy --method qr
  lsgd solve --data houses.csv --target price --l2 0.1 --model-out model.json`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.solve(cmd, f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "`FILE` to read: .csv (a header row of names), .npy or .parquet, or a directory or glob ('dir/*.parquet') of shards with the same columns (required)")
	fl.StringVar(&f.target, "target", "", targetHelp)
	fl.Var(&f.memory, "memory", memoryHelp)
	fl.StringSliceVar(&f.features, "features", nil, "feature columns, comma-separated: `NAMES` or 1-based indices, in the order the coefficients take; default: every column but the target")
	fl.StringVar(&f.weights, "weights", "", weightsHelp+"; the statistics are those of analytic weights (Var ε_i = σ²/w_i, as R's lm and statsmodels' WLS): n counts the rows of positive weight")
	fl.BoolVar(&f.noIntercept, "no-intercept", false, "fit y = x·θ without an intercept")
	fl.Float64Var(&f.l2, "l2", 0, "ridge penalty λ in MSE + λ‖θ‖² (intercept not penalized)")
	fl.Var(f.method, "method", "auto: gram when large and well conditioned, else qr; qr: Householder TSQR; gram: Gram matrix and Cholesky")
	fl.BoolVar(&f.json, "json", false, "print the result as one JSON object on stdout")
	fl.StringVar(&f.modelOut, "model-out", "", "write the solution as a model JSON `FILE` (for lsgd predict)")
	return cmd
}

// solveOutput is solve's JSON: the solution with train's field names.
type solveOutput struct {
	*lsgd.Solution
	Iterations  int      `json:"iterations"`
	Converged   bool     `json:"converged"`
	Reason      string   `json:"reason"`
	Backend     string   `json:"backend"`
	Device      string   `json:"device"`
	Precision   string   `json:"precision"`
	Seconds     float64  `json:"seconds"`
	Data        string   `json:"data"`
	Rows        int      `json:"rows"`
	Weights     string   `json:"weights,omitempty"` // the weight column
	LoadSeconds float64  `json:"load_seconds"`
	Warnings    []string `json:"warnings,omitempty"`
}

func (a *app) solve(cmd *cobra.Command, f *solveFlags) error {
	if err := required(cmd, "data"); err != nil {
		return err
	}
	if err := nonNegative(cmd, "l2", f.l2); err != nil {
		return err
	}
	ctx := cmd.Context()
	loadStart := time.Now()
	t, err := loadTableCtx(withMemory(ctx, f.memory.n), f.data, f.target, f.features, f.weights, lsgd.F64)
	if err != nil {
		return err
	}
	a.noteStreamed(t)
	load := time.Since(loadStart)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted while reading %s", f.data)
	}
	method := map[string]lsgd.SolveMethod{"auto": lsgd.SolveAuto, "qr": lsgd.SolveQR, "gram": lsgd.SolveGram}[f.method.v]
	b := cpu.New(cpu.Options{Precision: lsgd.F64})
	start := time.Now()
	// InPlace: t is not read after the solve (only its names), so the
	// Gram method standardizes it where it is instead of copying it.
	sol, err := lsgd.SolveOn(ctx, b, t, lsgd.SolveOptions{NoIntercept: f.noIntercept, L2: f.l2, Method: method, InPlace: true})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted")
	}
	if err != nil {
		return err
	}
	dev := cpuModel() + " (float64 QR)"
	if sol.Method != "householder-tsqr+refinement" {
		dev = b.Device()
	}
	out := solveOutput{
		Solution: sol, Converged: true, Reason: "exact", Backend: "cpu", Device: dev,
		Precision: "f64", Seconds: time.Since(start).Seconds(), Data: f.data, Rows: t.Rows, Weights: t.WeightName, LoadSeconds: load.Seconds(),
	}
	if f.modelOut != "" {
		m := sol.Model(t)
		p := &m.Provenance
		p.Data, p.L2, p.Intercept, p.Backend, p.Device, p.Created = f.data, f.l2, !f.noIntercept, out.Backend, out.Device, now()
		if err := writeAtomic(ctx, f.modelOut, func(w io.Writer) error { return writeJSON(w, m) }); err != nil {
			return err
		}
	}
	if f.json {
		return writeJSON(a.stdout, out)
	}
	w := a.stdout
	fmt.Fprintf(w, "%s: %s, %s, target %q%s\n\n", f.data, plural(t.Rows, "row"), plural(len(sol.Features), "feature"), t.Name(t.Target), weightedBy(t))
	if sol.Inference != nil {
		printInference(w, sol, !f.noIntercept)
	} else {
		printCoefficients(w, sol.Features, sol.Coef, sol.Intercept, !f.noIntercept, nil, 0)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if t.Weights != nil {
		fmt.Fprintf(tw, "MSE\t%.10g (weighted: Σ w·r² / Σ w)\n", sol.MSE)
	} else {
		fmt.Fprintf(tw, "MSE\t%.10g\n", sol.MSE)
	}
	fmt.Fprintf(tw, "R²\t%.10g\n", sol.R2)
	if in := sol.Inference; in != nil {
		fmt.Fprintf(tw, "adjusted R²\t%s\n", stat(in.AdjR2, "%.10g"))
		fmt.Fprintf(tw, "residual std err\t%s on %s\n", stat(in.ResidualStdErr, "%.6g"), plural(in.DFResid, "degree")+" of freedom")
		fmt.Fprintf(tw, "F statistic\t%s on %d and %d DF, p-value %s\n", stat(in.FStatistic, "%.6g"), in.DFModel, in.DFResid,
			stat(in.FPValue, "%.4g"))
		how := "gaussian errors, rows unweighted"
		if in.Weighted {
			how = fmt.Sprintf("gaussian errors, analytic weights from column %q (Var ε_i = σ²/w_i; %s of positive weight)",
				t.WeightName, plural(in.DFResid+in.DFModel+btoi(!f.noIntercept), "row"))
		}
		fmt.Fprintf(tw, "inference\t%s\n", how)
	}
	if f.l2 > 0 {
		fmt.Fprintf(tw, "loss\t%.10g (MSE + λ‖θ‖², λ = %g)\n", sol.Loss, f.l2)
	}
	fmt.Fprintf(tw, "method\t%s (%s)\n", sol.Method, sol.MethodWhy)
	fmt.Fprintf(tw, "cond\t%.4g (standardized design)\n", sol.Cond)
	fmt.Fprintf(tw, "error bound\t%.2g (relative, standardized coefficients: 10·u·(κ + κ²·ρ))\n", sol.ErrorBound)
	fmt.Fprintf(tw, "backend\tcpu: %s\n", out.Device)
	fmt.Fprintf(tw, "time\t%s solve, %s reading the data\n", seconds(out.Seconds), seconds(load.Seconds()))
	if err := tw.Flush(); err != nil {
		return err
	}
	if f.modelOut != "" {
		fmt.Fprintf(w, "model written to %s\n", f.modelOut)
	}
	return nil
}

// cpuModel is the CPU's model name.
func cpuModel() string {
	name, _, _ := strings.Cut(cpu.New(cpu.Options{Threads: 1}).Device(), ",")
	return name
}

// printInference prints the coefficient table of an unpenalized solve the
// way statsmodels' summary does: coef, std err, t, P>|t| and the 95%
// confidence interval, the intercept first; "—" where a statistic does not
// exist.
func printInference(w io.Writer, sol *lsgd.Solution, withIntercept bool) {
	in := sol.Inference
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tcoef\tstd err\tt\tP>|t|\t[0.025\t0.975]\t\n")
	row := func(name string, c, se, t, p float64, ci [2]float64) {
		fmt.Fprintf(tw, "%s\t%.6g\t%s\t%s\t%s\t%s\t%s\t\n", name, c, stat(se, "%.4g"), stat(t, "%.3f"), stat(p, "%.3g"),
			stat(ci[0], "%.6g"), stat(ci[1], "%.6g"))
	}
	if withIntercept {
		row("(intercept)", sol.Intercept, in.InterceptStdErr, in.InterceptTValue, in.InterceptPValue, in.InterceptConfInt)
	}
	for k, name := range sol.Features {
		row(name, sol.Coef[k], in.StdErr[k], in.TValues[k], in.PValues[k], in.ConfInt[k])
	}
	tw.Flush()
	if !withIntercept {
		fmt.Fprintln(w, "(no intercept: --no-intercept; R² and F are about zero)")
	}
	fmt.Fprintln(w)
}

// stat formats a statistic, "—" when it does not exist (NaN) and ±inf
// for an exact fit's t.
func stat(v float64, format string) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return fmt.Sprintf(format, v)
}
