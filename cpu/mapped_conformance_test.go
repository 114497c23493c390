package cpu_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare/backendtest"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// mapBackend is the fast backend given every table as a mapped file: Load
// writes the table to a .npy file and maps it (tableio.MapNPY), so that
// the conformance suite runs the streamed path against the reference.
type mapBackend struct {
	*cpu.Fast
	dir string
	n   int
}

func (b *mapBackend) Load(t *lsgd.Table, inPlace bool) (lsgd.Data, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	if b.Precision() == lsgd.F32 {
		t = t.Clone(lsgd.F32) // as the resident path rounds it on Load
	}
	m, err := mapTable(b.dir, fmt.Sprintf("t%d.npy", b.n), t)
	b.n++
	if err != nil {
		return nil, err
	}
	return b.Fast.Load(m, inPlace)
}

// mapTable writes t to dir/name and maps it back, with t's target.
func mapTable(dir, name string, t *lsgd.Table) (*lsgd.Table, error) {
	path := filepath.Join(dir, name)
	if err := tableio.SaveTable(path, t); err != nil {
		return nil, err
	}
	m, err := tableio.MapNPY(path, tableio.ReadOptions{Target: "index:" + strconv.Itoa(t.Target+1)})
	if err != nil {
		return nil, err
	}
	m.Weights = t.Weights // weights stay in memory beside the mapped rows
	if m.Map == nil || m.Target != t.Target {
		return nil, fmt.Errorf("%s: not mapped (map %v) or target %d, want %d", path, m.Map != nil, m.Target, t.Target)
	}
	return m, nil
}

func TestConformanceMapped64(t *testing.T) {
	backendtest.TestBackend(t, &mapBackend{Fast: cpu.New(cpu.Options{}), dir: t.TempDir()})
}

func TestConformanceMapped32(t *testing.T) {
	backendtest.TestBackend(t, &mapBackend{Fast: cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 3}), dir: t.TempDir()})
}
