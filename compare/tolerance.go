package compare

import (
	"math"
	"runtime"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/internal/par"
)

// Rounding-error model of the agreement checks.
//
// A backend of unit round-off u (2⁻²⁴ for float32, 2⁻⁵³ for float64)
// computes each residual r_i = Σ_j x̃_ij·v_j, a dot product of p terms,
// and each gradient sum g_j = (2/m)·Σ_i r_i·x̃_ij, a sum of m terms, each
// by an association tree of its own choosing (blocks, threads, work
// groups). The deterministic bound γ_n = n·u/(1−n·u) on a sum of n terms
// is useless for a million rows in float32 (0.06), so the checks use
// Higham & Mary's probabilistic bound (SIAM J. Sci. Comput. 41(5), 2019,
// Theorem 3.1): modelling the rounding errors as independent, mean-zero
// and bounded by u, the computed sum of any n terms t_k satisfies
//
//	|ŝ − s| ≤ γ̃_n(λ)·Σ_k |t_k|,  γ̃_n(λ) = exp(λ·√n·u + n·u²/(1−u)) − 1 ≈ λ·√n·u,
//
// with probability at least 1 − 2n·exp(−λ²(1−u)²/2). With λ = 8 that is
// 1 − 3·10⁻¹⁴·n per sum (over all m residuals and the p gradient sums of a
// 10⁷-row table, a failure probability below 10⁻⁵), so a check that fails
// is a bug, not bad luck. The tree's shape never matters: no chain of
// roundings is longer than the number of terms.
//
// The data a backend works on is also rounded: it standardizes x̃ = (x −
// shift)·mul itself, in its own precision, so a stored x̃_ij may be off by
// a few u·(|x̃_ij| + |shift_j·mul_j|) (subtracting a rounded shift loses
// what the shift holds), and it rounds the point v to its precision. The
// magnitude of element (i, j) is therefore
//
//	M_ij = |x̃_ij| + |shift_j·mul_j|   (M_i,p−1 = 1 for the intercept),
//
// and the magnitude of row i's residual terms is a_i = Σ_j M_ij·|v_j|.
// Then |r̂_i − r_i| ≤ γ̃_p·a_i (the dot product; γ̃_p ≥ 2u also covers the
// rounded data), and the row sum adds γ̃_m·Σ_i |r_i·x̃_ij|, so
//
//	|ĝ_j − g_j| ≤ γ̃_p·T1_j + γ̃_m·T2_j,  T1_j = (2/m)·Σ_i M_ij·a_i,  T2_j = (2/m)·Σ_i M_ij·|r_i|
//	|losŝ − loss| ≤ γ̃_p·A1 + γ̃_m·A2,    A1 = (1/m)·Σ_i 2·|r_i|·a_i,  A2 = (1/m)·Σ_i r_i²
//
// (to first order in u; the mask and the 2/m scale are exact). Near the
// optimum the residuals are small and the γ̃_p term, which does not grow
// with the number of rows, dominates. The magnitudes are computed in
// float64 from the same data by magPass.
const lambda = 8

// gamma returns γ̃_n(λ) for a sum of n terms in precision p.
func gamma(p lsgd.Precision, n int) float64 {
	u := p.UnitRoundoff()
	N := float64(n)
	return math.Expm1(lambda*math.Sqrt(N)*u + N*u*u/(1-u))
}

// roundoff is the pair (γ̃_p, γ̃_m) of one precision for a table of m rows
// and p coefficients.
type roundoff struct{ dot, sum float64 }

func roundoffOf(prec lsgd.Precision, rows, p int) roundoff {
	return roundoff{dot: gamma(prec, p), sum: gamma(prec, rows)}
}

// plus is the bound for the difference of two computations (the path's
// error plus the reference's).
func (a roundoff) plus(b roundoff) roundoff { return roundoff{a.dot + b.dot, a.sum + b.sum} }

// gradBound is ‖γ̃_p·T1 + γ̃_m·T2‖, the bound on the error of a computed
// gradient.
func (m magnitudes) gradBound(g roundoff) float64 {
	s := 0.0
	for j := range m.T1 {
		e := g.dot*m.T1[j] + g.sum*m.T2[j]
		s += e * e
	}
	return math.Sqrt(s)
}

// lossBound is γ̃_p·A1 + γ̃_m·A2, the bound on the error of a computed loss.
func (m magnitudes) lossBound(g roundoff) float64 { return g.dot*m.A1 + g.sum*m.A2 }

// stdTable is a table with the standardization that every path is given,
// so that all of them see the same standardized problem.
type stdTable struct {
	t           *lsgd.Table
	shift, mul  []float64
	mask        []float64 // table space, length p
	free        []int     // indices with mask 1
	off         []float64 // |shift_j·mul_j|, the magnitude standardization subtracts
	n, c, p     int
	threads     int
	center      bool
	target      int
	targetScale float64 // RMS deviation of the target: 1/mul[target]
}

func newStdTable(t *lsgd.Table, mean, scale []float64, threads int) *stdTable {
	c := t.Cols
	s := &stdTable{t: t, n: t.Rows, c: c, p: c + 1, threads: threads, center: true, target: t.Target}
	s.shift, s.mul, s.off = make([]float64, c), make([]float64, c), make([]float64, c)
	for j := 0; j < c; j++ {
		s.shift[j] = mean[j]
		s.mul[j] = 1
		if scale[j] > 0 {
			s.mul[j] = 1 / scale[j]
		}
		s.off[j] = math.Abs(s.shift[j] * s.mul[j])
	}
	s.targetScale = scale[t.Target]
	s.mask = make([]float64, s.p)
	for j := 0; j < s.p; j++ {
		if j != t.Target {
			s.mask[j] = 1
			s.free = append(s.free, j)
		}
	}
	if s.threads <= 0 {
		s.threads = runtime.GOMAXPROCS(0)
	}
	return s
}

// row writes the standardized row i (with a trailing 1) into z and its
// magnitudes M_ij into mz.
func (s *stdTable) row(i int, z, mz []float64) {
	t := s.t
	base := i * t.Stride
	for j := 0; j < s.c; j++ {
		var x float64
		if t.F32 != nil {
			x = float64(t.F32[base+j])
		} else {
			x = t.F64[base+j]
		}
		z[j] = (x - s.shift[j]) * s.mul[j]
		mz[j] = math.Abs(z[j]) + s.off[j]
	}
	z[s.c], mz[s.c] = 1, 1
}

// magnitudes are the outputs of magPass at one point v.
type magnitudes struct {
	g      []float64 // the gradient, float64 (mask applied, no ridge)
	loss   float64   // (1/m)·Σ r_i²
	T1, T2 []float64 // magnitudes of the gradient's terms (see lambda)
	A1, A2 float64   // magnitudes of the loss's terms
}

// passChunk is the number of rows whose sums a worker keeps apart; the
// partial sums are merged in chunk order, so the result does not depend on
// the number of threads.
const passChunk = 8192

// magPass evaluates, in float64 over all rows, the gradient, the loss and
// the magnitudes T1, T2, A1, A2 at v (table space, target −1).
func (s *stdTable) magPass(v []float64) magnitudes {
	p := s.p
	w := 3*p + 2
	nch := (s.n + passChunk - 1) / passChunk
	parts := make([]float64, nch*w)
	s.parallel(nch, func(k int) {
		part := parts[k*w : (k+1)*w]
		g, T1, T2 := part[:p], part[p:2*p], part[2*p:3*p]
		z, mz := make([]float64, p), make([]float64, p)
		av := make([]float64, p)
		for j := range v {
			av[j] = math.Abs(v[j])
		}
		for i := k * passChunk; i < min((k+1)*passChunk, s.n); i++ {
			s.row(i, z, mz)
			r, a := 0.0, 0.0
			for j := 0; j < p; j++ {
				r += z[j] * v[j]
				a += mz[j] * av[j]
			}
			ar := math.Abs(r)
			for j := 0; j < p; j++ {
				g[j] += r * z[j]
				T1[j] += mz[j] * a
				T2[j] += mz[j] * ar
			}
			part[3*p] += r * r
			part[3*p+1] += 2 * ar * a
		}
	})
	out := magnitudes{g: make([]float64, p), T1: make([]float64, p), T2: make([]float64, p)}
	for k := 0; k < nch; k++ {
		part := parts[k*w : (k+1)*w]
		for j := 0; j < p; j++ {
			out.g[j] += part[j]
			out.T1[j] += part[p+j]
			out.T2[j] += part[2*p+j]
		}
		out.loss += part[3*p]
		out.A1 += part[3*p+1]
	}
	m := float64(s.n)
	for j := 0; j < p; j++ {
		f := s.mask[j] * 2 / m
		out.g[j] *= f
		out.T1[j] *= f
		out.T2[j] *= f
	}
	out.loss /= m
	out.A1 /= m
	out.A2 = out.loss
	return out
}

// spectrum returns the extreme eigenvalues of the Hessian H = (2/m)·X̃ᵀX̃
// of the standardized problem over the free coordinates (the features
// and the intercept), formed exactly from every row in float64.
func (s *stdTable) spectrum() (L, mu float64) {
	q := len(s.free)
	const block = 2048
	nch := (s.n + block - 1) / block
	nw := par.Workers(nch, s.threads)
	grams := make([][]float64, nw)
	scratch := make([]struct{ Z, z, mz []float64 }, nw)
	for w := range nw {
		grams[w] = make([]float64, q*q)
		scratch[w].Z, scratch[w].z, scratch[w].mz = make([]float64, block*q), make([]float64, s.p), make([]float64, s.p)
	}
	par.For(nch, s.threads, func(w, c int) {
		G, Z, z, mz := grams[w], scratch[w].Z, scratch[w].z, scratch[w].mz
		lo, hi := c*block, min((c+1)*block, s.n)
		for i := lo; i < hi; i++ {
			s.row(i, z, mz)
			zr := Z[(i-lo)*q : (i-lo+1)*q]
			for a, j := range s.free {
				zr[a] = z[j]
			}
		}
		rows := hi - lo
		blas64.Syrk(blas.Trans, 1,
			blas64.General{Rows: rows, Cols: q, Stride: q, Data: Z[:rows*q]}, 1,
			blas64.Symmetric{Uplo: blas.Upper, N: q, Stride: q, Data: G})
	})
	H := mat.NewSymDense(q, nil)
	for _, G := range grams {
		for a := 0; a < q; a++ {
			for b := a; b < q; b++ {
				H.SetSym(a, b, H.At(a, b)+2*G[a*q+b]/float64(s.n))
			}
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(H, false) {
		return math.NaN(), math.NaN()
	}
	vals := eig.Values(nil)
	return vals[q-1], vals[0]
}

func (s *stdTable) parallel(n int, fn func(k int)) { par.For(n, s.threads, func(_, k int) { fn(k) }) }

// toStd maps a model on the original scale (coefficients of the feature
// columns in order, intercept) to the table-space vector of the
// standardized problem: θ_j = coef_j/(mul_j·scale_t) with scale_t = 1/mul_t,
// θ_target = −1, and the intercept b = (intercept − shift_t)·mul_t +
// Σ_j θ_j·mul_j·shift_j (the inverse of Fit's map back to the original
// scale).
func (s *stdTable) toStd(coef []float64, intercept float64) []float64 {
	v := make([]float64, s.p)
	tg := s.target
	mt := s.mul[tg]
	b := (intercept - s.shift[tg]) * mt
	a := 0
	for j := 0; j < s.c; j++ {
		if j == tg {
			v[j] = -1
			continue
		}
		v[j] = coef[a] * mt / s.mul[j]
		b += v[j] * s.mul[j] * s.shift[j]
		a++
	}
	v[s.c] = b
	return v
}

// freeNorm is ‖v‖ over the free coordinates.
func (s *stdTable) freeNorm(v []float64) float64 {
	n := 0.0
	for _, j := range s.free {
		n += v[j] * v[j]
	}
	return math.Sqrt(n)
}

// freeDist is ‖a − b‖ over the free coordinates.
func (s *stdTable) freeDist(a, b []float64) float64 {
	n := 0.0
	for _, j := range s.free {
		n += (a[j] - b[j]) * (a[j] - b[j])
	}
	return math.Sqrt(n)
}

func norm2(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func dist2(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s)
}
