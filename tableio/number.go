package tableio

// ParseNumber parses a decimal number the way the CSV reader does, rounding
// it correctly to float64: [+-]? digits [. digits] ([eE] [+-]? digits), with
// leading and trailing spaces or tabs; no NaN, Inf, hex or underscores. It
// reports false for anything else, or for a value that overflows float64.
func ParseNumber(s string) (float64, bool) {
	v, st := csvParseFloat([]byte(s), 64)
	return v, st == csvOK
}
