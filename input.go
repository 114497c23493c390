package lsgd

import (
	"gonum.org/v1/gonum/mat"

	"github.com/lsgd/lsgd/tableio"
)

// FromRows returns a float64 table of the features x (one slice per row,
// all of one length) with the target y as its last column, named x1…xd and
// y. It panics when the rows are ragged or len(y) != len(x).
func FromRows(x [][]float64, y []float64) *Table {
	if len(y) != len(x) {
		panic("lsgd: FromRows: len(y) != len(x)")
	}
	return tableio.FromRows(x, y)
}

// FromDense returns a float64 table of the n×d matrix x (a gonum *mat.Dense
// or any mat.Matrix) with the target y as its last column, named x1…xd and
// y. It panics when len(y) != n.
func FromDense(x mat.Matrix, y []float64) *Table {
	n, d := x.Dims()
	if len(y) != n {
		panic("lsgd: FromDense: len(y) != rows of x")
	}
	t := tableio.NewTable(n, d+1, F64)
	for i := range n {
		row := t.F64[i*t.Stride : i*t.Stride+d+1]
		for j := range d {
			row[j] = x.At(i, j)
		}
		row[d] = y[i]
	}
	return t
}
