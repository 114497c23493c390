package tableio

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeNPYFile writes t to dir/name as .npy and returns the path.
func writeNPYFile(t *testing.T, dir, name string, tab *Table) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteNPY(&buf, tab); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomNPYTable(rng *rand.Rand, rows, cols int, p Precision) *Table {
	tab := NewTable(rows, cols, p)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			tab.Set(i, j, 1e3*rng.NormFloat64())
		}
	}
	return tab
}

// MapNPY gives the values, names and target ReadNPY gives, without
// reading them.
func TestMapNPYMatchesRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for _, p := range []Precision{F64, F32} {
		for _, shape := range [][2]int{{1, 2}, {7, 3}, {1000, 9}} {
			tab := randomNPYTable(rng, shape[0], shape[1], p)
			path := writeNPYFile(t, dir, "m.npy", tab)
			for _, opt := range []ReadOptions{{}, {Target: "1"}, {Target: "x2"}, {NoTarget: true}} {
				want, err := ReadNPY(path, ReadOptions{Target: opt.Target, NoTarget: opt.NoTarget, Precision: p})
				got, merr := MapNPY(path, opt)
				if (err == nil) != (merr == nil) {
					t.Fatalf("%v %v %+v: read %v, map %v", p, shape, opt, err, merr)
				}
				if err != nil {
					continue
				}
				if got.Map == nil || got.Target != want.Target || strings.Join(got.Names, ",") != strings.Join(want.Names, ",") {
					t.Fatalf("%v %v %+v: map %v target %d names %v; want target %d names %v", p, shape, opt, got.Map != nil, got.Target, got.Names, want.Target, want.Names)
				}
				if err := sameValues(got, want); err != nil {
					t.Fatalf("%v %v %+v: %v", p, shape, opt, err)
				}
				// The hints change nothing read: dropped pages are read
				// from the file again.
				got.Map.Advise(0, got.Rows)
				got.Map.Drop(0, got.Rows)
				if err := sameValues(got, want); err != nil {
					t.Fatalf("%v %v %+v: after Drop: %v", p, shape, opt, err)
				}
				if err := got.Map.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// LoadTable maps a .npy file beyond the memory budget, and reads it
// otherwise; weights are refused when mapping, features and shards are
// read.
func TestLoadTableMapsBeyondBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	tab := randomNPYTable(rng, 500, 4, F32)
	path := writeNPYFile(t, dir, "a.npy", tab)
	bytes32 := int64(500 * 4 * 4)
	for _, c := range []struct {
		opt    ReadOptions
		mapped bool
	}{
		{ReadOptions{Memory: 1 << 30}, false},
		{ReadOptions{Memory: -1}, false},
		{ReadOptions{Memory: bytes32}, true},                             // 3/4 of the budget is less than the table
		{ReadOptions{Memory: bytes32 * 4 / 3 * 2, Precision: F64}, true}, // float64 doubles it
		{ReadOptions{Memory: bytes32 * 2, Precision: F32}, false},
		{ReadOptions{Memory: 1, Features: []string{"x1", "x3"}}, false},
	} {
		got, err := LoadTable(path, c.opt)
		if err != nil {
			t.Fatalf("%+v: %v", c.opt, err)
		}
		if (got.Map != nil) != c.mapped {
			t.Errorf("%+v: mapped %v, want %v", c.opt, got.Map != nil, c.mapped)
		}
		if c.mapped {
			if err := sameValues(got, tab); err != nil {
				t.Errorf("%+v: %v", c.opt, err)
			}
		}
	}
	if _, err := LoadTable(path, ReadOptions{Memory: 1, Weights: "x2"}); err == nil || !strings.Contains(err.Error(), "weights") {
		t.Errorf("weights on a mapped file: %v; want an error about weights", err)
	}
	writeNPYFile(t, dir, "b.npy", tab)
	sh, err := LoadTable(filepath.Join(dir, "*.npy"), ReadOptions{Memory: 1})
	if err != nil || sh.Map != nil || sh.Rows != 1000 {
		t.Errorf("shards: %v, mapped %v", err, sh != nil && sh.Map != nil)
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"2G": 2 << 30, "512M": 512 << 20, "1.5GiB": 3 << 29, "100": 100, "4k": 4096, " 1T ": 1 << 40, "64MB": 64 << 20} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
		if got, _ := ParseSize(FormatSize(want)); got != want {
			t.Errorf("ParseSize(FormatSize(%d)) = %d", want, got)
		}
	}
	for _, s := range []string{"", "G", "-1G", "0", "two", "1X", "NaN", "1e30T"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) succeeded; want an error", s)
		}
	}
}

// FuzzMapNPY: MapNPY accepts exactly the files ReadNPY accepts, apart from
// non-finite values (found by Table.CheckFinite with ReadNPY's message),
// with the same values; what it rejects is an input error naming the
// file.
func FuzzMapNPY(f *testing.F) {
	for _, tc := range npyErrorCases {
		f.Add(tc.data, tc.opt.Target)
	}
	files, _ := filepath.Glob("testdata/npy/*.npy")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b, "")
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, target string) {
		path := filepath.Join(dir, "fuzz.npy")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := ReadOptions{Target: target}
		m, merr := MapNPY(path, opt)
		if merr != nil {
			checkRejected(t, merr, path)
			for _, p := range []Precision{F64, F32} {
				opt.Precision = p
				if _, err := ReadNPY(path, opt); err == nil && !strings.Contains(merr.Error(), "cannot be mapped") {
					t.Fatalf("map: %v; read (%v) accepts it", merr, p)
				}
			}
			return
		}
		defer m.Map.Close()
		opt.Precision = m.Precision()
		tab, err := ReadNPY(path, opt)
		ferr := m.CheckFinite()
		switch {
		case err == nil && ferr == nil:
			if err := sameValues(m, tab); err != nil {
				t.Fatalf("mapped values differ: %v", err)
			}
			if m.Target != tab.Target || strings.Join(m.Names, ",") != strings.Join(tab.Names, ",") {
				t.Fatalf("target %d names %v; read: %d %v", m.Target, m.Names, tab.Target, tab.Names)
			}
		case err != nil && ferr != nil:
			if err.Error() != ferr.Error() {
				t.Fatalf("read: %v; mapped CheckFinite: %v", err, ferr)
			}
		default:
			t.Fatalf("read: %v; mapped CheckFinite: %v", err, ferr)
		}
		for i := 0; i < m.Rows; i++ {
			for j := 0; j < m.Cols; j++ {
				_ = math.Abs(m.At(i, j)) // every mapped value is readable
			}
		}
	})
}
