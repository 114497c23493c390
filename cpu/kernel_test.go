package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The kernels are tested the math/big way: every implementation of this
// build (the portable Go kernel always, the vector kernel where the CPU has
// it) runs on the same cases and is checked against a float64 reference
// computed here.

type kernel64 func(x []float64, set rowSet, c int, w []float64, b float64, g []float64) (float64, float64)
type kernel32 func(x []float32, set rowSet, c int, w []float32, b float32, g []float32) (float32, float32)

// kernels64 returns the kernels of this build by name; the plain
// contiguous kernels are adapted to row sets by running them row by row.
func kernels64() map[string]kernel64 {
	k := map[string]kernel64{"portable": gradSetPortable64}
	if haveVector(0) {
		k[vectorName] = gradSetVec64
	}
	return k
}

func kernels32() map[string]kernel32 {
	k := map[string]kernel32{"portable": gradSetPortable32}
	if haveVector(0) {
		k[vectorName] = gradSetVec32
	}
	return k
}

// layouts are the row orders each case runs in (the rows are the same).
var layouts = []struct {
	name string
	set  func(n, s int) rowSet
}{{"contiguous", contiguous}, {"streams", streams}}

// kernelCase is one shape: n rows of c values at stride s.
type kernelCase struct{ n, c, s int }

func kernelCases() []kernelCase {
	var cs []kernelCase
	cols := []int{}
	for c := 1; c <= 70; c++ {
		cols = append(cols, c)
	}
	cols = append(cols, 127, 128, 129, 131)
	for _, c := range cols {
		for _, n := range []int{0, 1, 2, 3, 4, 5, 255, 257} {
			for _, pad := range []int{0, 1, 7} {
				if n > 5 && pad == 1 && c%3 != 0 {
					continue // keep the long cases fewer
				}
				cs = append(cs, kernelCase{n, c, c + pad})
			}
		}
	}
	return cs
}

const poison = -1e30 // outside every case's range: shows up when read

// kernelInput is one case's data: x with the gaps between rows and the
// space after the last row poisoned (NaN), w and g with poison after c.
type kernelInput struct {
	kernelCase
	x    []float64
	w    []float64
	b    float64
	g0   []float64 // initial g: kernels accumulate into it
	span int       // len(x) up to the end of the last row
}

func newKernelInput(rng *rand.Rand, kc kernelCase, dyadic bool) *kernelInput {
	in := &kernelInput{kernelCase: kc}
	in.span = max(kc.n-1, 0)*kc.s + kc.c
	if kc.n == 0 {
		in.span = 0
	}
	// A value: random in [−2, 2], or for dyadic cases a multiple of 1/8
	// (x, b, g0) or 1/4 (w) in [−1, 1]: then r_i is a multiple of 1/32 with
	// |r_i| ≤ 132 and g a multiple of 1/256 with |g| < 2¹⁵, so every partial
	// sum of g and Σr is exact in float32 and any order of summation gives
	// the reference's bits (Σr² is not: it keeps its tolerance).
	val := func() float64 {
		if dyadic {
			return float64(rng.IntN(17)-8) / 8
		}
		return 4*rng.Float64() - 2
	}
	wval := func() float64 {
		if dyadic {
			return float64(rng.IntN(9)-4) / 4
		}
		return 4*rng.Float64() - 2
	}
	in.x = make([]float64, in.span+2*kc.s+16)
	for i := range in.x {
		in.x[i] = math.NaN()
	}
	for i := 0; i < kc.n; i++ {
		for j := 0; j < kc.c; j++ {
			in.x[i*kc.s+j] = val()
		}
	}
	in.w = make([]float64, kc.c+16)
	in.g0 = make([]float64, kc.c+16)
	for j := range in.w {
		in.w[j], in.g0[j] = math.NaN(), poison
		if j < kc.c {
			in.w[j], in.g0[j] = wval(), val()
		}
	}
	in.b = val()
	return in
}

// reference returns g0 + Σ r_i·x_i, Σr, Σr² in float64 from the inputs as
// rounded to the kernel's precision (round32), and error bounds for each:
// γ·(|g0| + Σ_i A_i·|x_ij|) with A_i = |r_i| + Σ_j |x_ij·w_j| + |b| and γ =
// 2(c+n+2)·u, a worst-case bound for any order of summation (with the
// float32 kernels' float32 sums of up to n rows).
func (in *kernelInput) reference(u float64, round32 bool) (g, gtol []float64, sr, srr, srtol, srrtol float64) {
	rd := func(v float64) float64 {
		if round32 {
			return float64(float32(v))
		}
		return v
	}
	c, s := in.c, in.s
	g, gtol = make([]float64, c), make([]float64, c)
	for j := range g {
		g[j] = rd(in.g0[j])
		gtol[j] = math.Abs(g[j])
	}
	b := rd(in.b)
	for i := 0; i < in.n; i++ {
		row := in.x[i*s : i*s+c]
		r, a := b, math.Abs(b)
		for j, v := range row {
			r += rd(v) * rd(in.w[j])
			a += math.Abs(rd(v) * rd(in.w[j]))
		}
		a += math.Abs(r)
		for j, v := range row {
			g[j] += r * rd(v)
			gtol[j] += a * math.Abs(rd(v))
		}
		sr += r
		srr += r * r
		srtol += a
		srrtol += 2 * a * a
	}
	gamma := 2 * float64(c+in.n+2) * u
	for j := range gtol {
		gtol[j] *= gamma
	}
	return g, gtol, sr, srr, srtol * gamma, srrtol * gamma
}

func TestKernels64(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 1))
	for _, kc := range kernelCases() {
		for _, dyadic := range []bool{false, true} {
			in := newKernelInput(rng, kc, dyadic)
			want, tol, wsr, wsrr, srtol, srrtol := in.reference(0x1p-53, false)
			if dyadic {
				clear(tol)
				srtol = 0
			}
			for kn, k := range kernels64() {
				for _, lay := range layouts {
					name := kn + "/" + lay.name
					x := append([]float64(nil), in.x...)
					w := append([]float64(nil), in.w...)
					g := append([]float64(nil), in.g0...)
					sr, srr := k(x[:in.span], lay.set(kc.n, kc.s), kc.c, w[:kc.c], in.b, g[:kc.c])
					where := fmt.Sprintf("%s n=%d c=%d s=%d dyadic=%v", name, kc.n, kc.c, kc.s, dyadic)
					checkKernel(t, where, g, want, tol, float64(sr), wsr, srtol, float64(srr), wsrr, srrtol)
					for j := kc.c; j < len(g); j++ {
						if g[j] != poison {
							t.Fatalf("%s: wrote g[%d] past c", where, j)
						}
					}
				}
			}
		}
	}
}

func TestKernels32(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 1))
	for _, kc := range kernelCases() {
		for _, dyadic := range []bool{false, true} {
			in := newKernelInput(rng, kc, dyadic)
			want, tol, wsr, wsrr, srtol, srrtol := in.reference(0x1p-24, true)
			if dyadic {
				clear(tol)
				srtol = 0
			}
			x32 := make([]float32, len(in.x))
			for i, v := range in.x {
				x32[i] = float32(v)
			}
			w32 := make([]float32, len(in.w))
			g32 := make([]float32, len(in.g0))
			for j := range w32 {
				w32[j], g32[j] = float32(in.w[j]), float32(in.g0[j])
			}
			for kn, k := range kernels32() {
				for _, lay := range layouts {
					name := kn + "/" + lay.name
					x := append([]float32(nil), x32...)
					w := append([]float32(nil), w32...)
					g := append([]float32(nil), g32...)
					sr, srr := k(x[:in.span], lay.set(kc.n, kc.s), kc.c, w[:kc.c], float32(in.b), g[:kc.c])
					where := fmt.Sprintf("%s n=%d c=%d s=%d dyadic=%v", name, kc.n, kc.c, kc.s, dyadic)
					g64 := make([]float64, len(g))
					for j, v := range g {
						g64[j] = float64(v)
					}
					checkKernel(t, where, g64, want, tol, float64(sr), wsr, srtol, float64(srr), wsrr, srrtol)
					for j := kc.c; j < len(g); j++ {
						if g[j] != poison {
							t.Fatalf("%s: wrote g[%d] past c", where, j)
						}
					}
				}
			}
		}
	}
}

func checkKernel(t *testing.T, where string, g, want, tol []float64, sr, wsr, srtol, srr, wsrr, srrtol float64) {
	t.Helper()
	bad := 0
	for j := range want {
		if !(math.Abs(g[j]-want[j]) <= tol[j]) {
			t.Errorf("%s: g[%d] = %v; want %v ± %.3g", where, j, g[j], want[j], tol[j])
			if bad++; bad == 5 {
				t.FailNow()
			}
		}
	}
	if !(math.Abs(sr-wsr) <= srtol) {
		t.Errorf("%s: Σr = %v; want %v ± %.3g", where, sr, wsr, srtol)
	}
	if !(math.Abs(srr-wsrr) <= srrtol) {
		t.Errorf("%s: Σr² = %v; want %v ± %.3g", where, srr, wsrr, srrtol)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// TestKernelArgsChecked checks that the vector kernels refuse slices too
// short for the rows, and row sets with negative strides, instead of
// reading past them.
func TestKernelArgsChecked(t *testing.T) {
	if !haveVector(0) {
		t.Skip("no vector kernels on this machine")
	}
	x := make([]float32, 100)
	w, g := make([]float32, 10), make([]float32, 10)
	ok := func(set rowSet, c, nx, nw, ng int) (panicked bool) {
		defer func() { panicked = recover() != nil }()
		gradSetVec32(x[:nx], set, c, w[:nw], 0, g[:ng])
		return false
	}
	for _, tc := range []struct {
		name       string
		set        rowSet
		c          int
		nx, nw, ng int
		panics     bool
	}{
		{"fits", contiguous(9, 10), 10, 90, 10, 10, false},
		{"x short", contiguous(9, 10), 10, 89, 10, 10, true},
		{"streams fit", streams(9, 10), 10, 90, 10, 10, false},
		{"streams x short", streams(9, 10), 10, 89, 10, 10, true},
		{"group past x", rowSet{n4: 1, rs: 30, gs: 10}, 10, 99, 10, 10, true},
		{"w short", contiguous(3, 10), 10, 90, 9, 10, true},
		{"g short", contiguous(3, 10), 10, 90, 10, 9, true},
		{"c = 0", contiguous(3, 10), 0, 90, 10, 10, true},
		{"negative stride", rowSet{n4: 2, rs: 10, gs: -40}, 10, 90, 10, 10, true},
		{"negative singles", rowSet{n1: 2, s1: -10, off1: 50}, 10, 90, 10, 10, true},
	} {
		if got := ok(tc.set, tc.c, tc.nx, tc.nw, tc.ng); got != tc.panics {
			t.Errorf("%s: panicked = %v; want %v", tc.name, got, tc.panics)
		}
	}
}
