//go:build cgo

package gpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/gpu/internal/gldev"
	"github.com/lsgd/lsgd/tableio"
)

// newBackendOrSkip opens the GPU backend, or skips the test when there is
// no GL context, unless LSGD_REQUIRE_GPU=1 makes that a failure.
func newBackendOrSkip(t testing.TB, opt ...Options) *Backend {
	t.Helper()
	var o Options
	if len(opt) > 0 {
		o = opt[0]
	}
	b, err := New(o)
	if err != nil {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatalf("LSGD_REQUIRE_GPU=1 but no GL context: %v", err)
		}
		t.Skipf("no GL context: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// randTable returns a table whose columns have very different offsets and
// scales (a year-like column ~1950±5 among them); the target, last, is a
// noisy linear function of the features.
func randTable(rng *rand.Rand, rows, feats int) *lsgd.Table {
	t := tableio.NewTable(rows, feats+1, lsgd.F64)
	offs := []float64{0, 1950, -3000, 1e-3, 40}
	scales := []float64{1, 5, 1e3, 1e-2, 0.5}
	beta := make([]float64, feats)
	for j := range beta {
		beta[j] = rng.NormFloat64() / scales[j%len(scales)]
	}
	for i := 0; i < rows; i++ {
		y := 3.0
		for j := 0; j < feats; j++ {
			v := offs[j%len(offs)] + scales[j%len(scales)]*rng.NormFloat64()
			t.Set(i, j, v)
			y += beta[j] * (v - offs[j%len(offs)])
		}
		t.Set(i, feats, y+0.1*rng.NormFloat64())
	}
	return t
}

// within reports the first index where |got−want| > abs + rel·scale[i]
// (scale nil: |want|), or −1.
func within(got, want, scale []float64, abs, rel float64) int {
	for i := range want {
		s := math.Abs(want[i])
		if scale != nil {
			s = scale[i]
		}
		if !(math.Abs(got[i]-want[i]) <= abs+rel*s) {
			return i
		}
	}
	return -1
}

func checkClose(t *testing.T, what string, got, want, scale []float64, abs, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	if i := within(got, want, scale, abs, rel); i >= 0 {
		s := math.Abs(want[i])
		if scale != nil {
			s = scale[i]
		}
		t.Errorf("%s[%d] = %.10g, want %.10g (diff %.3g, tolerance %.3g)", what, i, got[i], want[i],
			got[i]-want[i], abs+rel*s)
	}
}

func poison(v []float64) {
	for i := range v {
		v[i] = math.NaN()
	}
}

// pair loads one table into the reference and the GPU backend.
type pair struct {
	t        *lsgd.Table
	ref, gpu lsgd.Data
}

func loadPair(t *testing.T, b *Backend, tab *lsgd.Table) *pair {
	t.Helper()
	ref, err := cpu.NewReference().Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	g, err := b.Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Release() })
	return &pair{t: tab, ref: ref, gpu: g}
}

func (p *pair) both(t *testing.T, fn func(d lsgd.Data) error) {
	t.Helper()
	if err := fn(p.ref); err != nil {
		t.Fatalf("reference: %v", err)
	}
	if err := fn(p.gpu); err != nil {
		t.Fatalf("gpu: %v", err)
	}
}

// gradScale returns, per entry of the gradient at v over rows, the sum
// the f32 rounding errors scale with: (2/m)·Σ_i ρ_i·|x̃_ij| with
// ρ_i = Σ_j |x_ij·v_j| + |v_intercept| (≥ |r_i|), plus 2·ridge_j·|v_j|.
func gradScale(tab *lsgd.Table, v []float64, rows lsgd.Rows, order []int32) []float64 {
	c := tab.Cols
	s := make([]float64, c+1)
	for k := rows.Lo; k < rows.Hi; k++ {
		i := k
		if rows.Shuffled {
			i = int(order[k])
		}
		rho := math.Abs(v[c])
		for j := 0; j < c; j++ {
			rho += math.Abs(tab.At(i, j) * v[j])
		}
		for j := 0; j < c; j++ {
			s[j] += rho * math.Abs(tab.At(i, j))
		}
		s[c] += rho
	}
	for j := range s {
		s[j] *= 2 / float64(rows.Len())
	}
	return s
}

// f32Rel is the relative tolerance of float32 results against the scale
// of their rounding errors: a few hundred units of round-off.
const f32Rel = 300 * 0x1p-24

var shapes = []struct{ rows, feats int }{
	{1, 1}, {255, 3}, {257, 17}, {4097, 3}, {1000, 64}, {300, 70}, {100, 259},
}

func TestMoments(t *testing.T) {
	b := newBackendOrSkip(t)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sh := range shapes {
		p := loadPair(t, b, randTable(rng, sh.rows, sh.feats))
		for _, center := range []bool{true, false} {
			rm, rs, _ := p.ref.Moments(center)
			gm, gs, err := p.gpu.Moments(center)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%dx%d center=%v", sh.rows, sh.feats, center)
			// The mean is exact up to the rounding of x − mean to float32:
			// relative to the scale.
			checkClose(t, name+" mean", gm, rm, rs, 1e-300, 4*f32Rel)
			checkClose(t, name+" scale", gs, rs, nil, 1e-300, 4*f32Rel)
		}
	}
}

// TestGradient compares the gradient, loss and ‖g‖² with the reference
// on contiguous and shuffled row ranges, with a mask and ridge weights.
func TestGradient(t *testing.T) {
	b := newBackendOrSkip(t)
	testGradient(t, b)
}

func testGradient(t *testing.T, b *Backend) { testGradientShapes(t, b, shapes) }

func testGradientShapes(t *testing.T, b *Backend, shapes []struct{ rows, feats int }) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, sh := range shapes {
		tab := randTable(rng, sh.rows, sh.feats)
		p := loadPair(t, b, tab)
		if sh == shapes[0] {
			t.Logf("%d×%d: %s", sh.rows, tab.Cols, p.gpu.(*Data).Kernel())
		}
		c := tab.Cols
		theta, mask, ridge := make([]float64, c+1), make([]float64, c+1), make([]float64, c+1)
		for j := range theta {
			theta[j] = rng.NormFloat64()
			mask[j] = 1
			if j%3 == 1 {
				ridge[j] = 0.25
			}
		}
		theta[tab.Target] = -1
		mask[tab.Target] = 0
		p.both(t, func(d lsgd.Data) error { return d.Init(theta, mask, ridge) })
		order := rng.Perm(sh.rows)
		ord := make([]int32, len(order))
		for i, v := range order {
			ord[i] = int32(v)
		}
		p.both(t, func(d lsgd.Data) error { return d.SetOrder(ord) })
		ranges := []lsgd.Rows{{Lo: 0, Hi: sh.rows}, {Lo: sh.rows / 3, Hi: sh.rows/3 + (sh.rows+1)/2},
			{Lo: 0, Hi: sh.rows, Shuffled: true}, {Lo: sh.rows / 2, Hi: sh.rows, Shuffled: true}}
		for _, rows := range ranges {
			name := fmt.Sprintf("%dx%d rows %+v", sh.rows, sh.feats, rows)
			p.both(t, func(d lsgd.Data) error { return d.Gradient(lsgd.Theta, rows) })
			want, got := make([]float64, c+1), make([]float64, c+1)
			poison(got)
			p.ref.Vector(lsgd.Grad, want)
			if err := p.gpu.Vector(lsgd.Grad, got); err != nil {
				t.Fatal(err)
			}
			scale := gradScale(tab, theta, rows, ord)
			checkClose(t, name+" grad", got, want, scale, 1e-300, f32Rel)
			rs, _ := p.ref.Status()
			gs, err := p.gpu.Status()
			if err != nil {
				t.Fatal(err)
			}
			// loss = Σr²/m: its error scales with Σ|r|·ρ/m.
			ls := 0.0
			for j := 0; j < c; j++ {
				ls += scale[j] * math.Abs(theta[j])
			}
			ls += scale[c] * math.Abs(theta[c])
			checkClose(t, name+" loss", []float64{gs.Loss, gs.LossSum}, []float64{rs.Loss, rs.LossSum},
				[]float64{ls, ls}, 1e-300, f32Rel)
			gn := 0.0
			for j := range scale {
				gn += 2 * scale[j] * math.Abs(want[j])
			}
			checkClose(t, name+" ‖g‖²", []float64{gs.GradNorm2}, []float64{rs.GradNorm2}, []float64{gn}, 1e-300, f32Rel)
			if gs.Count != 1 {
				t.Errorf("%s: status count %d, want 1", name, gs.Count)
			}
		}
	}
}

// TestPredict compares X·θ + b (target column ignored) with the float64
// sum, before and after standardization, with the table split over
// several buffers.
func TestPredict(t *testing.T) {
	for _, opt := range []Options{{}, {MaxBlockBytes: 2 << 10, MaxGroups: 3}} {
		b := newBackendOrSkip(t, opt)
		rng := rand.New(rand.NewPCG(3, 3))
		for _, sh := range shapes {
			tab := randTable(rng, sh.rows, sh.feats)
			d, err := b.Load(tab, false)
			if err != nil {
				t.Fatal(err)
			}
			g := d.(*Data)
			c := tab.Cols
			theta := make([]float64, c+1)
			for j := range theta {
				theta[j] = rng.NormFloat64()
			}
			theta[tab.Target] = 123 // ignored
			if err := g.Init(theta, make([]float64, c+1), make([]float64, c+1)); err != nil {
				t.Fatal(err)
			}
			shift, mul := make([]float64, c), make([]float64, c)
			for j := range shift {
				shift[j], mul[j] = rng.NormFloat64(), 0.5+rng.Float64()
			}
			for pass := 0; pass < 2; pass++ {
				want, scale, got := make([]float64, sh.rows), make([]float64, sh.rows), make([]float64, sh.rows)
				for i := range want {
					want[i], scale[i] = theta[c], math.Abs(theta[c])
					for j := 0; j < c; j++ {
						if j == tab.Target {
							continue
						}
						x := tab.At(i, j)
						if pass == 1 {
							x = (x - shift[j]) * mul[j]
						}
						want[i] += x * theta[j]
						scale[i] += math.Abs(x * theta[j])
					}
				}
				poison(got)
				if err := g.Predict(lsgd.Theta, got); err != nil {
					t.Fatal(err)
				}
				checkClose(t, fmt.Sprintf("%+v %dx%d pass %d predict", opt, sh.rows, sh.feats, pass), got, want, scale, 1e-300, f32Rel)
				if err := g.Standardize(shift, mul); err != nil {
					t.Fatal(err)
				}
			}
			g.Release()
		}
	}
}

// TestDeterministic: the same gradient twice, and on a second copy of the
// table, gives the same bits, for contiguous and shuffled rows, with and
// without the split into several buffers, with each gradient kernel.
func TestDeterministic(t *testing.T) {
	for _, opt := range []Options{{}, {Kernel: "rows", MaxBlockBytes: 4 << 10, MaxGroups: 2, MaxBound: 3},
		{Kernel: "tiled"}, {Kernel: "tiled", MaxBlockBytes: 4 << 10, MaxGroups: 2, MaxBound: 3, TilesPerGroup: 3}} {
		b := newBackendOrSkip(t, opt)
		rng := rand.New(rand.NewPCG(4, 4))
		tab := randTable(rng, 3001, 13)
		c := tab.Cols
		theta, mask := make([]float64, c+1), make([]float64, c+1)
		for j := range theta {
			theta[j], mask[j] = rng.NormFloat64(), 1
		}
		order := make([]int32, tab.Rows)
		for i, v := range rng.Perm(tab.Rows) {
			order[i] = int32(v)
		}
		var first [][]float64
		for copyNo := 0; copyNo < 2; copyNo++ {
			d, err := b.Load(tab, false)
			if err != nil {
				t.Fatal(err)
			}
			d.Init(theta, mask, make([]float64, c+1))
			d.SetOrder(order)
			k := 0
			for rep := 0; rep < 2; rep++ {
				for _, rows := range []lsgd.Rows{{Lo: 5, Hi: 2990}, {Lo: 100, Hi: 2500, Shuffled: true}} {
					if err := d.Gradient(lsgd.Theta, rows); err != nil {
						t.Fatal(err)
					}
					g := make([]float64, c+2)
					if err := d.Vector(lsgd.Grad, g[:c+1]); err != nil {
						t.Fatal(err)
					}
					st, err := d.Status()
					if err != nil {
						t.Fatal(err)
					}
					g[c+1] = st.Loss
					if copyNo == 0 && rep == 0 {
						first = append(first, g)
						continue
					}
					for j := range g {
						if math.Float64bits(g[j]) != math.Float64bits(first[k][j]) {
							t.Fatalf("%+v copy %d rep %d rows %+v: value %d = %v, first run %v", opt, copyNo, rep, rows, j, g[j], first[k][j])
						}
					}
					k++
					if k == len(first) {
						k = 0
					}
				}
			}
			d.Release()
		}
	}
}

// TestCompileError injects broken shader sources and wants errors that
// name the file and carry the driver's log.
func TestCompileError(t *testing.T) {
	for file, src := range map[string]string{
		"grad.comp":   "layout(local_size_x = WG) in;\nvoid main() {\n\tfloat x = undefinedThing;\n}\n",
		"common.glsl": "#define REAL float\nthis is not glsl\n",
	} {
		b := newBackendOrSkip(t, Options{Shaders: map[string]string{file: src}})
		_, err := b.Load(randTable(rand.New(rand.NewPCG(1, 2)), 10, 2), false)
		if err == nil {
			t.Fatalf("broken %s: Load succeeded", file)
		}
		t.Log(err)
		msg := err.Error()
		if !strings.Contains(msg, file+":") || !strings.Contains(strings.ToLower(msg), "error") {
			t.Errorf("broken %s: error %q does not name the file in the driver's log", file, msg)
		}
	}
}

// TestNoContext runs Probe and New in a child process where no context
// can open, for each reason, and wants the one-line error that says so.
func TestNoContext(t *testing.T) {
	if os.Getenv("LSGD_GPU_CHILD") == "nocontext" {
		_, err := Probe()
		fmt.Printf("probe: %v\n", err)
		_, err = New(Options{})
		fmt.Printf("new: %v\n", err)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	const noEGL = "LSGD_EGL_LIBRARY=libEGL-lsgd-missing.so.1"
	cases := []struct{ env, want string }{
		{noEGL + " DISPLAY=", "gpu: no OpenGL 4.3 context: no EGL library (libEGL-lsgd-missing.so.1: cannot open shared object file"},
		{noEGL + " DISPLAY=", "; GLX (GLFW): no display (DISPLAY is not set)"},
		{"LSGD_DEVICE=glx DISPLAY=", "gpu: GLX (GLFW): no display (DISPLAY is not set)"},
		{"LSGD_DEVICE=glx DISPLAY=:4321", "gpu: GLX (GLFW): no display (GLFW cannot initialise"}, // no server listens there
		{"LSGD_DEVICE=17", "gpu: no EGL device 17 (EGL lists "},
	}
	if info, err := Probe(); err == nil && strings.Contains(info.Caps.Version, "Mesa") {
		// Mesa can be told to offer no more than OpenGL 4.2.
		cases = append(cases, struct{ env, want string }{"MESA_GL_VERSION_OVERRIDE=4.2 DISPLAY=", "gpu: no OpenGL 4.3 context: EGL device 0: OpenGL 4.2"},
			struct{ env, want string }{"MESA_GL_VERSION_OVERRIDE=4.2 LSGD_DEVICE=surfaceless", "gpu: EGL surfaceless: OpenGL 4.2"})
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoContext$", "-test.v")
		cmd.Env = append(os.Environ(), "LSGD_GPU_CHILD=nocontext")
		cmd.Env = append(cmd.Env, strings.Fields(c.env)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		for _, want := range []string{"probe: ", "new: "} {
			i := strings.Index(string(out), want)
			if i < 0 {
				t.Fatalf("%s: child output lacks %q:\n%s", c.env, want, out)
			}
			line, _, _ := strings.Cut(string(out[i+len(want):]), "\n")
			if !strings.Contains(line, c.want) {
				t.Errorf("%s: %s%s\nwant it to contain %q", c.env, want, line, c.want)
			}
		}
		t.Logf("%q:\n%s", c.env, out)
	}
}

func TestProbe(t *testing.T) {
	info, err := Probe()
	if err != nil {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatal(err)
		}
		if info.Auto != "cpu" || info.Reason == "" || strings.Contains(info.Reason, "\n") {
			t.Errorf("no context: Auto %q, Reason %q; want cpu and one line", info.Auto, info.Reason)
		}
		t.Skipf("no GL context: %v", err)
	}
	t.Logf("\n%s", info)
	if sel, _ := gldev.ParseDevice(os.Getenv("LSGD_DEVICE")); sel != gldev.SelectAuto && info.Caps.Selector != sel {
		t.Errorf("LSGD_DEVICE=%s opened %q (%s)", sel, info.Caps.Selector, info.Caps.Source)
	}
	want := "gpu"
	if info.Caps.Software {
		want = "cpu"
	}
	if info.Auto != want || info.Reason == "" || strings.Contains(info.Reason, "\n") {
		t.Errorf("Auto %q (%s); want %s and a one-line reason", info.Auto, info.Reason, want)
	}
}

// TestTimeGradient checks that the timer queries return a positive time
// for each repetition, no more than the wall-clock time of the call.
func TestTimeGradient(t *testing.T) {
	b := newBackendOrSkip(t)
	tab := randTable(rand.New(rand.NewPCG(5, 5)), 20000, 16)
	d, err := b.Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	c := tab.Cols
	theta := make([]float64, c+1)
	theta[tab.Target] = -1
	d.Init(theta, make([]float64, c+1), make([]float64, c+1))
	start := time.Now()
	secs, err := d.(*Data).TimeGradient(lsgd.Rows{Lo: 0, Hi: tab.Rows}, 5)
	wall := time.Since(start).Seconds()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, s := range secs {
		if !(s > 0) {
			t.Errorf("timer gave %v s", s)
		}
		sum += s
	}
	if sum > wall {
		t.Errorf("timed %v s in %v s of wall time", sum, wall)
	}
	t.Logf("gradient over %d×%d: %.3g ms per pass (%.3g GB/s), wall %.3g ms for 7 passes", tab.Rows, c,
		1e3*sum/5, float64(tab.Rows*4*((c+3)/4)*4)/(sum/5)/1e9, 1e3*wall)
	st, _ := d.Status()
	if st.Count != 0 {
		t.Errorf("TimeGradient added %d gradients to the status", st.Count)
	}
}

// TestEnvLimits checks that LSGD_GL_MAX_BLOCK_BYTES and LSGD_GL_MAX_GROUPS
// lower the limits the layout uses, and that a bad value is an error.
func TestEnvLimits(t *testing.T) {
	t.Setenv("LSGD_GL_MAX_BLOCK_BYTES", "8192")
	t.Setenv("LSGD_GL_MAX_GROUPS", "3")
	b := newBackendOrSkip(t)
	tab := randTable(rand.New(rand.NewPCG(6, 6)), 2000, 9)
	d, err := b.Load(tab, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	l := d.(*Data).l
	if l.blockBytes != 8192 || l.maxGroups != 3 || l.nchunks < 2 {
		t.Errorf("layout %+v: want 8192-byte blocks, 3 groups per dispatch, several buffers", l)
	}
	t.Setenv("LSGD_GL_MAX_BLOCK_BYTES", "lots")
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "LSGD_GL_MAX_BLOCK_BYTES") {
		t.Errorf("bad LSGD_GL_MAX_BLOCK_BYTES: error %v", err)
	}
}

// TestEnvKernel checks that LSGD_GL_KERNEL forces the gradient kernel
// (Options.Kernel wins over it) and that a bad value is an error.
func TestEnvKernel(t *testing.T) {
	tab := randTable(rand.New(rand.NewPCG(6, 7)), 100, 40)
	for _, c := range []struct {
		env  string
		opt  Options
		want kernel
	}{
		{"tiled", Options{}, kernelTiled},
		{"rows", Options{}, kernelRows},
		{"rows", Options{Kernel: "tiled"}, kernelTiled},
		{"auto", Options{}, kernelAuto}, // autoKernel's choice for the renderer
	} {
		t.Setenv("LSGD_GL_KERNEL", c.env)
		b := newBackendOrSkip(t, c.opt)
		d, err := b.Load(tab, false)
		if err != nil {
			t.Fatal(err)
		}
		want := c.want
		if want == kernelAuto {
			want = autoKernel((tab.Cols+3)/4, b.Caps().Software)
		}
		if got := d.(*Data).l.grad; got != want {
			t.Errorf("LSGD_GL_KERNEL=%s, %+v: %v kernel (%s), want %v", c.env, c.opt, got, d.(*Data).Kernel(), want)
		}
		d.Release()
	}
	t.Setenv("LSGD_GL_KERNEL", "fast")
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), `"fast"`) {
		t.Errorf("LSGD_GL_KERNEL=fast: error %v", err)
	}
}

// TestConcurrent uses two backends and their data from several
// goroutines at once (run with -race); each must get the results it gets
// alone.
func TestConcurrent(t *testing.T) {
	b1 := newBackendOrSkip(t)
	b2 := newBackendOrSkip(t, Options{MaxBlockBytes: 16 << 10})
	rng := rand.New(rand.NewPCG(8, 8))
	tab := randTable(rng, 1500, 7)
	c := tab.Cols
	theta, mask := make([]float64, c+1), make([]float64, c+1)
	for j := range theta {
		theta[j], mask[j] = rng.NormFloat64(), 1
	}
	run := func(b *Backend) ([]float64, error) {
		d, err := b.Load(tab, false)
		if err != nil {
			return nil, err
		}
		defer d.Release()
		d.Init(theta, mask, make([]float64, c+1))
		for i := 0; i < 20; i++ {
			if err := d.Gradient(lsgd.Theta, lsgd.Rows{Lo: 0, Hi: tab.Rows}); err != nil {
				return nil, err
			}
			if err := d.Step(lsgd.Step{Method: lsgd.Momentum, LR: 1e-3, Beta: 0.5}); err != nil {
				return nil, err
			}
		}
		v := make([]float64, c+1)
		return v, d.Vector(lsgd.Theta, v)
	}
	want := map[*Backend][]float64{}
	for _, b := range []*Backend{b1, b2} {
		v, err := run(b)
		if err != nil {
			t.Fatal(err)
		}
		want[b] = v
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		b := []*Backend{b1, b2}[g%2]
		go func() {
			v, err := run(b)
			if err == nil {
				for j := range v {
					if math.Float64bits(v[j]) != math.Float64bits(want[b][j]) {
						err = fmt.Errorf("θ[%d] = %v, alone %v", j, v[j], want[b][j])
						break
					}
				}
			}
			errs <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestReadBandwidth(t *testing.T) {
	b := newBackendOrSkip(t, Options{MaxBlockBytes: 8 << 20})
	gbps, err := b.ReadBandwidth(32 << 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: read bandwidth %.3g GB/s", b.Device(), gbps)
	if !(gbps > 0) || math.IsInf(gbps, 0) {
		t.Errorf("bandwidth %v GB/s", gbps)
	}
}

// TestOverflow: a value whose distance from its column's mean overflows
// float32 is an error naming the row and column; a column whose values are
// all beyond float32's range but close together loads (the float64 shift
// carries the offset).
func TestOverflow(t *testing.T) {
	b := newBackendOrSkip(t)
	tab := tableio.NewTable(4, 3, lsgd.F64)
	for i := 0; i < 4; i++ {
		tab.Set(i, 0, float64(i))
		tab.Set(i, 1, 0x1p130+float64(i)*0x1p80) // 1.4e39 + i·1.2e24, exact in float64
		tab.Set(i, 2, float64(i*i))
	}
	p := loadPair(t, b, tab)
	for _, center := range []bool{true, false} {
		rm, rs, _ := p.ref.Moments(center)
		gm, gs, err := p.gpu.Moments(center)
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "offset column mean", gm, rm, rs, 1e-300, f32Rel)
		checkClose(t, "offset column scale", gs, rs, nil, 1e-300, f32Rel)
	}
	tab.Set(3, 1, -1e39)
	tab.Source = "big.csv"
	if _, err := b.Load(tab, false); err == nil || !strings.Contains(err.Error(), "overflows float32") || !strings.Contains(err.Error(), "big.csv") {
		t.Errorf("spread 2e39: error %v; want an overflow error naming big.csv", err)
	} else {
		t.Log(err)
	}
}
