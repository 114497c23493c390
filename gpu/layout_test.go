package gpu

import (
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
		}
		l, err := newLayout(rows, cols, lsgd.F32, lim)
		if err != nil {
			continue // a row wider than the block
		}
		if l.kbGrad < 1 || l.kbMoments < 1 || l.wg < 1 || l.partMoments < 1 {
			t.Fatalf("no room for the tree: %+v", l)
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
			for _, s := range l.segments(sel, l.nx, l.partGroups, nil) {
				if l.groups(s.n) > l.partGroups || s.n <= 0 {
					t.Fatalf("segment %+v: %d groups, partials hold %d", s, l.groups(s.n), l.partGroups)
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
	if _, err := newLayout(10, 17, lsgd.F32, lim); err == nil {
		t.Error("a 80-byte row in a 64-byte block: no error")
	} else {
		t.Log(err)
	}
	lim.wg = 48
	if _, err := newLayout(10, 3, lsgd.F32, lim); err == nil {
		t.Error("work-group size 48: no error")
	}
}
