package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// Logistic regression by Newton's method (IRLS), one pipeline per step.
//
// The model is P(y = 1) = σ(b + x·β); the objective, with row weights w_i
// (1 without --weights), is
//
//	F(β, b) = Σ w_i·ℓ_i + W·λ‖β‖²,  ℓ_i = log(1 + e^η_i) − y_i·η_i,  W = Σ w_i,
//
// that is W times the mean log-loss plus λ‖β‖² on the original scale (the
// intercept is not penalized). Each pass reads every row at the current
// θ = (β, b) and reduces, per bundle and then globally: the gradient
// sums G = Σ w_i·(y_i − p_i)·[x_i, 1] (compensated), the loss, the rows
// classified right, and Stats of the feature rows with the IRLS weights
// v_i = w_i·p_i·(1 − p_i): their weighted means m_v and the R factor of
// √v_i·(x_i − m_v), merged by Chan's formula and a QR of the stacked Rs
// like the least-squares pass. In the coordinates (β, c = b + m_v·β) the
// Hessian is block diagonal, diag(RᵀR + 2Wλ·I, Σv), so the launcher gets
// its triangular factor R_H from one small QR, and the Newton step from
// two triangular solves.

// Newton are the mergeable sums of one pass at fixed θ.
type Newton struct {
	Source      string
	Names       []string // features, then the target
	N           int64
	H           Stats     // the feature rows, weights v_i = w_i·p_i(1 − p_i)
	G, GC       []float64 // Σ w_i·(y_i − p_i)·[x_i, 1] and its compensation
	Loss, LossC float64   // Σ w_i·ℓ_i and its compensation
	Hits        float64   // Σ w_i over rows classified right at p = ½
	Strict      float64   // Σ w_i over rows strictly on their side (η > 0 for y = 1, η < 0 for y = 0)
	W           float64   // Σ w_i
	Err         string
	Input       bool
}

// MergeNewton adds two Newton.
func MergeNewton(a, b Newton) Newton {
	if a.Err != "" || b.Err != "" {
		if errWins(b.Err, b.Source, a.Err, a.Source) {
			return b
		}
		return a
	}
	if a.G == nil {
		return b
	}
	if b.G == nil {
		return a
	}
	if b.Source < a.Source {
		a, b = b, a
	}
	if !equalNames(a.Names, b.Names) {
		return Newton{Source: a.Source, Input: true, Err: fmt.Sprintf(
			"%s has columns %s but %s has %s: every file must have the same columns, in the same order",
			a.Source, listNames(a.Names), b.Source, listNames(b.Names))}
	}
	out := Newton{Source: a.Source, Names: a.Names, N: a.N + b.N, H: Merge(a.H, b.H),
		G: make([]float64, len(a.G)), GC: make([]float64, len(a.G)), Hits: a.Hits + b.Hits,
		Strict: a.Strict + b.Strict, W: a.W + b.W}
	for k := range a.G {
		var e float64
		out.G[k], e = twoSum(a.G[k], b.G[k])
		out.GC[k] = a.GC[k] + b.GC[k] + e
	}
	var e float64
	out.Loss, e = twoSum(a.Loss, b.Loss)
	out.LossC = a.LossC + b.LossC + e
	return out
}

// sigmoid returns p = σ(η) and 1 − p, each without cancellation.
func sigmoid(eta float64) (p, q float64) {
	if eta >= 0 {
		e := math.Exp(-eta)
		return 1 / (1 + e), e / (1 + e)
	}
	e := math.Exp(eta)
	return e / (1 + e), 1 / (1 + e)
}

// TableNewton returns the Newton sums of the columns cols (features, then
// the 0/1 target) of t at θ = (coef, b), rows weighted by t.Weights.
func TableNewton(t *tableio.Table, cols []int, names []string, coef []float64, b float64, intercept bool) Newton {
	d := len(cols) - 1
	if len(coef) == 0 { // the first pass: θ = 0
		coef = make([]float64, d)
	}
	nw := Newton{Source: t.Source, Names: names, N: int64(t.Rows), G: make([]float64, d+1), GC: make([]float64, d+1)}
	add := func(k int, v float64) {
		var e float64
		nw.G[k], e = twoSum(nw.G[k], v)
		nw.GC[k] += e
	}
	nw.H = chunkedStats(t.Source, names[:d], t.Rows, d, intercept, func(i int, x []float64) float64 {
		eta := b
		for a := 0; a < d; a++ {
			x[a] = t.At(i, cols[a])
			eta += coef[a] * x[a]
		}
		y, w := t.At(i, cols[d]), t.Weight(i)
		p, q := sigmoid(eta)
		r := -p // y − p
		if y == 1 {
			r = q
		}
		for a := 0; a < d; a++ {
			add(a, w*r*x[a])
		}
		add(d, w*r)
		var e float64
		nw.Loss, e = twoSum(nw.Loss, w*(math.Max(eta, 0)+math.Log1p(math.Exp(-math.Abs(eta)))-y*eta))
		nw.LossC += e
		if (p >= 0.5) == (y == 1) {
			nw.Hits += w
		}
		if y == 1 && eta > 0 || y == 0 && eta < 0 {
			nw.Strict += w
		}
		nw.W += w
		return w * p * q
	})
	return nw
}

// newtonFn reads a shard and emits its Newton sums at θ.
type newtonFn struct {
	Spec      Spec
	Coef      []float64
	Intercept float64
}

func (f *newtonFn) ProcessElement(sh Shard, emit func(Newton)) {
	t, cols, names, err := readShard(sh, f.Spec)
	if err != nil {
		emit(Newton{Source: sh.Path, Err: err.Error(), Input: isInput(err)})
		return
	}
	emit(TableNewton(t, cols, names, f.Coef, f.Intercept, !f.Spec.NoIntercept))
}

// LogitOutput is lsgd-beam solve --family binomial's JSON.
type LogitOutput struct {
	lsgd.Linear
	Family string `json:"family"`
	// LogLoss is the mean log-loss Σ w·ℓ / Σ w and Accuracy the (weighted)
	// share of rows classified right at p = ½, both at the θ of the last
	// pass (the final Newton step after it changes the loss by at most
	// Decrement/2).
	LogLoss  float64 `json:"log_loss"`
	Accuracy float64 `json:"accuracy"`
	Loss     float64 `json:"loss"` // log_loss + λ‖β‖²
	// Decrement is the Newton decrement of the last pass, gᵀH⁻¹g / Σ w: the
	// mean loss is within Decrement/2 of its minimum (to second order).
	Decrement float64 `json:"newton_decrement"`
	Converged bool    `json:"converged"`
	Reason    string  `json:"reason"`
	Passes    int     `json:"passes"`
	Backend   string  `json:"backend"`
	Device    string  `json:"device"`
	Precision string  `json:"precision"`
	Seconds   float64 `json:"seconds"`
	Data      string  `json:"data"`
	Rows      int     `json:"rows"`
	Target    string  `json:"target"`
	Shards    int     `json:"shards"`
	Pipelines int     `json:"pipelines"`
}

// decrementTol is the convergence test: Newton stops once the decrement
// λ² = gᵀH⁻¹g at θ satisfies λ²/2 ≤ decrementTol·Σw (the mean objective is
// then within about 1e-20 of its minimum, and θ within about 1e-10 of the
// optimum in the Hessian's norm per unit weight); that last step is still
// taken, which squares the error once more.
const decrementTol = 1e-20

// FitLogistic fits logistic regression by Newton's method over the files
// matching glob, one pipeline per pass; opt.MaxPasses bounds the passes.
func FitLogistic(ctx context.Context, run Runner, glob string, opt Options) (*LogitOutput, error) {
	start := time.Now()
	shards, tmp, done, err := setup(ctx, glob, opt.SplitRows, opt.Temp)
	if err != nil {
		return nil, err
	}
	defer done()
	spec := opt.Spec
	spec.Binomial = true
	maxPasses := opt.MaxPasses
	if maxPasses <= 0 {
		maxPasses = 50
	}
	var coef, prevCoef, stepCoef []float64
	var b, prevB, stepB float64
	prevF := math.Inf(1)
	halvings := 0
	out := &LogitOutput{Family: "binomial", Backend: "beam", Precision: "f64", Data: glob, Shards: len(shards)}
	for pass := 1; pass <= maxPasses; pass++ {
		var nw Newton
		fn := &newtonFn{Spec: spec, Coef: coef, Intercept: b}
		if err := newtonPass(ctx, run, shards, fn, tmp, pass, &nw); err != nil {
			return nil, err
		}
		if nw.Err != "" {
			return nil, passError(nw.Err, nw.Input)
		}
		d := len(nw.Names) - 1
		if coef == nil { // the first pass ran at θ = 0, sized by the workers
			coef = make([]float64, d)
		}
		if nw.W == 0 {
			return nil, &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: every weight is zero (%d rows): nothing to fit", glob, opt.Weights, nw.N)}
		}
		pen := 0.0
		for _, c := range coef {
			pen += c * c
		}
		F := nw.Loss + nw.LossC + nw.W*opt.L2*pen
		out.Passes, out.Pipelines, out.Rows = pass, pass, int(nw.N)
		out.Features, out.Target = nw.Names[:d], nw.Names[d]
		if opt.L2 == 0 && nw.Strict >= nw.W {
			// Every row is strictly on its side of b + x·β = 0, so
			// scaling θ up drives the loss to zero: no minimum exists.
			return nil, &tableio.InputError{Msg: fmt.Sprintf("%s: the classes are separated: after %d passes b + x·β classifies every row (of positive weight) right, so the log-loss has no minimum (‖θ‖ grows without end); add --l2 (e.g. 1e-4)", glob, pass)}
		}
		if F > prevF+1e-12*math.Abs(prevF) && halvings < 30 {
			// The full step raised the objective (by more than the
			// rounding of the sums, which near the optimum is all the
			// change there is): go back along it.
			halvings++
			for a := range coef {
				stepCoef[a] /= 2
				coef[a] = prevCoef[a] + stepCoef[a]
			}
			stepB /= 2
			b = prevB + stepB
			continue
		}
		halvings = 0
		dcoef, db, dec, err := newtonStep(nw, coef, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: pass %d: %w", glob, pass, err)
		}
		out.LogLoss = (nw.Loss + nw.LossC) / nw.W
		out.Accuracy = nw.Hits / nw.W
		out.Loss = out.LogLoss + opt.L2*pen
		out.Decrement = dec / nw.W
		prevCoef, prevB, prevF = append([]float64(nil), coef...), b, F
		stepCoef, stepB = dcoef, db
		for a := range coef {
			coef[a] += dcoef[a]
		}
		b += db
		if dec/2 <= decrementTol*nw.W {
			out.Converged, out.Reason = true, "newton decrement"
			break
		}
	}
	out.Coef, out.Intercept = coef, b
	out.Seconds = time.Since(start).Seconds()
	if !out.Converged {
		return out, &tableio.InputError{Msg: fmt.Sprintf("%s: Newton's method did not converge in %d passes (mean loss %.6g, decrement %.3g): if the classes are separable there is no maximum-likelihood estimate; add --l2 or raise --max-passes",
			glob, out.Passes, out.Loss, out.Decrement)}
	}
	return out, nil
}

// newtonStep returns the Newton step (Δβ, Δb) from one pass's sums at β
// (the current coefficients) and the decrement gᵀH⁻¹g.
func newtonStep(nw Newton, coef []float64, opt Options) ([]float64, float64, float64, error) {
	d := len(coef)
	intercept := !opt.NoIntercept
	q := d
	if intercept {
		q++
	}
	h := nw.H
	if h.W == 0 {
		return nil, 0, 0, fmt.Errorf("every p(1 − p) is zero: the classes are separated (no maximum-likelihood estimate); add --l2")
	}
	// Rows: R of the centred, √v-scaled features; √Σv for c; √(2Wλ)·e_j.
	rows := d + 1 + d
	a := make([]float64, rows*q)
	for i := 0; i < d; i++ {
		copy(a[i*q:i*q+d], h.R[i*d:(i+1)*d])
	}
	if intercept {
		a[d*q+d] = math.Sqrt(h.W)
	}
	if opt.L2 > 0 {
		r := math.Sqrt(2 * nw.W * opt.L2)
		for j := 0; j < d; j++ {
			a[(d+1+j)*q+j] = r
		}
	}
	R := qrR(a, rows, q)
	big := 0.0
	for i := 0; i < q; i++ {
		big = math.Max(big, math.Abs(R[i*q+i]))
	}
	for i := 0; i < q; i++ {
		if !(math.Abs(R[i*q+i]) > 1e-13*big) {
			name := "(intercept)"
			if i < d {
				name = nw.Names[i]
			}
			return nil, 0, 0, &tableio.InputError{Msg: fmt.Sprintf("the Hessian is singular at column %q: it is collinear with the columns before it, or the classes are separated there; drop it or add --l2", name)}
		}
	}
	// −∇F in (β, c): G_β − m_v·G_b − 2Wλβ, and G_b.
	g := make([]float64, q)
	gb := nw.G[d] + nw.GC[d]
	for j := 0; j < d; j++ {
		g[j] = nw.G[j] + nw.GC[j] - 2*nw.W*opt.L2*coef[j]
		if intercept {
			g[j] -= h.Mean[j] * gb
		}
	}
	if intercept {
		g[d] = gb
	}
	tri := blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: q, Stride: q, Data: R}
	v := blas64.Vector{N: q, Inc: 1, Data: g}
	blas64.Trsv(blas.Trans, tri, v)
	dec := 0.0
	for _, u := range g {
		dec += u * u
	}
	blas64.Trsv(blas.NoTrans, tri, v)
	dcoef := g[:d]
	db := 0.0
	if intercept {
		db = g[d]
		for j := 0; j < d; j++ {
			db -= h.Mean[j] * dcoef[j]
		}
	}
	return dcoef, db, dec, nil
}

func newtonJSON(n Newton) (string, error) {
	b, err := json.Marshal(n)
	return string(b), err
}

func init() {
	register.DoFn2x0[Shard, func(Newton)](&newtonFn{})
	register.Emitter1[Newton]()
	register.Function2x1(MergeNewton)
	register.Function1x2(newtonJSON)
}

// newtonPass runs one Newton pass: the sums at fn's θ.
func newtonPass(ctx context.Context, run Runner, shards []Shard, fn *newtonFn, tmp string, k int, out *Newton) error {
	return pass(ctx, run, shards, fn, MergeNewton, newtonJSON, tmp, fmt.Sprintf("newton%d", k), out)
}
