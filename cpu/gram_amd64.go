//go:build !purego

package cpu

//go:generate go run -C _asm ./gram -out ../gram_amd64.s -stubs ../gram_decl_amd64.go -pkg cpu

// gramMicro8 adds Σ_i a_iᵀ·[b0_i b1_i] over the rows of three packed
// micro-panels (len(a) = len(b0) = len(b1) = 4n) into the 4×8 block at acc
// (stride gramTile): the AVX2+FMA kernel when vec, else two portable 4×4
// calls. Both sum each entry's rows in order from zero.
func gramMicro8(a, b0, b1, acc []float64, vec bool) {
	if !vec {
		gramMicro(a, b0, acc)
		gramMicro(a, b1, acc[4:])
		return
	}
	n := len(a) / 4
	if len(b0) < 4*n || len(b1) < 4*n || len(acc) < 3*gramTile+8 {
		panic("cpu: gramMicro8 arguments out of range")
	}
	if n == 0 {
		return
	}
	gramAVX2(&a[0], &b0[0], &b1[0], n, &acc[0], gramTile)
}
