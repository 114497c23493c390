package lsgd

import (
	"github.com/lsgd/lsgd/internal/par"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// tsqr is a tall-skinny QR factorization A = Q·R of an n×q matrix (n ≥ q),
// computed in row blocks that fit in cache, in parallel: each block is
// factorized in place by Householder QR, the blocks' q×q R factors are
// stacked and factorized once more. Q is kept implicitly (the blocks'
// Householder vectors) so Qᵀ can be applied to any vector, which the
// iterative refinement of Solve needs. Its backward error is that of
// Householder QR.
type tsqr struct {
	a      blas64.General // the factorized blocks, in place
	q      int
	blocks [][2]int // row ranges [lo, hi), each at least q rows
	taus   [][]float64
	top    blas64.General // the stacked R factors, factorized
	topTau []float64
}

// tsqrBlockRows is the rows of one block: 16384 rows of 33 float64 values
// are 4 MiB, resident in the last-level cache while they are factorized.
const tsqrBlockRows = 16384

// newTSQR factorizes a (overwriting it) with GOMAXPROCS goroutines.
func newTSQR(a blas64.General) *tsqr {
	n, q := a.Rows, a.Cols
	f := &tsqr{a: a, q: q}
	bs := max(tsqrBlockRows, 4*q)
	for lo := 0; lo < n; lo += bs {
		hi := min(lo+bs, n)
		if n-hi < q { // the remainder joins this block
			hi = n
		}
		f.blocks = append(f.blocks, [2]int{lo, hi})
		if hi == n {
			break
		}
	}
	f.taus = make([][]float64, len(f.blocks))
	f.top = blas64.General{Rows: len(f.blocks) * q, Cols: q, Stride: q, Data: make([]float64, len(f.blocks)*q*q)}
	par.For(len(f.blocks), 0, func(_, k int) {
		b := f.block(k)
		tau := make([]float64, q)
		work := make([]float64, 1)
		lapack64.Geqrf(b, tau, work, -1)
		work = make([]float64, int(work[0]))
		lapack64.Geqrf(b, tau, work, len(work))
		f.taus[k] = tau
		for i := 0; i < q; i++ { // R_k (upper triangle) into the stack
			for j := i; j < q; j++ {
				f.top.Data[(k*q+i)*q+j] = b.Data[i*b.Stride+j]
			}
		}
	})
	f.topTau = make([]float64, q)
	work := make([]float64, 1)
	lapack64.Geqrf(f.top, f.topTau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(f.top, f.topTau, work, len(work))
	return f
}

func (f *tsqr) block(k int) blas64.General {
	lo, hi := f.blocks[k][0], f.blocks[k][1]
	return blas64.General{Rows: hi - lo, Cols: f.q, Stride: f.a.Stride, Data: f.a.Data[lo*f.a.Stride:]}
}

// R returns the q×q upper-triangular factor (row-major, lower part zero).
func (f *tsqr) R() []float64 {
	q := f.q
	r := make([]float64, q*q)
	for i := 0; i < q; i++ {
		for j := i; j < q; j++ {
			r[i*q+j] = f.top.Data[i*q+j]
		}
	}
	return r
}

// QTv returns the first q entries of Qᵀv (len(v) = n).
func (f *tsqr) QTv(v []float64) []float64 {
	q := f.q
	stack := make([]float64, len(f.blocks)*q)
	par.For(len(f.blocks), 0, func(_, k int) {
		lo, hi := f.blocks[k][0], f.blocks[k][1]
		c := blas64.General{Rows: hi - lo, Cols: 1, Stride: 1, Data: append([]float64(nil), v[lo:hi]...)}
		work := make([]float64, 1)
		lapack64.Ormqr(blas.Left, blas.Trans, f.block(k), f.taus[k], c, work, -1)
		work = make([]float64, int(work[0]))
		lapack64.Ormqr(blas.Left, blas.Trans, f.block(k), f.taus[k], c, work, len(work))
		copy(stack[k*q:(k+1)*q], c.Data[:q])
	})
	c := blas64.General{Rows: len(stack), Cols: 1, Stride: 1, Data: stack}
	work := make([]float64, 1)
	lapack64.Ormqr(blas.Left, blas.Trans, f.top, f.topTau, c, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Ormqr(blas.Left, blas.Trans, f.top, f.topTau, c, work, len(work))
	return stack[:q]
}

// solveR solves R·x = b in place (back substitution; R nonsingular).
func (f *tsqr) solveR(b []float64) {
	q := f.q
	lapack64.Trtrs(blas.NoTrans, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: q, Stride: q, Data: f.top.Data},
		blas64.General{Rows: q, Cols: 1, Stride: 1, Data: b})
}
