package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
)

// BenchmarkGradient measures one gradient pass (Gradient then a Status
// readback that waits for it) per iteration; throughput is the table's
// stored bytes.
func BenchmarkGradient(b *testing.B) {
	for _, sh := range []struct{ rows, feats, wg, r int }{
		{100000, 3, 0, 0}, {100000, 15, 0, 0}, {100000, 15, 64, 4}, {20000, 63, 0, 0},
	} {
		b.Run(fmt.Sprintf("%dx%d/wg%d/r%d", sh.rows, sh.feats+1, sh.wg, sh.r), func(b *testing.B) {
			be := newBackendOrSkip(b, Options{WorkGroupSize: sh.wg, RowsPerInvocation: sh.r})
			tab := randTable(rand.New(rand.NewPCG(1, 1)), sh.rows, sh.feats)
			d, err := be.Load(tab, false)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Release()
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
