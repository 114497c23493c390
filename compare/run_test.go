package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// broken wraps a backend and corrupts what its Data computes, to prove
// that the checks can fail and that the right one does.
type broken struct {
	lsgd.Backend
	// grad corrupts the gradient (standardized, table space) in place after
	// every Gradient call; nil leaves it alone.
	grad func(g []float64)
	// lossFactor multiplies the loss Status reports (0: unchanged).
	lossFactor float64
	// gradErr is returned by every Gradient call (nil: none).
	gradErr error
}

func (b *broken) Load(t *lsgd.Table, inPlace bool) (lsgd.Data, error) {
	d, err := b.Backend.Load(t, inPlace)
	if err != nil {
		return nil, err
	}
	return &brokenData{Data: d, b: b}, nil
}

type brokenData struct {
	lsgd.Data
	b   *broken
	gn2 float64
	set bool
}

func (d *brokenData) Gradient(at lsgd.Slot, rows lsgd.Rows) error {
	if d.b.gradErr != nil {
		return d.b.gradErr
	}
	if err := d.Data.Gradient(at, rows); err != nil {
		return err
	}
	if d.b.grad == nil {
		return nil
	}
	g := make([]float64, d.Cols()+1)
	if err := d.Data.Vector(lsgd.Grad, g); err != nil {
		return err
	}
	d.b.grad(g)
	d.gn2, d.set = 0, true
	for _, v := range g {
		d.gn2 += v * v
	}
	return d.Data.SetVector(lsgd.Grad, g)
}

func (d *brokenData) Status() (lsgd.Status, error) {
	s, err := d.Data.Status()
	if d.set {
		s.GradNorm2 = d.gn2 // a consistent lie: the fit believes the corrupted gradient
	}
	if d.b.lossFactor != 0 {
		s.Loss *= d.b.lossFactor
		s.LossSum *= d.b.lossFactor
	}
	return s, err
}

// smallConfig is a problem small enough for a unit test, with the float32
// fast CPU backend standing in for the GPU.
func smallConfig(gpu lsgd.Backend) Config {
	return Config{Rows: 20000, Features: 12, Cond: 10, Noise: 0.5, Seed: 3, Threads: 2, Reps: 3, GPU: gpu, ProbeBytes: testProbe}
}

func checkByName(t *testing.T, rep *Report, name string) Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check named %q in %v", name, rep.Checks)
	return Check{}
}

func TestRunAgrees(t *testing.T) {
	for _, gpu := range []lsgd.Backend{
		cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2}),
		cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 3, Portable: true}),
	} {
		rep, err := Run(context.Background(), smallConfig(gpu))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := rep.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s", buf.String())
		if !rep.Agree {
			t.Errorf("%s: agree = false; want true", gpu.Device())
		}
		if len(rep.Checks) != 10 {
			t.Errorf("%d checks; want 5 per path", len(rep.Checks))
		}
		for _, c := range rep.Checks {
			if !(c.Tolerance > 0) || c.Tolerance >= 0.1 || c.Formula == "" {
				t.Errorf("%s: tolerance %g (%q); want a derived tolerance in (0, 0.1)", c.Name, c.Tolerance, c.Formula)
			}
		}
		for _, p := range []*PathReport{rep.CPU, rep.GPU} {
			if p == nil || !(p.Seconds > 0) || !(p.GBps > 0) || !(p.EpochSeconds > 0) || !(p.FitSeconds > 0) || !p.Converged {
				t.Errorf("path report %+v; want positive times and a converged fit", p)
			}
		}
		// The stand-in "gpu" is a CPU backend: its memory is the host's.
		if rep.CPU.FractionOfBandwidth == nil || rep.GPU.FractionOfBandwidth == nil {
			t.Errorf("fraction of bandwidth: cpu %v, gpu %v; want the host's for both", rep.CPU.FractionOfBandwidth, rep.GPU.FractionOfBandwidth)
		}
		if k := rep.Problem.Cond; k < 10 || k > 1000 {
			t.Errorf("exact cond %g; the generator was asked for a design of cond 10 (Hessian ≈ 100)", k)
		}
	}
}

func TestRunFloat64Paths(t *testing.T) {
	cfg := smallConfig(nil)
	cfg.CPU = cpu.New(cpu.Options{Threads: 2})
	cfg.GPUReason = "test: no GL"
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Agree {
		var buf bytes.Buffer
		rep.WriteText(&buf)
		t.Errorf("float64 fast path disagrees:\n%s", buf.String())
	}
	if rep.GPU != nil || rep.Problem.Precision != "f64" {
		t.Errorf("gpu %v, data %s; want no gpu report and float64 data", rep.GPU, rep.Problem.Precision)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "test: no GL") {
		t.Errorf("notes %q do not say why there is no GPU", rep.Notes)
	}
	// float64 tolerances are ~2²⁹ times tighter than float32's.
	c := checkByName(t, rep, "cpu gradient")
	if c.Tolerance > 1e-10 {
		t.Errorf("float64 gradient tolerance %g; want ≤ 1e-10", c.Tolerance)
	}
}

// TestRunDetectsBrokenGradient corrupts one gradient component by 1%:
// the fit still converges to the right point (0 stays 0), so only the
// gradient check may fail.
func TestRunDetectsBrokenGradient(t *testing.T) {
	gpu := &broken{Backend: cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2}),
		grad: func(g []float64) { g[0] *= 1.01 }}
	rep, err := Run(context.Background(), smallConfig(gpu))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Agree {
		t.Fatal("agree = true with a gradient off by 1%")
	}
	for _, c := range rep.Checks {
		wantFail := c.Name == "gpu gradient"
		if c.Pass == wantFail {
			t.Errorf("%s: value %.3g, tolerance %.3g, pass %v; want pass %v", c.Name, c.Value, c.Tolerance, c.Pass, !wantFail)
		}
	}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	if !strings.Contains(buf.String(), "FAIL") || !strings.Contains(buf.String(), "agree: NO") {
		t.Errorf("text report does not show the failure:\n%s", buf.String())
	}
}

// TestRunDetectsBiasedGradient adds a constant to one gradient component:
// the fit converges, certified, to the wrong point, which the coefficient,
// normal-equation and final-loss checks must see.
func TestRunDetectsBiasedGradient(t *testing.T) {
	gpu := &broken{Backend: cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2}),
		grad: func(g []float64) { g[1] += 0.02 }}
	rep, err := Run(context.Background(), smallConfig(gpu))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Agree {
		t.Fatal("agree = true with a biased gradient")
	}
	if c := checkByName(t, rep, "gpu gradient"); c.Pass {
		t.Errorf("gpu gradient passed (value %.3g, tolerance %.3g); want a failure", c.Value, c.Tolerance)
	}
	// The fit either ends at the wrong point, which the coefficient and
	// normal-equation checks see, or is refused by Fit itself (a final
	// loss above the starting one is never certified), which the fit
	// check records.
	for _, c := range rep.Checks {
		if c.Name == "gpu fit" && !c.Pass {
			return
		}
	}
	for _, name := range []string{"gpu coefficients vs solve", "gpu normal equations"} {
		if c := checkByName(t, rep, name); c.Pass {
			t.Errorf("%s passed (value %.3g, tolerance %.3g); want a failure", name, c.Value, c.Tolerance)
		}
	}
	for _, c := range rep.Checks {
		if c.Path == "cpu" && !c.Pass {
			t.Errorf("%s failed; the cpu path is not broken", c.Name)
		}
	}
}

// TestRunDetectsBrokenLoss scales the reported loss by 1+10⁻³: the loss
// checks must fail and the gradient check pass.
func TestRunDetectsBrokenLoss(t *testing.T) {
	gpu := &broken{Backend: cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2}), lossFactor: 1.001}
	rep, err := Run(context.Background(), smallConfig(gpu))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Agree {
		t.Fatal("agree = true with a wrong loss")
	}
	if c := checkByName(t, rep, "gpu loss"); c.Pass {
		t.Errorf("gpu loss passed: %+v", c)
	}
	if c := checkByName(t, rep, "gpu gradient"); !c.Pass {
		t.Errorf("gpu gradient failed: %+v", c)
	}
	if c := checkByName(t, rep, "gpu coefficients vs solve"); !c.Pass {
		t.Errorf("gpu coefficients failed: %+v", c)
	}
}

// TestRunNaN: a backend returning NaN fails every check of its path, and
// the report still marshals to JSON (NaN as null).
func TestRunNaN(t *testing.T) {
	gpu := &broken{Backend: cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2}),
		grad: func(g []float64) { g[2] = math.NaN() }}
	rep, err := Run(context.Background(), smallConfig(gpu))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Agree {
		t.Fatal("agree = true with NaN gradients")
	}
	if c := checkByName(t, rep, "gpu gradient"); c.Pass {
		t.Errorf("gpu gradient passed with NaN: %+v", c)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	var back struct {
		Agree  bool `json:"agree"`
		Checks []struct {
			Name      string   `json:"name"`
			Value     *float64 `json:"value"`
			Tolerance *float64 `json:"tolerance"`
			Pass      bool     `json:"pass"`
		} `json:"checks"`
		CPU map[string]any `json:"cpu"`
		GPU map[string]any `json:"gpu"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Agree || len(back.Checks) == 0 || back.CPU["gbps"] == nil || back.GPU["seconds"] == nil || back.CPU["device"] == nil {
		t.Errorf("json %s lacks agree/checks/cpu.gbps/gpu.seconds/device", b)
	}
	for _, c := range back.Checks {
		if c.Name == "gpu gradient" && c.Value != nil {
			t.Errorf("gpu gradient value %v in JSON; want null for NaN", *c.Value)
		}
	}
}

// TestRunDeviceError: a GPU whose kernels fail is a failing check, not an
// aborted run; the CPU path is still reported.
func TestRunDeviceError(t *testing.T) {
	gpu := &broken{Backend: cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2}),
		gradErr: errors.New("gpu: out of device memory")}
	rep, err := Run(context.Background(), smallConfig(gpu))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Agree || rep.CPU == nil || rep.GPU == nil {
		t.Fatalf("agree %v, cpu %v, gpu %v; want a disagreement with both paths reported", rep.Agree, rep.CPU, rep.GPU)
	}
	if c := checkByName(t, rep, "gpu kernels"); c.Pass {
		t.Errorf("gpu kernels passed: %+v", c)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "out of device memory") {
		t.Errorf("notes %q do not carry the device error", rep.Notes)
	}
	for _, c := range rep.Checks {
		if c.Path == "cpu" && !c.Pass {
			t.Errorf("%s failed", c.Name)
		}
	}
}

func TestRunUserData(t *testing.T) {
	// y = 1 + 2·x1 − x2 + noise, with an offset column: Data instead of
	// the generator, the target not in the last column.
	n := 5000
	tab := tableio.NewTable(n, 3, lsgd.F64)
	tab.Target = 0
	tab.Names = []string{"y", "a", "b"}
	tab.Source = "user"
	for i := 0; i < n; i++ {
		a := math.Sin(float64(i)) * 3
		b := 1000 + math.Cos(float64(i)*0.7)
		tab.Set(i, 1, a)
		tab.Set(i, 2, b)
		tab.Set(i, 0, 1+2*a-(b-1000)+0.1*math.Sin(float64(i)*1.3))
	}
	rep, err := Run(context.Background(), Config{Data: tab, Threads: 2, Reps: 2, ProbeBytes: testProbe,
		GPU: cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2, Portable: true})})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	if !rep.Agree {
		t.Errorf("user data: disagree:\n%s", buf.String())
	}
	if rep.Problem.Rows != n || rep.Problem.Features != 2 {
		t.Errorf("problem %+v; want %d rows, 2 features", rep.Problem, n)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, smallConfig(nil)); err == nil {
		t.Error("Run with a cancelled context succeeded; want an error")
	}
}

func TestGamma(t *testing.T) {
	// γ̃_n(8) ≈ 8·√n·u for small n·u.
	for _, n := range []int{1, 100, 1 << 20} {
		for _, p := range []lsgd.Precision{lsgd.F32, lsgd.F64} {
			want := 8 * math.Sqrt(float64(n)) * p.UnitRoundoff()
			if g := gamma(p, n); math.Abs(g-want) > 0.01*want {
				t.Errorf("gamma(%s, %d) = %g; want ≈ %g", p, n, g, want)
			}
		}
	}
}

// fakeGPU names itself a GPU, a software renderer or not.
type fakeGPU struct {
	lsgd.Backend
	device   string
	software bool
}

func (f fakeGPU) Name() string    { return "gpu" }
func (f fakeGPU) Device() string  { return f.device }
func (f fakeGPU) Caps() lsgd.Caps { return lsgd.Caps{Software: f.software} }

// fakeProber is a fakeGPU whose Caps has a read-bandwidth probe.
type fakeProber struct {
	fakeGPU
	gbps float64
	err  error
}

func (f fakeProber) Caps() lsgd.Caps {
	c := f.fakeGPU.Caps()
	c.ReadBandwidth = func(int64) (float64, error) { return f.gbps, f.err }
	return c
}

func TestProbeFor(t *testing.T) {
	base := cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2})
	hw := fakeGPU{base, "NVIDIA H200, OpenGL 4.6", false}
	sw := fakeGPU{base, "llvmpipe (LLVM 15.0.6, 256 bits) (software renderer)", true}
	for _, c := range []struct {
		name               string
		be                 lsgd.Backend
		read, dev, hasNote bool
		readIs             float64 // when not 0, the read value expected
	}{
		{"cpu", base, true, false, false, 0},
		{"gpu without probe", hw, false, false, true, 0},
		{"gpu with probe", fakeProber{hw, 4000, nil}, true, false, false, 4000},
		{"gpu probe fails", fakeProber{hw, 0, errors.New("no timer")}, false, false, true, 0},
		{"software with probe", fakeProber{sw, 1, nil}, true, true, true, 0},
		{"software without probe", sw, true, false, true, 0},
	} {
		read, dev, note := probeFor(c.be, testProbe, 2)
		if (read != nil) != c.read || (dev != nil) != c.dev || (note != "") != c.hasNote {
			t.Errorf("%s: read %v, device %v, note %q; want read %v, device %v, a note %v", c.name, read, dev, note, c.read, c.dev, c.hasNote)
			continue
		}
		if c.readIs != 0 && *read != c.readIs {
			t.Errorf("%s: read %g; want the device's %g", c.name, *read, c.readIs)
		}
		if read != nil && !(*read > 0) {
			t.Errorf("%s: read %g; want > 0", c.name, *read)
		}
	}
}
