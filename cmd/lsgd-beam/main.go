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
	data, target, features, runner, endpoint, temp string
	noIntercept, json, verbose                     bool
	l2                                             float64
	refine, splitRows                              int
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

Runners: prism (default; in-process, no setup), flink, spark (--endpoint
of their job server), dataflow, universal. Flags after -- go to Beam itself
(--project, --region, --temp_location, --worker_binary, …).`,
		Example: `  lsgd-beam solve --data 'shards/part-*.npy' --json
  lsgd-beam solve --data 'data/*.csv' --target price --l2 0.1
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
	fl.BoolVar(&f.noIntercept, "no-intercept", false, "fit y = x·θ without an intercept")
	fl.Float64Var(&f.l2, "l2", 0, "ridge penalty λ in MSE + λ‖θ‖² (intercept not penalized)")
	fl.BoolVar(&f.json, "json", false, "print the result as one JSON object on stdout (lsgd solve's fields)")
	fl.StringVar(&f.runner, "runner", "prism", "Beam runner: "+strings.Join(runners, ", "))
	fl.StringVar(&f.endpoint, "endpoint", "", "job service `HOST:PORT` of a flink, spark or universal runner (Beam's --endpoint)")
	fl.StringVar(&f.temp, "temp", "", "`DIR` (or gs:// path) where each pipeline writes its result for the launcher; default: a local temporary directory (fine for prism)")
	fl.IntVar(&f.refine, "refine", 2, "refinement passes, one pipeline each (≥ 1; the last also gives the MSE)")
	fl.IntVar(&f.splitRows, "split-rows", 1<<20, "read a .npy file with more rows than this as row ranges of at most this many rows")
	fl.BoolVar(&f.verbose, "verbose", false, "print Beam's and the runner's logs")
	return cmd
}

func solve(cmd *cobra.Command, f *solveFlags, args []string, stdout, stderr io.Writer) error {
	if f.data == "" {
		return &tableio.InputError{Msg: "--data is required (a file or a glob such as 'shards/*.npy')"}
	}
	if f.l2 < 0 {
		return &tableio.InputError{Msg: fmt.Sprintf("--l2 must be ≥ 0, got %g", f.l2)}
	}
	if f.refine < 1 {
		return &tableio.InputError{Msg: fmt.Sprintf("--refine must be ≥ 1, got %d", f.refine)}
	}
	known := false
	for _, r := range runners {
		known = known || r == f.runner
	}
	if !known {
		return &tableio.InputError{Msg: fmt.Sprintf("unknown --runner %q (want %s)", f.runner, strings.Join(runners, ", "))}
	}
	dash := cmd.ArgsLenAtDash()
	if dash < 0 && len(args) > 0 || dash > 0 {
		return &tableio.InputError{Msg: fmt.Sprintf("unexpected argument %q: Beam's own flags go after --", args[0])}
	}
	if err := flag.CommandLine.Parse(args); err != nil {
		return &tableio.InputError{Msg: fmt.Sprintf("Beam flags after --: %v", err)}
	}
	if f.endpoint != "" {
		if err := flag.Set("endpoint", f.endpoint); err != nil {
			return err
		}
	}
	// Remote workers run this same binary (beam.Init in main turns it into
	// the SDK harness). Beam's default is to cross-compile the program's
	// source for linux/amd64, which an installed binary does not have; when
	// this binary is already linux/amd64 it is the worker.
	if f.runner != "prism" && flag.Lookup("worker_binary").Value.String() == "" && goruntime.GOOS == "linux" && goruntime.GOARCH == "amd64" {
		if exe, err := os.Executable(); err == nil {
			if err := flag.Set("worker_binary", exe); err != nil {
				return err
			}
		}
	}
	quiet(!f.verbose, stderr)
	beam.Init()
	opt := Options{Spec: Spec{Target: f.target, NoIntercept: f.noIntercept}, L2: f.l2, Refine: f.refine,
		SplitRows: f.splitRows, Temp: f.temp}
	if f.features != "" {
		for _, s := range strings.Split(f.features, ",") {
			opt.Features = append(opt.Features, strings.TrimSpace(s))
		}
	}
	runner := f.runner
	out, err := Fit(cmd.Context(), beamRunner(runner), f.data, opt)
	if err != nil {
		return err
	}
	out.Device = runner
	if f.json {
		return jsonout.Write(stdout, out)
	}
	fmt.Fprintf(stdout, "%s: %d rows in %d shards, %d features, target %q\n\n", f.data, out.Rows, out.Shards, len(out.Features), out.Target)
	for a, name := range out.Features {
		fmt.Fprintf(stdout, "  %-12s %.15g\n", name, out.Coef[a])
	}
	if !f.noIntercept {
		fmt.Fprintf(stdout, "  %-12s %.15g\n", "(intercept)", out.Intercept)
	}
	fmt.Fprintf(stdout, "\nMSE     %.10g\nR²      %.10g\ncond    %.4g (standardized design)\nmethod  %s\nrunner  %s, %d pipelines, %.3gs\n",
		out.MSE, out.R2, out.Cond, out.Method, runner, out.Pipelines, out.Seconds)
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
