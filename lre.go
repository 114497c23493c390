package lsgd

import "math"

// LRE returns the log relative error of got against a certified value,
// the accuracy measure of the NIST StRD: the number of correct significant
// digits,
//
//	LRE = −log10(|got − cert| / |cert|)   (cert ≠ 0)
//	LRE = −log10(|got|)                   (cert = 0, the log absolute error)
//
// clamped to [0, 15]: NIST certifies 15 significant digits, so 15 means
// "agrees to every certified digit" (got == cert gives 15), and 0 means no
// correct digit (NaN or infinite got included).
func LRE(got, cert float64) float64 {
	if math.IsNaN(got) || math.IsInf(got, 0) {
		return 0
	}
	var e float64
	if cert == 0 {
		e = math.Abs(got)
	} else {
		e = math.Abs(got-cert) / math.Abs(cert)
	}
	if e == 0 {
		return 15
	}
	lre := -math.Log10(e)
	return math.Max(0, math.Min(15, lre))
}
