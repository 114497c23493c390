package cpu

// float is the element type of a table: the portable kernels are written
// once for both (each instantiation is compiled separately, so float32
// stays float32 arithmetic).
type float interface{ float32 | float64 }

// gradPortable is the portable fused kernel: for the n rows of x (row
// length c, stride s, starting at x[0]) it forms r = x_i·w + b, adds r·x_ij
// into g[j] and returns Σr and Σr². The intercept's gradient is Σr.
func gradPortable[T float](x []T, n, c, s int, w []T, b T, g []T) (sr, srr T) {
	w = w[:c]
	g = g[:c]
	for i := 0; i < n; i++ {
		row := x[i*s : i*s+c]
		r := b + dot(row, w)
		axpy(r, row, g)
		sr += r
		srr += r * r
	}
	return sr, srr
}

// dot returns x·w (len(w) ≥ len(x)) with four partial sums, so that the
// loop is not bound by the latency of one chain of additions.
func dot[T float](x, w []T) T {
	w = w[:len(x)]
	var s0, s1, s2, s3 T
	j := 0
	for ; j+4 <= len(x); j += 4 {
		s0 += x[j] * w[j]
		s1 += x[j+1] * w[j+1]
		s2 += x[j+2] * w[j+2]
		s3 += x[j+3] * w[j+3]
	}
	for ; j < len(x); j++ {
		s0 += x[j] * w[j]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy adds a·x into g (len(g) ≥ len(x)).
func axpy[T float](a T, x, g []T) {
	g = g[:len(x)]
	for j, v := range x {
		g[j] += a * v
	}
}

// The float64 and float32 instantiations, under the names the rest of the
// package (and the vector kernels' fallbacks) use.
var (
	gradPortable64 = gradPortable[float64]
	gradPortable32 = gradPortable[float32]
	dot64          = dot[float64]
	dot32          = dot[float32]
)

// rowSet names the rows, each of c elements, that one kernel call visits
// in a slice x: first n4 groups of four rows, group i the rows starting at
// x[i·gs + k·rs] (k = 0…3), then n1 single rows at x[off1 + i·s1]. The
// vector kernels handle a group's four rows together, so a set of rows
// from four distant places in memory (rs large, gs one row) reads four
// streams at once, which the hardware prefetchers serve faster than one.
type rowSet struct {
	n4, rs, gs int
	off1, n1   int
	s1         int
}

// contiguous returns the rowSet of n consecutive rows at stride s.
func contiguous(n, s int) rowSet {
	q := n / 4
	return rowSet{n4: q, rs: s, gs: 4 * s, off1: 4 * q * s, n1: n - 4*q, s1: s}
}

// streams returns the rowSet of n consecutive rows at stride s read as
// four streams: rows i, i+q, i+2q, i+3q (q = n/4) form group i; the last
// n mod 4 rows are single.
func streams(n, s int) rowSet {
	q := n / 4
	return rowSet{n4: q, rs: q * s, gs: s, off1: 4 * q * s, n1: n - 4*q, s1: s}
}

// scaled returns the set of the same rows for a slice whose rows are s
// times shorter (s divides every offset and stride of the set): the
// positions of the rows' weights in a slice of one weight per row.
func (rs rowSet) scaled(s int) rowSet {
	return rowSet{n4: rs.n4, rs: rs.rs / s, gs: rs.gs / s, off1: rs.off1 / s, n1: rs.n1, s1: rs.s1 / s}
}

// visitSet is the set of positions of set's rows' weights in visit order
// (see visitOrder): group i's at 4i…4i+3, then the single rows'.
func visitSet(set rowSet) rowSet {
	return rowSet{n4: set.n4, rs: 1, gs: 4, off1: 4 * set.n4, n1: set.n1, s1: 1}
}

// rows returns the number of rows in the set.
func (rs rowSet) rows() int { return 4*rs.n4 + rs.n1 }

// end returns one past the largest index of x the set reads.
func (rs rowSet) end(c int) int {
	e := 0
	if rs.n4 > 0 {
		e = (rs.n4-1)*rs.gs + 3*rs.rs + c
	}
	if rs.n1 > 0 {
		e = max(e, rs.off1+(rs.n1-1)*rs.s1+c)
	}
	return e
}

// valid reports whether the strides are non-negative and every row starts
// inside x: then end bounds every index read.
func (rs rowSet) valid() bool {
	return rs.n4 >= 0 && rs.n1 >= 0 && rs.rs >= 0 && rs.gs >= 0 && rs.off1 >= 0 && rs.s1 >= 0
}

// gradSetPortable is the portable kernel over the rows of set: four rows
// at a time like the vector kernel (four dot products, then one pass over
// g), then the single rows.
func gradSetPortable[T float](x []T, set rowSet, c int, w []T, b T, g []T) (sr, srr T) {
	w, g = w[:c], g[:c]
	for i := 0; i < set.n4; i++ {
		o := i * set.gs
		x0 := x[o : o+c]
		x1 := x[o+set.rs : o+set.rs+c]
		x2 := x[o+2*set.rs : o+2*set.rs+c]
		x3 := x[o+3*set.rs : o+3*set.rs+c]
		r0, r1, r2, r3 := b+dot(x0, w), b+dot(x1, w), b+dot(x2, w), b+dot(x3, w)
		// g is loaded and stored once for the four rows.
		x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
		g := g[:len(x0)]
		for j, v := range x0 {
			g[j] += r0*v + r1*x1[j] + r2*x2[j] + r3*x3[j]
		}
		sr += (r0 + r1) + (r2 + r3)
		srr += (r0*r0 + r1*r1) + (r2*r2 + r3*r3)
	}
	if set.n1 > 0 {
		a, aa := gradPortable(x[set.off1:], set.n1, c, set.s1, w, b, g)
		sr += a
		srr += aa
	}
	return sr, srr
}

var (
	gradSetPortable64 = gradSetPortable[float64]
	gradSetPortable32 = gradSetPortable[float32]
)

// gradSetWeighted is gradSetPortable for weighted rows: the row at x[o] of
// set has the weight at the same position of ws in wt (see rowSet.scaled),
// and adds a = w·r times the row into g; it returns Σw·r and Σw·r².
func gradSetWeighted[T float](x []T, set rowSet, c int, w []T, b T, g []T, wt []T, ws rowSet) (sr, srr T) {
	w, g = w[:c], g[:c]
	for i := 0; i < set.n4; i++ {
		o := i * set.gs
		x0 := x[o : o+c]
		x1 := x[o+set.rs : o+set.rs+c]
		x2 := x[o+2*set.rs : o+2*set.rs+c]
		x3 := x[o+3*set.rs : o+3*set.rs+c]
		q := i * ws.gs
		r0, r1, r2, r3 := b+dot(x0, w), b+dot(x1, w), b+dot(x2, w), b+dot(x3, w)
		a0, a1, a2, a3 := wt[q]*r0, wt[q+ws.rs]*r1, wt[q+2*ws.rs]*r2, wt[q+3*ws.rs]*r3
		x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
		g := g[:len(x0)]
		for j, v := range x0 {
			g[j] += a0*v + a1*x1[j] + a2*x2[j] + a3*x3[j]
		}
		sr += (a0 + a1) + (a2 + a3)
		srr += (a0*r0 + a1*r1) + (a2*r2 + a3*r3)
	}
	for i := 0; i < set.n1; i++ {
		row := x[set.off1+i*set.s1 : set.off1+i*set.s1+c]
		r := b + dot(row, w)
		a := wt[ws.off1+i*ws.s1] * r
		axpy(a, row, g)
		sr += a
		srr += a * r
	}
	return sr, srr
}

var (
	gradSetWeighted64 = gradSetWeighted[float64]
	gradSetWeighted32 = gradSetWeighted[float32]
)

// gradVec64 is gradPortable64 computed by the vector kernel.
func gradVec64(x []float64, n, c, s int, w []float64, b float64, g []float64) (float64, float64) {
	return gradSetVec64(x, contiguous(n, s), c, w, b, g)
}

// gradVec32 is gradPortable32 computed by the vector kernel.
func gradVec32(x []float32, n, c, s int, w []float32, b float32, g []float32) (float32, float32) {
	return gradSetVec32(x, contiguous(n, s), c, w, b, g)
}
