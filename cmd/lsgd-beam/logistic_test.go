package main

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lsgd/lsgd/tableio"
)

// ldata returns an n-row table x1, x2, x3, w, y with y ~ Bernoulli(σ(0.5 +
// x·β)) (features with offsets, so the intercept and centring matter) and
// weights in [0, 2) (every ninth row zero).
func ldata(seed uint64, n int) *tableio.Table {
	rng := rand.New(rand.NewPCG(seed, 2))
	t := tableio.NewTable(n, 5, tableio.F64)
	t.Names = []string{"x1", "x2", "x3", "w", "y"}
	for i := 0; i < n; i++ {
		r := t.F64[i*5 : i*5+5]
		r[0] = 5 + rng.NormFloat64()
		r[1] = -2 + 0.5*rng.NormFloat64()
		r[2] = 0.3*r[0] + rng.NormFloat64()
		r[3] = 2 * rng.Float64()
		if i%9 == 0 {
			r[3] = 0
		}
		eta := 0.5 + 0.8*(r[0]-5) - 1.2*(r[1]+2) + 0.4*r[2]
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			r[4] = 1
		}
	}
	return t
}

// newtonRef minimizes Σ w_i·ℓ_i + W·λ‖β‖² by Newton's method written out
// directly: the gradient and the Hessian Aᵀdiag(w·p(1−p))A (+ 2Wλ on the
// slopes) of A = [X 1] in float64, a Cholesky solve per step, until the
// step stops changing θ. wcol < 0: unit weights. It returns the slopes,
// then the intercept (if any), and the mean log-loss and accuracy at the solution.
func newtonRef(t *testing.T, tab *tableio.Table, wcol int, l2 float64, intercept bool) (theta []float64, logloss, acc float64) {
	t.Helper()
	d, q := 3, 4
	if !intercept {
		q = 3
	}
	theta = make([]float64, q)
	weight := func(i int) float64 {
		if wcol < 0 {
			return 1
		}
		return tab.At(i, wcol)
	}
	W := 0.0
	for i := 0; i < tab.Rows; i++ {
		W += weight(i)
	}
	row := func(i int) []float64 { return []float64{tab.At(i, 0), tab.At(i, 1), tab.At(i, 2), 1}[:q] }
	for it := 0; it < 100; it++ {
		H := mat.NewSymDense(q, nil)
		g := mat.NewVecDense(q, nil)
		for i := 0; i < tab.Rows; i++ {
			a := row(i)
			eta := mat.Dot(mat.NewVecDense(q, a), mat.NewVecDense(q, theta))
			p := 1 / (1 + math.Exp(-eta))
			w, y := weight(i), tab.At(i, 4)
			for j := 0; j < q; j++ {
				g.SetVec(j, g.AtVec(j)+w*(y-p)*a[j])
				for k := j; k < q; k++ {
					H.SetSym(j, k, H.At(j, k)+w*p*(1-p)*a[j]*a[k])
				}
			}
		}
		for j := 0; j < d; j++ {
			g.SetVec(j, g.AtVec(j)-2*W*l2*theta[j])
			H.SetSym(j, j, H.At(j, j)+2*W*l2)
		}
		var ch mat.Cholesky
		if !ch.Factorize(H) {
			t.Fatal("reference Hessian not positive definite")
		}
		var step mat.VecDense
		if err := ch.SolveVecTo(&step, g); err != nil {
			t.Fatal(err)
		}
		done := true
		for j := range theta {
			if math.Abs(step.AtVec(j)) > 1e-15*math.Max(1, math.Abs(theta[j])) {
				done = false
			}
			theta[j] += step.AtVec(j)
		}
		if done && it > 2 {
			break
		}
	}
	for i := 0; i < tab.Rows; i++ {
		a := row(i)
		eta := mat.Dot(mat.NewVecDense(q, a), mat.NewVecDense(q, theta))
		w, y := weight(i), tab.At(i, 4)
		logloss += w * (math.Log1p(math.Exp(eta)) - y*eta)
		if (eta >= 0) == (y == 1) {
			acc += w
		}
	}
	return theta, logloss / W, acc / W
}

// TestLogistic fits logistic regression through the pipeline (Newton
// passes over uneven shards) and compares with newtonRef: unweighted
// over .npy shards read as row ranges; weighted with --l2 over CSV
// shards, one of a single row and one whose weights are all zero. Both
// reach the optimum to far below 1e-8 (the decrement test stops at
// λ²/2 ≤ 1e-20·W and takes one more Newton step); the data's condition
// is modest, so 1e-8 relative bounds the rounding of both.
func TestLogistic(t *testing.T) {
	tab := ldata(3, 1500)
	for i := 700; i < 760; i++ {
		tab.F64[i*5+3] = 0
	}
	dir := t.TempDir()
	shard(t, tab, dir, "p-0.npy", 0, 1100)
	shard(t, tab, dir, "p-1.npy", 1100, 1500)
	shard(t, tab, dir, "c-0.csv", 0, 699)
	shard(t, tab, dir, "c-1.csv", 699, 700)
	shard(t, tab, dir, "c-2.csv", 700, 760) // every weight zero
	shard(t, tab, dir, "c-3.csv", 760, 1500)
	for _, c := range []struct {
		name, glob, weights string
		wcol                int
		l2                  float64
		noIntercept         bool
	}{
		{"unweighted", "p-*.npy", "", -1, 0, false},
		{"weighted, l2", "c-*.csv", "w", 3, 0.01, false},
		{"weighted, no intercept", "p-*.npy", "x4", 3, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := Options{Spec: Spec{Weights: c.weights, NoIntercept: c.noIntercept}, L2: c.l2, SplitRows: 300}
			var want []float64
			var ll, acc float64
			if c.wcol < 0 {
				// The .npy shards keep the w column: name the features.
				opt.Features = []string{"x1", "x2", "x3"}
				opt.Target = "5"
			}
			want, ll, acc = newtonRef(t, tab, c.wcol, c.l2, !c.noIntercept)
			b := 0.0
			if !c.noIntercept {
				b = want[3]
			}
			out, err := FitLogistic(context.Background(), onPrism, filepath.Join(dir, c.glob), opt)
			if err != nil {
				t.Fatal(err)
			}
			if !out.Converged || out.Passes < 3 || out.Passes > 15 || out.Rows != 1500 {
				t.Errorf("converged %v after %d passes, %d rows", out.Converged, out.Passes, out.Rows)
			}
			big := 0.0
			for _, v := range want {
				big = math.Max(big, math.Abs(v))
			}
			const tol = 1e-8
			worst := relErr(out.Intercept, b, 1e-3*big)
			for a := 0; a < 3; a++ {
				worst = math.Max(worst, relErr(out.Coef[a], want[a], 1e-3*big))
			}
			t.Logf("%d passes, decrement %.2g, largest relative difference %.2g", out.Passes, out.Decrement, worst)
			for a := 0; a < 3; a++ {
				if e := relErr(out.Coef[a], want[a], 1e-3*big); e > tol {
					t.Errorf("coef[%d] %.17g; Newton reference %.17g (rel. error %.2g)", a, out.Coef[a], want[a], e)
				}
			}
			if e := relErr(out.Intercept, b, 1e-3*big); e > tol {
				t.Errorf("intercept %.17g; Newton reference %.17g (rel. error %.2g)", out.Intercept, b, e)
			}
			if e := relErr(out.LogLoss, ll, 0); e > 1e-12 {
				t.Errorf("log_loss %.17g; reference %.17g", out.LogLoss, ll)
			}
			if math.Abs(out.Accuracy-acc) > 1e-12 {
				t.Errorf("accuracy %.17g; reference %.17g", out.Accuracy, acc)
			}
		})
	}
}

// TestLogisticErrors: a target other than 0/1 names file, row and column
// and exits with status 2, as do separated classes (no maximum-likelihood
// estimate; with --l2 the same data fit) and --family with an unknown name.
func TestLogisticErrors(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"a.csv": "x1,x2,y\n1,2,0\n2,1,1\n3,3,0\n",
		"b.csv": "x1,x2,y\n1,2,1\n2,1,0.5\n",
		// y = 1 exactly where x1 + x2 > 5.
		"sep.csv": "x1,x2,y\n1,2,0\n4,3,1\n2,2,0\n3,3.5,1\n0,4,0\n5,1,1\n2.5,2,0\n1,4.5,1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--family", "binomial"}, []string{filepath.Join(dir, "b.csv") + ":3", `column "y"`, "not 0 or 1"}},
		{[]string{"--family", "poisson"}, []string{"--family"}},
		{[]string{"--family", "binomial", "--data", filepath.Join(dir, "sep.csv")}, []string{"sep.csv: the classes are separated", "--l2"}},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"solve", "--data", filepath.Join(dir, "[ab].csv")}, c.args...)
		if rc := run(context.Background(), args, &stdout, &stderr); rc != 2 {
			t.Errorf("%v: exit %d; want 2 (%s)", c.args, rc, stderr.String())
		}
		for _, m := range c.want {
			if !strings.Contains(stderr.String(), m) {
				t.Errorf("%v: %q does not say %q", c.args, stderr.String(), m)
			}
		}
	}
	out, err := FitLogistic(context.Background(), onPrism, filepath.Join(dir, "sep.csv"), Options{L2: 1e-3})
	if err != nil || !out.Converged || out.Accuracy != 1 {
		t.Errorf("separated classes with --l2: %v, %+v", err, out)
	}
}
