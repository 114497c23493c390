// Package lsgd fits linear least-squares models, y ≈ b + x·θ minimizing
// the mean squared error (plus an optional L2 penalty), by gradient
// methods on a CPU or GPU backend, and certifies how close the fit is to
// the exact solution.
//
// A fit takes a Table (FromRows, FromDense, or a file read with package
// tableio), a Backend (package backend opens one: backend.Open(backend.Auto,
// backend.F32, backend.Options{}) picks a hardware GPU when one answers and
// otherwise the CPU, and says why) and Options, whose zero value is the
// safe default (Options.Resolved shows every default):
//
//	b, why, err := backend.Open(backend.Auto, backend.Default, backend.Options{})
//	res, err := lsgd.Fit(ctx, b, lsgd.FromRows(x, y), lsgd.Options{})
//	pred := res.Predict(xNew)
//
// Fit runs in stages, one file each: prepare.go (column moments,
// standardization, a float64 sample of the curvature, what the precision
// can certify), stepsize.go (1/L by power iteration), iterate.go (the
// optimizer loop, stopping and divergence tests) and certify.go (the final
// gradient, the certified error bound, the back-transform to the original
// scale). The control logic is written once here; a Backend only loads the
// table and runs a handful of kernels (see Backend and Data), and says what
// else it can do in one Caps value.
//
// Solve gives the exact solution (float64 Householder QR); SolveOn, given a
// float64 backend, takes one Gram pass and Cholesky instead where the table
// is large and well conditioned, and both give the classical inference of
// the fit (standard errors, t and p values, intervals, F). Result, Solution
// and the saved Model all hold a Linear model (features, coefficients,
// intercept) and so predict alike; Result.Model and Solution.Model give
// the Model the command saves with "lsgd train --model-out" and ReadModel
// reads back.
//
// Errors caused by the input are *InputError values (errors.Is(err,
// ErrInput)); those with a remedy name it as a Fix, and a divergence is a
// *DivergedError with the largest stable step, so a caller phrases the
// remedy in its own terms (the command names its flags).
package lsgd
