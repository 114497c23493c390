// Package compare checks lsgd's backends against each other and against
// exact solutions, and measures their throughput: the reports behind "lsgd
// compare", "lsgd bench" and "lsgd nist", their tolerances (tolerance.go),
// timings and plots. It does not import testing; the suites every backend
// runs in its tests are in compare/backendtest.
package compare
