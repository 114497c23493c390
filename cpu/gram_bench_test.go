package cpu

import (
	"fmt"
	"testing"

	"github.com/lsgd/lsgd"
)

// BenchmarkGram times the fast Gram pass over the whole table, unweighted
// and with row weights. Bytes are
// the table's bytes read; the flop count of the upper triangle,
// m·c·(c+1) (one multiply and one add per entry per row), is reported as
// GFLOP/s, per wall second and per CPU second. Run it alone with
// -bench Gram -run '^$'; the 200k×1024 and 50k×4096 shapes hold 0.8–1.6
// GB tables and take tens of seconds a pass.
func BenchmarkGram(b *testing.B) {
	for _, sz := range []struct{ rows, features int }{{1_000_000, 32}, {200_000, 1024}, {50_000, 4096}} {
		for _, p := range []lsgd.Precision{lsgd.F64, lsgd.F32} {
			for _, weighted := range []bool{false, true} {
				name := fmt.Sprintf("%dx%d/%s", sz.rows, sz.features, p)
				if weighted {
					name += "/weighted"
				}
				b.Run(name, func(b *testing.B) {
					t := benchTable(sz.rows, sz.features, p)
					if weighted {
						t = benchWeighted(t)
					}
					d, err := New(Options{Precision: p}).Load(t, true)
					if err != nil {
						b.Fatal(err)
					}
					g := d.(interface {
						Gram(lsgd.Rows) ([]float64, error)
					})
					c := t.Cols
					b.SetBytes(t.Bytes())
					cpu0 := cpuSeconds()
					for b.Loop() {
						if _, err := g.Gram(lsgd.Rows{Lo: 0, Hi: t.Rows}); err != nil {
							b.Fatal(err)
						}
					}
					flops := float64(sz.rows) * float64(c) * float64(c+1) * float64(b.N)
					b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					// Per CPU second of this process: the kernel's
					// speed on a core, less sensitive to neighbours
					// than the wall clock.
					if cs := cpuSeconds() - cpu0; cs > 0 {
						b.ReportMetric(flops/cs/1e9, "GFLOP/cpu-s")
					}
				})
			}
		}
	}
}

// BenchmarkGramMicro times the 4×8 micro-kernel on one thread over
// panels in L1: the compute ceiling of the Gram pass (GFLOP/s counts a
// multiply and an add per entry per row).
func BenchmarkGramMicro(b *testing.B) {
	a := make([]float64, 4*gramBlock)
	for i := range a {
		a[i] = float64(i%7) - 3
	}
	acc := make([]float64, 4*gramTile)
	for _, vec := range []bool{false, true} {
		if vec && !haveVector(lsgd.F64) {
			continue
		}
		b.Run(fmt.Sprintf("vec=%v", vec), func(b *testing.B) {
			for b.Loop() {
				gramMicro8(a, a, a, acc, vec)
			}
			b.ReportMetric(2*32*gramBlock*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
