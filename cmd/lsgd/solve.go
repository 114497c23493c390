package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

type solveFlags struct {
	data, target string
	features     []string
	noIntercept  bool
	l2           float64
	json         bool
	modelOut     string
}

func (a *app) solveCommand() *cobra.Command {
	f := &solveFlags{}
	cmd := &cobra.Command{
		Use:   "solve --data FILE [flags]",
		Short: "Compute the exact least-squares solution (QR)",
		Long: `solve computes the exact least-squares (or ridge) solution by Householder QR
in float64 on the standardized design, with one step of iterative
refinement, on the CPU. It is the reference a gradient-descent fit (lsgd
train) is judged against. Linearly dependent columns are an error that names
them. The JSON output uses train's field names where they apply (iterations
is 0 and converged true).`,
		Example: `  lsgd solve --data data.csv
  lsgd solve --data data.npy --no-intercept --json
  lsgd solve --data houses.csv --target price --l2 0.1 --model-out model.json`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.solve(cmd, f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "`FILE` to read: .csv (a header row of names), .npy or .parquet, or a directory or glob ('dir/*.parquet') of shards with the same columns (required)")
	fl.StringVar(&f.target, "target", "", "target column: its `NAME` (CSV, Parquet) or 1-based index; default: the last column")
	fl.StringSliceVar(&f.features, "features", nil, "feature columns, comma-separated: `NAMES` or 1-based indices, in the order the coefficients take; default: every column but the target")
	fl.BoolVar(&f.noIntercept, "no-intercept", false, "fit y = x·θ without an intercept")
	fl.Float64Var(&f.l2, "l2", 0, "ridge penalty λ in MSE + λ‖θ‖² (intercept not penalized)")
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
	if err := checkOutputPath(cmd, "model-out", f.modelOut); err != nil {
		return err
	}
	ctx := cmd.Context()
	loadStart := time.Now()
	t, err := loadTable(f.data, f.target, f.features, lsgd.F64)
	if err != nil {
		return err
	}
	load := time.Since(loadStart)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted while reading %s", f.data)
	}
	start := time.Now()
	sol, err := lsgd.Solve(t, lsgd.SolveOptions{NoIntercept: f.noIntercept, L2: f.l2})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted")
	}
	out := solveOutput{
		Solution: sol, Converged: true, Reason: "exact", Backend: "cpu", Device: cpuModel() + " (float64 QR)",
		Precision: "f64", Seconds: time.Since(start).Seconds(), Data: f.data, Rows: t.Rows, LoadSeconds: load.Seconds(),
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
	fmt.Fprintf(w, "%s: %s, %s, target %q\n\n", f.data, plural(t.Rows, "row"), plural(len(sol.Features), "feature"), t.Name(t.Target))
	printCoefficients(w, sol.Features, sol.Coef, sol.Intercept, !f.noIntercept, nil, 0)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "MSE\t%.10g\n", sol.MSE)
	fmt.Fprintf(tw, "R²\t%.10g\n", sol.R2)
	if f.l2 > 0 {
		fmt.Fprintf(tw, "loss\t%.10g (MSE + λ‖θ‖², λ = %g)\n", sol.Loss, f.l2)
	}
	fmt.Fprintf(tw, "method\t%s\n", sol.Method)
	fmt.Fprintf(tw, "cond\t%.4g (standardized design)\n", sol.Cond)
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
