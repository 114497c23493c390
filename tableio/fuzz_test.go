package tableio

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// checkAccepted checks the invariants of a table a reader accepted: a
// consistent shape, unique non-empty names, finite values.
func checkAccepted(t *testing.T, tab *Table, src string, p Precision) {
	t.Helper()
	if err := tab.Check(); err != nil {
		t.Fatalf("accepted table fails Check: %v", err)
	}
	if tab.Source != src || tab.Stride != tab.Cols || len(tab.Names) != tab.Cols || tab.Precision() != p {
		t.Fatalf("source %q stride %d cols %d names %d precision %v", tab.Source, tab.Stride, tab.Cols, len(tab.Names), tab.Precision())
	}
	if n := tab.Rows * tab.Cols; len(tab.F64) != n && len(tab.F32) != n {
		t.Fatalf("%d×%d table holds %d/%d values", tab.Rows, tab.Cols, len(tab.F64), len(tab.F32))
	}
	seen := map[string]bool{}
	for _, name := range tab.Names {
		if name == "" || seen[name] {
			t.Fatalf("empty or duplicate name in %q", tab.Names)
		}
		if !utf8.ValidString(name) {
			// A model file (JSON) would not give the name back.
			t.Fatalf("accepted a name that is not UTF-8: %q", name)
		}
		seen[name] = true
	}
	if i, j, bad := ioFirstNonFinite(tab); bad {
		t.Fatalf("accepted non-finite value %v at [%d,%d]", tab.At(i, j), i, j)
	}
}

// checkRejected checks that a reader's error is an input error naming the
// source.
func checkRejected(t *testing.T, err error, src string) {
	t.Helper()
	if !errors.Is(err, ErrInput) {
		t.Fatalf("error %q is not an input error", err)
	}
	if !strings.HasPrefix(err.Error(), src+":") {
		t.Fatalf("error %q does not start with %q", err, src+":")
	}
	// Cells and names are clipped: no input makes a long message.
	if len(err.Error()) > 4096 {
		t.Fatalf("a %d-byte message: %.300q…", len(err.Error()), err)
	}
}

// checkRoundTrips writes tab as CSV and as .npy and reads both back: the
// values, names and target must come back identical.
func checkRoundTrips(t *testing.T, tab *Table) {
	t.Helper()
	p := tab.Precision()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tab); err != nil {
		t.Fatalf("WriteCSV of an accepted table: %v", err)
	}
	text := buf.String()
	back, err := ReadCSV(&buf, "rt.csv", ReadOptions{Target: "name:" + tab.Names[tab.Target], Precision: p})
	if err != nil {
		t.Fatalf("CSV round trip: %v\n%q", err, text)
	}
	if err := sameValues(tab, back); err != nil {
		t.Fatalf("CSV round trip: %v\n%q", err, text)
	}
	if strings.Join(back.Names, "\x00") != strings.Join(tab.Names, "\x00") || back.Target != tab.Target {
		t.Fatalf("CSV round trip: names %q target %d; want %q %d", back.Names, back.Target, tab.Names, tab.Target)
	}
	buf.Reset()
	if err := WriteNPY(&buf, tab); err != nil {
		t.Fatalf("WriteNPY of an accepted table: %v", err)
	}
	nb, err := npyRead(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "rt.npy",
		ReadOptions{Target: strconv.Itoa(tab.Target + 1), Precision: p})
	if err != nil {
		t.Fatalf("NPY round trip: %v", err)
	}
	if err := sameValues(tab, nb); err != nil || nb.Target != tab.Target {
		t.Fatalf("NPY round trip: %v, target %d; want %d", err, nb.Target, tab.Target)
	}
}

// FuzzReadCSV: ReadCSV never panics; what it accepts is a consistent,
// finite table that survives CSV and .npy round trips; reading the input
// from a reader of unknown size in tiny parallel chunks gives the same
// table or the same error.
func FuzzReadCSV(f *testing.F) {
	for _, tc := range csvErrorCases {
		f.Add([]byte(tc.in), tc.opt.Target, tc.opt.Precision == F32, uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, target string, f32 bool, chunk uint8) {
		opt := ReadOptions{Target: target}
		if f32 {
			opt.Precision = F32
		}
		tab, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", opt)
		var tab2 *Table
		var err2 error
		withChunkSize(t, int(chunk%64)+1, func() {
			// A reader of unknown size: the chunks are joined at the end
			// instead of going into one reserved slice.
			tab2, err2 = ReadCSV(struct{ io.Reader }{bytes.NewReader(data)}, "fuzz.csv", opt)
		})
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("chunked read disagrees: %v vs %v", err, err2)
		}
		if err != nil {
			checkRejected(t, err, "fuzz.csv")
			return
		}
		if err := sameValues(tab, tab2); err != nil {
			t.Fatalf("chunked read disagrees: %v", err)
		}
		checkAccepted(t, tab, "fuzz.csv", opt.Precision)
		checkRoundTrips(t, tab)
	})
}

// FuzzReadNPY: the .npy reader never panics and never allocates more than
// the input can fill; what it accepts is a consistent, finite table that
// survives .npy and CSV round trips.
func FuzzReadNPY(f *testing.F) {
	for _, tc := range npyErrorCases {
		f.Add(tc.data, tc.opt.Target, tc.opt.Precision == F32)
	}
	files, _ := filepath.Glob("testdata/npy/*.npy")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b, "", false)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, target string, f32 bool) {
		opt := ReadOptions{Target: target}
		if f32 {
			opt.Precision = F32
		}
		tab, err := npyRead(bytes.NewReader(data), int64(len(data)), "fuzz.npy", opt)
		// A stream of unknown length (a FIFO) accepts the same files with
		// the same values.
		stab, serr := npyRead(iotest.HalfReader(bytes.NewReader(data)), -1, "fuzz.npy", opt)
		if (err == nil) != (serr == nil) {
			t.Fatalf("sized read: %v; stream: %v", err, serr)
		}
		if serr != nil {
			checkRejected(t, serr, "fuzz.npy")
		} else if err := sameValues(tab, stab); err != nil {
			t.Fatalf("stream read disagrees: %v", err)
		}
		if err != nil {
			checkRejected(t, err, "fuzz.npy")
			return
		}
		checkAccepted(t, tab, "fuzz.npy", opt.Precision)
		if math.MaxInt32 < tab.Rows*tab.Cols {
			t.Fatal("impossible size")
		}
		checkRoundTrips(t, tab)
	})
}

// FuzzCSVNumber: the CSV number parser agrees with strconv.ParseFloat on
// everything it accepts, and accepts only plain decimals.
func FuzzCSVNumber(f *testing.F) {
	for _, s := range []string{"1", "-0", "1e5", ".5", "5.", "1_0", "0x1p3", "nan", "inf", "1e400", "3.4028235e38",
		"9007199254740993", "0.1000000000000000055511151231257827", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, bits := range []int{64, 32} {
			got, st := csvParseFloat([]byte(s), bits)
			if st == csvBad {
				continue
			}
			trimmed := strings.Trim(s, " \t")
			if strings.ContainsAny(trimmed, "_xXnNiI") || strings.ContainsAny(trimmed, " \t") {
				t.Fatalf("%q accepted", s)
			}
			want, err := strconv.ParseFloat(trimmed, bits)
			if st == csvRange {
				if err == nil || !math.IsInf(want, 0) {
					t.Fatalf("%q/%d: range error, strconv says %v %v", s, bits, want, err)
				}
				continue
			}
			if err != nil || math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%q/%d: %v; strconv %v %v", s, bits, got, want, err)
			}
		}
	})
}

// FuzzReadParquet: the Parquet reader never panics; what it rejects is an
// input error naming the file; what it accepts is a consistent, finite
// table that reads back the same from .npy and Parquet.
func FuzzReadParquet(f *testing.F) {
	files, _ := filepath.Glob("testdata/parquet/*.parquet")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b, "", "", false)
			f.Add(b, "1", "d,2,n", true)
			f.Add(b, "y", "d,f,i32,i64,u32,n", false)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, target, features string, f32 bool) {
		opt := ReadOptions{Target: target}
		if features != "" {
			opt.Features = strings.Split(features, ",")
		}
		if f32 {
			opt.Precision = F32
		}
		tab, err := parquetRead(bytes.NewReader(data), int64(len(data)), "fuzz.parquet", opt)
		if err != nil {
			checkRejected(t, err, "fuzz.parquet")
			return
		}
		checkAccepted(t, tab, "fuzz.parquet", opt.Precision)
		var buf bytes.Buffer
		if err := WriteParquet(&buf, tab, 3); err != nil {
			t.Fatalf("WriteParquet of an accepted table: %v", err)
		}
		back, err := parquetRead(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "rt.parquet",
			ReadOptions{Target: strconv.Itoa(tab.Target + 1), Precision: opt.Precision})
		if err != nil {
			t.Fatalf("Parquet round trip: %v", err)
		}
		if err := sameValues(tab, back); err != nil || strings.Join(back.Names, "\x00") != strings.Join(tab.Names, "\x00") {
			t.Fatalf("Parquet round trip: %v, names %q; want %q", err, back.Names, tab.Names)
		}
		buf.Reset()
		if err := WriteNPY(&buf, tab); err != nil {
			t.Fatalf("WriteNPY of an accepted table: %v", err)
		}
		nb, err := npyRead(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "rt.npy",
			ReadOptions{Target: strconv.Itoa(tab.Target + 1), Precision: opt.Precision})
		if err != nil || sameValues(tab, nb) != nil {
			t.Fatalf("NPY round trip: %v", err)
		}
	})
}
