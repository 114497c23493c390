package tableio

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchTable is a 100000×33 table of full-precision normal values (the
// worst case for CSV: 17 significant digits per value).
func benchTable(p Precision) *Table {
	t := NewTable(100000, 33, p)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < t.Rows; i++ {
		for j := 0; j < t.Cols; j++ {
			t.Set(i, j, r.NormFloat64()*100)
		}
	}
	return t
}

func BenchmarkWriteCSV(b *testing.B) {
	for _, p := range []Precision{F64, F32} {
		b.Run(p.String(), func(b *testing.B) {
			t := benchTable(p)
			var buf bytes.Buffer
			WriteCSV(&buf, t)
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				if err := WriteCSV(io.Discard, t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReadCSV(b *testing.B) {
	for _, p := range []Precision{F64, F32} {
		b.Run(p.String(), func(b *testing.B) {
			var buf bytes.Buffer
			WriteCSV(&buf, benchTable(F64))
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				if _, err := ReadCSV(bytes.NewReader(buf.Bytes()), "bench.csv", ReadOptions{Precision: p}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLoadTableNPY(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.npy")
	if err := SaveTable(path, benchTable(F64)); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	for _, p := range []Precision{F64, F32} {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(st.Size())
			for b.Loop() {
				if _, err := LoadTable(path, ReadOptions{Precision: p}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
