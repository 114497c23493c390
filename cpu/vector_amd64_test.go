//go:build !purego

package cpu

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
)

// TestNoAVX2Fallback runs the fast backend as on a CPU without AVX2: it
// must pick the portable kernels and give their bits.
func TestNoAVX2Fallback(t *testing.T) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	rng := rand.New(rand.NewPCG(9, 9))
	tb := randomTable(rng, 5000, 17, 17)
	theta := make([]float64, tb.Cols+1)
	for j := range theta {
		theta[j] = rng.NormFloat64()
	}
	rows := lsgd.Rows{Lo: 0, Hi: tb.Rows}
	for _, prec := range []lsgd.Precision{lsgd.F64, lsgd.F32} {
		want, _ := gradOf(t, tb, Options{Precision: prec, Portable: true}, theta, rows, nil)
		useAVX2 = false
		if dev := New(Options{Precision: prec}).Device(); !strings.Contains(dev, "portable") {
			t.Errorf("%s: Device() = %q without AVX2; want the portable kernel named", prec, dev)
		}
		g, _ := gradOf(t, tb, Options{Precision: prec}, theta, rows, nil)
		useAVX2 = saved
		for j := range g {
			if math.Float64bits(g[j]) != math.Float64bits(want[j]) {
				t.Fatalf("%s: g[%d] = %v; want %v (portable)", prec, j, g[j], want[j])
			}
		}
	}
	useAVX2 = false
	x := make([]float32, 1000)
	for i := range x {
		x[i] = 1
	}
	if s := readSum32(x); s != 1000 {
		t.Errorf("portable readSum32 = %v; want 1000", s)
	}
}
