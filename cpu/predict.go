package cpu

import (
	"fmt"

	"github.com/lsgd/lsgd"
)

var (
	_ lsgd.Data = (*refData)(nil)
	_ lsgd.Data = (*fastData)(nil)
)

// Predict implements lsgd.Data.Predict: x_i·v + v_intercept over the feature
// columns, in float64, rows split across the workers.
func (d *fastData) Predict(at lsgd.Slot, dst []float64) error {
	t := d.t
	if len(dst) != t.Rows {
		return fmt.Errorf("cpu: predict wants %d outputs, got %d", t.Rows, len(dst))
	}
	v := d.st.Slot(at)
	c, tg := t.Cols, t.Target
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	d.parallel(nchunks, func(_ *worker, k int) {
		for i := k * ChunkRows; i < min((k+1)*ChunkRows, t.Rows); i++ {
			s := v[c]
			for j := 0; j < c; j++ {
				if j != tg {
					s += t.At(i, j) * v[j]
				}
			}
			dst[i] = s
		}
	})
	return nil
}
