package tableio

import (
	"errors"
	"fmt"
)

// ErrInput marks errors caused by the user's data or options; test with
// errors.Is. The command exits with status 2 for them.
var ErrInput = errors.New("invalid input")

// InputError is an error in the user's input: a bad file, row, column or
// option. Is(ErrInput) reports true. Fix, when set, names the change of
// options that gets past it, for the caller to phrase in its own terms
// (the command names its flag).
type InputError struct {
	Msg string
	Fix Fix
}

// Fix names a change of options that gets past an input error or a
// warning.
type Fix int

// The fixes.
const (
	NoFix          Fix = iota
	FixFloat64         // store the data in float64, not float32
	FixNoIntercept     // fit without an intercept
)

func (e *InputError) Error() string        { return e.Msg }
func (e *InputError) Is(target error) bool { return target == ErrInput }

// inputErrorf returns an *InputError with a formatted message.
func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Float32Overflow is the error for value v of column j (named name), at
// where (a file, line or row), which overflows float32.
func Float32Overflow(where, name string, j int, v float64) error {
	return &InputError{Msg: fmt.Sprintf("%s: column %q (%d): %g overflows float32 (|x| > 3.4e38)", where, name, j+1, v), Fix: FixFloat64}
}
