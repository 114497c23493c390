package tableio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// npyFile builds a .npy file from its parts: version, header text (padded
// with spaces and a newline to a multiple of 64 bytes) and data.
func npyFile(major byte, header string, data []byte) []byte {
	pre := 10
	if major > 1 {
		pre = 12
	}
	pad := (64 - (pre+len(header)+1)%64) % 64
	h := header + strings.Repeat(" ", pad) + "\n"
	b := append([]byte("\x93NUMPY"), major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	b = append(b, h...)
	return append(b, data...)
}

func f64Bytes(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func f32Bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The files in testdata/npy were written by NumPy 1.24.2 (see gen.py); the
// values of the 2×3 array they hold.
var npyWant = [][]float64{{1.5, -2, 3}, {4, 5e-300, 6.25}}

func TestReadNPYNumPyFiles(t *testing.T) {
	for _, file := range []string{"f8.npy", "f4.npy", "v2.npy", "v3.npy"} {
		for _, p := range []Precision{F64, F32} {
			tab, err := ReadNPY(filepath.Join("testdata", "npy", file), ReadOptions{Precision: p})
			if err != nil {
				t.Fatalf("%s %v: %v", file, p, err)
			}
			if err := tab.Check(); err != nil {
				t.Fatal(err)
			}
			if tab.Rows != 2 || tab.Cols != 3 || tab.Stride != 3 || tab.Target != 2 || tab.Precision() != p ||
				fmt.Sprint(tab.Names) != "[x1 x2 y]" {
				t.Fatalf("%s %v: %d×%d stride %d target %d %v %v", file, p, tab.Rows, tab.Cols, tab.Stride, tab.Target, tab.Precision(), tab.Names)
			}
			for i, row := range npyWant {
				for j, w := range row {
					if file == "f4.npy" || p == F32 {
						w = float64(float32(w))
					}
					if got := tab.At(i, j); got != w {
						t.Errorf("%s %v: [%d,%d] = %v; want %v", file, p, i, j, got, w)
					}
				}
			}
		}
	}
	for target, want := range map[string]int{"": 2, "1": 0, "2": 1, "3": 2, "x1": 0, "x2": 1, "y": 2} {
		tab, err := ReadNPY("testdata/npy/f8.npy", ReadOptions{Target: target})
		if err != nil || tab.Target != want || tab.Names[want] != "y" {
			t.Errorf("target %q: %v, target %d; want %d", target, err, tab.Target, want)
		}
	}
	tab, _ := LoadTable("testdata/npy/f8.npy", ReadOptions{Target: "1"})
	if fmt.Sprint(tab.Names) != "[y x1 x2]" || tab.FeatureNames()[0] != "x1" {
		t.Errorf("names %v", tab.Names)
	}
}

// npyErrorCases are .npy inputs ReadNPY must reject and what the message
// must say.
var npyErrorCases = []struct {
	name string
	data []byte
	opt  ReadOptions
	want string
}{
	{"truncated data", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", f64Bytes(1, 2, 3, 4, 5)), ReadOptions{},
		"x.npy: truncated: shape (2, 3) of <f8 needs 48 bytes of data, the file has 40"},
	{"one byte short", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", []byte{0, 0, 0, 0, 0, 0, 0}), ReadOptions{},
		"truncated"},
	{"trailing bytes", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f64Bytes(1, 2, 3)), ReadOptions{},
		"x.npy: 8 unexpected bytes after the 1×2 array"},
	{"huge shape", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 8), }", nil), ReadOptions{},
		"too large"},
	{"big shape", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000), }", nil), ReadOptions{},
		"truncated"},
	{"int64", npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }", f64Bytes(1, 2)), ReadOptions{},
		`x.npy: unsupported dtype "<i8": want little-endian float64 '<f8' or float32 '<f4'`},
	{"big endian", npyFile(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2), }", f64Bytes(1, 2)), ReadOptions{},
		`unsupported dtype ">f8"`},
	{"float16", npyFile(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }", []byte{0, 0, 0, 0}), ReadOptions{},
		`unsupported dtype "<f2"`},
	{"fortran", npyFile(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (1, 2), }", f64Bytes(1, 2)), ReadOptions{},
		"Fortran (column-major) order"},
	{"1-D", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f64Bytes(1, 2)), ReadOptions{},
		"x.npy: array has 1 dimensions, shape [2]: want a 2-D array"},
	{"0-D", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", f64Bytes(1)), ReadOptions{},
		"array has 0 dimensions"},
	{"3-D", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2), }", f64Bytes(1, 2)), ReadOptions{},
		"array has 3 dimensions"},
	{"one column", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", f64Bytes(1, 2)), ReadOptions{},
		"x.npy: array has 1 column(s)"},
	{"no rows", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }", nil), ReadOptions{},
		"x.npy: no data rows"},
	{"nan", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f64Bytes(1, 2, 3, math.NaN())), ReadOptions{},
		`x.npy: row 2, column "y" (2): NaN is not allowed`},
	{"inf f4", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32Bytes(1, 2, 3, float32(math.Inf(-1)), 5, 6)), ReadOptions{},
		`x.npy: row 2, column "x1" (1): an infinite value (-Inf) is not allowed`},
	{"nan f8 into f32", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f64Bytes(math.NaN(), 2)), ReadOptions{Precision: F32},
		`x.npy: row 1, column "x1" (1): NaN is not allowed`},
	{"inf f4 into f64", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", f32Bytes(1, float32(math.Inf(1)))), ReadOptions{},
		`row 1, column "y" (2): an infinite value (+Inf)`},
	{"f32 overflow", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f64Bytes(1, 2, -1e39, 4)), ReadOptions{Precision: F32},
		`x.npy: row 2, column "x1" (1): -1e+39 overflows float32 (largest magnitude 3.4028234663852886e+38)`},
	{"unknown target", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f64Bytes(1, 2)), ReadOptions{Target: "x2"},
		`x.npy: no column named "x2" for the target (columns: "x1", "y")`},
	{"target out of range", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f64Bytes(1, 2)), ReadOptions{Target: "3"},
		"x.npy: target column 3 is out of range"},
	{"empty", nil, ReadOptions{}, "x.npy: not a .npy file: too short"},
	{"bad magic", []byte("\x93NUMPX\x01\x00\x10\x00{}              \n"), ReadOptions{}, `x.npy: not a .npy file: bad magic "\x93NUMPX"`},
	{"csv", []byte("a,b\n1,2\n"), ReadOptions{}, "not a .npy file: bad magic"},
	{"version 4", []byte("\x93NUMPY\x04\x00\x10\x00{}              \n"), ReadOptions{}, "unsupported .npy format version 4.0"},
	{"version 1.1", []byte("\x93NUMPY\x01\x01\x10\x00{}              \n"), ReadOptions{}, "unsupported .npy format version 1.1"},
	{"short header length", []byte("\x93NUMPY\x01\x00\x10"), ReadOptions{}, "truncated .npy header"},
	{"header beyond file", []byte("\x93NUMPY\x01\x00\xff\x00{}"), ReadOptions{}, "bad .npy header length 255"},
	{"v2 header length huge", []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{}"), ReadOptions{}, "bad .npy header length 4294967295"},
	{"not a dict", npyFile(1, "['descr']", nil), ReadOptions{}, "bad .npy header: want a dict"},
	{"missing shape", npyFile(1, "{'descr': '<f8', 'fortran_order': False}", nil), ReadOptions{}, `bad .npy header: missing key "shape"`},
	{"unknown key", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), 'x': 1}", nil), ReadOptions{}, `unknown key "x"`},
	{"duplicate key", npyFile(1, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)}", nil), ReadOptions{}, `duplicate key "descr"`},
	{"structured", npyFile(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", nil), ReadOptions{}, "structured dtypes"},
	{"bad bool", npyFile(1, "{'descr': '<f8', 'fortran_order': 0, 'shape': (1, 2), }", f64Bytes(1, 2)), ReadOptions{}, "fortran_order: want True or False"},
	{"negative dim", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }", f64Bytes(1, 2)), ReadOptions{}, "shape: want an integer"},
	{"unclosed tuple", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2", nil), ReadOptions{}, "shape: want ',' or ')'"},
	{"garbage after", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), } x", f64Bytes(1, 2)), ReadOptions{}, `unexpected "x`},
	{"unterminated string", npyFile(1, "{'descr: '<f8'", nil), ReadOptions{}, "want ':' after key"},
	{"dim overflow", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2), }", nil), ReadOptions{}, "bad dimension"},
}

func TestReadNPYErrors(t *testing.T) {
	for _, tc := range npyErrorCases {
		path := writeTemp(t, "x.npy", tc.data)
		tab, err := ReadNPY(path, tc.opt)
		if err == nil {
			t.Errorf("%s: accepted: %d×%d", tc.name, tab.Rows, tab.Cols)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q\n\tdoes not contain %q", tc.name, err, tc.want)
		}
		if !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("%s: error %q does not start with the file name", tc.name, err)
		}
		if !errors.Is(err, ErrInput) {
			t.Errorf("%s: %q is not an input error", tc.name, err)
		}
		checkFix(t, tc.name, err)
	}
}

// TestReadNPYNumPyRejects checks the files NumPy wrote that lsgd must
// refuse.
func TestReadNPYNumPyRejects(t *testing.T) {
	for file, want := range map[string]string{
		"fortran.npy":     "Fortran",
		"i8.npy":          `unsupported dtype "<i8"`,
		"be_f8.npy":       `unsupported dtype ">f8"`,
		"bool.npy":        `unsupported dtype "|b1"`,
		"object.npy":      `unsupported dtype "|O"`,
		"struct.npy":      "structured dtypes",
		"1d.npy":          "array has 1 dimensions",
		"3d.npy":          "array has 3 dimensions",
		"onecol.npy":      "array has 1 column(s)",
		"norows.npy":      "no data rows",
		"nan.npy":         `row 2, column "y" (3): NaN is not allowed`,
		"inf_f4.npy":      `row 1, column "x2" (2): an infinite value (-Inf)`,
		"f32overflow.npy": `row 2, column "x1" (1): 1e+300 overflows float32`,
	} {
		path := filepath.Join("testdata", "npy", file)
		_, err := ReadNPY(path, ReadOptions{Precision: F32})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), path) {
			t.Errorf("%s: error %v; want %q", file, err, want)
		}
	}
	if _, err := ReadNPY("testdata/npy/f32overflow.npy", ReadOptions{}); err != nil {
		t.Errorf("f32overflow.npy as float64: %v", err)
	}
}

func TestReadNPYHeaderVariants(t *testing.T) {
	data := f64Bytes(1, 2, 3, 4)
	for _, h := range []string{
		`{"descr": "<f8", "fortran_order": False, "shape": (2, 2)}`,
		"{'shape': (2L, 2L), 'fortran_order': False, 'descr': '<f8'}", // Python 2
		"{ 'descr' : '<f8' ,\t'fortran_order' : False , 'shape' : ( 2 , 2 , ) , }",
	} {
		for _, major := range []byte{1, 2, 3} {
			tab, err := ReadNPY(writeTemp(t, "h.npy", npyFile(major, h, data)), ReadOptions{})
			if err != nil || tab.Rows != 2 || tab.At(1, 0) != 3 {
				t.Errorf("%d %s: %v", major, h, err)
			}
		}
	}
}

func TestWriteNPY(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, p := range []Precision{F64, F32} {
		for _, shape := range [][2]int{{1, 2}, {3, 7}, {1000, 33}} {
			tab := randomTable(r, shape[0], shape[1], p)
			var buf bytes.Buffer
			if err := WriteNPY(&buf, tab); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			hlen := int(binary.LittleEndian.Uint16(b[8:10]))
			if (10+hlen)%64 != 0 || b[9+hlen] != '\n' {
				t.Errorf("header of %d bytes is not padded to 64 with a newline", hlen)
			}
			for _, q := range []Precision{F64, F32} {
				if q == F32 && p == F64 {
					continue // values may overflow float32
				}
				back, err := npyRead(bytes.NewReader(b), int64(len(b)), "w.npy", ReadOptions{Precision: q})
				if err != nil {
					t.Fatalf("%v→%v %v: %v", p, q, shape, err)
				}
				want := tab
				if q != p {
					want = tab.Clone(q)
				}
				if err := sameValues(want, back); err != nil {
					t.Fatalf("%v→%v %v: %v", p, q, shape, err)
				}
			}
		}
	}
	// Same bytes as NumPy for the same array.
	tab := FromRows([][]float64{{1.5, -2}, {4, 5e-300}}, []float64{3, 6.25})
	var buf bytes.Buffer
	if err := WriteNPY(&buf, tab); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/npy/f8.npy")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("WriteNPY output differs from NumPy's:\n%q\n%q", buf.Bytes(), want)
	}
	// A strided table is written packed.
	st := &Table{Names: []string{"a", "y"}, Rows: 2, Cols: 2, Stride: 3, Target: 1, F32: []float32{1, 2, 99, 3, 4}}
	buf.Reset()
	if err := WriteNPY(&buf, st); err != nil {
		t.Fatal(err)
	}
	back, err := npyRead(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "s.npy", ReadOptions{Precision: F32})
	if err != nil || fmt.Sprint(back.F32) != "[1 2 3 4]" {
		t.Fatalf("strided: %v %v", back, err)
	}
	st.F32[4] = float32(math.NaN())
	if err := WriteNPY(&buf, st); err == nil || !strings.Contains(err.Error(), `row 2, column "y" (2) holds NaN`) {
		t.Fatalf("NaN: %v", err)
	}
}

func TestSaveTable(t *testing.T) {
	dir := t.TempDir()
	tab := FromRows([][]float64{{1}, {2}}, []float64{3, 4})
	for _, name := range []string{"t.csv", "t.npy"} {
		path := filepath.Join(dir, name)
		if err := SaveTable(path, tab); err != nil {
			t.Fatal(err)
		}
		back, err := LoadTable(path, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := sameValues(tab, back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := SaveTable(filepath.Join(dir, "t.txt"), tab); err == nil {
		t.Fatal("SaveTable accepted .txt")
	}
}

// loadFromFIFO writes content into a named pipe (the writer opens it once)
// and loads it through LoadTable, failing if the load does not end: a
// reader that opened the pipe twice would wait forever for a second writer.
func loadFromFIFO(t *testing.T, name string, content []byte, opt ReadOptions) (*Table, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(content)
		f.Close()
	}()
	type res struct {
		t   *Table
		err error
	}
	done := make(chan res, 1)
	go func() {
		tab, err := LoadTable(path, opt)
		done <- res{tab, err}
	}()
	select {
	case r := <-done:
		return r.t, r.err
	case <-time.After(20 * time.Second):
		// Unblock the reader (a second open) before failing.
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatalf("%s: LoadTable of a FIFO did not return", name)
		return nil, nil
	}
}

// A FIFO (or any file that is not a regular file) is read once, as a
// stream: the same table as from a regular file, and the same checks on
// truncated or overlong data, with memory that follows the bytes that
// arrive rather than the shape the header claims.
func TestLoadTableStream(t *testing.T) {
	good := npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f64Bytes(1, 2, 3, 4))
	tab, err := loadFromFIFO(t, "d.npy", good, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 2 || tab.Cols != 2 || tab.At(1, 0) != 3 || tab.At(1, 1) != 4 {
		t.Errorf("read %d×%d, row 2 = (%g, %g); want 2×2, (3, 4)", tab.Rows, tab.Cols, tab.At(1, 0), tab.At(1, 1))
	}
	f32 := npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40})
	if tab, err := loadFromFIFO(t, "f.npy", f32, ReadOptions{}); err != nil || tab.At(0, 0) != 1 || tab.At(0, 1) != 2 {
		t.Errorf("float32 stream: %v", err)
	}
	bad := []struct {
		name    string
		content []byte
		want    string
	}{
		{"short.npy", good[:len(good)-3], "truncated"},
		{"long.npy", append(append([]byte{}, good...), 0, 0, 0), "unexpected bytes"},
		{"huge.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000), }", f64Bytes(1, 2)), "truncated"},
		{"claims.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 1000), }", f64Bytes(1, 2)), "truncated"},
		{"empty.npy", nil, "too short"},
	}
	for _, b := range bad {
		_, err := loadFromFIFO(t, b.name, b.content, ReadOptions{})
		if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v; want an input error about %q", b.name, err, b.want)
		}
	}
	csv := []byte("a,b\n1,2\n3,4\n")
	if tab, err := loadFromFIFO(t, "d.csv", csv, ReadOptions{}); err != nil || tab.Rows != 2 || tab.At(1, 0) != 3 {
		t.Errorf("CSV stream: %v", err)
	}
}

// A file of the other format under a .npy name says what it looks like.
func TestReadNPYTextHint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.npy")
	os.WriteFile(path, []byte("x1,y\n1,2\n3,4\n"), 0o644)
	_, err := ReadNPY(path, ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), "text file") || !strings.Contains(err.Error(), ".csv") {
		t.Errorf("CSV text named .npy: %v; want a hint that it is a text (CSV) file", err)
	}
}

// A header of a megabyte quoted back in a message is clipped, wherever the
// parser stops.
func TestReadNPYErrorsClipped(t *testing.T) {
	long := strings.Repeat("z", 100000)
	for _, h := range []string{
		"[" + long,
		"{'descr': '" + long + "', 'fortran_order': False, 'shape': (1, 2), }",
		"{'" + long + "': 1}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }" + long,
		"{'descr': '<f8', 'fortran_order': False, 'shape': (" + strings.Repeat("9", 100000) + ", 2), }",
		"{'descr': '\\\\" + long + "', 'fortran_order': False, 'shape': (1, 2), }",
	} {
		data := npyFile(2, h, nil)
		_, err := npyRead(bytes.NewReader(data), int64(len(data)), "d.npy", ReadOptions{})
		if err == nil {
			t.Fatalf("accepted a %d-byte header", len(h))
		}
		if len(err.Error()) > 400 || !strings.Contains(err.Error(), "bytes)") {
			t.Errorf("a %d-byte message, or not clipped: %.200s", len(err.Error()), err)
		}
	}
}
