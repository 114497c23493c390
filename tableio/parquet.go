package tableio

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// ReadParquet reads a table from an Apache Parquet file: the file's
// top-level columns, each of physical type DOUBLE, FLOAT, INT32 or INT64
// (unsigned integer annotations are honoured; integers are rounded to the
// nearest float64, or float32 with opt.Precision F32), required or
// optional. The columns are named by the schema; opt.Target and
// opt.Features select columns by name or 1-based index, and only the
// selected columns are read, so a file may hold other columns of any type.
//
// The row groups are read a column chunk at a time, several at once, and
// stored row-major in one table. Errors name the file and the column, and
// for a value its row group and row (1-based): a selected column of another
// type (string, boolean, decimal, nested or repeated), a null, NaN or an
// infinite value, and a corrupt or truncated file, which is an error, never
// a panic.
func ReadParquet(path string, opt ReadOptions) (*Table, error) {
	f, size, err := ioOpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parquetRead(f, size, path, opt)
}

// pqColumn is a column of the Parquet file that the table keeps.
type pqColumn struct {
	name     string
	index    int // index of the column among the file's top-level columns
	leaf     int // index of the leaf column in the file's column chunks
	kind     parquet.Kind
	unsigned bool
	maxDef   int
}

// parquetRead reads a Parquet file of size bytes from r.
func parquetRead(r io.ReaderAt, size int64, name string, opt ReadOptions) (t *Table, err error) {
	defer func() {
		if e := recover(); e != nil {
			t, err = nil, inputErrorf("%s: corrupt Parquet file (%v)", name, e)
		}
	}()
	pf, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, inputErrorf("%s: not a readable Parquet file: %v", name, err)
	}
	schema := pf.Schema()
	fields := schema.Fields()
	names := make([]string, len(fields))
	seen := make(map[string]int, len(fields))
	for j, f := range fields {
		names[j] = f.Name()
		if names[j] == "" {
			return nil, inputErrorf("%s: column %d has no name", name, j+1)
		}
		if k, dup := seen[names[j]]; dup {
			return nil, inputErrorf("%s: duplicate column name %q (columns %d and %d)", name, names[j], k+1, j+1)
		}
		seen[names[j]] = j
	}
	if len(names) < 2 && !opt.NoTarget {
		return nil, inputErrorf("%s: %d column(s): need at least one feature and a target column", name, len(names))
	}
	if len(names) == 0 {
		return nil, inputErrorf("%s: the schema has no columns", name)
	}
	target, err := ioResolveTarget(name, names, opt)
	if err != nil {
		return nil, err
	}
	keep, keepTarget, err := ioSelect(name, names, target, opt)
	if err != nil {
		return nil, err
	}
	cols := make([]pqColumn, len(keep))
	for c, j := range keep {
		if cols[c], err = pqCheckColumn(name, schema, fields[j], j); err != nil {
			return nil, err
		}
	}
	rows := pf.NumRows()
	groups := pf.RowGroups()
	var sum int64
	for g, rg := range groups {
		n := rg.NumRows()
		if n < 0 || n > math.MaxInt32*int64(1<<20) || len(rg.ColumnChunks()) != len(schema.Columns()) {
			return nil, inputErrorf("%s: corrupt Parquet file: row group %d has %d rows and %d column chunks", name, g+1, n, len(rg.ColumnChunks()))
		}
		sum += n
	}
	if rows != sum || rows == 0 {
		if rows == 0 && sum == 0 {
			return nil, inputErrorf("%s: no data rows", name)
		}
		return nil, inputErrorf("%s: corrupt Parquet file: the footer says %d rows, the row groups hold %d", name, rows, sum)
	}
	k := len(cols)
	if rows > int64(math.MaxInt/2/k) {
		return nil, inputErrorf("%s: %d rows × %d columns is too large", name, rows, k)
	}
	t = &Table{Source: name, Target: keepTarget, Cols: k, Stride: k}
	for _, c := range cols {
		t.Names = append(t.Names, c.name)
	}
	// Reserve the whole table when the footer's row count is plausible
	// for the file's size; otherwise (a corrupt footer, or a file of
	// highly compressible columns) the table grows as row groups decode.
	reserve := int(min(rows*int64(k), 32*size+1<<20))
	if opt.Precision == F32 {
		t.F32 = make([]float32, 0, reserve)
	} else {
		t.F64 = make([]float64, 0, reserve)
	}
	// Column chunks decode in parallel (see pqReadChunk); once a row
	// group's columns are in, they are stored row-major together.
	workers := min(runtime.GOMAXPROCS(0), 8)
	if len(groups)*k == 1 {
		workers = 1
	}
	type job struct{ g, c int }
	type decoded struct {
		job
		ch  pqChunk
		err error
	}
	produce := func(emit func(job) bool) error {
		for g := range groups {
			for c := range cols {
				if !emit(job{g, c}) {
					return nil
				}
			}
		}
		return nil
	}
	work := func(j job) (d decoded) {
		defer func() {
			if e := recover(); e != nil {
				d.err = inputErrorf("%s: row group %d, column %q: corrupt Parquet file (%v)", name, j.g+1, cols[j.c].name, e)
			}
		}()
		d.job = j
		d.ch, d.err = pqReadChunk(name, groups[j.g], j.g, cols[j.c])
		return d
	}
	base := 0 // first row of the next row group
	group := make([]pqChunk, k)
	defer func() {
		for c := range group {
			group[c].release()
		}
	}()
	consume := func(d decoded) error {
		if d.err != nil {
			return d.err
		}
		group[d.c] = d.ch
		if d.c < k-1 {
			return nil
		}
		n := int(groups[d.g].NumRows())
		err := pqStore(t, group, base, n, d.g, cols)
		for c := range group {
			group[c].release()
		}
		base += n
		return err
	}
	if err := ioPipeline(workers, produce, work, consume); err != nil {
		return nil, err
	}
	t.Rows = base
	return t, nil
}

// pqCheckColumn checks that field (column j of the file) is a numeric leaf
// lsgd reads and describes it.
func pqCheckColumn(name string, schema *parquet.Schema, field parquet.Field, j int) (pqColumn, error) {
	col := pqColumn{name: field.Name(), index: j}
	what := fmt.Sprintf("column %q (%d)", field.Name(), j+1)
	if !field.Leaf() {
		return col, inputErrorf("%s: %s is a group (a nested column): want a flat numeric column", name, what)
	}
	if field.Repeated() {
		return col, inputErrorf("%s: %s is repeated (a list): want one number per row", name, what)
	}
	leaf, ok := schema.Lookup(field.Name())
	if !ok {
		return col, inputErrorf("%s: %s is not in the schema's leaf columns", name, what)
	}
	col.leaf, col.maxDef = leaf.ColumnIndex, leaf.MaxDefinitionLevel
	typ := field.Type()
	col.kind = typ.Kind()
	if lt := typ.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.DecimalType:
			return col, inputErrorf("%s: %s is DECIMAL(%d,%d): store it as a double", name, what, v.Precision, v.Scale)
		case *format.IntType:
			col.unsigned = !v.IsSigned
		}
	}
	switch col.kind {
	case parquet.Double, parquet.Float, parquet.Int32, parquet.Int64:
		return col, nil
	case parquet.ByteArray:
		return col, inputErrorf("%s: %s holds strings (BYTE_ARRAY), not numbers: want DOUBLE, FLOAT, INT32 or INT64; leave it out with the feature selection", name, what)
	}
	return col, inputErrorf("%s: %s is of type %s, not a number: want DOUBLE, FLOAT, INT32 or INT64", name, what, col.kind)
}

// pqChunk is a decoded column chunk: its values in runs, a page each,
// and the pages whose memory the runs share until they are released.
type pqChunk struct {
	runs  [][]float64
	pages []parquet.Page
	n     int64 // values in runs
}

// release hands the chunk's pages back to the library.
func (ch *pqChunk) release() {
	for _, p := range ch.pages {
		parquet.Release(p)
	}
	ch.pages, ch.runs = nil, nil
}

// at returns value i of the chunk.
func (ch *pqChunk) at(i int) float64 {
	for _, r := range ch.runs {
		if i < len(r) {
			return r[i]
		}
		i -= len(r)
	}
	return 0
}

// pqReadChunk decodes the column chunk of column col in row group g, one
// value per row. A page of plain doubles is kept as it is (no copy); other
// pages are converted to float64. Errors name the row within the group.
func pqReadChunk(name string, rg parquet.RowGroup, g int, col pqColumn) (ch pqChunk, err error) {
	want := rg.NumRows()
	at := func() string { return fmt.Sprintf("%s: row group %d, column %q", name, g+1, col.name) }
	pages := rg.ColumnChunks()[col.leaf].Pages()
	defer pages.Close()
	defer func() {
		if err != nil {
			ch.release()
		}
	}()
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ch, inputErrorf("%s: corrupt or truncated page: %v", at(), err)
		}
		ch.pages = append(ch.pages, page)
		if page.NumNulls() > 0 {
			row := ch.n
			for i, d := range page.DefinitionLevels() {
				if int(d) < col.maxDef {
					row += int64(i)
					break
				}
			}
			return ch, inputErrorf("%s, row %d: null value (a missing value): fill or drop the missing values, or leave the column out", at(), row+1)
		}
		n := page.NumValues()
		if n < 0 || ch.n+n > want {
			return ch, inputErrorf("%s: corrupt Parquet file: the pages hold more than the group's %d rows", at(), want)
		}
		if n == 0 {
			continue
		}
		var run []float64
		if col.kind == parquet.Double && page.Dictionary() == nil {
			data := page.Data()
			run = data.Double()
			if int64(len(run)) != n {
				return ch, inputErrorf("%s: corrupt Parquet file: a page of %d values holds %d", at(), n, len(run))
			}
		} else if run, err = pqAppend(make([]float64, 0, n), page, col, int(n)); err != nil {
			return ch, inputErrorf("%s: corrupt Parquet file: %v", at(), err)
		}
		ch.runs = append(ch.runs, run)
		ch.n += n
	}
	if ch.n != want {
		return ch, inputErrorf("%s: corrupt or truncated Parquet file: %d values for the group's %d rows", at(), ch.n, want)
	}
	return ch, nil
}

// pqAppend appends the n values of page, a page of column col, to vals.
func pqAppend(vals []float64, page parquet.Page, col pqColumn, n int) ([]float64, error) {
	data := page.Data()
	if dict := page.Dictionary(); dict != nil {
		idx := data.Int32()
		if len(idx) != n {
			return vals, fmt.Errorf("a page of %d values holds %d dictionary indexes", n, len(idx))
		}
		dv := dict.Page().Data()
		m := dict.Len()
		for _, i := range idx {
			if i < 0 || int(i) >= m {
				return vals, fmt.Errorf("dictionary index %d out of range (%d entries)", i, m)
			}
		}
		switch col.kind {
		case parquet.Double:
			d := dv.Double()
			for _, i := range idx {
				vals = append(vals, d[i])
			}
		case parquet.Float:
			d := dv.Float()
			for _, i := range idx {
				vals = append(vals, float64(d[i]))
			}
		case parquet.Int32:
			d := dv.Int32()
			for _, i := range idx {
				vals = append(vals, pqInt32(d[i], col.unsigned))
			}
		case parquet.Int64:
			d := dv.Int64()
			for _, i := range idx {
				vals = append(vals, pqInt64(d[i], col.unsigned))
			}
		}
		return vals, nil
	}
	var got int
	switch col.kind {
	case parquet.Double:
		d := data.Double()
		got = len(d)
		if got == n {
			vals = append(vals, d...)
		}
	case parquet.Float:
		d := data.Float()
		got = len(d)
		if got == n {
			for _, v := range d {
				vals = append(vals, float64(v))
			}
		}
	case parquet.Int32:
		d := data.Int32()
		got = len(d)
		if got == n {
			for _, v := range d {
				vals = append(vals, pqInt32(v, col.unsigned))
			}
		}
	case parquet.Int64:
		d := data.Int64()
		got = len(d)
		if got == n {
			for _, v := range d {
				vals = append(vals, pqInt64(v, col.unsigned))
			}
		}
	}
	if got != n {
		return vals, fmt.Errorf("a page of %d values holds %d", n, got)
	}
	return vals, nil
}

func pqInt32(v int32, unsigned bool) float64 {
	if unsigned {
		return float64(uint32(v))
	}
	return float64(v)
}

func pqInt64(v int64, unsigned bool) float64 {
	if unsigned {
		return float64(uint64(v))
	}
	return float64(v)
}

// pqStore appends the n rows of row group g, decoded column by column in
// cols, to t's storage (base rows are there already), rejecting NaN,
// infinite values and, for a float32 table, values that overflow float32.
// It stores blocks of rows that fit in the cache, all columns at a time.
func pqStore(t *Table, cols []pqChunk, base, n, g int, meta []pqColumn) error {
	k := t.Cols
	if t.F32 != nil {
		t.F32 = slices.Grow(t.F32, n*k)[:(base+n)*k]
	} else {
		t.F64 = slices.Grow(t.F64, n*k)[:(base+n)*k]
	}
	// Blocks of rows in parallel; the first bad value in file order wins.
	parts := min(runtime.GOMAXPROCS(0), max(1, n*k>>18))
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := n*p/parts, n*(p+1)/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c, i int
			if t.F32 != nil {
				c, i = pqTranspose(t.F32[(base+lo)*k:], cols, lo, hi, pqPut32)
			} else {
				c, i = pqTranspose(t.F64[(base+lo)*k:], cols, lo, hi, pqPut64)
			}
			if c >= 0 {
				errs[p] = pqBad(t, cols[c].at(i), base, g, meta[c], i)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// pqBlockBytes is the size of the block of the table pqTranspose stores
// at a time: it stays in the L1 cache while every column writes to it.
const pqBlockBytes = 16 << 10

// pqTranspose stores rows lo…hi−1 of the chunks cols row-major in dst (row
// lo first), a run at a time with put. It returns the column and row of
// the first value put found bad (NaN, infinite, or overflowing dst's
// type), or −1.
func pqTranspose[T float32 | float64](dst []T, cols []pqChunk, lo, hi int, put func(d []T, k int, run []float64) bool) (int, int) {
	k := len(cols)
	var zero T
	block := max(8, pqBlockBytes/(k*int(unsafe.Sizeof(zero))))
	type cursor struct{ r, o int }
	cur := make([]cursor, k)
	for c := range cols {
		o := lo
		for cur[c].r < len(cols[c].runs) && o >= len(cols[c].runs[cur[c].r]) {
			o -= len(cols[c].runs[cur[c].r])
			cur[c].r++
		}
		cur[c].o = o
	}
	for b := lo; b < hi; b += block {
		m := min(block, hi-b)
		for c := range cols {
			d := dst[(b-lo)*k+c:]
			cu := &cur[c]
			for done := 0; done < m; {
				run := cols[c].runs[cu.r][cu.o:]
				run = run[:min(len(run), m-done)]
				if put(d[done*k:], k, run) {
					for i := range run {
						if v := cols[c].at(b + done + i); put(d[(done+i)*k:], k, []float64{v}) {
							return c, b + done + i
						}
					}
				}
				done += len(run)
				if cu.o += len(run); cu.o == len(cols[c].runs[cu.r]) {
					cu.r, cu.o = cu.r+1, 0
				}
			}
		}
	}
	return -1, 0
}

// pqPut64 stores run at d[0], d[k], d[2k], … and reports whether it holds
// a NaN or an infinite value.
func pqPut64(d []float64, k int, run []float64) bool {
	if len(run) == 0 {
		return false
	}
	_ = d[(len(run)-1)*k] // the writes below stay inside d
	p := unsafe.Pointer(&d[0])
	step := uintptr(k) * 8
	var acc uint64 // top bit set by an all-ones exponent
	for i, v := range run {
		*(*float64)(unsafe.Add(p, uintptr(i)*step)) = v
		acc |= math.Float64bits(v)&0x7ff0000000000000 + 0x0010000000000000
	}
	return acc>>63 != 0
}

// pqPut32 is pqPut64 into float32, where a value that overflows float32
// is bad too.
func pqPut32(d []float32, k int, run []float64) bool {
	if len(run) == 0 {
		return false
	}
	_ = d[(len(run)-1)*k]
	p := unsafe.Pointer(&d[0])
	step := uintptr(k) * 4
	var acc uint32
	for i, v := range run {
		f := float32(v)
		*(*float32)(unsafe.Add(p, uintptr(i)*step)) = f
		acc |= math.Float32bits(f)&0x7f800000 + 0x00800000
	}
	return acc>>31 != 0
}

// pqBad is the error for v, value i of column col in row group g (whose
// first row is row base of the table), which is NaN, infinite or
// overflows float32.
func pqBad(t *Table, v float64, base, g int, col pqColumn, i int) error {
	what, fix := fmt.Sprintf("%g overflows float32 (largest magnitude %g)", v, math.MaxFloat32), FixFloat64
	switch {
	case math.IsNaN(v):
		what, fix = "NaN is not allowed", NoFix
	case math.IsInf(v, 0):
		what, fix = fmt.Sprintf("an infinite value (%v) is not allowed", v), NoFix
	}
	return &InputError{Msg: fmt.Sprintf("%s: row group %d, row %d (row %d of the file), column %q (%d): %s",
		t.Source, g+1, i+1, base+i+1, col.name, col.index+1, what), Fix: fix}
}
