//go:build !amd64 || purego

package cpu

import "github.com/lsgd/lsgd"

// vectorName names the vector kernels of this build.
const vectorName = "portable"

func haveVector(lsgd.Precision) bool { return false }

func gradVec64(x []float64, n, c, s int, w []float64, b float64, g []float64) (float64, float64) {
	return gradPortable64(x, n, c, s, w, b, g)
}

func gradVec32(x []float32, n, c, s int, w []float32, b float32, g []float32) (float32, float32) {
	return gradPortable32(x, n, c, s, w, b, g)
}

func readSum32(x []float32) float32 { return readSumPortable32(x) }
