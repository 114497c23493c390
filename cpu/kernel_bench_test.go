package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkKernel times one kernel call on one thread over a block of rows
// that stays in the L2 cache: the compute speed, which must be well above
// the memory bandwidth for a gradient pass to be bandwidth-bound.
func BenchmarkKernel(b *testing.B) {
	for _, c := range []int{33, 129} {
		const n = 1024
		rng := rand.New(rand.NewPCG(1, 1))
		x64, w64, g64 := make([]float64, n*c), make([]float64, c), make([]float64, c)
		x32, w32, g32 := make([]float32, n*c), make([]float32, c), make([]float32, c)
		for i := range x64 {
			x64[i] = rng.NormFloat64()
			x32[i] = float32(x64[i])
		}
		for j := range w64 {
			w64[j] = rng.NormFloat64() / 10
			w32[j] = float32(w64[j])
		}
		for _, k := range []struct {
			name string
			vec  bool
		}{{"vector", true}, {"portable", false}} {
			if k.vec && !haveVector(0) {
				continue
			}
			b.Run(fmt.Sprintf("f32/c=%d/%s", c, k.name), func(b *testing.B) {
				b.SetBytes(int64(4 * n * c))
				for b.Loop() {
					for r := 0; r < n; r += blockRows {
						if k.vec {
							gradVec32(x32[r*c:], blockRows, c, c, w32, 0.5, g32)
						} else {
							gradSetPortable32(x32[r*c:], contiguous(blockRows, c), c, w32, 0.5, g32)
						}
					}
				}
			})
			b.Run(fmt.Sprintf("f64/c=%d/%s", c, k.name), func(b *testing.B) {
				b.SetBytes(int64(8 * n * c))
				for b.Loop() {
					if k.vec {
						gradVec64(x64, n, c, c, w64, 0.5, g64)
					} else {
						gradSetPortable64(x64, contiguous(n, c), c, w64, 0.5, g64)
					}
				}
			})
		}
	}
}
