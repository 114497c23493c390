package lsgd

import (
	"fmt"
	"math"
	"strings"

	"github.com/lsgd/lsgd/tableio"
)

// ErrInput marks errors caused by the user's data or options (exit status 2
// in the command); test with errors.Is.
var ErrInput = tableio.ErrInput

// InputError is an error in the user's input: a bad file, row, column or
// option. Is(ErrInput) reports true.
type InputError = tableio.InputError

// Fix names a change of options that gets past an input error or a
// warning (see tableio.Fix).
type Fix = tableio.Fix

// The fixes.
const (
	NoFix          = tableio.NoFix
	FixFloat64     = tableio.FixFloat64     // store the data in float64, not float32
	FixNoIntercept = tableio.FixNoIntercept // fit without an intercept
)

// constantColumn is the error for feature column j, constant at about
// mean, beside an intercept it duplicates.
func constantColumn(t *Table, j int, mean float64) error {
	return &InputError{Msg: fmt.Sprintf("%s: column %q is constant (every row ≈ %.6g): it duplicates the intercept; drop it",
		t.Label(), t.Name(j), mean), Fix: FixNoIntercept}
}

// zeroColumn is the error for feature column j when it is all zeros.
func zeroColumn(t *Table, j int) error {
	return inputErrorf("%s: column %q is all zeros: it carries no information; drop it", t.Label(), t.Name(j))
}

// inputErrorf returns an *InputError with a formatted message.
func inputErrorf(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// RankError reports linearly dependent columns.
type RankError struct {
	Source  string
	Columns []string // the columns involved in a dependency
	Detail  string
}

func (e *RankError) Error() string {
	src := e.Source
	if src != "" {
		src += ": "
	}
	msg := fmt.Sprintf("%scolumns %s are collinear (linearly dependent)", src, strings.Join(quoteAll(e.Columns), ", "))
	if e.Detail != "" {
		msg += "; " + e.Detail
	}
	return msg + "; drop one of them"
}

func (e *RankError) Is(target error) bool { return target == ErrInput }

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return q
}

// DivergedError reports that the loss became non-finite or grew. The
// remedy is the automatic step (Options.LR 0, 1/L) or a step below
// StableLR, or, when StableLR is 0, a smaller step.
type DivergedError struct {
	Iteration int     // the check at which divergence was seen
	Loss      float64 // the loss seen then (may be Inf or NaN)
	Loss0     float64 // the loss at the start
	Method    string
	LR        float64 // the step size used
	StableLR  float64 // the largest stable step size for the method (0 if unknown)
	SuggestLR float64 // a step size to try: below LR and below StableLR (0 for pcg, which takes none)
}

func (e *DivergedError) Error() string {
	msg := fmt.Sprintf("lsgd: %s diverged by iteration %d (loss went from %.4g to %.4g)",
		e.Method, e.Iteration, e.Loss0, e.Loss)
	if e.LR > 0 {
		msg += fmt.Sprintf(" with step size %.4g", e.LR)
	} else if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) {
		msg += ": the arithmetic left the floating-point range"
	} else {
		msg += ": the gradient passes are inconsistent with a quadratic loss (a faulty device or kernel?)"
	}
	if e.StableLR > 0 {
		msg += fmt.Sprintf("; the largest stable step is about %.4g", e.StableLR)
	}
	return msg
}
