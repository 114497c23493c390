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

// gradVec64 is gradPortable64 computed by the AVX2+FMA kernel. The
// summation order differs (four rows at a time, lanes reduced as a tree), so
// results agree with the portable kernel to rounding, not bit for bit; on
// one machine they are deterministic.
func gradVec64(x []float64, n, c, s int, w []float64, b float64, g []float64) (float64, float64) {
	if n <= 0 {
		return 0, 0
	}
	checkKernelArgs(len(x), n, c, s, len(w), len(g))
	return gradAVX2F64(&x[0], n, c, s, &w[0], b, &g[0])
}

// gradVec32 is gradPortable32 computed by the AVX2+FMA kernel.
func gradVec32(x []float32, n, c, s int, w []float32, b float32, g []float32) (float32, float32) {
	if n <= 0 {
		return 0, 0
	}
	checkKernelArgs(len(x), n, c, s, len(w), len(g))
	return gradAVX2F32(&x[0], n, c, s, &w[0], b, &g[0])
}

// checkKernelArgs panics unless the assembly kernel will stay inside x, w
// and g: it reads x[i·s+j] for i < n, j < c, w[j] and g[j] for j < c.
func checkKernelArgs(nx, n, c, s, nw, ng int) {
	if c < 1 || s < c || nw < c || ng < c || (n-1)*s+c > nx {
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
