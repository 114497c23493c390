package backend_test

import (
	"os"
	"strings"
	"testing"

	"github.com/lsgd/lsgd/backend"
	"github.com/lsgd/lsgd/tableio"
)

// Options.GPUMemory reaches the GPU backend: a table larger than it
// streams through the device.
func TestGPUMemory(t *testing.T) {
	b, _, err := backend.Open(backend.GPU, backend.F32, backend.Options{GPUMemory: 16 << 10})
	if err != nil {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatalf("LSGD_REQUIRE_GPU=1 but no GPU: %v", err)
		}
		t.Skipf("no GPU: %v", err)
	}
	defer b.Close()
	tab := tableio.NewTable(3001, 5, tableio.F64)
	for i := 0; i < tab.Rows; i++ {
		for j := 0; j < tab.Cols; j++ {
			tab.Set(i, j, float64((i*7+j*3)%11))
		}
	}
	d, err := b.Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if k := d.Caps().Kernel; !strings.Contains(k, "streamed") {
		t.Errorf("a 60 KB table with a 16 KiB budget is not streamed: kernel %q", k)
	}
}
