package tableio

import (
	"fmt"
	"io"
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// ParquetRowGroupRows is the number of rows WriteParquet puts in one row
// group (the last may hold fewer).
const ParquetRowGroupRows = 1 << 20

// WriteParquet writes t as a Parquet file: one required, uncompressed
// column per table column, DOUBLE for an F64 table and FLOAT for an F32
// one, named by t.Names in table order, rowsPerGroup rows per row group
// (≤ 0: ParquetRowGroupRows). Like WriteNPY it refuses NaN and infinite
// values, which ReadParquet would reject.
func WriteParquet(w io.Writer, t *Table, rowsPerGroup int) error {
	if err := t.Check(); err != nil {
		return err
	}
	if i, j, bad := ioFirstNonFinite(t); bad {
		return fmt.Errorf("lsgd: WriteParquet: row %d, %s holds %v, which lsgd refuses to write", i+1, ioColumn(t.Names, j), t.At(i, j))
	}
	if rowsPerGroup <= 0 {
		rowsPerGroup = ParquetRowGroupRows
	}
	typ := parquet.DoubleType
	if t.F32 != nil {
		typ = parquet.FloatType
	}
	seen := map[string]bool{}
	g := make(pqOrderedGroup, t.Cols)
	for j := range g {
		name := t.Name(j)
		if seen[name] {
			return fmt.Errorf("lsgd: WriteParquet: two columns are named %q", name)
		}
		seen[name] = true
		g[j] = pqField{Node: parquet.Leaf(typ), name: name}
	}
	schema := parquet.NewSchema("lsgd", g)
	pw := parquet.NewWriter(w, schema, parquet.PageBufferSize(1<<20))
	buf := parquet.NewBuffer(schema)
	col64 := make([]float64, 0, min(rowsPerGroup, t.Rows))
	col32 := make([]float32, 0, min(rowsPerGroup, t.Rows))
	for lo := 0; lo < t.Rows; lo += rowsPerGroup {
		hi := min(lo+rowsPerGroup, t.Rows)
		buf.Reset()
		for j, cb := range buf.ColumnBuffers() {
			var err error
			if t.F32 != nil {
				col32 = col32[:0]
				for i := lo; i < hi; i++ {
					col32 = append(col32, t.F32[i*t.Stride+j])
				}
				_, err = cb.(parquet.FloatWriter).WriteFloats(col32)
			} else {
				col64 = col64[:0]
				for i := lo; i < hi; i++ {
					col64 = append(col64, t.F64[i*t.Stride+j])
				}
				_, err = cb.(parquet.DoubleWriter).WriteDoubles(col64)
			}
			if err != nil {
				return err
			}
		}
		if _, err := pw.WriteRowGroup(buf); err != nil {
			return err
		}
	}
	return pw.Close()
}

// pqOrderedGroup is a Parquet group node whose fields keep their order
// (parquet.Group, a map, sorts them by name).
type pqOrderedGroup []pqField

type pqField struct {
	parquet.Node
	name string
}

func (f pqField) Name() string                      { return f.name }
func (f pqField) Value(reflect.Value) reflect.Value { return reflect.Value{} }

func (g pqOrderedGroup) ID() int                     { return 0 }
func (g pqOrderedGroup) String() string              { return "lsgd table" }
func (g pqOrderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g pqOrderedGroup) Optional() bool              { return false }
func (g pqOrderedGroup) Repeated() bool              { return false }
func (g pqOrderedGroup) Required() bool              { return true }
func (g pqOrderedGroup) Leaf() bool                  { return false }
func (g pqOrderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }
func (g pqOrderedGroup) Encoding() encoding.Encoding { return nil }
func (g pqOrderedGroup) Compression() compress.Codec { return nil }
func (g pqOrderedGroup) Fields() []parquet.Field {
	f := make([]parquet.Field, len(g))
	for j := range g {
		f[j] = g[j]
	}
	return f
}
