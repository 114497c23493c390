package main

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"

	"github.com/lsgd/lsgd/tableio"
)

// Stats are the mergeable sufficient statistics of weighted least squares
// over a set of rows r_i of [X y] (the feature columns, then the target)
// with weights w_i ≥ 0 (all 1 without --weights): the row count N, the
// rows of positive weight NPos, the total weight W = Σ w_i, the weighted
// column means m = Σ w_i·r_i / W (when Centred) and the p×p
// upper-triangular factor R of the rows √w_i·(r_i − m), so that
// RᵀR = Σ w_i·(r_i − m)(r_i − m)ᵀ. Without centring Mean stays zero and
// RᵀR = Σ w_i·r_i·r_iᵀ. A row of weight zero adds to N and nothing else.
//
// Merge combines two Stats without seeing the rows again: the means by
// Chan's parallel formula in its weighted form (the counts are the total
// weights), R by a Householder QR of [R_a; R_b; √(W_a·W_b/W)·(m_a − m_b)],
// the last row being the correction that moves both halves to the common
// mean (Chan, Golub and LeVeque's update, in factored form). Each R is
// the TSQR factor of its rows, so the merged R has the backward error of
// one QR of all of them.
//
// An error (a shard that cannot be read, or shards whose columns differ)
// travels inside Stats, so that a bad file fails the fit with one clear
// message instead of a retried pipeline; Merge keeps the error of the
// lexicographically first file, so the message does not depend on the
// order the runner merged in.
type Stats struct {
	Source  string    // the first file (by name) these rows came from, for messages
	Names   []string  // the columns of [X y]: features in order, then the target
	N       int64     // rows
	NPos    int64     // rows of positive weight
	W       float64   // Σ w_i (= N without weights)
	Centred bool      // Mean is the column mean (an intercept is fitted)
	Mean    []float64 // len p
	R       []float64 // p×p, row-major, upper triangular with a nonnegative diagonal
	Err     string    // the first error; the statistics are then meaningless
	Input   bool      // Err is the user's input (exit status 2), not an I/O failure
}

// P returns the number of columns of [X y].
func (s *Stats) P() int { return len(s.Names) }

// statsError returns Stats carrying err for the file src.
func statsError(src string, err error) Stats {
	return Stats{Source: src, Err: err.Error(), Input: isInput(err)}
}

// chunkRows is the rows factorized at once: 8192 rows of 65 float64 values
// are 4 MiB.
const chunkRows = 8192

// TableStats returns the Stats of table t: the columns cols (features,
// then the target, as table column indices) named names, each row
// weighted by t.Weights (1 when nil). Rows are factorized in chunks of
// chunkRows and merged.
func TableStats(t *tableio.Table, cols []int, names []string, centred bool) Stats {
	return chunkedStats(t.Source, names, t.Rows, len(cols), centred, func(i int, row []float64) float64 {
		for k, j := range cols {
			row[k] = t.At(i, j)
		}
		return t.Weight(i)
	})
}

// chunkedStats returns the Stats of rows rows of p columns: row(i, dst)
// fills dst with row i and returns its weight.
func chunkedStats(src string, names []string, rows, p int, centred bool, row func(i int, dst []float64) float64) Stats {
	acc := Stats{Source: src, Names: names, Centred: centred}
	buf := make([]float64, chunkRows*p)
	w := make([]float64, chunkRows)
	for lo := 0; lo < rows; lo += chunkRows {
		hi := min(lo+chunkRows, rows)
		n := hi - lo
		a := buf[:n*p]
		for i := 0; i < n; i++ {
			w[i] = row(lo+i, a[i*p:(i+1)*p])
		}
		acc = Merge(acc, blockStats(src, names, a, w[:n], n, p, centred))
	}
	return acc
}

// blockStats returns the Stats of the n×p row-major block a (overwritten)
// with row weights w (nil: every weight 1).
func blockStats(src string, names []string, a, w []float64, n, p int, centred bool) Stats {
	s := Stats{Source: src, Names: names, N: int64(n), Centred: centred, Mean: make([]float64, p)}
	wt := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	for i := 0; i < n; i++ {
		s.W += wt(i)
		if wt(i) > 0 {
			s.NPos++
		}
	}
	if s.W == 0 { // no information: R stays zero
		s.R = make([]float64, p*p)
		return s
	}
	if centred {
		for k := 0; k < p; k++ {
			m := 0.0
			for i := 0; i < n; i++ {
				m += wt(i) * a[i*p+k]
			}
			m /= s.W
			c := 0.0 // a second pass corrects the mean's rounding
			for i := 0; i < n; i++ {
				c += wt(i) * (a[i*p+k] - m)
			}
			m += c / s.W
			s.Mean[k] = m
			for i := 0; i < n; i++ {
				a[i*p+k] -= m
			}
		}
	}
	if w != nil {
		for i := 0; i < n; i++ {
			sw := math.Sqrt(w[i])
			for k := 0; k < p; k++ {
				a[i*p+k] *= sw
			}
		}
	}
	s.R = qrR(a, n, p)
	return s
}

// qrR returns the p×p upper-triangular R of the n×p row-major matrix a
// (overwritten) by Householder QR, rows with a negative diagonal flipped
// so that R is unique. With n < p the missing rows are zero.
func qrR(a []float64, n, p int) []float64 {
	r := make([]float64, p*p)
	if n == 0 {
		return r
	}
	g := blas64.General{Rows: n, Cols: p, Stride: p, Data: a}
	tau := make([]float64, min(n, p))
	work := make([]float64, 1)
	lapack64.Geqrf(g, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(g, tau, work, len(work))
	for i := 0; i < min(n, p); i++ {
		sign := 1.0
		if a[i*p+i] < 0 {
			sign = -1
		}
		for j := i; j < p; j++ {
			r[i*p+j] = sign * a[i*p+j]
		}
	}
	return r
}

// Merge returns the Stats of the union of the rows of a and b. Either
// may be empty (N = 0) or weigh nothing (W = 0).
func Merge(a, b Stats) Stats {
	if a.Err != "" || b.Err != "" {
		if errWins(b.Err, b.Source, a.Err, a.Source) {
			return b
		}
		return a
	}
	if b.Source < a.Source && b.N > 0 || a.N == 0 && a.Names == nil {
		a, b = b, a // a is the first file: messages and the merge order follow the names
	}
	if b.N == 0 && b.Names == nil {
		return a
	}
	if !equalNames(a.Names, b.Names) || a.Centred != b.Centred {
		return Stats{Source: a.Source, Input: true, Err: fmt.Sprintf(
			"%s has columns %s but %s has %s: every file must have the same columns, in the same order",
			a.Source, listNames(a.Names), b.Source, listNames(b.Names))}
	}
	rows, pos := a.N+b.N, a.NPos+b.NPos
	if a.W == 0 {
		a, b = b, a
	}
	if b.W == 0 {
		a.N, a.NPos = rows, pos
		return a
	}
	p := a.P()
	wsum := a.W + b.W
	out := Stats{Source: a.Source, Names: a.Names, N: rows, NPos: pos, W: wsum, Centred: a.Centred, Mean: make([]float64, p)}
	k := 2 * p
	if a.Centred {
		k++
	}
	st := make([]float64, k*p)
	copy(st, a.R)
	copy(st[p*p:], b.R)
	if a.Centred {
		fb := b.W / wsum
		w := math.Sqrt(a.W * fb) // √(W_a·W_b/W)
		for k := 0; k < p; k++ {
			delta := b.Mean[k] - a.Mean[k]
			out.Mean[k] = a.Mean[k] + delta*fb
			st[2*p*p+k] = w * delta
		}
	}
	out.R = qrR(st, k, p)
	return out
}

func equalNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// listNames lists column names for a message: "x1, x2, y" (3 columns).
func listNames(names []string) string {
	if len(names) > 12 {
		return fmt.Sprintf("%s, … %s (%d columns)", strings.Join(names[:8], ", "), strings.Join(names[len(names)-2:], ", "), len(names))
	}
	return fmt.Sprintf("%s (%d columns)", strings.Join(names, ", "), len(names))
}

// errWins reports whether error e (from source src) is the one a merge
// keeps over error other (from otherSrc): any error over none, then the
// first source in name order, then the first message, so that a bad
// shard is reported the same way whatever order the bundles merge in.
func errWins(e, src, other, otherSrc string) bool {
	switch {
	case e == "":
		return false
	case other == "":
		return true
	}
	return src < otherSrc || (src == otherSrc && e < other)
}
