//go:build !amd64 || purego

package cpu

import "github.com/lsgd/lsgd"

// vectorName names the vector kernels of this build.
const vectorName = "portable"

func haveVector(lsgd.Precision) bool { return false }

func gradSetVec64(x []float64, set rowSet, c int, w []float64, b float64, g []float64) (float64, float64) {
	return gradSetPortable64(x, set, c, w, b, g)
}

func gradSetVec32(x []float32, set rowSet, c int, w []float32, b float32, g []float32) (float32, float32) {
	return gradSetPortable32(x, set, c, w, b, g)
}

// The weighted kernels take the weights in visit order (see visitOrder):
// the rows of set, at stride 1, read as their own contiguous set.
func gradSetWeightedVec64(x []float64, set rowSet, c int, w []float64, b float64, g []float64, wq []float64) (float64, float64) {
	return gradSetWeighted64(x, set, c, w, b, g, wq, visitSet(set))
}

func gradSetWeightedVec32(x []float32, set rowSet, c int, w []float32, b float32, g []float32, wq []float32) (float32, float32) {
	return gradSetWeighted32(x, set, c, w, b, g, wq, visitSet(set))
}

func readSum32(x []float32) float32   { return readSumPortable32(x) }
func readSum32x4(x []float32) float32 { return readSumPortable32(x) }
