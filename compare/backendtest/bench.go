package backendtest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare"
)

// BenchmarkSizes are the shapes (rows × features, the target column
// besides) that BenchmarkBackend runs: one that fits in cache and the
// issue's two targets. With -short only tables up to 64 MB run.
var BenchmarkSizes = []struct{ Rows, Features int }{
	{1 << 14, 8},
	{1 << 20, 32},
	{1 << 20, 128},
}

var hostProbe = sync.OnceValue(func() float64 { return compare.HostReadGBps(0) })

// BenchmarkBackend is the shared Go benchmark of a backend's full-batch
// gradient kernel, run by every backend's tests in one line:
//
//	func BenchmarkGradient(b *testing.B) { backendtest.BenchmarkBackend(b, cpu.New(cpu.Options{})) }
//
// One sub-benchmark per size in BenchmarkSizes; b.SetBytes counts the
// table once per pass (so MB/s is the pass's read throughput); the b.N
// passes are followed by one Status, inside the timed region, so an
// asynchronous device is timed to completion. It also reports rows/s and,
// where the read bandwidth of the table's memory can be probed (the host
// for a CPU backend or a software renderer, Caps.ReadBandwidth for a GPU),
// frac-bw: the pass's throughput over that bandwidth.
func BenchmarkBackend(b *testing.B, be lsgd.Backend) {
	prec := be.Precision()
	for _, sz := range BenchmarkSizes {
		bytes := int64(sz.Rows) * int64(sz.Features+1) * int64(prec.Size())
		if testing.Short() && bytes > 64<<20 {
			continue
		}
		b.Run(fmt.Sprintf("%s/%dx%d", prec, sz.Rows, sz.Features), func(b *testing.B) {
			tab := compare.BenchTable(sz.Rows, sz.Features, prec)
			d, err := be.Load(tab, true)
			if err != nil {
				b.Fatal(err)
			}
			defer d.Release()
			p := tab.Cols + 1
			theta, mask := make([]float64, p), make([]float64, p)
			for j := range theta {
				theta[j], mask[j] = 0.01*float64(j%7+1), 1
			}
			theta[tab.Target], mask[tab.Target] = -1, 0
			if err := d.Init(theta, mask, make([]float64, p)); err != nil {
				b.Fatal(err)
			}
			rows := lsgd.Rows{Lo: 0, Hi: tab.Rows}
			for w := 0; w < 2; w++ { // warm-up: caches, shader compilation
				if err := d.Gradient(lsgd.Theta, rows); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := d.Status(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(bytes)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := d.Gradient(lsgd.Theta, rows); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := d.Status(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(tab.Rows)/sec, "rows/s")
			var bw float64
			switch caps := be.Caps(); {
			case caps.ReadBandwidth != nil:
				bw, _ = caps.ReadBandwidth(compare.ProbeBytes)
			case be.Name() == "cpu" || caps.Software:
				bw = hostProbe()
			}
			if bw > 0 {
				b.ReportMetric(float64(bytes)/sec/1e9/bw, "frac-bw")
			}
		})
	}
}
