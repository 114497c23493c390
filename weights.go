package lsgd

// Row weights (Table.Weights): a fit minimizes Σ w_i·ℓ_i / Σ w_i. The
// backends weight every row's terms by w_i and divide by the row count
// (see Backend), so a fit hands them weights scaled to mean 1.

// unitWeights returns t with its weights scaled to mean 1: a shallow copy
// that shares t's values (so in-place fits still work in place), or t
// itself when it is unweighted.
func unitWeights(t *Table) *Table {
	if t.Weights == nil {
		return t
	}
	sum := 0.0
	for _, w := range t.Weights {
		sum += w
	}
	s := float64(t.Rows) / sum
	c := *t
	c.Weights = make([]float64, t.Rows)
	for i, w := range t.Weights {
		c.Weights[i] = w * s
	}
	return &c
}

// positiveRows is the number of rows with a positive weight: the rows
// that count (every row of an unweighted table).
func positiveRows(t *Table) int {
	if t.Weights == nil {
		return t.Rows
	}
	n := 0
	for _, w := range t.Weights {
		if w > 0 {
			n++
		}
	}
	return n
}
