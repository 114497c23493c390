//go:build cgo

package gpu

import (
	"fmt"
	"strings"

	"github.com/lsgd/lsgd/gpu/internal/gldev"
)

// Info is what Probe found: the device's capabilities, or why there is
// none, and what "--backend auto" chooses.
type Info struct {
	// OK is set when an OpenGL 4.3 context with compute shaders opened.
	OK   bool
	Caps Caps
	// Auto is the backend "--backend auto" chooses: "gpu" or "cpu".
	Auto string
	// Reason says in one line why Auto was chosen.
	Reason string
}

// Probe opens a context, reads its capabilities and closes it again. The
// error, one line, is set when no usable context opened (no display, no
// 4.3 core context, no compute shaders); Info.Auto and Info.Reason are set
// either way. A software renderer (llvmpipe, softpipe, SwiftShader) works
// but counts as no GPU for auto.
func Probe() (Info, error) { return ProbeDevice("") }

// ProbeDevice is Probe on the device a selector chooses (see
// Options.Device; "" is LSGD_DEVICE, else auto).
func ProbeDevice(device string) (Info, error) {
	dev, err := gldev.Open(gldev.Options{Device: device})
	if err != nil {
		return Info{Auto: "cpu", Reason: err.Error()}, err
	}
	defer dev.Close()
	info := Info{OK: true, Caps: dev.Caps()}
	useGPU, reason := AutoChoice(info.Caps)
	info.Auto, info.Reason = "cpu", reason
	if useGPU {
		info.Auto = "gpu"
	}
	if !info.Caps.FP64 {
		return info, fmt.Errorf("gpu: %s", info.Reason)
	}
	return info, nil
}

// AutoChoice says whether a device with capabilities c is worth using
// when the caller lets lsgd choose, and why, in one line: only a hardware
// renderer with double precision in its shaders is.
func AutoChoice(c Caps) (useGPU bool, reason string) {
	switch {
	case !c.FP64:
		return false, fmt.Sprintf("%s has no double precision in shaders", c.Renderer)
	case c.Software:
		return false, fmt.Sprintf("%s is a software renderer (no GPU)", c.Renderer)
	}
	return true, fmt.Sprintf("%s, OpenGL %s, has compute shaders", c.Renderer, c.Version)
}

// String describes the device in a few lines, for "lsgd devices".
func (i Info) String() string {
	if !i.OK {
		return fmt.Sprintf("gpu: none (%s)\nauto: %s", i.Reason, i.Auto)
	}
	c := &i.Caps
	var b strings.Builder
	fmt.Fprintf(&b, "gpu: %s (%s), OpenGL %s, GLSL %s, from %s\n", c.Renderer, c.Vendor, c.Version, c.GLSL, c.Source)
	fmt.Fprintf(&b, "  compute: yes, fp64: %v, software renderer: %v\n", yesNo(c.FP64), yesNo(c.Software))
	fmt.Fprintf(&b, "  storage block: %s, work groups: %v per dispatch, %v per group (%d invocations), shared memory: %s\n",
		gldev.Bytes(c.MaxBlockBytes), c.MaxGroupCount, c.MaxGroupSize, c.MaxInvocations, gldev.Bytes(int64(c.SharedBytes)))
	if m := c.Memory(); m != "" {
		fmt.Fprintf(&b, "  memory: %s\n", m)
	}
	fmt.Fprintf(&b, "auto: %s (%s)", i.Auto, i.Reason)
	return b.String()
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// Device is one place an OpenGL context can come from, as Devices found
// it: Selector is the Options.Device value that opens it ("0",
// "surfaceless", "glx"; empty for a line that only says why EGL gave no
// devices), Line describes it in one line, and Err says why it gave no
// usable context (Why: the same without the prefixes).
type Device struct {
	Selector, Source, Line, Why string
	Caps                        Caps
	Err                         error
}

// Devices opens a context on every EGL device, on Mesa's surfaceless
// platform and through GLX in turn, and says what each is or why it failed.
func Devices() []Device {
	var out []Device
	for _, e := range gldev.List() {
		out = append(out, Device{Selector: e.Selector, Source: e.Source, Line: e.Describe(), Why: e.Why(), Caps: e.Caps, Err: e.Err})
	}
	return out
}

// ParseDevice checks a device selector (auto, a number, surfaceless, glx).
func ParseDevice(s string) (string, error) { return gldev.ParseDevice(s) }
