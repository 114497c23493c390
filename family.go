package lsgd

import (
	"fmt"
	"math"
	"strings"
)

// Family names the model a fit makes and the loss its gradient pass
// computes, as the command line spells it ("--family").
type Family string

// The families. The zero value is Gaussian.
const (
	// Gaussian is least squares: loss = (1/m)·Σ r_i², r_i = x̃_i·v with
	// the target's entry of v fixed at −1.
	Gaussian Family = "gaussian"
	// Binomial is logistic regression on a 0/1 target y: with z_i the
	// linear predictor over the features (the target's entry of v
	// ignored), loss = (1/m)·Σ log(1 + e^{z_i}) − y_i·z_i, the mean
	// negative log-likelihood.
	Binomial Family = "binomial"
)

// Families lists the families, the default first.
var Families = []Family{Gaussian, Binomial}

// ParseFamily checks a family name ("" is Gaussian).
func ParseFamily(s string) (Family, error) {
	if s == "" {
		return Gaussian, nil
	}
	for _, f := range Families {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	return "", inputErrorf("unknown family %q (want gaussian or binomial)", s)
}

// IsBinomial reports whether f is Binomial.
func (f Family) IsBinomial() bool { return f == Binomial }

// String is the family's name ("gaussian" for the zero value).
func (f Family) String() string {
	if f == "" {
		return string(Gaussian)
	}
	return string(f)
}

// Sigmoid returns σ(z) = 1/(1+e^{−z}) without overflow for any z.
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// LogisticLoss returns log(1+e^z) − y·z and σ(z) − y, the negative
// log-likelihood of label y under the linear predictor z and its
// derivative in z, computed stably: log(1+e^z) = max(z,0) + log1p(e^{−|z|})
// never overflows, and σ(z) takes the exponential of −|z| only.
func LogisticLoss(z, y float64) (loss, r float64) {
	e := math.Exp(-math.Abs(z))
	var s float64
	if z >= 0 {
		s = 1 / (1 + e)
	} else {
		s = e / (1 + e)
	}
	return math.Max(z, 0) + log1pUnit(e) - y*z, s - y
}

// log1pUnit returns log(1+e) for 0 ≤ e ≤ 1 as log(u)·e/(u−1), u = 1+e
// rounded (Goldberg's formula: a few units of rounding, with the
// hardware-assisted Log instead of the slower Log1p).
func log1pUnit(e float64) float64 {
	u := 1 + e
	if u == 1 {
		return e
	}
	return math.Log(u) * e / (u - 1)
}

// CheckLabels returns an *InputError naming the first row whose target
// is not 0 or 1, or saying that only one class occurs (the maximum
// likelihood intercept is then infinite).
func CheckLabels(t *Table) error {
	if t.Target < 0 {
		return inputErrorf("%s: logistic regression needs a target column", t.Label())
	}
	ones := 0
	for i := 0; i < t.Rows; i++ {
		y := t.At(i, t.Target)
		switch y {
		case 1:
			ones++
		case 0:
		default:
			return inputErrorf("%s: column %q: target %v is not 0 or 1 (the binomial family takes 0/1 labels)",
				t.Where(i), t.Name(t.Target), y)
		}
	}
	if ones == 0 || ones == t.Rows {
		return inputErrorf("%s: column %q: every target is %d: logistic regression needs rows of both classes",
			t.Label(), t.Name(t.Target), min(ones, 1))
	}
	return nil
}

// SeparableError reports that the classes are (nearly) separable by the
// features: the likelihood keeps rising as ‖θ‖ grows and no maximum
// likelihood estimate exists. An L2 penalty (Options.L2) makes it finite.
type SeparableError struct {
	Source    string
	Iteration int
	ThetaNorm float64 // ‖θ‖ on the standardized scale when the fit stopped
	Loss      float64 // the mean negative log-likelihood then
}

func (e *SeparableError) Error() string {
	return fmt.Sprintf("%s: the classes are separable (or nearly) by the features: at iteration %d the coefficients reached ‖θ‖ ≈ %.3g on the standardized scale with log-loss %.3g and keep growing; no maximum likelihood estimate exists; add an L2 penalty (--l2, e.g. 1e-4) for a finite answer",
		e.Source, e.Iteration, e.ThetaNorm, e.Loss)
}

// Is makes a SeparableError an input error (errors.Is(err, ErrInput)).
func (e *SeparableError) Is(target error) bool { return target == ErrInput }
