// Command lsgd fits linear least-squares models by gradient descent on the
// CPU or on a GPU through OpenGL 4.3 compute shaders, and checks them
// against the exact solution.
//
//	lsgd gen --rows 100000 --features 16 --out data.csv
//	lsgd train --data data.csv
//	lsgd solve --data data.csv
//	lsgd train --data data.csv --model-out model.json
//	lsgd predict --model model.json --data data.csv
//	lsgd devices
//
// Run "lsgd help COMMAND" for each command's flags. Exit status: 0 on
// success, 1 when a fit diverges or another run-time failure occurs, 2 for
// bad input (a bad file, row, column or flag value) or bad usage, 130 when
// interrupted (Ctrl-C).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lsgd/lsgd/tableio"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status. Errors
// are printed here, once, as "lsgd: message".
func run(args []string, stdout, stderr io.Writer) (code int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first Ctrl-C (or SIGTERM) cancels the context, so a fit stops at
	// its next check and reports how far it got; a second one kills the
	// process the default way.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer signal.Stop(sig)
		select {
		case <-sig:
			cancel()
		case <-done:
			return
		}
		// A second signal while the command is still stuck (a read that
		// blocks, a write to a FIFO nobody reads) ends the process now,
		// without leaving temporary files behind.
		select {
		case <-sig:
			tableio.RemoveTempFiles()
			fmt.Fprintln(stderr, "lsgd: interrupted")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	defer func() {
		// A panic is a bug in lsgd, but the user still gets one line, not
		// a stack trace (LSGD_TRACE=1 shows it).
		if r := recover(); r != nil {
			if os.Getenv("LSGD_TRACE") != "" {
				panic(r)
			}
			fmt.Fprintf(stderr, "lsgd: internal error: %v (please report it; LSGD_TRACE=1 shows where)\n", r)
			code = exitFailure
		}
	}()
	app := &app{stdout: stdout, stderr: stderr, args: args}
	root := app.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code = exitCode(err, ctx)
	if msg := errorMessage(err); msg != "" {
		fmt.Fprintln(stderr, msg)
	}
	if code == exitUsage && isUsage(err) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", commandPath(err, root))
	}
	return code
}
