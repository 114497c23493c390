package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/backend"
	"github.com/lsgd/lsgd/compare"
)

type compareFlags struct {
	rows, features int
	cond, noise    float64
	seed           uint64
	data, target   string
	weights        string
	threads        int
	json, verbose  bool
	family         string
}

func (a *app) compareCommand() *cobra.Command {
	f := &compareFlags{}
	cmd := &cobra.Command{
		Use:   "compare [--rows N --features D --cond K --seed S | --data FILE] [--json]",
		Short: "Check the CPU and GPU backends against each other and the exact solution",
		Long: `compare fits one problem with every backend there is (the float64 CPU
reference, the fast CPU path in f64 and f32, the GPU when there is a GL
device) and checks each against the exact QR solution and against each
other, within tolerances derived from each precision's unit round-off and
the problem's condition number. The problem is synthetic (--rows,
--features, --cond, --noise, --seed) or read from --data.

Exit status 1 when any check fails.`,
		Example: `  lsgd compare
  lsgd compare --rows 200000 --features 32 --cond 100 --json
  lsgd compare --data data.csv --target y`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.compare(cmd, f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.IntVar(&f.rows, "rows", 200000, "rows of the synthetic problem")
	fl.IntVar(&f.features, "features", 32, "features of the synthetic problem")
	fl.Float64Var(&f.cond, "cond", 10, "condition number of the synthetic problem's standardized features")
	fl.Float64Var(&f.noise, "noise", 0.1, "noise of the synthetic problem")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the synthetic problem")
	fl.StringVar(&f.data, "data", "", "compare on the data in `FILE` (.csv, .npy or .parquet, or a directory or glob of shards) instead of a synthetic problem")
	fl.StringVar(&f.target, "target", "", "with --data: "+targetHelp)
	fl.StringVar(&f.weights, "weights", "", "with --data: "+weightsHelp)
	fl.IntVar(&f.threads, "threads", 0, "CPU threads; 0: all cores")
	fl.BoolVar(&f.json, "json", false, "print the report as one JSON object on stdout")
	fl.BoolVar(&f.verbose, "verbose", false, "log each fit on stderr as it runs")
	fl.StringVar(&f.family, "family", string(lsgd.Gaussian), "`MODEL`: gaussian, or binomial (a logistic problem; each path's binomial pass and fit against the float64 reference's)")
	return cmd
}

// errChecksFailed makes compare exit with status 1 after printing its
// report.
var errChecksFailed = errors.New("compare: some checks failed (see the report)")

func (a *app) compare(cmd *cobra.Command, f *compareFlags) error {
	if f.data != "" {
		for _, n := range []string{"rows", "features", "cond", "noise", "seed"} {
			if cmd.Flags().Changed(n) {
				return usageErrorf(cmd, "--%s describes a synthetic problem: it cannot be used with --data", n)
			}
		}
	} else {
		if f.weights != "" {
			return usageErrorf(cmd, "--weights names a column of --data; the synthetic problem has none")
		}
		if err := positiveInt(cmd, "rows", f.rows); err != nil {
			return err
		}
		if err := positiveInt(cmd, "features", f.features); err != nil {
			return err
		}
		if !(f.cond >= 1) || f.cond > 1e300 {
			return usageErrorf(cmd, "--cond must be a finite number ≥ 1, got %g", f.cond)
		}
		if err := nonNegative(cmd, "noise", f.noise); err != nil {
			return err
		}
	}
	if f.threads < 0 {
		return usageErrorf(cmd, "--threads must be ≥ 0, got %d", f.threads)
	}
	cfg := compare.Config{Rows: f.rows, Features: f.features, Cond: f.cond, Noise: f.noise, Seed: f.seed, Threads: f.threads}
	if f.verbose {
		cfg.Log = a.stderr
	}
	if f.data != "" {
		t, err := loadTableCtx(cmd.Context(), f.data, f.target, nil, f.weights, lsgd.F64)
		if err != nil {
			return err
		}
		cfg.Data = t
	}
	g, why := a.gpuForCompare()
	if g != nil {
		defer g.Close()
	}
	cfg.GPU, cfg.GPUReason = g, why
	run, err := compareRunner(cmd, f)
	if err != nil {
		return err
	}
	rep, err := run(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	if f.json {
		err = writeJSON(a.stdout, rep)
	} else {
		err = rep.WriteText(a.stdout)
	}
	if err != nil {
		return err
	}
	if !rep.Agree {
		return errChecksFailed
	}
	return nil
}

// gpuForCompare opens the GL device when there is one (a software renderer
// too: compare checks correctness, not speed), or says why not.
func (a *app) gpuForCompare() (lsgd.Backend, string) {
	takeGLFWLog()
	b, _, err := backend.Open(backend.GPU, backend.Default, backend.Options{Device: a.device})
	if msg := takeGLFWLog(); err != nil && msg != "" {
		return nil, fmt.Sprintf("no OpenGL context (%s)", msg)
	}
	if err != nil {
		return nil, strings.TrimPrefix(err.Error(), "gpu: ")
	}
	return b, ""
}

type benchFlags struct {
	backend    *choice
	precision  string
	rows       int
	features   int
	sweep      bool
	reps       int
	out        string
	threads    int
	json, logs bool
}

func (a *app) benchCommand() *cobra.Command {
	f := &benchFlags{backend: backendFlag()}
	cmd := &cobra.Command{
		Use:   "bench [--backend cpu|gpu] [--precision f32|f64] [--rows N --features D | --sweep] [flags]",
		Short: "Measure the gradient kernel's throughput",
		Long: `bench times one full-batch gradient (the fused residual and reduction over
every row, the kernel every iteration runs) on one backend, after a warm-up,
as the median of --reps runs, and reports seconds, GB/s of table read and
the fraction of the device's measured read bandwidth reached.

--sweep runs a grid of shapes instead of one (sizes larger than a third of
the available memory are skipped). --out PREFIX writes the results as
PREFIX.csv, PREFIX.json and a plot, PREFIX.png.`,
		Example: `  lsgd bench --backend cpu --rows 1000000 --features 32
  lsgd bench --backend gpu --precision f32 --sweep --out results/gpu`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.bench(cmd, f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.Var(f.backend, "backend", "auto, cpu or gpu")
	fl.StringVar(&f.precision, "precision", "", "`f32|f64` storage and kernels (default f32 on every backend)")
	fl.IntVar(&f.rows, "rows", 1000000, "rows of the benchmark table")
	fl.IntVar(&f.features, "features", 32, "features of the benchmark table")
	fl.BoolVar(&f.sweep, "sweep", false, "run a grid of rows × features instead of one shape")
	fl.IntVar(&f.reps, "reps", 7, "timed repetitions per shape (the median is reported)")
	fl.StringVar(&f.out, "out", "", "write the results to `PREFIX`.csv, PREFIX.json and PREFIX.png")
	fl.IntVar(&f.threads, "threads", 0, "CPU threads; 0: all cores")
	fl.BoolVar(&f.json, "json", false, "print the results as JSON on stdout")
	fl.BoolVar(&f.logs, "verbose", false, "log each shape on stderr as it runs")
	return cmd
}

func (a *app) bench(cmd *cobra.Command, f *benchFlags) error {
	if f.sweep && (cmd.Flags().Changed("rows") || cmd.Flags().Changed("features")) {
		return usageErrorf(cmd, "--sweep chooses the shapes: it cannot be used with --rows or --features")
	}
	for _, c := range []struct {
		n string
		v int
	}{{"rows", f.rows}, {"features", f.features}, {"reps", f.reps}} {
		if err := positiveInt(cmd, c.n, c.v); err != nil {
			return err
		}
	}
	if f.threads < 0 {
		return usageErrorf(cmd, "--threads must be ≥ 0, got %d", f.threads)
	}
	prec, err := parsePrecision(cmd, f.precision)
	if err != nil {
		return err
	}
	if prec == backend.Default {
		// bench measures the float32 kernels unless told otherwise, on
		// every backend, so CPU and GPU figures compare like with like.
		prec = backend.F32
	}
	b, err := a.openBackend(cmd, backendOptions{Kind: f.backend.v, Precision: prec, Threads: f.threads})
	if err != nil {
		return err
	}
	defer b.Close()
	cfg := compare.BenchConfig{Backend: b, Rows: []int{f.rows}, Features: []int{f.features}, Reps: f.reps, Out: f.out,
		Threads: f.threads}
	if f.sweep {
		cfg.Rows, cfg.Features = nil, nil // the package's sweep
	}
	if f.logs {
		cfg.Log = a.stderr
	}
	res, err := compare.Bench(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	if f.json {
		if len(res) == 1 && !f.sweep {
			return writeJSON(a.stdout, res[0]) // one size: one object
		}
		return writeJSON(a.stdout, res)
	}
	return compare.WriteBenchText(a.stdout, res)
}

// harnessCommands are the wrappers over the compare package.
func (a *app) harnessCommands() []*cobra.Command {
	return []*cobra.Command{a.compareCommand(), a.benchCommand(), a.nistCommand()}
}

// errNISTFailed makes nist exit with status 1 after printing its report.
var errNISTFailed = errors.New("nist: some datasets failed (see the report)")

func (a *app) nistCommand() *cobra.Command {
	var asJSON, withGPU bool
	var threads int
	cmd := &cobra.Command{
		Use:   "nist DIR [--json] [--gpu]",
		Short: "Run the NIST StRD linear regression datasets",
		Long: `nist reads the NIST Statistical Reference Datasets for linear regression in
DIR (Norris, Pontius, NoInt1, NoInt2, Filip, Longley, Wampler1–5, as NIST's
own .dat files with the certified values), solves each exactly and fits it
by gradient descent on the float64 CPU path (and the GPU with --gpu), and
reports the log relative error (LRE: the number of correct significant
digits) of the coefficients against the certified values, and whether every
fit that claims convergence is within its own certified error bound.

Exit status 1 when a dataset fails.`,
		Example: `  lsgd nist testdata/nist
  lsgd nist testdata/nist --gpu --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf(cmd, "lsgd nist needs one argument, the directory of NIST .dat files (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if threads < 0 {
				return usageErrorf(cmd, "--threads must be ≥ 0, got %d", threads)
			}
			if fi, err := os.Stat(args[0]); err != nil || !fi.IsDir() {
				return usageErrorf(cmd, "%s: not a directory", args[0])
			}
			backends := []lsgd.Backend{a.cpuBackend(backendOptions{Precision: backend.F64, Threads: threads})}
			if withGPU {
				g, _, err := backend.Open(backend.GPU, backend.Default, backend.Options{Device: a.device})
				if err != nil {
					return fmt.Errorf("--gpu: %s", strings.TrimPrefix(err.Error(), "gpu: "))
				}
				defer g.Close()
				backends = append(backends, g)
			}
			rep, err := compare.NIST(cmd.Context(), args[0], backends)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(a.stdout, rep); err != nil {
					return err
				}
			} else {
				rep.WriteText(a.stdout)
			}
			if !rep.Pass {
				return errNISTFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object on stdout")
	cmd.Flags().BoolVar(&withGPU, "gpu", false, "also fit on the GPU (fails when there is no GL device)")
	cmd.Flags().IntVar(&threads, "threads", 0, "CPU threads; 0: all cores")
	return cmd
}
