package tableio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"unsafe"
)

// ReadNPY reads a table from a NumPy .npy file (format versions 1.0, 2.0
// and 3.0) holding a 2-D, C-order array of little-endian float64 ('<f8')
// or float32 ('<f4'): one row per observation, one column per variable.
//
// The values are read straight into the table's storage, so a large file
// is held in memory once; they are converted only when the file's dtype
// differs from opt.Precision (float64 values that overflow float32 are
// then rejected). The columns are named by DefaultNames: the target is "y"
// and the features x1, x2, … in order. opt.Target is a 1-based column
// index or a name from the default naming of the file (x1 … x(cols−1) for
// columns 1 … cols−1, y for the last); "" selects the last column.
//
// Other dtypes, Fortran order, other shapes, a truncated file, trailing
// bytes and NaN or infinite values are rejected with an error naming the
// file (and, for a value, its 1-based row and its column).
func ReadNPY(path string, opt ReadOptions) (*Table, error) {
	f, size, err := ioOpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return npyRead(f, size, path, opt)
}

// NPYPrecision returns the precision a .npy file stores its values in
// (F32 for '<f4', F64 for '<f8'), reading only its header, so a caller can
// read the file without converting it.
func NPYPrecision(path string) (Precision, error) {
	f, size, err := ioOpenFile(path)
	if err != nil {
		return F64, err
	}
	defer f.Close()
	h, err := npyReadHeader(f, size, path)
	if err != nil {
		return F64, err
	}
	if h.descr == "<f4" {
		return F32, nil
	}
	return F64, nil
}

// npyHeader is the parsed header of a .npy file.
type npyHeader struct {
	descr      string
	fortran    bool
	shape      []uint64
	dataOffset int64 // bytes before the data
}

var npyMagic = []byte("\x93NUMPY")

// npyMaxHeader bounds the header length; a 2-D array needs about 100 bytes.
const npyMaxHeader = 1 << 20

// npyRead reads a .npy stream of size bytes.
func npyRead(r io.Reader, size int64, name string, opt ReadOptions) (*Table, error) {
	h, err := npyReadHeader(r, size, name)
	if err != nil {
		return nil, err
	}
	var esz int
	switch h.descr {
	case "<f8":
		esz = 8
	case "<f4":
		esz = 4
	default:
		return nil, inputErrorf("%s: unsupported dtype %q: want little-endian float64 '<f8' or float32 '<f4' (convert with a.astype('<f8'))", name, Clip(h.descr))
	}
	if h.fortran {
		return nil, inputErrorf("%s: array is stored in Fortran (column-major) order: save a C-order array (np.ascontiguousarray(a))", name)
	}
	if len(h.shape) != 2 {
		return nil, inputErrorf("%s: array has %d dimensions, shape %v: want a 2-D array (rows × columns)", name, len(h.shape), h.shape)
	}
	rows, cols := h.shape[0], h.shape[1]
	hi, n := bits.Mul64(rows, cols)
	hi2, nbytes := bits.Mul64(n, uint64(esz))
	if hi != 0 || hi2 != 0 || nbytes > math.MaxInt64/2 || n > math.MaxInt/2 {
		return nil, inputErrorf("%s: shape %v is too large", name, h.shape)
	}
	if size < 0 {
		// A stream (a FIFO): its length is known only once read, so the
		// data (and at most one byte more) is read first, into memory
		// that grows with what arrives, not with what the header claims.
		var buf bytes.Buffer
		if _, err := io.CopyN(&buf, r, int64(nbytes)+1); err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: reading data: %w", name, err)
		}
		r, size = bytes.NewReader(buf.Bytes()), h.dataOffset+int64(buf.Len())
	}
	if rest := uint64(size - h.dataOffset); rest != nbytes {
		if rest < nbytes {
			return nil, inputErrorf("%s: truncated: shape (%d, %d) of %s needs %d bytes of data, the file has %d", name, rows, cols, h.descr, nbytes, rest)
		}
		return nil, inputErrorf("%s: %d unexpected bytes after the %d×%d array", name, rest-nbytes, rows, cols)
	}
	if cols < 2 && !opt.NoTarget {
		return nil, inputErrorf("%s: array has %d column(s): need at least one feature and a target column", name, cols)
	}
	if rows == 0 {
		return nil, inputErrorf("%s: no data rows (shape (0, %d))", name, cols)
	}
	target, err := ioResolveTarget(name, DefaultNames(int(cols), int(cols)-1), opt)
	if err != nil {
		return nil, err
	}
	keep, keepTarget, err := ioSelect(name, DefaultNames(int(cols), target), target, opt)
	if err != nil {
		return nil, err
	}
	if !ioAll(keep, int(cols)) {
		return npyReadColumns(r, name, esz, int(rows), DefaultNames(int(cols), target), keep, keepTarget, opt.Precision)
	}
	t := &Table{Source: name, Names: DefaultNames(int(cols), target), Target: target,
		Rows: int(rows), Cols: int(cols), Stride: int(cols)}
	if opt.Precision == F32 {
		t.F32 = make([]float32, n)
		if esz == 4 {
			err = npyReadDirect(r, npyBytes(t.F32), 4)
		} else {
			err = npyConvert(r, t.F32, t)
		}
	} else {
		t.F64 = make([]float64, n)
		if esz == 8 {
			err = npyReadDirect(r, npyBytes(t.F64), 8)
		} else {
			err = npyConvert(r, t.F64, t)
		}
	}
	if errors.Is(err, ErrInput) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading data: %w", name, err)
	}

	if err := ioCheckFinite(t); err != nil {
		return nil, err
	}
	return t, nil
}

// npyReadHeader reads and parses the magic, version and header dict.
func npyReadHeader(r io.Reader, size int64, name string) (*npyHeader, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, inputErrorf("%s: not a .npy file: too short (%v)", name, err)
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		hint := ""
		if npyLooksText(pre[:8]) {
			hint = " (it starts like a text file: a CSV file should be named .csv)"
		}
		return nil, inputErrorf("%s: not a .npy file: bad magic %q (want \"\\x93NUMPY\")%s", name, pre[:6], hint)
	}
	major, minor := pre[6], pre[7]
	var hlen uint64
	var off int64
	switch {
	case major == 1 && minor == 0:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, inputErrorf("%s: truncated .npy header", name)
		}
		hlen, off = uint64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case (major == 2 || major == 3) && minor == 0:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, inputErrorf("%s: truncated .npy header", name)
		}
		hlen, off = uint64(binary.LittleEndian.Uint32(l[:])), 12
	default:
		return nil, inputErrorf("%s: unsupported .npy format version %d.%d (want 1.0, 2.0 or 3.0)", name, major, minor)
	}
	if hlen > npyMaxHeader || (size >= 0 && int64(hlen) > size-off) {
		return nil, inputErrorf("%s: bad .npy header length %d (file is %d bytes)", name, hlen, size)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, inputErrorf("%s: truncated .npy header: %v", name, err)
	}
	h, err := npyParseDict(hdr)
	if err != nil {
		return nil, inputErrorf("%s: bad .npy header: %v", name, err)
	}
	h.dataOffset = off + int64(hlen)
	return h, nil
}

// npyParseDict parses the Python dict literal of a .npy header:
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 33), }
//
// followed by spaces and a newline.
func npyParseDict(s []byte) (*npyHeader, error) {
	p := &npyParser{s: s}
	h := &npyHeader{}
	seen := map[string]bool{}
	p.ws()
	if !p.eat('{') {
		return nil, inputErrorf("want a dict starting with '{' in %q", Clip(string(s)))
	}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, inputErrorf("duplicate key %q", Clip(key))
		}
		seen[key] = true
		p.ws()
		if !p.eat(':') {
			return nil, inputErrorf("want ':' after key %q", Clip(key))
		}
		p.ws()
		switch key {
		case "descr":
			if p.peek() == '[' {
				return nil, inputErrorf("structured dtypes (descr is a list) are not supported")
			}
			h.descr, err = p.str()
		case "fortran_order":
			h.fortran, err = p.boolean()
		case "shape":
			h.shape, err = p.tuple()
		default:
			return nil, inputErrorf("unknown key %q", Clip(key))
		}
		if err != nil {
			return nil, inputErrorf("%s: %v", key, err)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			break
		}
		return nil, inputErrorf("want ',' or '}' at offset %d", p.i)
	}
	p.ws()
	if p.i != len(s) {
		return nil, inputErrorf("unexpected %q after the dict", Clip(string(s[p.i:])))
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, inputErrorf("missing key %q", k)
		}
	}
	return h, nil
}

// npyLooksText reports whether b is printable ASCII text.
func npyLooksText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

type npyParser struct {
	s []byte
	i int
}

func (p *npyParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *npyParser) eat(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

func (p *npyParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

// str parses a quoted Python string without escapes.
func (p *npyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", inputErrorf("want a quoted string at offset %d", p.i)
	}
	j := bytes.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", inputErrorf("unterminated string at offset %d", p.i)
	}
	v := string(p.s[p.i+1 : p.i+1+j])
	if bytes.IndexByte([]byte(v), '\\') >= 0 {
		return "", inputErrorf("unsupported escape in string %q", Clip(v))
	}
	p.i += j + 2
	return v, nil
}

func (p *npyParser) boolean() (bool, error) {
	switch {
	case bytes.HasPrefix(p.s[p.i:], []byte("True")):
		p.i += 4
		return true, nil
	case bytes.HasPrefix(p.s[p.i:], []byte("False")):
		p.i += 5
		return false, nil
	}
	return false, inputErrorf("want True or False at offset %d", p.i)
}

// tuple parses a tuple of non-negative integers: (), (3,), (3, 4).
func (p *npyParser) tuple() ([]uint64, error) {
	if !p.eat('(') {
		return nil, inputErrorf("want a tuple at offset %d", p.i)
	}
	shape := []uint64{}
	for {
		p.ws()
		if p.eat(')') {
			return shape, nil
		}
		j := p.i
		for p.i < len(p.s) && p.s[p.i]-'0' < 10 {
			p.i++
		}
		if j == p.i {
			return nil, inputErrorf("want an integer at offset %d", p.i)
		}
		v, err := strconv.ParseUint(string(p.s[j:p.i]), 10, 64)
		if err != nil {
			return nil, inputErrorf("bad dimension %q", Clip(string(p.s[j:p.i])))
		}
		p.eat('L') // Python 2 long
		shape = append(shape, v)
		p.ws()
		if p.eat(')') {
			return shape, nil
		}
		if !p.eat(',') {
			return nil, inputErrorf("want ',' or ')' in the shape at offset %d", p.i)
		}
	}
}

// npyNative reports whether the machine is little-endian, the byte order
// of the files read and written.
var npyNative = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// npyBytes returns the bytes of a float slice, sharing its memory.
func npyBytes[T float32 | float64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// npyReadDirect reads little-endian elements of size esz straight into b.
func npyReadDirect(r io.Reader, b []byte, esz int) error {
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	if !npyNative {
		npySwap(b, esz)
	}
	return nil
}

// npySwap reverses the bytes of every esz-byte element of b.
func npySwap(b []byte, esz int) {
	for i := 0; i+esz <= len(b); i += esz {
		e := b[i : i+esz]
		for l, h := 0, esz-1; l < h; l, h = l+1, h-1 {
			e[l], e[h] = e[h], e[l]
		}
	}
}

// npyConvert reads little-endian values of the other precision from r into
// dst (float32 from '<f8', float64 from '<f4'), a chunk at a time.
// float64 values that are finite but overflow float32 are rejected.
func npyConvert[T float32 | float64](r io.Reader, dst []T, t *Table) error {
	var zero T
	if unsafe.Sizeof(zero) == 4 {
		// float64 file into float32 storage.
		buf := make([]float64, 1<<15)
		d32 := any(dst).([]float32)
		for k := 0; k < len(d32); {
			m := min(len(buf), len(d32)-k)
			if err := npyReadDirect(r, npyBytes(buf[:m]), 8); err != nil {
				return err
			}
			for i, v := range buf[:m] {
				f := float32(v)
				if math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
					row, col := (k+i)/t.Cols, (k+i)%t.Cols
					return &InputError{Msg: fmt.Sprintf("%s: row %d, %s: %g overflows float32 (largest magnitude %g)",
						t.Source, row+1, ioColumn(t.Names, col), v, math.MaxFloat32), Fix: FixFloat64}
				}
				d32[k+i] = f
			}
			k += m
		}
		return nil
	}
	buf := make([]float32, 1<<16)
	d64 := any(dst).([]float64)
	for k := 0; k < len(d64); {
		m := min(len(buf), len(d64)-k)
		if err := npyReadDirect(r, npyBytes(buf[:m]), 4); err != nil {
			return err
		}
		for i, v := range buf[:m] {
			d64[k+i] = float64(v)
		}
		k += m
	}
	return nil
}

// ioCheckFinite returns an error naming the first NaN or infinite value of
// t (row 1-based, column by name).
func ioCheckFinite(t *Table) error {
	row, col, ok := ioFirstNonFinite(t)
	if !ok {
		return nil
	}
	v := t.At(row, col)
	what := "NaN"
	if math.IsInf(v, 0) {
		what = fmt.Sprintf("an infinite value (%v)", v)
	}
	return inputErrorf("%s: row %d, %s: %s is not allowed", t.Source, row+1, ioColumn(t.Names, col), what)
}

// ioFirstNonFinite finds the first NaN or infinite value of t, testing
// the exponent bits (all ones) of the stored values.
func ioFirstNonFinite(t *Table) (row, col int, found bool) {
	for i := 0; i < t.Rows; i++ {
		off := i * t.Stride
		if t.F32 != nil {
			for j, v := range t.F32[off : off+t.Cols] {
				if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
					return i, j, true
				}
			}
		} else {
			for j, v := range t.F64[off : off+t.Cols] {
				if math.Float64bits(v)&0x7ff0000000000000 == 0x7ff0000000000000 {
					return i, j, true
				}
			}
		}
	}
	return 0, 0, false
}

// WriteNPY writes t as a .npy file (format 1.0): a 2-D C-order array of
// '<f8' (F64 table) or '<f4' (F32 table) with the table's rows packed
// (Stride is dropped). It refuses NaN and infinite values, which ReadNPY
// would reject.
func WriteNPY(w io.Writer, t *Table) error {
	if err := t.Check(); err != nil {
		return err
	}
	if err := npyCheckWritable(t); err != nil {
		return err
	}
	descr, esz := "<f8", 8
	if t.F32 != nil {
		descr, esz = "<f4", 4
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, t.Rows, t.Cols)
	// Pad with spaces so that the data starts at a multiple of 64 bytes,
	// then a newline, as numpy does.
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	hdr := make([]byte, 0, total+pad)
	hdr = append(hdr, npyMagic...)
	hdr = append(hdr, 1, 0)
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(dict)+pad+1))
	hdr = append(hdr, dict...)
	hdr = append(hdr, bytes.Repeat([]byte{' '}, pad)...)
	hdr = append(hdr, '\n')
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	rowBytes := t.Cols * esz
	if npyNative && t.Stride == t.Cols {
		var all []byte
		if t.F32 != nil {
			all = npyBytes(t.F32[:t.Rows*t.Cols])
		} else {
			all = npyBytes(t.F64[:t.Rows*t.Cols])
		}
		for len(all) > 0 {
			m := min(len(all), 8<<20)
			if _, err := w.Write(all[:m]); err != nil {
				return err
			}
			all = all[m:]
		}
		return nil
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	row := make([]byte, rowBytes)
	for i := 0; i < t.Rows; i++ {
		off := i * t.Stride
		if t.F32 != nil {
			copy(row, npyBytes(t.F32[off:off+t.Cols]))
		} else {
			copy(row, npyBytes(t.F64[off:off+t.Cols]))
		}
		if !npyNative {
			npySwap(row, esz)
		}
		if _, err := bw.Write(row); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// npyCheckWritable rejects a table holding NaN or infinite values.
func npyCheckWritable(t *Table) error {
	if i, j, bad := ioFirstNonFinite(t); bad {
		return fmt.Errorf("lsgd: WriteNPY: row %d, %s holds %v, which lsgd refuses to write", i+1, ioColumn(t.Names, j), t.At(i, j))
	}
	return nil
}
