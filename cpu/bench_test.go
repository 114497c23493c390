package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// benchSizes are the shapes of the targets: rows × features, the
// table holding one more column (the target).
var benchSizes = []struct{ rows, features int }{
	{1_000_000, 32},
	{1_000_000, 128},
}

// benchTable returns a rows×(features+1) table of standard-normal-ish
// values in precision p (seeded).
func benchTable(rows, features int, p lsgd.Precision) *lsgd.Table {
	t := tableio.NewTable(rows, features+1, p)
	rng := rand.New(rand.NewPCG(uint64(rows), uint64(features)))
	if p == lsgd.F32 {
		for i := range t.F32 {
			t.F32[i] = float32(rng.NormFloat64())
		}
	} else {
		for i := range t.F64 {
			t.F64[i] = rng.NormFloat64()
		}
	}
	return t
}

func benchData(b *testing.B, t *lsgd.Table, opt Options) lsgd.Data {
	d, err := New(opt).Load(t, true)
	if err != nil {
		b.Fatal(err)
	}
	p := t.Cols + 1
	theta, mask := make([]float64, p), make([]float64, p)
	for j := range theta {
		theta[j], mask[j] = 0.01*float64(j%7), 1
	}
	theta[t.Target], mask[t.Target] = -1, 0
	if err := d.Init(theta, mask, make([]float64, p)); err != nil {
		b.Fatal(err)
	}
	return d
}

// benchWeighted returns a copy of t that shares its values and weights
// its rows (log-uniform over 1e-2…1e2, one in ten 0; seeded).
func benchWeighted(t *lsgd.Table) *lsgd.Table {
	w := *t
	rng := rand.New(rand.NewPCG(uint64(t.Rows), 1))
	w.Weights = make([]float64, t.Rows)
	for i := range w.Weights {
		if rng.IntN(10) > 0 {
			w.Weights[i] = math.Pow(10, 4*rng.Float64()-2)
		}
	}
	return &w
}

// BenchmarkGradient times one full-batch Gradient call of the fast
// backend; MB/s counts the table's bytes once (one pass over X). The
// weighted cases run the weighted kernels on the same table with row
// weights. Compare with BenchmarkReadTable on the same sizes, run
// alongside.
func BenchmarkGradient(b *testing.B) {
	for _, prec := range []lsgd.Precision{lsgd.F32, lsgd.F64} {
		for _, sz := range benchSizes {
			t := benchTable(sz.rows, sz.features, prec)
			for _, k := range []struct{ portable, weighted bool }{{false, false}, {true, false}, {false, true}} {
				portable := k.portable
				name := fmt.Sprintf("%s/%dx%d", prec, sz.rows, sz.features)
				if portable {
					name += "/portable"
				}
				tt := t
				if k.weighted {
					name += "/weighted"
					tt = benchWeighted(t)
				}
				b.Run(name, func(b *testing.B) {
					d := benchData(b, tt, Options{Precision: prec, Portable: portable})
					b.SetBytes(t.Bytes())
					rows := lsgd.Rows{Lo: 0, Hi: t.Rows}
					for b.Loop() {
						if err := d.Gradient(lsgd.Theta, rows); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkReadTable times a read-only vector sum over the same tables as
// BenchmarkGradient, with all threads, each reading its part as one stream
// or as four: the read floor of one pass.
func BenchmarkReadTable(b *testing.B) {
	for _, prec := range []lsgd.Precision{lsgd.F32, lsgd.F64} {
		for _, sz := range benchSizes {
			t := benchTable(sz.rows, sz.features, prec)
			buf := t.F32
			if buf == nil {
				buf = f64AsF32(t.F64)
			}
			for _, streams := range []int{1, 4} {
				b.Run(fmt.Sprintf("%s/%dx%d/streams=%d", prec, sz.rows, sz.features, streams), func(b *testing.B) {
					b.SetBytes(t.Bytes())
					for b.Loop() {
						readPass(buf, 0, streams)
					}
				})
			}
		}
	}
}
