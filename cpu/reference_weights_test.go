package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// The reference's weights checked by the meaning the contract gives them,
// not by its own formulas: a row of integer weight w counts as w copies of
// the row, and a row of weight 0 as no row at all.

// intTable returns a rows×cols table of small integers (every sum of
// products below is then exact in float64, in any order) with the target
// at column tg; a binomial table holds 0/1 labels there.
func intTable(rng *rand.Rand, rows, cols, tg int, binomial bool) *lsgd.Table {
	t := tableio.NewTable(rows, cols, lsgd.F64)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			v := float64(rng.IntN(41) - 20)
			if binomial && j == tg {
				v = float64(rng.IntN(2))
			}
			t.Set(i, j, v)
		}
	}
	t.Target = tg
	t.Source = fmt.Sprintf("integers %d×%d", rows, cols)
	return t
}

// meanOneWeights returns n integer weights with Σw = n, among them zeros
// and weights of several units: n ones with units moved at random from row
// to row.
func meanOneWeights(rng *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	for k := 0; k < n; k++ {
		i, j := rng.IntN(n), rng.IntN(n)
		if w[i] > 0 {
			w[i]--
			w[j]++
		}
	}
	return w
}

// expand returns the unweighted table holding row i of t w_i times, in
// order.
func expand(t *lsgd.Table) *lsgd.Table {
	var idx []int
	for i, w := range t.Weights {
		for k := 0; k < int(w); k++ {
			idx = append(idx, i)
		}
	}
	return pick(t, idx)
}

// pick returns the unweighted table of t's rows idx, in that order.
func pick(t *lsgd.Table, idx []int) *lsgd.Table {
	e := tableio.NewTable(len(idx), t.Cols, lsgd.F64)
	for k, i := range idx {
		for j := 0; j < t.Cols; j++ {
			e.Set(k, j, t.At(i, j))
		}
	}
	e.Target = t.Target
	e.Source = t.Source + " expanded"
	return e
}

type refRun struct {
	grad              []float64
	loss              float64
	gram, mean, scale []float64
}

// runRef loads t on the reference and returns the gradient and loss at
// theta over rows (Σ-form: scaled back by m/2, or m for the binomial
// family, with mask 1 and no ridge), the Gram matrix of rows and the
// centred moments of the whole table.
func runRef(t *testing.T, tab *lsgd.Table, theta []float64, family lsgd.Family, rows lsgd.Rows, order []int32) refRun {
	t.Helper()
	d, err := cpu.NewReference().Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	p := tab.Cols + 1
	mask := make([]float64, p)
	for j := range mask {
		mask[j] = 1
	}
	if err := d.Init(theta, mask, make([]float64, p)); err != nil {
		t.Fatal(err)
	}
	if err := d.SetFamily(family); err != nil {
		t.Fatal(err)
	}
	if order != nil {
		if err := d.SetOrder(order); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Gradient(lsgd.Theta, rows); err != nil {
		t.Fatal(err)
	}
	var r refRun
	r.grad = make([]float64, p)
	if err := d.Vector(lsgd.Grad, r.grad); err != nil {
		t.Fatal(err)
	}
	st, _ := d.Status()
	r.loss = st.Loss
	if r.gram, err = d.Gram(rows); err != nil {
		t.Fatal(err)
	}
	if r.mean, r.scale, err = d.Moments(true); err != nil {
		t.Fatal(err)
	}
	return r
}

func intTheta(rng *rand.Rand, p, tg int) []float64 {
	theta := make([]float64, p)
	for j := range theta {
		theta[j] = float64(rng.IntN(7) - 3)
	}
	theta[tg] = -1
	return theta
}

func closeTo(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// TestReferenceWeightsRepeatRows: integer weights with mean 1 (so both
// tables have as many rows m as Σw) give the same gradient, loss, Gram
// matrix and moments as the table with each row repeated w_i times.
// Integer data make the Gram matrix, the least-squares gradient and the
// means exact in any order, so they must agree bit for bit.
func TestReferenceWeightsRepeatRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	for _, sh := range [][2]int{{1, 2}, {37, 4}, {513, 9}} {
		for _, family := range []lsgd.Family{lsgd.Gaussian, lsgd.Binomial} {
			n, c := sh[0], sh[1]
			tab := intTable(rng, n, c, c/2, family == lsgd.Binomial)
			tab.Weights = meanOneWeights(rng, n)
			theta := intTheta(rng, c+1, tab.Target)
			got := runRef(t, tab, theta, family, lsgd.Rows{Lo: 0, Hi: n}, nil)
			want := runRef(t, expand(tab), theta, family, lsgd.Rows{Lo: 0, Hi: n}, nil)
			name := fmt.Sprintf("%s %s", tab.Source, family)
			exact := family == lsgd.Gaussian
			compareRuns(t, name, got, want, exact, 1e-12)
		}
	}
}

// compareRuns compares two runs: the Gram matrices and means exactly, the
// scales to 1e-14 relative, the gradients and losses exactly or, without
// exact, to tol·(1 + |want|) (they are means over rows of terms of order
// 20, so tol is a multiple of the round-off of such a mean).
func compareRuns(t *testing.T, name string, got, want refRun, exact bool, tol float64) {
	t.Helper()
	tolOf := func(w float64) float64 {
		if exact {
			return 0
		}
		return tol * (1 + math.Abs(w))
	}
	for j := range want.grad {
		if !closeTo(got.grad[j], want.grad[j], tolOf(want.grad[j])) {
			t.Errorf("%s: gradient[%d] = %.17g; want %.17g", name, j, got.grad[j], want.grad[j])
		}
	}
	if !closeTo(got.loss, want.loss, tolOf(want.loss)) {
		t.Errorf("%s: loss = %.17g; want %.17g", name, got.loss, want.loss)
	}
	for k := range want.gram {
		if got.gram[k] != want.gram[k] {
			t.Errorf("%s: Gram[%d] = %.17g; want %.17g", name, k, got.gram[k], want.gram[k])
		}
	}
	for j := range want.mean {
		if got.mean[j] != want.mean[j] {
			t.Errorf("%s: mean[%d] = %.17g; want %.17g", name, j, got.mean[j], want.mean[j])
		}
		if !closeTo(got.scale[j], want.scale[j], 1e-14*want.scale[j]) {
			t.Errorf("%s: scale[%d] = %.17g; want %.17g", name, j, got.scale[j], want.scale[j])
		}
	}
}

// TestReferenceWeightsZeroRows: rows of weight 0 count for nothing. With
// the other weights 1, the weighted table's Gram matrix and moments equal
// those of the table without those rows, and its gradient and loss equal
// theirs times m'/m (the contract divides by the rows selected, m, not by
// the m' rows that remain).
func TestReferenceWeightsZeroRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 22))
	for _, sh := range [][2]int{{3, 2}, {64, 5}, {1001, 12}} {
		for _, family := range []lsgd.Family{lsgd.Gaussian, lsgd.Binomial} {
			n, c := sh[0], sh[1]
			tab := intTable(rng, n, c, 0, family == lsgd.Binomial)
			tab.Weights = make([]float64, n)
			var keep []int
			for i := range tab.Weights {
				if i == 0 || rng.IntN(3) > 0 {
					tab.Weights[i] = 1
					keep = append(keep, i)
				}
			}
			// The dropped rows hold huge values: any leak shows.
			for i, w := range tab.Weights {
				if w == 0 {
					for j := 0; j < c; j++ {
						if j != tab.Target {
							tab.Set(i, j, 1e30)
						}
					}
				}
			}
			theta := intTheta(rng, c+1, tab.Target)
			got := runRef(t, tab, theta, family, lsgd.Rows{Lo: 0, Hi: n}, nil)
			want := runRef(t, pick(tab, keep), theta, family, lsgd.Rows{Lo: 0, Hi: len(keep)}, nil)
			f := float64(len(keep)) / float64(n)
			for j := range want.grad {
				want.grad[j] *= f
			}
			want.loss *= f
			name := fmt.Sprintf("%s %s, %d of %d rows weighted 0", tab.Source, family, n-len(keep), n)
			compareRuns(t, name, got, want, false, 1e-12)
		}
	}
}

// TestReferenceWeightsShuffled: over shuffled rows, row order[k] carries
// the weight w[order[k]]: the gradient and Gram matrix of a shuffled range
// equal those of the same rows, with their weights, in a table laid out in
// that order.
func TestReferenceWeightsShuffled(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 23))
	n, c := 300, 6
	for _, family := range []lsgd.Family{lsgd.Gaussian, lsgd.Binomial} {
		tab := intTable(rng, n, c, 2, family == lsgd.Binomial)
		tab.Weights = make([]float64, n)
		for i := range tab.Weights {
			tab.Weights[i] = float64(rng.IntN(5))
		}
		tab.Weights[0] = 1
		order := make([]int32, n)
		idx := make([]int, n)
		for k, i := range rng.Perm(n) {
			order[k], idx[k] = int32(i), i
		}
		lo, hi := 17, 250
		laid := pick(tab, idx[lo:hi])
		laid.Weights = make([]float64, hi-lo)
		for k := range laid.Weights {
			laid.Weights[k] = tab.Weights[idx[lo+k]]
		}
		theta := intTheta(rng, c+1, tab.Target)
		got := runRef(t, tab, theta, family, lsgd.Rows{Lo: lo, Hi: hi, Shuffled: true}, order)
		want := runRef(t, laid, theta, family, lsgd.Rows{Lo: 0, Hi: hi - lo}, nil)
		name := fmt.Sprintf("%s %s shuffled rows [%d, %d)", tab.Source, family, lo, hi)
		// Moments are of the whole tables, which differ; compare the rest.
		got.mean, got.scale, want.mean, want.scale = nil, nil, nil, nil
		compareRuns(t, name, got, want, family == lsgd.Gaussian, 1e-12)
	}
}
