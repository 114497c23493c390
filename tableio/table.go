package tableio

import (
	"fmt"
	"math"
	"strings"
)

// Precision is the floating-point type a backend stores the data in and
// accumulates with.
type Precision int

const (
	// F64 stores and accumulates in float64 (the CPU default).
	F64 Precision = iota
	// F32 stores the data in float32 (the GPU default).
	F32
)

// String returns "f64" or "f32".
func (p Precision) String() string {
	if p == F32 {
		return "f32"
	}
	return "f64"
}

// Size returns the size of one value in bytes: 8 for F64, 4 for F32.
func (p Precision) Size() int {
	if p == F32 {
		return 4
	}
	return 8
}

// UnitRoundoff returns the unit round-off u of p: 2⁻⁵³ for F64, 2⁻²⁴ for F32.
func (p Precision) UnitRoundoff() float64 {
	if p == F32 {
		return 0x1p-24
	}
	return 0x1p-53
}

// ParsePrecision parses "f64", "float64", "f32" or "float32".
func ParsePrecision(s string) (Precision, error) {
	switch strings.ToLower(s) {
	case "f64", "float64", "double":
		return F64, nil
	case "f32", "float32", "float", "single":
		return F32, nil
	}
	return F64, fmt.Errorf("lsgd: unknown precision %q (want f64 or f32)", s)
}

// Table is a row-major numeric table holding the features and the target
// side by side, as read from a file: row i, column j is at index
// i*Stride+j of F64 (or F32). Exactly one of F64 and F32 is non-nil.
//
// The target column stays inside the table: a backend computes the residual
// of row i as the dot product of the whole row with a coefficient vector
// whose entry at Target is fixed to −1, plus the intercept. This keeps a
// 10M-row .npy file usable without copying the features out of it.
type Table struct {
	Source string   // where the table came from (a file name), for messages
	Names  []string // column names, len Cols
	Target int      // index of the target column; −1 in a table read without one (ReadOptions.NoTarget)
	Rows   int
	Cols   int // number of columns, the target included
	Stride int // distance between rows in elements, ≥ Cols
	F64    []float64
	F32    []float32
	// Line0 is the line of the file row 0 was read from (CSV), so that
	// later checks can name a value's line; 0 when rows are not lines.
	Line0 int
	// Weights holds a weight w_i ≥ 0 for every row (len Rows), or nil for
	// an unweighted table (every w_i = 1). The weights are not a column:
	// a reader given a weight column takes it out of the table and names
	// it in WeightName. Every kernel weights row i's terms by w_i (see
	// lsgd.Data); a fit's loss is Σ w_i·ℓ_i / Σ w_i.
	Weights []float64
	// WeightName is the name of the column the weights were read from
	// ("" when the weights did not come from a column), and WeightAt its
	// position among the columns read, before it was taken out.
	WeightName string
	WeightAt   int
	// Map, when non-nil, is the read-only file mapping F64 or F32 points
	// into (MapNPY): the values must not be written, and each pass over
	// them reads the file.
	Map *Mapping
}

// NewTable returns a zeroed rows×cols table of precision p whose target is
// the last column and whose columns are named x1…x(cols−1), y.
func NewTable(rows, cols int, p Precision) *Table {
	t := &Table{Rows: rows, Cols: cols, Stride: cols, Target: cols - 1}
	if p == F32 {
		t.F32 = make([]float32, rows*cols)
	} else {
		t.F64 = make([]float64, rows*cols)
	}
	t.Names = DefaultNames(cols, cols-1)
	return t
}

// DefaultNames names cols columns x1, x2, … with the column at target
// named y.
func DefaultNames(cols, target int) []string {
	names := make([]string, cols)
	k := 1
	for j := range names {
		if j == target {
			names[j] = "y"
			continue
		}
		names[j] = fmt.Sprintf("x%d", k)
		k++
	}
	return names
}

// FromRows builds a float64 table from a matrix of features and a target
// vector; the target becomes the last column.
func FromRows(x [][]float64, y []float64) *Table {
	d := 0
	if len(x) > 0 {
		d = len(x[0])
	}
	t := NewTable(len(x), d+1, F64)
	for i, row := range x {
		if len(row) != d {
			panic("lsgd: FromRows: ragged rows")
		}
		copy(t.F64[i*t.Stride:], row)
		t.F64[i*t.Stride+d] = y[i]
	}
	return t
}

// Precision reports whether the table holds float64 or float32 values.
func (t *Table) Precision() Precision {
	if t.F32 != nil {
		return F32
	}
	return F64
}

// At returns row i, column j as a float64.
func (t *Table) At(i, j int) float64 {
	if t.F32 != nil {
		return float64(t.F32[i*t.Stride+j])
	}
	return t.F64[i*t.Stride+j]
}

// Set sets row i, column j (rounding to float32 when the table is F32).
func (t *Table) Set(i, j int, v float64) {
	if t.F32 != nil {
		t.F32[i*t.Stride+j] = float32(v)
		return
	}
	t.F64[i*t.Stride+j] = v
}

// Features returns the indices of the feature columns (every column but
// the target), in order.
func (t *Table) Features() []int {
	f := make([]int, 0, t.Cols-1)
	for j := 0; j < t.Cols; j++ {
		if j != t.Target {
			f = append(f, j)
		}
	}
	return f
}

// FeatureNames returns the names of the feature columns, in order.
func (t *Table) FeatureNames() []string {
	var names []string
	for _, j := range t.Features() {
		names = append(names, t.Name(j))
	}
	return names
}

// Name returns the name of column j, or "column j+1" when it has none.
func (t *Table) Name(j int) string {
	if j < len(t.Names) && t.Names[j] != "" {
		return t.Names[j]
	}
	return fmt.Sprintf("column %d", j+1)
}

// Bytes returns the size of the table's values in bytes (rows × cols ×
// element size), the amount one pass over the data reads.
func (t *Table) Bytes() int64 {
	sz := int64(8)
	if t.F32 != nil {
		sz = 4
	}
	return int64(t.Rows) * int64(t.Cols) * sz
}

// Clone returns a deep copy of t in precision p (float64 values are
// rounded to nearest when p is F32). The copy is packed: Stride == Cols.
func (t *Table) Clone(p Precision) *Table {
	c := &Table{Source: t.Source, Names: append([]string(nil), t.Names...), Target: t.Target,
		Rows: t.Rows, Cols: t.Cols, Stride: t.Cols, Line0: t.Line0,
		Weights: append([]float64(nil), t.Weights...), WeightName: t.WeightName, WeightAt: t.WeightAt}
	if t.Weights == nil {
		c.Weights = nil
	}
	n := t.Rows * t.Cols
	if p == F32 {
		c.F32 = make([]float32, n)
	} else {
		c.F64 = make([]float64, n)
	}
	for i := 0; i < t.Rows; i++ {
		src, dst := i*t.Stride, i*c.Stride
		switch {
		case p == F32 && t.F32 != nil:
			copy(c.F32[dst:dst+t.Cols], t.F32[src:src+t.Cols])
		case p == F32:
			for j := 0; j < t.Cols; j++ {
				c.F32[dst+j] = float32(t.F64[src+j])
			}
		case t.F64 != nil:
			copy(c.F64[dst:dst+t.Cols], t.F64[src:src+t.Cols])
		default:
			for j := 0; j < t.Cols; j++ {
				c.F64[dst+j] = float64(t.F32[src+j])
			}
		}
	}
	return c
}

// Column returns a copy of column j as float64.
func (t *Table) Column(j int) []float64 {
	c := make([]float64, t.Rows)
	for i := range c {
		c[i] = t.At(i, j)
	}
	return c
}

// Check validates the table's shape: at least one row, at least one
// feature, a target inside the table, storage large enough for the
// stride. It returns an error naming t.Source.
func (t *Table) Check() error {
	src := t.Source
	if src == "" {
		src = "table"
	}
	switch {
	case t.Rows <= 0:
		return fmt.Errorf("%s: no data rows", src)
	case t.Cols < 2:
		return fmt.Errorf("%s: need at least one feature column and a target column, have %d column(s)", src, t.Cols)
	case t.Target < 0 || t.Target >= t.Cols:
		return fmt.Errorf("%s: target column %d is outside the table's %d columns", src, t.Target+1, t.Cols)
	case t.Stride < t.Cols:
		return fmt.Errorf("%s: stride %d is smaller than the %d columns", src, t.Stride, t.Cols)
	case (t.F64 == nil) == (t.F32 == nil):
		return fmt.Errorf("%s: table must hold exactly one of float64 or float32 values", src)
	}
	need := (t.Rows-1)*t.Stride + t.Cols
	if (t.F64 != nil && len(t.F64) < need) || (t.F32 != nil && len(t.F32) < need) {
		return fmt.Errorf("%s: storage holds fewer values than %d rows × %d columns", src, t.Rows, t.Cols)
	}
	return t.CheckWeights()
}

// CheckFloat32 returns an input error naming the first value (row and
// column, 1-based) that overflows float32, for a float64 table about to be
// stored in float32. Float32 tables always pass.
func (t *Table) CheckFloat32() error {
	if t.F64 == nil {
		return nil
	}
	for i := 0; i < t.Rows; i++ {
		row := t.F64[i*t.Stride : i*t.Stride+t.Cols]
		for j, v := range row {
			if math.Abs(v) > math.MaxFloat32 {
				return Float32Overflow(t.Where(i), t.Name(j), j, v)
			}
		}
	}
	return nil
}

// Where names row i (0-based) for a message: "file:line" when the rows
// came from lines of a file, else "file: row i+1".
func (t *Table) Where(i int) string {
	if t.Line0 > 0 {
		return fmt.Sprintf("%s:%d", t.Label(), t.Line0+i)
	}
	return fmt.Sprintf("%s: row %d", t.Label(), i+1)
}

// Label names the table in messages: its Source, or "data" when it has none.
func (t *Table) Label() string {
	if t.Source == "" {
		return "data"
	}
	return t.Source
}
