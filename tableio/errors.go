package tableio

import (
	"errors"
	"fmt"
)

// ErrInput marks errors caused by the user's data or options; test with
// errors.Is. The command exits with status 2 for them.
var ErrInput = errors.New("invalid input")

// InputError is an error in the user's input: a bad file, row, column or
// option. Is(ErrInput) reports true.
type InputError struct{ Msg string }

func (e *InputError) Error() string        { return e.Msg }
func (e *InputError) Is(target error) bool { return target == ErrInput }

// inputErrorf returns an *InputError with a formatted message.
func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}
