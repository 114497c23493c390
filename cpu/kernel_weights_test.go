package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The weighted gradient kernels, tested like the unweighted ones (see
// kernel_test.go): every implementation of this build on the same cases,
// against a float64 reference computed here.

// weightedKernels64 returns the weighted kernels of this build, each
// taking the rows' weights wt at stride 1 (row i's at wt[i]).
func weightedKernels64() map[string]func(x []float64, set rowSet, s, c int, w []float64, b float64, g, wt []float64) (float64, float64) {
	k := map[string]func(x []float64, set rowSet, s, c int, w []float64, b float64, g, wt []float64) (float64, float64){
		"portable": func(x []float64, set rowSet, s, c int, w []float64, b float64, g, wt []float64) (float64, float64) {
			return gradSetWeighted64(x, set, c, w, b, g, wt, set.scaled(s))
		},
	}
	if haveVector(0) {
		k[vectorName] = func(x []float64, set rowSet, s, c int, w []float64, b float64, g, wt []float64) (float64, float64) {
			return gradSetWeightedVec64(x, set, c, w, b, g, visitOrder(nil, wt, set, set.scaled(s)))
		}
	}
	return k
}

func weightedKernels32() map[string]func(x []float32, set rowSet, s, c int, w []float32, b float32, g, wt []float32) (float32, float32) {
	k := map[string]func(x []float32, set rowSet, s, c int, w []float32, b float32, g, wt []float32) (float32, float32){
		"portable": func(x []float32, set rowSet, s, c int, w []float32, b float32, g, wt []float32) (float32, float32) {
			return gradSetWeighted32(x, set, c, w, b, g, wt, set.scaled(s))
		},
	}
	if haveVector(0) {
		k[vectorName] = func(x []float32, set rowSet, s, c int, w []float32, b float32, g, wt []float32) (float32, float32) {
			return gradSetWeightedVec32(x, set, c, w, b, g, visitOrder(nil, wt, set, set.scaled(s)))
		}
	}
	return k
}

// weightedReference is kernelInput.reference with row i's terms weighted
// by wt[i]: g0 + Σ a_i·x_i, Σa, Σa·r with a_i = w_i·r_i, and the same
// worst-case bounds with every term's magnitude times w_i.
func (in *kernelInput) weightedReference(wt []float64, u float64, round32 bool) (g, gtol []float64, sr, srr, srtol, srrtol float64) {
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
		w := rd(wt[i])
		for j, v := range row {
			g[j] += w * r * rd(v)
			gtol[j] += w * a * math.Abs(rd(v))
		}
		sr += w * r
		srr += w * r * r
		srtol += w * a
		srrtol += 2 * w * a * a
	}
	gamma := 2 * float64(c+in.n+3) * u
	for j := range gtol {
		gtol[j] *= gamma
	}
	return g, gtol, sr, srr, srtol * gamma, srrtol * gamma
}

// kernelWeights returns n row weights: 0, 1, or log-uniform over
// 1e-3…1e3.
func kernelWeights(rng *rand.Rand, n int) []float64 {
	wt := make([]float64, n)
	for i := range wt {
		switch rng.IntN(4) {
		case 0:
		case 1:
			wt[i] = 1
		default:
			wt[i] = math.Pow(10, 6*rng.Float64()-3)
		}
	}
	return wt
}

func TestWeightedKernels64(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 2))
	for _, kc := range kernelCases() {
		in := newKernelInput(rng, kc, false)
		wt := kernelWeights(rng, kc.n)
		want, tol, wsr, wsrr, srtol, srrtol := in.weightedReference(wt, 0x1p-53, false)
		for kn, k := range weightedKernels64() {
			for _, lay := range layouts {
				x := append([]float64(nil), in.x...)
				w := append([]float64(nil), in.w...)
				g := append([]float64(nil), in.g0...)
				sr, srr := k(x[:in.span], lay.set(kc.n, kc.s), kc.s, kc.c, w[:kc.c], in.b, g[:kc.c], wt)
				where := fmt.Sprintf("weighted %s/%s n=%d c=%d s=%d", kn, lay.name, kc.n, kc.c, kc.s)
				checkKernel(t, where, g, want, tol, sr, wsr, srtol, srr, wsrr, srrtol)
				for j := kc.c; j < len(g); j++ {
					if g[j] != poison {
						t.Fatalf("%s: wrote g[%d] past c", where, j)
					}
				}
			}
		}
	}
}

func TestWeightedKernels32(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 2))
	for _, kc := range kernelCases() {
		in := newKernelInput(rng, kc, false)
		wt := kernelWeights(rng, kc.n)
		want, tol, wsr, wsrr, srtol, srrtol := in.weightedReference(wt, 0x1p-24, true)
		x32 := make([]float32, len(in.x))
		for i, v := range in.x {
			x32[i] = float32(v)
		}
		w32, g32 := make([]float32, len(in.w)), make([]float32, len(in.g0))
		for j := range w32 {
			w32[j], g32[j] = float32(in.w[j]), float32(in.g0[j])
		}
		wt32 := make([]float32, len(wt))
		for i, v := range wt {
			wt32[i] = float32(v)
		}
		for kn, k := range weightedKernels32() {
			for _, lay := range layouts {
				x := append([]float32(nil), x32...)
				w := append([]float32(nil), w32...)
				g := append([]float32(nil), g32...)
				sr, srr := k(x[:in.span], lay.set(kc.n, kc.s), kc.s, kc.c, w[:kc.c], float32(in.b), g[:kc.c], wt32)
				where := fmt.Sprintf("weighted %s/%s n=%d c=%d s=%d", kn, lay.name, kc.n, kc.c, kc.s)
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
