//go:build cgo

package gpu

import (
	"fmt"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/gpu/internal/gldev"
)

// Shape of the Gram kernel (shaders/gram.comp).
const (
	gramT     = 32   // side of a tile of G per work group
	gramRB    = 16   // rows staged in shared memory at a time
	gramWG    = 256  // invocations per work group (2×2 entries each)
	gramRC    = 1024 // rows per row chunk (one work group's rows)
	gramSegRC = 64   // row chunks per segment, at most
	// gramPartBytes bounds the partials buffer (and the sums of a batch).
	gramPartBytes = 64 << 20
	gramTileBytes = gramT * gramT * 8
)

// gramState is what Gram keeps between calls: its programs, buffers and
// the batch shape, all derived from the layout and the device's limits.
type gramState struct {
	prog, red *gldev.Program
	pairs     *gldev.Buffer // the upper tile pairs (J ≤ K) as uvec2
	part, acc *gldev.Buffer
	npairs    int // tile pairs of G
	batch     int // tile pairs per batch
	segRC     int // row chunks per segment
	redWG     int
	pairList  [][2]int
}

// gramShape returns the row chunks per segment and the tile pairs per
// batch for a table whose largest storage block (forced or queried) is
// block bytes, on a device whose real limit is devBlock. The partials of
// one tile over a segment, segRC·T²·8 bytes, fit the block where they can,
// and the partials buffer, batch·segRC·T²·8 bytes (and so the batch's
// sums), stays within min(gramPartBytes, devBlock) and the block, but
// never below one tile's segment: a forced small block (tests) splits
// the pass into many segments and batches.
func gramShape(block, devBlock int64, npairs int) (segRC, batch int) {
	segRC = int(max(1, min(gramSegRC, block/gramTileBytes)))
	seg := int64(segRC) * gramTileBytes
	limit := min(int64(gramPartBytes), devBlock, max(block, seg))
	batch = int(max(1, min(int64(npairs), limit/seg)))
	return segRC, batch
}

func (d *Data) gramSetup(c *gldev.Ctx) error {
	l, b := d.l, d.b
	caps := c.Caps()
	if caps.MaxInvocations < gramWG || caps.MaxGroupSize[0] < gramWG {
		return fmt.Errorf("gpu: the Gram kernel needs work groups of %d invocations; %s allows %d", gramWG, caps.Renderer, min(caps.MaxInvocations, caps.MaxGroupSize[0]))
	}
	if need := 2 * gramRB * gramT * 8; caps.SharedBytes < need {
		return fmt.Errorf("gpu: the Gram kernel needs %s of shared memory; %s has %s", gldev.Bytes(int64(need)), caps.Renderer, gldev.Bytes(int64(caps.SharedBytes)))
	}
	if gramTileBytes > caps.MaxBlockBytes {
		return fmt.Errorf("gpu: a Gram tile (%s) does not fit the largest storage block (%s)", gldev.Bytes(gramTileBytes), gldev.Bytes(caps.MaxBlockBytes))
	}
	g := &gramState{}
	nt := (l.cols + 1 + gramT - 1) / gramT
	for a := 0; a < nt; a++ {
		for k := a; k < nt; k++ {
			g.pairList = append(g.pairList, [2]int{a, k})
		}
	}
	g.npairs = len(g.pairList)
	g.segRC, g.batch = gramShape(l.blockBytes, caps.MaxBlockBytes, g.npairs)
	if int64(g.npairs)*8 > caps.MaxBlockBytes {
		return fmt.Errorf("gpu: %d Gram tiles do not fit a storage block", g.npairs)
	}
	g.redWG = min(l.smallWG, 256)
	var err error
	g.prog, err = b.program(c, "gram.comp", d.f64, append([]def{{"C4", l.c4}, {"COLS", l.cols}, {"NX", l.nx},
		{"T", gramT}, {"RB", gramRB}, {"RC", gramRC}}, d.weightDefs64()...)...)
	if err != nil {
		return err
	}
	g.red, err = b.program(c, "gram.comp", false, def{"REDUCE", 1}, def{"WG", g.redWG}, def{"C4", l.c4})
	if err != nil {
		return err
	}
	pairs := make([]uint32, 2*g.npairs)
	for i, p := range g.pairList {
		pairs[2*i], pairs[2*i+1] = uint32(p[0]), uint32(p[1])
	}
	if g.pairs, err = c.NewBuffer("the Gram tile pairs", int64(len(pairs))*4); err != nil {
		return err
	}
	gldev.Upload(c, g.pairs, 0, pairs)
	if g.part, err = c.NewBuffer("the Gram partial sums", int64(g.batch*g.segRC)*gramTileBytes); err != nil {
		c.Release(g.pairs)
		return err
	}
	if g.acc, err = c.NewBuffer("the Gram sums", int64(g.batch)*gramTileBytes); err != nil {
		c.Release(g.pairs)
		c.Release(g.part)
		return err
	}
	d.gram = g
	return c.Err()
}

func (g *gramState) release(c *gldev.Ctx) {
	if g == nil {
		return
	}
	c.Release(g.pairs)
	c.Release(g.part)
	c.Release(g.acc)
}

// Gram returns G = Σ_i w_i·x̃_i x̃_iᵀ over the rows Lo…Hi−1, x̃_i row i of
// the table as the contract defines it (after any Standardize) with a 1
// appended and w_i its weight (1 for an unweighted table): p×p,
// p = Cols()+1, row-major, its last row the (weighted) column sums and
// the row count (Σw). Only contiguous row ranges are supported: shuffled rows
// are an error.
//
// The device computes G' = Σ x̃'x̃'ᵀ of the stored rows x̃' = x̃ − s (s
// the column shift, 0 for the intercept) in double: tiles of T×T entries
// of the upper triangle per work group, over row chunks of RC rows,
// partials reduced over the chunks in order (see gram.comp), batches of
// tiles small enough for a bounded partials buffer, only the batch's sums
// read back. The host then un-shifts in float64 with the column sums
// σ = Σ w·x̃' (the last column of G', σ_p−1 = m = Σw):
//
//	G = G' + s·σᵀ + σ·sᵀ + m·s·sᵀ
//
// and mirrors the upper triangle. Every sum runs in a fixed order that
// depends on the row range and the layout only: the same bits every run.
func (d *Data) Gram(rows lsgd.Rows) ([]float64, error) {
	if rows.Shuffled {
		return nil, fmt.Errorf("gpu: Gram takes a contiguous row range; shuffled rows are not supported")
	}
	if err := d.checkRows(rows); err != nil {
		return nil, err
	}
	l := d.l
	p := l.cols + 1
	gs := make([]float64, p*p) // G' (upper triangle)
	err := d.do(func(c *gldev.Ctx) error {
		if d.gram == nil {
			if err := d.gramSetup(c); err != nil {
				return err
			}
		}
		g := d.gram
		segs := l.segments(rows, l.nx, gramRC, g.segRC, nil)
		sums := make([]float64, g.batch*gramT*gramT)
		for p0 := 0; p0 < g.npairs; p0 += g.batch {
			nb := min(g.batch, g.npairs-p0)
			ln := nb * gramT * gramT
			for i, s := range segs {
				nrc := groups(s.n, gramRC)
				pg := g.prog
				xs := d.window(c, s.chunk0, s.nbound)
				for k := 0; k < l.nx; k++ {
					c.Bind(k, xs[min(k, s.nbound-1)])
				}
				d.bindWeights(c, d.wt64, s.chunk0, s.nbound, l.nx)
				c.Bind(4, g.pairs)
				c.Bind(5, g.part)
				c.SetUint(pg, "n", uint32(s.n))
				c.SetUint(pg, "pos0", uint32(s.pos0))
				c.SetUint(pg, "chunk0", uint32(s.chunk0))
				c.SetUint(pg, "nbound", uint32(s.nbound))
				c.SetUint(pg, "chunkRows", uint32(l.chunkRows))
				c.SetUint(pg, "pair0", uint32(p0))
				c.SetUint(pg, "npairs", uint32(nb))
				c.SetUint(pg, "nrc", uint32(nrc))
				d.dispatch(c, pg, nb*nrc)
				c.Barrier()
				r := g.red
				c.Bind(5, g.part)
				c.Bind(6, g.acc)
				c.SetUint(r, "len", uint32(ln))
				c.SetUint(r, "nrc", uint32(nrc))
				c.SetUint(r, "first", b2u(i == 0))
				d.dispatch(c, r, (ln+g.redWG-1)/g.redWG)
				c.Barrier()
			}
			gldev.Download(c, g.acc, 0, sums[:ln])
			for t, pr := range g.pairList[p0 : p0+nb] {
				tile := sums[t*gramT*gramT : (t+1)*gramT*gramT]
				for a := 0; a < gramT; a++ {
					j := pr[0]*gramT + a
					if j >= p {
						break
					}
					for b := 0; b < gramT; b++ {
						if k := pr[1]*gramT + b; k >= j && k < p {
							gs[j*p+k] = tile[a*gramT+b]
						}
					}
				}
			}
		}
		return c.Err()
	})
	if err != nil {
		return nil, err
	}
	// Un-shift in float64 and mirror. A weighted table's m is Σw, the
	// device's sum of the weights it multiplied the rows by.
	m := float64(rows.Len())
	if l.weighted {
		m = gs[p*p-1]
	}
	s := make([]float64, p)
	copy(s, d.shift[:l.cols])
	sig := make([]float64, p)
	for j := 0; j < p; j++ {
		sig[j] = gs[j*p+p-1]
	}
	sig[p-1] = m
	for j := 0; j < p; j++ {
		for k := j; k < p; k++ {
			v := gs[j*p+k] + s[j]*sig[k] + sig[j]*s[k] + m*s[j]*s[k]
			gs[j*p+k] = v
			gs[k*p+j] = v
		}
	}
	return gs, nil
}
