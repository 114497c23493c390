package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1   // divergence, device failures, other run-time errors
	exitUsage       = 2   // bad input: files, rows, columns, flag values, usage
	exitInterrupted = 130 // 128 + SIGINT
)

// usageError is a mistake in the command line itself: an unknown command
// or flag, a missing or malformed flag value.
type usageError struct {
	cmd string // the command path ("lsgd train"), for the "--help" hint
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	path := "lsgd"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	return &usageError{cmd: path, msg: fmt.Sprintf(format, args...)}
}

// inputError marks an error as bad input (exit status 2) while keeping its
// message.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

func commandPath(err error, root *cobra.Command) string {
	var u *usageError
	if errors.As(err, &u) && u.cmd != "" {
		return u.cmd
	}
	return root.CommandPath()
}

// exitCode maps an error to the exit status: 130 when the run was
// interrupted, 2 for bad input or usage, 1 otherwise.
func exitCode(err error, ctx context.Context) int {
	var (
		u  *usageError
		ie *inputError
		pe *fs.PathError
	)
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &u), errors.As(err, &ie), errors.Is(err, lsgd.ErrInput):
		return exitUsage
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission),
		errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTDIR):
		// A missing file, a directory given for a file, a file we may not
		// read or write: the user's input.
		return exitUsage
	case errors.As(err, &pe) && pe.Op == "open":
		return exitUsage
	}
	return exitFailure
}

// errorMessage is the one line (or few lines) printed for err, starting
// with "lsgd: " exactly once.
func errorMessage(err error) string {
	msg := strings.TrimSpace(err.Error())
	for strings.HasPrefix(msg, "lsgd: ") {
		msg = strings.TrimPrefix(msg, "lsgd: ")
	}
	if msg == "" {
		return ""
	}
	return "lsgd: " + msg + flagHint(err)
}

// flagHint phrases, in the command's flags, the remedy a library error
// names by type.
func flagHint(err error) string {
	var (
		ie  *lsgd.InputError
		div *lsgd.DivergedError
	)
	switch {
	case errors.As(err, &ie):
		return fixHint(ie.Fix)
	case errors.As(err, &div) && div.LR == 0 && (math.IsNaN(div.Loss) || math.IsInf(div.Loss, 0)):
		return "; rescale the columns"
	case errors.As(err, &div) && div.LR == 0:
		return ""
	case errors.As(err, &div) && div.SuggestLR > 0 && div.StableLR > 0:
		return fmt.Sprintf(": use --lr auto (1/L) or --lr %.3g", div.SuggestLR)
	case errors.As(err, &div) && div.SuggestLR > 0:
		return fmt.Sprintf(": use --lr auto or --lr %.3g", div.SuggestLR)
	case errors.As(err, &div):
		return "; use a smaller --lr"
	}
	return ""
}

// fixHint is the flag that makes a lsgd.Fix.
func fixHint(f lsgd.Fix) string {
	switch f {
	case lsgd.FixFloat64:
		return "; use --precision f64"
	case lsgd.FixNoIntercept:
		return " or use --no-intercept"
	}
	return ""
}

// hintWarnings appends to a fit's warnings the flags that address them.
func hintWarnings(res *lsgd.Result) {
	for i, f := range res.Fixes {
		if i < len(res.Warnings) {
			res.Warnings[i] += fixHint(f)
		}
	}
}
