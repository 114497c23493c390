package lsgd

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/lsgd/lsgd/internal/par"
)

// Least squares is invariant to scaling a column (and the target): the
// fit of y·2^e_y on x_j·2^e_j has coefficients θ_j·2^(e_j−e_y). Fit and
// Solve square and sum the values (moments, Gram matrix, gradient), which
// overflows for values near 1e160 and underflows to zero for values near
// 1e-160, so a column of such values looks infinite or constant. A column
// whose largest magnitude lies outside a safe range is therefore scaled
// by a power of two (exact in binary floating point) to a largest
// magnitude in [1, 2) before anything is squared, and the fit is mapped
// back; a coefficient that the map sends outside float64 is a range error.

// safeExp is the largest |log₂ max|x|| a column may have unscaled: in
// float64 its squares, products and sums of 2⁶⁰ rows stay far from
// overflow and underflow; in float32 (storage or arithmetic) the squares
// of 2⁴⁰ still fit with room for the sums.
func safeExp(p Precision) int {
	if p == F32 {
		return 40
	}
	return 250
}

// prescaleExponents returns e_j per column (x_j is to be multiplied by
// 2^e_j), or nil when every column's largest magnitude is within
// 2^±safeExp (or is zero: an all-zero column is left for the checks that
// name it). A non-finite value is an input error.
func prescaleExponents(t *Table, p Precision) ([]int, error) {
	c := t.Cols
	blocks := (t.Rows + 4095) / 4096
	part := make([]float64, blocks*c)
	par.For(blocks, 0, func(_, k int) {
		m := part[k*c : (k+1)*c]
		for i := k * 4096; i < min((k+1)*4096, t.Rows); i++ {
			o := i * t.Stride
			if t.F32 != nil {
				for j, v := range t.F32[o : o+c] {
					m[j] = math.Max(m[j], math.Abs(float64(v)))
				}
			} else {
				for j, v := range t.F64[o : o+c] {
					m[j] = math.Max(m[j], math.Abs(v))
				}
			}
		}
	})
	lim := safeExp(p)
	if t.Precision() == F32 {
		lim = min(lim, safeExp(F32))
	}
	var exp []int
	for j := 0; j < c; j++ {
		mx := 0.0
		for k := 0; k < blocks; k++ {
			mx = math.Max(mx, part[k*c+j])
		}
		if math.IsInf(mx, 0) || math.IsNaN(mx) {
			if err := t.CheckFinite(); err != nil {
				return nil, err // names the row too
			}
			return nil, inputErrorf("%s: column %q holds a value that is not finite", t.Label(), t.Name(j))
		}
		if mx == 0 {
			continue
		}
		_, e := math.Frexp(mx) // mx = f·2^e, f in [0.5, 1)
		if e-1 > lim || e-1 < -lim {
			if exp == nil {
				exp = make([]int, c)
			}
			exp[j] = 1 - e // mx·2^(1−e) in [1, 2)
		}
	}
	return exp, nil
}

// scaledCopy returns a copy of t (same precision) with column j
// multiplied by 2^exp[j]; exact, since every scaled column's largest
// magnitude is in [1, 2).
func scaledCopy(t *Table, exp []int) *Table {
	s := t.Clone(t.Precision())
	mul := make([]float64, t.Cols)
	for j := range mul {
		mul[j] = math.Ldexp(1, exp[j])
	}
	blocks := (t.Rows + 4095) / 4096
	par.For(blocks, 0, func(_, k int) {
		for i := k * 4096; i < min((k+1)*4096, s.Rows); i++ {
			o := i * s.Stride
			if s.F32 != nil {
				for j := range s.F32[o : o+s.Cols] {
					s.F32[o+j] = float32(float64(s.F32[o+j]) * mul[j])
				}
			} else {
				for j := range s.F64[o : o+s.Cols] {
					s.F64[o+j] *= mul[j]
				}
			}
		}
	})
	return s
}

// unscale maps a fit on the scaled table back: coefficient k (feature
// column j) times 2^(e_j−e_y), the intercept (and bounds) times 2^−e_y.
// It returns a range error when a mapped number is not finite or
// underflows from nonzero to zero.
func unscale(t *Table, exp []int, lin *Linear, coefBound []float64, interceptBound *float64) error {
	ey := exp[t.Target]
	for k, j := range t.Features() {
		c, err := ldexpChecked(t, lin.Coef[k], exp[j]-ey, "coefficient of "+fmt.Sprintf("%q", t.Name(j)))
		if err != nil {
			return err
		}
		lin.Coef[k] = c
		if k < len(coefBound) {
			coefBound[k] = math.Ldexp(coefBound[k], exp[j]-ey)
		}
	}
	b, err := ldexpChecked(t, lin.Intercept, -ey, "intercept")
	if err != nil {
		return err
	}
	lin.Intercept = b
	if interceptBound != nil {
		*interceptBound = math.Ldexp(*interceptBound, -ey)
	}
	return nil
}

// ldexpChecked returns v·2^e, or a range error when that is not a finite,
// normal float64 (a coefficient that only exists beyond the format).
func ldexpChecked(t *Table, v float64, e int, what string) (float64, error) {
	r := math.Ldexp(v, e)
	if math.IsInf(r, 0) || math.IsNaN(r) || (v != 0 && math.Abs(r) < 0x1p-1022) {
		return 0, &InputError{Msg: fmt.Sprintf("%s: the %s (≈ %.3g·2^%d) is outside the float64 range: rescale the columns (e.g. divide the target or multiply the features by a power of ten) and fit again",
			t.Label(), what, v, e)}
	}
	return r, nil
}

// rangeCheck returns a range error naming the first number of a fitted
// model (or its mean squared error) that is not finite.
func rangeCheck(t *Table, lin *Linear, mse float64) error {
	for k, c := range lin.Coef {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return &InputError{Msg: fmt.Sprintf("%s: the coefficient of %q is not finite: the values are beyond what float64 arithmetic can fit; rescale the columns", t.Label(), lin.Features[k])}
		}
	}
	if math.IsNaN(lin.Intercept) || math.IsInf(lin.Intercept, 0) {
		return &InputError{Msg: fmt.Sprintf("%s: the intercept is not finite: the values are beyond what float64 arithmetic can fit; rescale the columns", t.Label())}
	}
	if math.IsNaN(mse) || math.IsInf(mse, 0) {
		return &InputError{Msg: fmt.Sprintf("%s: the mean squared error is beyond the float64 range (the residuals of target %q are near 1e154 or more): divide the target by a power of ten and fit again", t.Label(), t.Name(t.Target))}
	}
	return nil
}

// fitScaled fits t through a copy scaled by 2^exp[j] per column and maps
// the result back (see prescaleExponents).
func fitScaled(ctx context.Context, b Backend, t *Table, exp []int, opt Options) (*Result, error) {
	ts := scaledCopy(t, exp)
	ey := exp[t.Target]
	lossMul := math.Ldexp(1, -2*ey)
	o := opt
	o.InPlace = true // the copy is ours
	o.colExp = exp
	var err error
	if o.colL2, err = scaledL2(t, exp, opt.L2); err != nil {
		return nil, err
	}
	if opt.Progress != nil {
		o.Progress = func(p Progress) {
			p.Loss *= lossMul
			opt.Progress(p)
		}
	}
	res, err := Fit(ctx, b, ts, o)
	var div *DivergedError
	if errors.As(err, &div) {
		div.Loss *= lossMul
		div.Loss0 *= lossMul
	}
	if res == nil {
		return nil, err
	}
	if uerr := unscale(t, exp, &res.Linear, res.CoefBound, &res.InterceptBound); uerr != nil {
		return nil, uerr
	}
	res.MSE *= lossMul
	res.Loss *= lossMul
	for i := range res.History {
		res.History[i] *= lossMul
	}
	if rerr := rangeCheck(t, &res.Linear, res.MSE+res.Loss); rerr != nil {
		return nil, rerr
	}
	return res, err
}

// solveScaled solves t through a copy scaled by 2^exp[j] per column and
// maps the solution back.
func solveScaled(t *Table, exp []int, opt SolveOptions) (*Solution, error) {
	ts := scaledCopy(t, exp)
	ey := exp[t.Target]
	o := opt
	o.colExp = exp
	var err error
	if o.colL2, err = scaledL2(t, exp, opt.L2); err != nil {
		return nil, err
	}
	sol, err := Solve(ts, o)
	if err != nil {
		return nil, err
	}
	if err := unscale(t, exp, &sol.Linear, nil, nil); err != nil {
		return nil, err
	}
	lossMul := math.Ldexp(1, -2*ey)
	sol.MSE *= lossMul
	sol.Loss = sol.MSE
	if opt.L2 > 0 {
		for _, c := range sol.Coef {
			sol.Loss += opt.L2 * c * c
		}
	}
	if err := rangeCheck(t, &sol.Linear, sol.Loss); err != nil {
		return nil, err
	}
	return sol, nil
}

// scaledL2 returns the per-column λ_j = λ·2^(2·e_j) of the scaled
// problem (its penalty λ_j·θ'_j² is λ·θ_j² times 2^(2·e_y), like its
// squared error), or nil when λ is 0; a λ_j beyond float64 is a range
// error.
func scaledL2(t *Table, exp []int, l2 float64) ([]float64, error) {
	if l2 == 0 {
		return nil, nil
	}
	w := make([]float64, t.Cols)
	for j := range w {
		w[j] = math.Ldexp(l2, 2*exp[j])
		if math.IsInf(w[j], 0) {
			return nil, inputErrorf("%s: the L2 penalty %g is beyond the float64 range at the scale of column %q (values near 2^%d): rescale the column",
				t.Label(), l2, t.Name(j), -exp[j])
		}
	}
	return w, nil
}

// l2At is λ_j: w[j] when the problem was prescaled, else l2.
func l2At(w []float64, l2 float64, j int) float64 {
	if w == nil {
		return l2
	}
	return w[j]
}

// unscaled maps a value of prescaled column j back to the user's scale.
func unscaled(v float64, exp []int, j int) float64 {
	if exp == nil {
		return v
	}
	return math.Ldexp(v, -exp[j])
}
