package main

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"

	"github.com/lsgd/lsgd/tableio"
)

// Stats are the mergeable sufficient statistics of least squares over a
// set of rows of [X y] (the feature columns, then the target): the row
// count N, the column means (when Centred) and the p×p upper-triangular
// factor R of the rows minus those means, so that RᵀR = Σ (r − m)(r − m)ᵀ.
// Without centring Mean stays zero and RᵀR = Σ r·rᵀ.
//
// Merge combines two Stats without seeing the rows again: the means by
// Chan's parallel formula, R by a Householder QR of [R_a; R_b;
// √(n_a·n_b/n)·(m_a − m_b)], the last row being the correction that moves
// both halves to the common mean (Chan, Golub and LeVeque's update, in
// factored form). Each R is the TSQR factor of its rows, so the merged R
// has the backward error of one QR of all of them.
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
// then the target, as table column indices) named names. Rows are
// factorized in chunks of chunkRows and merged.
func TableStats(t *tableio.Table, cols []int, names []string, centred bool) Stats {
	acc := Stats{Source: t.Source, Names: names, Centred: centred}
	p := len(cols)
	buf := make([]float64, chunkRows*p)
	for lo := 0; lo < t.Rows; lo += chunkRows {
		hi := min(lo+chunkRows, t.Rows)
		n := hi - lo
		a := buf[:n*p]
		for i := 0; i < n; i++ {
			for k, j := range cols {
				a[i*p+k] = t.At(lo+i, j)
			}
		}
		acc = Merge(acc, blockStats(t.Source, names, a, n, p, centred))
	}
	return acc
}

// blockStats returns the Stats of the n×p row-major block a (overwritten).
func blockStats(src string, names []string, a []float64, n, p int, centred bool) Stats {
	s := Stats{Source: src, Names: names, N: int64(n), Centred: centred, Mean: make([]float64, p)}
	if centred {
		for k := 0; k < p; k++ {
			m := 0.0
			for i := 0; i < n; i++ {
				m += a[i*p+k]
			}
			m /= float64(n)
			c := 0.0 // a second pass corrects the mean's rounding
			for i := 0; i < n; i++ {
				c += a[i*p+k] - m
			}
			m += c / float64(n)
			s.Mean[k] = m
			for i := 0; i < n; i++ {
				a[i*p+k] -= m
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
// may be empty (N = 0).
func Merge(a, b Stats) Stats {
	if a.Err != "" || b.Err != "" {
		switch {
		case a.Err == "":
			return b
		case b.Err == "":
			return a
		case b.Source < a.Source || (b.Source == a.Source && b.Err < a.Err):
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
	if a.N == 0 {
		a, b = b, a
		if b.N == 0 {
			return a
		}
	}
	if b.N == 0 {
		return a
	}
	p := a.P()
	n := a.N + b.N
	out := Stats{Source: a.Source, Names: a.Names, N: n, Centred: a.Centred, Mean: make([]float64, p)}
	rows := 2 * p
	if a.Centred {
		rows++
	}
	st := make([]float64, rows*p)
	copy(st, a.R)
	copy(st[p*p:], b.R)
	if a.Centred {
		fb := float64(b.N) / float64(n)
		w := math.Sqrt(float64(a.N) * fb) // √(n_a·n_b/n)
		for k := 0; k < p; k++ {
			delta := b.Mean[k] - a.Mean[k]
			out.Mean[k] = a.Mean[k] + delta*fb
			st[2*p*p+k] = w * delta
		}
	}
	out.R = qrR(st, rows, p)
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
