package tableio

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// withChunkSize runs f with CSV chunks of size bytes, so that small inputs
// take the parallel path with chunk boundaries everywhere.
func withChunkSize(t *testing.T, size int, f func()) {
	t.Helper()
	old := csvChunkSize
	csvChunkSize = size
	defer func() { csvChunkSize = old }()
	f()
}

// chunkSizes are the chunk sizes every CSV test runs under: the real one
// (one sequential chunk for small inputs) and tiny ones (parallel, chunk
// boundaries inside every few lines).
var chunkSizes = []int{1 << 20, 1, 7, 64}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		opt    ReadOptions
		names  []string
		target int
		rows   [][]float64
	}{
		{"basic", "a,b,y\n1,2,3\n4,5,6\n", ReadOptions{}, []string{"a", "b", "y"}, 2,
			[][]float64{{1, 2, 3}, {4, 5, 6}}},
		{"crlf, bom, blank end", "\xef\xbb\xbfa,b\r\n1,2\r\n-3.5e2,.5\r\n\r\n  \n", ReadOptions{}, []string{"a", "b"}, 1,
			[][]float64{{1, 2}, {-350, 0.5}}},
		{"no final newline", "a,b\n1,2", ReadOptions{}, []string{"a", "b"}, 1, [][]float64{{1, 2}}},
		{"target by name", "x1,y,x2\n1,2,3\n", ReadOptions{Target: "y"}, []string{"x1", "y", "x2"}, 1,
			[][]float64{{1, 2, 3}}},
		{"target by index", "x1,y,x2\n1,2,3\n", ReadOptions{Target: "1"}, []string{"x1", "y", "x2"}, 0,
			[][]float64{{1, 2, 3}}},
		{"name: prefix", "3,b,c\n1,2,3\n", ReadOptions{Target: "name:3"}, []string{"3", "b", "c"}, 0,
			[][]float64{{1, 2, 3}}},
		{"index: prefix", "3,b,c\n1,2,3\n", ReadOptions{Target: "index:3"}, []string{"3", "b", "c"}, 2,
			[][]float64{{1, 2, 3}}},
		{"numeric name at its own index", "a,2,c\n1,2,3\n", ReadOptions{Target: "2"}, []string{"a", "2", "c"}, 1,
			[][]float64{{1, 2, 3}}},
		{"numeric name beyond the columns", "a,9,c\n1,2,3\n", ReadOptions{Target: "9"}, []string{"a", "9", "c"}, 1,
			[][]float64{{1, 2, 3}}},
		{"quotes and spaces", "\"a,1\", \"b\"\"q\" ,c\n \"1.5\" , 2 ,\t+3.\n", ReadOptions{}, []string{"a,1", `b"q`, "c"}, 2,
			[][]float64{{1.5, 2, 3}}},
		{"exponents and zeros", "a,b,c,d\n1E3,-0,0e999999,007.50\n", ReadOptions{}, []string{"a", "b", "c", "d"}, 3,
			[][]float64{{1000, math.Copysign(0, -1), 0, 7.5}}},
		{"float32", "a,b\n0.1,3.4028235e38\n", ReadOptions{Precision: F32}, []string{"a", "b"}, 1,
			[][]float64{{float64(float32(0.1)), math.MaxFloat32}}},
		{"float64 extremes", "a,b\n1.7976931348623157e308,4.9e-324\n", ReadOptions{}, []string{"a", "b"}, 1,
			[][]float64{{math.MaxFloat64, math.SmallestNonzeroFloat64}}},
		{"long digits", "a,b\n0.1000000000000000055511151231257827,123456789012345678901234567890\n", ReadOptions{}, []string{"a", "b"}, 1,
			[][]float64{{0.1, 1.2345678901234568e29}}},
	}
	for _, cs := range chunkSizes {
		for _, tc := range tests {
			withChunkSize(t, cs, func() {
				tab, err := ReadCSV(strings.NewReader(tc.in), "data.csv", tc.opt)
				if err != nil {
					t.Fatalf("%s (chunk %d): %v", tc.name, cs, err)
				}
				// A reader of unknown size, one byte at a time, gives the
				// same table.
				tab1, err := ReadCSV(iotest.OneByteReader(strings.NewReader(tc.in)), "data.csv", tc.opt)
				if err != nil {
					t.Fatalf("%s (chunk %d, one byte at a time): %v", tc.name, cs, err)
				}
				if err := sameValues(tab, tab1); err != nil {
					t.Fatalf("%s (chunk %d, one byte at a time): %v", tc.name, cs, err)
				}
				if err := tab.Check(); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if fmt.Sprint(tab.Names) != fmt.Sprint(tc.names) || tab.Target != tc.target || tab.Source != "data.csv" {
					t.Fatalf("%s: names %q target %d; want %q %d", tc.name, tab.Names, tab.Target, tc.names, tc.target)
				}
				if tab.Rows != len(tc.rows) || tab.Cols != len(tc.names) || tab.Precision() != tc.opt.Precision {
					t.Fatalf("%s: %d×%d %v; want %d×%d", tc.name, tab.Rows, tab.Cols, tab.Precision(), len(tc.rows), len(tc.names))
				}
				for i, row := range tc.rows {
					for j, want := range row {
						if got := tab.At(i, j); math.Float64bits(got) != math.Float64bits(want) {
							t.Errorf("%s: [%d,%d] = %v; want %v", tc.name, i, j, got, want)
						}
					}
				}
			})
		}
	}
}

// csvErrorCases are inputs ReadCSV must reject, with the pieces the message
// must contain (file, line, column).
var csvErrorCases = []struct {
	name string
	in   string
	opt  ReadOptions
	want []string
}{
	{"non-numeric", "a,b,x3\n1,2,3\n4,5,abc\n", ReadOptions{}, []string{`data.csv:3: column "x3" (3): "abc" is not a number`}},
	{"nan", "a,b\n1,nan\n", ReadOptions{}, []string{`data.csv:2: column "b" (2): "nan" is not a number`, "NaN"}},
	{"NaN", "a,b\n1,2\nNaN,1\n", ReadOptions{}, []string{`data.csv:3: column "a" (1): "NaN"`}},
	{"-nan", "a,b\n1,-nan\n", ReadOptions{}, []string{`data.csv:2: column "b" (2): "-nan"`}},
	{"inf", "a,b\n1,inf\n", ReadOptions{}, []string{`data.csv:2: column "b" (2): "inf" is not a number`, "infinite"}},
	{"-Inf", "a,b\n-Inf,1\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "-Inf"`, "infinite"}},
	{"+Infinity", "a,b\n1,+Infinity\n", ReadOptions{}, []string{`data.csv:2: column "b" (2)`, "infinite"}},
	{"INFINITY", "a,b\n1,INFINITY\n", ReadOptions{}, []string{`data.csv:2: column "b" (2)`, "infinite"}},
	{"underscore", "a,b\n1_000,1\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "1_000" is not a number`, "'_'"}},
	{"hex float", "a,b\n0x1p3,1\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "0x1p3" is not a number`, "hexadecimal"}},
	{"hex int", "a,b\n1,0X10\n", ReadOptions{}, []string{`data.csv:2: column "b" (2): "0X10"`, "hexadecimal"}},
	{"decimal comma", "a,b\n1,\"1,5\"\n", ReadOptions{}, []string{`data.csv:2: column "b" (2): "1,5" is not a number`, "decimal comma"}},
	{"empty cell", "a,b,c\n1,,3\n", ReadOptions{}, []string{`data.csv:2: column "b" (2): empty cell`}},
	{"trailing comma", "a,b\n1,2,\n", ReadOptions{}, []string{"data.csv:2: row has 3 fields, the header has 2 columns"}},
	{"short row", "a,b,c\n1,2,3\n1,2\n", ReadOptions{}, []string{"data.csv:3: row has 2 fields, the header has 3 columns"}},
	{"long quoted row", "a,b\n\"1\",2,3\n", ReadOptions{}, []string{"data.csv:2: row has 3 fields, the header has 2 columns"}},
	{"empty file", "", ReadOptions{}, []string{"data.csv: empty file"}},
	{"blank file", "\n \r\n", ReadOptions{}, []string{"data.csv: empty file"}},
	{"header only", "a,b\n", ReadOptions{}, []string{"data.csv: no data rows"}},
	{"header only no newline", "a,b", ReadOptions{}, []string{"data.csv: no data rows"}},
	{"header and blanks", "a,b\n\n\n", ReadOptions{}, []string{"data.csv: no data rows"}},
	{"unknown target", "a,b\n1,2\n", ReadOptions{Target: "z"}, []string{`data.csv: no column named "z"`, `"a", "b"`}},
	{"target 0", "a,b\n1,2\n", ReadOptions{Target: "0"}, []string{"data.csv: target column 0 is out of range", "2 columns"}},
	{"target too big", "a,b\n1,2\n", ReadOptions{Target: "3"}, []string{"data.csv: target column 3 is out of range"}},
	{"duplicate name", "a,b,a\n1,2,3\n", ReadOptions{}, []string{`data.csv:1: header: duplicate column name "a" (columns 1 and 3)`}},
	{"empty name", "a,,c\n1,2,3\n", ReadOptions{}, []string{"data.csv:1: header: column 2 has no name"}},
	{"numeric header", "1,2\n3,4\n", ReadOptions{}, []string{"data.csv:1: the first line holds numbers"}},
	{"one column", "a\n1\n", ReadOptions{}, []string{"data.csv:1: header has 1 column"}},
	{"semicolons", "a;b\n1;2\n", ReadOptions{}, []string{"data.csv:1: header has 1 column", "semicolons"}},
	{"blank inside", "a,b\n1,2\n\n3,4\n", ReadOptions{}, []string{"data.csv:3: blank line inside the data (line 4 has more rows)"}},
	{"blanks inside", "a,b\n1,2\n\n \n3,4\n", ReadOptions{}, []string{"data.csv:3: blank line inside the data (line 5 has more rows)"}},
	{"f32 overflow", "a,b\n1,2\n3,-1e39\n", ReadOptions{Precision: F32}, []string{`data.csv:3: column "b" (2): -1e39 overflows float32`, "largest magnitude"}},
	{"f32 overflow just above", "a,b\n3.40282357e38,1\n", ReadOptions{Precision: F32}, []string{`data.csv:2: column "a" (1): 3.40282357e38 overflows float32`}},
	{"f64 overflow", "a,b\n1e309,1\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): 1e309 overflows float64`}},
	{"f64 overflow digits", "a,b\n1," + strings.Repeat("9", 400) + "\n", ReadOptions{}, []string{`data.csv:2: column "b" (2)`, "overflows float64"}},
	{"unclosed quote", "a,b\n1,\"2\n", ReadOptions{}, []string{"data.csv:2: field 2: quote not closed"}},
	{"stray quote", "a,b\n1,2\"3\n", ReadOptions{}, []string{"data.csv:2: field 2: stray quote"}},
	{"after quote", "a,b\n\"1\"x,2\n", ReadOptions{}, []string{"data.csv:2: field 1: unexpected 'x' after a closing quote"}},
	{"bare CR", "a,b\r1,2\r", ReadOptions{}, []string{"data.csv:1: header contains a carriage return"}},
	{"bad exponent", "a,b\n1e,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "1e" is not a number`}},
	{"exponent sign only", "a,b\n1,2e+\n", ReadOptions{}, []string{`data.csv:2: column "b" (2): "2e+"`}},
	{"lone dot", "a,b\n.,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "."`}},
	{"lone sign", "a,b\n-,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "-"`}},
	{"two signs", "a,b\n+-1,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "+-1"`}},
	{"two dots", "a,b\n1.2.3,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "1.2.3"`}},
	{"fractional exponent", "a,b\n1e5.5,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "1e5.5"`}},
	{"inner space", "a,b\n1 2,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "1 2"`}},
	{"d exponent", "a,b\n1d5,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "1d5"`}},
	{"percent", "a,b\n5%,2\n", ReadOptions{}, []string{`data.csv:2: column "a" (1): "5%"`}},
	// A bare target that is one column's name and another's index.
	{"ambiguous target", "2,b,c\n1,2,3\n", ReadOptions{Target: "2"}, []string{`target "2" is ambiguous`, "name:2", "index:2"}},
	{"index: not a number", "a,b\n1,2\n", ReadOptions{Target: "index:b"}, []string{`target "index:b"`, "index:N"}},
	{"name: unknown", "a,b\n1,2\n", ReadOptions{Target: "name:2"}, []string{`no column named "2"`}},
	// A carriage return alone inside a data line, as a separator or in a cell.
	{"CR between rows", "a,b,c\n1,2,3\r4,5,6\n", ReadOptions{}, []string{"data.csv:2: row has 5 fields", "carriage return"}},
	{"CR in a cell", "a,b\n1,2\r3\n", ReadOptions{}, []string{`data.csv:2: column "b" (2)`, "carriage return"}},
	{"CR in a quoted row", "a,b\n\"1\",2\r3,4\n", ReadOptions{}, []string{"data.csv:2: row has 3 fields", "carriage return"}},
	// Binary data given as CSV.
	{"npy as csv", "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }\n\x00\x00", ReadOptions{},
		[]string{"data.csv:1: this looks like a .npy file"}},
	{"NUL bytes", "a\x00b,c\n1,2\n", ReadOptions{}, []string{"data.csv:1: this looks like a binary file"}},
	{"control bytes", "\x01\x02\x03\x04,\x05\n1,2\n", ReadOptions{}, []string{"binary file"}},
	// Header names that a model (JSON) could not carry back.
	{"latin-1 name", "caf\xe9,y\n1,2\n", ReadOptions{}, []string{"data.csv:1: header: column 1 name", "not valid UTF-8"}},
	{"truncated UTF-8 name", "a,\xe2\x82,y\n1,2,3\n", ReadOptions{}, []string{"column 2 name", "not valid UTF-8"}},
	{"late error line", "a,b\n" + strings.Repeat("1,2\n", 500) + "1,x\n", ReadOptions{}, []string{`data.csv:502: column "b" (2): "x"`}},
}

func TestReadCSVErrors(t *testing.T) {
	for _, cs := range chunkSizes {
		for _, tc := range csvErrorCases {
			withChunkSize(t, cs, func() {
				tab, err := ReadCSV(strings.NewReader(tc.in), "data.csv", tc.opt)
				if err == nil {
					t.Fatalf("%s (chunk %d): accepted %q: %d×%d", tc.name, cs, tc.in, tab.Rows, tab.Cols)
				}
				_, err1 := ReadCSV(iotest.OneByteReader(strings.NewReader(tc.in)), "data.csv", tc.opt)
				if err1 == nil || err1.Error() != err.Error() {
					t.Errorf("%s (chunk %d): one byte at a time: %v; want %v", tc.name, cs, err1, err)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s (chunk %d): error %q\n\tdoes not contain %q", tc.name, cs, err, w)
					}
				}
				if !errors.Is(err, ErrInput) {
					t.Errorf("%s: error %q is not an input error", tc.name, err)
				}
				checkFix(t, tc.name, err)
			})
		}
	}
}

// TestReadCSVLargeLines checks errors and values far into an input that
// takes the parallel path with real chunk sizes, and a line longer than a
// chunk.
func TestReadCSVLargeLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,y\n")
	n := 100000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,%d.5\n", i, -i)
	}
	good := b.String()
	tab, err := ReadCSV(strings.NewReader(good), "big.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != n || tab.At(n-1, 0) != float64(n-1) || tab.At(77777, 1) != -77777.5 {
		t.Fatalf("rows %d, last %v, [77777,1] %v", tab.Rows, tab.At(n-1, 0), tab.At(77777, 1))
	}
	// Sized path (LoadTable) agrees.
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	tab2, err := LoadTable(path, ReadOptions{Precision: F32})
	if err != nil {
		t.Fatal(err)
	}
	if tab2.Rows != n || tab2.At(n-1, 1) != -float64(n-1)-0.5 {
		t.Fatalf("LoadTable: rows %d, last %v", tab2.Rows, tab2.At(n-1, 1))
	}
	for _, line := range []int{2, 50000, 99999, n + 1} {
		lines := strings.SplitAfter(good, "\n")
		lines[line-1] = "1,oops\n"
		_, err := ReadCSV(strings.NewReader(strings.Join(lines, "")), "big.csv", ReadOptions{})
		want := fmt.Sprintf(`big.csv:%d: column "y" (2): "oops" is not a number`, line)
		if err == nil || err.Error() != want {
			t.Errorf("error %v; want %s", err, want)
		}
		lines[line-1] = "\n"
		_, err = ReadCSV(strings.NewReader(strings.Join(lines, "")), "big.csv", ReadOptions{})
		if line <= n {
			want = fmt.Sprintf(`big.csv:%d: blank line inside the data (line %d has more rows)`, line, line+1)
			if err == nil || err.Error() != want {
				t.Errorf("error %v; want %s", err, want)
			}
		} else if err != nil {
			t.Errorf("blank last line: %v", err)
		}
	}
	long := "a,b\n1," + strings.Repeat("0", 3<<20) + "1\n2,3\n"
	tab, err = ReadCSV(strings.NewReader(long), "long.csv", ReadOptions{})
	if err != nil || tab.Rows != 2 || tab.At(0, 1) != 1 || tab.At(1, 1) != 3 {
		t.Fatalf("long line: %v", err)
	}
}

func TestLoadTableErrors(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "data.txt")
	os.WriteFile(txt, []byte("a,b\n1,2\n"), 0o644)
	noext := filepath.Join(dir, "data")
	os.WriteFile(noext, []byte("a,b\n1,2\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "d.csv"), 0o755)
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.csv"), "missing.csv: cannot open: no such file or directory"},
		{filepath.Join(dir, "missing.npy"), "missing.npy: cannot open: no such file or directory"},
		{filepath.Join(dir, "d.csv"), "d.csv: is a directory"},
		{txt, `data.txt: unsupported file type ".txt"`},
		{noext, "data: file name has no extension"},
	} {
		_, err := LoadTable(tc.path, ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadTable(%s) = %v; want %q", tc.path, err, tc.want)
		}
	}
	_, err := LoadTable(filepath.Join(dir, "missing.csv"), ReadOptions{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v is not ErrNotExist", err)
	}
}

// randomTable returns a rows×cols table of awkward values: extremes,
// signed zeros, subnormals, integers, values with long expansions.
func randomTable(r *rand.Rand, rows, cols int, p Precision) *Table {
	t := NewTable(rows, cols, p)
	special := []float64{0, math.Copysign(0, -1), 1, -1, math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, 2.2250738585072014e-308, 1e22, 1e23, 0.1, 1.0 / 3, 123456789012345678}
	if p == F32 {
		special = []float64{0, math.Copysign(0, -1), 1, math.MaxFloat32, -math.MaxFloat32,
			math.SmallestNonzeroFloat32, 1e10, 0.1, 16777217}
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			var v float64
			switch r.IntN(4) {
			case 0:
				v = special[r.IntN(len(special))]
			case 1:
				v = float64(r.IntN(2000) - 1000)
			case 2:
				v = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
			default:
				v = math.Float64frombits(r.Uint64())
				if math.IsNaN(v) || math.IsInf(v, 0) {
					v = 0.5
				}
			}
			t.Set(i, j, v)
		}
	}
	if p == F32 {
		for k, v := range t.F32 {
			if math.IsInf(float64(v), 0) {
				t.F32[k] = 2
			}
		}
	}
	return t
}

func sameValues(a, b *Table) error {
	if a.Rows != b.Rows || a.Cols != b.Cols || a.Precision() != b.Precision() {
		return fmt.Errorf("shape %d×%d %v vs %d×%d %v", a.Rows, a.Cols, a.Precision(), b.Rows, b.Cols, b.Precision())
	}
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < a.Cols; j++ {
			if x, y := a.At(i, j), b.At(i, j); math.Float64bits(x) != math.Float64bits(y) {
				return fmt.Errorf("[%d,%d]: %v vs %v", i, j, x, y)
			}
		}
	}
	return nil
}

func TestWriteCSVRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range []Precision{F64, F32} {
		for _, shape := range [][2]int{{1, 2}, {7, 3}, {20000, 5}} {
			tab := randomTable(r, shape[0], shape[1], p)
			tab.Names[0] = "\ufeff" + `a "quoted", name`
			if shape[1] > 2 {
				tab.Names[1] = " 1e5"
			}
			tab.Target = shape[1] / 2
			var buf bytes.Buffer
			if err := WriteCSV(&buf, tab); err != nil {
				t.Fatal(err)
			}
			back, err := ReadCSV(&buf, "rt.csv", ReadOptions{Target: strconv.Itoa(tab.Target + 1), Precision: p})
			if err != nil {
				t.Fatalf("%v %v: %v", p, shape, err)
			}
			if err := sameValues(tab, back); err != nil {
				t.Fatalf("%v %v: %v", p, shape, err)
			}
			if fmt.Sprintf("%q", back.Names) != fmt.Sprintf("%q", tab.Names) || back.Target != tab.Target {
				t.Fatalf("names %q target %d; want %q %d", back.Names, back.Target, tab.Names, tab.Target)
			}
		}
	}
}

func TestWriteCSVStrideAndErrors(t *testing.T) {
	tab := &Table{Names: []string{"a", "y"}, Rows: 2, Cols: 2, Stride: 3, Target: 1,
		F64: []float64{1, 2, 99, 3, 4}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tab); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "a,y\n1,2\n3,4\n"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
	tab.F64[3] = math.NaN()
	if err := WriteCSV(&buf, tab); err == nil || !strings.Contains(err.Error(), `row 2, column "a" (1) holds NaN`) {
		t.Fatalf("NaN: %v", err)
	}
	tab.F64[3] = 0
	tab.Names[0] = "a\nb"
	if err := WriteCSV(&buf, tab); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Fatalf("newline in name: %v", err)
	}
}

// TestCSVParseFloat compares the parser with strconv on numbers it must
// accept, and checks what it must reject.
func TestCSVParseFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var cases []string
	for range 20000 {
		v := math.Float64frombits(r.Uint64())
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		cases = append(cases,
			strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(v, 'e', r.IntN(25), 64),
			strconv.FormatFloat(float64(float32(v)), 'g', -1, 32),
			strconv.FormatFloat(r.NormFloat64()*1e6, 'f', r.IntN(12), 64),
			strconv.Itoa(r.IntN(1<<30)-1<<29))
	}
	// Decimals at and next to float32 rounding midpoints, where rounding
	// to float64 first and then to float32 can go wrong.
	for range 5000 {
		v := math.Float32frombits(r.Uint32() & 0x7f7fffff)
		m := (float64(v) + float64(math.Nextafter32(v, float32(math.Inf(1))))) / 2
		cases = append(cases, strconv.FormatFloat(m, 'g', -1, 64), strconv.FormatFloat(m, 'e', 70, 64),
			strconv.FormatFloat(m, 'e', 16, 64), strconv.FormatFloat(m, 'e', 17, 64),
			strconv.FormatFloat(math.Nextafter(m, 0), 'g', -1, 64), strconv.FormatFloat(math.Nextafter(m, 1e300), 'g', -1, 64))
	}
	cases = append(cases, "1.", ".1", "+.1e+1", "-0.e-0", "00000.00001", "9007199254740993", "4.9e-324", "2.4e-324",
		"1e-400", "3.4028235e38", "3.4028235677973366e38", "1.401298464324817e-45", "7e-46")
	for _, s := range cases {
		if strings.Contains(s, "Inf") {
			continue // float32(v) overflowed
		}
		for _, bits := range []int{64, 32} {
			want, err := strconv.ParseFloat(s, bits)
			got, st := csvParseFloat([]byte(s), bits)
			if err != nil {
				if st != csvRange {
					t.Errorf("%q/%d: status %d; want range error", s, bits, st)
				}
				continue
			}
			if st != csvOK || math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%q/%d: %v (status %d); want %v", s, bits, got, st, want)
			}
		}
	}
	for _, s := range []string{"", " ", "nan", "NaN", "inf", "-Inf", "infinity", "0x10", "0x1p-2", "1_0", "1__0", "e1",
		"1e", "--1", "1-", "1..", "..1", "1,5", "∞", "1e1e1", "0b101", "0o17", "1i", "١"} {
		if _, st := csvParseFloat([]byte(s), 64); st != csvBad {
			t.Errorf("%q: status %d; want rejected", s, st)
		}
	}
}

// checkFix checks that an error names float64 storage as its fix exactly
// when it is a float32 overflow (the case names say "f32 overflow").
func checkFix(t *testing.T, name string, err error) {
	t.Helper()
	var ie *InputError
	errors.As(err, &ie)
	want := NoFix
	if strings.Contains(name, "f32 overflow") {
		want = FixFloat64
	}
	if ie == nil || ie.Fix != want {
		t.Errorf("%s: error %q: fix %v; want %v", name, err, ie, want)
	}
}

// Messages quote at most the first few dozen bytes of a cell or a name,
// whatever its size or alphabet, and stay valid UTF-8.
func TestReadCSVErrorsClipped(t *testing.T) {
	big := func(unit string, n int) string { return strings.Repeat(unit, n/len(unit)) }
	cases := []struct{ name, in string }{
		{"letters", "a,b\n1," + big("x", 1<<20) + "\n"},
		{"digits then junk", "a,b\n1," + big("9", 1<<20) + "z\n"},
		{"quoted", "a,b\n1,\"" + big("q", 1<<20) + "\"\n"},
		{"multibyte", "a,b\n" + big("é", 1<<20) + ",1\n"},
		{"duplicate long name", big("n", 1<<20) + "," + big("n", 1<<20) + "\n1,2\n"},
		{"unknown target among long names", big("m", 1<<20) + ",y\n1,2\n"},
		{"non-UTF-8 long name", big("\xff", 1<<20) + ",y\n1,2\n"},
	}
	for _, c := range cases {
		opt := ReadOptions{}
		if strings.HasPrefix(c.name, "unknown target") {
			opt.Target = "z"
		}
		_, err := ReadCSV(strings.NewReader(c.in), "data.csv", opt)
		if err == nil {
			t.Fatalf("%s: accepted", c.name)
		}
		msg := err.Error()
		if len(msg) > 400 {
			t.Errorf("%s: message is %d bytes: %.200s…", c.name, len(msg), msg)
		}
		if !utf8.ValidString(msg) {
			t.Errorf("%s: message is not valid UTF-8: %q", c.name, msg)
		}
		if !strings.Contains(msg, "bytes)") {
			t.Errorf("%s: message does not say how long the clipped text is: %s", c.name, msg)
		}
	}
}
