//go:build !purego

package cpu

import (
	"github.com/lsgd/lsgd"
	"golang.org/x/sys/cpu"
)

//go:generate go run -C _asm . -out ../kernel_amd64.s -stubs ../kernel_decl_amd64.go -pkg cpu

// vectorName names the vector kernels of this build.
const vectorName = "avx2"

// useAVX2 reports whether the CPU and the OS support AVX2 and FMA (x/sys/cpu
// checks that the OS saves the YMM registers). Tests may clear it to run the
// portable kernels through the same code paths.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func haveVector(lsgd.Precision) bool { return useAVX2 }

// gradSetVec64 runs the AVX2+FMA kernel over the rows of set (see rowSet).
// Its summation order differs from the portable kernel's (four rows at a
// time, lanes reduced as a tree), so results agree to rounding, not bit for
// bit; on one machine they are deterministic.
func gradSetVec64(x []float64, set rowSet, c int, w []float64, b float64, g []float64) (float64, float64) {
	if set.rows() == 0 {
		return 0, 0
	}
	checkKernelArgs(len(x), set, c, len(w), len(g))
	x1 := &x[0]
	if set.n1 > 0 {
		x1 = &x[set.off1]
	}
	return gradAVX2F64(&x[0], set.n4, set.rs, set.gs, x1, set.n1, set.s1, c, &w[0], b, &g[0])
}

// gradSetVec32 is gradSetVec64 in float32.
func gradSetVec32(x []float32, set rowSet, c int, w []float32, b float32, g []float32) (float32, float32) {
	if set.rows() == 0 {
		return 0, 0
	}
	checkKernelArgs(len(x), set, c, len(w), len(g))
	x1 := &x[0]
	if set.n1 > 0 {
		x1 = &x[set.off1]
	}
	return gradAVX2F32(&x[0], set.n4, set.rs, set.gs, x1, set.n1, set.s1, c, &w[0], b, &g[0])
}

// gradSetWeightedVec64 runs the weighted AVX2+FMA kernel over the rows
// of set: gradSetWeighted64 with the rows' weights in wq in the order the
// kernel visits them (see visitOrder), to rounding.
func gradSetWeightedVec64(x []float64, set rowSet, c int, w []float64, b float64, g []float64, wq []float64) (float64, float64) {
	if set.rows() == 0 {
		return 0, 0
	}
	checkKernelArgs(len(x), set, c, len(w), len(g))
	if len(wq) < set.rows() {
		panic("cpu: kernel weights out of range")
	}
	x1 := &x[0]
	if set.n1 > 0 {
		x1 = &x[set.off1]
	}
	return gradWeightedAVX2F64(&x[0], set.n4, set.rs, set.gs, x1, set.n1, set.s1, c, &w[0], b, &g[0], &wq[0])
}

// gradSetWeightedVec32 is gradSetWeightedVec64 in float32.
func gradSetWeightedVec32(x []float32, set rowSet, c int, w []float32, b float32, g []float32, wq []float32) (float32, float32) {
	if set.rows() == 0 {
		return 0, 0
	}
	checkKernelArgs(len(x), set, c, len(w), len(g))
	if len(wq) < set.rows() {
		panic("cpu: kernel weights out of range")
	}
	x1 := &x[0]
	if set.n1 > 0 {
		x1 = &x[set.off1]
	}
	return gradWeightedAVX2F32(&x[0], set.n4, set.rs, set.gs, x1, set.n1, set.s1, c, &w[0], b, &g[0], &wq[0])
}

// checkKernelArgs panics unless the assembly kernel will stay inside x, w
// and g: it reads the c elements of every row of set, w[j] and g[j] for
// j < c.
func checkKernelArgs(nx int, set rowSet, c, nw, ng int) {
	if c < 1 || nw < c || ng < c || !set.valid() || set.end(c) > nx {
		panic("cpu: kernel arguments out of range")
	}
}

// readSum32 returns the sum of x, read as fast as the memory system allows.
func readSum32(x []float32) float32 {
	if !useAVX2 || len(x) < 64 {
		return readSumPortable32(x)
	}
	m := len(x) &^ 63
	return readSumAVX2(&x[0], m) + readSumPortable32(x[m:])
}

// readSum32x4 returns the sum of x read as four streams side by side.
func readSum32x4(x []float32) float32 {
	q := len(x) / 4 &^ 15
	if !useAVX2 || q == 0 {
		return readSumPortable32(x)
	}
	return readSum4AVX2(&x[0], q, q) + readSumPortable32(x[4*q:])
}
