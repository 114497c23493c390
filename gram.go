package lsgd

import (
	"math"
	"sort"

	"github.com/lsgd/lsgd/internal/par"
	"gonum.org/v1/gonum/mat"
)

// Curvature is what Fit knows about the Hessian H = (2/n)·X̃ᵀX̃ + 2·diag(ridge)
// of the standardized problem over the free coefficients, estimated in
// float64 from the Gram matrix of a sample of rows (all rows when there
// are few).
type Curvature struct {
	SampleRows int       // rows in the sample (== n when exact)
	Exact      bool      // the sample was every row
	Max        float64   // largest eigenvalue of the sample Hessian
	Min        float64   // smallest eigenvalue above the rank threshold
	Cond       float64   // Max/Min
	Top        []float64 // unit eigenvector of Max, in table space (len p)
	Collinear  [][]int   // groups of table-space indices spanning near-null directions
}

// sampleSize is the number of rows whose Gram matrix estimates the
// curvature: every row up to 65536, fewer as p grows so the cost stays
// near 2²⁸ multiply-adds, but never below 16·p.
func sampleSize(n, p int) int {
	s := min(65536, (1<<28)/(p*p))
	s = max(s, 16*p)
	return min(n, s)
}

// estimateCurvature forms the Hessian of the standardized problem over the
// free coordinates (mask 1) from evenly spaced sample rows of the raw table
// t, standardized on the fly with shift/mul, and returns its spectrum.
func estimateCurvature(t *Table, shift, mul, mask, ridge []float64) Curvature {
	n, c := t.Rows, t.Cols
	p := c + 1
	free := make([]int, 0, p)
	for j := 0; j < p; j++ {
		if mask[j] != 0 {
			free = append(free, j)
		}
	}
	q := len(free)
	s := sampleSize(n, p)
	// The sample rows in blocks, each block's upper triangle of Σ zzᵀ on
	// its own, the blocks added in order: the same bits on any number of
	// cores.
	const block = 2048
	nb := (s + block - 1) / block
	parts := make([][]float64, nb)
	par.For(nb, 0, func(_, b int) {
		G := make([]float64, q*q)
		row := make([]float64, p)
		z := make([]float64, q)
		for k := b * block; k < min((b+1)*block, s); k++ {
			i := k
			if s < n {
				i = int(int64(k) * int64(n) / int64(s))
			}
			for j := 0; j < c; j++ {
				row[j] = (t.At(i, j) - shift[j]) * mul[j]
			}
			row[c] = 1
			for a, j := range free {
				z[a] = row[j]
			}
			for a := 0; a < q; a++ {
				za := z[a]
				if za == 0 {
					continue
				}
				ga := G[a*q : a*q+q]
				for b := a; b < q; b++ {
					ga[b] += za * z[b]
				}
			}
		}
		parts[b] = G
	})
	G := parts[0]
	for _, P := range parts[1:] {
		for i, v := range P {
			G[i] += v
		}
	}
	H := mat.NewSymDense(q, nil)
	for a := 0; a < q; a++ {
		for b := a; b < q; b++ {
			v := 2 * G[a*q+b] / float64(s)
			if a == b {
				v += 2 * ridge[free[a]]
			}
			H.SetSym(a, b, v)
		}
	}
	var eig mat.EigenSym
	cv := Curvature{SampleRows: s, Exact: s == n}
	if q == 0 || !eig.Factorize(H, true) {
		cv.Max, cv.Min, cv.Cond = 1, 1, 1
		cv.Top = make([]float64, p)
		return cv
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	cv.Max = vals[q-1]
	cv.Top = make([]float64, p)
	for a, j := range free {
		cv.Top[j] = vecs.At(a, q-1)
	}
	// Directions with eigenvalues below the threshold are numerically null:
	// the columns with weight in them are collinear.
	thresh := cv.Max * 1e-12 * float64(q)
	cv.Min = cv.Max
	for i, v := range vals {
		if v > thresh {
			cv.Min = v
			break
		}
		var group []int
		big := 0.0
		for a := 0; a < q; a++ {
			big = math.Max(big, math.Abs(vecs.At(a, i)))
		}
		for a := 0; a < q; a++ {
			if math.Abs(vecs.At(a, i)) >= 0.05*big {
				group = append(group, free[a])
			}
		}
		sort.Ints(group)
		cv.Collinear = append(cv.Collinear, group)
	}
	if cv.Min <= 0 {
		cv.Min = thresh
	}
	cv.Cond = cv.Max / cv.Min
	return cv
}
