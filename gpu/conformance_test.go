//go:build cgo

package gpu

import (
	"testing"

	"github.com/lsgd/lsgd/compare"
	"github.com/lsgd/lsgd/compare/backendtest"
)

// The timing hooks the comparison harness looks for.
var (
	_ compare.GradientTimer   = (*Data)(nil)
	_ compare.BandwidthProber = (*Backend)(nil)
)

func TestConformance(t *testing.T) { backendtest.TestBackend(t, newBackendOrSkip(t)) }

// TestConformanceF64 runs the suite on float64 storage.
func TestConformanceF64(t *testing.T) {
	backendtest.TestBackend(t, newBackendOrSkip(t, Options{F64: true}))
}

// TestConformanceSplit runs the suite with a storage block of 4 KiB, two
// work groups per dispatch and two table buffers bound at a time, so the
// multi-buffer, multi-window and multi-dispatch paths all run on small
// data.
func TestConformanceSplit(t *testing.T) {
	backendtest.TestBackend(t, newBackendOrSkip(t, Options{MaxBlockBytes: 4 << 10, MaxGroups: 2, MaxBound: 2, WorkGroupSize: 32, RowsPerInvocation: 3}))
}

func BenchmarkBackend(b *testing.B) { backendtest.BenchmarkBackend(b, newBackendOrSkip(b)) }
