package cpu

import (
	"fmt"
	"math"

	"github.com/lsgd/lsgd"
)

// Reference is the float64 reference backend: plain loops, one goroutine,
// no blocking. It is slow and obviously right.
type Reference struct{}

var _ lsgd.Backend = Reference{}

// NewReference returns the float64 reference backend.
func NewReference() Reference { return Reference{} }

func (Reference) Name() string              { return "cpu" }
func (Reference) Device() string            { return "CPU float64 reference (1 thread)" }
func (Reference) Precision() lsgd.Precision { return lsgd.F64 }
func (Reference) Close() error              { return nil }
func (Reference) Caps() lsgd.Caps           { return hostCaps }

// Load copies t into float64 (or keeps t's storage when inPlace and t is
// float64).
func (Reference) Load(t *lsgd.Table, inPlace bool) (lsgd.Data, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	if !inPlace || t.F64 == nil {
		t = t.Clone(lsgd.F64)
	}
	return &refData{hostState: newHostState(t.Rows, t.Cols, t.Target), t: t}, nil
}

type refData struct {
	hostState
	t *lsgd.Table
}

func (d *refData) Rows() int { return d.t.Rows }
func (d *refData) Cols() int { return d.t.Cols }

// ReferenceValue returns the value of row i, column j as a table loaded on
// the reference backend (NewReference) stores it now (standardized, once
// Standardize ran), in float64. It panics when d is not from NewReference.
func ReferenceValue(d lsgd.Data, i, j int) float64 {
	r := d.(*refData)
	return r.t.F64[i*r.t.Stride+j]
}

func (d *refData) row(i int) []float64 {
	return d.t.F64[i*d.t.Stride : i*d.t.Stride+d.t.Cols]
}

// weight returns row i's weight w_i (1 for an unweighted table).
func (d *refData) weight(i int) float64 {
	if d.t.Weights == nil {
		return 1
	}
	return d.t.Weights[i]
}

// Moments returns the weighted mean Σw_i·x_ij/Σw_i and the weighted RMS
// √(Σw_i·(x_ij − mean_j)²/Σw_i) (every w_i = 1 for an unweighted table).
func (d *refData) Moments(center bool) (mean, scale []float64, err error) {
	c := d.t.Cols
	mean, scale = make([]float64, c), make([]float64, c)
	n := 0.0
	for i := 0; i < d.t.Rows; i++ {
		n += d.weight(i)
	}
	if center {
		for i := 0; i < d.t.Rows; i++ {
			w := d.weight(i)
			for j, v := range d.row(i) {
				mean[j] += w * v
			}
		}
		for j := range mean {
			mean[j] /= n
		}
	}
	for i := 0; i < d.t.Rows; i++ {
		w := d.weight(i)
		for j, v := range d.row(i) {
			e := v - mean[j]
			scale[j] += w * e * e
		}
	}
	for j := range scale {
		scale[j] = math.Sqrt(scale[j] / n)
	}
	if !center {
		clear(mean)
	}
	return mean, scale, nil
}

func (d *refData) Standardize(shift, mul []float64) error {
	for i := 0; i < d.t.Rows; i++ {
		r := d.row(i)
		for j := range r {
			r[j] = (r[j] - shift[j]) * mul[j]
		}
	}
	return nil
}

func (d *refData) Gradient(at lsgd.Slot, rows lsgd.Rows) error {
	if err := checkRows(rows, d.t.Rows, d.order); err != nil {
		return err
	}
	if d.family == lsgd.Binomial {
		d.gradientBinomial(at, rows)
		return nil
	}
	v := d.st.Slot(at)
	c := d.t.Cols
	g := d.st.Grad
	clear(g)
	loss := 0.0
	for k := rows.Lo; k < rows.Hi; k++ {
		i := k
		if rows.Shuffled {
			i = int(d.order[k])
		}
		x := d.row(i)
		r := v[c]
		for j, xj := range x {
			r += xj * v[j]
		}
		wr := d.weight(i) * r
		for j, xj := range x {
			g[j] += wr * xj
		}
		g[c] += wr
		loss += wr * r
	}
	m := float64(rows.Len())
	gn := 0.0
	for j := range g {
		g[j] = d.st.Mask[j]*(2/m)*g[j] + 2*d.ridge[j]*v[j]
		gn += g[j] * g[j]
	}
	loss /= m
	for j := range v {
		loss += d.ridge[j] * v[j] * v[j]
	}
	d.stat.Loss, d.stat.GradNorm2 = loss, gn
	d.stat.LossSum += loss
	d.stat.Count++
	return nil
}

// Predict implements lsgd.Data.Predict.
func (d *refData) Predict(at lsgd.Slot, dst []float64) error {
	if len(dst) != d.t.Rows {
		return fmt.Errorf("cpu: predict wants %d outputs, got %d", d.t.Rows, len(dst))
	}
	v := d.st.Slot(at)
	c := d.t.Cols
	for i := range dst {
		s := v[c]
		for j, x := range d.row(i) {
			if j != d.t.Target {
				s += x * v[j]
			}
		}
		dst[i] = s
	}
	return nil
}

func (d *refData) Release() error { d.t = nil; return nil }
