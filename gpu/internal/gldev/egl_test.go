//go:build cgo && unix

package gldev

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// openSelOrSkip opens the context a selector names, skipping (or failing
// under LSGD_REQUIRE_GPU=1) when there is none.
func openSelOrSkip(t *testing.T, sel string) *Device {
	t.Helper()
	d, err := Open(Options{Device: sel})
	if err != nil {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatalf("LSGD_REQUIRE_GPU=1 but no GL context for device %q: %v", sel, err)
		}
		t.Skipf("no GL context for device %q: %v", sel, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// squareProgram is a compute shader v[i] = a·v[i]² in double precision.
var squareProgram = []Source{{"sq.comp", `#version 430
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer B { double v[]; };
uniform uint n;
uniform double a;
void main() {
	uint i = gl_GlobalInvocationID.x;
	if (i < n) v[i] = a * v[i] * v[i];
}
`}}

// checkSquare runs squareProgram on d over 100 values and compares every
// result with the same product computed here in float64 (exact agreement:
// one product of doubles, rounded once each way).
func checkSquare(t *testing.T, d *Device, a float64) {
	t.Helper()
	err := d.Do(func(c *Ctx) error {
		p, err := c.NewProgram("sq.comp", squareProgram)
		if err != nil {
			return err
		}
		defer c.ReleaseProgram(p)
		in := make([]float64, 100)
		for i := range in {
			in[i] = float64(i) + 0.1
		}
		b, err := c.NewBuffer("v", 800)
		if err != nil {
			return err
		}
		defer c.Release(b)
		Upload(c, b, 0, in)
		c.SetUint(p, "n", 100)
		c.SetDouble(p, "a", a)
		c.Bind(0, b)
		c.Dispatch(p, 2, 1, 1)
		c.Barrier()
		out := make([]float64, 100)
		Download(c, b, 0, out)
		for i := range out {
			if want := a * in[i] * in[i]; out[i] != want {
				t.Errorf("%s: v[%d] = %v, want %v", d.Caps().Source, i, out[i], want)
			}
		}
		return c.Err()
	})
	if err != nil {
		t.Fatalf("%s: %v", d.Caps().Source, err)
	}
}

// TestEGLSources opens the first EGL device and Mesa's surfaceless
// platform side by side and runs a kernel on each in turn, so switching
// the current context between two EGL displays is exercised too.
func TestEGLSources(t *testing.T) {
	if _, err := List0(); err != nil {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dev := openSelOrSkip(t, "0")
	if c := dev.Caps(); c.Source != "EGL device 0" || c.Selector != "0" {
		t.Errorf("device 0: Source %q, Selector %q", c.Source, c.Selector)
	}
	devices := []*Device{dev}
	if has, _ := surfacelessListed(); has {
		sl := openSelOrSkip(t, SelectSurfaceless)
		if c := sl.Caps(); c.Source != "EGL surfaceless" || c.Selector != SelectSurfaceless {
			t.Errorf("surfaceless: Source %q, Selector %q", c.Source, c.Selector)
		}
		devices = append(devices, sl)
	}
	for round := 0; round < 2; round++ {
		for k, d := range devices {
			checkSquare(t, d, float64(round*2+k)+1.0/3)
		}
	}
}

// List0 returns the EGL device list's length, or why there is none.
func List0() (int, error) {
	var n int
	var err error
	onThread(func() {
		var devs []eglDeviceInfo
		devs, err = eglDevices()
		n = len(devs)
	})
	return n, err
}

func surfacelessListed() (bool, error) {
	var ok bool
	var err error
	onThread(func() {
		err = loadEGL()
		ok = err == nil && egl.clientExts[surfacelessExt]
	})
	return ok, err
}

// TestGLX keeps the GLFW path alive: a hidden window's context on the X
// display, used beside an EGL context. It needs an X server (.ci/test.sh
// runs it under xvfb-run); without DISPLAY it is skipped, even with
// LSGD_REQUIRE_GPU=1, since the other GPU tests need no display.
func TestGLX(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Skip("DISPLAY is not set (.ci/test.sh runs this test under xvfb-run)")
	}
	d := openSelOrSkip(t, SelectGLX)
	if c := d.Caps(); c.Source != glxSource || c.Selector != SelectGLX {
		t.Errorf("glx: Source %q, Selector %q", c.Source, c.Selector)
	}
	checkSquare(t, d, 0.3)
	if n, err := List0(); err == nil && n > 0 {
		e := openSelOrSkip(t, "0")
		checkSquare(t, e, 0.7)
		checkSquare(t, d, 1.7) // back to GLX after EGL
	}
}

func TestParseDevice(t *testing.T) {
	for in, want := range map[string]string{
		"": "auto", "auto": "auto", " AUTO ": "auto", "0": "0", "12": "12", "007": "7",
		"surfaceless": "surfaceless", "GLX": "glx",
	} {
		got, err := ParseDevice(in)
		if err != nil || got != want {
			t.Errorf("ParseDevice(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "gpu", "1.5", "cuda:0"} {
		if got, err := ParseDevice(in); err == nil {
			t.Errorf("ParseDevice(%q) = %q, want an error", in, got)
		}
	}
}

// TestDeviceSelection: the environment variable chooses when
// Options.Device is empty, and Options.Device wins over it.
func TestDeviceSelection(t *testing.T) {
	t.Setenv(EnvDevice, "bogus")
	_, err := Open(Options{})
	if err == nil || !strings.Contains(err.Error(), `LSGD_DEVICE="bogus"`) {
		t.Errorf("Open with LSGD_DEVICE=bogus: %v, want an error naming the variable", err)
	}
	n, lerr := List0()
	if lerr != nil {
		t.Skipf("no EGL devices: %v", lerr)
	}
	t.Setenv(EnvDevice, "99")
	_, err = Open(Options{})
	if want := "no EGL device 99 (EGL lists "; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open with LSGD_DEVICE=99 (of %d devices): %v, want %q", n, err, want)
	}
	d := openSelOrSkip(t, "0") // the option wins over LSGD_DEVICE=99
	if d.Caps().Selector != "0" {
		t.Errorf("opened %q, want device 0", d.Caps().Selector)
	}
}

func TestNoEGLLibrary(t *testing.T) {
	_, err := openLibrary([]string{"libEGL-lsgd-missing.so.1", "libEGL-lsgd-missing.so"})
	want := "gpu: no EGL library (libEGL-lsgd-missing.so.1: cannot open shared object file"
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("openLibrary of a missing library: %v, want one line starting %q", err, want)
	}
}

// TestBelowGL43 makes Mesa offer OpenGL 3.3 at most
// (MESA_GL_VERSION_OVERRIDE, in a child process) and wants the one-line
// reason to name that version. Other drivers ignore the variable, so the
// test runs only where device 0 is Mesa.
func TestBelowGL43(t *testing.T) {
	if os.Getenv("LSGD_TEST_OPEN_CHILD") == "1" {
		_, err := Open(Options{Device: "0"})
		if err == nil {
			os.Stdout.WriteString("opened\n")
			os.Exit(0)
		}
		os.Stdout.WriteString(err.Error() + "\n")
		os.Exit(0)
	}
	d := openSelOrSkip(t, "0")
	if !strings.Contains(d.Caps().Version, "Mesa") {
		t.Skipf("device 0 is not Mesa (%s)", d.Caps().Version)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBelowGL43$")
	cmd.Env = append(os.Environ(), "LSGD_TEST_OPEN_CHILD=1", "MESA_GL_VERSION_OVERRIDE=3.3", "LSGD_DEVICE=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	t.Log(got)
	want := "gpu: EGL device 0: OpenGL 3.3"
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "is below the OpenGL 4.3 lsgd needs") {
		t.Errorf("open with GL 3.3: %q, want %q … is below the OpenGL 4.3 lsgd needs", got, want)
	}
}

// TestList: every entry has either capabilities of a context at least
// 4.3 with compute, or a one-line reason; device numbers run 0, 1, ….
func TestList(t *testing.T) {
	es := List()
	next := 0
	for _, e := range es {
		t.Log(e.Selector, "|", e.Describe())
		if strings.Contains(e.Describe(), "\n") {
			t.Errorf("%s: description spans lines: %q", e.Source, e.Describe())
		}
		if strings.HasPrefix(e.Source, "EGL device") {
			if e.Selector != strconv.Itoa(next) {
				t.Errorf("%s has selector %q, want %d", e.Source, e.Selector, next)
			}
			next++
		}
		if e.Err == nil && (e.Caps.Major*10+e.Caps.Minor < 43 || !e.Caps.Compute || e.Caps.Renderer == "") {
			t.Errorf("%s: listed as usable with %+v", e.Source, e.Caps)
		}
	}
	if es[len(es)-1].Selector != SelectGLX {
		t.Errorf("last entry %q, want GLX", es[len(es)-1].Source)
	}
	if n, err := List0(); err == nil && next != n {
		t.Errorf("List shows %d EGL devices, EGL lists %d", next, n)
	}
}
