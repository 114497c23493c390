package cpu

import (
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// TestReadSum checks the vector read kernel against a plain sum.
func TestReadSum(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 1000, 4096 + 17, 4*64*1000 + 5} {
		x := make([]float32, n)
		want := float32(0)
		for i := range x {
			x[i] = float32(i % 8)
			want += x[i]
		}
		if got := readSum32(x); got != want {
			t.Errorf("readSum32(n=%d) = %v; want %v", n, got, want)
		}
		if got := readSum32x4(x); got != want {
			t.Errorf("readSum32x4(n=%d) = %v; want %v", n, got, want)
		}
	}
}

func TestReadBandwidth(t *testing.T) {
	gbps := ReadBandwidth(8<<20, 2)
	if !(gbps > 0.1 && gbps < 10000) {
		t.Errorf("ReadBandwidth(8 MiB) = %v GB/s", gbps)
	}
	tb := tableio.NewTable(1000, 10, lsgd.F64)
	if d := ReadTable(tb, 2, 3); d <= 0 {
		t.Errorf("ReadTable = %v", d)
	}
}
