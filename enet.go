package lsgd

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// The elastic-net solver on sufficient statistics: coordinate descent with
// covariance updates (Friedman, Hastie and Tibshirani's glmnet) on the
// standardized Gram matrix of the rows, certified by the duality gap.
// Everything here is d×d work; the rows are read once, by Data.Gram.

// enetScale maps the standardized problem an enetProblem is posed on to
// the table's units: feature j (table column feats[j]) enters as
// z_j = (x_j − Mean[j])·A[j] and the target as (y − YMean)·AT, so a
// standardized coefficient β_j is θ_j = β_j·A[j]/AT on the original scale
// and the intercept is YMean − Σ θ_j·Mean[j].
type enetScale struct {
	N     float64 // rows the statistics are over
	Feats []int   // table columns of the features
	Mean  []float64
	A     []float64
	YMean float64
	AT    float64
}

// enetProblem is an elastic-net problem on standardized sufficient
// statistics (C = ZᵀZ/n, B = Zᵀz/n, YY = zᵀz/n for the standardized
// features Z and target z):
//
//	P(β) = YY − 2·Bᵀβ + βᵀCβ + Σ_j L1[j]·|β_j| + Σ_j L2[j]·β_j²
//
// which is (1/n)‖z − Zβ‖² plus the penalty: the objective on the original
// scale times AT².
type enetProblem struct {
	D      int
	C      []float64 // D×D, row-major, symmetric
	B      []float64
	YY     float64
	L1, L2 []float64
}

// enetStats derives the standardized problem over the rows a Gram matrix
// G (p×p, as Data.Gram returns it: the ones column last) was summed over:
// the features are the table columns feats, the target column target.
// With center the columns are centred by their means over these rows (the
// intercept is fitted); without, they are only scaled (by their
// root-mean-square). It returns a nil scale for a feature column that is
// constant (or zero) over the rows, reporting its index in feats.
func enetStats(G []float64, p int, feats []int, target int, center bool) (*enetProblem, *enetScale, int) {
	c := p - 1
	n := G[c*p+c]
	d := len(feats)
	cols := append(append([]int(nil), feats...), target)
	mean := make([]float64, d+1)
	if center {
		for k, j := range cols {
			mean[k] = G[j*p+c] / n
		}
	}
	cov := func(a, b int) float64 {
		ja, jb := cols[a], cols[b]
		return G[ja*p+jb]/n - mean[a]*mean[b]
	}
	s := make([]float64, d+1)
	for k := range cols {
		v := cov(k, k)
		// A column whose spread is at the rounding level of its mean is
		// constant.
		if v <= 0 || math.Sqrt(v) <= 1e-13*math.Abs(mean[k]) {
			if k == d {
				s[k] = 0
				continue
			}
			return nil, nil, k
		}
		s[k] = math.Sqrt(v)
	}
	sc := &enetScale{N: n, Feats: feats, Mean: mean[:d], A: make([]float64, d), YMean: mean[d], AT: 1}
	for k := 0; k < d; k++ {
		sc.A[k] = 1 / s[k]
	}
	if s[d] > 0 {
		sc.AT = 1 / s[d]
	}
	pr := &enetProblem{D: d, C: make([]float64, d*d), B: make([]float64, d), L1: make([]float64, d), L2: make([]float64, d)}
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			v := cov(a, b) * sc.A[a] * sc.A[b]
			pr.C[a*d+b], pr.C[b*d+a] = v, v
		}
		pr.B[a] = cov(a, d) * sc.A[a] * sc.AT
	}
	pr.YY = cov(d, d) * sc.AT * sc.AT
	return pr, sc, -1
}

// setPenalty sets the weights of the penalty λ₁‖θ‖₁ + λ₂‖θ‖², stated on
// the original scale, on the standardized problem: λ₁|θ_j| = λ₁·A_j/AT·|β_j|
// and the objective is scaled by AT², so L1_j = λ₁·AT·A_j, L2_j = λ₂·A_j².
func (pr *enetProblem) setPenalty(sc *enetScale, l1, l2 float64) {
	for j := 0; j < pr.D; j++ {
		pr.L1[j] = l1 * sc.AT * sc.A[j]
		pr.L2[j] = l2 * sc.A[j] * sc.A[j]
	}
}

// lambdaMax is the smallest λ₁ at which β = 0 is optimal: the KKT
// condition at zero is |2·B_j| ≤ L1_j = λ₁·AT·A_j for every j.
func (pr *enetProblem) lambdaMax(sc *enetScale) float64 {
	m := 0.0
	for j := 0; j < pr.D; j++ {
		m = math.Max(m, 2*math.Abs(pr.B[j])/(sc.AT*sc.A[j]))
	}
	return m
}

// enetCert is the certificate of a point β of an enetProblem.
type enetCert struct {
	Primal float64 // P(β)
	Dual   float64 // D(ν) at the dual point scaled from the residual
	Gap    float64 // Primal − Dual ≥ P(β) − P* ≥ 0 (up to rounding)
	Loss   float64 // (1/n)‖z − Zβ‖²
	Floor  float64 // the rounding level of Gap: below it the gap says nothing more
}

// certify returns the duality gap at β, with q = Cβ.
//
// The Fenchel dual of min f(Zβ) + g(β), f(u) = (1/n)‖z − u‖², is
// max −f*(ν) − g*(−Zᵀν) with f*(ν) = νᵀz + n‖ν‖²/4 and
// g*(v) = Σ_j (|v_j| − L1_j)₊²/(4·L2_j) (for L2_j = 0: 0 if |v_j| ≤ L1_j,
// else +∞). The dual point is the residual's, ν = −(2s/n)·(z − Zβ),
// scaled by s ≤ 1 so that the coordinates without a ridge term are
// feasible; with v = (2/n)Zᵀ(z − Zβ) = 2(B − q):
//
//	D = 2s·(YY − Bᵀβ) − s²·Loss − Σ_j (s|v_j| − L1_j)₊²/(4·L2_j)
//
// At the optimum s = 1 and D = P.
func (pr *enetProblem) certify(beta, q []float64) enetCert {
	var bb, bq, pen, mag float64
	for j := 0; j < pr.D; j++ {
		bb += pr.B[j] * beta[j]
		bq += beta[j] * q[j]
		pen += pr.L1[j]*math.Abs(beta[j]) + pr.L2[j]*beta[j]*beta[j]
		mag += math.Abs(pr.B[j]*beta[j]) + math.Abs(beta[j]*q[j])
	}
	loss := math.Max(pr.YY-2*bb+bq, 0)
	s := 1.0
	for j := 0; j < pr.D; j++ {
		if pr.L2[j] > 0 {
			continue
		}
		if v := 2 * math.Abs(pr.B[j]-q[j]); v > pr.L1[j] {
			s = math.Min(s, pr.L1[j]/v)
		}
	}
	conj := 0.0
	for j := 0; j < pr.D; j++ {
		if pr.L2[j] > 0 {
			e := math.Max(s*2*math.Abs(pr.B[j]-q[j])-pr.L1[j], 0)
			conj += e * e / (4 * pr.L2[j])
		}
	}
	dual := 2*s*(pr.YY-bb) - s*s*loss - conj
	P := loss + pen
	u := F64.UnitRoundoff()
	return enetCert{Primal: P, Dual: dual, Gap: math.Max(P-dual, 0), Loss: loss,
		Floor: 64 * u * float64(pr.D+1) * (pr.YY + 2*mag + pen)}
}

// enetStepTol is the relative change of the coefficients (standardized,
// in the largest's units) below which a full sweep counts as settled; a
// solve stops when its last full sweep settled and the gap is within
// tolerance.
const enetStepTol = 1e-10

// enetResult is the outcome of enetProblem.solve.
type enetResult struct {
	enetCert
	Sweeps    int  // coordinate sweeps (full or over the active set)
	Converged bool // Gap ≤ the relative tolerance times Dual
}

// solve minimizes P by cyclic coordinate descent from β (updated in
// place: a warm start along a path), until the duality gap is at most
// tol·max(D, 0) (or its rounding floor) and a full sweep moved no
// coefficient by more than enetStepTol of the largest, or maxSweeps
// sweeps.
//
// Coordinate j's minimizer with the others fixed is
//
//	β_j = S(B_j − q_j + C_jj·β_j, L1_j/2) / (C_jj + L2_j)
//
// with S the soft threshold S(x, t) = sign(x)·max(|x| − t, 0), so a
// coefficient is exactly zero when its correlation with the residual is
// under its threshold. q = Cβ is kept up to date (a column of C per
// changed coefficient: the covariance updates). A full sweep is followed
// by sweeps over the non-zero coefficients until they settle, and the gap
// is checked after every full sweep.
func (pr *enetProblem) solve(beta []float64, tol float64, maxSweeps int) enetResult {
	d := pr.D
	C := pr.C
	q := make([]float64, d)
	pr.mulC(beta, q)
	update := func(j int) float64 {
		cjj := C[j*d+j]
		old := beta[j]
		rho := pr.B[j] - q[j] + cjj*old
		nw := 0.0
		if h := pr.L1[j] / 2; rho > h {
			nw = (rho - h) / (cjj + pr.L2[j])
		} else if rho < -h {
			nw = (rho + h) / (cjj + pr.L2[j])
		}
		dl := nw - old
		if dl == 0 {
			return 0
		}
		beta[j] = nw
		row := C[j*d : j*d+d]
		for k, v := range row {
			q[k] += dl * v
		}
		return cjj * dl * dl
	}
	var res enetResult
	active := make([]int, 0, d)
	inner := tol * pr.YY
	for res.Sweeps < maxSweeps {
		// A full sweep, then the gap.
		big := 0.0
		for j := 0; j < d; j++ {
			big = math.Max(big, update(j))
		}
		res.Sweeps++
		pr.mulC(beta, q) // no drift from the incremental updates
		res.enetCert = pr.certify(beta, q)
		// The gap bounds the objective's excess, but the coefficients only
		// through its square root; so the sweeps go on until no
		// coefficient moves by more than enetStepTol of the largest.
		scale := 0.0
		for j, b := range beta {
			scale = math.Max(scale, C[j*d+j]*b*b)
		}
		step := enetStepTol * enetStepTol * scale
		gapOK := res.Gap <= tol*math.Max(res.Dual, 0) || res.Gap <= res.Floor
		if gapOK && big <= step {
			res.Converged = true
			return res
		}
		if big == 0 {
			// Nothing moves, yet the gap is above tolerance: only
			// rounding is left.
			return res
		}
		// Sweeps over the active set until its changes are small.
		active = active[:0]
		for j := 0; j < d; j++ {
			if beta[j] != 0 {
				active = append(active, j)
			}
		}
		for res.Sweeps < maxSweeps {
			big := 0.0
			for _, j := range active {
				big = math.Max(big, update(j))
			}
			res.Sweeps++
			if big <= math.Min(inner, step) || big == 0 {
				break
			}
		}
		if !gapOK {
			inner = math.Max(inner/4, 1e-30*pr.YY)
		}
	}
	pr.mulC(beta, q)
	res.enetCert = pr.certify(beta, q)
	res.Converged = res.Gap <= tol*math.Max(res.Dual, 0) || res.Gap <= res.Floor
	return res
}

// mulC sets q = Cβ, skipping the zeros of β.
func (pr *enetProblem) mulC(beta, q []float64) {
	d := pr.D
	clear(q)
	for j, b := range beta {
		if b == 0 {
			continue
		}
		row := pr.C[j*d : j*d+d]
		for k, v := range row {
			q[k] += b * v
		}
	}
}

// eigenRange returns the smallest and largest eigenvalues of
// C + diag(L2). The smallest, μ, is the modulus with P(β) − P* ≥ μ‖β − β*‖²,
// so that ‖β − β*‖ ≤ √(gap/μ); it is returned as 0 when it is at the
// rounding level of the largest (collinear features without a ridge term).
func (pr *enetProblem) eigenRange() (mu, top float64) {
	d := pr.D
	if d == 0 {
		return 0, 0
	}
	H := mat.NewSymDense(d, nil)
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			v := pr.C[a*d+b]
			if a == b {
				v += pr.L2[a]
			}
			H.SetSym(a, b, v)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(H, false) {
		return 0, 0
	}
	vals := eig.Values(nil)
	mu, top = vals[0], vals[d-1]
	if mu <= 1e-12*top {
		mu = 0
	}
	return mu, top
}

// original returns the coefficients and the intercept on the original
// scale for the standardized β (the intercept 0 without centring).
func (sc *enetScale) original(beta []float64, center bool) (coef []float64, intercept float64) {
	coef = make([]float64, len(beta))
	intercept = sc.YMean
	for j, b := range beta {
		coef[j] = b * sc.A[j] / sc.AT
		intercept -= coef[j] * sc.Mean[j]
	}
	if !center {
		intercept = 0
	}
	return coef, intercept
}
