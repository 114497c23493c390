//go:build cgo

package gpu

import (
	"testing"

	"github.com/lsgd/lsgd/compare/backendtest"
)

// TestBinomialKernels runs the binomial pass and fits under the tiled
// kernel configurations the conformance tests (TestConformance*, which run
// the binomial checks too) leave out: 1, 2 and 4 invocations per row.
func TestBinomialKernels(t *testing.T) {
	for _, opt := range kernelOptions {
		if opt.Kernel != "tiled" || opt.WorkGroupSize == 0 || opt.MaxBlockBytes > 0 {
			continue
		}
		t.Run(optName(opt), func(t *testing.T) { backendtest.TestBinomial(t, newBackendOrSkip(t, opt)) })
	}
}
