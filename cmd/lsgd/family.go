package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare"
)

const familyUsage = "`MODEL`: gaussian (least squares) or binomial (logistic regression on a 0/1 target: reports accuracy, log-loss and AUC; predict gives probabilities)"

// parseFamily checks --family and the flags that apply to one family only.
func parseFamily(cmd *cobra.Command, f *trainFlags) (lsgd.Family, error) {
	fam, err := lsgd.ParseFamily(f.family)
	if err != nil {
		return "", usageErrorf(cmd, "--family: %v", err)
	}
	if fam != lsgd.Binomial {
		return fam, nil
	}
	switch {
	case f.verify:
		return "", usageErrorf(cmd, "--verify compares with the exact least-squares solution: it applies to --family gaussian")
	case cmd.Flags().Changed("optimizer") && f.optimizer != string(lsgd.OptPCG):
		return "", usageErrorf(cmd, "--family binomial is fitted by a Newton method (a sample Hessian as preconditioner); --optimizer applies to --family gaussian")
	case cmd.Flags().Changed("lr") || cmd.Flags().Changed("batch"):
		return "", usageErrorf(cmd, "--family binomial is fitted by a Newton method and takes no --lr or --batch")
	}
	return fam, nil
}

// printMetrics prints the fit's statistics: MSE and R² for least squares,
// accuracy, log-loss and AUC for the binomial family.
func printMetrics(w io.Writer, res *lsgd.Result, l2 float64) {
	if res.Family == string(lsgd.Binomial) {
		fmt.Fprintf(w, "accuracy\t%.6g (rows classified right at P = ½)\n", res.ClassAccuracy)
		fmt.Fprintf(w, "log-loss\t%.10g (mean negative log-likelihood)\n", res.LogLoss)
		fmt.Fprintf(w, "AUC\t%.6g\n", res.AUC)
		if l2 > 0 {
			fmt.Fprintf(w, "loss\t%.10g (log-loss + λ‖θ‖², λ = %g)\n", res.Loss, l2)
		}
		return
	}
	fmt.Fprintf(w, "MSE\t%.10g\n", res.MSE)
	fmt.Fprintf(w, "R²\t%.10g\n", res.R2)
	if e := res.ElasticNet; e != nil {
		fmt.Fprintf(w, "loss\t%.10g (MSE + λ₁‖θ‖₁ + λ₂‖θ‖², λ₁ = %g, λ₂ = %g, original scale)\n", res.Loss, e.L1, e.L2)
		fmt.Fprintf(w, "duality gap\t%.3g (%.2g relative to the objective; tol %.2g)\n", e.Gap, e.RelGap, e.Tol)
		fmt.Fprintf(w, "non-zero\t%d of %d coefficients\n", e.Nonzero, len(res.Coef))
	} else if l2 > 0 {
		fmt.Fprintf(w, "loss\t%.10g (MSE + λ‖θ‖², λ = %g)\n", res.Loss, l2)
	}
}

// familyPredictions turns a model's linear predictions into what predict
// prints: unchanged for least squares; for a binomial model P(y = 1), or
// the class with classes.
func familyPredictions(m *lsgd.Model, lin []float64, classes bool) ([]float64, error) {
	if m.Family != string(lsgd.Binomial) {
		if classes {
			return nil, errors.New("--classes applies to binomial models (train --family binomial); this model is least squares")
		}
		return lin, nil
	}
	for i, z := range lin {
		if classes {
			lin[i] = 0
			if z >= 0 {
				lin[i] = 1
			}
			continue
		}
		lin[i] = lsgd.Sigmoid(z)
	}
	return lin, nil
}

// compareRunner picks the agreement checks of compare --family: Run for
// least squares, RunBinomial for logistic regression (which takes no
// --cond or --noise).
func compareRunner(cmd *cobra.Command, f *compareFlags) (func(context.Context, compare.Config) (*compare.Report, error), error) {
	fam, err := lsgd.ParseFamily(f.family)
	if err != nil {
		return nil, usageErrorf(cmd, "--family: %v", err)
	}
	if fam != lsgd.Binomial {
		return compare.Run, nil
	}
	for _, n := range []string{"cond", "noise"} {
		if cmd.Flags().Changed(n) {
			return nil, usageErrorf(cmd, "--%s describes a least-squares problem: compare --family binomial draws a logistic one from --rows, --features and --seed", n)
		}
	}
	return compare.RunBinomial, nil
}
