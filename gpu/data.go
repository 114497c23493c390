//go:build cgo

package gpu

import (
	"errors"
	"fmt"
	"math"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/gpu/internal/gldev"
	"github.com/lsgd/lsgd/tableio"
)

// Data is a table resident on the GPU with the optimizer's state. It
// implements lsgd.Data and adds Predict and TimeGradient.
//
// The table is stored row-major, each row padded with zero columns to a
// multiple of 4 (vec4 loads), in float32 (or float64), split by rows into
// buffers no larger than the largest storage block. Column j is stored
// shifted, x' = x − shift_j, the shift kept in float64 on the host and the
// device (initially the column's mean, so columns with a large offset keep
// their digits in float32); every method accounts for it. A weighted
// table's weights are stored in buffers of their own, one per table buffer
// (the rows of table buffer k weighted by weight buffer k), bound beside
// the table buffers: in the storage type for the gradient kernels, and as
// given, in double, for Moments and Gram (one set of buffers when the
// storage is double).
type Data struct {
	b      *Backend
	l      *layout
	f64    bool
	target int
	shift  []float64 // per stored column (4·c4, zero past cols)

	x                            []*gldev.Buffer // table buffers
	wt                           []*gldev.Buffer // weight buffers in the storage type, one per table buffer (nil: unweighted)
	wt64                         []*gldev.Buffer // the same in double (wt itself for double storage)
	order                        []*gldev.Buffer // SetOrder's permutation, split like the table
	w, part, acc, vec, stat, out *gldev.Buffer

	pGrad, pMoments, pReduce, pReduceM, pPrep, pFinal, pStep, pPredict, pStd *gldev.Program

	gram     *gramState  // Gram's programs and buffers, made on first use
	logit    *logitState // the binomial family's programs while it is selected
	segs     []segment
	checked  [2]bool // the first Gradient and Step checked for GL errors
	released bool

	stream *streamState // the ring a table beyond the device memory budget streams through (stream.go); nil: resident
	shift0 []float64    // the column shift the values are uploaded with (streamed)
}

var _ lsgd.Data = (*Data)(nil)

// statBuf mirrors struct Stat in common.glsl (std430).
type statBuf struct {
	Loss, Grad2, Param2, LossSum float64
	Count, Restarts, K, Pad      int32
}

const (
	slotMask  = 5
	slotRidge = 6
	slotShift = 7
	nvec      = 8
)

// errReleased is returned by the methods of a released Data.
var errReleased = errors.New("gpu: data used after Release")

// Load uploads t once (t is never modified; inPlace is ignored: the device
// keeps its own copy). Values are converted in row batches through a small
// staging buffer, never a full-size second copy on the host.
func (b *Backend) Load(t *lsgd.Table, inPlace bool) (lsgd.Data, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	lim := limitsOf(&b.caps, &b.opt)
	l, err := newLayout(t.Rows, t.Cols, t.Weights != nil, b.Precision(), lim)
	if err != nil {
		return nil, err
	}
	// A table beyond the budget streams through a ring of 2·nx chunks:
	// the chunks shrink until the ring fits in the budget (unless
	// Options.MaxBlockBytes fixes their size). The results then have the
	// bits of a resident table of the same chunks.
	if budget, err := memoryBudget(&b.caps, &b.opt); err == nil && budget > 0 && b.opt.MaxBlockBytes == 0 &&
		int64(l.rows)*l.rowBytes > budget && 2*int64(l.nx)*int64(l.chunkRows)*l.rowBytes > budget {
		lim.blockBytes = max(l.rowBytes, budget/int64(2*max(1, lim.storageBlocks)))
		if l, err = newLayout(t.Rows, t.Cols, t.Weights != nil, b.Precision(), lim); err != nil {
			return nil, err
		}
	}
	d := &Data{b: b, l: l, f64: b.opt.F64, target: t.Target}
	d.shift = columnMeans(t, 4*l.c4)
	if st, err := b.streamed(l); err != nil {
		return nil, err
	} else if st {
		if !d.f64 {
			if err := t.CheckFloat32(); err != nil {
				return nil, err
			}
		}
		d.stream, d.shift0 = &streamState{t: t}, d.shift
	}
	if err := b.dev.Do(d.setup); err != nil {
		d.Release()
		return nil, err
	}
	if err := d.upload(t); err != nil {
		d.Release()
		return nil, err
	}
	return d, nil
}

// columnMeans returns the float64 mean of each column (0 for padding
// columns and for columns whose mean is not finite).
func columnMeans(t *lsgd.Table, n int) []float64 {
	m := make([]float64, n)
	for i := 0; i < t.Rows; i++ {
		o := i * t.Stride
		if t.F64 != nil {
			for j, v := range t.F64[o : o+t.Cols] {
				m[j] += v
			}
		} else {
			for j, v := range t.F32[o : o+t.Cols] {
				m[j] += float64(v)
			}
		}
	}
	for j := range m {
		m[j] /= float64(t.Rows)
		if math.IsInf(m[j], 0) || math.IsNaN(m[j]) {
			m[j] = 0
		}
	}
	return m
}

func (d *Data) setup(c *gldev.Ctx) error {
	b, l := d.b, d.l
	var err error
	prog := func(name string, defs ...def) *gldev.Program {
		if err != nil {
			return nil
		}
		var p *gldev.Program
		defs = append([]def{{"C4", l.c4}, {"COLS", l.cols}}, defs...)
		p, err = b.program(c, name, d.f64, defs...)
		return p
	}
	name, defs := d.gradSource()
	d.pGrad = prog(name, append(defs, d.weightDefs()...)...)
	d.pMoments = prog("moments.comp", append([]def{{"WG", l.wg}, {"R", l.r}, {"NX", 1}, {"LANES", l.momLanes}, {"KB", l.kbMoments}, {"ACC64", 1}}, d.weightDefs64()...)...)
	d.pPredict = prog("predict.comp", def{"WG", l.wg}, def{"NX", 1})
	d.pStd = prog("standardize.comp", def{"WG", l.wg})
	d.pReduce = prog("reduce.comp", def{"WG", l.smallWG})
	d.pReduceM = prog("reduce.comp", def{"WG", l.smallWG}, def{"ACC64", 1})
	d.pPrep = prog("prep.comp", def{"WG", l.smallWG})
	d.pFinal = prog("finalize.comp", def{"WG", l.smallWG})
	d.pStep = prog("step.comp", def{"WG", l.smallWG})
	if err != nil {
		return err
	}
	buf := func(name string, size int64) *gldev.Buffer {
		if err != nil {
			return nil
		}
		var bf *gldev.Buffer
		bf, err = c.NewBuffer(name, size)
		return bf
	}
	for k := 0; k < l.nchunks && d.stream == nil; k++ {
		name := "the table"
		if l.nchunks > 1 {
			name = fmt.Sprintf("table buffer %d of %d", k+1, l.nchunks)
		}
		d.x = append(d.x, buf(name, int64(l.chunkLen(k))*l.rowBytes))
		if err != nil {
			return err
		}
	}
	if l.weighted {
		for k := 0; k < l.nchunks; k++ {
			name := "the weights"
			if l.nchunks > 1 {
				name = fmt.Sprintf("weight buffer %d of %d", k+1, l.nchunks)
			}
			d.wt = append(d.wt, buf(name, int64(l.chunkLen(k)*l.elem)))
			if !d.f64 {
				d.wt64 = append(d.wt64, buf(name+" (double)", int64(l.chunkLen(k)*8)))
			}
			if err != nil {
				return err
			}
		}
		if d.f64 {
			d.wt64 = d.wt
		}
	}
	if d.stream != nil {
		if err := d.setupStream(c); err != nil {
			return err
		}
	}
	d.w = buf("the evaluation point", int64(l.c4+1)*32) // or the means in double
	d.part = buf("the partial sums", l.partBytes())
	d.acc = buf("the sums", int64(l.vecLen())*8)
	d.vec = buf("the state vectors", int64(nvec*l.vecLen())*8)
	d.stat = buf("the status", 48)
	if err != nil {
		return err
	}
	vec := make([]float64, nvec*l.vecLen())
	copy(vec[slotShift*l.vecLen():], d.shift)
	gldev.Upload(c, d.vec, 0, vec)
	gldev.Upload(c, d.stat, 0, []statBuf{{}})
	return c.Err()
}

// weightDefs is the define of the weighted kernel variants: WEIGHTED for
// a weighted table, nothing otherwise.
func (d *Data) weightDefs() []def {
	if d.l.weighted {
		return []def{{"WEIGHTED", 1}}
	}
	return nil
}

// weightDefs64 is weightDefs for the kernels that read the weights in
// double (moments and gram): WEIGHTED and WDOUBLE.
func (d *Data) weightDefs64() []def {
	if d.l.weighted {
		return []def{{"WEIGHTED", 1}, {"WDOUBLE", 1}}
	}
	return nil
}

// bindWeights binds the weight buffers ws (d.wt or d.wt64) of table
// buffers chunk0… beside the table buffers bound at 0…nx−1 (the last one
// repeated, as the table's are); nothing for an unweighted table.
func (d *Data) bindWeights(c *gldev.Ctx, ws []*gldev.Buffer, chunk0, nbound, nx int) {
	if ws == nil {
		return
	}
	for k := 0; k < nx; k++ {
		c.Bind(weightBinding+k, ws[chunk0+min(k, nbound-1)])
	}
}

// gradSource names the gradient kernel of the layout and its defines.
func (d *Data) gradSource() (string, []def) {
	l := d.l
	if l.grad == kernelTiled {
		ts := &l.tile
		return "gradtile.comp", []def{{"NX", l.nx}, {"WG", ts.wg}, {"TR", ts.tr}, {"TT", ts.tt}, {"PR", ts.pr},
			{"CP", ts.cp}, {"NLT", ts.nlt}, {"SL", ts.sl}, {"SLP", ts.slp}, {"M", ts.m}, {"LD", ts.ld}, {"TILELEN", ts.tileLen}}
	}
	return "grad.comp", []def{{"WG", l.wg}, {"R", l.r}, {"NX", l.nx}, {"LANES", l.c4 + 1}, {"KB", l.kbGrad}, {"WSH", b2i(l.wsh)}}
}

// stagingBytes is the size of the host buffer rows are converted in.
const stagingBytes = 4 << 20

// upload converts the table to the storage type, shifted and padded, in
// batches of rows, and copies each batch into its table buffer.
func (d *Data) upload(t *lsgd.Table) error {
	l := d.l
	if d.stream != nil {
		// The table is uploaded chunk by chunk as the passes need it; the
		// weights (12 bytes a row at most) stay resident.
		if t.Weights != nil {
			if err := d.uploadWeights(t); err != nil {
				return err
			}
		}
		return nil
	}
	batch := int(max(1, min(int64(l.chunkRows), stagingBytes/l.rowBytes)))
	w := 4 * l.c4
	var s32 []float32
	var s64 []float64
	if d.f64 {
		s64 = make([]float64, batch*w)
	} else {
		s32 = make([]float32, batch*w)
	}
	for k := 0; k < l.nchunks; k++ {
		lo, nk := k*l.chunkRows, l.chunkLen(k)
		for a := 0; a < nk; a += batch {
			n := min(batch, nk-a)
			for i := 0; i < n; i++ {
				row := lo + a + i
				o := row * t.Stride
				for j := 0; j < t.Cols; j++ {
					var v float64
					if t.F64 != nil {
						v = t.F64[o+j]
					} else {
						v = float64(t.F32[o+j])
					}
					e := v - d.shift[j]
					if d.f64 {
						s64[i*w+j] = e
						continue
					}
					s32[i*w+j] = float32(e)
					if math.IsInf(float64(s32[i*w+j]), 0) && !math.IsInf(v, 0) {
						return tableio.Float32Overflow(t.Where(row), t.Name(j), j, v)
					}
				}
			}
			off := int64(a) * l.rowBytes
			err := d.b.dev.Do(func(c *gldev.Ctx) error {
				if d.f64 {
					gldev.Upload(c, d.x[k], off, s64[:n*w])
				} else {
					gldev.Upload(c, d.x[k], off, s32[:n*w])
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	if t.Weights != nil {
		if err := d.uploadWeights(t); err != nil {
			return err
		}
	}
	return d.b.dev.Do(func(c *gldev.Ctx) error { return c.Err() })
}

// uploadWeights copies the weights into the double weight buffers and,
// converted to float32 for a float32 table, into the storage-type ones, in
// batches.
func (d *Data) uploadWeights(t *lsgd.Table) error {
	l := d.l
	batch := stagingBytes / 8
	var s32 []float32
	if !d.f64 {
		s32 = make([]float32, min(batch, l.rows))
	}
	for k := 0; k < l.nchunks; k++ {
		lo, nk := k*l.chunkRows, l.chunkLen(k)
		for a := 0; a < nk; a += batch {
			n := min(batch, nk-a)
			src := t.Weights[lo+a : lo+a+n]
			if !d.f64 {
				for i, v := range src {
					s32[i] = float32(v)
					if math.IsInf(float64(s32[i]), 0) {
						name := t.WeightName
						if name == "" {
							name = "weight"
						}
						return &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: weight %g overflows float32 (|w| > 3.4e38)", t.Where(lo+a+i), name, v), Fix: tableio.FixFloat64}
					}
				}
			}
			err := d.b.dev.Do(func(c *gldev.Ctx) error {
				gldev.Upload(c, d.wt64[k], int64(a*8), src)
				if !d.f64 {
					gldev.Upload(c, d.wt[k], int64(a*4), s32[:n])
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Data) Rows() int { return d.l.rows }

// Kernel describes the gradient kernel the table runs with and its launch
// shape, e.g. "tiled: 128 invocations, 32-row tiles, 16 tiles per group,
// 18.4 KiB shared" or "rows: 256 invocations × 16 rows".
func (d *Data) Kernel() string {
	l := d.l
	if l.grad == kernelTiled {
		t := &l.tile
		return fmt.Sprintf("tiled: %d invocations, %d-row tiles, %d tiles per group, %.1f KiB shared",
			t.wg, t.tr, t.tt, float64(t.sharedBytes)/1024) + d.streamInfo()
	}
	return fmt.Sprintf("rows: %d invocations × %d rows", l.wg, l.r) + d.streamInfo()
}
func (d *Data) Cols() int { return d.l.cols }

// do runs fn on the GL thread unless the data was released.
func (d *Data) do(fn func(c *gldev.Ctx) error) error {
	if d.released {
		return errReleased
	}
	return d.b.dev.Do(fn)
}

// dispatch runs p on groups work groups, in dispatches of at most
// maxGroups, setting the uniform groupBase of each.
func (d *Data) dispatch(c *gldev.Ctx, p *gldev.Program, groups int) {
	for base := 0; base < groups; base += d.l.maxGroups {
		c.SetUint(p, "groupBase", uint32(base))
		c.Dispatch(p, min(d.l.maxGroups, groups-base), 1, 1)
	}
}

// reduce runs p (reduce.comp) to add the partial sums of groups work
// groups, n scalars each, into acc (set when first).
func (d *Data) reduce(c *gldev.Ctx, p *gldev.Program, groups, n int, first bool) {
	c.Bind(0, d.part)
	c.Bind(1, d.acc)
	c.SetUint(p, "groups", uint32(groups))
	c.SetUint(p, "len", uint32(n))
	c.SetUint(p, "first", b2u(first))
	d.dispatch(c, p, n)
	c.Barrier()
}

func b2i(v bool) int { return int(b2u(v)) }

func b2u(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

// prep writes the point in slot at, in the storage type, with column zero
// (cols for none) held at 0, into w.
func (d *Data) prep(c *gldev.Ctx, at lsgd.Slot, zero int) {
	c.Bind(0, d.vec)
	c.Bind(1, d.w)
	c.SetUint(d.pPrep, "at", uint32(at))
	c.SetUint(d.pPrep, "zero", uint32(zero))
	c.Dispatch(d.pPrep, 1, 1, 1)
	c.Barrier()
}

// Moments returns each column's mean and its root-mean-square deviation
// from the mean (center) or from zero. Two passes, both accumulated in
// double: the column sums, then the sums of squared deviations from the
// stored values' mean; the shift is added back to the mean. A weighted
// table's sums are weighted and divided by Σw (summed on the device with
// them) instead of the row count.
func (d *Data) Moments(center bool) (mean, scale []float64, err error) {
	l := d.l
	w := 4 * l.c4
	s1, s2 := make([]float64, 4*l.momLanes), make([]float64, 4*l.momLanes)
	mu := make([]float64, w) // the stored values' means
	n := float64(l.rows)
	err = d.do(func(c *gldev.Ctx) error {
		d.momentsPass(c, 0)
		gldev.Download(c, d.acc, 0, s1)
		if l.weighted {
			n = s1[w] // Σw
		}
		for j := range mu {
			mu[j] = s1[j] / n
		}
		gldev.Upload(c, d.w, 0, mu)
		d.momentsPass(c, 1)
		gldev.Download(c, d.acc, 0, s2)
		return c.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	mean, scale = make([]float64, l.cols), make([]float64, l.cols)
	for j := range mean {
		mean[j] = d.shift[j] + mu[j]
		v := s2[j] / n
		if center {
			scale[j] = math.Sqrt(v)
		} else {
			scale[j] = math.Sqrt(v + mean[j]*mean[j])
			mean[j] = 0
		}
	}
	return mean, scale, nil
}

func (d *Data) momentsPass(c *gldev.Ctx, mode uint32) {
	l, p := d.l, d.pMoments
	d.segs = l.segments(lsgd.Rows{Lo: 0, Hi: l.rows}, 1, l.rowsPerGroup(), l.partMoments, d.segs)
	for i, s := range d.segs {
		c.Bind(0, d.window(c, s.chunk0, 1)[0])
		d.bindWeights(c, d.wt64, s.chunk0, 1, 1)
		c.Bind(4, d.w)
		c.Bind(5, d.part)
		c.SetUint(p, "n", uint32(s.n))
		c.SetUint(p, "pos0", uint32(s.pos0))
		c.SetUint(p, "chunk0", uint32(s.chunk0))
		c.SetUint(p, "nbound", 1)
		c.SetUint(p, "chunkRows", uint32(l.chunkRows))
		c.SetUint(p, "mode", mode)
		g := groups(s.n, l.rowsPerGroup())
		d.dispatch(c, p, g)
		c.Barrier()
		d.reduce(c, d.pReduceM, g, 4*l.momLanes, i == 0)
	}
}

// Standardize rewrites every value: x_ij ← (x_ij − shift_j)·mul_j. On the
// device only the stored values are scaled (x' ← x'·mul); the shift is
// folded into the column shift kept in float64.
func (d *Data) Standardize(shift, mul []float64) error {
	l := d.l
	if len(shift) != l.cols || len(mul) != l.cols {
		return fmt.Errorf("gpu: standardize wants %d shifts and multipliers, got %d and %d", l.cols, len(shift), len(mul))
	}
	ns := make([]float64, len(d.shift))
	for j := 0; j < l.cols; j++ {
		ns[j] = (d.shift[j] - shift[j]) * mul[j]
	}
	err := d.do(func(c *gldev.Ctx) error {
		if d.f64 {
			m := make([]float64, 4*l.c4)
			copy(m, mul)
			gldev.Upload(c, d.w, 0, m)
		} else {
			m := make([]float32, 4*l.c4)
			for j, v := range mul {
				m[j] = float32(v)
			}
			gldev.Upload(c, d.w, 0, m)
		}
		if d.stream != nil {
			d.standardizeStream(mul)
		}
		p := d.pStd
		for k := range d.x {
			c.Bind(0, d.x[k])
			c.Bind(4, d.w)
			n := l.chunkLen(k) * l.c4
			c.SetUint(p, "n", uint32(n))
			d.dispatch(c, p, (n+l.wg-1)/l.wg)
		}
		c.Barrier()
		gldev.Upload(c, d.vec, int64(slotShift*l.vecLen())*8, ns)
		return c.Err()
	})
	if err != nil {
		return err
	}
	d.shift = ns
	return nil
}

func (d *Data) checkLen(vs ...[]float64) error {
	for _, v := range vs {
		if len(v) != d.l.cols+1 {
			return fmt.Errorf("gpu: vector has length %d, want %d", len(v), d.l.cols+1)
		}
	}
	return nil
}

func checkSlot(s lsgd.Slot) error {
	if s < lsgd.Theta || s > lsgd.M2 {
		return fmt.Errorf("gpu: unknown slot %v", s)
	}
	return nil
}

// Init sets θ = look = theta, grad = m1 = m2 = 0, the mask and the ridge
// weights, and zeroes the status.
func (d *Data) Init(theta, mask, ridge []float64) error {
	if err := d.checkLen(theta, mask, ridge); err != nil {
		return err
	}
	P := d.l.vecLen()
	v := make([]float64, slotShift*P)
	copy(v[int(lsgd.Theta)*P:], theta)
	copy(v[int(lsgd.Look)*P:], theta)
	copy(v[slotMask*P:], mask)
	copy(v[slotRidge*P:], ridge)
	return d.do(func(c *gldev.Ctx) error {
		gldev.Upload(c, d.vec, 0, v)
		gldev.Upload(c, d.stat, 0, []statBuf{{}})
		return c.Err()
	})
}

// SetVector overwrites one state vector.
func (d *Data) SetVector(s lsgd.Slot, v []float64) error {
	if err := checkSlot(s); err != nil {
		return err
	}
	if err := d.checkLen(v); err != nil {
		return err
	}
	v = append([]float64(nil), v...)
	return d.do(func(c *gldev.Ctx) error {
		gldev.Upload(c, d.vec, int64(int(s)*d.l.vecLen())*8, v)
		return c.Err()
	})
}

// Vector reads one state vector into dst.
func (d *Data) Vector(s lsgd.Slot, dst []float64) error {
	if err := checkSlot(s); err != nil {
		return err
	}
	if err := d.checkLen(dst); err != nil {
		return err
	}
	return d.do(func(c *gldev.Ctx) error {
		gldev.Download(c, d.vec, int64(int(s)*d.l.vecLen())*8, dst)
		return c.Err()
	})
}

// SetOrder uploads the row permutation that shuffled gradients index.
func (d *Data) SetOrder(order []int32) error {
	l := d.l
	if len(order) != l.rows {
		return fmt.Errorf("gpu: order has %d entries, want %d", len(order), l.rows)
	}
	for i, r := range order {
		if r < 0 || int(r) >= l.rows {
			return fmt.Errorf("gpu: order[%d] = %d is not a row of [0, %d)", i, r, l.rows)
		}
	}
	return d.do(func(c *gldev.Ctx) error {
		if d.order == nil {
			for lo := 0; lo < l.rows; lo += l.orderChunk {
				b, err := c.NewBuffer("the row order", int64(min(l.orderChunk, l.rows-lo))*4)
				if err != nil {
					return err
				}
				d.order = append(d.order, b)
			}
		}
		for k, b := range d.order {
			lo := k * l.orderChunk
			gldev.Upload(c, b, 0, order[lo:min(lo+l.orderChunk, l.rows)])
		}
		return c.Err()
	})
}

func (d *Data) checkRows(r lsgd.Rows) error {
	if r.Lo < 0 || r.Hi > d.l.rows || r.Lo >= r.Hi {
		return fmt.Errorf("gpu: row range [%d, %d) outside [0, %d) or empty", r.Lo, r.Hi, d.l.rows)
	}
	if r.Shuffled && d.stream != nil {
		return fmt.Errorf("gpu: shuffled rows of a table streamed through device memory are not supported")
	}
	if r.Shuffled && d.order == nil {
		return fmt.Errorf("gpu: shuffled rows requested before SetOrder")
	}
	return nil
}

// Gradient runs the fused residual and gradient pass (see lsgd.Data).
// Nothing is read back, and GL errors are checked only on the first call:
// later ones surface at the next Status, Vector or Moments.
func (d *Data) Gradient(at lsgd.Slot, rows lsgd.Rows) error {
	if err := checkSlot(at); err != nil {
		return err
	}
	if err := d.checkRows(rows); err != nil {
		return err
	}
	return d.do(func(c *gldev.Ctx) error {
		d.gradPass(c, at, rows, true)
		return d.checkOnce(c, 0)
	})
}

// gradPass issues prep, the gradient kernel and the second stage for
// every segment, then finalize.
func (d *Data) gradPass(c *gldev.Ctx, at lsgd.Slot, rows lsgd.Rows, record bool) {
	l, p := d.l, d.pGrad
	if d.logit != nil {
		p = d.logit.grad
		d.prep(c, at, d.target) // the label is no feature
		d.logit.setShift(c, p, d)
	} else {
		d.prep(c, at, l.cols)
	}
	d.segs = l.segments(rows, l.nx, l.gradPer, l.partGroups, d.segs)
	for i, s := range d.segs {
		xs := d.window(c, s.chunk0, s.nbound)
		for k := 0; k < l.nx; k++ {
			c.Bind(k, xs[min(k, s.nbound-1)])
		}
		d.bindWeights(c, d.wt, s.chunk0, s.nbound, l.nx)
		c.Bind(4, d.w)
		c.Bind(5, d.part)
		if s.oc >= 0 {
			c.Bind(6, d.order[s.oc])
		} else {
			c.Bind(6, d.w) // not read
		}
		c.SetUint(p, "n", uint32(s.n))
		c.SetUint(p, "pos0", uint32(s.pos0))
		c.SetUint(p, "shuffled", b2u(s.oc >= 0))
		c.SetUint(p, "chunk0", uint32(s.chunk0))
		c.SetUint(p, "nbound", uint32(s.nbound))
		c.SetUint(p, "chunkRows", uint32(l.chunkRows))
		g := groups(s.n, l.gradPer)
		d.dispatch(c, p, g)
		c.Barrier()
		d.reduce(c, d.pReduce, g, 4*(l.c4+1), i == 0)
	}
	f := d.pFinal
	if d.logit != nil {
		f = d.logit.final
	}
	c.Bind(0, d.acc)
	c.Bind(1, d.vec)
	c.Bind(2, d.stat)
	c.SetUint(f, "at", uint32(at))
	c.SetDouble(f, "m", float64(rows.Len()))
	c.SetUint(f, "record", b2u(record))
	c.Dispatch(f, 1, 1, 1)
	c.Barrier()
}

// Step applies one optimizer update on the device (see lsgd.State.Apply).
func (d *Data) Step(s lsgd.Step) error {
	if s.Method < lsgd.GD || s.Method > lsgd.Adam {
		return fmt.Errorf("gpu: unknown method %v", s.Method)
	}
	return d.do(func(c *gldev.Ctx) error {
		p := d.pStep
		c.Bind(0, d.vec)
		c.Bind(1, d.stat)
		c.SetUint(p, "method", uint32(s.Method))
		c.SetUint(p, "restart", b2u(s.Restart))
		c.SetDouble(p, "lr", s.LR)
		c.SetDouble(p, "beta", s.Beta)
		c.SetDouble(p, "beta2", s.Beta2)
		c.SetDouble(p, "eps", s.Eps)
		c.SetDouble(p, "bias1", s.Bias1)
		c.SetDouble(p, "bias2", s.Bias2)
		c.Dispatch(p, 1, 1, 1)
		c.Barrier()
		return d.checkOnce(c, 1)
	})
}

// checkOnce checks for GL errors after the first call of a hot-loop
// method (the dispatch setup); later calls leave it to the readbacks.
func (d *Data) checkOnce(c *gldev.Ctx, k int) error {
	if d.checked[k] {
		return nil
	}
	d.checked[k] = true
	return c.Err()
}

// Status reads back the status (waiting for the device), resets the
// running sums, and reports any GL error raised since the last check.
func (d *Data) Status() (lsgd.Status, error) {
	var st [1]statBuf
	err := d.do(func(c *gldev.Ctx) error {
		gldev.Download(c, d.stat, 0, st[:])
		gldev.Upload(c, d.stat, 24, make([]byte, 12)) // lossSum, count
		return c.Err()
	})
	if err != nil {
		return lsgd.Status{}, err
	}
	s := st[0]
	return lsgd.Status{Loss: s.Loss, GradNorm2: s.Grad2, ParamNorm2: s.Param2,
		LossSum: s.LossSum, Count: int(s.Count), Restarts: int(s.Restarts)}, nil
}

// Predict computes, for every row i, the prediction
//
//	ŷ_i = Σ_{j ≠ target} x_ij·v_j + v_intercept
//
// at the vector in slot at (its target entry is ignored), in the storage
// precision, into dst (length Rows()).
func (d *Data) Predict(at lsgd.Slot, dst []float64) error {
	if err := checkSlot(at); err != nil {
		return err
	}
	l := d.l
	if len(dst) != l.rows {
		return fmt.Errorf("gpu: predict wants %d outputs, got %d", l.rows, len(dst))
	}
	return d.do(func(c *gldev.Ctx) error {
		if d.out == nil {
			var err error
			if d.out, err = c.NewBuffer("the predictions", int64(l.chunkRows*l.elem)); err != nil {
				return err
			}
		}
		d.prep(c, at, d.target)
		var s32 []float32
		if !d.f64 {
			s32 = make([]float32, l.chunkLen(0))
		}
		p := d.pPredict
		for k := 0; k < l.nchunks; k++ {
			n := l.chunkLen(k)
			c.Bind(0, d.window(c, k, 1)[0])
			c.Bind(4, d.w)
			c.Bind(5, d.out)
			c.SetUint(p, "n", uint32(n))
			d.dispatch(c, p, (n+l.wg-1)/l.wg)
			c.Barrier()
			out := dst[k*l.chunkRows : k*l.chunkRows+n]
			if d.f64 {
				gldev.Download(c, d.out, 0, out)
				continue
			}
			gldev.Download(c, d.out, 0, s32[:n])
			for i, v := range s32[:n] {
				out[i] = float64(v)
			}
		}
		return c.Err()
	})
}

// TimeGradient times the gradient pass (as Gradient(Theta, rows), without
// adding to the status sums; Grad is overwritten) with GL_TIME_ELAPSED
// queries: two warm-up passes, then reps timed passes. It returns the
// device seconds of each (wall clock on a software renderer, whose timer
// queries do not cover compute work).
func (d *Data) TimeGradient(rows lsgd.Rows, reps int) ([]float64, error) {
	if err := d.checkRows(rows); err != nil {
		return nil, err
	}
	if reps < 1 {
		return nil, fmt.Errorf("gpu: TimeGradient wants at least one repetition")
	}
	var secs []float64
	err := d.do(func(c *gldev.Ctx) error {
		if c.Caps().TimerBits == 0 && !c.Caps().Software {
			return fmt.Errorf("gpu: %s has no timer queries", c.Caps().Renderer)
		}
		for i := 0; i < 2; i++ {
			d.gradPass(c, lsgd.Theta, rows, false)
		}
		secs = timePasses(c, reps, func() { d.gradPass(c, lsgd.Theta, rows, false) })
		return c.Err()
	})
	return secs, err
}

// Release frees the device memory. The Data is unusable afterwards.
func (d *Data) Release() error {
	if d.released {
		return nil
	}
	d.released = true
	err := d.b.dev.Do(func(c *gldev.Ctx) error {
		bufs := append(append([]*gldev.Buffer{d.w, d.part, d.acc, d.vec, d.stat, d.out}, d.x...), d.order...)
		if !d.f64 {
			bufs = append(bufs, d.wt64...)
		}
		for _, b := range append(bufs, d.wt...) {
			c.Release(b)
		}
		d.gram.release(c)
		d.stream.release(c)
		return nil
	})
	if errors.Is(err, gldev.ErrClosed) {
		return nil // the context, and everything on it, is gone already
	}
	return err
}

// Caps implements lsgd.Data.Caps: the backend's, with the kernel variant
// and the device timer. Columns are stored minus their float64 mean, so
// rounding to float32 costs u·|x − μ|, not u·|x|.
func (d *Data) Caps() lsgd.Caps {
	c := d.b.Caps()
	c.Kernel, c.TimeGradient, c.Streamed = d.Kernel(), d.TimeGradient, d.stream != nil
	return c
}

var _ lsgd.Data = (*Data)(nil)
