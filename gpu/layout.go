//go:build cgo

package gpu

import (
	"fmt"
	"math/bits"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/gpu/internal/gldev"
)

// maxBound is the most table buffers a row kernel binds at once
// (bindings 0…3 in common.glsl; GL 4.3 guarantees only 8 storage blocks
// per compute shader, and the gradient kernel needs three more).
const maxBound = 4

// layout is how a table of a given shape is laid out on a device: the
// storage (rows padded to vec4s, split into buffers that each fit one
// storage block) and the launch shape of the row kernels. Everything here
// derives from the table's shape, the device's queried limits and the
// Options, so it is computed once per Load and can be tested without GL.
type layout struct {
	rows, cols int  // table shape (the target included)
	weighted   bool // the table has weights (a buffer per table buffer, bindings 7…)
	c4         int  // vec4s per stored row
	elem       int  // bytes per stored value: 4 (float32) or 8 (float64)
	rowBytes   int64

	blockBytes int64 // largest storage block used (queried limit or forced)
	chunkRows  int   // rows per table buffer
	nchunks    int   // table buffers
	nx         int   // table buffers the gradient kernel binds at once

	wg, r       int        // invocations per work group and rows per invocation (row kernels)
	grad        kernel     // the gradient kernel: kernelRows (grad.comp) or kernelTiled (gradtile.comp)
	tile        tiledShape // its launch shape when tiled
	gradPer     int        // rows per work group of the gradient kernel
	smallWG     int        // invocations per work group of the one-group kernels
	kbGrad      int        // lanes per tree pass, gradient kernel (LANES = c4+1)
	wsh         bool       // the gradient kernel keeps the point in shared memory
	momLanes    int        // vec4 sums of the moments kernel: c4, and (Σw, 0, 0, 0) when weighted
	kbMoments   int        // lanes per tree pass, moments kernel (LANES = momLanes)
	maxGroups   int        // work groups per dispatch
	partGroups  int        // groups whose partial sums fit one partials buffer (gradient)
	partMoments int        // the same for the moments kernel (double partials)
	orderChunk  int        // order entries per order buffer
}

func (l *layout) laneBytes() int64   { return int64(4 * l.elem) }
func (l *layout) rowsPerGroup() int  { return l.wg * l.r } // of the rows kernels (grad.comp, moments.comp)
func (l *layout) vecLen() int        { return 4*l.c4 + 4 } // P in common.glsl
func (l *layout) chunkLen(k int) int { return min(l.chunkRows, l.rows-k*l.chunkRows) }

// limits are the device limits a layout is computed from (gldev.Caps with
// the Options' overrides applied).
type limits struct {
	blockBytes     int64
	maxGroups      int
	maxInvocations int
	maxSizeX       int
	sharedBytes    int
	storageBlocks  int
	wg, r          int    // 0: choose
	maxBound       int    // 0: maxBound
	software       bool   // a software renderer (llvmpipe): the kernel choice differs
	kernel         kernel // kernelAuto: choose
	tr, tt         int    // tile rows and tiles per group of the tiled kernel (0: choose)
}

func limitsOf(c *gldev.Caps, o *Options) limits {
	l := limits{
		blockBytes:     c.MaxBlockBytes,
		maxGroups:      c.MaxGroupCount[0],
		maxInvocations: c.MaxInvocations,
		maxSizeX:       c.MaxGroupSize[0],
		sharedBytes:    c.SharedBytes,
		storageBlocks:  min(c.MaxStorageBlocks, c.MaxBindings),
		wg:             o.WorkGroupSize,
		r:              o.RowsPerInvocation,
		maxBound:       o.MaxBound,
		software:       c.Software,
		kernel:         o.kernel,
		tr:             o.TileRows,
		tt:             o.TilesPerGroup,
	}
	if o.MaxBlockBytes > 0 && o.MaxBlockBytes < l.blockBytes {
		l.blockBytes = o.MaxBlockBytes
	}
	if o.MaxGroups > 0 && o.MaxGroups < l.maxGroups {
		l.maxGroups = o.MaxGroups
	}
	return l
}

// Default launch shape of the row kernels.
const (
	defaultWG = 256
	defaultR  = 16
)

func floorPow2(n int) int {
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return p
}

// weightBinding is the binding of the weights of the first bound table
// buffer; buffer k's are at weightBinding+k (common.glsl).
const weightBinding = 7

// newLayout lays out a table of rows × cols values, with a weight per row
// when weighted (stored in buffers of their own, split like the table).
func newLayout(rows, cols int, weighted bool, p lsgd.Precision, lim limits) (*layout, error) {
	l := &layout{rows: rows, cols: cols, weighted: weighted, c4: (cols + 3) / 4, elem: 4}
	if p == lsgd.F64 {
		l.elem = 8
	}
	l.rowBytes = int64(l.c4) * l.laneBytes()
	l.blockBytes = lim.blockBytes
	if rows > 1<<31-1 {
		return nil, fmt.Errorf("gpu: %d rows is more than the 2³¹−1 the kernels index", rows)
	}
	if l.rowBytes > l.blockBytes {
		return nil, fmt.Errorf("gpu: a row of %d columns (%s) does not fit the largest shader storage block (%s)",
			cols, gldev.Bytes(l.rowBytes), gldev.Bytes(l.blockBytes))
	}
	// Indices into a buffer are uint vec4 counts: keep them below 2³¹.
	l.chunkRows = int(min(l.blockBytes/l.rowBytes, int64(1<<31-1)/int64(l.c4)))
	l.nchunks = (rows + l.chunkRows - 1) / l.chunkRows
	mb := maxBound
	if lim.maxBound > 0 {
		mb = min(mb, lim.maxBound)
	}
	l.nx = max(1, min(mb, l.nchunks, lim.storageBlocks-3))
	if weighted {
		// The gradient kernel binds nx weight buffers more, at bindings
		// 7…6+nx.
		l.nx = min(l.nx, (lim.storageBlocks-3)/2, lim.storageBlocks-weightBinding)
		if l.nx < 1 {
			return nil, fmt.Errorf("gpu: a weighted table needs %d storage blocks (and bindings) per compute shader; the device allows %d",
				weightBinding+1, lim.storageBlocks)
		}
	}

	maxWG := floorPow2(min(lim.maxInvocations, lim.maxSizeX))
	l.wg = min(defaultWG, maxWG)
	if lim.wg > 0 {
		if lim.wg&(lim.wg-1) != 0 || lim.wg > maxWG {
			return nil, fmt.Errorf("gpu: work-group size %d is not a power of two ≤ %d", lim.wg, maxWG)
		}
		l.wg = lim.wg
	}
	// The tree needs at least one lane of WG values in shared memory, in
	// double for the moments; keep 1 KiB for the kernels' other shared
	// variables.
	shared := int64(lim.sharedBytes - 1024)
	for l.wg > 1 && int64(l.wg)*32 > shared {
		l.wg /= 2
	}
	l.smallWG = min(256, maxWG)
	for l.smallWG > 1 && int64(l.smallWG)*16 > shared {
		l.smallWG /= 2
	}
	l.r = defaultR
	if lim.r > 0 {
		l.r = lim.r
	}
	lanes := int64(l.wg) * l.laneBytes()
	l.momLanes = l.c4
	if weighted {
		l.momLanes++
	}
	// At most WG lanes per pass: treeStore's invocation t < KB stores lane
	// t of the pass.
	l.kbMoments = int(min(int64(l.momLanes), shared/(int64(l.wg)*32), int64(l.wg)))
	// The point goes to shared memory when it leaves room for half the
	// lanes the tree could otherwise reduce at once.
	wbytes := int64(l.c4+1) * l.laneBytes()
	l.wsh = wbytes <= shared/2 && shared-wbytes >= lanes
	if l.wsh {
		shared -= wbytes
	}
	l.kbGrad = int(min(int64(l.c4+1), shared/lanes, int64(l.wg)))
	l.maxGroups = lim.maxGroups
	// The partials of one work group, (C4+1)·32 bytes at most, are taken
	// to fit any block: GL 4.3 guarantees 16 MiB, and a row of the half
	// million columns that would need more does not fit either.
	l.partGroups = int(max(1, l.blockBytes/(int64(l.c4+1)*l.laneBytes())))
	l.partMoments = int(max(1, l.blockBytes/(int64(l.momLanes)*32)))
	l.orderChunk = int(min(l.blockBytes/4, 1<<31-1))

	l.grad = lim.kernel
	if l.grad == kernelAuto {
		l.grad = autoKernel(l.c4, lim.software)
	}
	l.gradPer = l.rowsPerGroup()
	if l.grad == kernelTiled {
		maxTileWG := min(defaultWG, maxWG)
		if lim.wg > 0 {
			maxTileWG = lim.wg
		}
		ts, err := newTiledShape(l.c4, l.elem, rows, maxTileWG, lim.wg > 0, weighted, int64(lim.sharedBytes), lim.tr, lim.tt)
		switch {
		case err == nil:
			l.tile, l.gradPer = ts, ts.tr*ts.tt
		case lim.kernel == kernelTiled:
			return nil, err
		default:
			l.grad = kernelRows // too wide for a tile in shared memory
		}
	}
	return l, nil
}

// kernel is a variant of the gradient kernel.
type kernel uint8

const (
	kernelAuto  kernel = iota // chosen by autoKernel
	kernelRows                // grad.comp: whole rows per invocation, registers
	kernelTiled               // gradtile.comp: tiles of rows staged in shared memory
)

func (k kernel) String() string {
	switch k {
	case kernelRows:
		return "rows"
	case kernelTiled:
		return "tiled"
	}
	return "auto"
}

func parseKernel(s string) (kernel, error) {
	for _, k := range []kernel{kernelAuto, kernelRows, kernelTiled} {
		if s == k.String() {
			return k, nil
		}
	}
	return kernelAuto, fmt.Errorf("gpu: gradient kernel %q is not auto, rows or tiled", s)
}

// autoKernel is the gradient kernel used for rows of c4 vec4s when none is
// forced (README.md, "Kernel variants: predictions and outcomes"). On a
// hardware GPU the tiled kernel is predicted faster once a warp's row-wise
// loads touch more cache lines than the L1 serves at the memory's rate
// (c4 > 4: rows wider than 64 bytes) and the rows kernel's registers
// (C4 row vec4s + C4+1 accumulators) limit its occupancy; narrower rows
// are read almost coalesced by the rows kernel, without the tile's
// barriers. On llvmpipe the rows kernel measured faster at every width.
func autoKernel(c4 int, software bool) kernel {
	if software || c4 <= 4 {
		return kernelRows
	}
	return kernelTiled
}

// tiledShape is the launch shape of gradtile.comp (see its header).
type tiledShape struct {
	wg, tr, pr, tt int
	cp             int // tile row stride in vec4s, odd
	nlt, sl, slp   int // invocations per slice, slices, slices rounded up to a power of two
	m, ld          int // lanes per invocation, vec4 loads per invocation per tile
	tileLen        int // vec4s of the tile array
	sharedBytes    int64
}

// Tiles per work group of the tiled kernel: at most defaultTT (the float32
// running sum of each lane over the tiles is TT terms long), and few enough
// to give about targetGroups work groups, so that the last partial wave of
// resident groups is a small part of the pass (an H200 holds about 400
// groups of the 10M-row shapes at once: 8192 groups are 20 waves).
const (
	defaultTT    = 16
	targetGroups = 8192
)

// newTiledShape chooses the tiled kernel's shape for rows of c4 vec4s of
// elem-byte values: the largest work group (a power of two ≤ maxWG, and
// ≥ 32 if maxWG is; exactly maxWG when fixed) and, for it, the largest tile
// (TR = WG/PR rows, PR = 1, 2 or 4; exactly tr when tr > 0) whose shared
// variables fit in shared bytes; tt tiles per group (tt > 0), else as many
// as keep about targetGroups work groups for a table of rows rows, at most
// defaultTT. A weighted table's kernel keeps each tile row's weight in
// shared memory too (two tiles' worth, like rinfo).
func newTiledShape(c4, elem, rows, maxWG int, fixed, weighted bool, shared int64, tr, tt int) (tiledShape, error) {
	vec := int64(4 * elem)
	cp := c4 | 1
	lanes := c4 + 1
	minWG := min(32, maxWG)
	if fixed {
		minWG = maxWG
	}
	for wg := maxWG; wg >= minWG && wg >= 1; wg /= 2 {
		for _, pr := range []int{1, 2, 4} {
			if wg%pr != 0 || (tr > 0 && wg != tr*pr) {
				continue
			}
			s := tiledShape{wg: wg, tr: wg / pr, pr: pr, cp: cp, nlt: min(lanes, wg)}
			s.sl = wg / s.nlt
			s.slp = floorPow2(s.sl)
			if s.slp < s.sl {
				s.slp *= 2
			}
			s.m = (lanes + s.nlt - 1) / s.nlt
			s.ld = (s.tr*c4 + wg - 1) / wg
			s.tileLen = max(s.tr*cp, s.sl*lanes)
			// tile, rp, rinfo (uvec2 × 2 tiles), ws
			s.sharedBytes = int64(s.tileLen)*vec + int64(s.tr)*vec + int64(2*s.tr)*8 + int64(lanes)*vec
			if weighted {
				s.sharedBytes += int64(2*s.tr) * int64(elem) // rw
			}
			if s.sharedBytes > shared {
				continue
			}
			s.tt = tt
			if s.tt <= 0 {
				s.tt = max(1, min(defaultTT, rows/(targetGroups*s.tr)))
			}
			return s, nil
		}
	}
	what := fmt.Sprintf("%d rows per tile", tr)
	if tr <= 0 {
		what = "a tile"
	}
	return tiledShape{}, fmt.Errorf("gpu: the tiled gradient kernel finds no work group of ≤ %d invocations and %s of %d-column rows within %s of shared memory",
		maxWG, what, 4*c4, gldev.Bytes(shared))
}

// segment is a piece of a row kernel's work that one partials buffer
// holds: positions pos0…pos0+n−1, rows of the table, or entries of order
// buffer oc (oc ≥ 0: shuffled), of which the rows in the table buffers
// chunk0…chunk0+nbound−1 (the bound window) are summed.
type segment struct {
	chunk0, nbound int
	oc             int
	pos0, n        int
}

// sumDepth is the number of float32 roundings (in units of u) each entry
// of a work group's partial gradient can accumulate, at most, over the
// group's rows (README.md, error bounds): R − 1 + log₂ WG for the rows
// kernel; for the tiled kernel ⌈TR/SL⌉ − 1 in a tile, TT − 1 over the
// tiles, ⌈log₂ SL⌉ in the tree over the slices.
func (l *layout) sumDepth() int {
	if l.grad == kernelTiled {
		t := &l.tile
		return (t.tr+t.sl-1)/t.sl - 1 + t.tt - 1 + bits.Len(uint(t.slp)) - 1
	}
	return l.r - 1 + bits.Len(uint(l.wg)) - 1
}

// groups is the number of work groups of per rows that n rows take.
func groups(n, per int) int { return (n + per - 1) / per }

// segments splits a row selection into segments of at most mostGroups
// work groups of per rows (the partials buffer's capacity), in a fixed
// order (so the second-stage sums are added in a fixed order), binding nx
// table buffers at a time. Contiguous rows visit only the windows that hold them;
// shuffled rows visit every window and each row is summed in the window
// that holds it.
func (l *layout) segments(rows lsgd.Rows, nx, per, mostGroups int, dst []segment) []segment {
	dst = dst[:0]
	most := mostGroups * per
	split := func(s segment, lo, hi int) {
		for a := lo; a < hi; a += most {
			s.pos0, s.n = a, min(most, hi-a)
			dst = append(dst, s)
		}
	}
	span := nx * l.chunkRows // rows per window
	nwin := (l.nchunks + nx - 1) / nx
	if !rows.Shuffled {
		for w := 0; w < nwin; w++ {
			lo, hi := max(rows.Lo, w*span), min(rows.Hi, (w+1)*span)
			if lo < hi {
				split(segment{chunk0: w * nx, nbound: min(nx, l.nchunks-w*nx), oc: -1}, lo, hi)
			}
		}
		return dst
	}
	for oc := 0; oc*l.orderChunk < rows.Hi; oc++ {
		base := oc * l.orderChunk
		lo, hi := max(rows.Lo, base), min(rows.Hi, base+l.orderChunk)
		if lo >= hi {
			continue
		}
		for w := 0; w < nwin; w++ {
			split(segment{chunk0: w * nx, nbound: min(nx, l.nchunks-w*nx), oc: oc}, lo-base, hi-base)
		}
	}
	return dst
}

// partBytes is the size of the partials buffer: the groups of the largest
// segment of the gradient or the moments kernel.
func (l *layout) partBytes() int64 {
	g := int64(min(l.partGroups, groups(l.rows, l.gradPer))) * int64(l.c4+1) * l.laneBytes()
	m := int64(min(l.partMoments, groups(l.rows, l.rowsPerGroup()))) * int64(l.momLanes) * 32
	return max(g, m)
}
