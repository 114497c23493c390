package tableio

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadNPYRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	full := NewTable(37, 4, F64)
	for i := range full.F64 {
		full.F64[i] = rng.NormFloat64()
	}
	for _, p := range []Precision{F64, F32} {
		path := filepath.Join(t.TempDir(), "a.npy")
		if err := SaveTable(path, full.Clone(p)); err != nil {
			t.Fatal(err)
		}
		whole, err := ReadNPY(path, ReadOptions{Target: "2"})
		if err != nil {
			t.Fatal(err)
		}
		n, err := NPYRows(path)
		if err != nil || n != 37 {
			t.Fatalf("%v: NPYRows = %d, %v; want 37", p, n, err)
		}
		for _, r := range [][2]int{{0, 37}, {0, 1}, {5, 19}, {36, 37}} {
			part, err := ReadNPYRows(path, ReadOptions{Target: "2"}, r[0], r[1])
			if err != nil {
				t.Fatalf("%v rows %v: %v", p, r, err)
			}
			if part.Rows != r[1]-r[0] || part.Cols != 4 || part.Target != 1 || part.Names[1] != "y" {
				t.Fatalf("%v rows %v: got %d×%d target %d names %v", p, r, part.Rows, part.Cols, part.Target, part.Names)
			}
			for i := 0; i < part.Rows; i++ {
				for j := 0; j < 4; j++ {
					if got, want := part.At(i, j), whole.At(r[0]+i, j); got != want {
						t.Fatalf("%v rows %v: (%d,%d) = %g; want %g", p, r, i, j, got, want)
					}
				}
			}
		}
		if _, err := ReadNPYRows(path, ReadOptions{}, 30, 38); err == nil {
			t.Errorf("%v: rows past the end: no error", p)
		}
	}
	// A NaN in the second range is named by the file's row.
	vals := append([]float64(nil), full.F64...)
	vals[20*4+2] = math.NaN()
	path := writeTemp(t, "bad.npy", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (37, 4), }", f64Bytes(vals...)))
	if _, err := ReadNPYRows(path, ReadOptions{}, 0, 20); err != nil {
		t.Errorf("rows before the NaN: %v", err)
	}
	_, err := ReadNPYRows(path, ReadOptions{}, 20, 37)
	if err == nil || !strings.Contains(err.Error(), "bad.npy: row 21, column \"x3\" (3): NaN") {
		t.Errorf("NaN at row 21: got %v", err)
	}
}
