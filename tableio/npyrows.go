package tableio

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// NPYRows returns the number of rows of a .npy file, reading only its
// header (and checking it as ReadNPY does), so that a caller can split a
// large file into row ranges for ReadNPYRows.
func NPYRows(path string) (int, error) {
	f, size, err := ioOpenFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h, err := npyReadHeader(f, size, path)
	if err != nil {
		return 0, err
	}
	rows, _, _, err := npyShape(h, size, path, ReadOptions{})
	return rows, err
}

// ReadNPYRows reads rows [lo, hi) of a .npy file (0-based, hi exclusive)
// as ReadNPY reads the whole file: the same checks, column names and
// precision handling. Only those rows are read from the file. Messages
// name the file's own rows (row lo+1 is the range's first), so an error in
// one range of a split file reads as it would for the whole file.
func ReadNPYRows(path string, opt ReadOptions, lo, hi int) (*Table, error) {
	f, size, err := ioOpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := npyReadHeader(f, size, path)
	if err != nil {
		return nil, err
	}
	rows, cols, esz, err := npyShape(h, size, path, opt)
	if err != nil {
		return nil, err
	}
	if lo < 0 || hi > rows || lo >= hi {
		return nil, inputErrorf("%s: rows [%d, %d) are outside the file's %d rows", path, lo, hi, rows)
	}
	target, err := ioResolveTarget(path, DefaultNames(cols, cols-1), opt)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(h.dataOffset+int64(lo)*int64(cols)*int64(esz), io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n := hi - lo
	t := &Table{Source: path, Names: DefaultNames(cols, target), Target: target, Rows: n, Cols: cols, Stride: cols}
	r := io.LimitReader(f, int64(n)*int64(cols)*int64(esz))
	if opt.Precision == F32 {
		t.F32 = make([]float32, n*cols)
		if esz == 4 {
			err = npyReadDirect(r, npyBytes(t.F32), 4)
		} else {
			err = npyConvert(r, t.F32, t)
		}
	} else {
		t.F64 = make([]float64, n*cols)
		if esz == 8 {
			err = npyReadDirect(r, npyBytes(t.F64), 8)
		} else {
			err = npyConvert(r, t.F64, t)
		}
	}
	var ie *InputError
	if errors.As(err, &ie) && lo > 0 {
		// npyConvert counts rows from the range's start.
		return nil, inputErrorf("%s (rows from %d)", ie.Msg, lo+1)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading data: %w", path, err)
	}
	if i, j, bad := ioFirstNonFinite(t); bad {
		v := t.At(i, j)
		what := "NaN"
		if math.IsInf(v, 0) {
			what = fmt.Sprintf("an infinite value (%v)", v)
		}
		return nil, inputErrorf("%s: row %d, %s: %s is not allowed", path, lo+i+1, ioColumn(t.Names, j), what)
	}
	return t, nil
}

// npyShape checks a .npy header as ReadNPY does (dtype, order, a 2-D
// shape that matches the file's size) and returns the shape and element
// size.
func npyShape(h *npyHeader, size int64, name string, opt ReadOptions) (rows, cols, esz int, err error) {
	switch h.descr {
	case "<f8":
		esz = 8
	case "<f4":
		esz = 4
	default:
		return 0, 0, 0, inputErrorf("%s: unsupported dtype %q: want little-endian float64 '<f8' or float32 '<f4' (convert with a.astype('<f8'))", name, h.descr)
	}
	if h.fortran {
		return 0, 0, 0, inputErrorf("%s: array is stored in Fortran (column-major) order: save a C-order array (np.ascontiguousarray(a))", name)
	}
	if len(h.shape) != 2 {
		return 0, 0, 0, inputErrorf("%s: array has %d dimensions, shape %v: want a 2-D array (rows × columns)", name, len(h.shape), h.shape)
	}
	r, c := h.shape[0], h.shape[1]
	hi, n := bits.Mul64(r, c)
	hi2, nbytes := bits.Mul64(n, uint64(esz))
	if hi != 0 || hi2 != 0 || nbytes > math.MaxInt64/2 || n > math.MaxInt/2 {
		return 0, 0, 0, inputErrorf("%s: shape %v is too large", name, h.shape)
	}
	if rest := uint64(size - h.dataOffset); rest != nbytes {
		if rest < nbytes {
			return 0, 0, 0, inputErrorf("%s: truncated: shape (%d, %d) of %s needs %d bytes of data, the file has %d", name, r, c, h.descr, nbytes, rest)
		}
		return 0, 0, 0, inputErrorf("%s: %d unexpected bytes after the %d×%d array", name, rest-nbytes, r, c)
	}
	if c < 2 && !opt.NoTarget {
		return 0, 0, 0, inputErrorf("%s: array has %d column(s): need at least one feature and a target column", name, c)
	}
	if r == 0 {
		return 0, 0, 0, inputErrorf("%s: no data rows (shape (0, %d))", name, c)
	}
	return int(r), int(c), esz, nil
}
