package cpu

import "math"

// Moments computes every column's mean and spread in one pass over the
// table. Each chunk of ChunkRows rows sums x − K and (x − K)² in float64,
// with K the chunk's first row (so the sums do not cancel when a column's
// offset is large against its spread); the chunks' (count, mean, M2) are
// then merged in chunk order by Chan, Golub and LeVeque's pairwise update,
// which is stable and, like every sum here, independent of the thread
// count. Without center it sums x² (the spread about zero).
func (d *fastData) Moments(center bool) (mean, scale []float64, err error) {
	t := d.t
	c := t.Cols
	nchunks := (t.Rows + ChunkRows - 1) / ChunkRows
	// Per chunk: c means, then c M2 (or Σx²).
	part := make([]float64, nchunks*2*c)
	d.parallel(nchunks, func(_ *worker, k int) {
		m := part[k*2*c : k*2*c+c]
		m2 := part[k*2*c+c : (k+1)*2*c]
		lo, hi := k*ChunkRows, min((k+1)*ChunkRows, t.Rows)
		if t.F32 != nil {
			momentsChunk(t.F32, t.Stride, c, lo, hi, center, m, m2)
		} else {
			momentsChunk(t.F64, t.Stride, c, lo, hi, center, m, m2)
		}
	})
	mean, scale = make([]float64, c), make([]float64, c)
	m2 := make([]float64, c)
	na := 0.0
	for k := 0; k < nchunks; k++ {
		nb := float64(min((k+1)*ChunkRows, t.Rows) - k*ChunkRows)
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
		scale[j] = math.Sqrt(m2[j] / float64(t.Rows))
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
