package cpu

import "math"

// Moments computes every column's mean and spread in one pass over the
// table. Each chunk of ChunkRows rows sums x − K and (x − K)² in float64,
// with K the chunk's first row (so the sums do not cancel when a column's
// offset is large against its spread); the chunks' (count, mean, M2) are
// then merged in chunk order by Chan, Golub and LeVeque's pairwise update,
// which is stable and, like every sum here, independent of the thread
// count. Without center it sums x² (the spread about zero).
//
// A weighted table weights each row's terms by w_i: the chunks sum
// w·(x − K), w·(x − K)² and w, and merge with their weight sums Σw in
// place of the row counts (a chunk of weight 0 adds nothing); the scale
// is √(M2/Σw).
func (d *fastData) Moments(center bool) (mean, scale []float64, err error) {
	t := d.t
	c := t.Cols
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	// Per chunk: c means, then c M2 (or Σx²).
	part := make([]float64, nchunks*2*c)
	// Per chunk: its row count, or Σw over its rows.
	count := make([]float64, nchunks)
	d.parallel(nchunks, func(_ *worker, k int) {
		m := part[k*2*c : k*2*c+c]
		m2 := part[k*2*c+c : (k+1)*2*c]
		lo, hi := k*ChunkRows, min((k+1)*ChunkRows, t.Rows)
		count[k] = float64(hi - lo)
		switch {
		case t.Weights != nil && t.F32 != nil:
			count[k] = momentsChunkWeighted(t.F32, t.Weights, t.Stride, c, lo, hi, center, m, m2)
		case t.Weights != nil:
			count[k] = momentsChunkWeighted(t.F64, t.Weights, t.Stride, c, lo, hi, center, m, m2)
		case t.F32 != nil:
			momentsChunk(t.F32, t.Stride, c, lo, hi, center, m, m2)
		default:
			momentsChunk(t.F64, t.Stride, c, lo, hi, center, m, m2)
		}
	})
	mean, scale = make([]float64, c), make([]float64, c)
	m2 := make([]float64, c)
	na := 0.0
	for k := 0; k < nchunks; k++ {
		nb := count[k]
		if nb == 0 {
			continue // a chunk whose rows all weigh 0
		}
		cm := part[k*2*c : k*2*c+c]
		cm2 := part[k*2*c+c : (k+1)*2*c]
		n := na + nb
		for j := 0; j < c; j++ {
			if !center {
				m2[j] += cm2[j]
				continue
			}
			delta := cm[j] - mean[j]
			mean[j] += delta * nb / n
			m2[j] += cm2[j] + delta*delta*na*nb/n
		}
		na = n
	}
	for j := range scale {
		scale[j] = math.Sqrt(m2[j] / na)
	}
	return mean, scale, nil
}

// momentsChunk computes rows lo…hi−1's means and M2 = Σ(x − mean)² (or,
// without center, zero means and Σx²), four rows at a time.
func momentsChunk[T float32 | float64](x []T, stride, c, lo, hi int, center bool, m, m2 []float64) {
	clear(m)
	clear(m2)
	k := x[lo*stride : lo*stride+c]
	s1 := m // Σ(x − K), reusing m's storage
	i := lo
	for ; i+4 <= hi; i += 4 {
		r0 := x[i*stride : i*stride+c]
		r1 := x[(i+1)*stride : (i+1)*stride+c]
		r2 := x[(i+2)*stride : (i+2)*stride+c]
		r3 := x[(i+3)*stride : (i+3)*stride+c]
		for j := range r0 {
			var kj float64
			if center {
				kj = float64(k[j])
			}
			e0, e1, e2, e3 := float64(r0[j])-kj, float64(r1[j])-kj, float64(r2[j])-kj, float64(r3[j])-kj
			s1[j] += (e0 + e1) + (e2 + e3)
			m2[j] += (e0*e0 + e1*e1) + (e2*e2 + e3*e3)
		}
	}
	for ; i < hi; i++ {
		r := x[i*stride : i*stride+c]
		for j := range r {
			var kj float64
			if center {
				kj = float64(k[j])
			}
			e := float64(r[j]) - kj
			s1[j] += e
			m2[j] += e * e
		}
	}
	n := float64(hi - lo)
	for j := 0; j < c; j++ {
		if !center {
			m[j] = 0
			continue
		}
		mj := s1[j] / n
		m2[j] = math.Max(m2[j]-s1[j]*mj, 0)
		m[j] = float64(k[j]) + mj
	}
}

// momentsChunkWeighted is momentsChunk for weighted rows (weights w, one
// per row of x): rows lo…hi−1's weighted means and M2 = Σw·(x − mean)²
// (or, without center, zero means and Σw·x²), summed about the chunk's
// first row K. It returns the chunk's Σw; a chunk of weight 0 has zero
// sums and the mean K.
func momentsChunkWeighted[T float32 | float64](x []T, w []float64, stride, c, lo, hi int, center bool, m, m2 []float64) float64 {
	clear(m)
	clear(m2)
	k := x[lo*stride : lo*stride+c]
	s1 := m // Σw·(x − K), reusing m's storage
	sw := 0.0
	for i := lo; i < hi; i++ {
		wi := w[i]
		sw += wi
		r := x[i*stride : i*stride+c]
		for j := range r {
			var kj float64
			if center {
				kj = float64(k[j])
			}
			e := float64(r[j]) - kj
			we := wi * e
			s1[j] += we
			m2[j] += we * e
		}
	}
	for j := 0; j < c; j++ {
		if !center {
			m[j] = 0
			continue
		}
		mj := 0.0
		if sw > 0 {
			mj = s1[j] / sw
		}
		m2[j] = math.Max(m2[j]-s1[j]*mj, 0)
		m[j] = float64(k[j]) + mj
	}
	return sw
}
