//go:build cgo

package gpu

import (
	"testing"

	"github.com/lsgd/lsgd/compare/backendtest"
)

// On the NIST StRD sets a GPU fit either says it did not converge or has
// every coefficient within its certified bound of NIST's values.
func TestNISTFits(t *testing.T) {
	backendtest.TestNISTFits(t, "../testdata/nist", newBackendOrSkip(t))
}

func TestNISTFitsF64(t *testing.T) {
	backendtest.TestNISTFits(t, "../testdata/nist", newBackendOrSkip(t, Options{F64: true}))
}
