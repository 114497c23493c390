package lsgd

import (
	"context"
	"fmt"
	"math"
	"time"
)

// ElasticNetCert is the certificate of a fit with an L1 penalty: the
// objective MSE + λ₁‖θ‖₁ + λ₂‖θ‖² on the original scale (intercept not
// penalized) at the returned coefficients, a lower bound on its minimum
// from the dual, and their difference, the duality gap (as glmnet and
// scikit-learn certify their coordinate descent).
type ElasticNetCert struct {
	L1      float64 `json:"l1"`
	L2      float64 `json:"l2"`
	Primal  float64 `json:"primal"`       // the objective at the coefficients
	Dual    float64 `json:"dual"`         // ≤ the minimum of the objective
	Gap     float64 `json:"duality_gap"`  // Primal − Dual ≥ objective − minimum
	RelGap  float64 `json:"relative_gap"` // Gap/Dual: the certified relative distance of the objective to its minimum
	Tol     float64 `json:"tol"`          // the relative gap asked for
	Nonzero int     `json:"nonzero"`      // coefficients that are not exactly zero
	Sweeps  int     `json:"sweeps"`       // coordinate-descent sweeps
}

// DefaultGapTol is the relative duality gap a fit with an L1 penalty stops
// at when Options.Tol is 0. The Gram matrix is float64 on every backend,
// so it does not depend on the precision.
const DefaultGapTol = 1e-10

// enetMaxSweeps bounds the coordinate-descent sweeps of one solve.
const enetMaxSweeps = 100000

// fitElasticNet fits MSE + λ₁‖θ‖₁ + λ₂‖θ‖² (opt.L1, opt.L2, on the original
// scale, the intercept not penalized): one pass over the rows on the
// backend forms the float64 Gram matrix of the table as stored, and the
// rest is coordinate descent on its standardized d×d form (enetProblem),
// certified by the duality gap.
func fitElasticNet(ctx context.Context, b Backend, t *Table, opt Options, start time.Time) (*Result, error) {
	tol := opt.Tol
	if tol == 0 {
		tol = DefaultGapTol
	}
	n, c := t.Rows, t.Cols
	if n < 2 {
		return nil, inputErrorf("%s: %d rows: a penalized fit needs at least 2", t.Label(), n)
	}
	data, err := b.Load(t, opt.InPlace)
	if err != nil {
		return nil, err
	}
	defer data.Release()
	G, err := data.Gram(Rows{Lo: 0, Hi: n})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lsgd: interrupted after the Gram pass: %w", err)
	}
	feats := t.Features()
	center := !opt.NoIntercept
	pr, sc, bad := enetStats(G, c+1, feats, t.Target, center)
	if bad >= 0 {
		j := feats[bad]
		if center {
			return nil, constantColumn(t, j, G[j*(c+1)+c]/float64(n))
		}
		return nil, zeroColumn(t, j)
	}
	pr.setPenalty(sc, opt.L1, opt.L2)
	beta := make([]float64, pr.D)
	r := pr.solve(beta, tol, enetMaxSweeps)
	res := &Result{Linear: Linear{Features: t.FeatureNames()}, Optimizer: "cd", Backend: b.Name(),
		Device: b.Device(), Precision: b.Precision().String(), Intercepted: center, Passes: 1, Epochs: 1,
		Iterations: r.Sweeps, Tol: tol}
	res.Coef, res.Intercept = sc.original(beta, center)
	at2 := sc.AT * sc.AT
	res.MSE = r.Loss / at2
	res.Loss = r.Primal / at2
	if pr.YY > 0 {
		res.R2 = 1 - r.Loss/pr.YY
	} else {
		res.Warnings = append(res.Warnings, "the target is constant: R² is undefined (reported as 0)")
	}
	cert := &ElasticNetCert{L1: opt.L1, L2: opt.L2, Primal: r.Primal / at2, Dual: r.Dual / at2, Gap: r.Gap / at2,
		Tol: tol, Sweeps: r.Sweeps}
	if r.Dual > 0 {
		cert.RelGap = r.Gap / r.Dual
	} else if r.Gap > 0 {
		cert.RelGap = math.Inf(1)
	}
	for _, v := range beta {
		if v != 0 {
			cert.Nonzero++
		}
	}
	res.ElasticNet = cert

	// The coefficients' certificate: P(β) − P* ≥ μ‖β − β*‖² with μ the
	// smallest eigenvalue of C + diag(L2), so ‖β − β*‖ ≤ √(gap/μ) on the
	// standardized scale; infinite when the features are collinear and
	// there is no ridge term to make the minimizer unique.
	mu, top := pr.eigenRange()
	bn := math.Max(norm(beta), 1)
	res.Cond = math.Inf(1)
	res.GapBound = math.Inf(1)
	if mu > 0 {
		res.Cond = top / mu
		res.GapBound = math.Sqrt(r.Gap/mu) / bn
	}
	// The Gram matrix is float64, but the data as stored were rounded to
	// the backend's precision: a perturbation of u relative moves the
	// solution by about cond·u.
	res.Accuracy = 10 * res.Cond * b.Precision().UnitRoundoff()
	res.ErrorBound = res.GapBound + res.Accuracy
	E := res.ErrorBound * bn
	ib := 1.0
	for j := range beta {
		res.CoefBound = append(res.CoefBound, E*sc.A[j]/sc.AT)
		ib += (sc.A[j] * sc.Mean[j]) * (sc.A[j] * sc.Mean[j])
	}
	if center {
		res.InterceptBound = E * math.Sqrt(ib) / sc.AT
	}
	res.Converged = r.Converged
	res.Reason = "duality gap"
	if !r.Converged {
		res.Reason = fmt.Sprintf("max sweeps (%d); relative duality gap %.2g", r.Sweeps, cert.RelGap)
	} else if r.Gap > tol*math.Max(r.Dual, 0) {
		res.Reason = "duality gap at the rounding level of the Gram matrix"
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
