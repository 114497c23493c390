// Package backendtest holds the suites every lsgd backend runs: TestBackend
// (conformance), TestNISTFits (NIST StRD fits) and BenchmarkBackend (the
// gradient pass's throughput).
//
// TestBackend is the backend conformance suite, written once (in the manner
// of gonum's blas/testblas) and run by every backend's tests in one line:
//
//	func TestConformance(t *testing.T) { backendtest.TestBackend(t, cpu.New(cpu.Options{})) }
//
// Every kernel is checked against the float64 reference backend
// (cpu.NewReference) on random inputs whose row counts are not multiples of
// any work-group size, with outputs poisoned before each call and a
// tolerance that scales with the magnitude of the terms summed and with the
// backend's unit round-off.
package backendtest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// ConformanceRows and ConformanceFeatures are the shapes the suite covers.
var (
	ConformanceRows     = []int{1, 255, 257, 4097}
	ConformanceFeatures = []int{1, 3, 17, 64}
)

// tolFactor is the multiple of u·(Σ of |terms|) a backend may be off by.
// Float32 kernels accumulate short runs in float32 (a few hundred rows at
// most) and the rest in float64; float64 kernels may sum up to a few
// thousand terms in sequence.
func tolFactor(p lsgd.Precision) float64 {
	if p == lsgd.F32 {
		return 512
	}
	return 8192
}

// randomTable returns rows×(feats+1) values with column offsets and scales
// that differ (so standardization matters), rounded to float32 when the
// backend stores float32 so both sides see the same numbers.
func randomTable(rng *rand.Rand, rows, feats int, p lsgd.Precision) *lsgd.Table {
	t := tableio.NewTable(rows, feats+1, lsgd.F64)
	for j := 0; j <= feats; j++ {
		scale := math.Pow(10, 2*rng.Float64()-1)
		off := (6*rng.Float64() - 3) * scale
		for i := 0; i < rows; i++ {
			v := off + scale*rng.NormFloat64()
			if p == lsgd.F32 {
				v = float64(float32(v))
			}
			t.Set(i, j, v)
		}
	}
	t.Source = fmt.Sprintf("random %d×%d", rows, feats+1)
	return t
}

func poison(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// within reports whether got is within tol of want (NaN never is).
func within(got, want, tol float64) bool {
	return !math.IsNaN(got) && math.Abs(got-want) <= tol
}

// checker prints the first mismatches of a vector and stops after ten, the
// way llm.c's validate_result does.
type checker struct {
	t    testing.TB
	name string
	bad  int
}

func (c *checker) check(i int, got, want, tol float64) {
	if within(got, want, tol) {
		return
	}
	c.bad++
	if c.bad <= 10 {
		c.t.Errorf("%s[%d] = %.9g; want %.9g ± %.3g", c.name, i, got, want, tol)
	}
	if c.bad == 10 {
		c.t.Errorf("%s: stopping after 10 mismatches", c.name)
	}
}

// TestBackend runs the conformance suite on b.
func TestBackend(t *testing.T, b lsgd.Backend) {
	t.Run("Moments", func(t *testing.T) { testMoments(t, b) })
	t.Run("Gradient", func(t *testing.T) { testGradient(t, b) })
	t.Run("Step", func(t *testing.T) { testStep(t, b) })
	t.Run("Predict", func(t *testing.T) { testPredict(t, b) })
	t.Run("StandardizeMoments", func(t *testing.T) { testStandardizeMoments(t, b) })
	t.Run("Deterministic", func(t *testing.T) { testDeterministic(t, b) })
	t.Run("BadArguments", func(t *testing.T) { testBadArguments(t, b) })
	t.Run("Gram", func(t *testing.T) { testGram(t, b) })
	t.Run("GramFolds", func(t *testing.T) { testGramFolds(t, b) })
	t.Run("Fit", func(t *testing.T) { testFit(t, b) })
	t.Run("BinomialGradient", func(t *testing.T) { testBinomialGradient(t, b) })
	t.Run("BinomialFit", func(t *testing.T) { testBinomialFit(t, b) })
	t.Run("Weighted", func(t *testing.T) { testWeighted(t, b) })
}

func load(t *testing.T, b lsgd.Backend, tab *lsgd.Table) lsgd.Data {
	t.Helper()
	d, err := b.Load(tab, false)
	if err != nil {
		t.Fatalf("%s: Load(%s): %v", b.Name(), tab.Source, err)
	}
	t.Cleanup(func() { d.Release() })
	return d
}

// eachShape calls fn for a random table of every shape the suite covers,
// loaded on b and on the reference, with the random source it was drawn
// from (seeded with seed).
func eachShape(t *testing.T, b lsgd.Backend, seed uint64, fn func(rng *rand.Rand, tab *lsgd.Table, d, ref lsgd.Data)) {
	eachShapeWeighted(t, b, seed, nil, fn)
}

// eachShapeWeighted is eachShape with the rows of every table weighted by
// weigh (nil: unweighted).
func eachShapeWeighted(t *testing.T, b lsgd.Backend, seed uint64, weigh weigher, fn func(rng *rand.Rand, tab *lsgd.Table, d, ref lsgd.Data)) {
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, n := range ConformanceRows {
		for _, f := range ConformanceFeatures {
			tab := randomTable(rng, n, f, b.Precision())
			weigh.apply(rng, tab)
			d := load(t, b, tab)
			ref := load(t, cpu.NewReference(), tab)
			fn(rng, tab, d, ref)
		}
	}
}

func testMoments(t *testing.T, b lsgd.Backend) { momentsCases(t, b, 1, nil) }

// momentsCases checks Moments against the reference on every shape, the
// rows weighted by weigh (nil: unweighted).
func momentsCases(t *testing.T, b lsgd.Backend, seed uint64, weigh weigher) {
	u := b.Precision().UnitRoundoff()
	eachShapeWeighted(t, b, seed, weigh, func(_ *rand.Rand, tab *lsgd.Table, d, ref lsgd.Data) {
		n := tab.Rows
		sw := 0.0
		for i := 0; i < n; i++ {
			sw += tab.Weight(i)
		}
		for _, center := range []bool{true, false} {
			m, s, err := d.Moments(center)
			if err != nil {
				t.Fatal(err)
			}
			rm, rs, _ := ref.Moments(center)
			cm := checker{t: t, name: fmt.Sprintf("%s center=%v mean", tab.Source, center)}
			cs := checker{t: t, name: fmt.Sprintf("%s center=%v scale", tab.Source, center)}
			for j := range rm {
				// Magnitude of the terms: (weighted) mean |x| for the
				// mean, and (|x|+|mean|)² spread for the scale.
				mag := 0.0
				for i := 0; i < n; i++ {
					mag += tab.Weight(i) * math.Abs(tab.At(i, j))
				}
				mag /= sw
				cm.check(j, m[j], rm[j], tolFactor(b.Precision())*u*mag)
				cs.check(j, s[j], rs[j], tolFactor(b.Precision())*u*(mag+math.Abs(rm[j]))*(1+mag/math.Max(rs[j], 1e-300)))
			}
		}
	})
}

// gradCase sets up the same random state on d and ref: standardized data,
// a random point with the target fixed at −1, random mask and ridge.
func gradSetup(t *testing.T, rng *rand.Rand, tab *lsgd.Table, ds ...lsgd.Data) (v, mask, ridge []float64) {
	t.Helper()
	c := tab.Cols
	shift, mul := columnStandardization(tab)
	p := c + 1
	v, mask, ridge = make([]float64, p), make([]float64, p), make([]float64, p)
	for j := range v {
		v[j] = rng.NormFloat64()
		mask[j] = 1
		if rng.IntN(5) == 0 {
			ridge[j] = rng.Float64()
		}
	}
	v[tab.Target], mask[tab.Target], ridge[tab.Target] = -1, 0, 0
	if rng.IntN(2) == 0 {
		mask[c] = 0 // no intercept
	}
	for _, d := range ds {
		if err := d.Standardize(shift, mul); err != nil {
			t.Fatal(err)
		}
		if err := d.Init(v, mask, ridge); err != nil {
			t.Fatal(err)
		}
	}
	return v, mask, ridge
}

// gradTolerance returns, per component, u·tolFactor times the sum of the
// magnitudes of the terms that make up the gradient (with the rounding of
// v to the backend's precision folded in, row i's terms weighted by w_i,
// nil w: unweighted), and the same for the loss.
func gradTolerance(b lsgd.Backend, v []float64, rows lsgd.Rows, order []int32, w []float64, c int, read func(i, j int) float64) (tg []float64, tl float64) {
	u := b.Precision().UnitRoundoff()
	k := tolFactor(b.Precision())
	p := c + 1
	tg = make([]float64, p)
	m := float64(rows.Len())
	for kk := rows.Lo; kk < rows.Hi; kk++ {
		i := kk
		if rows.Shuffled {
			i = int(order[kk])
		}
		r, ra := v[c], math.Abs(v[c])
		for j := 0; j < c; j++ {
			x := read(i, j)
			r += x * v[j]
			ra += math.Abs(x * v[j])
		}
		mag := math.Abs(r) + ra
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		for j := 0; j < c; j++ {
			tg[j] += wi * mag * math.Abs(read(i, j))
		}
		tg[c] += wi * mag
		tl += wi * mag * mag
	}
	for j := range tg {
		tg[j] = k * u * (2 / m) * tg[j]
	}
	return tg, k * u * tl / m
}

func testGradient(t *testing.T, b lsgd.Backend) { gradientCases(t, b, 2, nil) }

// gradientCases checks the least-squares pass against the reference on
// every shape, over all rows, a range and shuffled rows, at two slots, the
// rows weighted by weigh (nil: unweighted).
func gradientCases(t *testing.T, b lsgd.Backend, seed uint64, weigh weigher) {
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, n := range ConformanceRows {
		for _, f := range ConformanceFeatures {
			tab := randomTable(rng, n, f, b.Precision())
			weigh.apply(rng, tab)
			d := load(t, b, tab)
			ref := load(t, cpu.NewReference(), tab)
			v, _, _ := gradSetup(t, rng, tab, d, ref)
			order := make([]int32, n)
			for i := range order {
				order[i] = int32(i)
			}
			rng.Shuffle(n, func(a, b int) { order[a], order[b] = order[b], order[a] })
			if err := d.SetOrder(order); err != nil {
				t.Fatal(err)
			}
			if err := ref.SetOrder(order); err != nil {
				t.Fatal(err)
			}
			lo := n / 3
			hi := max(lo+1, n-n/5)
			for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: lo, Hi: hi}, {Lo: lo, Hi: hi, Shuffled: true}} {
				for _, at := range []lsgd.Slot{lsgd.Theta, lsgd.Look} {
					name := fmt.Sprintf("%s rows[%d:%d] shuffled=%v at=%s", tab.Source, rows.Lo, rows.Hi, rows.Shuffled, at)
					if err := d.SetVector(lsgd.Grad, poison(len(v))); err != nil {
						t.Fatal(err)
					}
					if _, err := d.Status(); err != nil {
						t.Fatal(err)
					}
					if err := d.Gradient(at, rows); err != nil {
						t.Fatalf("%s: Gradient: %v", name, err)
					}
					if err := ref.Gradient(at, rows); err != nil {
						t.Fatal(err)
					}
					got, want := make([]float64, len(v)), make([]float64, len(v))
					if err := d.Vector(lsgd.Grad, got); err != nil {
						t.Fatal(err)
					}
					ref.Vector(lsgd.Grad, want)
					st, err := d.Status()
					if err != nil {
						t.Fatal(err)
					}
					rst, _ := ref.Status()
					// Tolerances from the standardized values the reference used.
					vv := make([]float64, len(v))
					ref.Vector(at, vv)
					tg, tl := gradTolerance(b, vv, rows, order, tab.Weights, tab.Cols, func(i, j int) float64 {
						return stdValue(ref, i, j)
					})
					cg := checker{t: t, name: name + " grad"}
					gn := 0.0
					for j := range want {
						cg.check(j, got[j], want[j], tg[j]+1e-300)
						gn += tg[j] * (2*math.Abs(want[j]) + tg[j])
					}
					if !within(st.Loss, rst.Loss, tl) {
						t.Errorf("%s: loss %.9g; want %.9g ± %.3g", name, st.Loss, rst.Loss, tl)
					}
					if !within(st.GradNorm2, rst.GradNorm2, gn+1e-300) {
						t.Errorf("%s: ‖g‖² %.9g; want %.9g ± %.3g", name, st.GradNorm2, rst.GradNorm2, gn)
					}
					if st.Count != 1 || !within(st.LossSum, st.Loss, 0) {
						t.Errorf("%s: status count %d, loss sum %g; want 1 and the loss %g", name, st.Count, st.LossSum, st.Loss)
					}
				}
			}
		}
	}
}

// stdValue returns the reference's standardized value of row i, column j
// (the reference keeps float64 so this is exact for tolerances).
func stdValue(ref lsgd.Data, i, j int) float64 { return cpu.ReferenceValue(ref, i, j) }

func testStep(t *testing.T, b lsgd.Backend) {
	rng := rand.New(rand.NewPCG(3, 3))
	u := b.Precision().UnitRoundoff()
	tab := randomTable(rng, 257, 17, b.Precision())
	d := load(t, b, tab)
	p := tab.Cols + 1
	steps := []lsgd.Step{
		{Method: lsgd.GD, LR: 0.3},
		{Method: lsgd.Momentum, LR: 0.2, Beta: 0.9},
		{Method: lsgd.Nesterov, LR: 0.25, Beta: -1, Restart: true},
		{Method: lsgd.Nesterov, LR: 0.25, Beta: 0.7, Restart: false},
		{Method: lsgd.RMSprop, LR: 0.01, Beta: 0.9, Eps: 1e-8},
		{Method: lsgd.Adam, LR: 0.01, Beta: 0.9, Beta2: 0.999, Eps: 1e-8, Bias1: 1 - math.Pow(0.9, 3), Bias2: 1 - math.Pow(0.999, 3)},
	}
	for _, s := range steps {
		for trial := 0; trial < 4; trial++ {
			name := fmt.Sprintf("%s lr=%g beta=%g restart=%v trial %d", s.Method, s.LR, s.Beta, s.Restart, trial)
			mask := make([]float64, p)
			vecs := map[lsgd.Slot][]float64{}
			for _, sl := range []lsgd.Slot{lsgd.Theta, lsgd.Look, lsgd.Grad, lsgd.M1, lsgd.M2} {
				vecs[sl] = make([]float64, p)
				for j := range vecs[sl] {
					vecs[sl][j] = rng.NormFloat64()
					if sl == lsgd.M2 {
						vecs[sl][j] = rng.Float64() + 0.01
					}
				}
			}
			for j := range mask {
				mask[j] = 1
			}
			mask[tab.Target] = 0
			vecs[lsgd.Grad][tab.Target] = 0
			// Nesterov: make the restart test clear-cut either way.
			if s.Method == lsgd.Nesterov {
				for j := range vecs[lsgd.Look] {
					g := vecs[lsgd.Grad][j]
					if trial%2 == 0 { // x_new − x_old along +g: restart
						vecs[lsgd.Look][j] = vecs[lsgd.Theta][j] + 2*s.LR*g
					} else {
						vecs[lsgd.Look][j] = vecs[lsgd.Theta][j] - s.LR*g
					}
				}
			}
			if err := d.Init(vecs[lsgd.Theta], mask, make([]float64, p)); err != nil {
				t.Fatal(err)
			}
			// Rounding of the inputs to the backend's precision is part of
			// what the reference sees.
			ref := lsgd.NewState(vecs[lsgd.Theta], mask)
			for sl, v := range vecs {
				if err := d.SetVector(sl, v); err != nil {
					t.Fatal(err)
				}
				got := make([]float64, p)
				if err := d.Vector(sl, got); err != nil {
					t.Fatal(err)
				}
				copy(ref.Slot(sl), got)
			}
			nsteps := 1 + trial
			if s.Method == lsgd.Nesterov {
				nsteps = 1 // a second restart test could sit on the boundary
			}
			for k := 0; k < nsteps; k++ {
				if err := d.Step(s); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				ref.Apply(s)
			}
			for _, sl := range []lsgd.Slot{lsgd.Theta, lsgd.Look, lsgd.M1, lsgd.M2} {
				if s.Method != lsgd.Nesterov && sl == lsgd.Look {
					continue
				}
				got := make([]float64, p)
				if err := d.Vector(sl, got); err != nil {
					t.Fatal(err)
				}
				c := checker{t: t, name: name + " " + sl.String()}
				for j := range got {
					want := ref.Slot(sl)[j]
					mag := math.Abs(want) + math.Abs(vecs[sl][j]) + math.Abs(vecs[lsgd.Grad][j])
					if s.Method == lsgd.RMSprop || s.Method == lsgd.Adam {
						mag += s.LR
					}
					c.check(j, got[j], want, 64*float64(nsteps)*u*mag)
				}
			}
			st, err := d.Status()
			if err != nil {
				t.Fatal(err)
			}
			if st.Restarts != ref.Restarts {
				t.Errorf("%s: %d restarts; want %d", name, st.Restarts, ref.Restarts)
			}
			if pn := ref.ParamNorm2(); !within(st.ParamNorm2, pn, 64*u*pn) {
				t.Errorf("%s: ‖θ‖² = %g; want %g", name, st.ParamNorm2, pn)
			}
		}
	}
}

// testPredict checks Data.Predict against the reference, with outputs
// poisoned first.
func testPredict(t *testing.T, b lsgd.Backend) {
	u := b.Precision().UnitRoundoff()
	eachShape(t, b, 6, func(rng *rand.Rand, tab *lsgd.Table, d, ref lsgd.Data) {
		n := tab.Rows
		v, _, _ := gradSetup(t, rng, tab, d, ref)
		got, want := poison(n), make([]float64, n)
		if err := d.Predict(lsgd.Theta, got); err != nil {
			t.Fatal(err)
		}
		if err := ref.Predict(lsgd.Theta, want); err != nil {
			t.Fatal(err)
		}
		c := checker{t: t, name: tab.Source + " predict"}
		for i := range want {
			mag := math.Abs(v[tab.Cols])
			for j := 0; j < tab.Cols; j++ {
				if j != tab.Target {
					mag += math.Abs(stdValue(ref, i, j) * v[j])
				}
			}
			c.check(i, got[i], want[i], tolFactor(b.Precision())*u*mag+1e-300)
		}
	})
}

// testStandardizeMoments standardizes with the table's own moments and
// checks that the moments of the result are 0 and 1: any bookkeeping a
// backend keeps beside the stored values (shifts, scales) must be invisible.
func testStandardizeMoments(t *testing.T, b lsgd.Backend) {
	rng := rand.New(rand.NewPCG(7, 7))
	u := b.Precision().UnitRoundoff()
	for _, n := range []int{257, 4097} {
		tab := randomTable(rng, n, 17, b.Precision())
		d := load(t, b, tab)
		m, s, err := d.Moments(true)
		if err != nil {
			t.Fatal(err)
		}
		mul := make([]float64, len(s))
		for j := range s {
			mul[j] = 1 / s[j]
		}
		if err := d.Standardize(m, mul); err != nil {
			t.Fatal(err)
		}
		m2, s2, err := d.Moments(true)
		if err != nil {
			t.Fatal(err)
		}
		cm := checker{t: t, name: tab.Source + " mean after standardize"}
		cs := checker{t: t, name: tab.Source + " scale after standardize"}
		for j := range m2 {
			// Standardized values are O(1); the mean of n of them is off by
			// a few u, the original offset |μ|/s adds rounding of the shift.
			tol := tolFactor(b.Precision()) * u * (1 + math.Abs(m[j])*mul[j])
			cm.check(j, m2[j], 0, tol)
			cs.check(j, s2[j], 1, tol)
		}
		// Uncentred moments of standardized data: the scale is √(1 + mean²) ≈ 1.
		_, s3, err := d.Moments(false)
		if err != nil {
			t.Fatal(err)
		}
		c3 := checker{t: t, name: tab.Source + " uncentred scale after standardize"}
		for j := range s3 {
			c3.check(j, s3[j], 1, tolFactor(b.Precision())*u*(1+math.Abs(m[j])*mul[j]))
		}
	}
}

func testDeterministic(t *testing.T, b lsgd.Backend) {
	rng := rand.New(rand.NewPCG(4, 4))
	tab := randomTable(rng, 4097, 17, b.Precision())
	d := load(t, b, tab)
	gradSetup(t, rng, tab, d)
	var first []float64
	var firstLoss float64
	for run := 0; run < 3; run++ {
		if err := d.SetVector(lsgd.Grad, poison(tab.Cols+1)); err != nil {
			t.Fatal(err)
		}
		if err := d.Gradient(lsgd.Theta, lsgd.Rows{Lo: 0, Hi: tab.Rows}); err != nil {
			t.Fatal(err)
		}
		g := make([]float64, tab.Cols+1)
		if err := d.Vector(lsgd.Grad, g); err != nil {
			t.Fatal(err)
		}
		st, err := d.Status()
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			first, firstLoss = g, st.Loss
			continue
		}
		for j := range g {
			if math.Float64bits(g[j]) != math.Float64bits(first[j]) {
				t.Fatalf("run %d: grad[%d] = %v, first run gave %v", run, j, g[j], first[j])
			}
		}
		if math.Float64bits(st.Loss) != math.Float64bits(firstLoss) {
			t.Fatalf("run %d: loss %v, first run %v", run, st.Loss, firstLoss)
		}
	}
}

func testBadArguments(t *testing.T, b lsgd.Backend) {
	rng := rand.New(rand.NewPCG(5, 5))
	tab := randomTable(rng, 100, 3, b.Precision())
	d := load(t, b, tab)
	gradSetup(t, rng, tab, d)
	for _, r := range []lsgd.Rows{{Lo: 0, Hi: 0}, {Lo: 50, Hi: 40}, {Lo: 0, Hi: 101}, {Lo: -1, Hi: 10}} {
		if err := d.Gradient(lsgd.Theta, r); err == nil {
			t.Errorf("Gradient(rows %+v) succeeded; want an error", r)
		}
	}
	if err := d.SetVector(lsgd.Theta, make([]float64, 2)); err == nil {
		t.Error("SetVector with a short vector succeeded; want an error")
	}
	if err := d.SetOrder(make([]int32, 5)); err == nil {
		t.Error("SetOrder with a short permutation succeeded; want an error")
	}
	bad := &lsgd.Table{Rows: 0, Cols: 3, Stride: 3, F64: []float64{}}
	if _, err := b.Load(bad, false); err == nil {
		t.Error("Load of an empty table succeeded; want an error")
	}
}

// testFit runs whole fits and compares them with the QR solution, to a
// tolerance from the precision and the problem's conditioning.
func testFit(t *testing.T, b lsgd.Backend) {
	for i, c := range []struct {
		rows, feats int
		cond        float64
	}{{1000, 3, 1}, {2049, 12, 10}} {
		tab, _, err := lsgd.Generate(lsgd.GenOptions{Rows: c.rows, Features: c.feats, Cond: c.cond, Noise: 0.1, Intercept: 2, Seed: uint64(40 + i)})
		if err != nil {
			t.Fatal(err)
		}
		if b.Precision() == lsgd.F32 {
			tab = tab.Clone(lsgd.F32).Clone(lsgd.F64)
		}
		sol, err := lsgd.Solve(tab, lsgd.SolveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{})
		if err != nil {
			t.Fatal(err)
		}
		e := compare.CoefError(res.Coef, res.Intercept, sol.Coef, sol.Intercept)
		tol := compare.FitTolerance(b.Precision(), res.Cond, res.GapBound)
		t.Logf("%d×%d cond %g: rel err %.2g (tol %.2g), %d iterations, %s", c.rows, c.feats, c.cond, e, tol, res.Iterations, res.Reason)
		if e > tol {
			t.Errorf("%d×%d: coefficients off by %.3g relative (tolerance %.3g): %s", c.rows, c.feats, e, tol, res.Reason)
		}
	}
}

// columnStandardization returns, for every column of tab, its mean and the
// reciprocal of its standard deviation (1 for a constant column), in
// float64 by two passes: the shift and multiplier that standardize it.
func columnStandardization(tab *lsgd.Table) (shift, mul []float64) {
	c := tab.Cols
	shift, mul = make([]float64, c), make([]float64, c)
	for j := 0; j < c; j++ {
		col := tab.Column(j)
		m, s := 0.0, 0.0
		for _, x := range col {
			m += x
		}
		m /= float64(len(col))
		for _, x := range col {
			s += (x - m) * (x - m)
		}
		s = math.Sqrt(s / float64(len(col)))
		shift[j], mul[j] = m, 1
		if s > 0 {
			mul[j] = 1 / s
		}
	}
	return shift, mul
}
