package cpu

import (
	"fmt"
	"math"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/internal/par"
)

// A mapped table (tableio.MapNPY: Table.Map non-nil) is larger than memory
// and read-only: its storage is the file, streamed through the page cache
// on every pass. The fast kernels read it where it is, with no copy; what
// differs is only what cannot be done in place.
//
//   - Standardize does not rewrite the values. The Data keeps shift s and
//     multiplier m and applies them to the coefficients instead: a row of
//     the standardized table is x̃_j = (x_j − s_j)·m_j, so
//     x̃·v + v_p = x·(m∘v) + (v_p − Σ_j s_j·m_j·v_j). The gradient pass
//     runs at that raw point and its sums are mapped back:
//     Σ r·x̃_j = m_j·(Σ r·x_j − s_j·Σ r), Σ r being the intercept's sum.
//     The Gram matrix is centred and scaled afterwards in float64
//     (G̃ = A·G·Aᵀ with A the same affine map), and Moments and Predict
//     likewise.
//   - A float32 file on a float64 backend is not rounded up into a float64
//     copy: each chunk of ChunkRows rows is widened into a worker's buffer
//     (exactly) and the float64 kernel runs on it in the order it runs on
//     a float64 table, so the sums are those of the resident float64 path
//     over the same values.
//   - The first Moments pass checks that every value is finite (a file
//     that is mapped was not read, so not checked).
//   - Ahead of each chunk, the kernel is asked to read the chunks that
//     follow (MADV_WILLNEED), so the disk works while the cores compute.
//
// Rounding differs from the resident path only where standardization
// rounds: there the stored x̃ is rounded once per value, here the point
// m∘v once per pass; both are within the unit round-off of the same
// function of the same values.

// mappedAheadBytes is how far ahead of the chunk being computed the pages
// of a mapped table are requested.
const mappedAheadBytes = 64 << 20

// mappedConvMaxCols is the widest float32 table whose chunks are widened
// whole (ChunkRows·Cols float64 per worker); wider ones are widened
// blockRows rows at a time.
const mappedConvMaxCols = 256

type mappedData struct {
	*fastData
	shift, mul []float64 // the standardization applied virtually (identity at load)
	std        bool      // Standardize was called
	checked    bool      // the values were found finite
	conv       bool      // float32 storage, float64 kernels
	convBuf    [][]float64
	raw        []float64 // the evaluation point in raw space
}

var _ lsgd.Data = (*mappedData)(nil)

// loadMapped loads a mapped table without copying it (see mappedData).
func (b *Fast) loadMapped(t *lsgd.Table) (lsgd.Data, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	if t.Weights != nil {
		return nil, fmt.Errorf("%s: row weights are not supported for a table streamed from disk", t.Label())
	}
	if t.Stride != t.Cols {
		return nil, fmt.Errorf("%s: a mapped table must be packed (stride %d, %d columns)", t.Label(), t.Stride, t.Cols)
	}
	if b.opt.Precision == lsgd.F32 && t.F64 != nil {
		return nil, fmt.Errorf("%s: float64 values streamed from disk cannot be rounded to float32 without a copy: use precision f64", t.Label())
	}
	p := t.Cols + 1
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	fd := &fastData{
		hostState: newHostState(t.Rows, t.Cols, t.Target),
		b:         b, t: t,
		partial: make([]float64, nchunks*(p+1)),
	}
	fd.vec = !b.opt.Portable && haveVector(b.opt.Precision)
	fd.workers = make([]worker, b.opt.Threads)
	for w := range fd.workers {
		fd.workers[w].g64 = make([]float64, p)
		fd.workers[w].g32 = make([]float32, p)
		fd.workers[w].w32 = make([]float32, p)
	}
	d := &mappedData{fastData: fd, shift: make([]float64, t.Cols), mul: make([]float64, t.Cols), raw: make([]float64, p)}
	for j := range d.mul {
		d.mul[j] = 1
	}
	if t.F32 != nil && b.opt.Precision == lsgd.F64 {
		d.conv = true
		// A float64 kernel on float32 storage: vec must describe the
		// float64 kernel.
		d.vec = !b.opt.Portable && haveVector(lsgd.F64)
		d.convBuf = make([][]float64, len(fd.workers))
	}
	return d, nil
}

// advise asks for the rows a chunk starting at row lo will want
// mappedAheadBytes later.
func (d *mappedData) advise(lo int) {
	t := d.t
	ahead := max(1, mappedAheadBytes/(ChunkRows*t.Cols*t.Precision().Size()))
	a := lo + ahead*ChunkRows
	d.t.Map.Advise(a, min(a+ChunkRows, t.Rows))
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
	for j := 0; j < c; j++ {
		// ((x − s)·m − s')·m' = (x − (s + s'/m))·(m·m')
		d.shift[j] += shift[j] / d.mul[j]
		d.mul[j] *= mul[j]
	}
	d.std = true
	return nil
}

// rawPoint returns the point in raw space whose residuals on the stored
// rows equal v's on the standardized rows; skip (≥ 0) is a column left out
// (the target, for Predict).
func (d *mappedData) rawPoint(v []float64, skip int) []float64 {
	c := d.t.Cols
	raw := d.raw
	b := v[c]
	for j := 0; j < c; j++ {
		if j == skip {
			raw[j] = 0
			continue
		}
		raw[j] = d.mul[j] * v[j]
		b -= d.shift[j] * raw[j]
	}
	raw[c] = b
	return raw
}

// Gradient is fastData's pass at the raw point, its sums mapped back to the
// standardized columns (see mappedData).
func (d *mappedData) Gradient(at lsgd.Slot, rows lsgd.Rows) error {
	t := d.t
	if err := checkRows(rows, t.Rows, d.order); err != nil {
		return err
	}
	v := d.st.Slot(at)
	p, c := d.p, t.Cols
	raw := d.rawPoint(d.point(v), -1)
	if t.F32 != nil && !d.conv {
		if d.w32 == nil {
			d.w32 = make([]float32, p)
		}
		for j := range raw {
			d.w32[j] = float32(raw[j])
		}
	}
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
		switch {
		case d.conv:
			d.chunkConv(wi, w, part, raw, lo, hi, rows.Shuffled)
		case t.F32 != nil:
			d.chunk32(w, part, lo, hi, rows.Shuffled)
		default:
			d.chunk64(w, part, raw, lo, hi, rows.Shuffled)
		}
	})
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
	if d.std {
		for j := 0; j < c; j++ {
			g[j] = d.mul[j] * (g[j] - d.shift[j]*g[c])
		}
	}
	d.finishGradient(v, float64(rows.Len()), loss)
	return nil
}

// chunkConv is chunk64 for float32 storage: the rows are widened into the
// worker's buffer and summed as chunk64 sums a float64 table's.
func (d *mappedData) chunkConv(wi int, w *worker, part, v []float64, lo, hi int, shuffled bool) {
	t := d.t
	c := t.Cols
	g := w.g64[:c]
	clear(g)
	var sr, srr float64
	add := func(a, aa float64) { sr += a; srr += aa }
	widen := func(buf []float64, rows func(k int) int, n int) []float64 {
		buf = buf[:n*c]
		for k := 0; k < n; k++ {
			src := t.F32[rows(k)*c : rows(k)*c+c]
			dst := buf[k*c : k*c+c]
			for j, x := range src {
				dst[j] = float64(x)
			}
		}
		return buf
	}
	switch {
	case shuffled:
		if len(w.gather) < blockRows*c {
			w.gather = make([]float64, blockRows*c)
		}
		for b := lo; b < hi; b += blockRows {
			e := min(b+blockRows, hi)
			buf := widen(w.gather, func(k int) int { return int(d.order[b+k]) }, e-b)
			add(d.kernel64(buf, contiguous(e-b, c), v[:c], v[c], g))
		}
	case c <= mappedConvMaxCols:
		if len(d.convBuf[wi]) < ChunkRows*c {
			d.convBuf[wi] = make([]float64, ChunkRows*c)
		}
		x := widen(d.convBuf[wi], func(k int) int { return lo + k }, hi-lo)
		chunkSets(hi-lo, c, hi-lo, func(off int, set rowSet) {
			add(d.kernel64(x[off:], set, v[:c], v[c], g))
		})
	default:
		if len(w.gather) < blockRows*c {
			w.gather = make([]float64, blockRows*c)
		}
		for b := lo; b < hi; b += blockRows {
			e := min(b+blockRows, hi)
			buf := widen(w.gather, func(k int) int { return b + k }, e-b)
			add(d.kernel64(buf, contiguous(e-b, c), v[:c], v[c], g))
		}
	}
	for j := 0; j < c; j++ {
		part[j] += g[j]
	}
	part[c] += sr
	part[c+1] += srr
}

// Gram is fastData's Gram of the stored rows, mapped to the standardized
// rows in float64: with x̃_j = m_j·(x_j − s_j),
// Σ x̃_j x̃_k = m_j m_k (G_jk − s_j G_pk − s_k G_jp + s_j s_k G_pp) and
// Σ x̃_j = m_j (G_jp − s_j G_pp).
func (d *mappedData) Gram(rows lsgd.Rows) ([]float64, error) {
	g, err := d.fastData.Gram(rows)
	if err != nil || !d.std {
		return g, err
	}
	c := d.t.Cols
	p := c + 1
	s, m := d.shift, d.mul
	n := g[c*p+c]
	for j := 0; j < c; j++ {
		for k := j; k < c; k++ {
			v := m[j] * m[k] * (g[j*p+k] - s[j]*g[c*p+k] - s[k]*g[j*p+c] + s[j]*s[k]*n)
			g[j*p+k], g[k*p+j] = v, v
		}
	}
	for j := 0; j < c; j++ {
		v := m[j] * (g[j*p+c] - s[j]*n)
		g[j*p+c], g[c*p+j] = v, v
	}
	return g, nil
}

// Predict evaluates the raw point that matches v on the standardized rows.
func (d *mappedData) Predict(at lsgd.Slot, dst []float64) error {
	t := d.t
	if len(dst) != t.Rows {
		return fmt.Errorf("cpu: predict wants %d outputs, got %d", t.Rows, len(dst))
	}
	raw := d.rawPoint(d.st.Slot(at), t.Target)
	c := t.Cols
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	par.For(nchunks, len(d.workers), func(_, k int) {
		for i := k * ChunkRows; i < min((k+1)*ChunkRows, t.Rows); i++ {
			s := raw[c]
			for j := 0; j < c; j++ {
				s += t.At(i, j) * raw[j]
			}
			dst[i] = s
		}
	})
	return nil
}
