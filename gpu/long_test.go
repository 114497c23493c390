//go:build cgo

package gpu

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// TestAccumulation1M measures the accumulation error of the float32
// gradient at 1M rows against the float64 reference, on data built so that
// every stored value, residual and product r·x is exact in float32 (small
// dyadic values, rows in ± pairs so each column's mean, the shift, is
// exactly 0): what remains is the error of the sums alone, which the
// design bounds by sumDepth·u·Σ|r·x| per entry (R − 1 + log2 WG for the
// rows kernel), independent of the number of rows, for each gradient
// kernel. A plain float32 running sum is shown beside it. Slow on a
// software renderer: run with LSGD_LONG=1.
func TestAccumulation1M(t *testing.T) {
	if os.Getenv("LSGD_LONG") != "1" {
		t.Skip("set LSGD_LONG=1 to run the 1M-row accumulation test")
	}
	const rows, feats = 1 << 20, 16
	rng := rand.New(rand.NewPCG(11, 11))
	tab := tableio.NewTable(rows, feats+1, lsgd.F32)
	for i := 0; i < rows; i += 2 {
		for j := 0; j <= feats; j++ {
			v := float64(rng.IntN(129)-64) / 16 // k/16, |k| ≤ 64
			tab.Set(i, j, v)
			tab.Set(i+1, j, -v)
		}
	}
	c := tab.Cols
	theta, mask := make([]float64, c+1), make([]float64, c+1)
	for j := range theta {
		theta[j] = float64(rng.IntN(33)-16) / 16 // m/16, |m| ≤ 16
		mask[j] = 1
	}
	theta[tab.Target], mask[tab.Target] = -1, 0

	ref, err := cpu.NewReference().Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	ref.Init(theta, mask, make([]float64, c+1))
	for _, opt := range []Options{{Kernel: "rows"}, {Kernel: "tiled"}, {Kernel: "tiled", TilesPerGroup: 16}} {
		t.Run(optName(opt), func(t *testing.T) {
			b := newBackendOrSkip(t, opt)
			start := time.Now()
			d, err := b.Load(tab, false)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Release()
			t.Logf("upload of %d×%d: %v", rows, c, time.Since(start))
			d.Init(theta, mask, make([]float64, c+1))
			all := lsgd.Rows{Lo: 0, Hi: rows}
			start = time.Now()
			if err := d.Gradient(lsgd.Theta, all); err != nil {
				t.Fatal(err)
			}
			got := make([]float64, c+1)
			if err := d.Vector(lsgd.Grad, got); err != nil {
				t.Fatal(err)
			}
			t.Logf("first gradient pass (with JIT): %v", time.Since(start))
			ref.Gradient(lsgd.Theta, all)
			want := make([]float64, c+1)
			ref.Vector(lsgd.Grad, want)

			// Σ|r·x| per entry, and a plain float32 running sum for comparison.
			abs := make([]float64, c+1)
			naive := make([]float32, c+1)
			for i := 0; i < rows; i++ {
				r := theta[c]
				for j := 0; j < c; j++ {
					r += tab.At(i, j) * theta[j]
				}
				for j := 0; j < c; j++ {
					abs[j] += math.Abs(r * tab.At(i, j))
					naive[j] += float32(r * tab.At(i, j))
				}
				abs[c] += math.Abs(r)
				naive[c] += float32(r)
			}
			m := float64(rows)
			worst, worstNaive := 0.0, 0.0
			for j := range want {
				if mask[j] == 0 {
					continue
				}
				s := 2 / m * abs[j]
				worst = max(worst, math.Abs(got[j]-want[j])/s)
				worstNaive = max(worstNaive, math.Abs(2/m*float64(naive[j])-want[j])/s)
			}
			u := 0x1p-24
			l := d.(*Data).l
			bound := float64(l.sumDepth()) * u
			t.Logf("1M rows, %s: max |ĝ−g|/Σ|r·x| = %.3g = %.2f u (bound %.3g = %.0f u); plain float32 sum: %.3g = %.0f u",
				d.(*Data).Kernel(), worst, worst/u, bound, bound/u, worstNaive, worstNaive/u)
			if worst > bound {
				t.Errorf("accumulation error %.3g exceeds the bound %.3g", worst, bound)
			}
			st, _ := d.Status()
			rs, _ := ref.Status()
			t.Logf("loss %.17g, reference %.17g (rel %.3g)", st.Loss, rs.Loss, math.Abs(st.Loss-rs.Loss)/rs.Loss)

			secs, err := d.(*Data).TimeGradient(all, 3)
			if err != nil {
				t.Fatal(err)
			}
			best := math.Inf(1)
			for _, s := range secs {
				best = min(best, s)
			}
			t.Logf("gradient pass: %.3g s device time (%.3g GB/s of stored table)", best, float64(rows)*float64(l.rowBytes)/best/1e9)
		})
	}
}
