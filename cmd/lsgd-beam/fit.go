package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// Options configure a distributed solve.
type Options struct {
	Spec
	L2        float64
	Refine    int    // refinement passes (each one pipeline); lsgd.Solve does 2
	SplitRows int    // .npy files longer than this are read as row ranges
	Temp      string // where each pipeline writes its result (a directory the launcher can read)
	MaxPasses int    // logistic regression: the most Newton passes (0: 50)
}

// Output is lsgd-beam solve's JSON: the fields of lsgd solve --json, and
// how the pipeline ran.
type Output struct {
	*lsgd.Solution
	Iterations  int     `json:"iterations"`
	Converged   bool    `json:"converged"`
	Reason      string  `json:"reason"`
	Backend     string  `json:"backend"`
	Device      string  `json:"device"`
	Precision   string  `json:"precision"`
	Seconds     float64 `json:"seconds"`
	Data        string  `json:"data"`
	Rows        int     `json:"rows"`
	LoadSeconds float64 `json:"load_seconds"` // 0: the pipelines read the data, inside seconds
	Target      string  `json:"target"`
	Shards      int     `json:"shards"`
	Pipelines   int     `json:"pipelines"`
}

// Fit solves least squares (or ridge) over the files matching glob with
// 1 + opt.Refine pipelines: the merged statistics, then the refinement
// passes, the last of which also sums the squared residuals for the MSE.
// (The MSE is taken at the coefficients before the last correction, which
// changes it only to second order: the MSE is stationary at the optimum.)
func Fit(ctx context.Context, run Runner, glob string, opt Options) (*Output, error) {
	start := time.Now()
	shards, tmp, done, err := setup(ctx, glob, opt.SplitRows, opt.Temp)
	if err != nil {
		return nil, err
	}
	defer done()
	var st Stats
	if err := pass(ctx, run, shards, &statsFn{Spec: opt.Spec}, Merge, statsJSON, tmp, "stats", &st); err != nil {
		return nil, err
	}
	if st.Err != "" {
		return nil, passError(st.Err, st.Input)
	}
	if opt.Weights != "" && st.N > 0 && st.W == 0 {
		return nil, &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: every weight is zero (%d rows): nothing to fit", glob, opt.Weights, st.N)}
	}
	sys, err := newSystem(st, lsgd.SolveOptions{NoIntercept: opt.NoIntercept, L2: opt.L2}, glob)
	if err != nil {
		return nil, err
	}
	refine := max(opt.Refine, 1)
	var sse float64
	for k := 0; k < refine; k++ {
		var r Resid
		fn := &residFn{Spec: opt.Spec, Point: sys.point()}
		if err := pass(ctx, run, shards, fn, MergeResid, residJSON, tmp, fmt.Sprintf("refine%d", k+1), &r); err != nil {
			return nil, err
		}
		if r.Err != "" {
			return nil, passError(r.Err, r.Input)
		}
		if r.N != st.N {
			return nil, fmt.Errorf("%s: the refinement pass read %d rows, the first pass %d: did the files change?", glob, r.N, st.N)
		}
		var g []float64
		g, sse = r.Sums()
		sys.correct(g)
	}
	sol := sys.solution(sse)
	if opt.L2 == 0 {
		sol.Inference = sys.inference(sol, sse, opt.Weights != "")
	}
	return &Output{Solution: sol, Converged: true, Reason: "exact", Backend: "beam", Precision: "f64",
		Seconds: time.Since(start).Seconds(), Data: glob, Rows: int(st.N), Target: st.Names[len(st.Names)-1], Shards: len(shards), Pipelines: 1 + refine}, nil
}

// passError turns an error carried through a pipeline back into an error
// of the right kind (input errors exit with status 2).
func passError(msg string, input bool) error {
	if input {
		return &tableio.InputError{Msg: msg}
	}
	return errors.New(msg)
}

// setup lists the shards of glob (row ranges of at most splitRows) and
// the directory the pipelines write their results to: temp, or a new
// temporary directory that done removes.
func setup(ctx context.Context, glob string, splitRows int, temp string) (shards []Shard, dir string, done func(), err error) {
	if shards, err = Shards(ctx, glob, splitRows); err != nil {
		return nil, "", nil, err
	}
	if temp != "" {
		return shards, temp, func() {}, nil
	}
	if dir, err = os.MkdirTemp("", "lsgd-beam-"); err != nil {
		return nil, "", nil, err
	}
	return shards, dir, func() { os.RemoveAll(dir) }, nil
}
