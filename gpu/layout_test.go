//go:build cgo

package gpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
)

// TestSegments checks, without GL, that the segments of a row selection
// sum every selected row exactly once, within the partials buffer and the
// bound window, for many shapes and limits.
func TestSegments(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 300; trial++ {
		rows := 1 + rng.IntN(5000)
		cols := 2 + rng.IntN(70)
		lim := limits{
			blockBytes:     int64(16 * (1 + rng.IntN(600))),
			maxGroups:      1 + rng.IntN(5),
			maxInvocations: 1024, maxSizeX: 1024, sharedBytes: 32 << 10, storageBlocks: 8,
			wg: 1 << rng.IntN(11), r: 1 + rng.IntN(5), maxBound: 1 + rng.IntN(4),
			kernel: []kernel{kernelAuto, kernelRows, kernelTiled}[rng.IntN(3)], tt: rng.IntN(4),
		}
		weighted := trial%2 == 1
		l, err := newLayout(rows, cols, weighted, lsgd.F32, lim)
		if err != nil {
			continue // a row wider than the block
		}
		if weighted && (weightBinding+l.nx > lim.storageBlocks || 3+2*l.nx > lim.storageBlocks) {
			t.Fatalf("%d table and %d weight buffers bound: more than %d storage blocks", l.nx, l.nx, lim.storageBlocks)
		}
		if l.kbGrad < 1 || l.kbMoments < 1 || l.wg < 1 || l.partMoments < 1 {
			t.Fatalf("no room for the tree: %+v", l)
		}
		if l.kbGrad > l.wg || l.kbMoments > l.wg {
			t.Fatalf("tree passes of %d and %d lanes: more than the %d invocations that store them", l.kbGrad, l.kbMoments, l.wg)
		}
		if l.chunkRows*l.nchunks < rows || l.chunkRows*(l.nchunks-1) >= rows {
			t.Fatalf("%d rows in %d buffers of %d", rows, l.nchunks, l.chunkRows)
		}
		if int64(l.chunkRows)*l.rowBytes > l.blockBytes || l.partBytes() > max(l.blockBytes, int64(l.c4+1)*32) || int64(l.orderChunk)*4 > l.blockBytes {
			t.Fatalf("a buffer exceeds the %d-byte block: %+v", l.blockBytes, l)
		}
		order := make([]int32, rows)
		for i, v := range rng.Perm(rows) {
			order[i] = int32(v)
		}
		lo := rng.IntN(rows)
		hi := lo + 1 + rng.IntN(rows-lo)
		for _, shuffled := range []bool{false, true} {
			sel := lsgd.Rows{Lo: lo, Hi: hi, Shuffled: shuffled}
			count := make([]int, rows)
			for _, s := range l.segments(sel, l.nx, l.gradPer, l.partGroups, nil) {
				if groups(s.n, l.gradPer) > l.partGroups || s.n <= 0 {
					t.Fatalf("segment %+v: %d groups, partials hold %d", s, groups(s.n, l.gradPer), l.partGroups)
				}
				if s.nbound < 1 || s.nbound > l.nx || s.chunk0+s.nbound > l.nchunks {
					t.Fatalf("segment %+v binds buffers outside [0, %d)", s, l.nchunks)
				}
				for q := 0; q < s.n; q++ {
					row := s.pos0 + q
					if shuffled {
						row = int(order[s.oc*l.orderChunk+s.pos0+q])
					}
					if c := row/l.chunkRows - s.chunk0; c >= 0 && c < s.nbound {
						count[row]++
					}
				}
			}
			for k := sel.Lo; k < sel.Hi; k++ {
				row := k
				if shuffled {
					row = int(order[k])
				}
				if count[row] != 1 {
					t.Fatalf("rows %+v, layout %+v: row %d summed %d times", sel, l, row, count[row])
				}
				count[row] = 0
			}
			for i, n := range count {
				if n != 0 {
					t.Fatalf("rows %+v: unselected row %d summed %d times", sel, i, n)
				}
			}
		}
	}
}

func TestLayoutErrors(t *testing.T) {
	lim := limits{blockBytes: 64, maxGroups: 65535, maxInvocations: 1024, maxSizeX: 1024, sharedBytes: 32 << 10, storageBlocks: 8}
	if _, err := newLayout(10, 17, false, lsgd.F32, lim); err == nil {
		t.Error("a 80-byte row in a 64-byte block: no error")
	} else {
		t.Log(err)
	}
	lim.wg = 48
	if _, err := newLayout(10, 3, false, lsgd.F32, lim); err == nil {
		t.Error("work-group size 48: no error")
	}
}

// TestTiledShape checks, without GL, that the tiled kernel's shapes fit the
// shared memory they are chosen for and cover every vec4 of a tile and
// every lane, for many widths and limits, and that auto falls back to the
// rows kernel only when no tile fits.
func TestTiledShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for trial := 0; trial < 2000; trial++ {
		c4 := 1 + rng.IntN(300)
		elem := []int{4, 8}[rng.IntN(2)]
		shared := int64(1024 * (1 + rng.IntN(64)))
		maxWG := 1 << (4 + rng.IntN(7))
		fixed := rng.IntN(3) == 0
		tr, tt := 0, 0
		if rng.IntN(3) == 0 {
			tr = maxWG >> rng.IntN(3)
		}
		if rng.IntN(2) == 0 {
			tt = 1 + rng.IntN(20)
		}
		rows := 1 + rng.IntN(1<<24)
		weighted := trial%2 == 1
		s, err := newTiledShape(c4, elem, rows, maxWG, fixed, weighted, shared, tr, tt)
		name := fmt.Sprintf("c4 %d elem %d shared %d maxWG %d fixed %v weighted %v tr %d tt %d", c4, elem, shared, maxWG, fixed, weighted, tr, tt)
		if err != nil {
			// Nothing fits: not even the smallest tile allowed.
			minWG := min(32, maxWG)
			if fixed {
				minWG = maxWG
			}
			r, sl := minWG/4, minWG/min(c4+1, minWG)
			smallest := int64(4*elem)*int64(max(r*(c4|1), sl*(c4+1))+r+c4+1) + int64(16*r)
			if weighted {
				smallest += int64(2 * r * elem)
			}
			if tr == 0 && smallest <= shared {
				t.Fatalf("%s: %v, but %d-invocation groups with %d-row tiles fit (%d bytes)", name, err, minWG, minWG/4, smallest)
			}
			continue
		}
		lanes := c4 + 1
		switch {
		case s.sharedBytes > shared:
			t.Fatalf("%s: %+v uses %d bytes of shared memory", name, s, s.sharedBytes)
		case s.wg > maxWG || (fixed && s.wg != maxWG) || s.wg&(s.wg-1) != 0:
			t.Fatalf("%s: work group %d", name, s.wg)
		case s.tr*s.pr != s.wg || (s.pr != 1 && s.pr != 2 && s.pr != 4) || (tr > 0 && s.tr != tr):
			t.Fatalf("%s: %d rows × %d parts for %d invocations", name, s.tr, s.pr, s.wg)
		case s.cp%2 != 1 || s.cp < c4 || s.cp > c4+1:
			t.Fatalf("%s: row stride %d", name, s.cp)
		case s.ld*s.wg < s.tr*c4 || (s.ld-1)*s.wg >= s.tr*c4:
			t.Fatalf("%s: %d loads of %d invocations for %d vec4s", name, s.ld, s.wg, s.tr*c4)
		case s.nlt*s.sl > s.wg || s.sl < 1 || s.m*s.nlt < lanes || (s.m-1)*s.nlt >= lanes:
			t.Fatalf("%s: %d slices of %d invocations × %d lanes for %d lanes", name, s.sl, s.nlt, s.m, lanes)
		case s.sl > s.slp || s.slp >= 2*s.sl || s.slp&(s.slp-1) != 0:
			t.Fatalf("%s: %d slices, tree of %d", name, s.sl, s.slp)
		case s.tileLen < s.tr*s.cp || s.tileLen < s.sl*lanes:
			t.Fatalf("%s: tile of %d vec4s", name, s.tileLen)
		case s.tt < 1 || (tt > 0 && s.tt != tt) || s.tt > max(tt, defaultTT):
			t.Fatalf("%s: %d tiles per group", name, s.tt)
		}
	}
}

// TestAutoKernel checks the choice of the gradient kernel without GL.
func TestAutoKernel(t *testing.T) {
	lim := limits{blockBytes: 128 << 20, maxGroups: 65535, maxInvocations: 1024, maxSizeX: 1024, sharedBytes: 48 << 10, storageBlocks: 16}
	for _, c := range []struct {
		cols     int
		software bool
		force    kernel
		shared   int
		want     kernel
	}{
		{cols: 16, want: kernelRows},
		{cols: 17, want: kernelTiled},
		{cols: 129, want: kernelTiled},
		{cols: 129, software: true, want: kernelRows},
		{cols: 129, software: true, force: kernelTiled, want: kernelTiled},
		{cols: 3, force: kernelTiled, want: kernelTiled},
		{cols: 129, force: kernelRows, want: kernelRows},
		{cols: 5000, want: kernelRows}, // no tile of 8 rows fits 48 KiB
		{cols: 129, shared: 4 << 10, want: kernelRows},
	} {
		l2 := lim
		l2.software, l2.kernel = c.software, c.force
		if c.shared > 0 {
			l2.sharedBytes = c.shared
		}
		l, err := newLayout(1000, c.cols, false, lsgd.F32, l2)
		if err != nil {
			t.Fatal(err)
		}
		if l.grad != c.want {
			t.Errorf("%+v: %v kernel, want %v", c, l.grad, c.want)
		}
		if l.grad == kernelTiled && l.gradPer != l.tile.tr*l.tile.tt || l.grad == kernelRows && l.gradPer != l.wg*l.r {
			t.Errorf("%+v: %d rows per group for %+v", c, l.gradPer, l)
		}
	}
	lim.kernel, lim.sharedBytes = kernelTiled, 4<<10
	if _, err := newLayout(1000, 129, false, lsgd.F32, lim); err == nil {
		t.Error("forced tiled kernel without room for a tile: no error")
	} else {
		t.Log(err)
	}
}
