// Command asm generates lsgd's AVX2+FMA kernels (../kernel_amd64.s and the
// Go declarations in ../kernel_decl_amd64.go) with avo. It is its own module
// so that the lsgd module does not depend on avo. Regenerate with
//
//	cd cpu && go generate
//
// The gradient kernels compute, for the n rows x_i of a row-major block
// (row length c, stride s elements),
//
//	r_i = x_i·w + b,   g[j] += r_i·x_ij,   return Σr_i, Σr_i²
//
// reading every row from memory once. Four rows at a time: their dot
// products are formed by four independent FMA chains (w loaded once for
// all four), reduced horizontally into one vector [r0 r1 r2 r3] and
// broadcast; then the four rows, now in L1, are folded into g, which is
// loaded and stored once per four rows. The last c mod L columns (L = 8
// float32 or 4 float64 lanes) are read with masked loads, so any c and any
// stride work without reading past a row; the part of g they update stays
// in a register for the whole call.
//
// The caller chooses which rows form a group. Rows far apart (i, i+q,
// i+2q, i+3q of a chunk, see rowSet in ../kernel.go) make every core read
// four streams at once, which the hardware prefetchers serve much faster
// than one: on the machine the kernels were tuned on (AMD EPYC Zen 3, two
// cores) the fused pass went from 0.55–0.8 of the one-stream read
// bandwidth with consecutive rows to 0.8–0.95 of the best (four-stream)
// read with the four streams. Software prefetching (-prefetch) added
// nothing on top of the streams there (and cost up to 10% at 4 KiB), so it
// is off by default.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"regexp"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

var prefetch = flag.Int("prefetch", 0, "software prefetch distance in bytes ahead of each row (0: none)")

// prec describes one floating-point type.
type prec struct {
	name  string // "32" or "64"
	size  int    // bytes per element
	shift uint8  // log2(size)
	lanes int    // elements per YMM register
	mask  Mem    // 2·lanes mask words: lanes of −1 then lanes of 0
}

func main() {
	flag.Parse() // before any code is emitted: the flags shape the code
	ConstraintExpr("!purego")
	p32 := prec{name: "32", size: 4, shift: 2, lanes: 8, mask: maskTable("tailmask32", 4, 8)}
	p64 := prec{name: "64", size: 8, shift: 3, lanes: 4, mask: maskTable("tailmask64", 8, 4)}
	grad(p32, false)
	grad(p64, false)
	grad(p32, true)
	grad(p64, true)
	readSum()
	readSum4()
	Generate()
	checkVEX()
}

// checkVEX fails the generation if the output names a vector register
// that only AVX-512 has.
func checkVEX() {
	f := flag.Lookup("out")
	if f == nil || f.Value.String() == "" {
		return
	}
	b, err := os.ReadFile(f.Value.String())
	if err != nil {
		log.Fatal(err)
	}
	if m := regexp.MustCompile(`\b[XYZ](1[6-9]|2[0-9]|3[01])\b`).Find(b); m != nil {
		log.Fatalf("%s uses %s, an AVX-512 register", f.Value, m)
	}
}

// maskTable emits n words of all ones followed by n zero words; loading
// lanes words from offset (lanes−t)·size gives a mask of the first t lanes.
func maskTable(name string, size, n int) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 2*n; i++ {
		v := uint64(0)
		if i < n {
			v = ^uint64(0)
		}
		if size == 4 {
			DATA(4*i, U32(uint32(v)))
		} else {
			DATA(8*i, U64(v))
		}
	}
	return m
}

func (p prec) fma(a, b Op, acc Op) {
	if p.size == 4 {
		VFMADD231PS(a, b, acc)
	} else {
		VFMADD231PD(a, b, acc)
	}
}

func (p prec) mul(a, b, dst Op) {
	if p.size == 4 {
		VMULPS(a, b, dst)
	} else {
		VMULPD(a, b, dst)
	}
}

func (p prec) add(a, b, dst Op) {
	if p.size == 4 {
		VADDPS(a, b, dst)
	} else {
		VADDPD(a, b, dst)
	}
}

func (p prec) maskLoad(m Mem, mask, dst Op) {
	if p.size == 4 {
		VMASKMOVPS(m, mask, dst)
	} else {
		VMASKMOVPD(m, mask, dst)
	}
}

func (p prec) zero(r Op) {
	if p.size == 4 {
		VXORPS(r, r, r)
	} else {
		VXORPD(r, r, r)
	}
}

// hsum1 reduces the lanes of the YMM register v into lane 0 of the XMM
// register dst, using the XMM register tmp (other lanes of dst: junk).
func (p prec) hsum1(v VecPhysical, dst, tmp VecPhysical) {
	VEXTRACTF128(U8(1), v, tmp)
	if p.size == 4 {
		VADDPS(tmp, v.AsX(), dst)
		VMOVHLPS(dst, dst, tmp)
		VADDPS(tmp, dst, dst)
		VMOVSHDUP(dst, tmp)
		VADDSS(tmp, dst, dst)
	} else {
		VADDPD(tmp, v.AsX(), dst)
		VPERMILPD(U8(1), dst, tmp)
		VADDSD(tmp, dst, dst)
	}
}

// loop2 emits a loop over j = 0, 32, …, end−32 (end a multiple of 32)
// that runs body twice per step (at j and j+32), then once more if the
// count is odd; each(j) runs once per step, before the bodies. end2 must
// hold end−32.
func loop2(name string, j, end, end2 Register, each func(), body func(off int)) {
	XORQ(j, j)
	CMPQ(j, end2)
	JGE(LabelRef(name + "odd"))
	Label(name)
	each()
	body(0)
	body(32)
	ADDQ(U8(64), j)
	CMPQ(j, end2)
	JL(LabelRef(name))
	Label(name + "odd")
	CMPQ(j, end)
	JGE(LabelRef(name + "done"))
	each()
	body(0)
	Label(name + "done")
}

// loop1 emits "for j = 0; j < end; j += 32 { body }".
func loop1(name string, j, end Register, body func()) {
	XORQ(j, j)
	CMPQ(j, end)
	JGE(LabelRef(name + "done"))
	Label(name)
	body()
	ADDQ(U8(32), j)
	CMPQ(j, end)
	JL(LabelRef(name))
	Label(name + "done")
}

// grad emits gradAVX2F32 or gradAVX2F64, or with weighted
// gradWeightedAVX2F32 or gradWeightedAVX2F64: the same kernel with one
// more argument, wq, the rows' weights in the order the kernel visits the
// rows (group i's four at wq[4i…4i+3], then the single rows'), which
// multiplies r into a = w·r before the sums: g[j] += a·x_ij, returning Σa
// and Σa·r. The vector registers are
// assigned by hand: avo's allocator may hand out X16–X31, which exist only
// with AVX-512 (avo issue #146), and this code must run on AVX2 machines.
//
//	Y0 tail mask   Y1 w tail   Y2 g tail   Y3 b (broadcast)
//	Y4 Σr lanes    Y5 Σr² lanes
//	4-row loop: Y6–Y9 row tails, Y10–Y13 dot products then r_k, Y14 w or g
//	1-row loop: Y6 row tail, Y7 dot, Y8 w or g, X9 r, Y10 r broadcast,
//	            X11 temp, X13 Σr, X14 Σr²
//	weighted:   Y15 the group's weights, then a; X12 a of a single row
func grad(p prec, weighted bool) {
	typ := "float" + p.name
	fn := "gradAVX2F" + p.name
	sig := fmt.Sprintf("func(x *%[1]s, n4, rs, gs int, x1 *%[1]s, n1, s1, c int, w *%[1]s, b %[1]s, acc *%[1]s) (sr, srr %[1]s)", typ)
	if weighted {
		fn = "gradWeightedAVX2F" + p.name
		sig = fmt.Sprintf("func(x *%[1]s, n4, rs, gs int, x1 *%[1]s, n1, s1, c int, w *%[1]s, b %[1]s, acc *%[1]s, wq *%[1]s) (sr, srr %[1]s)", typ)
	}
	TEXT(fn, NOSPLIT, sig)
	Pragma("noescape")
	if weighted {
		Doc(fmt.Sprintf("gradWeightedAVX2F%s is gradAVX2F%s for weighted rows (see gradSetWeighted): wq", p.name, p.name),
			"holds the rows' weights in the order the kernel visits them (group i's four at",
			"wq[4i…4i+3], then the n1 single rows'); each r is multiplied into a = w·r,",
			"added as a·x_ij into acc, and the sums returned are Σa and Σa·r.")
	} else {
		Doc(fmt.Sprintf("gradAVX2F%s is the AVX2+FMA fused gradient kernel for %s (see gradPortable%s),", p.name, typ, p.name),
			"accumulating into g = acc: first n4 groups of four rows, group i the rows at",
			"x + i·gs + k·rs (k = 0…3, in elements), then n1 single rows at x1 + i·s1. Rows",
			"have c ≥ 1 elements, read with masked loads, never past a row's end; w and acc",
			"have ≥ c.")
	}
	name := func(s string) string {
		if weighted {
			return "w" + s + p.name
		}
		return s + p.name
	}
	var wp Register
	if weighted {
		wp = Load(Param("wq"), GP64())
	}

	x := Load(Param("x"), GP64())
	n := Load(Param("n4"), GP64())
	rs := Load(Param("rs"), GP64())
	gs := Load(Param("gs"), GP64())
	c := Load(Param("c"), GP64())
	w := Load(Param("w"), GP64())
	g := Load(Param("acc"), GP64()) // not "g": that names a register in Go assembly
	SHLQ(U8(p.shift), rs)           // strides in bytes
	SHLQ(U8(p.shift), gs)
	// b first: MOVSS/MOVSD are legacy SSE, slow after 256-bit VEX code.
	Load(Param("b"), X3)

	Comment("tail = byte offset of the last c mod lanes columns, t = their bytes; Y0 selects them")
	t := GP64()
	MOVQ(c, t)
	ANDQ(U32(p.lanes-1), t)
	tail := c
	SUBQ(t, tail)
	SHLQ(U8(p.shift), tail)
	SHLQ(U8(p.shift), t)
	mp := GP64()
	LEAQ(p.mask.Offset(p.lanes*p.size), mp)
	SUBQ(t, mp)
	mask := Y0
	VMOVDQU(Mem{Base: mp}, mask)
	tail2 := GP64()
	LEAQ(Mem{Base: tail, Disp: -32}, tail2)

	wt, gt, bv, sr, srr := Y1, Y2, Y3, Y4, Y5
	p.maskLoad(Mem{Base: w, Index: tail, Scale: 1}, mask, wt)
	p.maskLoad(Mem{Base: g, Index: tail, Scale: 1}, mask, gt)
	if p.size == 4 {
		VBROADCASTSS(X3, bv)
	} else {
		VBROADCASTSD(X3, bv)
	}
	p.zero(sr)
	p.zero(srr)
	j := GP64()

	Comment("groups of four rows")
	TESTQ(n, n)
	JE(LabelRef(name("singles")))
	// The weighted kernel reads the first row through x: its weight
	// pointer takes the register a copy would need.
	var rows [4]Register
	if weighted {
		rows = [4]Register{x, GP64(), GP64(), GP64()}
	} else {
		rows = [4]Register{GP64(), GP64(), GP64(), GP64()}
	}
	Label(name("quad"))
	if !weighted {
		MOVQ(x, rows[0])
	}
	LEAQ(Mem{Base: x, Index: rs, Scale: 1}, rows[1])
	LEAQ(Mem{Base: x, Index: rs, Scale: 2}, rows[2])
	LEAQ(Mem{Base: rows[1], Index: rs, Scale: 2}, rows[3])
	tv := [4]VecPhysical{Y6, Y7, Y8, Y9}
	acc := [4]VecPhysical{Y10, Y11, Y12, Y13}
	for k := range rows {
		p.maskLoad(Mem{Base: rows[k], Index: tail, Scale: 1}, mask, tv[k])
		p.mul(tv[k], wt, acc[k])
	}
	// Each row is prefetched D bytes ahead of the loads, one line per 64
	// bytes; the c mod lanes columns past the last step are left to the
	// hardware prefetcher.
	loop2(name("dot4"), j, tail, tail2, func() {
		if *prefetch > 0 {
			for k := range rows {
				PREFETCHT0(Mem{Base: rows[k], Index: j, Scale: 1, Disp: *prefetch})
			}
		}
	}, func(off int) {
		VMOVUPS(Mem{Base: w, Index: j, Scale: 1, Disp: off}, Y14)
		for k := range rows {
			p.fma(Mem{Base: rows[k], Index: j, Scale: 1, Disp: off}, Y14, acc[k])
		}
	})

	Comment("reduce to r = [r0 r1 r2 r3] + b, accumulate Σr, Σr², broadcast r_k")
	rv := [4]VecPhysical{Y11, Y12, Y13, Y10}
	if p.size == 4 {
		VHADDPS(Y11, Y10, Y10)
		VHADDPS(Y13, Y12, Y12)
		VHADDPS(Y12, Y10, Y10) // [r0 r1 r2 r3 | r0 r1 r2 r3] in two halves
		VEXTRACTF128(U8(1), Y10, X11)
		VADDPS(X11, X10, X10)
		VADDPS(X3, X10, X10)
		if weighted {
			VMOVUPS(Mem{Base: wp}, X15)
			VMULPS(X10, X15, X15) // a = w·r
			VADDPS(X15, X4, X4)
			VFMADD231PS(X15, X10, X5)
			VMOVAPS(X15, X10)
			ADDQ(U8(16), wp)
		} else {
			VADDPS(X10, X4, X4)
			VFMADD231PS(X10, X10, X5)
		}
		VINSERTF128(U8(1), X10, Y10, Y10)
		for k, r := range rv {
			VPERMILPS(U8(0x55*k), Y10, r)
		}
	} else {
		VHADDPD(Y11, Y10, Y10)              // [a0 01, a1 01, a0 23, a1 23]
		VHADDPD(Y13, Y12, Y12)              // [a2 01, a3 01, a2 23, a3 23]
		VPERM2F128(U8(0x21), Y12, Y10, Y11) // [a0 23, a1 23, a2 01, a3 01]
		VBLENDPD(U8(0b1100), Y12, Y10, Y10) // [a0 01, a1 01, a2 23, a3 23]
		VADDPD(Y11, Y10, Y10)
		VADDPD(Y3, Y10, Y10)
		if weighted {
			VMOVUPD(Mem{Base: wp}, Y15)
			VMULPD(Y10, Y15, Y15) // a = w·r
			VADDPD(Y15, Y4, Y4)
			VFMADD231PD(Y15, Y10, Y5)
			VMOVAPD(Y15, Y10)
			ADDQ(U8(32), wp)
		} else {
			VADDPD(Y10, Y4, Y4)
			VFMADD231PD(Y10, Y10, Y5)
		}
		for k, r := range rv {
			VPERMPD(U8(0x55*k), Y10, r)
		}
	}
	for k := range rows {
		p.fma(tv[k], rv[k], gt)
	}
	loop2(name("upd4"), j, tail, tail2, func() {}, func(off int) {
		VMOVUPS(Mem{Base: g, Index: j, Scale: 1, Disp: off}, Y14)
		for k := range rows {
			p.fma(Mem{Base: rows[k], Index: j, Scale: 1, Disp: off}, rv[k], Y14)
		}
		VMOVUPS(Y14, Mem{Base: g, Index: j, Scale: 1, Disp: off})
	})
	ADDQ(gs, x)
	DECQ(n)
	JNE(LabelRef(name("quad")))

	Comment("single rows")
	Label(name("singles"))
	Load(Param("x1"), x)
	Load(Param("n1"), n)
	sb := Load(Param("s1"), rs)
	SHLQ(U8(p.shift), sb)
	p.zero(X13)
	p.zero(X14)
	TESTQ(n, n)
	JE(LabelRef(name("done")))
	Label(name("one"))
	p.maskLoad(Mem{Base: x, Index: tail, Scale: 1}, mask, Y6)
	p.mul(Y6, wt, Y7)
	loop1(name("dot1"), j, tail, func() {
		VMOVUPS(Mem{Base: w, Index: j, Scale: 1}, Y8)
		p.fma(Mem{Base: x, Index: j, Scale: 1}, Y8, Y7)
	})
	p.hsum1(Y7, X9, X11)
	switch {
	case weighted && p.size == 4:
		VADDSS(X3, X9, X9)
		VMULSS(Mem{Base: wp}, X9, X12) // a = w·r
		VADDSS(X12, X13, X13)
		VFMADD231SS(X12, X9, X14)
		VBROADCASTSS(X12, Y10)
		ADDQ(U8(4), wp)
	case weighted:
		VADDSD(X3, X9, X9)
		VMULSD(Mem{Base: wp}, X9, X12)
		VADDSD(X12, X13, X13)
		VFMADD231SD(X12, X9, X14)
		VBROADCASTSD(X12, Y10)
		ADDQ(U8(8), wp)
	case p.size == 4:
		VADDSS(X3, X9, X9)
		VADDSS(X9, X13, X13)
		VFMADD231SS(X9, X9, X14)
		VBROADCASTSS(X9, Y10)
	default:
		VADDSD(X3, X9, X9)
		VADDSD(X9, X13, X13)
		VFMADD231SD(X9, X9, X14)
		VBROADCASTSD(X9, Y10)
	}
	p.fma(Y6, Y10, gt)
	loop1(name("upd1"), j, tail, func() {
		VMOVUPS(Mem{Base: g, Index: j, Scale: 1}, Y8)
		p.fma(Mem{Base: x, Index: j, Scale: 1}, Y10, Y8)
		VMOVUPS(Y8, Mem{Base: g, Index: j, Scale: 1})
	})
	ADDQ(sb, x)
	DECQ(n)
	JNE(LabelRef(name("one")))

	Label(name("done"))
	Comment("write the g tail back through the stack, t bytes (VMASKMOVPS stores",
		"are slow on AMD)")
	tmp := AllocLocal(32)
	VMOVUPS(gt, tmp)
	ADDQ(tail, g)
	XORQ(j, j)
	CMPQ(j, t)
	JGE(LabelRef(name("gtdone")))
	Label(name("gt"))
	v := GP64()
	if p.size == 4 {
		MOVL(Mem{Base: tmp.Base, Disp: tmp.Disp, Index: j, Scale: 1}, v.As32())
		MOVL(v.As32(), Mem{Base: g, Index: j, Scale: 1})
	} else {
		MOVQ(Mem{Base: tmp.Base, Disp: tmp.Disp, Index: j, Scale: 1}, v)
		MOVQ(v, Mem{Base: g, Index: j, Scale: 1})
	}
	ADDQ(U8(p.size), j)
	CMPQ(j, t)
	JL(LabelRef(name("gt")))
	Label(name("gtdone"))

	Comment("X13, X14 hold the 1-row sums in lane 0, zeros elsewhere")
	p.add(Y13, sr, sr)
	p.add(Y14, srr, srr)
	p.hsum1(sr, X6, X8)
	p.hsum1(srr, X7, X8)
	VZEROUPPER()
	Store(X6, Return("sr"))
	Store(X7, Return("srr"))
	RET()
}

// readSum emits readSumAVX2(x *float32, n int) float32: the sum of n
// float32 (n a multiple of 64), read with four independent accumulators
// of two loads each, as fast as the memory system delivers.
func readSum() {
	TEXT("readSumAVX2", NOSPLIT, "func(x *float32, n int) float32")
	Pragma("noescape")
	Doc("readSumAVX2 returns the sum of x[0…n), n a multiple of 64: the read-bandwidth probe.")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	acc := [4]VecPhysical{Y0, Y1, Y2, Y3}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	SHRQ(U8(6), n)
	JE(LabelRef("rsdone"))
	Label("rsloop")
	for k := 0; k < 8; k++ {
		VADDPS(Mem{Base: x, Disp: 32 * k}, acc[k%4], acc[k%4])
	}
	ADDQ(U32(256), x)
	DECQ(n)
	JNE(LabelRef("rsloop"))
	Label("rsdone")
	VADDPS(Y1, Y0, Y0)
	VADDPS(Y3, Y2, Y2)
	VADDPS(Y2, Y0, Y0)
	prec{size: 4}.hsum1(Y0, X4, X5)
	VZEROUPPER()
	Store(X4, ReturnIndex(0))
	RET()
}

// readSum4 emits readSum4AVX2(x *float32, n, q int) float32: the sum of
// four streams of n float32 each (n a multiple of 16) starting at x + k·q,
// k = 0…3, read side by side, one cache line of each per step: with four
// streams per core the hardware prefetchers keep more lines in flight.
func readSum4() {
	TEXT("readSum4AVX2", NOSPLIT, "func(x *float32, n, q int) float32")
	Pragma("noescape")
	Doc("readSum4AVX2 returns the sum of x[k·q+i], k < 4, i < n (n a multiple of 16): the",
		"four-stream read-bandwidth probe.")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	q := Load(Param("q"), GP64())
	SHLQ(U8(2), q)
	p2 := GP64()
	LEAQ(Mem{Base: x, Index: q, Scale: 2}, p2)
	acc := [4]VecPhysical{Y0, Y1, Y2, Y3}
	for _, a := range acc {
		VXORPS(a, a, a)
	}
	SHRQ(U8(4), n)
	JE(LabelRef("rs4done"))
	Label("rs4loop")
	for k, m := range []Mem{{Base: x}, {Base: x, Index: q, Scale: 1}, {Base: p2}, {Base: p2, Index: q, Scale: 1}} {
		VADDPS(m, acc[k], acc[k])
		VADDPS(m.Offset(32), acc[k], acc[k])
	}
	ADDQ(U8(64), x)
	ADDQ(U8(64), p2)
	DECQ(n)
	JNE(LabelRef("rs4loop"))
	Label("rs4done")
	VADDPS(Y1, Y0, Y0)
	VADDPS(Y3, Y2, Y2)
	VADDPS(Y2, Y0, Y0)
	prec{size: 4}.hsum1(Y0, X4, X5)
	VZEROUPPER()
	Store(X4, ReturnIndex(0))
	RET()
}
