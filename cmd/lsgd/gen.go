package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

type genFlags struct {
	rows, features int
	noise, cond    float64
	intercept      float64
	seed           uint64
	precision      string
	out            string
}

func (a *app) genCommand() *cobra.Command {
	f := &genFlags{}
	cmd := &cobra.Command{
		Use:   "gen --rows N --features D --out FILE [flags]",
		Short: "Generate a synthetic least-squares problem",
		Long: `gen writes a table y = b + x·β + ε with correlated features of different
scales and offsets (so standardization matters) to a CSV, .npy or Parquet file, and
the true coefficients beside it as JSON: FILE with its extension replaced by
.truth.json (data.csv → data.truth.json).

--cond sets the condition number of the standardized feature matrix (its
Gram matrix, which gradient descent sees, has cond²). The files are written
atomically: they appear complete or not at all.`,
		Example: `  lsgd gen --rows 1000000 --features 32 --out data.npy
  lsgd gen --rows 5000 --features 4 --noise 0.5 --cond 100 --seed 7 --out small.csv`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.gen(cmd, f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVar(&f.rows, "rows", 0, "number of rows (required)")
	fl.IntVar(&f.features, "features", 0, "number of feature columns (required)")
	fl.Float64Var(&f.noise, "noise", 0.1, "standard deviation of the Gaussian noise ε")
	fl.Float64Var(&f.cond, "cond", 1, "condition number of the standardized feature matrix (≥ 1; 1: independent features)")
	fl.Float64Var(&f.intercept, "intercept", 0, "the true intercept b")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed (the output does not depend on the number of threads)")
	fl.StringVar(&f.precision, "precision", "f64", "`f64|f32`: with f32 the values are rounded to float32 (.npy and .parquet store float32)")
	fl.StringVar(&f.out, "out", "", "output `FILE`, .csv, .npy or .parquet (required)")
	return cmd
}

// truthPath is the truth file beside a data file: data.csv → data.truth.json.
func truthPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".truth.json"
}

func (a *app) gen(cmd *cobra.Command, f *genFlags) error {
	if err := required(cmd, "rows", "features", "out"); err != nil {
		return err
	}
	if err := positiveInt(cmd, "rows", f.rows); err != nil {
		return err
	}
	if err := positiveInt(cmd, "features", f.features); err != nil {
		return err
	}
	if err := nonNegative(cmd, "noise", f.noise); err != nil {
		return err
	}
	if !(f.cond >= 1) || f.cond > 1e300 {
		return usageErrorf(cmd, "--cond must be a finite number ≥ 1, got %g", f.cond)
	}
	if err := nonNegative(cmd, "intercept", abs(f.intercept)); err != nil {
		return usageErrorf(cmd, "--intercept must be finite, got %g", f.intercept)
	}
	prec, err := parsePrecision(cmd, f.precision)
	if err != nil {
		return err
	}
	format, err := dataFormat(cmd, "out", f.out)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	t, truth, err := lsgd.Generate(lsgd.GenOptions{Rows: f.rows, Features: f.features, Noise: f.noise,
		Cond: f.cond, Intercept: f.intercept, Seed: f.seed, Precision: prec.Or(lsgd.F64)})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %s not written", f.out)
	}
	// Both files are written in full before either replaces anything: a
	// failure leaves the old data and truth as they were.
	commitData, err := prepareAtomic(ctx, f.out, func(w io.Writer) error {
		switch format {
		case "npy":
			return tableio.WriteNPY(w, t)
		case "parquet":
			return tableio.WriteParquet(w, t, 0)
		}
		return tableio.WriteCSV(w, t)
	})
	if err != nil {
		return err
	}
	tp := truthPath(f.out)
	commitTruth, err := prepareAtomic(ctx, tp, func(w io.Writer) error { return writeJSON(w, truth) })
	if err != nil {
		commitData(false)
		return err
	}
	if err := commitData(true); err != nil {
		commitTruth(false)
		return err
	}
	if err := commitTruth(true); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %d rows × %d features (+ target y) to %s, true coefficients to %s\n",
		f.rows, f.features, f.out, tp)
	return nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
