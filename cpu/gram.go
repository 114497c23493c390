package cpu

import (
	"sync"
	"sync/atomic"

	"github.com/lsgd/lsgd"
)

// Shape of the fast Gram kernel (see fastData.Gram).
const (
	// gramTile is the side of the tiles of G one task computes. Every
	// task reads its two column blocks of its rows from memory, so the
	// table is read about c/(2·gramTile) times: wider tiles read less
	// (measured on 200k×1024, per CPU second: 64 → 11, 128 → 20, 256 →
	// 29 GFLOP/s). The 256×256 float64 accumulator (512 KiB) and the two
	// packed panels (2 × 260 KiB) stay in a 2 MiB L2 cache.
	gramTile = 256
	// gramBlock is the number of rows packed at a time: two packed
	// micro-panels of gramBlock rows × 4 columns (8 KiB) stay in L1 while
	// the micro-kernel sweeps the other block's panels past them.
	gramBlock = 128
	// gramPartialBytes bounds the per-chunk partial Gram matrices kept
	// for the fixed-order merge.
	gramPartialBytes = 64 << 20
)

// gramChunkRows returns the rows per chunk of a Gram pass over m rows of a
// table with c columns: a multiple of ChunkRows chosen so that the
// partial matrices, p² float64 each, stay within gramPartialBytes (one
// chunk, written straight into G, when even one is larger). It depends only
// on m and c, so every thread count sums in the same order.
func gramChunkRows(m, c int) int {
	p := int64(c + 1)
	n0 := int64((m + ChunkRows - 1) / ChunkRows)
	per := p * p * 8
	g := min(n0, max(1, (n0*per+gramPartialBytes-1)/gramPartialBytes))
	return int(g) * ChunkRows
}

// gramScratch is one worker's buffers: two packed panels and the tile's
// accumulator.
type gramScratch struct {
	pa, pb []float64 // gramTile/4 + 1 micro-panels of gramBlock rows × 4 columns
	wa     []float64 // the weights of the block's rows (weighted tables)
	acc    []float64 // gramTile × gramTile
	sum    []float64 // gramTile column sums
}

// Gram returns G = Σ_i x̃_i x̃_iᵀ over the selected rows (see
// refData.Gram for the definition), accumulated in float64.
//
// The rows are cut into chunks of gramChunkRows rows (fixed by the row
// range and the width, never by the thread count) and the upper triangle
// of G into tiles of gramTile×gramTile; every (chunk, tile) pair is one
// task, handed to the workers dynamically. A task packs gramBlock rows of
// its two column blocks into float64 panels (float32 values are widened
// exactly; products of two float32 values are exact in float64) and runs
// a register-blocked micro-kernel over them (4×8 entries: AVX2+FMA where
// the CPU has it, else portable Go), adding
// each block's sums into the tile's accumulator. The chunks' partial matrices are then added
// in chunk order, so G has the same bits for any GOMAXPROCS.
//
// A weighted table packs its column block a as w_i·x_i (one float64
// rounding per value) and block b as x_i, on a diagonal tile too, so the
// same micro-kernel sums w_i·x_ij·x_il and the column sums come out as
// Σw_i·x_ij; the corner is Σw_i over the rows, in row order.
func (d *fastData) Gram(rows lsgd.Rows) ([]float64, error) {
	if err := checkRows(rows, d.t.Rows, d.order); err != nil {
		return nil, err
	}
	t := d.t
	c := t.Cols
	p := c + 1
	m := rows.Len()
	cr := gramChunkRows(m, c)
	nch := (m + cr - 1) / cr
	nt := (c + gramTile - 1) / gramTile
	type pair struct{ a, b int }
	pairs := make([]pair, 0, nt*(nt+1)/2)
	for a := 0; a < nt; a++ {
		for b := a; b < nt; b++ {
			pairs = append(pairs, pair{a, b})
		}
	}
	// Partial k is a p×p matrix (upper triangle of the c×c block used)
	// and c column sums; partial 0 is G itself.
	g := make([]float64, p*p)
	parts := make([][]float64, nch)
	sums := make([][]float64, nch)
	parts[0] = g
	for k := range parts {
		if k > 0 {
			parts[k] = make([]float64, p*p)
		}
		sums[k] = make([]float64, c)
	}
	ntask := nch * len(pairs)
	var next atomic.Int64
	var wg sync.WaitGroup
	nw := max(1, min(len(d.workers), ntask))
	wg.Add(nw)
	for w := 0; w < nw; w++ {
		go func() {
			defer wg.Done()
			s := gramScratch{
				pa:  make([]float64, (gramTile+4)*gramBlock),
				pb:  make([]float64, (gramTile+4)*gramBlock),
				wa:  make([]float64, gramBlock),
				acc: make([]float64, gramTile*gramTile),
				sum: make([]float64, gramTile),
			}
			for {
				k := int(next.Add(1) - 1)
				if k >= ntask {
					return
				}
				ch, pr := k/len(pairs), pairs[k%len(pairs)]
				lo := rows.Lo + ch*cr
				hi := min(lo+cr, rows.Hi)
				d.gramTask(&s, rows.Shuffled, lo, hi, pr.a*gramTile, pr.b*gramTile, parts[ch], sums[ch], p)
			}
		}()
	}
	wg.Wait()
	// Fixed-order merge: G += partial 1, 2, … in chunk order.
	for k := 1; k < nch; k++ {
		pk := parts[k]
		for j := 0; j < c; j++ {
			gj, qj := g[j*p+j:j*p+c], pk[j*p+j:j*p+c]
			for l, v := range qj {
				gj[l] += v
			}
		}
	}
	for j := 0; j < c; j++ {
		s := 0.0
		for k := range sums {
			s += sums[k][j]
		}
		g[j*p+c] = s
	}
	g[c*p+c] = float64(m)
	if wt := t.Weights; wt != nil {
		sw := 0.0
		for k := rows.Lo; k < rows.Hi; k++ {
			i := k
			if rows.Shuffled {
				i = int(d.order[k])
			}
			sw += wt[i]
		}
		g[c*p+c] = sw
	}
	mirrorUpper(g, p)
	return g, nil
}

// gramTask adds the rows lo…hi−1 (positions in the order when shuffled)
// into the tile of G whose rows are columns ja… and columns jb…
// (ja ≤ jb) of part (row stride p), and, on a diagonal tile, the column
// sums of its columns into sum.
func (d *fastData) gramTask(s *gramScratch, shuffled bool, lo, hi, ja, jb int, part, sum []float64, p int) {
	c := d.t.Cols
	wa, wb := min(gramTile, c-ja), min(gramTile, c-jb)
	diag := ja == jb
	ma, mb := (wa+3)/4, (wb+3)/4
	acc := s.acc
	clear(acc)
	csum := s.sum
	clear(csum)
	weighted := d.t.Weights != nil
	for r0 := lo; r0 < hi; r0 += gramBlock {
		n := min(gramBlock, hi-r0)
		pb := s.pa
		switch {
		case weighted && diag:
			// Block b as read, block a the same values times w.
			d.gramPack(s.pb, shuffled, r0, n, jb, wb)
			pb = s.pb
			d.gramWeigh(s.pa, s.pb, s.wa, shuffled, r0, n, ma)
		case weighted:
			d.gramPack(s.pa, shuffled, r0, n, ja, wa)
			d.gramWeigh(s.pa, s.pa, s.wa, shuffled, r0, n, ma)
			d.gramPack(s.pb, shuffled, r0, n, jb, wb)
			pb = s.pb
		case diag:
			d.gramPack(s.pa, shuffled, r0, n, ja, wa)
		default:
			d.gramPack(s.pa, shuffled, r0, n, ja, wa)
			d.gramPack(s.pb, shuffled, r0, n, jb, wb)
			pb = s.pb
		}
		if diag {
			// Column sums, row by row in order.
			for u := 0; u < ma; u++ {
				panel := s.pa[u*4*gramBlock : u*4*gramBlock+4*n]
				s0, s1, s2, s3 := csum[4*u], csum[4*u+1], csum[4*u+2], csum[4*u+3]
				for i := 0; i+4 <= len(panel); i += 4 {
					s0 += panel[i]
					s1 += panel[i+1]
					s2 += panel[i+2]
					s3 += panel[i+3]
				}
				csum[4*u], csum[4*u+1], csum[4*u+2], csum[4*u+3] = s0, s1, s2, s3
			}
		}
		// Two micro-panels of the column block at a time: 4×8 blocks of
		// the tile (an odd last panel is paired with a zero panel). On a
		// diagonal tile only the blocks that reach the diagonal or above
		// are computed (a 4×8 block may cover a 4×4 below it, and the
		// zero panel columns past the tile's width: the copy-out ignores
		// both).
		if mb%2 == 1 {
			clear(pb[mb*4*gramBlock : mb*4*gramBlock+4*n])
		}
		panel := func(q []float64, u int) []float64 { return q[u*4*gramBlock : u*4*gramBlock+4*n] }
		for v := 0; v < mb; v += 2 {
			b0, b1 := panel(pb, v), panel(pb, v+1)
			ue := ma
			if diag {
				ue = min(ma, v+2)
			}
			for u := 0; u < ue; u++ {
				gramMicro8(panel(s.pa, u), b0, b1, acc[4*u*gramTile+4*v:], d.vec)
			}
		}
	}
	for a := 0; a < wa; a++ {
		row := part[(ja+a)*p : (ja+a)*p+c]
		l0 := 0
		if diag {
			l0 = a
		}
		for b := l0; b < wb; b++ {
			row[jb+b] = acc[a*gramTile+b]
		}
	}
	if diag {
		copy(sum[ja:ja+wa], csum[:wa])
	}
}

// gramPack packs n rows starting at position r0, columns j0…j0+w−1, into
// micro-panels of four columns: panel u holds row i's columns j0+4u…
// j0+4u+3 at dst[u·4·gramBlock + 4i …], zero past w, in float64.
func (d *fastData) gramPack(dst []float64, shuffled bool, r0, n, j0, w int) {
	t := d.t
	for i := 0; i < n; i++ {
		ri := r0 + i
		if shuffled {
			ri = int(d.order[ri])
		}
		o := ri*t.Stride + j0
		if t.F32 != nil {
			packRow(dst, t.F32[o:o+w], i)
		} else {
			packRow(dst, t.F64[o:o+w], i)
		}
	}
}

// gramWeigh writes into the first ma micro-panels of dst those of src
// (the same layout; dst may be src) with row i (of the n rows starting at
// position r0) multiplied by the row's weight.
func (d *fastData) gramWeigh(dst, src, w []float64, shuffled bool, r0, n, ma int) {
	w = w[:n]
	for i := range w {
		ri := r0 + i
		if shuffled {
			ri = int(d.order[ri])
		}
		w[i] = d.t.Weights[ri]
	}
	for u := 0; u < ma; u++ {
		out := dst[u*4*gramBlock : u*4*gramBlock+4*n]
		in := src[u*4*gramBlock : u*4*gramBlock+4*n]
		for i, wi := range w {
			q, x := out[4*i:4*i+4:4*i+4], in[4*i:4*i+4:4*i+4]
			q[0], q[1], q[2], q[3] = wi*x[0], wi*x[1], wi*x[2], wi*x[3]
		}
	}
}

// packRow writes the w values of one row into row i of the micro-panels.
func packRow[T float](dst []float64, x []T, i int) {
	u := 0
	for ; 4*u+4 <= len(x); u++ {
		q := dst[u*4*gramBlock+4*i : u*4*gramBlock+4*i+4]
		v := x[4*u : 4*u+4]
		q[0], q[1], q[2], q[3] = float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
	}
	if r := len(x) - 4*u; r > 0 {
		q := dst[u*4*gramBlock+4*i : u*4*gramBlock+4*i+4]
		for a := 0; a < 4; a++ {
			q[a] = 0
			if a < r {
				q[a] = float64(x[4*u+a])
			}
		}
	}
}

// gramMicro adds Σ_i a_iᵀ b_i over the rows of two micro-panels (four
// columns each, row-interleaved, len(a) = len(b) = 4n) into the 4×4 block
// of acc at stride gramTile. The rows are summed in order in sixteen
// independent float64 accumulators.
func gramMicro(a, b []float64, acc []float64) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float64
	var c20, c21, c22, c23, c30, c31, c32, c33 float64
	b = b[:len(a)]
	for i := 0; i+4 <= len(a); i += 4 {
		av := a[i : i+4 : i+4]
		bv := b[i : i+4 : i+4]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		a0 := av[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := av[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := av[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := av[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	r := acc[0:4:4]
	r[0] += c00
	r[1] += c01
	r[2] += c02
	r[3] += c03
	r = acc[gramTile : gramTile+4 : gramTile+4]
	r[0] += c10
	r[1] += c11
	r[2] += c12
	r[3] += c13
	r = acc[2*gramTile : 2*gramTile+4 : 2*gramTile+4]
	r[0] += c20
	r[1] += c21
	r[2] += c22
	r[3] += c23
	r = acc[3*gramTile : 3*gramTile+4 : 3*gramTile+4]
	r[0] += c30
	r[1] += c31
	r[2] += c32
	r[3] += c33
}
