package main

import "github.com/lsgd/lsgd"

// inference returns the classical inference of the unpenalized fit sol
// under the gaussian model with analytic weights, y_i = b + x_i·β + ε_i,
// ε_i ~ N(0, σ²/w_i) (R's lm with weights, statsmodels' WLS), from the
// merged factor and rss = Σ w_i·e_i², the weighted residual sum of
// squares of the last refinement pass: lsgd.InferenceFromR, which lsgd
// solve uses, on the standardized design's R (s.rq, its columns
// (x − m)·mul). Without weights this is lsgd solve's inference exactly.
// A rank-deficient R never gets here: newSystem names the collinear
// columns and stops.
func (s *system) inference(sol *lsgd.Solution, rss float64, weighted bool) *lsgd.Inference {
	d := s.d
	inf := lsgd.InferenceFromR(s.rq, s.mean[:d], s.mul[:d], !s.opt.NoIntercept, &sol.Linear, sol.R2, rss, s.sst, int(s.npos))
	inf.Weighted = weighted
	return inf
}
