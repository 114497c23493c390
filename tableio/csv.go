package tableio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// ReadCSV reads a table from CSV text. name is used in messages (a file
// name).
//
// The first line must name the columns; every other line is one row of
// numbers separated by commas, as many as there are names. Numbers are
// plain decimals: an optional sign, digits with an optional fraction, an
// optional exponent ("-1.5", ".5", "2e-3"). NaN, infinities, hexadecimal,
// digit separators ("1_000") and decimal commas are rejected, as are values
// that overflow the precision selected by opt. Fields may be quoted and may
// be surrounded by spaces. LF and CRLF line endings, a UTF-8 byte-order mark
// and blank lines at the end of the file are accepted.
//
// opt.Target selects the target column (see ReadOptions); every other
// column is a feature. Every error names the file, and errors about a row
// name its line number and the column:
//
//	data.csv:17: column "x3" (3): "abc" is not a number
func ReadCSV(r io.Reader, name string, opt ReadOptions) (*Table, error) {
	var size int64
	switch r := r.(type) {
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		size = int64(r.Len())
	case interface{ Stat() (fs.FileInfo, error) }: // os.File
		if st, err := r.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	return csvRead(r, name, opt, size)
}

// csvRead is ReadCSV with the size of the input in bytes when known (0
// otherwise), used to reserve the value slice once.
func csvRead(r io.Reader, name string, opt ReadOptions, size int64) (*Table, error) {
	if name == "" {
		name = "csv"
	}
	c := &csvLines{br: bufio.NewReaderSize(r, 1<<20), name: name, size: size}
	names, err := c.header(opt.NoTarget)
	if err != nil {
		return nil, err
	}
	target, err := ioResolveTarget(name, names, opt)
	if err != nil {
		return nil, err
	}
	keep, keepTarget, err := ioSelect(name, names, target, opt)
	if err != nil {
		return nil, err
	}
	// Blank lines inside the data are errors, so row i is on line Line0+i.
	t := &Table{Source: name, Names: names, Target: target, Cols: len(names), Stride: len(names), Line0: c.line + 1}
	if opt.Precision == F32 {
		t.F32, err = csvRows[float32](c, names, 32)
		t.Rows = len(t.F32) / t.Cols
	} else {
		t.F64, err = csvRows[float64](c, names, 64)
		t.Rows = len(t.F64) / t.Cols
	}
	if err != nil {
		return nil, err
	}
	if t.Rows == 0 {
		return nil, inputErrorf("%s: no data rows after the header", name)
	}
	return ioProject(t, keep, keepTarget), nil
}

// csvLines reads lines, counting them.
type csvLines struct {
	br    *bufio.Reader
	name  string
	line  int   // 1-based number of the line last returned
	size  int64 // input size in bytes, 0 if unknown
	long  []byte
	flds  []csvField
	unesc []byte
}

// csvMaxLine bounds the length of one line, so that a binary file without
// line feeds is not read whole into memory.
const csvMaxLine = 64 << 20

// next returns the next line without its line ending; ok is false at the
// end of the input.
func (c *csvLines) next() (line []byte, ok bool, err error) {
	b, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.long = append(c.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(c.long) > csvMaxLine {
				return nil, false, inputErrorf("%s:%d: line longer than %d MiB: not a CSV file?", c.name, c.line+1, csvMaxLine>>20)
			}
			b, err = c.br.ReadSlice('\n')
			c.long = append(c.long, b...)
		}
		b = c.long
	}
	if err != nil && err != io.EOF {
		return nil, false, fmt.Errorf("%s:%d: %w", c.name, c.line+1, err)
	}
	if len(b) == 0 {
		return nil, false, nil
	}
	c.line++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, true, nil
}

func csvBlank(b []byte) bool {
	for _, ch := range b {
		if ch != ' ' && ch != '\t' {
			return false
		}
	}
	return true
}

// header reads the header line and returns the column names.
func (c *csvLines) header(noTarget bool) ([]string, error) {
	var line []byte
	for {
		b, ok, err := c.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, inputErrorf("%s: empty file: want a header line naming the columns, then rows of numbers", c.name)
		}
		if c.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if !csvBlank(b) {
			line = b
			break
		}
	}
	at := fmt.Sprintf("%s:%d", c.name, c.line)
	if c.line == 1 && csvBinary(line) {
		what := "a binary file, not CSV text"
		if bytes.HasPrefix(line, npyMagic) {
			what = "a .npy file, not CSV text: name it .npy"
		}
		return nil, inputErrorf("%s: this looks like %s", at, what)
	}
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, inputErrorf("%s: header contains a carriage return not followed by a line feed (old Mac line endings are not supported)", at)
	}
	fields, err := c.split(line)
	if err != nil {
		return nil, err
	}
	if len(fields) < 2 && !noTarget {
		hint := ""
		if bytes.IndexByte(line, ';') >= 0 || bytes.IndexByte(line, '\t') >= 0 {
			hint = " (only commas separate fields; this line has semicolons or tabs)"
		}
		return nil, inputErrorf("%s: header has %d column: need at least one feature and a target column%s", at, len(fields), hint)
	}
	names := make([]string, len(fields))
	seen := make(map[string]int, len(fields))
	numeric := true
	for j, f := range fields {
		name := string(f.b)
		if name == "" {
			return nil, inputErrorf("%s: header: column %d has no name", at, j+1)
		}
		if !utf8.ValidString(name) {
			// A model file (JSON) could not carry the name back.
			return nil, inputErrorf("%s: header: column %d name %q is not valid UTF-8: save the file as UTF-8", at, j+1, Clip(name))
		}
		if k, dup := seen[name]; dup {
			return nil, inputErrorf("%s: header: duplicate column name %q (columns %d and %d)", at, Clip(name), k+1, j+1)
		}
		seen[name] = j
		names[j] = name
		if _, st := csvParseFloat(f.b, 64); f.quoted || st == csvBad {
			numeric = false
		}
	}
	if numeric {
		return nil, inputErrorf("%s: the first line holds numbers, not column names: a CSV file must start with a header line naming the columns", at)
	}
	return names, nil
}

// csvField is one field of a line: its contents (without quotes and
// surrounding spaces) and whether it was quoted.
type csvField struct {
	b      []byte
	quoted bool
}

// split splits a line into fields, honouring double quotes ("" inside
// quotes is one quote). The fields are valid until the next call.
func (c *csvLines) split(line []byte) ([]csvField, error) {
	c.flds = c.flds[:0]
	c.unesc = c.unesc[:0]
	// Field contents are appended to unesc; record offsets first so that
	// growing unesc does not invalidate earlier fields.
	type span struct {
		lo, hi int
		quoted bool
	}
	var spans []span
	i := 0
	for col := 1; ; col++ {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		lo := len(c.unesc)
		quoted := false
		if i < len(line) && line[i] == '"' {
			quoted = true
			i++
			closed := false
			for i < len(line) {
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						c.unesc = append(c.unesc, '"')
						i += 2
						continue
					}
					closed = true
					i++
					break
				}
				c.unesc = append(c.unesc, line[i])
				i++
			}
			if !closed {
				return nil, inputErrorf("%s:%d: field %d: quote not closed on this line (quoted fields cannot span lines)", c.name, c.line, col)
			}
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if i < len(line) && line[i] != ',' {
				return nil, inputErrorf("%s:%d: field %d: unexpected %q after a closing quote", c.name, c.line, col, line[i])
			}
		} else {
			j := i
			for j < len(line) && line[j] != ',' {
				if line[j] == '"' {
					return nil, inputErrorf("%s:%d: field %d: stray quote inside an unquoted field", c.name, c.line, col)
				}
				j++
			}
			c.unesc = append(c.unesc, bytes.TrimRight(line[i:j], " \t")...)
			i = j
		}
		spans = append(spans, span{lo, len(c.unesc), quoted})
		if i >= len(line) {
			break
		}
		i++ // the comma
	}
	for _, s := range spans {
		c.flds = append(c.flds, csvField{c.unesc[s.lo:s.hi:s.hi], s.quoted})
	}
	return c.flds, nil
}

// csvChunkSize is the amount of text one worker parses at a time (a
// variable so that tests can cut tiny chunks).
var csvChunkSize = 1 << 20

// csvChunk is a run of whole lines of text.
type csvChunk struct {
	buf  *[]byte // the text's buffer, to recycle
	text []byte
	line int // number of the first line of text
}

// csvParsed is the result of parsing a chunk.
type csvParsed[T float32 | float64] struct {
	vals     *[]T
	err      error
	firstRow int // line of the first non-blank line, 0 if none
	blank    int // line of a blank line after the last row, 0 if none
	bytes    int // length of the chunk's text
}

var csvTextPool = sync.Pool{New: func() any { b := make([]byte, 0, csvChunkSize); return &b }}

// csvRows parses the data lines into a flat row-major slice, in parallel
// chunks of whole lines when the input is larger than one chunk.
func csvRows[T float32 | float64](c *csvLines, names []string, bits int) ([]T, error) {
	ncol := len(names)
	workers := 1
	if _, err := c.br.Peek(csvChunkSize); err == nil {
		workers = min(runtime.GOMAXPROCS(0), 16)
	}
	var valPool = sync.Pool{New: func() any { v := make([]T, 0, csvChunkSize/4); return &v }}
	produce := func(emit func(csvChunk) bool) error {
		line := c.line + 1
		var carry []byte
		size := csvChunkSize
		for {
			bp := csvTextPool.Get().(*[]byte)
			if cap(*bp) < size {
				*bp = make([]byte, 0, size)
			}
			buf := append((*bp)[:0], carry...)
			n, err := io.ReadFull(c.br, buf[len(buf):size])
			buf = buf[:len(buf)+n]
			eof := err == io.EOF || err == io.ErrUnexpectedEOF
			if err != nil && !eof {
				return fmt.Errorf("%s:%d: %w", c.name, line, err)
			}
			text := buf
			if !eof {
				k := bytes.LastIndexByte(buf, '\n')
				if k < 0 {
					// One line fills the buffer: read on with a bigger one.
					if size > csvMaxLine {
						return inputErrorf("%s:%d: line longer than %d MiB: not a CSV file?", c.name, line, csvMaxLine>>20)
					}
					carry = append(carry[:0], buf...)
					csvTextPool.Put(bp)
					size *= 2
					continue
				}
				text = buf[:k+1]
				carry = append(carry[:0], buf[k+1:]...)
			}
			*bp = buf
			if len(text) > 0 && !emit(csvChunk{bp, text, line}) {
				return nil
			}
			line += bytes.Count(text, []byte{'\n'})
			if eof {
				return nil
			}
		}
	}
	work := func(ch csvChunk) csvParsed[T] {
		vp := valPool.Get().(*[]T)
		p := csvParseChunk(c.name, names, bits, ch, (*vp)[:0])
		*vp = p.vals
		csvTextPool.Put(ch.buf)
		return csvParsed[T]{vals: vp, err: p.err, firstRow: p.firstRow, blank: p.blank, bytes: len(ch.text)}
	}
	// With the input size known, the values go into one slice reserved
	// from the first chunk's bytes per value; otherwise the chunks' slices
	// are kept and joined at the end (growing one slice by appending
	// would copy it over and over).
	var data []T
	var parts [][]T
	reserved := false
	pending := 0 // a blank line after the last row so far
	consume := func(r csvParsed[T]) error {
		if pending != 0 && r.firstRow != 0 {
			return inputErrorf("%s:%d: blank line inside the data (line %d has more rows)", c.name, pending, r.firstRow)
		}
		if r.err != nil {
			return r.err
		}
		if r.firstRow != 0 {
			pending = r.blank
		} else if pending == 0 {
			pending = r.blank
		}
		vals := *r.vals
		if c.size <= 0 {
			parts = append(parts, vals) // not recycled
			return nil
		}
		if !reserved && len(vals) > 0 {
			reserved = true
			perVal := float64(r.bytes) / float64(len(vals))
			if want := int64(float64(c.size)/perVal*1.02) + int64(len(vals)); want < 1<<40 && want <= int64(math.MaxInt) {
				data = make([]T, 0, int(want)/ncol*ncol+ncol)
			}
		}
		data = append(data, vals...)
		valPool.Put(r.vals)
		return nil
	}
	if err := ioPipeline(workers, produce, work, consume); err != nil {
		return nil, err
	}
	if c.size <= 0 {
		n := 0
		for _, p := range parts {
			n += len(p)
		}
		data = make([]T, 0, n)
		for _, p := range parts {
			data = append(data, p...)
		}
	}
	return data, nil
}

// csvChunkResult is what csvParseChunk returns.
type csvChunkResult[T float32 | float64] struct {
	vals     []T
	err      error
	firstRow int
	blank    int
}

// csvParseChunk parses the rows of one chunk of whole lines, appending
// the values to vals.
func csvParseChunk[T float32 | float64](name string, names []string, bits int, ch csvChunk, vals []T) (res csvChunkResult[T]) {
	c := &csvLines{name: name, line: ch.line - 1}
	ncol := len(names)
	text := ch.text
	defer func() { res.vals = vals }()
	for len(text) > 0 {
		line := text
		if k := bytes.IndexByte(text, '\n'); k >= 0 {
			line, text = text[:k], text[k+1:]
		} else {
			text = nil
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		c.line++
		if csvBlank(line) {
			if res.blank == 0 {
				res.blank = c.line
			}
			continue
		}
		if res.firstRow == 0 {
			res.firstRow = c.line
		}
		if res.blank != 0 {
			res.err = inputErrorf("%s:%d: blank line inside the data (line %d has more rows)", c.name, res.blank, c.line)
			return
		}
		if bytes.IndexByte(line, '"') >= 0 {
			fields, err := c.split(line)
			if err != nil {
				res.err = err
				return
			}
			if len(fields) != ncol {
				res.err = c.ragged(line, len(fields), ncol)
				return
			}
			for j, f := range fields {
				v, st := csvParseFloat(f.b, bits)
				if st != csvOK {
					res.err = c.cellError(names, j, f.b, f.quoted, st, bits)
					return
				}
				vals = append(vals, T(v))
			}
			continue
		}
		if n := bytes.Count(line, []byte{','}) + 1; n != ncol {
			res.err = c.ragged(line, n, ncol)
			return
		}
		for j := 0; j < ncol; j++ {
			f := line
			if k := bytes.IndexByte(line, ','); k >= 0 {
				f, line = line[:k], line[k+1:]
			}
			v, st := csvParseFloat(f, bits)
			if st != csvOK {
				res.err = c.cellError(names, j, f, false, st, bits)
				return
			}
			vals = append(vals, T(v))
		}
	}
	return
}

func (c *csvLines) ragged(line []byte, got, want int) error {
	hint := ""
	if bytes.IndexByte(line, '\r') >= 0 {
		hint = csvCRHint
	} else if got == 1 && (bytes.IndexByte(line, ';') >= 0 || bytes.IndexByte(line, '\t') >= 0) {
		hint = " (only commas separate fields; this line has semicolons or tabs)"
	}
	return inputErrorf("%s:%d: row has %d fields, the header has %d columns%s", c.name, c.line, got, want, hint)
}

// csvCRHint explains a carriage return inside a line.
const csvCRHint = " (the line holds a carriage return not followed by a line feed: old Mac line endings? convert them with tr '\\r' '\\n')"

// csvBinary reports whether the first line of a file looks binary: a NUL
// byte, the .npy magic, or many control bytes.
func csvBinary(line []byte) bool {
	if bytes.HasPrefix(line, npyMagic) || bytes.IndexByte(line, 0) >= 0 {
		return true
	}
	ctl := 0
	head := line[:min(len(line), 512)]
	for _, ch := range head {
		if ch < 0x20 && ch != '\t' && ch != '\r' {
			ctl++
		}
	}
	return ctl > 0 && ctl*10 > len(head)
}

// cellError describes a cell that is not an acceptable number.
func (c *csvLines) cellError(names []string, j int, b []byte, quoted bool, st csvStatus, bits int) error {
	s := string(bytes.Trim(b, " \t"))
	at := fmt.Sprintf("%s:%d: %s", c.name, c.line, ioColumn(names, j))
	hint := csvHint(s, quoted)
	if strings.IndexByte(s, '\r') >= 0 {
		hint = csvCRHint
	}
	s = Clip(s)
	if st == csvRange {
		if bits == 32 {
			return &InputError{Msg: fmt.Sprintf("%s: %s overflows float32 (largest magnitude %g)", at, s, math.MaxFloat32), Fix: FixFloat64}
		}
		return inputErrorf("%s: %s overflows float64 (largest magnitude %g)", at, s, math.MaxFloat64)
	}
	if s == "" {
		return inputErrorf("%s: empty cell (a missing value?)", at)
	}
	return inputErrorf("%s: %q is not a number%s", at, s, hint)
}

// csvHint explains why a cell that some parsers accept is rejected.
func csvHint(s string, quoted bool) string {
	l := strings.ToLower(strings.TrimLeft(s, "+-"))
	switch {
	case l == "nan":
		return " (NaN is not allowed)"
	case l == "inf" || l == "infinity" || l == "infty":
		return " (infinite values are not allowed)"
	case strings.HasPrefix(l, "0x"):
		return " (hexadecimal numbers are not allowed)"
	case strings.Contains(s, "_"):
		return " (digit separators '_' are not allowed)"
	case strings.Contains(s, ","):
		if quoted && strings.Trim(s, "0123456789+-.,eE ") == "" {
			return " (decimal comma? use '.' as the decimal separator)"
		}
	}
	return ""
}

type csvStatus uint8

const (
	csvOK    csvStatus = iota
	csvBad             // not a plain decimal number
	csvRange           // overflows the precision
)

var csvPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

var csvPow10f32 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// csvParseFloat parses a plain decimal number, surrounded by optional
// spaces or tabs, rounding it correctly to float64 (bits 64) or float32
// (bits 32; the result is then exactly a float32). It accepts
//
//	[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
//
// and nothing else: no NaN, Inf, hex, underscores. A value that rounds to
// ±Inf reports csvRange.
func csvParseFloat(b []byte, bits int) (float64, csvStatus) {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	i, n := 0, len(b)
	neg := false
	if i < n && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var mant uint64
	nd, exp := 0, 0
	digits, trunc := false, false
	for ; i < n && b[i]-'0' < 10; i++ {
		digits = true
		d := uint64(b[i] - '0')
		switch {
		case mant == 0 && d == 0:
		case nd < 19:
			mant = mant*10 + d
			nd++
		default:
			trunc = trunc || d != 0
			exp++
		}
	}
	if i < n && b[i] == '.' {
		i++
		for ; i < n && b[i]-'0' < 10; i++ {
			digits = true
			d := uint64(b[i] - '0')
			switch {
			case mant == 0 && d == 0:
				exp--
			case nd < 19:
				mant = mant*10 + d
				nd++
				exp--
			default:
				trunc = trunc || d != 0
			}
		}
	}
	if !digits {
		return 0, csvBad
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < n && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		if i == n {
			return 0, csvBad
		}
		e := 0
		for ; i < n && b[i]-'0' < 10; i++ {
			if e < 1e8 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != n {
		return 0, csvBad
	}
	if mant == 0 {
		if neg {
			return math.Copysign(0, -1), csvOK
		}
		return 0, csvOK
	}
	if !trunc && bits == 32 && mant < 1<<24 && exp >= -10 && exp <= 10 {
		// Exact fast path (Clinger) in float32: the mantissa and the
		// power of ten are both exact, so one rounding is correct.
		f := float32(mant)
		if exp < 0 {
			f /= csvPow10f32[-exp]
		} else {
			f *= csvPow10f32[exp]
		}
		if neg {
			f = -f
		}
		return float64(f), csvOK
	}
	var f float64
	if !trunc && mant < 1<<53 && exp >= -22 && exp <= 22 {
		// The same in float64.
		f = float64(mant)
		if exp < 0 {
			f /= csvPow10[-exp]
		} else {
			f *= csvPow10[exp]
		}
		if neg {
			f = -f
		}
	} else {
		var err error
		f, err = strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, csvBad // unreachable: the syntax was checked
		}
		if math.IsInf(f, 0) {
			return 0, csvRange // overflows float64, so float32 too
		}
	}
	if bits == 64 {
		return f, csvOK
	}
	// float32: rounding the correctly rounded float64 again is correct
	// unless it landed exactly on a midpoint between two float32 values
	// (the midpoints are float64 numbers, and rounding is monotonic), the
	// 29 fraction bits float32 drops being 1000…0. Subnormal and
	// overflowing float32 results take strconv's float32 path too.
	if a := math.Abs(f); a >= 0x1p-126 && a <= math.MaxFloat32 && math.Float64bits(f)&(1<<29-1) != 1<<28 {
		return float64(float32(f)), csvOK
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 32)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, csvBad
	}
	if math.IsInf(f, 0) {
		return 0, csvRange
	}
	return f, csvOK
}

// WriteCSV writes t as CSV: a header line with the column names (quoted
// where needed), then one line per row with every value in the shortest
// form that reads back to the same float64 (or float32, for an F32 table).
// It refuses NaN and infinite values, which ReadCSV would reject.
func WriteCSV(w io.Writer, t *Table) error {
	if err := t.Check(); err != nil {
		return err
	}
	if i, j, bad := ioFirstNonFinite(t); bad {
		return fmt.Errorf("lsgd: WriteCSV: row %d, %s holds %v, which CSV cannot carry", i+1, ioColumn(t.Names, j), t.At(i, j))
	}
	var head []byte
	for j := 0; j < t.Cols; j++ {
		name := t.Name(j)
		if strings.ContainsAny(name, "\r\n") {
			return fmt.Errorf("lsgd: WriteCSV: column %d name %q contains a line break", j+1, name)
		}
		if j > 0 {
			head = append(head, ',')
		}
		head = csvAppendName(head, name)
	}
	head = append(head, '\n')
	if _, err := w.Write(head); err != nil {
		return err
	}
	// Format blocks of about a megabyte of text in parallel; write them
	// in order.
	block := max(1, (1<<20)/(t.Cols*20))
	workers := 1
	if t.Rows > block {
		workers = min(runtime.GOMAXPROCS(0), 16)
	}
	produce := func(emit func(int) bool) error {
		for lo := 0; lo < t.Rows; lo += block {
			if !emit(lo) {
				break
			}
		}
		return nil
	}
	work := func(lo int) *[]byte {
		bp := csvTextPool.Get().(*[]byte)
		*bp = csvFormatRows((*bp)[:0], t, lo, min(lo+block, t.Rows))
		return bp
	}
	consume := func(bp *[]byte) error {
		_, err := w.Write(*bp)
		csvTextPool.Put(bp)
		return err
	}
	return ioPipeline(workers, produce, work, consume)
}

// csvFormatRows appends rows lo…hi−1 of t as CSV lines to b.
func csvFormatRows(b []byte, t *Table, lo, hi int) []byte {
	for i := lo; i < hi; i++ {
		off := i * t.Stride
		if t.F32 != nil {
			for j, v := range t.F32[off : off+t.Cols] {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
			}
		} else {
			for j, v := range t.F64[off : off+t.Cols] {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
		}
		b = append(b, '\n')
	}
	return b
}

// csvAppendName appends a header field, quoted when it would not read back
// unchanged otherwise.
func csvAppendName(b []byte, name string) []byte {
	plain := name != "" && !strings.ContainsAny(name, ",\"") &&
		strings.Trim(name, " \t") == name && !strings.HasPrefix(name, "\ufeff")
	if _, st := csvParseFloat([]byte(name), 64); st != csvBad {
		plain = false // keep a numeric-looking name a name
	}
	if plain {
		return append(b, name...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(name, `"`, `""`)...)
	return append(b, '"')
}
