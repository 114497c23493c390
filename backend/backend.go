// Package backend opens an lsgd.Backend by kind and precision, and says
// why it chose what it chose. It is the one place that knows every backend
// and decides between them: the command's --backend flag lists Kinds, and
// a new backend is a new Kind here.
//
// Auto opens the GL device once and keeps it when it is a hardware GPU
// with double precision in its shaders; a software renderer such as
// llvmpipe counts as no GPU (it is correct but slow), and anything else
// falls back to the CPU with the reason in one line.
package backend

import (
	"fmt"
	"strings"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/gpu"
)

// Kind names a backend as --backend spells it.
type Kind string

// The kinds.
const (
	Auto Kind = "auto" // a hardware GPU when one answers, else the CPU
	CPU  Kind = "cpu"  // the fast multi-core CPU path
	GPU  Kind = "gpu"  // the OpenGL 4.3 compute device, software renderers included
)

// Kinds lists every kind, Auto first.
var Kinds = []Kind{Auto, CPU, GPU}

// ParseKind checks a kind's name (case-insensitive).
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if strings.EqualFold(s, string(k)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("backend: unknown kind %q (want auto, cpu or gpu)", s)
}

// Precision asks for a storage precision: Default is each backend's own
// (float64 on the CPU, float32 on the GPU).
type Precision int

// The precisions a caller can ask for.
const (
	Default Precision = iota
	F64
	F32
)

// Of returns the request for p: F64 or F32.
func Of(p lsgd.Precision) Precision {
	if p == lsgd.F32 {
		return F32
	}
	return F64
}

// Or returns the precision asked for, or def for Default.
func (p Precision) Or(def lsgd.Precision) lsgd.Precision {
	switch p {
	case F64:
		return lsgd.F64
	case F32:
		return lsgd.F32
	}
	return def
}

// Options are the settings that are not the kind or the precision.
type Options struct {
	Threads int // CPU worker goroutines (0: all cores)
	// Device picks the GL device: "auto" or "" (the LSGD_DEVICE
	// variable, else the first hardware device), an EGL device number as
	// gpu.Devices lists them, "surfaceless" or "glx".
	Device string
	// GPUMemory is the device memory a table may take resident on the
	// GPU (gpu.Options.Memory; 0: LSGD_GL_MEMORY, else 3/4 of the free
	// memory the driver reports); a larger table is streamed.
	GPUMemory int64
}

// Open opens a backend of the given kind and precision. why says in one
// line what was opened and, for Auto, why: the GPU's name, or why the CPU
// was chosen instead (no display, no OpenGL 4.3 context, no double
// precision in shaders, a software renderer, a failed start). An error is
// returned only when the kind asked for cannot be opened: GPU without a GL
// device, or an unknown kind.
func Open(kind Kind, prec Precision, o Options) (b lsgd.Backend, why string, err error) {
	switch kind {
	case CPU:
		c := openCPU(prec, o)
		return c, c.Device(), nil
	case GPU:
		g, err := gpu.New(gpu.Options{F64: prec == F64, Device: o.Device, Memory: o.GPUMemory})
		if err != nil {
			return nil, "", err
		}
		return g, g.Device(), nil
	case Auto, "":
		g, err := gpu.New(gpu.Options{F64: prec == F64, Device: o.Device, Memory: o.GPUMemory})
		if err != nil {
			return openCPU(prec, o), strings.TrimPrefix(err.Error(), "gpu: "), nil
		}
		c := g.DeviceCaps()
		useGPU, reason := gpu.AutoChoice(c)
		if !useGPU {
			g.Close()
			return openCPU(prec, o), reason, nil
		}
		return g, reason, nil
	}
	return nil, "", fmt.Errorf("backend: unknown kind %q (want auto, cpu or gpu)", kind)
}

func openCPU(prec Precision, o Options) lsgd.Backend {
	return cpu.New(cpu.Options{Precision: prec.Or(lsgd.F64), Threads: o.Threads})
}
