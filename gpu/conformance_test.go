//go:build cgo

package gpu

import (
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare/backendtest"
)

var (
	_ lsgd.Backend = (*Backend)(nil)
	_ lsgd.Data    = (*Data)(nil)
)

// TestCaps checks the capabilities the comparison harness and Fit read:
// centred storage, the device's read probe and timer, the kernel's name.
func TestCaps(t *testing.T) {
	b := newBackendOrSkip(t)
	c := b.Caps()
	if !c.CenteredStorage || c.ReadBandwidth == nil || c.Synchronous || c.Software != b.DeviceCaps().Software {
		t.Errorf("backend caps %+v; want centred storage, a read probe, asynchronous, software = %v", c, b.DeviceCaps().Software)
	}
	d, err := b.Load(lsgd.FromRows([][]float64{{1, 2}, {3, 5}, {4, 4}}, []float64{1, 2, 3}), false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	dc := d.Caps()
	if dc.Kernel == "" || dc.TimeGradient == nil || !dc.CenteredStorage {
		t.Errorf("data caps %+v; want a kernel name, a device timer and centred storage", dc)
	}
}

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
