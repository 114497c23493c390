package cpu

// gradPortable64 is the portable fused kernel: for the n rows of x (row
// length c, stride s, starting at x[0]) it forms r = x_i·w + b, adds r·x_ij
// into g[j] and returns Σr and Σr². The intercept's gradient is Σr.
func gradPortable64(x []float64, n, c, s int, w []float64, b float64, g []float64) (sr, srr float64) {
	w = w[:c]
	g = g[:c]
	for i := 0; i < n; i++ {
		row := x[i*s : i*s+c]
		r := b
		for j, v := range row {
			r += v * w[j]
		}
		for j, v := range row {
			g[j] += r * v
		}
		sr += r
		srr += r * r
	}
	return sr, srr
}

// gradPortable32 is gradPortable64 in float32.
func gradPortable32(x []float32, n, c, s int, w []float32, b float32, g []float32) (sr, srr float32) {
	w = w[:c]
	g = g[:c]
	for i := 0; i < n; i++ {
		row := x[i*s : i*s+c]
		r := b
		for j, v := range row {
			r += v * w[j]
		}
		for j, v := range row {
			g[j] += r * v
		}
		sr += r
		srr += r * r
	}
	return sr, srr
}

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

// gradSetPortable64 runs gradPortable64 over the rows of set, in the order
// the vector kernel visits them.
func gradSetPortable64(x []float64, set rowSet, c int, w []float64, b float64, g []float64) (sr, srr float64) {
	for i := 0; i < set.n4; i++ {
		for k := 0; k < 4; k++ {
			a, aa := gradPortable64(x[i*set.gs+k*set.rs:], 1, c, c, w, b, g)
			sr += a
			srr += aa
		}
	}
	if set.n1 > 0 {
		a, aa := gradPortable64(x[set.off1:], set.n1, c, set.s1, w, b, g)
		sr += a
		srr += aa
	}
	return sr, srr
}

// gradSetPortable32 is gradSetPortable64 in float32.
func gradSetPortable32(x []float32, set rowSet, c int, w []float32, b float32, g []float32) (sr, srr float32) {
	for i := 0; i < set.n4; i++ {
		for k := 0; k < 4; k++ {
			a, aa := gradPortable32(x[i*set.gs+k*set.rs:], 1, c, c, w, b, g)
			sr += a
			srr += aa
		}
	}
	if set.n1 > 0 {
		a, aa := gradPortable32(x[set.off1:], set.n1, c, set.s1, w, b, g)
		sr += a
		srr += aa
	}
	return sr, srr
}

// gradVec64 is gradPortable64 computed by the vector kernel.
func gradVec64(x []float64, n, c, s int, w []float64, b float64, g []float64) (float64, float64) {
	return gradSetVec64(x, contiguous(n, s), c, w, b, g)
}

// gradVec32 is gradPortable32 computed by the vector kernel.
func gradVec32(x []float32, n, c, s int, w []float32, b float32, g []float32) (float32, float32) {
	return gradSetVec32(x, contiguous(n, s), c, w, b, g)
}
