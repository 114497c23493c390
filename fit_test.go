package lsgd_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"gonum.org/v1/gonum/mat"
)

// relErr is ‖a−b‖/‖b‖ over coefficients and intercept together.
func relErr(coef []float64, b0 float64, wantCoef []float64, wantB0 float64) float64 {
	num, den := (b0-wantB0)*(b0-wantB0), wantB0*wantB0
	for i := range coef {
		num += (coef[i] - wantCoef[i]) * (coef[i] - wantCoef[i])
		den += wantCoef[i] * wantCoef[i]
	}
	return math.Sqrt(num / den)
}

// The founding tutorial's example, done right: θ = [0.1, 0.5].
func TestTutorialExample(t *testing.T) {
	tab := lsgd.FromRows([][]float64{{1, 2}, {2, 3}, {3, 4}, {4, 5}}, []float64{1, 2, 2, 3})
	sol, err := lsgd.Solve(tab, lsgd.SolveOptions{NoIntercept: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.1, 0.5}
	for i := range want {
		if math.Abs(sol.Coef[i]-want[i]) > 1e-12 {
			t.Errorf("solve θ[%d] = %.17g; want %g", i, sol.Coef[i], want[i])
		}
	}
	for _, b := range backends() {
		res, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{NoIntercept: true})
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(res.Coef, 0, sol.Coef, 0); e > 1e-6 {
			t.Errorf("%s: train θ = %v; want %v (rel err %.2g)", b.Device(), res.Coef, sol.Coef, e)
		}
		if !res.Converged {
			t.Errorf("%s: not converged: %s", b.Device(), res.Reason)
		}
	}
}

func backends() []lsgd.Backend {
	return []lsgd.Backend{cpu.NewReference(), cpu.New(cpu.Options{}), cpu.New(cpu.Options{Threads: 3, Portable: true})}
}

func gen(t *testing.T, rows, feats int, cond, noise float64, seed uint64) (*lsgd.Table, *lsgd.Truth) {
	t.Helper()
	tab, tr, err := lsgd.Generate(lsgd.GenOptions{Rows: rows, Features: feats, Cond: cond, Noise: noise, Intercept: 1.5, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return tab, tr
}

// Default settings reach the exact solution to 1e-6 on well-conditioned
// data and to 1e-4 when the standardized Gram matrix has cond ≈ 1e3.
func TestDefaultsReachExactSolution(t *testing.T) {
	cases := []struct {
		rows, feats int
		cond        float64 // of the standardized feature matrix; its Gram matrix has cond²
		tol         float64
	}{
		{2000, 5, 1, 1e-6},
		{3001, 17, 3, 1e-6},
		{5003, 8, math.Sqrt(1e3), 1e-4},
		{4099, 30, math.Sqrt(1e3), 1e-4},
	}
	for i, c := range cases {
		tab, _ := gen(t, c.rows, c.feats, c.cond, 0.1, uint64(i+1))
		sol, err := lsgd.Solve(tab, lsgd.SolveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, lsgd.Options{})
		if err != nil {
			t.Fatal(err)
		}
		e := relErr(res.Coef, res.Intercept, sol.Coef, sol.Intercept)
		t.Logf("%d×%d cond %.3g (est. Hessian cond %.3g): rel err %.2g in %d iterations (%s)",
			c.rows, c.feats, c.cond, res.Cond, e, res.Iterations, res.Reason)
		if e > c.tol || !res.Converged {
			t.Errorf("%d×%d cond %g: rel err %.2g (want ≤ %g), converged %v (%s)", c.rows, c.feats, c.cond, e, c.tol, res.Converged, res.Reason)
		}
	}
}

// Every optimizer converges to the QR solution, each to the tolerance its
// method can honestly reach: GD, momentum and Nesterov to the exact
// solution, RMSprop and Adam (constant step) near it, SGD (decaying step on
// noisy mini-batches) nearer the noise level.
func TestOptimizersAgainstQR(t *testing.T) {
	tols := map[lsgd.Optimizer]float64{
		lsgd.OptPCG: 1e-8, lsgd.OptNesterov: 1e-6, lsgd.OptGD: 1e-5, lsgd.OptMomentum: 1e-6,
		lsgd.OptRMSprop: 5e-2, lsgd.OptAdam: 1e-2, lsgd.OptSGD: 2e-2,
	}
	type problem struct {
		rows, feats int
		cond        float64
		noIntercept bool
		l2          float64
	}
	problems := []problem{
		{1000, 3, 1, false, 0},
		{2500, 12, 5, false, 0},
		{1500, 7, 3, true, 0},
		{2000, 9, 4, false, 0.01},
	}
	for pi, p := range problems {
		tab, _ := gen(t, p.rows, p.feats, p.cond, 0.05, uint64(100+pi))
		if p.noIntercept {
			// No intercept in the model: regenerate y through the origin.
			for i := 0; i < tab.Rows; i++ {
				tab.Set(i, tab.Target, tab.At(i, tab.Target)-1.5)
			}
		}
		sol, err := lsgd.Solve(tab, lsgd.SolveOptions{NoIntercept: p.noIntercept, L2: p.l2})
		if err != nil {
			t.Fatal(err)
		}
		for _, opt := range lsgd.Optimizers {
			name := fmt.Sprintf("%d×%d/cond%g/noint=%v/l2=%g/%s", p.rows, p.feats, p.cond, p.noIntercept, p.l2, opt)
			t.Run(name, func(t *testing.T) {
				o := lsgd.Options{Optimizer: opt, NoIntercept: p.noIntercept, L2: p.l2, Seed: 7}
				if opt == lsgd.OptSGD {
					o.Batch = 64
				}
				res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), tab, o)
				if err != nil {
					t.Fatal(err)
				}
				e := relErr(res.Coef, res.Intercept, sol.Coef, sol.Intercept)
				t.Logf("rel err %.2g after %d iterations (%s), loss %.6g vs %.6g", e, res.Iterations, res.Reason, res.Loss, sol.Loss)
				if e > tols[opt] {
					t.Errorf("rel err %.3g > %g (%s)", e, tols[opt], res.Reason)
				}
				if res.Loss < sol.Loss*(1-1e-9) {
					t.Errorf("loss %.12g below the exact minimum %.12g", res.Loss, sol.Loss)
				}
			})
		}
	}
}

func TestDivergenceNamesStableStep(t *testing.T) {
	tab, _ := gen(t, 500, 4, 2, 0.1, 3)
	_, err := lsgd.Fit(context.Background(), cpu.NewReference(), tab, lsgd.Options{Optimizer: lsgd.OptGD, LR: 100})
	var div *lsgd.DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("lr 100: got %v; want a DivergedError", err)
	}
	if div.Iteration > 50 || div.StableLR <= 0 || div.StableLR > 2 {
		t.Errorf("diverged at %d, stable step %g; want early detection and a stable step near 2/L", div.Iteration, div.StableLR)
	}
	if !strings.Contains(err.Error(), "stable step") {
		t.Errorf("message %q does not name the stable step", err)
	}
}

func TestConstantColumnNamed(t *testing.T) {
	x := [][]float64{{1, 5}, {2, 5}, {3, 5}, {4, 5}}
	tab := lsgd.FromRows(x, []float64{1, 2, 3, 5})
	tab.Names = []string{"a", "const", "y"}
	for _, b := range backends() {
		_, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{})
		if !errors.Is(err, lsgd.ErrInput) || !strings.Contains(err.Error(), `"const"`) {
			t.Errorf("fit: %v; want an input error naming \"const\"", err)
		}
	}
	_, err := lsgd.Solve(tab, lsgd.SolveOptions{})
	if !errors.Is(err, lsgd.ErrInput) || !strings.Contains(err.Error(), `"const"`) {
		t.Errorf("solve: %v; want an input error naming \"const\"", err)
	}
}

func TestFewerRowsThanFeatures(t *testing.T) {
	tab := lsgd.FromRows([][]float64{{1, 2, 3}, {4, 5, 7}}, []float64{1, 2})
	if _, err := lsgd.Fit(context.Background(), cpu.NewReference(), tab, lsgd.Options{}); !errors.Is(err, lsgd.ErrInput) {
		t.Errorf("fit: %v; want ErrInput", err)
	}
	if _, err := lsgd.Solve(tab, lsgd.SolveOptions{}); !errors.Is(err, lsgd.ErrInput) {
		t.Errorf("solve: %v; want ErrInput", err)
	}
}

// Duplicate columns: solve names them; train warns and returns the
// minimum-norm solution (the weight split evenly between the copies).
func TestCollinearColumns(t *testing.T) {
	tab, _ := gen(t, 800, 3, 1, 0.1, 9)
	x := make([][]float64, tab.Rows)
	y := make([]float64, tab.Rows)
	for i := range x {
		x[i] = []float64{tab.At(i, 0), tab.At(i, 1), tab.At(i, 2), 2 * tab.At(i, 1)}
		y[i] = tab.At(i, 3)
	}
	dup := lsgd.FromRows(x, y)
	dup.Names = []string{"a", "b", "c", "b2", "y"}
	_, err := lsgd.Solve(dup, lsgd.SolveOptions{})
	var re *lsgd.RankError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), `"b"`) || !strings.Contains(err.Error(), `"b2"`) {
		t.Fatalf("solve: %v; want a RankError naming b and b2", err)
	}
	res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), dup, lsgd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, " "), `"b2"`) {
		t.Errorf("warnings %q do not name the collinear columns", res.Warnings)
	}
	sol, err := lsgd.Solve(tab, lsgd.SolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The model is unique in prediction: b·θ_b + b2·θ_b2 = b·(θ_b + 2θ_b2).
	got := res.Coef[1] + 2*res.Coef[3]
	if math.Abs(got-sol.Coef[1]) > 1e-6*math.Abs(sol.Coef[1]) {
		t.Errorf("combined coefficient %g; want %g", got, sol.Coef[1])
	}
}

// The normal equations hold at the QR solution: ‖Xᵀr‖ ≤ c·u·‖X‖·‖r‖.
func TestSolveNormalEquations(t *testing.T) {
	tab, _ := gen(t, 3000, 20, 30, 0.3, 11)
	sol, err := lsgd.Solve(tab, lsgd.SolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	feats := tab.Features()
	r := make([]float64, tab.Rows)
	rn := 0.0
	for i := range r {
		p := sol.Intercept
		for a, j := range feats {
			p += sol.Coef[a] * tab.At(i, j)
		}
		r[i] = tab.At(i, tab.Target) - p
		rn += r[i] * r[i]
	}
	rn = math.Sqrt(rn)
	for _, j := range append(feats, -1) {
		s, xn := 0.0, 0.0
		for i := range r {
			x := 1.0
			if j >= 0 {
				x = tab.At(i, j)
			}
			s += x * r[i]
			xn += x * x
		}
		if math.Abs(s) > 1e-10*math.Sqrt(xn)*rn {
			t.Errorf("column %d: xᵀr = %.3g, ‖x‖‖r‖ = %.3g", j, s, math.Sqrt(xn)*rn)
		}
	}
}

// Ridge: compare Solve with the closed form (XcᵀXc + nλI)θ = Xcᵀyc on
// centred data, solved independently by Gaussian elimination.
func TestSolveRidgeClosedForm(t *testing.T) {
	tab, _ := gen(t, 400, 3, 2, 0.5, 13)
	lambda := 0.3
	sol, err := lsgd.Solve(tab, lsgd.SolveOptions{L2: lambda})
	if err != nil {
		t.Fatal(err)
	}
	n, d := tab.Rows, 3
	mean := make([]float64, d+1)
	for j := 0; j <= d; j++ {
		for i := 0; i < n; i++ {
			mean[j] += tab.At(i, j) / float64(n)
		}
	}
	A := make([][]float64, d)
	for a := range A {
		A[a] = make([]float64, d+1)
		for b := 0; b <= d; b++ {
			for i := 0; i < n; i++ {
				A[a][b] += (tab.At(i, a) - mean[a]) * (tab.At(i, b) - mean[b])
			}
		}
		A[a][a] += float64(n) * lambda
	}
	// Gaussian elimination with partial pivoting on [A | rhs].
	for k := 0; k < d; k++ {
		p := k
		for i := k + 1; i < d; i++ {
			if math.Abs(A[i][k]) > math.Abs(A[p][k]) {
				p = i
			}
		}
		A[k], A[p] = A[p], A[k]
		for i := k + 1; i < d; i++ {
			f := A[i][k] / A[k][k]
			for b := k; b <= d; b++ {
				A[i][b] -= f * A[k][b]
			}
		}
	}
	want := make([]float64, d)
	for k := d - 1; k >= 0; k-- {
		s := A[k][d]
		for b := k + 1; b < d; b++ {
			s -= A[k][b] * want[b]
		}
		want[k] = s / A[k][k]
	}
	if e := relErr(sol.Coef, 0, want, 0); e > 1e-10 {
		t.Errorf("ridge θ = %v; want %v (rel err %.2g)", sol.Coef, want, e)
	}
	res, err := lsgd.Fit(context.Background(), cpu.NewReference(), tab, lsgd.Options{L2: lambda})
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(res.Coef, 0, want, 0); e > 1e-6 {
		t.Errorf("fit ridge θ = %v; want %v (rel err %.2g)", res.Coef, want, e)
	}
}

func TestCancelReportsProgress(t *testing.T) {
	tab, _ := gen(t, 2000, 10, 100, 0.1, 5)
	ctx, cancel := context.WithCancel(context.Background())
	o := lsgd.Options{Optimizer: lsgd.OptGD, Epochs: 100000, Tol: 1e-15}
	o.Progress = func(p lsgd.Progress) {
		if p.Iteration >= 50 {
			cancel()
		}
	}
	res, err := lsgd.Fit(ctx, cpu.New(cpu.Options{}), tab, o)
	if !errors.Is(err, context.Canceled) || res == nil {
		t.Fatalf("got %v, %v; want a partial result and context.Canceled", res, err)
	}
	if res.Iterations < 50 || res.Iterations > 70 || res.Converged || !strings.Contains(err.Error(), "iteration") {
		t.Errorf("stopped at %d (converged %v): %v", res.Iterations, res.Converged, err)
	}
	for _, c := range res.Coef {
		if math.IsNaN(c) {
			t.Fatal("NaN coefficient in a partial result")
		}
	}
}

// Same data and settings give bit-identical coefficients whatever the
// thread count.
func TestCPUDeterministicAcrossThreads(t *testing.T) {
	tab, _ := gen(t, 20000, 9, 10, 0.1, 21)
	var first []float64
	for _, th := range []int{1, 2, 3, 7} {
		for _, p := range []lsgd.Precision{lsgd.F64, lsgd.F32} {
			res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{Threads: th, Precision: p}), tab, lsgd.Options{Epochs: 50})
			if err != nil {
				t.Fatal(err)
			}
			got := append(res.Coef, res.Intercept)
			if p == lsgd.F32 {
				continue
			}
			if first == nil {
				first = got
				continue
			}
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(first[i]) {
					t.Fatalf("threads %d: coef[%d] = %v, threads 1 gave %v", th, i, got[i], first[i])
				}
			}
		}
	}
}

// Solve factorizes tall data in cache-sized row blocks (TSQR): with
// several blocks and a short last one, it agrees with gonum's plain
// Householder QR on the same standardized design, and the normal
// equations hold.
func TestSolveManyBlocks(t *testing.T) {
	tab, _ := gen(t, 3*16384+77, 6, 20, 0.2, 17)
	sol, err := lsgd.Solve(tab, lsgd.SolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n, feats := tab.Rows, tab.Features()
	q := len(feats) + 1
	Z := mat.NewDense(n, q, nil)
	y := mat.NewVecDense(n, nil)
	for i := 0; i < n; i++ {
		for a, j := range feats {
			Z.Set(i, a, tab.At(i, j))
		}
		Z.Set(i, q-1, 1)
		y.SetVec(i, tab.At(i, tab.Target))
	}
	var qr mat.QR
	qr.Factorize(Z)
	var want mat.VecDense
	if err := qr.SolveVecTo(&want, false, y); err != nil {
		t.Fatal(err)
	}
	wc := make([]float64, q-1)
	for a := range wc {
		wc[a] = want.AtVec(a)
	}
	if e := relErr(sol.Coef, sol.Intercept, wc, want.AtVec(q-1)); e > 1e-11 {
		t.Errorf("TSQR solution differs from plain QR by %.3g relative", e)
	}
}
