package tableio

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ioSelect resolves opt.Features against a file's column names, target
// being the file's target column (−1 for none). It returns the file
// columns the table keeps, in table order (the features as listed, then
// the target), and the target's index in the table (−1 without one). With
// no opt.Features every column is kept in file order and the target stays
// where it is.
func ioSelect(src string, names []string, target int, opt ReadOptions) (cols []int, tableTarget int, err error) {
	if len(opt.Features) == 0 {
		cols = make([]int, len(names))
		for j := range cols {
			cols[j] = j
		}
		return cols, target, nil
	}
	seen := make(map[int]bool, len(opt.Features)+1)
	for _, f := range opt.Features {
		j, err := ioFindColumn(src, names, f, "feature", "a feature")
		if err != nil {
			return nil, 0, err
		}
		if j == target {
			return nil, 0, inputErrorf("%s: %s is the target, not a feature", src, ioColumn(names, j))
		}
		if seen[j] {
			return nil, 0, inputErrorf("%s: %s is selected twice as a feature", src, ioColumn(names, j))
		}
		seen[j] = true
		cols = append(cols, j)
	}
	if target < 0 {
		return cols, -1, nil
	}
	return append(cols, target), len(cols), nil
}

// ioFindColumn returns the index of the column that sel names: a name
// (taking precedence), or a 1-based index. Errors call it a kind column
// ("feature", "weight") wanted for role ("a feature", "the weights").
func ioFindColumn(src string, names []string, sel, kind, role string) (int, error) {
	for j, name := range names {
		if name == sel {
			return j, nil
		}
	}
	n := len(names)
	if k, err := strconv.Atoi(strings.TrimSpace(sel)); err == nil {
		if k < 1 || k > n {
			return 0, inputErrorf("%s: %s column %d is out of range: the table has %d columns (1 to %d)", src, kind, k, n, n)
		}
		return k - 1, nil
	}
	return 0, inputErrorf("%s: no column named %q for %s (columns: %s)", src, sel, role, ioListNames(names))
}

// ioAll reports whether cols keeps every one of n columns in order.
func ioAll(cols []int, n int) bool {
	if len(cols) != n {
		return false
	}
	for k, j := range cols {
		if j != k {
			return false
		}
	}
	return true
}

// ioProject returns a packed table holding columns cols of t, in that
// order, with its target at tableTarget; t itself when cols keeps every
// column in order.
func ioProject(t *Table, cols []int, tableTarget int) *Table {
	if ioAll(cols, t.Cols) {
		return t
	}
	p := &Table{Source: t.Source, Target: tableTarget, Rows: t.Rows, Cols: len(cols), Stride: len(cols), Line0: t.Line0}
	for _, j := range cols {
		p.Names = append(p.Names, t.Names[j])
	}
	if t.F32 != nil {
		p.F32 = make([]float32, t.Rows*len(cols))
		ioGather(p.F32, t.F32, t.Rows, t.Stride, cols)
	} else {
		p.F64 = make([]float64, t.Rows*len(cols))
		ioGather(p.F64, t.F64, t.Rows, t.Stride, cols)
	}
	return p
}

// ioGather copies columns cols of rows rows of src (row stride stride)
// into the packed rows of dst.
func ioGather[T float32 | float64](dst, src []T, rows, stride int, cols []int) {
	k := len(cols)
	for i := 0; i < rows; i++ {
		s, d := src[i*stride:], dst[i*k:i*k+k]
		for c, j := range cols {
			d[c] = s[j]
		}
	}
}

// npyReadColumns reads the data of a rows×len(names) .npy array of
// element size esz from r a block of rows at a time, keeping columns keep
// (in that order, target at keepTarget) in precision p, so that memory
// holds the selected columns only.
func npyReadColumns(r io.Reader, name string, esz, rows int, names []string, keep []int, keepTarget int, p Precision) (*Table, error) {
	cols := len(names)
	t := &Table{Source: name, Target: keepTarget, Rows: rows, Cols: len(keep), Stride: len(keep)}
	for _, j := range keep {
		t.Names = append(t.Names, names[j])
	}
	block := max(1, (1<<20)/(cols*esz))
	buf := make([]byte, block*cols*esz)
	if p == F32 {
		t.F32 = make([]float32, rows*len(keep))
	} else {
		t.F64 = make([]float64, rows*len(keep))
	}
	k := len(keep)
	for lo := 0; lo < rows; lo += block {
		n := min(block, rows-lo)
		b := buf[:n*cols*esz]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("%s: reading data: %w", name, err)
		}
		for i := 0; i < n; i++ {
			for c, j := range keep {
				off := (i*cols + j) * esz
				var v float64
				if esz == 8 {
					v = math.Float64frombits(binary.LittleEndian.Uint64(b[off:]))
				} else {
					v = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[off:])))
				}
				d := (lo+i)*k + c
				if t.F32 == nil {
					t.F64[d] = v
					continue
				}
				f := float32(v)
				if math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
					return nil, &InputError{Msg: fmt.Sprintf("%s: row %d, %s: %g overflows float32 (largest magnitude %g)",
						name, lo+i+1, ioColumn(names, j), v, math.MaxFloat32), Fix: FixFloat64}
				}
				t.F32[d] = f
			}
		}
	}
	if err := ioCheckFinite(t); err != nil {
		return nil, err
	}
	return t, nil
}
