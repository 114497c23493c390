// Command gram generates lsgd's AVX2+FMA Gram micro-kernel
// (../../gram_amd64.s and the Go declaration in ../../gram_decl_amd64.go)
// with avo. Regenerate with
//
//	cd cpu && go generate
//
// The kernel adds Σ_i a_iᵀ [b0_i b1_i] over the n rows of three packed
// micro-panels (four float64 columns each, row-interleaved: row i at
// element 4i) into a 4×8 block of the Gram tile accumulator (row stride
// ld elements). Each row: the two b vectors are loaded once, each a
// value broadcast, eight FMAs into eight independent YMM accumulators
// (enough to hide the FMA latency on two ports). The sums start from zero
// and are added into the accumulator at the end, the rows summed in
// order, exactly as the portable kernel does: with float32 data (whose
// products are exact in float64) the two give the same bits.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!purego")
	TEXT("gramAVX2", NOSPLIT, "func(a, b0, b1 *float64, n int, acc *float64, ld int)")
	Doc("gramAVX2 adds Σ_i a_iᵀ·[b0_i b1_i] over n ≥ 0 rows of three packed micro-panels",
		"(row i at element 4i of each) into the 4×8 block at acc (row stride ld elements),",
		"summing the rows in order from zero and adding the sums into acc at the end.")
	a := Load(Param("a"), GP64())
	b0 := Load(Param("b0"), GP64())
	b1 := Load(Param("b1"), GP64())
	n := Load(Param("n"), GP64())
	acc := Load(Param("acc"), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(3), ld) // bytes
	// Registers by hand: avo's allocator may hand out X16–X31 (AVX-512).
	s := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	for _, r := range s {
		VXORPD(r, r, r)
	}
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("row")
	VMOVUPD(Mem{Base: b0}, Y8)
	VMOVUPD(Mem{Base: b1}, Y9)
	bc := []VecPhysical{Y10, Y11, Y12, Y13}
	for k := 0; k < 4; k++ {
		VBROADCASTSD(Mem{Base: a, Disp: 8 * k}, bc[k])
		VFMADD231PD(Y8, bc[k], s[2*k])
		VFMADD231PD(Y9, bc[k], s[2*k+1])
	}
	ADDQ(U8(32), a)
	ADDQ(U8(32), b0)
	ADDQ(U8(32), b1)
	DECQ(n)
	JNZ(LabelRef("row"))
	Label("done")
	for k := 0; k < 4; k++ {
		if k > 0 {
			ADDQ(ld, acc)
		}
		for h := 0; h < 2; h++ {
			m := Mem{Base: acc, Disp: 32 * h}
			VADDPD(m, s[2*k+h], s[2*k+h])
			VMOVUPD(s[2*k+h], m)
		}
	}
	VZEROUPPER()
	RET()
	Generate()
}
