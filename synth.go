package lsgd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/lsgd/lsgd/internal/par"
	"github.com/lsgd/lsgd/tableio"
)

// GenOptions describe a synthetic least-squares problem.
type GenOptions struct {
	Rows      int
	Features  int
	Noise     float64 // standard deviation of the additive Gaussian noise
	Cond      float64 // condition number of the standardized feature matrix (≥ 1; 0 or 1 means independent features)
	Intercept float64 // the true intercept
	Seed      uint64
	Precision Precision // storage of the generated table (F64 default)
}

// Truth is what generated a synthetic table.
type Truth struct {
	Linear         // features, coefficients and intercept on the original scale
	Noise  float64 `json:"noise"`
	Cond   float64 `json:"cond"`
	Seed   uint64  `json:"seed"`
	Rows   int     `json:"rows"`
}

// genChunk is the number of rows generated from one seeded stream, so the
// output does not depend on the number of threads.
const genChunk = 16384

// Generate returns a table y = b + x·β + ε with correlated features.
//
// Features are x = (z·S·Qᵀ)·c + m with z standard normal, Q a random
// orthogonal matrix and S singular values spaced geometrically from 1 down
// to 1/Cond, then every column j given its own scale c_j (log-uniform in
// [0.1, 10]) and offset m_j, so that standardization matters. The
// standardized feature matrix then has condition number close to Cond
// (its Gram matrix close to Cond²). β_j is standard normal divided by c_j, so
// every feature contributes on the same order; ε is N(0, Noise²).
func Generate(o GenOptions) (*Table, *Truth, error) {
	switch {
	case o.Rows <= 0:
		return nil, nil, inputErrorf("gen: rows must be positive, got %d", o.Rows)
	case o.Features <= 0:
		return nil, nil, inputErrorf("gen: features must be positive, got %d", o.Features)
	case o.Noise < 0 || math.IsNaN(o.Noise) || math.IsInf(o.Noise, 0):
		return nil, nil, inputErrorf("gen: noise must be ≥ 0, got %g", o.Noise)
	case o.Cond != 0 && (o.Cond < 1 || math.IsInf(o.Cond, 0) || math.IsNaN(o.Cond)):
		return nil, nil, inputErrorf("gen: cond must be ≥ 1, got %g", o.Cond)
	case int64(o.Rows)*int64(o.Features+1) > math.MaxInt32*int64(8):
		return nil, nil, inputErrorf("gen: %d×%d is too large", o.Rows, o.Features)
	}
	d := o.Features
	cond := math.Max(o.Cond, 1)
	rng := rand.New(rand.NewPCG(o.Seed, 0x67656e))
	// Mixing matrix A = S·Qᵀ (d×d).
	A := make([]float64, d*d)
	{
		g := mat.NewDense(d, d, nil)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				g.Set(i, j, rng.NormFloat64())
			}
		}
		var qr mat.QR
		qr.Factorize(g)
		var Q mat.Dense
		qr.QTo(&Q)
		for i := 0; i < d; i++ {
			s := 1.0
			if d > 1 {
				s = math.Pow(cond, -float64(i)/float64(d-1))
			}
			for j := 0; j < d; j++ {
				A[i*d+j] = s * Q.At(j, i)
			}
		}
		// Normalize columns of A so each feature has unit variance before
		// its own scale.
		for j := 0; j < d; j++ {
			s := 0.0
			for i := 0; i < d; i++ {
				s += A[i*d+j] * A[i*d+j]
			}
			s = math.Sqrt(s)
			for i := 0; i < d; i++ {
				A[i*d+j] /= s
			}
		}
	}
	scale := make([]float64, d)
	offset := make([]float64, d)
	tr := &Truth{Linear: Linear{Coef: make([]float64, d), Intercept: o.Intercept}, Noise: o.Noise, Cond: cond, Seed: o.Seed, Rows: o.Rows}
	for j := 0; j < d; j++ {
		scale[j] = math.Pow(10, 2*rng.Float64()-1)
		offset[j] = (4*rng.Float64() - 2) * scale[j]
		tr.Coef[j] = rng.NormFloat64() / scale[j]
	}
	t := tableio.NewTable(o.Rows, d+1, o.Precision)
	tr.Features = t.FeatureNames()
	nchunks := (o.Rows + genChunk - 1) / genChunk
	nw := par.Workers(nchunks, 0)
	zs, xs := make([][]float64, nw), make([][]float64, nw)
	for w := range nw {
		zs[w], xs[w] = make([]float64, d), make([]float64, d)
	}
	par.For(nchunks, 0, func(w, k int) {
		z, x := zs[w], xs[w]
		r := rand.New(rand.NewPCG(o.Seed, uint64(k)+1))
		for i := k * genChunk; i < min((k+1)*genChunk, o.Rows); i++ {
			for j := range z {
				z[j] = r.NormFloat64()
			}
			clear(x)
			for a := 0; a < d; a++ {
				za := z[a]
				row := A[a*d : a*d+d]
				for j := range x {
					x[j] += za * row[j]
				}
			}
			y := o.Intercept + o.Noise*r.NormFloat64()
			for j := range x {
				v := x[j]*scale[j] + offset[j]
				if o.Precision == F32 {
					v = float64(float32(v))
				}
				t.Set(i, j, v)
				y += tr.Coef[j] * v
			}
			t.Set(i, d, y)
		}
	})
	t.Source = fmt.Sprintf("synthetic %d×%d (cond %g, seed %d)", o.Rows, d, cond, o.Seed)
	return t, tr, nil
}
