package lsgd

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// eigLimit is the number of free coefficients up to which the sample
// Hessian is analysed by a full symmetric eigendecomposition (which names
// collinear columns); wider problems use a Cholesky factorization and
// power iterations, which cost a fraction of it.
const eigLimit = 512

// precond applies M⁻¹, the (pseudo-)inverse of the sample Hessian H_s
// over the free coordinates, to table-space vectors: the preconditioner of
// the conjugate-gradient method. Entries outside free are zero.
type precond struct {
	free []int
	// Eigen form (q ≤ eigLimit): M⁻¹ = V·diag(inv)·Vᵀ, inv 0 on the
	// numerically null directions (the pseudo-inverse keeps the iterates
	// in the row space, so the fit converges to the minimum-norm solution).
	vecs *mat.Dense
	inv  []float64
	// Cholesky form (q > eigLimit): M = H_s + δ·I.
	chol *mat.Cholesky
	z, w []float64
	vt   []float64 // scratch: diag(inv)·Vᵀz
}

// apply stores M⁻¹·r into dst (both of length p).
func (m *precond) apply(dst, r []float64) {
	q := len(m.free)
	if len(m.z) != q {
		m.z, m.w = make([]float64, q), make([]float64, q)
	}
	for a, j := range m.free {
		m.z[a] = r[j]
	}
	if m.chol != nil {
		w := mat.NewVecDense(q, m.w)
		if err := m.chol.SolveVecTo(w, mat.NewVecDense(q, m.z)); err != nil {
			clear(m.w)
		}
	} else {
		// w = V·diag(inv)·Vᵀz, V read by rows (row-major, no per-element
		// calls) into scratch kept between iterations.
		if len(m.vt) != q {
			m.vt = make([]float64, q)
		}
		vt := m.vt
		clear(vt)
		for a := 0; a < q; a++ {
			za := m.z[a]
			for k, v := range m.vecs.RawRowView(a) {
				vt[k] += v * za
			}
		}
		for k := range vt {
			vt[k] *= m.inv[k]
		}
		for a := 0; a < q; a++ {
			s := 0.0
			for k, v := range m.vecs.RawRowView(a) {
				s += v * vt[k]
			}
			m.w[a] = s
		}
	}
	clear(dst)
	for a, j := range m.free {
		dst[j] = m.w[a]
	}
}

// freeIndices lists the table-space indices with mask 1.
func freeIndices(mask []float64) []int {
	free := make([]int, 0, len(mask))
	for j, m := range mask {
		if m != 0 {
			free = append(free, j)
		}
	}
	return free
}

// sampleHessian forms H = (2/s)·G[free, free] + 2·diag(ridge[free]) from a
// p×p Gram matrix of s rows.
func sampleHessian(G []float64, p, s int, free []int, ridge []float64) *mat.SymDense {
	q := len(free)
	H := mat.NewSymDense(q, nil)
	for a, ja := range free {
		for b := a; b < q; b++ {
			v := 2 * G[ja*p+free[b]] / float64(s)
			if a == b {
				v += 2 * ridge[ja]
			}
			H.SetSym(a, b, v)
		}
	}
	return H
}

// analyze returns the spectrum summary of the sample Hessian H over the
// free coordinates and the preconditioner built from it.
func analyze(H *mat.SymDense, free []int, p int) (Curvature, *precond) {
	q := len(free)
	pc := &precond{free: free}
	cv := Curvature{Top: make([]float64, p)}
	if q == 0 {
		cv.Max, cv.Min, cv.Cond = 1, 1, 1
		pc.vecs, pc.inv = mat.NewDense(1, 1, nil), nil
		return cv, pc
	}
	if q > eigLimit {
		return analyzeWide(H, free, p)
	}
	var eig mat.EigenSym
	if !eig.Factorize(H, true) {
		cv.Max, cv.Min, cv.Cond = 1, 1, 1
		pc.vecs, pc.inv = mat.NewDense(q, q, nil), make([]float64, q)
		for a := 0; a < q; a++ {
			pc.vecs.Set(a, a, 1)
			pc.inv[a] = 1
		}
		return cv, pc
	}
	vals := eig.Values(nil) // ascending
	vecs := mat.NewDense(q, q, nil)
	eig.VectorsTo(vecs)
	cv.Max = vals[q-1]
	for a, j := range free {
		cv.Top[j] = vecs.At(a, q-1)
	}
	// Directions with eigenvalues below the threshold are numerically null:
	// the columns with weight in them are collinear.
	thresh := cv.Max * 1e-12 * float64(q)
	cv.Min = cv.Max
	pc.vecs, pc.inv = vecs, make([]float64, q)
	found := false
	for i, v := range vals {
		if v > thresh {
			pc.inv[i] = 1 / v
			if !found {
				cv.Min, found = v, true
			}
			continue
		}
		var group []int
		big := 0.0
		for a := 0; a < q; a++ {
			big = math.Max(big, math.Abs(vecs.At(a, i)))
		}
		for a := 0; a < q; a++ {
			if math.Abs(vecs.At(a, i)) >= 0.05*big {
				group = append(group, free[a])
			}
		}
		sort.Ints(group)
		cv.Collinear = append(cv.Collinear, group)
	}
	if cv.Min <= 0 {
		cv.Min = thresh
	}
	cv.Cond = cv.Max / cv.Min
	return cv, pc
}

// analyzeWide handles q > eigLimit: a Cholesky factorization of H + δI
// (δ the rank threshold) is the preconditioner; λmax comes from power
// iteration on H and λmin from inverse iteration through the factor. The
// inverse iteration's Rayleigh quotient approaches λmin from above, so Min
// is halved to stay on the safe side of the certificate; collinear columns
// are not named at this width.
func analyzeWide(H *mat.SymDense, free []int, p int) (Curvature, *precond) {
	q := len(free)
	cv := Curvature{Top: make([]float64, p)}
	pc := &precond{free: free}
	v := make([]float64, q)
	for a := range v {
		v[a] = 1 / math.Sqrt(float64(q))
	}
	hv := mat.NewVecDense(q, nil)
	vv := mat.NewVecDense(q, v)
	lmax := 0.0
	for k := 0; k < 60; k++ {
		hv.MulVec(H, vv)
		rq := mat.Dot(vv, hv)
		n := mat.Norm(hv, 2)
		if n == 0 {
			break
		}
		vv.ScaleVec(1/n, hv)
		if k > 5 && math.Abs(rq-lmax) <= 1e-6*rq {
			lmax = math.Max(lmax, rq)
			break
		}
		lmax = math.Max(lmax, rq)
	}
	if lmax <= 0 {
		lmax = 1
	}
	cv.Max = lmax * 1.02
	for a, j := range free {
		cv.Top[j] = vv.AtVec(a)
	}
	delta := lmax * 1e-12 * float64(q)
	M := mat.NewSymDense(q, nil)
	M.CopySym(H)
	for a := 0; a < q; a++ {
		M.SetSym(a, a, M.At(a, a)+delta)
	}
	var chol mat.Cholesky
	for !chol.Factorize(M) {
		delta *= 100
		for a := 0; a < q; a++ {
			M.SetSym(a, a, H.At(a, a)+delta)
		}
	}
	pc.chol = &chol
	// Inverse iteration: the largest eigenvalue of M⁻¹.
	for a := range v {
		v[a] = 1 / math.Sqrt(float64(q))
	}
	vv = mat.NewVecDense(q, v)
	w := mat.NewVecDense(q, nil)
	mu := 0.0
	for k := 0; k < 60; k++ {
		if err := chol.SolveVecTo(w, vv); err != nil {
			break
		}
		rq := mat.Dot(vv, w) // Rayleigh quotient of M⁻¹, ≤ 1/λmin(M)
		n := mat.Norm(w, 2)
		if n == 0 {
			break
		}
		vv.ScaleVec(1/n, w)
		if k > 5 && math.Abs(rq-mu) <= 1e-4*rq {
			mu = math.Max(mu, rq)
			break
		}
		mu = math.Max(mu, rq)
	}
	cv.Min = delta
	if mu > 0 {
		cv.Min = math.Max((1/mu-delta)/2, delta)
	}
	cv.Cond = cv.Max / cv.Min
	return cv, pc
}
