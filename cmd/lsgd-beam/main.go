// Command lsgd-beam solves least squares over sharded tables as Apache
// Beam pipelines: on the in-process Prism runner by default, or on Flink,
// Spark or Google Dataflow. It lives in its own module so that Beam stays
// out of the lsgd module's dependencies and the lsgd binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"os"
	"os/signal"
	goruntime "runtime"
	"strings"
	"syscall"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/dataflow"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/flink"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/spark"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lsgd/lsgd/internal/jsonout"
	"github.com/lsgd/lsgd/tableio"
)

func main() {
	// A runner starts this same binary as its worker with --worker and
	// Beam's flags: hand those to Beam, which runs the harness.
	for _, a := range os.Args[1:] {
		if a == "--worker" || strings.HasPrefix(a, "--worker=") || a == "-worker" || strings.HasPrefix(a, "-worker=") {
			flag.Parse()
			beam.Init()
			return
		}
	}
	// Ctrl-C cancels the running pipeline (and its job on a remote runner).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	rc := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(rc)
}

// runners are the names --runner accepts.
var runners = []string{"prism", "flink", "spark", "dataflow", "universal"}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "lsgd-beam",
		Short:         "lsgd's exact least squares as an Apache Beam pipeline",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(solveCommand(stdout, stderr))
	root.AddCommand(cvCommand(stdout, stderr))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &tableio.InputError{Msg: err.Error()} })
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "lsgd-beam: %v\n", err)
	if errors.Is(err, tableio.ErrInput) { // bad data or flags (a *lsgd.RankError too)
		return 2
	}
	return 1
}

type solveFlags struct {
	runnerFlags
	data, target, features, weights, family string
	noIntercept, json                       bool
	l2                                      float64
	refine, maxPasses                       int
}

// runnerFlags are the flags of every command that runs pipelines.
type runnerFlags struct {
	runner, endpoint, temp string
	splitRows              int
	verbose                bool
}

// add registers the runner flags; what names what the pipelines write
// to --temp.
func (f *runnerFlags) add(fl *pflag.FlagSet, what string) {
	fl.StringVar(&f.runner, "runner", "prism", "Beam runner: "+strings.Join(runners, ", "))
	fl.StringVar(&f.endpoint, "endpoint", "", "job service `HOST:PORT` of a flink, spark or universal runner (Beam's --endpoint)")
	fl.StringVar(&f.temp, "temp", "", "`DIR` (or gs:// path) where "+what+" its result for the launcher; default: a local temporary directory (fine for prism)")
	fl.IntVar(&f.splitRows, "split-rows", 1<<20, "read a .npy file with more rows than this as row ranges of at most this many rows")
	fl.BoolVar(&f.verbose, "verbose", false, "print Beam's and the runner's logs")
}

func solveCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &solveFlags{}
	cmd := &cobra.Command{
		Use:   "solve --data GLOB [flags] [-- beam flags]",
		Short: "Exact least squares over sharded files, as Beam pipelines",
		Long: `solve computes the exact least-squares (or ridge) solution of lsgd solve over
every file matching GLOB (.csv or .npy, the same columns in each), as Apache
Beam pipelines. The first pipeline reads each shard with lsgd's readers
(a .npy file longer than --split-rows is read as row ranges), reduces it to
column means and the R factor of its centred rows, and merges them (Chan's
formula, a QR of the stacked Rs); the launcher solves from R. Each
refinement pass is one more pipeline. The JSON output has lsgd solve's
fields.

--weights w fits weighted least squares, minimizing Σ w_i·r_i²: the column
w (w_i ≥ 0 and finite; not all zero; a row of weight zero counts for
nothing) is taken out of the features. Means are weighted, rows are
centred and scaled by √w_i, and the merge is Chan's with the total weights
as counts. A negative, NaN or infinite weight stops the fit naming the
file, row and column.

Without --l2 the result also has the inference of the gaussian model with
lsgd solve's fields: std_err, t_values, p_values, conf_int (95%),
intercept_std_err, intercept_t_value, intercept_p_value,
intercept_conf_int, residual_std_err, df_resid, df_model, adj_r2,
f_statistic, f_p_value and weighted. With weights they are those of
analytic weights (R's lm(weights=), statsmodels' WLS): n is the rows of
positive weight, df_resid = n − k (k coefficients, the intercept
counted), σ̂² = Σ w·r²/df_resid, Cov = σ̂²(XᵀWX)⁻¹, R² = 1 − Σw·r²/Σw·(y − ȳ_w)².

--family binomial fits logistic regression, P(y = 1) = σ(b + x·θ), to a 0/1
target (any other value stops the fit naming file, row and column) by
Newton's method (IRLS): each pass is one pipeline in which the workers,
given the current θ, reduce the gradient, the log-loss and the R factor of
their rows scaled by √(w·p(1 − p)); the launcher takes the Newton step. It
stops when the Newton decrement λ² = gᵀH⁻¹g satisfies λ²/2 ≤ 1e-20·Σw (the
mean loss is then within 1e-20 of its minimum), after taking that last
step; --max-passes bounds the passes. Classes that some b + x·β separates
have no maximum-likelihood estimate: once a pass classifies every row
strictly right the fit stops with an error (add --l2). --l2 λ adds λ‖θ‖² on the original scale (intercept not
penalized) to the mean log-loss. The JSON has coef, intercept, rows,
passes, log_loss, accuracy (at p = ½), loss and newton_decrement.

Runners: prism (default; in-process, no setup), flink, spark (--endpoint
of their job server), dataflow, universal. Flags after -- go to Beam itself
(--project, --region, --temp_location, --worker_binary, …).`,
		Example: `  lsgd-beam solve --data 'shards/part-*.npy' --json
  lsgd-beam solve --data 'data/*.csv' --target price --l2 0.1
  lsgd-beam solve --data 'data/*.csv' --target price --weights exposure --json
  lsgd-beam solve --data 'shards/*.npy' --weights 5 --target 6      # columns by 1-based index
  lsgd-beam solve --data 'clicks/*.csv' --target clicked --family binomial --l2 1e-4 --json
  lsgd-beam solve --data '/mnt/shared/part-*.npy' --runner flink --endpoint localhost:8099 \
      --temp /mnt/shared/tmp -- --environment_type=LOOPBACK`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return solve(cmd, f, args, stdout, stderr) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "`GLOB` of the shards: .csv (a header row) or .npy files with the same columns (required)")
	fl.StringVar(&f.target, "target", "", "target column: its `NAME` (CSV) or 1-based index; default: the last column")
	fl.StringVar(&f.features, "features", "", "feature columns, comma-separated `NAMES` or 1-based indices; default: every column but the target")
	fl.StringVar(&f.weights, "weights", "", "weight column: its `NAME` (CSV) or 1-based index; weights w_i ≥ 0, finite, not all zero; the column is not a feature (weighted least squares)")
	fl.BoolVar(&f.noIntercept, "no-intercept", false, "fit y = x·θ without an intercept")
	fl.StringVar(&f.family, "family", "gaussian", "`gaussian` (least squares) or binomial (logistic regression of a 0/1 target by Newton's method, one pipeline per step)")
	fl.Float64Var(&f.l2, "l2", 0, "ridge penalty λ on the original scale, intercept not penalized: MSE + λ‖θ‖² (gaussian), mean log-loss + λ‖θ‖² (binomial)")
	fl.BoolVar(&f.json, "json", false, "print the result as one JSON object on stdout (lsgd solve's fields)")
	f.runnerFlags.add(fl, "each pipeline writes")
	fl.IntVar(&f.refine, "refine", 2, "gaussian: refinement passes, one pipeline each (≥ 1; the last also gives the MSE and the inference's RSS)")
	fl.IntVar(&f.maxPasses, "max-passes", 50, "binomial: the most Newton passes (pipelines) before giving up")
	return cmd
}

func solve(cmd *cobra.Command, f *solveFlags, args []string, stdout, stderr io.Writer) error {
	if f.data == "" {
		return &tableio.InputError{Msg: "--data is required (a file or a glob such as 'shards/*.npy')"}
	}
	if f.l2 < 0 {
		return &tableio.InputError{Msg: fmt.Sprintf("--l2 must be ≥ 0, got %g", f.l2)}
	}
	if f.family != "gaussian" && f.family != "binomial" {
		return &tableio.InputError{Msg: fmt.Sprintf("unknown --family %q (want gaussian or binomial)", f.family)}
	}
	if f.refine < 1 {
		return &tableio.InputError{Msg: fmt.Sprintf("--refine must be ≥ 1, got %d", f.refine)}
	}
	if err := beamFlags(cmd, f.runner, f.endpoint, f.verbose, args, stderr); err != nil {
		return err
	}
	opt := Options{Spec: Spec{Target: f.target, Weights: f.weights, NoIntercept: f.noIntercept}, L2: f.l2, Refine: f.refine,
		SplitRows: f.splitRows, Temp: f.temp, MaxPasses: f.maxPasses}
	if f.features != "" {
		for _, s := range strings.Split(f.features, ",") {
			opt.Features = append(opt.Features, strings.TrimSpace(s))
		}
	}
	runner := f.runner
	if f.family == "binomial" {
		return solveLogistic(cmd, f, opt, stdout)
	}
	out, err := Fit(cmd.Context(), beamRunner(runner), f.data, opt)
	if err != nil {
		return err
	}
	out.Device = runner
	if f.json {
		return jsonout.Write(stdout, out)
	}
	fmt.Fprintf(stdout, "%s: %d rows in %d shards, %d features, target %q\n\n", f.data, out.Rows, out.Shards, len(out.Features), out.Target)
	if in := out.Inference; in != nil {
		fmt.Fprintf(stdout, "  %-12s %22s %12s %10s %10s\n", "", "coef", "std_err", "t", "p")
		for a, name := range out.Features {
			fmt.Fprintf(stdout, "  %-12s %22.15g %12.6g %10.4g %10.3g\n", name, out.Coef[a], in.StdErr[a], in.TValues[a], in.PValues[a])
		}
		if !f.noIntercept {
			fmt.Fprintf(stdout, "  %-12s %22.15g %12.6g %10.4g %10.3g\n", "(intercept)", out.Intercept, in.InterceptStdErr, in.InterceptTValue, in.InterceptPValue)
		}
		w := "unweighted"
		if in.Weighted {
			w = "weighted (" + f.weights + ")"
		}
		fmt.Fprintf(stdout, "\nσ̂ %.6g on %d df, %s; adj R² %.6g; F %.6g on %d and %d df, p %.3g\n",
			in.ResidualStdErr, in.DFResid, w, in.AdjR2, in.FStatistic, in.DFModel, in.DFResid, in.FPValue)
	} else {
		for a, name := range out.Features {
			fmt.Fprintf(stdout, "  %-12s %.15g\n", name, out.Coef[a])
		}
		if !f.noIntercept {
			fmt.Fprintf(stdout, "  %-12s %.15g\n", "(intercept)", out.Intercept)
		}
	}
	fmt.Fprintf(stdout, "\nMSE     %.10g\nR²      %.10g\ncond    %.4g (standardized design)\nmethod  %s\nrunner  %s, %d pipelines, %.3gs\n",
		out.MSE, out.R2, out.Cond, out.Method, runner, out.Pipelines, out.Seconds)
	return nil
}

// solveLogistic runs --family binomial and prints its result.
func solveLogistic(cmd *cobra.Command, f *solveFlags, opt Options, stdout io.Writer) error {
	out, err := FitLogistic(cmd.Context(), beamRunner(f.runner), f.data, opt)
	if err != nil {
		return err
	}
	out.Device = f.runner
	if f.json {
		return jsonout.Write(stdout, out)
	}
	fmt.Fprintf(stdout, "%s: %d rows in %d shards, %d features, target %q, logistic regression\n\n", f.data, out.Rows, out.Shards, len(out.Features), out.Target)
	for a, name := range out.Features {
		fmt.Fprintf(stdout, "  %-12s %.15g\n", name, out.Coef[a])
	}
	if !f.noIntercept {
		fmt.Fprintf(stdout, "  %-12s %.15g\n", "(intercept)", out.Intercept)
	}
	fmt.Fprintf(stdout, "\nlog-loss  %.10g\naccuracy  %.6g\nNewton    converged, decrement %.3g per unit weight\nrunner    %s, %d pipelines, %.3gs\n",
		out.LogLoss, out.Accuracy, out.Decrement, f.runner, out.Pipelines, out.Seconds)
	return nil
}

// beamRunner runs a pipeline on the named runner and waits for it.
func beamRunner(name string) Runner {
	return func(ctx context.Context, p *beam.Pipeline) error {
		_, err := beam.Run(ctx, name, p)
		return err
	}
}

// quiet silences Beam's, Prism's and the standard loggers.
func quiet(on bool, stderr io.Writer) {
	if !on {
		return
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 100})))
	stdlog.SetOutput(io.Discard)
	beamlog.SetLogger(discard{})
	_ = stderr
}

type discard struct{}

func (discard) Log(context.Context, beamlog.Severity, int, string) {}

// beamFlags checks --runner, hands the arguments after -- to Beam's flags,
// sets the endpoint and the worker binary, and silences Beam's logs
// unless verbose (as lsgd-beam solve does).
func beamFlags(cmd *cobra.Command, runner, endpoint string, verbose bool, args []string, stderr io.Writer) error {
	known := false
	for _, r := range runners {
		known = known || r == runner
	}
	if !known {
		return &tableio.InputError{Msg: fmt.Sprintf("unknown --runner %q (want %s)", runner, strings.Join(runners, ", "))}
	}
	dash := cmd.ArgsLenAtDash()
	if dash < 0 && len(args) > 0 || dash > 0 {
		return &tableio.InputError{Msg: fmt.Sprintf("unexpected argument %q: Beam's own flags go after --", args[0])}
	}
	if err := flag.CommandLine.Parse(args); err != nil {
		return &tableio.InputError{Msg: fmt.Sprintf("Beam flags after --: %v", err)}
	}
	if endpoint != "" {
		if err := flag.Set("endpoint", endpoint); err != nil {
			return err
		}
	}
	if runner != "prism" && flag.Lookup("worker_binary").Value.String() == "" && goruntime.GOOS == "linux" && goruntime.GOARCH == "amd64" {
		if exe, err := os.Executable(); err == nil {
			if err := flag.Set("worker_binary", exe); err != nil {
				return err
			}
		}
	}
	quiet(!verbose, stderr)
	beam.Init()
	return nil
}
