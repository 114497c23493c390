package cpu

import "github.com/lsgd/lsgd"

// Gram returns G = Σ_i w_i·x̃_i x̃_iᵀ over the selected rows, where x̃_i is
// row i of the table as currently stored (after any Standardize) with a 1
// appended for the intercept and w_i its weight (1 for an unweighted
// table): a p×p symmetric matrix, p = Cols()+1, row-major. Its last row
// holds the weighted column sums and Σw_i (the row count when unweighted);
// the target column's row and column hold XᵀWy and yᵀWy.
//
// The reference sums the rows in order in plain float64 loops, the upper
// triangle only, and mirrors it.
func (d *refData) Gram(rows lsgd.Rows) ([]float64, error) {
	if err := checkRows(rows, d.t.Rows, d.order); err != nil {
		return nil, err
	}
	c := d.t.Cols
	p := c + 1
	g := make([]float64, p*p)
	xt := make([]float64, p)
	xt[c] = 1
	for k := rows.Lo; k < rows.Hi; k++ {
		i := k
		if rows.Shuffled {
			i = int(d.order[k])
		}
		copy(xt, d.row(i))
		w := d.weight(i)
		for j := 0; j < p; j++ {
			gj := g[j*p : (j+1)*p]
			xj := w * xt[j]
			for l := j; l < p; l++ {
				gj[l] += xj * xt[l]
			}
		}
	}
	mirrorUpper(g, p)
	return g, nil
}

// mirrorUpper copies the upper triangle of the p×p row-major matrix g into
// its lower triangle.
func mirrorUpper(g []float64, p int) {
	for j := 0; j < p; j++ {
		for l := j + 1; l < p; l++ {
			g[l*p+j] = g[j*p+l]
		}
	}
}
