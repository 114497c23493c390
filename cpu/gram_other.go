//go:build !amd64 || purego

package cpu

// gramMicro8 adds Σ_i a_iᵀ·[b0_i b1_i] into the 4×8 block at acc with two
// portable 4×4 calls (no vector kernel in this build).
func gramMicro8(a, b0, b1, acc []float64, _ bool) {
	gramMicro(a, b0, acc)
	gramMicro(a, b1, acc[4:])
}
