//go:build cgo

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
)

// BenchmarkGradient measures one gradient pass (Gradient then a Status
// readback that waits for it) per iteration, for each gradient kernel;
// throughput is the table's stored bytes.
func BenchmarkGradient(b *testing.B) {
	for _, sh := range []struct {
		rows, feats int
		opt         Options
	}{
		{100000, 3, Options{Kernel: "rows"}}, {100000, 3, Options{Kernel: "tiled"}},
		{100000, 15, Options{Kernel: "rows"}}, {100000, 15, Options{Kernel: "tiled"}},
		{100000, 15, Options{Kernel: "rows", WorkGroupSize: 64, RowsPerInvocation: 4}},
		{100000, 32, Options{Kernel: "rows"}}, {100000, 32, Options{Kernel: "tiled"}},
		{100000, 128, Options{Kernel: "rows"}}, {100000, 128, Options{Kernel: "tiled"}},
	} {
		b.Run(fmt.Sprintf("%dx%d/%s", sh.rows, sh.feats+1, optName(sh.opt)), func(b *testing.B) {
			be := newBackendOrSkip(b, sh.opt)
			tab := randTable(rand.New(rand.NewPCG(1, 1)), sh.rows, sh.feats)
			d, err := be.Load(tab, false)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Release()
			b.Log(d.(*Data).Kernel())
			c := tab.Cols
			theta, mask := make([]float64, c+1), make([]float64, c+1)
			theta[tab.Target] = -1
			d.Init(theta, mask, make([]float64, c+1))
			b.SetBytes(int64(sh.rows) * int64((c+3)/4*16))
			rows := lsgd.Rows{Lo: 0, Hi: sh.rows}
			d.Gradient(lsgd.Theta, rows)
			d.Status()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d.Gradient(lsgd.Theta, rows)
				if _, err := d.Status(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
