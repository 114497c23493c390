package cpu

import (
	"fmt"
	"runtime"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/internal/par"
)

// ChunkRows is the number of rows whose partial sums are kept apart before
// the fixed-order merge. Chunk boundaries depend only on the row range, never
// on the number of threads, so every GOMAXPROCS gives the same bits.
const ChunkRows = 4096

// blockRows is how many rows a float32 kernel call accumulates in float32
// before the sums are added into the chunk's float64 partials (see
// chunk32), and how many shuffled rows are gathered at a time.
const blockRows = 256

// Options configures the fast CPU backend.
type Options struct {
	Precision lsgd.Precision // storage and kernel precision (default F64)
	Threads   int            // worker goroutines; 0 means GOMAXPROCS
	Portable  bool           // use the portable Go kernels even where vector kernels exist
}

// Fast is the multi-core CPU backend.
type Fast struct{ opt Options }

var _ lsgd.Backend = (*Fast)(nil)

// New returns the fast CPU backend.
func New(opt Options) *Fast {
	if opt.Threads <= 0 {
		opt.Threads = runtime.GOMAXPROCS(0)
	}
	return &Fast{opt: opt}
}

func (b *Fast) Name() string              { return "cpu" }
func (b *Fast) Precision() lsgd.Precision { return b.opt.Precision }
func (b *Fast) Close() error              { return nil }
func (b *Fast) Caps() lsgd.Caps           { return hostCaps }

// Device names the CPU, the thread count and the kernel in use.
func (b *Fast) Device() string {
	return fmt.Sprintf("%s, %d threads, %s %s kernel", cpuName(), b.opt.Threads,
		b.opt.Precision, b.kernelName())
}

func (b *Fast) kernelName() string {
	if b.opt.Portable || !haveVector(b.opt.Precision) {
		return "portable"
	}
	return vectorName
}

// Load makes the table resident: float64 tables are kept in place when
// inPlace and the precision matches, otherwise copied (and rounded to
// float32 for F32).
func (b *Fast) Load(t *lsgd.Table, inPlace bool) (lsgd.Data, error) {
	if t.Map != nil {
		return b.loadMapped(t) // streamed from its file, never copied (mapped.go)
	}
	if err := t.Check(); err != nil {
		return nil, err
	}
	if b.opt.Precision == lsgd.F32 {
		if err := t.CheckFloat32(); err != nil {
			return nil, err
		}
	}
	if !inPlace || t.Precision() != b.opt.Precision {
		t = t.Clone(b.opt.Precision)
	}
	p := t.Cols + 1
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	d := &fastData{
		hostState: newHostState(t.Rows, t.Cols, t.Target),
		b:         b, t: t,
		partial: make([]float64, nchunks*(p+1)),
	}
	d.vec = !b.opt.Portable && haveVector(b.opt.Precision)
	if t.Weights != nil && t.F32 != nil {
		d.wt32 = make([]float32, t.Rows)
		for i, w := range t.Weights {
			d.wt32[i] = float32(w)
		}
	}
	d.workers = make([]worker, b.opt.Threads)
	for w := range d.workers {
		d.workers[w].g64 = make([]float64, p)
		d.workers[w].g32 = make([]float32, p)
		d.workers[w].w32 = make([]float32, p)
	}
	return d, nil
}

type worker struct {
	g64     []float64
	g32     []float32
	w32     []float32
	gather  []float64
	gather3 []float32
	// The weights of the gathered rows, and of a vector kernel call's
	// rows in the order it visits them (weighted tables).
	gatherW   []float64
	gatherW32 []float32
	wq        []float64
	wq32      []float32
}

type fastData struct {
	hostState
	b       *Fast
	t       *lsgd.Table
	vec     bool
	partial []float64 // per chunk: p gradient sums then Σr²
	workers []worker
	w32     []float32 // the evaluation point rounded to float32
	wt32    []float32 // a weighted float32 table's row weights, rounded to float32
}

func (d *fastData) Rows() int { return d.t.Rows }
func (d *fastData) Cols() int { return d.t.Cols }

// parallel runs fn(worker, chunk) for chunks 0…n−1 on the workers, handing
// chunks out dynamically. fn must write only to chunk-indexed or
// worker-indexed storage.
func (d *fastData) parallel(n int, fn func(w *worker, chunk int)) {
	par.For(n, len(d.workers), func(w, c int) { fn(&d.workers[w], c) })
}

func (d *fastData) Standardize(shift, mul []float64) error {
	t := d.t
	c := t.Cols
	if len(shift) != c || len(mul) != c {
		return fmt.Errorf("cpu: standardize wants %d shifts and multipliers", c)
	}
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	d.parallel(nchunks, func(_ *worker, k int) {
		lo, hi := k*ChunkRows, min((k+1)*ChunkRows, t.Rows)
		for i := lo; i < hi; i++ {
			if t.F32 != nil {
				r := t.F32[i*t.Stride : i*t.Stride+c]
				for j := range r {
					r[j] = float32((float64(r[j]) - shift[j]) * mul[j])
				}
			} else {
				r := t.F64[i*t.Stride : i*t.Stride+c]
				for j := range r {
					r[j] = (r[j] - shift[j]) * mul[j]
				}
			}
		}
	})
	return nil
}

// Gradient computes the fused residual and gradient pass over the selected
// rows: every chunk of ChunkRows rows reads each row once, forms its
// residual and accumulates r·x into the chunk's partial sums; the partials
// are then merged in chunk order. Within a chunk the kernels take the rows
// as four streams (see chunkSets); the order of the sums depends only on
// the row range, never on the number of threads. A weighted table runs the
// weighted kernels (the AVX2 ones where the unweighted pass would use
// them, else gradSetWeighted; logitSet with weights) over the same chunks
// and row sets, each row's terms multiplied by its weight.
func (d *fastData) Gradient(at lsgd.Slot, rows lsgd.Rows) error {
	if err := checkRows(rows, d.t.Rows, d.order); err != nil {
		return err
	}
	v := d.st.Slot(at)
	p := d.p
	vp := d.point(v)
	if d.t.F32 != nil {
		if d.w32 == nil {
			d.w32 = make([]float32, p)
		}
		for j := range vp {
			d.w32[j] = float32(vp[j])
		}
	}
	nchunks := (rows.Len() + ChunkRows - 1) / ChunkRows
	d.parallel(nchunks, func(w *worker, k int) {
		lo := rows.Lo + k*ChunkRows
		hi := min(lo+ChunkRows, rows.Hi)
		part := d.partial[k*(p+1) : (k+1)*(p+1)]
		clear(part)
		if d.t.F32 != nil {
			d.chunk32(w, part, lo, hi, rows.Shuffled)
		} else {
			d.chunk64(w, part, vp, lo, hi, rows.Shuffled)
		}
	})
	d.mergePartials(nchunks, v, rows)
	return nil
}

// mergePartials adds the first nchunks chunk partials in chunk order (the
// fixed-order merge) into Grad and the loss, and finishes the gradient at
// v over rows.
func (d *fastData) mergePartials(nchunks int, v []float64, rows lsgd.Rows) {
	p := d.p
	g := d.st.Grad
	clear(g)
	loss := 0.0
	for k := 0; k < nchunks; k++ {
		part := d.partial[k*(p+1) : (k+1)*(p+1)]
		for j := 0; j < p; j++ {
			g[j] += part[j]
		}
		loss += part[p]
	}
	d.finishGradient(v, float64(rows.Len()), loss)
}

// streamLayout selects the four-stream row order within a chunk (see
// rowSet): rows i, i+q, i+2q, i+3q of a chunk of 4q rows go through the
// kernel together, so each thread reads four streams. Tests and
// measurements may clear it for the contiguous order.
var streamLayout = true

// chunkSets calls fn with the row sets that cover m rows at stride s, in a
// fixed order: four streams (or consecutive rows without streamLayout) in
// pieces of at most maxRows rows, the rows left over by the streams last.
// off is the index in x of each piece's first row.
func chunkSets(m, s, maxRows int, fn func(off int, set rowSet)) {
	if !streamLayout {
		for b := 0; b < m; b += maxRows {
			fn(b*s, contiguous(min(maxRows, m-b), s))
		}
		return
	}
	q := m / 4
	for i := 0; i < q; i += maxRows / 4 {
		fn(i*s, rowSet{n4: min(maxRows/4, q-i), rs: q * s, gs: s})
	}
	if n1 := m - 4*q; n1 > 0 {
		fn(4*q*s, rowSet{n1: n1, s1: s})
	}
}

// gather copies the rows order[0…n) of x (stride s, c values) into buf,
// packed, and returns it.
func gather[T float32 | float64](buf, x []T, s, c int, order []int32) []T {
	buf = buf[:len(order)*c]
	for k, i := range order {
		copy(buf[k*c:(k+1)*c], x[int(i)*s:int(i)*s+c])
	}
	return buf
}

// chunk64 accumulates rows lo…hi−1 into part (p gradient sums, then Σr²):
// one kernel call over the chunk's row sets, or, for shuffled rows, one per
// blockRows rows gathered into a buffer that stays in the L2 cache.
func (d *fastData) chunk64(w *worker, part, v []float64, lo, hi int, shuffled bool) {
	t := d.t
	c, s := t.Cols, t.Stride
	g := w.g64[:c]
	clear(g)
	var sr, srr float64
	add := func(a, aa float64) { sr += a; srr += aa }
	wt := t.Weights
	if shuffled {
		if len(w.gather) < blockRows*c {
			w.gather = make([]float64, blockRows*c)
		}
		for b := lo; b < hi; b += blockRows {
			e := min(b+blockRows, hi)
			buf := gather(w.gather, t.F64, s, c, d.order[b:e])
			set := contiguous(e-b, c)
			var bw []float64
			if wt != nil {
				if len(w.gatherW) < blockRows {
					w.gatherW = make([]float64, blockRows)
				}
				bw = gather(w.gatherW, wt, 1, 1, d.order[b:e])
			}
			add(d.kernel64(w, buf, set, v[:c], v[c], g, bw, set.scaled(c)))
		}
	} else {
		x := t.F64[lo*s:]
		chunkSets(hi-lo, s, hi-lo, func(off int, set rowSet) {
			var bw []float64
			if wt != nil {
				bw = wt[lo+off/s:]
			}
			add(d.kernel64(w, x[off:], set, v[:c], v[c], g, bw, set.scaled(s)))
		})
	}
	for j := 0; j < c; j++ {
		part[j] += g[j]
	}
	part[c] += sr
	part[c+1] += srr
}

// chunk32 accumulates rows lo…hi−1 of a float32 table, at most blockRows
// rows per float32 kernel call, each call's sums added into the float64
// partials.
//
// Accuracy: a float32 call sums at most blockRows = 256 products r·x_ij
// per component (in groups of four rows, then lanes), so its rounding
// error is at most about 256·u32·Σ|r·x_ij| over its rows (u32 = 2⁻²⁴, a
// worst case of ≈1.5e-5 relative to Σ|r·x|; random errors give ≈√256·u32
// ≈ 1e-6); the float64 sums over the blocks and chunks add nothing
// comparable. Each r carries the error of a c-term float32 dot product,
// about c·u32·Σ|x_ij·w_j|. Longer float32 blocks would lose accuracy
// linearly in their length; shorter ones cost a flush of c values each.
func (d *fastData) chunk32(w *worker, part []float64, lo, hi int, shuffled bool) {
	t := d.t
	c, s := t.Cols, t.Stride
	g := w.g32[:c]
	wv := d.w32
	wt := d.wt32
	flush := func(sr, srr float32) {
		for j := 0; j < c; j++ {
			part[j] += float64(g[j])
		}
		part[c] += float64(sr)
		part[c+1] += float64(srr)
	}
	if shuffled {
		if len(w.gather3) < blockRows*c {
			w.gather3 = make([]float32, blockRows*c)
		}
		for b := lo; b < hi; b += blockRows {
			e := min(b+blockRows, hi)
			buf := gather(w.gather3, t.F32, s, c, d.order[b:e])
			set := contiguous(e-b, c)
			var bw []float32
			if wt != nil {
				if len(w.gatherW32) < blockRows {
					w.gatherW32 = make([]float32, blockRows)
				}
				bw = gather(w.gatherW32, wt, 1, 1, d.order[b:e])
			}
			clear(g)
			flush(d.kernel32(w, buf, set, wv[:c], wv[c], g, bw, set.scaled(c)))
		}
		return
	}
	x := t.F32[lo*s:]
	chunkSets(hi-lo, s, blockRows, func(off int, set rowSet) {
		var bw []float32
		if wt != nil {
			bw = wt[lo+off/s:]
		}
		clear(g)
		flush(d.kernel32(w, x[off:], set, wv[:c], wv[c], g, bw, set.scaled(s)))
	})
}

// kernel64 runs the float64 kernel of the family over the rows of set;
// with weights wt (nil: unweighted), the set's row at x[o] has the weight
// at the same position of ws in wt.
func (d *fastData) kernel64(wk *worker, x []float64, set rowSet, w []float64, b float64, g []float64, wt []float64, ws rowSet) (float64, float64) {
	if d.family == lsgd.Binomial {
		return logitSet64(x, set, len(w), d.t.Target, w, b, g, wt, ws)
	}
	if wt != nil && d.vec {
		wk.wq = visitOrder(wk.wq, wt, set, ws)
		return gradSetWeightedVec64(x, set, len(w), w, b, g, wk.wq)
	}
	if wt != nil {
		return gradSetWeighted64(x, set, len(w), w, b, g, wt, ws)
	}
	if d.vec {
		return gradSetVec64(x, set, len(w), w, b, g)
	}
	return gradSetPortable64(x, set, len(w), w, b, g)
}

// kernel32 is kernel64 for float32 tables.
func (d *fastData) kernel32(wk *worker, x []float32, set rowSet, w []float32, b float32, g []float32, wt []float32, ws rowSet) (float32, float32) {
	if d.family == lsgd.Binomial {
		return logitSet32(x, set, len(w), d.t.Target, w, b, g, wt, ws)
	}
	if wt != nil && d.vec {
		wk.wq32 = visitOrder(wk.wq32, wt, set, ws)
		return gradSetWeightedVec32(x, set, len(w), w, b, g, wk.wq32)
	}
	if wt != nil {
		return gradSetWeighted32(x, set, len(w), w, b, g, wt, ws)
	}
	if d.vec {
		return gradSetVec32(x, set, len(w), w, b, g)
	}
	return gradSetPortable32(x, set, len(w), w, b, g)
}

func (d *fastData) Release() error { d.t = nil; return nil }

// visitOrder returns, in buf (grown as needed), the weights of the rows
// of set in the order the vector kernels visit them: group i's four rows'
// at 4i…4i+3, then the single rows' (the row at x[o] of set has the
// weight at the same position of ws in wt).
func visitOrder[T float](buf, wt []T, set rowSet, ws rowSet) []T {
	n := set.rows()
	if cap(buf) < n {
		buf = make([]T, n)
	}
	buf = buf[:n]
	for i := 0; i < set.n4; i++ {
		q := i * ws.gs
		b := buf[4*i : 4*i+4 : 4*i+4]
		b[0], b[1], b[2], b[3] = wt[q], wt[q+ws.rs], wt[q+2*ws.rs], wt[q+3*ws.rs]
	}
	for i := 0; i < set.n1; i++ {
		buf[4*set.n4+i] = wt[ws.off1+i*ws.s1]
	}
	return buf
}
