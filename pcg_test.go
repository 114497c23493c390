package lsgd_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// The default method reaches a certified answer in a few passes whatever
// the conditioning: at cond(X) up to 1e4 (cond of the Hessian 1e8) it
// converges in at most 25 passes, every coefficient within its bound of
// the QR solution. The sample (fewer rows than the table) makes the
// preconditioner an estimate, so the passes count the conjugate-gradient
// iterations the estimate costs.
func TestPCGFewPassesAtAnyConditioning(t *testing.T) {
	for _, c := range []struct {
		rows, feats int
		cond        float64
	}{{90001, 13, 10}, {90001, 13, 1e3}, {70003, 21, 1e4}} {
		t.Run(fmt.Sprintf("%d×%d/cond%g", c.rows, c.feats, c.cond), func(t *testing.T) {
			tab, _ := gen(t, c.rows, c.feats, c.cond, 0.1, 11)
			sol, err := lsgd.Solve(tab, lsgd.SolveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.Options{})
			if err != nil {
				t.Fatal(err)
			}
			e := relErr(res.Coef, res.Intercept, sol.Coef, sol.Intercept)
			t.Logf("%s: %v passes, %d iterations, %s, error bound %.2g, error %.2g, cond %.3g, sample %d rows",
				res.Optimizer, res.Passes, res.Iterations, res.Reason, res.ErrorBound, e, res.Cond, res.CondSample)
			if res.Optimizer != string(lsgd.OptPCG) {
				t.Errorf("default optimizer %s, want pcg", res.Optimizer)
			}
			if !res.Converged || res.Passes > 25 {
				t.Errorf("converged %v (%s) in %v passes, want converged in ≤ 25", res.Converged, res.Reason, res.Passes)
			}
			if e > res.ErrorBound {
				t.Errorf("relative error %.3g above the certified bound %.3g", e, res.ErrorBound)
			}
			for j := range res.Coef {
				if d := math.Abs(res.Coef[j] - sol.Coef[j]); d > res.CoefBound[j] {
					t.Errorf("coef %d off by %.3g, bound %.3g", j, d, res.CoefBound[j])
				}
			}
		})
	}
}

// With collinear columns the method returns the minimum-norm solution on
// the standardized scale, as the gradient methods do: the duplicate
// columns share the weight equally.
func TestPCGCollinearSharesWeight(t *testing.T) {
	n := 3001
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		a := math.Sin(float64(i)*0.37) + 0.1*float64(i%7)
		b := math.Cos(float64(i) * 1.3)
		x[i] = []float64{a, b, a}
		y[i] = 2*a - b + 0.5
	}
	res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), lsgd.FromRows(x, y), lsgd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("coef %v intercept %v (%s), warnings %q", res.Coef, res.Intercept, res.Reason, res.Warnings)
	if math.Abs(res.Coef[0]-1) > 1e-6 || math.Abs(res.Coef[2]-1) > 1e-6 || math.Abs(res.Coef[1]+1) > 1e-6 {
		t.Errorf("coef %v, want [1 -1 1]", res.Coef)
	}
	if len(res.Warnings) == 0 {
		t.Error("no collinearity warning")
	}
}
