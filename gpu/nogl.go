//go:build !cgo

// This file is the whole package in a build without cgo (CGO_ENABLED=0,
// cross-compilation): OpenGL and GLFW need cgo, so there is no GPU backend,
// and Probe and New say so in one line; the command falls back to the CPU.

package gpu

import (
	"errors"
	"fmt"

	"github.com/lsgd/lsgd"
)

var errNoCgo = errors.New("gpu: this lsgd was built without cgo, so it has no OpenGL backend (rebuild with CGO_ENABLED=1)")

// Caps are the capabilities of a GL device (none in this build).
type Caps struct {
	Source, Selector                string
	Vendor, Renderer, Version, GLSL string
	Compute, FP64, Software         bool
	MemoryBytes, FreeMemoryBytes    int64
}

// Info is what Probe found.
type Info struct {
	OK     bool
	Caps   Caps
	Auto   string
	Reason string
}

// String describes the probe for lsgd devices.
func (i Info) String() string { return fmt.Sprintf("gpu: none (%s)\nauto: %s", i.Reason, i.Auto) }

// Options configure the GPU backend.
type Options struct {
	F64    bool
	Device string
	Memory int64
}

// Backend is never constructed in this build.
type Backend struct{}

var _ lsgd.Backend = (*Backend)(nil)

// Probe reports that this build has no GPU backend.
func Probe() (Info, error) {
	return Info{Auto: "cpu", Reason: errNoCgo.Error()}, errNoCgo
}

// ProbeDevice reports that this build has no GPU backend.
func ProbeDevice(string) (Info, error) { return Probe() }

// Device is one place an OpenGL context can come from.
type Device struct {
	Selector, Source, Line, Why string
	Caps                        Caps
	Err                         error
}

// Devices reports one line: this build has no GPU backend.
func Devices() []Device {
	why := errNoCgo.Error()[len("gpu: "):]
	return []Device{{Source: "OpenGL", Line: "OpenGL: none (" + why + ")", Why: why, Err: errNoCgo}}
}

// ParseDevice accepts any selector: there is nothing to choose from.
func ParseDevice(s string) (string, error) { return s, nil }

// New reports that this build has no GPU backend.
func New(Options) (*Backend, error) { return nil, errNoCgo }

func (*Backend) Name() string                              { return "gpu" }
func (*Backend) Device() string                            { return "none" }
func (*Backend) Precision() lsgd.Precision                 { return lsgd.F32 }
func (*Backend) Load(*lsgd.Table, bool) (lsgd.Data, error) { return nil, errNoCgo }
func (*Backend) Close() error                              { return nil }
func (*Backend) Caps() lsgd.Caps                           { return lsgd.Caps{} }
func (*Backend) DeviceCaps() Caps                          { return Caps{} }

// AutoChoice says that this build has no GPU to choose.
func AutoChoice(Caps) (useGPU bool, reason string) { return false, errNoCgo.Error() }
