package cpu

import (
	"fmt"
	"math"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/internal/par"
)

// A mapped table (tableio.MapNPY: Table.Map non-nil) is larger than memory
// and read-only: its storage is the file, streamed through the page cache
// on every pass. The fast kernels read it chunk by chunk; what differs
// from a resident table is only what cannot be done in place.
//
//   - Standardize does not rewrite the values: the Data keeps the shift s
//     and multiplier m, and each chunk of ChunkRows rows is standardized,
//     x̃_j = (x_j − s_j)·m_j in float64 (float32 values widened exactly),
//     into a worker's buffer as it is read; the float64 kernels then run on
//     the buffer in the order they run on a resident float64 table. The
//     gradient pass therefore has the same bits as the resident float64
//     path over the same values, and costs a copy that stays in the cache.
//     Without Standardize, a float64 file is read where it is.
//   - The Gram matrix of standardized rows is formed over blocks of at most
//     mappedGramBytes of standardized rows, the blocks' matrices added in
//     row order; Predict standardizes row by row; Moments maps the stored
//     values' moments through the standardization.
//   - Whatever the backend's precision, a streamed table is computed in
//     float64 arithmetic (float32 storage stays float32: no copy of the
//     file is made); the accuracy limits Fit reports for float32 still
//     hold, with room to spare.
//   - Row weights (Table.Weights) stay in memory beside the mapped rows
//     and weight every pass as on a resident table.
//   - The first Moments pass checks that every value is finite (a file
//     that is mapped was not read, so not checked), naming row and column.
//   - Ahead of each chunk, the kernel is asked to read the chunks that
//     follow (MADV_WILLNEED), so the disk works while the cores compute,
//     and the pages of those well behind are dropped.

// mappedAheadBytes is how far ahead of the chunk being computed the pages
// of a mapped table are requested.
const mappedAheadBytes = 64 << 20

// mappedConvMaxCols is the widest table whose chunks are standardized
// whole into a buffer (ChunkRows·Cols float64 per worker, 8 MiB at most);
// wider ones go blockRows rows at a time (the same sums in another order).
const mappedConvMaxCols = 256

// mappedGramBytes bounds the buffer of standardized rows a Gram pass over
// a standardized mapped table forms its blocks from.
const mappedGramBytes = 16 << 20

type mappedData struct {
	*fastData
	shift, mul []float64   // the standardization applied virtually (identity at load)
	std        bool        // Standardize was called
	checked    bool        // the values were found finite
	conv       [][]float64 // per worker: a chunk of standardized rows
	gramBuf    []float64   // a block of standardized rows for Gram
}

var _ lsgd.Data = (*mappedData)(nil)

// loadMapped loads a mapped table without copying it (see mappedData).
func (b *Fast) loadMapped(t *lsgd.Table) (lsgd.Data, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	if t.Stride != t.Cols {
		return nil, fmt.Errorf("%s: a mapped table must be packed (stride %d, %d columns)", t.Label(), t.Stride, t.Cols)
	}
	p := t.Cols + 1
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	fd := &fastData{
		hostState: newHostState(t.Rows, t.Cols, t.Target),
		b:         b, t: t,
		partial: make([]float64, nchunks*(p+1)),
	}
	fd.vec = !b.opt.Portable && haveVector(lsgd.F64) // float64 kernels, whatever the precision
	fd.workers = make([]worker, b.opt.Threads)
	for w := range fd.workers {
		fd.workers[w].g64 = make([]float64, p)
	}
	d := &mappedData{fastData: fd, shift: make([]float64, t.Cols), mul: make([]float64, t.Cols),
		conv: make([][]float64, len(fd.workers))}
	for j := range d.mul {
		d.mul[j] = 1
	}
	return d, nil
}

// advise asks for the rows a chunk starting at row lo will want
// mappedAheadBytes later, and drops those mappedAheadBytes behind it
// (tableio.Mapping.Drop): a sequential pass over a table larger than
// memory gets nothing from the page cache, and dropping its pages itself
// spares the kernel's reclaim the work.
func (d *mappedData) advise(lo int) {
	t := d.t
	ahead := max(1, mappedAheadBytes/(ChunkRows*t.Cols*t.Precision().Size()))
	a := lo + ahead*ChunkRows
	t.Map.Advise(a, min(a+ChunkRows, t.Rows))
	if b := lo - ahead*ChunkRows; b >= 0 {
		t.Map.Drop(b, b+ChunkRows)
	}
}

// Moments is fastData's on the stored values, the first call checking that
// they are finite, mapped through the standardization applied so far.
func (d *mappedData) Moments(center bool) (mean, scale []float64, err error) {
	mean, scale, err = d.fastData.Moments(center || d.std)
	if err != nil {
		return nil, nil, err
	}
	if !d.checked {
		for j := range mean {
			if !isFinite(mean[j]) || !isFinite(scale[j]) {
				if err := d.t.CheckFinite(); err != nil {
					return nil, nil, err
				}
			}
		}
		d.checked = true
	}
	if !d.std {
		return mean, scale, nil
	}
	for j := range mean {
		m := math.Abs(d.mul[j])
		if center {
			mean[j] = (mean[j] - d.shift[j]) * d.mul[j]
			scale[j] *= m
		} else {
			// The spread about zero of (x − s)·m: |m|·√(σ² + (μ − s)²).
			scale[j] = m * math.Hypot(scale[j], mean[j]-d.shift[j])
			mean[j] = 0
		}
	}
	return mean, scale, nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Standardize composes x ← (x − shift)·mul with the standardization
// applied so far; the stored values are not touched.
func (d *mappedData) Standardize(shift, mul []float64) error {
	c := d.t.Cols
	if len(shift) != c || len(mul) != c {
		return fmt.Errorf("cpu: standardize wants %d shifts and multipliers", c)
	}
	for j := 0; j < c; j++ {
		if mul[j] == 0 || !isFinite(mul[j]) || !isFinite(shift[j]) {
			return fmt.Errorf("cpu: standardize of a mapped table wants finite, non-zero multipliers (column %d)", j+1)
		}
	}
	if !d.std {
		copy(d.shift, shift)
		copy(d.mul, mul)
		d.std = true
		return nil
	}
	for j := 0; j < c; j++ {
		// ((x − s)·m − s')·m' = (x − (s + s'/m))·(m·m')
		d.shift[j] += shift[j] / d.mul[j]
		d.mul[j] *= mul[j]
	}
	return nil
}

// load writes the standardized rows rows(0…n−1) into buf (packed, Cols
// values each) and returns it.
func (d *mappedData) load(buf []float64, n int, rows func(k int) int) []float64 {
	t := d.t
	c := t.Cols
	buf = buf[:n*c]
	s, m := d.shift, d.mul
	for k := 0; k < n; k++ {
		o := rows(k) * c
		dst := buf[k*c : k*c+c]
		if t.F32 != nil {
			for j, x := range t.F32[o : o+c] {
				dst[j] = (float64(x) - s[j]) * m[j]
			}
		} else {
			for j, x := range t.F64[o : o+c] {
				dst[j] = (x - s[j]) * m[j]
			}
		}
	}
	return buf
}

// Gradient is fastData's pass over the standardized rows (see mappedData).
func (d *mappedData) Gradient(at lsgd.Slot, rows lsgd.Rows) error {
	t := d.t
	if err := checkRows(rows, t.Rows, d.order); err != nil {
		return err
	}
	v := d.st.Slot(at)
	p := d.p
	vp := d.point(v)
	inPlace := t.F64 != nil && !d.std
	nchunks := (rows.Len() + ChunkRows - 1) / ChunkRows
	par.For(nchunks, len(d.workers), func(wi, k int) {
		w := &d.workers[wi]
		lo := rows.Lo + k*ChunkRows
		hi := min(lo+ChunkRows, rows.Hi)
		if !rows.Shuffled {
			d.advise(lo)
		}
		part := d.partial[k*(p+1) : (k+1)*(p+1)]
		clear(part)
		if inPlace {
			d.chunk64(w, part, vp, lo, hi, rows.Shuffled)
		} else {
			d.chunkStd(wi, w, part, vp, lo, hi, rows.Shuffled)
		}
	})
	d.mergePartials(nchunks, v, rows)
	return nil
}

// chunkStd is chunk64 over rows lo…hi−1 standardized into the worker's
// buffer, summed as chunk64 sums a resident float64 table's.
func (d *mappedData) chunkStd(wi int, w *worker, part, v []float64, lo, hi int, shuffled bool) {
	c := d.t.Cols
	g := w.g64[:c]
	clear(g)
	var sr, srr float64
	add := func(a, aa float64) { sr += a; srr += aa }
	wt := d.t.Weights // in memory beside the mapped rows; nil: unweighted
	// weights returns the weights of the n rows row(0…n−1), gathered
	// into the worker's buffer (nil for an unweighted table).
	weights := func(n int, row func(k int) int) []float64 {
		if wt == nil {
			return nil
		}
		if len(w.gatherW) < n {
			w.gatherW = make([]float64, n)
		}
		for k := 0; k < n; k++ {
			w.gatherW[k] = wt[row(k)]
		}
		return w.gatherW[:n]
	}
	switch {
	case shuffled:
		if len(w.gather) < blockRows*c {
			w.gather = make([]float64, blockRows*c)
		}
		for b := lo; b < hi; b += blockRows {
			e := min(b+blockRows, hi)
			row := func(k int) int { return int(d.order[b+k]) }
			buf := d.load(w.gather, e-b, row)
			set := contiguous(e-b, c)
			add(d.kernel64(w, buf, set, v[:c], v[c], g, weights(e-b, row), set.scaled(c)))
		}
	case c <= mappedConvMaxCols:
		if len(d.conv[wi]) < ChunkRows*c {
			d.conv[wi] = make([]float64, ChunkRows*c)
		}
		x := d.load(d.conv[wi], hi-lo, func(k int) int { return lo + k })
		chunkSets(hi-lo, c, hi-lo, func(off int, set rowSet) {
			var bw []float64
			if wt != nil {
				bw = wt[lo+off/c:]
			}
			add(d.kernel64(w, x[off:], set, v[:c], v[c], g, bw, set.scaled(c)))
		})
	default:
		if len(w.gather) < blockRows*c {
			w.gather = make([]float64, blockRows*c)
		}
		for b := lo; b < hi; b += blockRows {
			e := min(b+blockRows, hi)
			buf := d.load(w.gather, e-b, func(k int) int { return b + k })
			set := contiguous(e-b, c)
			var bw []float64
			if wt != nil {
				bw = wt[b:e]
			}
			add(d.kernel64(w, buf, set, v[:c], v[c], g, bw, set.scaled(c)))
		}
	}
	for j := 0; j < c; j++ {
		part[j] += g[j]
	}
	part[c] += sr
	part[c+1] += srr
}

// Gram is fastData's Gram of the stored rows before any Standardize;
// after it, the rows are standardized into a buffer block by block
// (mappedGramBytes) and the blocks' Gram matrices added in row order.
func (d *mappedData) Gram(rows lsgd.Rows) ([]float64, error) {
	if !d.std {
		return d.fastData.Gram(rows)
	}
	t := d.t
	if err := checkRows(rows, t.Rows, d.order); err != nil {
		return nil, err
	}
	c := t.Cols
	block := max(ChunkRows, mappedGramBytes/(8*c)/ChunkRows*ChunkRows)
	n := min(block, rows.Len())
	if len(d.gramBuf) < n*c {
		d.gramBuf = make([]float64, n*c)
	}
	var g []float64
	for lo := rows.Lo; lo < rows.Hi; lo += block {
		hi := min(lo+block, rows.Hi)
		buf := d.gramBuf[:(hi-lo)*c]
		nch := (hi - lo + ChunkRows - 1) / ChunkRows
		par.For(nch, len(d.workers), func(_, k int) {
			a := k * ChunkRows
			e := min(a+ChunkRows, hi-lo)
			if !rows.Shuffled {
				d.advise(lo + a)
			}
			d.load(buf[a*c:e*c], e-a, func(i int) int {
				if rows.Shuffled {
					return int(d.order[lo+a+i])
				}
				return lo + a + i
			})
		})
		view := &fastData{b: d.b, vec: d.vec, workers: d.workers,
			t: &lsgd.Table{Source: t.Source, Rows: hi - lo, Cols: c, Stride: c, Target: t.Target, F64: buf}}
		if t.Weights != nil {
			view.t.Weights = make([]float64, hi-lo)
			for i := range view.t.Weights {
				r := lo + i
				if rows.Shuffled {
					r = int(d.order[r])
				}
				view.t.Weights[i] = t.Weights[r]
			}
		}
		gb, err := view.Gram(lsgd.Rows{Lo: 0, Hi: hi - lo})
		if err != nil {
			return nil, err
		}
		if g == nil {
			g = gb
			continue
		}
		for i := range g {
			g[i] += gb[i]
		}
	}
	return g, nil
}

// Predict evaluates v on the standardized rows, standardizing each value
// as Standardize would have stored it.
func (d *mappedData) Predict(at lsgd.Slot, dst []float64) error {
	t := d.t
	if len(dst) != t.Rows {
		return fmt.Errorf("cpu: predict wants %d outputs, got %d", t.Rows, len(dst))
	}
	v := d.st.Slot(at)
	c, tg := t.Cols, t.Target
	s, m := d.shift, d.mul
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	par.For(nchunks, len(d.workers), func(_, k int) {
		for i := k * ChunkRows; i < min((k+1)*ChunkRows, t.Rows); i++ {
			r := v[c]
			for j := 0; j < c; j++ {
				if j != tg {
					r += (t.At(i, j) - s[j]) * m[j] * v[j]
				}
			}
			dst[i] = r
		}
	})
	return nil
}

// Caps says the table is streamed from its file.
func (d *mappedData) Caps() lsgd.Caps {
	c := d.fastData.Caps()
	c.Streamed = true
	return c
}
