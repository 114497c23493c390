package compare

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// testProbe is the read-probe buffer of the tests: small (the tests
// check that the numbers are sane, not what they are).
const testProbe = 8 << 20

// TestBench checks that Bench returns sane, positive, self-consistent
// numbers for tiny sizes (never how fast they are) and writes its files.
func TestBench(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	for _, prec := range []lsgd.Precision{lsgd.F32, lsgd.F64} {
		be := cpu.New(cpu.Options{Precision: prec, Threads: 2})
		res, err := Bench(context.Background(), BenchConfig{Backend: be, Rows: []int{1000, 5000}, Features: []int{3, 8},
			Reps: 3, Out: out, ProbeBytes: testProbe})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 4 {
			t.Fatalf("%d results; want 4 (2 rows × 2 features)", len(res))
		}
		for _, r := range res {
			name := r.Backend + "/" + r.Precision
			if r.Precision != prec.String() || r.Bytes != int64(r.Rows*(r.Features+1))*elemSize(prec) {
				t.Errorf("%s: %d bytes for %d×%d; want rows×(features+1)×%d", name, r.Bytes, r.Rows, r.Features, elemSize(prec))
			}
			if !(r.GradientSeconds > 0) || !(r.WallMinSeconds <= r.WallSeconds && r.WallSeconds <= r.WallMaxSeconds) {
				t.Errorf("%s: gradient %g s, wall min/median/max %g/%g/%g", name, r.GradientSeconds, r.WallMinSeconds, r.WallSeconds, r.WallMaxSeconds)
			}
			if math.Abs(r.GBps-float64(r.Bytes)/r.GradientSeconds/1e9) > 1e-9*r.GBps ||
				math.Abs(r.RowsPerSecond-float64(r.Rows)/r.GradientSeconds) > 1e-9*r.RowsPerSecond {
				t.Errorf("%s: gbps %g, rows/s %g inconsistent with %d bytes, %d rows in %g s", name, r.GBps, r.RowsPerSecond, r.Bytes, r.Rows, r.GradientSeconds)
			}
			if r.ReadGBps == nil || !(*r.ReadGBps > 0) || r.FractionOfBandwidth == nil ||
				math.Abs(*r.FractionOfBandwidth - r.GBps / *r.ReadGBps) > 1e-9 {
				t.Errorf("%s: read probe %v, fraction %v; want a positive probe and gbps/probe", name, r.ReadGBps, r.FractionOfBandwidth)
			}
			if r.OtherCPUPercent != nil && (*r.OtherCPUPercent < 0 || math.IsNaN(*r.OtherCPUPercent)) {
				t.Errorf("%s: other CPU %g%%", name, *r.OtherCPUPercent)
			}
			if r.TableReadGBps == nil || !(*r.TableReadGBps > 0) || r.Timer != "wall" || r.Batch < 1 {
				t.Errorf("%s: table read %v, timer %q, batch %d", name, r.TableReadGBps, r.Timer, r.Batch)
			}
		}
		var buf bytes.Buffer
		if err := WriteBenchText(&buf, res); err != nil || !strings.Contains(buf.String(), "gradient") {
			t.Errorf("WriteBenchText: %v\n%s", err, buf.String())
		}
	}
	// The files of the last sweep.
	f, err := os.Open(out + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 5 || recs[0][0] != "backend" {
		t.Errorf("csv: %v, %d records; want a header and 4 rows", err, len(recs))
	}
	b, err := os.ReadFile(out + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var js []map[string]any
	if err := json.Unmarshal(b, &js); err != nil || len(js) != 4 {
		t.Fatalf("json: %v, %d entries", err, len(js))
	}
	for _, k := range []string{"gradient_seconds", "gbps", "read_gbps", "fraction_of_bandwidth", "rows", "features", "backend", "device", "precision"} {
		if _, ok := js[0][k]; !ok {
			t.Errorf("json result lacks %q", k)
		}
	}
	checkPNG(t, out+".png")
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("%s: %v; want a real plot", path, b)
	}
}

func TestBenchSkipsTooLarge(t *testing.T) {
	res, err := Bench(context.Background(), BenchConfig{Backend: cpu.New(cpu.Options{Threads: 1}),
		Rows: []int{100, 1 << 20}, Features: []int{4}, Reps: 1, MaxBytes: 1 << 20, ProbeBytes: testProbe})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Rows != 100 {
		t.Errorf("results %+v; want only the 100-row size", res)
	}
	if _, err := Bench(context.Background(), BenchConfig{Backend: cpu.New(cpu.Options{}), Rows: []int{0}, Features: []int{3}}); err == nil {
		t.Error("Bench with 0 rows succeeded; want an error")
	}
}

func TestPlotLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loss.png")
	it := []int{10, 20, 30, 40}
	if err := PlotLoss(path, it, []float64{10, 1, 0.1, 0.09}, "test"); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path)
	if err := PlotLoss(path, it, []float64{1}, "x"); err == nil {
		t.Error("PlotLoss with mismatched lengths succeeded")
	}
	if err := PlotLoss(path, nil, nil, "x"); err == nil {
		t.Error("PlotLoss with no points succeeded")
	}
}

func TestBenchTable(t *testing.T) {
	tab := BenchTable(10000, 7, lsgd.F32)
	if tab.Rows != 10000 || tab.Cols != 8 || tab.Check() != nil {
		t.Fatalf("table %d×%d: %v", tab.Rows, tab.Cols, tab.Check())
	}
	for j := 0; j < tab.Cols; j++ {
		m, v := 0.0, 0.0
		for _, x := range tab.Column(j) {
			m += x
			v += x * x
		}
		m /= float64(tab.Rows)
		v = v/float64(tab.Rows) - m*m
		if math.Abs(m) > 0.05 || math.Abs(v-1) > 0.05 {
			t.Errorf("column %d: mean %.3f, variance %.3f; want ≈ 0, 1", j, m, v)
		}
	}
	again := BenchTable(10000, 7, lsgd.F32)
	for i := range tab.F32 {
		if tab.F32[i] != again.F32[i] {
			t.Fatalf("BenchTable is not deterministic at %d", i)
		}
	}
}
