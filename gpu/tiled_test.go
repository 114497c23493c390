//go:build cgo

package gpu

import (
	"fmt"
	"testing"

	"github.com/lsgd/lsgd/compare/backendtest"
)

// kernelOptions are the configurations every gradient kernel test runs:
// each variant with its chosen shape, and the tiled kernel with shapes that
// exercise its other code paths (one, two and four invocations per row in
// the residual phase; fewer invocations than lanes, so several lanes per
// invocation; tiles straddling table buffers and bound windows).
var kernelOptions = []Options{
	{Kernel: "rows"},
	{Kernel: "tiled"},
	{Kernel: "tiled", WorkGroupSize: 16, TileRows: 16, TilesPerGroup: 2}, // 1 invocation per row; 2 or more lanes each past 16 lanes
	{Kernel: "tiled", WorkGroupSize: 32, TileRows: 16, TilesPerGroup: 3}, // 2 per row
	{Kernel: "tiled", WorkGroupSize: 64, TileRows: 16, TilesPerGroup: 5}, // 4 per row
	{Kernel: "tiled", MaxBlockBytes: 4 << 10, MaxGroups: 2, MaxBound: 2, WorkGroupSize: 32, TileRows: 8, TilesPerGroup: 12},
}

func TestConformanceRows(t *testing.T) {
	backendtest.TestBackend(t, newBackendOrSkip(t, Options{Kernel: "rows"}))
}

func TestConformanceTiled(t *testing.T) {
	backendtest.TestBackend(t, newBackendOrSkip(t, Options{Kernel: "tiled"}))
}

func TestConformanceTiledF64(t *testing.T) {
	backendtest.TestBackend(t, newBackendOrSkip(t, Options{Kernel: "tiled", F64: true}))
}

// TestConformanceTiledSplit is TestConformanceSplit with the tiled kernel:
// 4 KiB storage blocks (tiles straddle buffers and windows), two work
// groups per dispatch, two buffers bound, 8-row tiles, 12 per group (the
// 96 rows per group of TestConformanceSplit).
func TestConformanceTiledSplit(t *testing.T) {
	backendtest.TestBackend(t, newBackendOrSkip(t, Options{Kernel: "tiled", MaxBlockBytes: 4 << 10, MaxGroups: 2, MaxBound: 2,
		WorkGroupSize: 32, TileRows: 8, TilesPerGroup: 12}))
}

// wideShapes add the wide tables (129 and 260 columns) to the shapes of
// TestGradient.
var wideShapes = []struct{ rows, feats int }{{1, 128}, {257, 128}, {1031, 128}, {64, 259}}

// TestGradientKernels compares the gradient, loss and ‖g‖² of every
// kernel configuration with the float64 reference (tolerance 300u times
// the sum of the magnitudes of the terms), on narrow and wide tables,
// contiguous and shuffled row ranges.
func TestGradientKernels(t *testing.T) {
	for _, opt := range kernelOptions {
		t.Run(optName(opt), func(t *testing.T) {
			b := newBackendOrSkip(t, opt)
			testGradientShapes(t, b, append(shapes[:len(shapes):len(shapes)], wideShapes...))
		})
	}
}

func optName(o Options) string {
	s := o.Kernel
	if o.WorkGroupSize > 0 {
		s += fmt.Sprintf("/wg%d", o.WorkGroupSize)
	}
	if o.RowsPerInvocation > 0 {
		s += fmt.Sprintf("/r%d", o.RowsPerInvocation)
	}
	if o.TileRows > 0 {
		s += fmt.Sprintf("/tr%d", o.TileRows)
	}
	if o.TilesPerGroup > 0 {
		s += fmt.Sprintf("/tt%d", o.TilesPerGroup)
	}
	if o.MaxBlockBytes > 0 {
		s += "/split"
	}
	return s
}
