//go:build cgo

package gpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/gpu/internal/gldev"
	"github.com/lsgd/lsgd/tableio"
)

// TestGramShape checks the Gram batch shape: a forced small block splits
// the pass into short segments and one-tile batches, and the partials stay
// within the bounds for the widest tables.
func TestGramShape(t *testing.T) {
	for _, c := range []struct {
		block, dev         int64
		npairs             int
		wantSeg, wantBatch int
	}{
		{4 << 10, 128 << 20, 10, 1, 1},
		{64 << 10, 128 << 20, 10, 8, 1},
		{256 << 10, 128 << 20, 10, 32, 1},
		{1 << 20, 128 << 20, 10, gramSegRC, 2},
		{128 << 20, 128 << 20, 8385, gramSegRC, 128}, // p = 4097: 129 tiles a side
		{128 << 20, 16 << 20, 8385, gramSegRC, 32},
		{128 << 20, 128 << 20, 1, gramSegRC, 1},
	} {
		seg, batch := gramShape(c.block, c.dev, c.npairs)
		if seg != c.wantSeg || batch != c.wantBatch {
			t.Errorf("gramShape(%d, %d, %d) = %d, %d; want %d, %d", c.block, c.dev, c.npairs, seg, batch, c.wantSeg, c.wantBatch)
		}
		if part := int64(seg*batch) * gramTileBytes; part > min(c.dev, gramPartBytes, max(c.block, gramTileBytes)) {
			t.Errorf("gramShape(%d, %d, %d): partials of %d bytes", c.block, c.dev, c.npairs, part)
		}
	}
}

// TestGramWide runs Gram on a table wider than a tile on several
// launch shapes (a split table, several dispatches) against the float64
// reference, and checks that shuffled rows are refused.
func TestGramWide(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	n, f := 1500, 40
	tab := tableio.NewTable(n, f+1, lsgd.F64)
	for j := 0; j <= f; j++ {
		off := 100 * rng.NormFloat64()
		for i := 0; i < n; i++ {
			tab.Set(i, j, float64(float32(off+rng.NormFloat64())))
		}
	}
	ref, _ := cpu.NewReference().Load(tab, false)
	p := f + 2
	for _, opt := range []Options{{}, {F64: true}, {MaxBlockBytes: 8 << 10, MaxGroups: 3, MaxBound: 2}} {
		b := newBackendOrSkip(t, opt)
		d, err := b.Load(tab, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: 333, Hi: 1401}} {
			dd := d.(*Data)
			if dd.gram != nil {
				poisonGram(t, dd)
			}
			got, err := dd.Gram(rows)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ref.Gram(rows)
			u := b.Precision().UnitRoundoff()
			name := fmt.Sprintf("%+v rows %+v", opt, rows)
			for j := 0; j < p; j++ {
				for k := 0; k < p; k++ {
					// |x| ≤ ~500: the terms are at most 2.5e5 each.
					tol := (8*u + float64(rows.Len()+16)*0x1p-53) * 2.5e5 * float64(rows.Len())
					if g, w := got[j*p+k], want[j*p+k]; !(math.Abs(g-w) <= tol) {
						t.Fatalf("%s: G[%d,%d] = %.17g; want %.17g ± %.3g", name, j, k, g, w, tol)
					}
				}
			}
		}
		d.SetOrder(make([]int32, n))
		if _, err := d.(*Data).Gram(lsgd.Rows{Lo: 0, Hi: n, Shuffled: true}); err == nil {
			t.Errorf("%+v: Gram over shuffled rows succeeded; want an error", opt)
		}
		d.Release()
	}
}

// poisonGram fills Gram's partials and sums buffers with NaN, so a
// dispatch that skips a write shows in the result.
func poisonGram(t *testing.T, d *Data) {
	t.Helper()
	err := d.do(func(c *gldev.Ctx) error {
		for _, b := range []*gldev.Buffer{d.gram.part, d.gram.acc} {
			nan := make([]float64, b.Size/8)
			for i := range nan {
				nan[i] = math.NaN()
			}
			gldev.Upload(c, b, 0, nan)
		}
		return c.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGramWorkGroups checks that the number of work groups per dispatch
// does not change a bit of G (each work group's work and the reduction
// order are fixed by the row range and the layout).
func TestGramWorkGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	n, f := 2500, 35
	tab := tableio.NewTable(n, f+1, lsgd.F64)
	for i := range tab.F64 {
		tab.F64[i] = 3 + rng.NormFloat64()
	}
	var first []float64
	for _, opt := range []Options{{}, {MaxGroups: 1}, {MaxGroups: 7}} {
		d, err := newBackendOrSkip(t, opt).Load(tab, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.(*Data).Gram(lsgd.Rows{Lo: 17, Hi: n})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = got
			continue
		}
		for k := range got {
			if math.Float64bits(got[k]) != math.Float64bits(first[k]) {
				t.Fatalf("MaxGroups %d: G[%d] = %.17g; with the default %.17g", opt.MaxGroups, k, got[k], first[k])
			}
		}
	}
}
