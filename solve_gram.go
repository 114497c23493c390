package lsgd

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// gramRefineSteps is the most refinement steps the Gram method takes
// (each one pass over the data); it stops sooner when a correction is
// below 4·κ·u relative.
const gramRefineSteps = 3

// solveGram is the Gram method (SolveGram): the table is loaded on b (a
// copy unless opt.InPlace), standardized there, and its Gram matrix formed in one pass; the
// eigenvalues of the small matrix give κ, Cholesky gives θ, and
// refinement on residuals from the backend's fused gradient pass brings
// θ from κ²·u to about κ·u + κ²·u·ρ. With SolveAuto, a condition number
// above GramMaxCond returns a Solution with only MethodWhy set, and the
// caller solves by TSQR.
func solveGram(ctx context.Context, b Backend, t *Table, opt SolveOptions) (*Solution, error) {
	data, err := b.Load(t, opt.InPlace)
	if err != nil {
		return nil, err
	}
	defer data.Release()
	n, p, tg := t.Rows, t.Cols+1, t.Target
	mean, scale, err := data.Moments(!opt.NoIntercept)
	if err != nil {
		return nil, err
	}
	sc, err := newScaling(t, opt.NoIntercept, mean, scale, opt.colExp)
	if err != nil {
		return nil, err
	}
	if err := data.Standardize(sc.mean, sc.mul); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	G, err := data.Gram(Rows{Lo: 0, Hi: n})
	if err != nil {
		return nil, err
	}
	// The q free coefficients in table space: the features, then the
	// intercept (slot p−1). A = ZᵀZ + n·λ·diag(mul²), rhs = Zᵀz.
	q, d := sc.q, sc.d
	free := append([]int(nil), sc.feats...)
	if sc.intercept {
		free = append(free, p-1)
	}
	ridge := make([]float64, p)
	for _, j := range sc.feats {
		ridge[j] = opt.L2 * sc.mul[j] * sc.mul[j]
	}
	A := mat.NewSymDense(q, nil)
	rhs := make([]float64, q)
	for a, i := range free {
		for c := a; c < q; c++ {
			A.SetSym(a, c, G[i*p+free[c]])
		}
		A.SetSym(a, a, A.At(a, a)+float64(n)*ridge[i])
		rhs[a] = G[i*p+tg]
	}
	var eig mat.EigenSym
	if !eig.Factorize(A, false) {
		return nil, fmt.Errorf("lsgd: eigenvalues of the Gram matrix failed")
	}
	ev := eig.Values(nil) // ascending
	lmax := ev[q-1]
	kappa := math.Inf(1)
	if ev[0] > 0 {
		kappa = math.Sqrt(lmax / ev[0])
	}
	if opt.Method == SolveAuto && !(kappa <= GramMaxCond) {
		if opt.InPlace {
			// Map t back for TSQR: x = (x_s + m·mul)·scale.
			shift, inv := make([]float64, len(sc.mul)), make([]float64, len(sc.mul))
			for j, m := range sc.mul {
				shift[j], inv[j] = -sc.mean[j]*m, 1/m
			}
			if err := data.Standardize(shift, inv); err != nil {
				return nil, err
			}
		}
		return &Solution{MethodWhy: fmt.Sprintf("cond ≈ %.3g > %g: TSQR, which the Gram matrix's κ² would not allow", kappa, GramMaxCond)}, nil
	}
	u := F64.UnitRoundoff()
	var ch mat.Cholesky
	if !(kappa*kappa*u < 0.1) || !ch.Factorize(A) {
		return nil, inputErrorf("%s: cond ≈ %.3g of the standardized design is beyond what its Gram matrix resolves (κ²·u ≥ 0.1); solve by QR",
			t.Label(), kappa)
	}
	th := mat.NewVecDense(q, nil)
	if err := ch.SolveVecTo(th, mat.NewVecDense(q, rhs)); err != nil {
		return nil, fmt.Errorf("lsgd: Cholesky solve: %w", err)
	}
	theta := th.RawVector().Data
	// Refinement on residuals: the gradient at θ (target slot −1) is
	// g = (2/n)·(Aθ − Zᵀz) over the free slots, so δ = −A⁻¹·(n/2)·g; the
	// loss f(θ) = (1/n)‖Zθ − z‖² + λ·Σ mul²θ² is quadratic, so
	// f(θ + δ) = f(θ) + gᵀδ/2.
	v, mask := make([]float64, p), make([]float64, p)
	for _, i := range free {
		mask[i] = 1
	}
	if err := data.Init(v, mask, ridge); err != nil {
		return nil, err
	}
	g := make([]float64, p)
	delta := mat.NewVecDense(q, nil)
	loss := 0.0
	for step := 0; step < gramRefineSteps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clear(v)
		for a, i := range free {
			v[i] = theta[a]
		}
		v[tg] = -1
		if err := data.SetVector(Theta, v); err != nil {
			return nil, err
		}
		if err := data.Gradient(Theta, Rows{Lo: 0, Hi: n}); err != nil {
			return nil, err
		}
		st, err := data.Status()
		if err != nil {
			return nil, err
		}
		if err := data.Vector(Grad, g); err != nil {
			return nil, err
		}
		for a, i := range free {
			rhs[a] = -float64(n) / 2 * g[i]
		}
		if err := ch.SolveVecTo(delta, mat.NewVecDense(q, rhs)); err != nil {
			return nil, fmt.Errorf("lsgd: Cholesky solve: %w", err)
		}
		dd := delta.RawVector().Data
		gd := 0.0
		for a, i := range free {
			gd += g[i] * dd[a]
		}
		loss = st.Loss + gd/2
		floats.Add(theta, dd)
		if floats.Norm(dd, 2) <= 4*kappa*u*floats.Norm(theta, 2) {
			break
		}
	}
	pen := 0.0 // λ·Σ mul²θ² in standardized units
	for a, j := range sc.feats {
		pen += ridge[j] * theta[a] * theta[a]
	}
	mseStd := math.Max(loss-pen, 0) // (1/n)‖Zθ − z‖²
	sol := &Solution{Linear: Linear{Features: t.FeatureNames()}, Cond: kappa, Method: methodGram,
		MethodWhy: fmt.Sprintf("cond ≈ %.3g ≤ %g: one Gram pass, Cholesky, refinement on residuals", kappa, GramMaxCond)}
	if opt.Method == SolveGram {
		sol.MethodWhy = "asked for"
	}
	sol.Coef = make([]float64, d)
	sol.Intercept = sc.toOriginal(theta, sol.Coef)
	if sc.intercept {
		sol.Intercept += sc.mean[tg]
	}
	mul := sc.mul[tg]
	sol.MSE = mseStd / (mul * mul)
	if scale[tg] > 0 {
		sol.R2 = 1 - mseStd // TSS/n = scale_y² = 1/mul_y²
	}
	cpen := 0.0
	for _, c := range sol.Coef {
		cpen += c * c
	}
	sol.Loss = sol.MSE + opt.L2*cpen
	sol.ErrorBound = errorBound(kappa, math.Sqrt(float64(n)*mseStd), math.Sqrt(lmax), floats.Norm(theta, 2))
	if opt.L2 == 0 {
		var U mat.TriDense
		ch.UTo(&U)
		R := make([]float64, q*q)
		for i := 0; i < q; i++ {
			for j := i; j < q; j++ {
				R[i*q+j] = U.At(i, j)
			}
		}
		sol.Inference = infer(sc, R, sol, float64(n)*sol.MSE)
	}
	return sol, nil
}
