package tableio

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// pqMixed is a row of a file with every column type ReadParquet takes,
// and some it refuses.
type pqMixed struct {
	D   float64  `parquet:"d"`
	F   float32  `parquet:"f"`
	I32 int32    `parquet:"i32"`
	I64 int64    `parquet:"i64,dict"`
	U32 uint32   `parquet:"u32"`
	S   string   `parquet:"s"`
	N   *float64 `parquet:"n,optional"`
	B   bool     `parquet:"b"`
	Y   float64  `parquet:"y"`
}

// pqMixedRows returns n seeded rows; row nullRow (0-based, −1 for none)
// has a null in column n.
func pqMixedRows(n, nullRow int) []pqMixed {
	r := rand.New(rand.NewPCG(1, 2))
	rows := make([]pqMixed, n)
	for i := range rows {
		v := r.NormFloat64()
		rows[i] = pqMixed{D: r.NormFloat64() * 1e3, F: float32(r.NormFloat64()), I32: int32(r.IntN(1000) - 500),
			I64: int64(r.IntN(5)) << 40, U32: math.MaxUint32 - uint32(r.IntN(10)), S: "s", B: i%2 == 0, Y: r.NormFloat64()}
		if i != nullRow {
			rows[i].N = &v
		}
	}
	return rows
}

// writeMixed writes rows to a Parquet file in dir, perGroup rows per row
// group, and returns its path.
func writeMixed(t *testing.T, dir string, rows []pqMixed, perGroup int64) string {
	t.Helper()
	path := filepath.Join(dir, "mixed.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[pqMixed](f, parquet.MaxRowsPerRowGroup(perGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParquetColumnTypes(t *testing.T) {
	rows := pqMixedRows(50, -1)
	path := writeMixed(t, t.TempDir(), rows, 7)
	for _, p := range []Precision{F64, F32} {
		tab, err := LoadTable(path, ReadOptions{Target: "y", Features: []string{"d", "f", "i32", "i64", "u32", "n"}, Precision: p})
		if err != nil {
			t.Fatal(err)
		}
		if tab.Rows != len(rows) || tab.Cols != 7 || tab.Target != 6 {
			t.Fatalf("%v: got %d rows × %d cols, target %d; want %d × 7, target 6", p, tab.Rows, tab.Cols, tab.Target, len(rows))
		}
		if got, want := strings.Join(tab.Names, ","), "d,f,i32,i64,u32,n,y"; got != want {
			t.Errorf("names %s; want %s", got, want)
		}
		for i, r := range rows {
			want := []float64{r.D, float64(r.F), float64(r.I32), float64(r.I64), float64(r.U32), *r.N, r.Y}
			for j, w := range want {
				if p == F32 {
					w = float64(float32(w))
				}
				if got := tab.At(i, j); got != w {
					t.Fatalf("%v: row %d, %s: got %v; want %v", p, i+1, tab.Names[j], got, w)
				}
			}
		}
	}
}

func TestParquetFeatureOrderAndIndex(t *testing.T) {
	path := writeMixed(t, t.TempDir(), pqMixedRows(20, -1), 8)
	// By 1-based index and name, in the order given; the target follows.
	tab, err := LoadTable(path, ReadOptions{Target: "1", Features: []string{"y", "3"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(tab.Names, ","), "y,i32,d"; got != want || tab.Target != 2 {
		t.Fatalf("names %s, target %d; want %s, target 2", got, tab.Target, want)
	}
	// To predict on: no target.
	tab, err = LoadTable(path, ReadOptions{NoTarget: true, Features: []string{"f", "d"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tab.Names, ","); got != "f,d" || tab.Target != -1 {
		t.Fatalf("names %s, target %d; want f,d, target -1", got, tab.Target)
	}
}

func TestParquetErrors(t *testing.T) {
	dir := t.TempDir()
	clean := writeMixed(t, dir, pqMixedRows(30, -1), 10)
	nulls := filepath.Join(dir, "nulls.parquet")
	{
		path := writeMixed(t, t.TempDir(), pqMixedRows(30, 23), 10)
		if err := os.Rename(path, nulls); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		path string
		opt  ReadOptions
		want string
	}{
		{"string", clean, ReadOptions{}, `mixed.parquet: column "s" (6) holds strings (BYTE_ARRAY), not numbers`},
		{"bool", clean, ReadOptions{Features: []string{"b"}}, `column "b" (8) is of type BOOLEAN, not a number`},
		{"null", nulls, ReadOptions{Features: []string{"d", "n"}}, `nulls.parquet: row group 3, column "n", row 4: null value`},
		{"no such feature", clean, ReadOptions{Features: []string{"zz"}}, `no column named "zz" for a feature (columns: "d", "f"`},
		{"feature out of range", clean, ReadOptions{Features: []string{"10"}}, `feature column 10 is out of range: the table has 9 columns (1 to 9)`},
		{"target as feature", clean, ReadOptions{Features: []string{"y"}}, `column "y" (9) is the target, not a feature`},
		{"twice", clean, ReadOptions{Features: []string{"d", "1"}}, `column "d" (1) is selected twice as a feature`},
		{"no target", clean, ReadOptions{Target: "w"}, `no column named "w" for the target`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadTable(tc.path, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error containing %q", err, tc.want)
			}
			if !errors.Is(err, ErrInput) {
				t.Errorf("%v is not an input error", err)
			}
		})
	}
	// Without nulls, an optional column reads.
	if _, err := LoadTable(clean, ReadOptions{Features: []string{"n", "d"}}); err != nil {
		t.Fatal(err)
	}
}

func TestParquetNonFinite(t *testing.T) {
	tab := FromRows([][]float64{{1, 2}, {3, 4}, {5, 6}}, []float64{1, 2, 3})
	tab.F64[2*3+1] = math.Inf(-1)
	var buf bytes.Buffer
	if err := WriteParquet(&buf, tab, 2); err == nil {
		t.Fatal("WriteParquet wrote an infinite value")
	}
	// Write through the library to get the value into a file.
	type row struct {
		X float64 `parquet:"x"`
		Y float64 `parquet:"y"`
	}
	var b bytes.Buffer
	w := parquet.NewGenericWriter[row](&b, parquet.MaxRowsPerRowGroup(2))
	w.Write([]row{{1, 2}, {3, 4}, {math.NaN(), 5}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := parquetRead(bytes.NewReader(b.Bytes()), int64(b.Len()), "nan.parquet", ReadOptions{})
	want := `nan.parquet: row group 2, row 1 (row 3 of the file), column "x" (1): NaN is not allowed`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v; want %s", err, want)
	}
}

// pqTable is a seeded rows×cols float64 table.
func pqTable(rows, cols int) *Table {
	r := rand.New(rand.NewPCG(3, 4))
	tab := NewTable(rows, cols, F64)
	for i := range tab.F64 {
		tab.F64[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4))
	}
	return tab
}

func TestParquetAgreesWithNPYAndCSV(t *testing.T) {
	dir := t.TempDir()
	src := pqTable(1000, 6)
	for _, ext := range []string{".parquet", ".npy", ".csv"} {
		if err := SaveTable(filepath.Join(dir, "t"+ext), src); err != nil {
			t.Fatal(err)
		}
	}
	// .npy names its columns x1 … y whatever the target, so names are
	// compared with CSV and values with both.
	for _, opt := range []ReadOptions{{}, {Target: "2"}, {Features: []string{"5", "2"}, Target: "1"}, {Precision: F32, Features: []string{"x3"}}} {
		got, err := LoadTable(filepath.Join(dir, "t.parquet"), opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{".csv", ".npy"} {
			want, err := LoadTable(filepath.Join(dir, "t"+ext), opt)
			if err != nil {
				t.Fatal(err)
			}
			if ext == ".npy" {
				want.Names = got.Names
			}
			pqSameTable(t, ext, got, want)
		}
	}
	// Several row groups.
	var buf bytes.Buffer
	if err := WriteParquet(&buf, src, 77); err != nil {
		t.Fatal(err)
	}
	got, err := parquetRead(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "t.parquet", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pqSameTable(t, "77 rows per group", got, src)
}

// pqSameTable fails unless got and want hold the same names, target and
// values.
func pqSameTable(t *testing.T, what string, got, want *Table) {
	t.Helper()
	if got.Rows != want.Rows || got.Cols != want.Cols || got.Target != want.Target || strings.Join(got.Names, ",") != strings.Join(want.Names, ",") {
		t.Fatalf("%s: got %d×%d %v target %d; want %d×%d %v target %d", what, got.Rows, got.Cols, got.Names, got.Target,
			want.Rows, want.Cols, want.Names, want.Target)
	}
	if got.Precision() != want.Precision() {
		t.Fatalf("%s: precision %v; want %v", what, got.Precision(), want.Precision())
	}
	for i := 0; i < got.Rows; i++ {
		for j := 0; j < got.Cols; j++ {
			if a, b := got.At(i, j), want.At(i, j); a != b {
				t.Fatalf("%s: row %d, column %d: got %v; want %v", what, i+1, j+1, a, b)
			}
		}
	}
}

func TestParquetCorrupt(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteParquet(&buf, pqTable(300, 4), 100); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	// Every truncation, and a run of byte flips, is an error, not a panic.
	for n := 0; n < len(file); n += 1 + n/64 {
		if _, err := parquetRead(bytes.NewReader(file[:n]), int64(n), "cut.parquet", ReadOptions{}); err == nil {
			t.Fatalf("a file cut to %d of %d bytes read without error", n, len(file))
		} else if !strings.HasPrefix(err.Error(), "cut.parquet: ") {
			t.Fatalf("error %q does not name the file", err)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		b := bytes.Clone(file)
		for range 1 + r.IntN(4) {
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		}
		parquetRead(bytes.NewReader(b), int64(len(b)), "flip.parquet", ReadOptions{}) // must not panic
	}
}

func TestNPYAndCSVFeatures(t *testing.T) {
	dir := t.TempDir()
	src := pqTable(50, 5)
	for _, ext := range []string{".npy", ".csv"} {
		path := filepath.Join(dir, "t"+ext)
		if err := SaveTable(path, src); err != nil {
			t.Fatal(err)
		}
		tab, err := LoadTable(path, ReadOptions{Features: []string{"x4", "2"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(tab.Names, ","); got != "x4,x2,y" || tab.Target != 2 || tab.Stride != 3 {
			t.Fatalf("%s: names %s, target %d, stride %d; want x4,x2,y, 2, 3", ext, got, tab.Target, tab.Stride)
		}
		for i := 0; i < tab.Rows; i++ {
			for c, j := range []int{3, 1, 4} {
				if got, want := tab.At(i, c), src.At(i, j); got != want {
					t.Fatalf("%s: row %d, column %d: got %v; want %v", ext, i+1, c+1, got, want)
				}
			}
		}
		if _, err := LoadTable(path, ReadOptions{Features: []string{"x9"}}); err == nil || !strings.Contains(err.Error(), `no column named "x9" for a feature`) {
			t.Fatalf("%s: got %v; want no column named x9", ext, err)
		}
	}
}

// pqSeeds are small Parquet files covering the reader's paths: doubles in
// several row groups, float32, every column type with a dictionary-encoded
// column, and a null.
func pqSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	var buf bytes.Buffer
	if err := WriteParquet(&buf, pqTable(12, 3), 5); err != nil {
		t.Fatal(err)
	}
	seeds["f64.parquet"] = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := WriteParquet(&buf, pqTable(6, 2).Clone(F32), 0); err != nil {
		t.Fatal(err)
	}
	seeds["f32.parquet"] = bytes.Clone(buf.Bytes())
	for name, nullRow := range map[string]int{"mixed.parquet": -1, "null.parquet": 4} {
		buf.Reset()
		w := parquet.NewGenericWriter[pqMixed](&buf, parquet.MaxRowsPerRowGroup(4))
		if _, err := w.Write(pqMixedRows(9, nullRow)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		seeds[name] = bytes.Clone(buf.Bytes())
	}
	return seeds
}

// TestParquetSeedFiles checks that testdata/parquet holds the files
// pqSeeds writes (LSGD_WRITE_SEEDS=1 rewrites them).
func TestParquetSeedFiles(t *testing.T) {
	for name, b := range pqSeeds(t) {
		path := filepath.Join("testdata", "parquet", name)
		if os.Getenv("LSGD_WRITE_SEEDS") == "1" {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed %s: %v (run with LSGD_WRITE_SEEDS=1)", path, err)
		}
	}
}

// BenchmarkLoadFormats reads one 2^20×16 float64 table (128 MiB of
// values) as .npy and as Parquet from the page cache; the throughput is
// in bytes of values per second.
func BenchmarkLoadFormats(b *testing.B) {
	dir := b.TempDir()
	src := pqTable(1<<20, 16)
	for _, ext := range []string{".npy", ".parquet"} {
		path := filepath.Join(dir, "t"+ext)
		if err := SaveTable(path, src); err != nil {
			b.Fatal(err)
		}
		b.Run(ext[1:], func(b *testing.B) {
			b.SetBytes(src.Bytes())
			for b.Loop() {
				if _, err := LoadTable(path, ReadOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Columns of several pages in row groups of odd sizes, in parallel
// blocks: the values come back in place; a value that overflows float32 is
// named when reading into float32.
func TestParquetPagesAndBlocks(t *testing.T) {
	src := pqTable(300001, 3)
	var buf bytes.Buffer
	if err := WriteParquet(&buf, src, 150001); err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	pages := pf.RowGroups()[0].ColumnChunks()[0].Pages()
	npages := 0
	for {
		p, err := pages.ReadPage()
		if err != nil {
			break
		}
		parquet.Release(p)
		npages++
	}
	pages.Close()
	if npages < 2 {
		t.Fatalf("a column chunk has %d page(s); the test wants several", npages)
	}
	got, err := parquetRead(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "p.parquet", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pqSameTable(t, "pages", got, src)

	src.F64[200000*3+1] = 1e39
	buf.Reset()
	if err := WriteParquet(&buf, src, 150001); err != nil {
		t.Fatal(err)
	}
	_, err = parquetRead(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "p.parquet", ReadOptions{Precision: F32})
	want := `p.parquet: row group 2, row 50000 (row 200001 of the file), column "x2" (2): 1e+39 overflows float32`
	var ie *InputError
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.As(err, &ie) || ie.Fix != FixFloat64 {
		t.Fatalf("got %v; want %s… with FixFloat64", err, want)
	}
}
