package main

import (
	"fmt"
	"math"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// npyColumns returns, for each of the model's features, the column of an
// .npy table holding it. The file holds either the features alone, in the
// model's order, or every column of the training data, the target at the
// position the model recorded (not necessarily last), which is skipped.
func npyColumns(path string, t *lsgd.Table, m *lsgd.Model) ([]int, error) {
	nf := len(m.Features)
	cols := make([]int, 0, nf)
	switch {
	case t.Cols == nf:
		for k := 0; k < nf; k++ {
			cols = append(cols, k)
		}
	case t.Cols == nf+1 && m.TargetColumn == nil:
		return nil, &inputError{fmt.Errorf("%s: %d columns: the model file does not record where its target column was (it predates column positions), so an .npy file for it must hold the %d features only; or train the model again",
			path, t.Cols, nf)}
	case t.Cols == nf+1 && m.TargetColumn != nil:
		for j := 0; j < t.Cols; j++ {
			if j != *m.TargetColumn {
				cols = append(cols, j)
			}
		}
	case t.Cols == nf+2 && m.TargetColumn != nil && m.WeightColumn != nil:
		for j := 0; j < t.Cols; j++ {
			if j != *m.TargetColumn && j != *m.WeightColumn {
				cols = append(cols, j)
			}
		}
	default:
		want := fmt.Sprintf("%d (the features) or %d (the features and the target, as in training)", nf, nf+1)
		if m.WeightColumn != nil {
			want = fmt.Sprintf("%d (the features), %d (and the target) or %d (and the weights %q, as in training)", nf, nf+1, nf+2, tableio.Clip(m.Weights))
		}
		return nil, &inputError{fmt.Errorf("%s: %d columns, but the model wants %s", path, t.Cols, want)}
	}
	return cols, nil
}

// checkPredictions refuses a prediction that is not finite (a product or
// sum beyond float64), naming its row, instead of printing Inf or NaN.
func checkPredictions(t *lsgd.Table, pred []float64) error {
	for i, v := range pred {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &inputError{fmt.Errorf("%s: the prediction is not finite (%g): intercept + x·coef is beyond the float64 range for this row's values", t.Where(i), v)}
		}
	}
	return nil
}
