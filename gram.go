package lsgd

// Curvature is what Fit knows about the Hessian H = (2/n)·X̃ᵀX̃ + 2·diag(ridge)
// of the standardized problem over the free coefficients, estimated in
// float64 from the Gram matrix of a sample of rows (all rows when there
// are few).
type Curvature struct {
	SampleRows int       // rows in the sample (== n when exact)
	Exact      bool      // the sample was every row
	Max        float64   // largest eigenvalue of the sample Hessian
	Min        float64   // smallest eigenvalue above the rank threshold
	Cond       float64   // Max/Min
	Top        []float64 // unit eigenvector of Max, in table space (len p)
	Collinear  [][]int   // groups of table-space indices spanning near-null directions
}

// sampleSize is the number of rows whose Gram matrix estimates the
// curvature (and preconditions pcg): every row up to 65536, fewer as p
// grows so the cost stays near 2²⁸ multiply-adds, but never below 16·p;
// for wide tables a sketch of 4·p rows (at least) keeps the cost bounded.
func sampleSize(n, p int) int {
	s := min(65536, (1<<28)/(p*p))
	s = max(s, 16*p)
	if int64(s)*int64(p)*int64(p) > 1<<34 {
		s = max(int((1<<34)/(int64(p)*int64(p))), 4*p)
	}
	return min(n, s)
}

// sampleCurvature forms the Gram matrix of sampleSize rows on the device,
// from the values as stored (standardized), in evenly spaced contiguous
// blocks (every row when there are few), and from it the curvature, the
// preconditioner and the relative-residual estimate.
func (f *fitter) sampleCurvature() error {
	s := sampleSize(f.n, f.p)
	nb := 1
	if s < f.n {
		nb = max(1, min(64, s/1024))
	}
	per := s / nb
	s = per * nb
	var G []float64
	for b := 0; b < nb; b++ {
		lo := int(int64(b) * int64(f.n) / int64(nb))
		Gb, err := f.data.Gram(Rows{Lo: lo, Hi: lo + per})
		if err != nil {
			return err
		}
		if G == nil {
			G = Gb
			continue
		}
		for i, v := range Gb {
			G[i] += v
		}
	}
	f.passes += float64(s) / float64(f.n)
	free := freeIndices(f.mask)
	f.curv, f.pc = analyze(sampleHessian(G, f.p, s, free, f.ridge), free, f.p)
	f.curv.SampleRows, f.curv.Exact = s, s == f.n
	f.rho = sampleRho(G, f.p, s, f.t.Target, f.mask, f.pc, f.curv.Max)
	return nil
}
