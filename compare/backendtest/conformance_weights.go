package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// weigher draws the row weights of a table (see tableio.Table.Weights); a
// nil weigher leaves the table unweighted.
type weigher func(rng *rand.Rand, n int) []float64

// apply sets tab's weights from w (nothing for a nil w; the random source
// is then not drawn from, so unweighted cases see the numbers they always
// did).
func (w weigher) apply(rng *rand.Rand, tab *lsgd.Table) {
	if w == nil {
		return
	}
	tab.Weights = w(rng, tab.Rows)
	tab.Source += " weighted"
}

// wideWeights returns n weights as a fit may see them before they are
// normalized: about one in six exactly 0 (the row must count for nothing),
// one in six exactly 1, the rest log-uniform over 1e-3…1e3, so the heavy
// rows outweigh the light ones a millionfold. At least one weight is
// positive.
func wideWeights(rng *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	pos := false
	for i := range w {
		switch rng.IntN(6) {
		case 0:
			w[i] = 0
		case 1:
			w[i] = 1
		default:
			w[i] = math.Pow(10, 6*rng.Float64()-3)
		}
		pos = pos || w[i] > 0
	}
	if !pos {
		w[rng.IntN(n)] = 1e-3
	}
	return w
}

// checkCount checks the corner of a Gram matrix: the row count of the
// selected rows, exactly, for an unweighted table; Σw_i over them for a
// weighted one, to the round-off of any order of that float64 sum.
func checkCount(t *testing.T, name string, got float64, tab *lsgd.Table, rows lsgd.Rows, order []int32) {
	t.Helper()
	if tab.Weights == nil {
		if got != float64(rows.Len()) {
			t.Errorf("%s: G[p−1,p−1] = %g; want the row count %d", name, got, rows.Len())
		}
		return
	}
	sw := 0.0
	for k := rows.Lo; k < rows.Hi; k++ {
		i := k
		if rows.Shuffled {
			i = int(order[k])
		}
		sw += tab.Weights[i]
	}
	if tol := float64(rows.Len()+16) * lsgd.F64.UnitRoundoff() * sw; !within(got, sw, tol) {
		t.Errorf("%s: G[p−1,p−1] = %.17g; want Σw = %.17g ± %.3g", name, got, sw, tol)
	}
}

// testWeighted runs the checks of the kernels that weights change on
// weighted tables (wideWeights), against the reference, with the same
// shapes, poisoning and tolerances (every term's magnitude scaled by its
// row's weight) as the unweighted checks: Moments, the least-squares and
// the binomial pass over all rows, a range and shuffled rows (row order[k]
// carrying weight w[order[k]]), Gram and the fold Gram matrices of
// cross-validation; and that Predict ignores the weights.
func testWeighted(t *testing.T, b lsgd.Backend) {
	t.Run("Moments", func(t *testing.T) { momentsCases(t, b, 31, wideWeights) })
	t.Run("Gradient", func(t *testing.T) { gradientCases(t, b, 32, wideWeights) })
	t.Run("BinomialGradient", func(t *testing.T) { binomialGradientCases(t, b, 33, wideWeights) })
	t.Run("Gram", func(t *testing.T) { gramCases(t, b, 34, wideWeights) })
	t.Run("GramFolds", func(t *testing.T) { gramFoldsCases(t, b, 35, wideWeights) })
	t.Run("Predict", func(t *testing.T) { testWeightedPredict(t, b) })
	t.Run("Integer", func(t *testing.T) { testIntegerWeights(t, b) })
}

// testWeightedPredict checks that Predict gives the same bits on a
// weighted table as on the same table without weights.
func testWeightedPredict(t *testing.T, b lsgd.Backend) {
	rng := rand.New(rand.NewPCG(36, 36))
	for _, n := range []int{1, 257, 4097} {
		tab := randomTable(rng, n, 17, b.Precision())
		wtab := tab.Clone(lsgd.F64)
		wtab.Weights = wideWeights(rng, n)
		d, wd := load(t, b, tab), load(t, b, wtab)
		gradSetup(t, rng, tab, d, wd)
		got, want := poison(n), poison(n)
		if err := wd.Predict(lsgd.Theta, got); err != nil {
			t.Fatal(err)
		}
		if err := d.Predict(lsgd.Theta, want); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s: weighted predict[%d] = %.17g; unweighted %.17g (Predict must ignore weights)", tab.Source, i, got[i], want[i])
			}
		}
	}
}

// testIntegerWeights checks the backend against the meaning of a weight
// rather than the reference's formulas: a table with integer weights (0
// among them) gives the Gram matrix, the gradient and the moments of the
// unweighted table holding row i w_i times, within the suite's
// tolerances. The weights have mean 1 so that both tables have as many
// rows m as Σw.
func testIntegerWeights(t *testing.T, b lsgd.Backend) {
	rng := rand.New(rand.NewPCG(37, 37))
	u := b.Precision().UnitRoundoff()
	for _, n := range []int{255, 1031} {
		tab := randomTable(rng, n, 9, b.Precision())
		w := make([]float64, n)
		for i := range w {
			w[i] = 1
		}
		for k := 0; k < 2*n; k++ { // move units from row to row
			if i, j := rng.IntN(n), rng.IntN(n); w[i] > 0 {
				w[i]--
				w[j]++
			}
		}
		var idx []int
		for i, wi := range w {
			for k := 0; k < int(wi); k++ {
				idx = append(idx, i)
			}
		}
		rep := tableio.NewTable(len(idx), tab.Cols, lsgd.F64)
		rep.Target, rep.Source = tab.Target, tab.Source+" rows repeated"
		for k, i := range idx {
			for j := 0; j < tab.Cols; j++ {
				rep.Set(k, j, tab.At(i, j))
			}
		}
		tab.Weights = w
		tab.Source += " integer weights"
		d, rd := load(t, b, tab), load(t, b, rep)
		ref := load(t, cpu.NewReference(), rep)
		name := fmt.Sprintf("%s against its rows repeated", tab.Source)

		m, s, err := d.Moments(true)
		if err != nil {
			t.Fatal(err)
		}
		rm, rs, _ := rd.Moments(true)
		for j := range rm {
			mag := 0.0
			for i := 0; i < rep.Rows; i++ {
				mag += math.Abs(rep.At(i, j))
			}
			mag /= float64(rep.Rows)
			tol := 2 * tolFactor(b.Precision()) * u * (mag + math.Abs(rm[j]))
			if !within(m[j], rm[j], tol) || !within(s[j], rs[j], tol*(1+mag/rs[j])) {
				t.Errorf("%s: column %d mean %.9g scale %.9g; repeated rows %.9g %.9g", name, j, m[j], s[j], rm[j], rs[j])
			}
		}

		v, _, _ := gradSetup(t, rng, tab, d, rd, ref)
		all, repAll := lsgd.Rows{Lo: 0, Hi: n}, lsgd.Rows{Lo: 0, Hi: rep.Rows}
		for _, dd := range []lsgd.Data{d, rd, ref} {
			rows := repAll
			if dd == d {
				rows = all
			}
			if err := dd.Gradient(lsgd.Theta, rows); err != nil {
				t.Fatal(err)
			}
		}
		got, want := make([]float64, len(v)), make([]float64, len(v))
		d.Vector(lsgd.Grad, got)
		rd.Vector(lsgd.Grad, want)
		vv := make([]float64, len(v))
		ref.Vector(lsgd.Theta, vv)
		tg, tl := gradTolerance(b, vv, repAll, nil, nil, rep.Cols, func(i, j int) float64 { return stdValue(ref, i, j) })
		cg := checker{t: t, name: name + " grad"}
		for j := range want {
			cg.check(j, got[j], want[j], 2*tg[j]+1e-300)
		}
		st, _ := d.Status()
		rst, _ := rd.Status()
		if !within(st.Loss, rst.Loss, 2*tl) {
			t.Errorf("%s: loss %.9g; repeated rows %.9g ± %.3g", name, st.Loss, rst.Loss, 2*tl)
		}

		g, rg := gramOf(t, d, all), gramOf(t, rd, repAll)
		tol := gramTolerance(gramMagnitude(ref, rep, repAll, nil), u, rep.Rows)
		ck := checker{t: t, name: name + " Gram"}
		for k := range rg {
			ck.check(k, g[k], rg[k], 2*tol[k])
		}
	}
}
