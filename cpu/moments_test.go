package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// One-pass moments stay accurate where naive one-pass formulas cancel: a
// column 1e8 ± 1, and a column whose first row is an outlier a million
// spreads away (the chunk shift is then far from the mean).
func TestMomentsHardColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	n := 3*cpu.ChunkRows + 11
	tab := tableio.NewTable(n, 3, lsgd.F64)
	for i := 0; i < n; i++ {
		tab.Set(i, 0, 1e8+rng.NormFloat64())
		tab.Set(i, 1, rng.NormFloat64())
		tab.Set(i, 2, rng.NormFloat64())
	}
	tab.Set(0, 1, 1e6)
	tab.Set(cpu.ChunkRows, 1, -1e6) // the second chunk's first row too
	for _, center := range []bool{true, false} {
		ref, _ := cpu.NewReference().Load(tab, false)
		fast, _ := cpu.New(cpu.Options{Threads: 3}).Load(tab, false)
		rm, rs, _ := ref.Moments(center)
		fm, fs, _ := fast.Moments(center)
		for j := range rm {
			if math.Abs(fm[j]-rm[j]) > 1e-12*(math.Abs(rm[j])+rs[j]) || math.Abs(fs[j]-rs[j]) > 1e-9*rs[j] {
				t.Errorf("center=%v column %d: mean %.17g scale %.17g; reference %.17g %.17g", center, j, fm[j], fs[j], rm[j], rs[j])
			}
		}
	}
}
