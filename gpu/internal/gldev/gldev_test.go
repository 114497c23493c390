//go:build cgo

package gldev

import (
	"os"
	"strings"
	"testing"
)

func openOrSkip(t *testing.T) *Device {
	t.Helper()
	d, err := Open(Options{})
	if err != nil {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatalf("LSGD_REQUIRE_GPU=1 but no GL context: %v", err)
		}
		t.Skipf("no GL context: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestCaps(t *testing.T) {
	d := openOrSkip(t)
	c := d.Caps()
	t.Logf("%+v", c)
	if !c.Compute || c.MaxBlockBytes < 16<<20 || c.MaxGroupCount[0] < 65535 || c.MaxInvocations < 1024 || c.SharedBytes < 32<<10 {
		t.Errorf("caps below the GL 4.3 minimums: %+v", c)
	}
	if IsSoftware(c.Renderer) != c.Software {
		t.Errorf("Software = %v for %q", c.Software, c.Renderer)
	}
}

func TestIsSoftware(t *testing.T) {
	for r, want := range map[string]bool{
		"llvmpipe (LLVM 15.0.6, 256 bits)": true,
		"softpipe":                         true,
		"Google SwiftShader":               true,
		"NVIDIA H200/PCIe/SSE2":            false,
		"AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 15.0.7, DRM 3.54)": false,
	} {
		if IsSoftware(r) != want {
			t.Errorf("IsSoftware(%q) = %v, want %v", r, !want, want)
		}
	}
}

// TestOutOfMemory asks for far more memory than any device has and wants
// a clean error naming the size.
func TestOutOfMemory(t *testing.T) {
	d := openOrSkip(t)
	const huge = int64(1) << 46 // 64 TiB
	err := d.Do(func(c *Ctx) error {
		b, err := c.NewBuffer("test matrix", huge)
		if err == nil {
			c.Release(b)
		}
		return err
	})
	if err == nil {
		t.Fatal("allocating 64 TiB succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "70368744177664 bytes") || !strings.Contains(err.Error(), "test matrix") {
		t.Errorf("error %q does not name the buffer and the size", err)
	}
	// The device is still usable afterwards.
	err = d.Do(func(c *Ctx) error {
		b, err := c.NewBuffer("small", 64)
		if err != nil {
			return err
		}
		Upload(c, b, 0, []float32{1, 2, 3})
		got := make([]float32, 3)
		Download(c, b, 0, got)
		if got[2] != 3 {
			t.Errorf("round trip gave %v", got)
		}
		c.Release(b)
		return c.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCompileError(t *testing.T) {
	d := openOrSkip(t)
	srcs := []Source{
		{"header", "#version 430\n#define N 4\n"},
		{"lib.glsl", "float twice(float x) { return 2.0 * x; }\n"},
		{"broken.comp", "layout(local_size_x = 1) in;\nvoid main() {\n  float y = twice(1.0)\n}\n"},
	}
	err := d.Do(func(c *Ctx) error {
		_, err := c.NewProgram("broken.comp", srcs)
		return err
	})
	if err == nil {
		t.Fatal("compiling a broken shader succeeded")
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "broken.comp") || !strings.Contains(err.Error(), "broken.comp:") {
		t.Errorf("error %q does not name the shader in the log", err)
	}
}

func TestDispatch(t *testing.T) {
	d := openOrSkip(t)
	srcs := []Source{{"sq.comp", `#version 430
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer B { double v[]; };
uniform uint n;
uniform double a;
void main() {
	uint i = gl_GlobalInvocationID.x;
	if (i < n) v[i] = a * v[i] * v[i];
}
`}}
	err := d.Do(func(c *Ctx) error {
		p, err := c.NewProgram("sq.comp", srcs)
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
		c.SetDouble(p, "a", 1.0/3)
		c.Bind(0, b)
		tm := c.NewTimer()
		c.Begin(tm)
		c.Dispatch(p, 2, 1, 1)
		c.End(tm)
		c.Barrier()
		out := make([]float64, 100)
		Download(c, b, 0, out)
		t.Logf("dispatch took %d ns", c.Elapsed(tm))
		for i := range out {
			if want := 1.0 / 3 * in[i] * in[i]; out[i] != want {
				t.Errorf("v[%d] = %v, want %v", i, out[i], want)
			}
		}
		return c.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}
