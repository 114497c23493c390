package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lsgd/lsgd/backend"
	"github.com/lsgd/lsgd/gpu"
	"github.com/lsgd/lsgd/tableio"
)

// app holds what every command shares: where output goes.
type app struct {
	stdout, stderr io.Writer
	args           []string // the command line, without the program name
	device         string   // --device: which OpenGL device the GPU backend uses ("": LSGD_DEVICE, else auto)
	gpuMemory      sizeFlag // --gpu-memory: the device memory a table may take resident (0: LSGD_GL_MEMORY, else 3/4 of the free memory the driver reports)
}

// notef prints a one-line note on stderr.
func (a *app) notef(format string, args ...any) {
	fmt.Fprintf(a.stderr, "lsgd: "+format+"\n", args...)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "lsgd",
		Short: "Least squares by gradient descent, on the CPU or a GPU",
		Long: `lsgd fits linear least-squares models y ≈ b + x·θ by gradient descent
(GD, momentum, Nesterov, RMSprop, Adam, SGD) on the CPU or on a GPU through
OpenGL 4.3 compute shaders, and checks them against the exact QR solution.

Data files are CSV (a header row of column names, then numbers) or NumPy
.npy (a 2-D float32 or float64 array); the target is the last column unless
--target names another: by NAME or by 1-based INDEX. A header name that is
also a number ("3") must be written --target name:3 when index 3 is another
column (--target index:3 for the index); a bare ambiguous 3 is an error.

Output files (--model-out, --out, --plot) are checked before any work: a
directory, a name ending in "/", a missing or unwritable directory, or the
same file as an input (by any name or link) is an error. They are written
atomically through a temporary file .NAME.lsgd-tmp-PID-* beside them (left
ones of killed runs are removed by the next write); a symbolic link is
written through (the link stays) when it points to a file with the same
extension; a device such as /dev/null is written directly. A FIFO or device given as data is read once, as a stream.

Exit status: 0 success; 1 divergence or another run-time failure; 2 bad
input (file, row, column, flag value) or usage; 130 interrupted (Ctrl-C).`,
		Example: `  lsgd gen --rows 100000 --features 16 --out data.csv
  lsgd train --data data.csv
  lsgd solve --data data.csv
  lsgd train --data data.csv --model-out model.json
  lsgd predict --model model.json --data data.csv
  lsgd devices`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return unknownCommand(cmd, args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() && c.Name() != "help" {
					names = append(names, c.Name())
				}
			}
			return usageErrorf(cmd, "no command given (one of %s)", strings.Join(names, ", "))
		},
	}
	root.PersistentFlags().Var(&a.gpuMemory, "gpu-memory", "device memory a table may take on the GPU, `SIZE` such as 8G: a larger table streams through the device in blocks on every pass, with the same results; default $LSGD_GL_MEMORY, else 3/4 of the free memory the driver reports (NVIDIA, AMD), else unlimited")
	root.PersistentFlags().StringVar(&a.device, "device", "", "OpenGL device for the GPU backend: auto (the first hardware device), N (EGL device N as 'lsgd devices' lists it), surfaceless or glx; default $LSGD_DEVICE, else auto (the flag wins over the variable)")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if cmd.Flags().Changed("device") {
			d, err := gpu.ParseDevice(a.device)
			if err != nil {
				return usageErrorf(cmd, "--device %q: want auto, a device number (see lsgd devices), surfaceless or glx", a.device)
			}
			a.device = d
		}
		// Before any command works: file flags, output paths, sizes.
		return checkPaths(cmd, args)
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SuggestionsMinimumDistance = 2
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		if !cmd.HasParent() && len(a.args) > 0 && !strings.HasPrefix(a.args[0], "-") {
			// "lsgd tarin --data x": the command is wrong, not the flag.
			return unknownCommand(cmd, a.args[0])
		}
		return usageErrorf(cmd, "%s", err.Error())
	})
	root.AddCommand(
		a.genCommand(),
		a.trainCommand(),
		a.solveCommand(),
		a.cvCommand(),
		a.predictCommand(),
		a.devicesCommand(),
	)
	root.AddCommand(a.harnessCommands()...)
	for _, c := range root.Commands() {
		if c.Args == nil {
			c.Args = noArgs
		}
	}
	return root
}

func unknownCommand(root *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if s := root.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return usageErrorf(root, "%s", msg)
}

// noArgs rejects positional arguments (every option is a flag).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf(cmd, "%s takes no arguments, got %q (options are flags, e.g. --data FILE)", cmd.CommandPath(), args[0])
	}
	return nil
}

// required checks that the named flags were given.
func required(cmd *cobra.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usageErrorf(cmd, "%s needs %s", cmd.CommandPath(), strings.Join(missing, " and "))
	}
	return nil
}

func positiveInt(cmd *cobra.Command, name string, v int) error {
	if v <= 0 {
		return usageErrorf(cmd, "--%s must be a positive integer, got %d", name, v)
	}
	return nil
}

func nonNegative(cmd *cobra.Command, name string, v float64) error {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return usageErrorf(cmd, "--%s must be a finite number ≥ 0, got %g", name, v)
	}
	return nil
}

// parsePrecision parses --precision; "" means the backend's default.
func parsePrecision(cmd *cobra.Command, s string) (backend.Precision, error) {
	if s == "" || s == "auto" {
		return backend.Default, nil
	}
	p, err := tableio.ParsePrecision(s)
	if err != nil {
		return backend.Default, usageErrorf(cmd, "--precision must be f64 or f32, got %q", s)
	}
	return backend.Of(p), nil
}

// floatOrAuto is a flag holding a positive number or "auto" (0).
type floatOrAuto struct{ v float64 }

func (f *floatOrAuto) String() string {
	if f.v == 0 {
		return "auto"
	}
	return strconv.FormatFloat(f.v, 'g', -1, 64)
}

func (f *floatOrAuto) Set(s string) error {
	if strings.EqualFold(s, "auto") {
		f.v = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a positive number or auto")
	}
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("must be a positive number or auto")
	}
	f.v = v
	return nil
}

func (f *floatOrAuto) Type() string { return "auto|X" }

var _ pflag.Value = (*floatOrAuto)(nil)

// choice is a string flag restricted to a set of values.
type choice struct {
	v    string
	opts []string
}

func (c *choice) String() string { return c.v }
func (c *choice) Type() string   { return strings.Join(c.opts, "|") }
func (c *choice) Set(s string) error {
	for _, o := range c.opts {
		if strings.EqualFold(s, o) {
			c.v = o
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(c.opts, ", "))
}
