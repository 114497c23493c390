//go:build cgo

// Package gpu is lsgd's backend on OpenGL 4.3 compute shaders.
//
// All GL work runs on one OS thread owned by gpu/internal/gldev, the only
// package that imports go-gl; the Backend and its Data may be used from
// any goroutine (one call at a time per Data). The table is uploaded once,
// in float32 by default, each column shifted by its float64 mean so that
// columns with large offsets keep their digits (the shift is invisible to
// callers). Every row kernel reads each row once; reductions are
// fixed-order trees, double across work groups, so a computation gives the
// same bits every run. See README.md for the kernels and error bounds.
package gpu

import (
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/gpu/internal/gldev"
	"github.com/lsgd/lsgd/shaders"
)

// Caps are the capabilities of an OpenGL device, read once.
type Caps = gldev.Caps

// Options configures the GPU backend. The zero value is the default:
// float32 storage and the device's own limits.
type Options struct {
	// F64 stores the table and accumulates in float64 (default float32).
	F64 bool

	// Device chooses the OpenGL context: "auto" (the first hardware EGL
	// device, falling back to a software one, Mesa's surfaceless platform
	// or GLX), an EGL device number as "lsgd devices" lists it,
	// "surfaceless" or "glx". Empty means the environment variable
	// LSGD_DEVICE, and auto when that is unset too.
	Device string

	// MaxBlockBytes, when positive, lowers the largest shader storage
	// block the backend uses below the device's
	// MAX_SHADER_STORAGE_BLOCK_SIZE, so tests can exercise the split into
	// several buffers with small data. When zero, the environment variable
	// LSGD_GL_MAX_BLOCK_BYTES is used if set.
	MaxBlockBytes int64
	// Memory is the device memory a table may take: a larger one is
	// streamed through a ring of 2·nx buffers of the resident layout,
	// uploaded on every pass (see stream.go), with the resident path's
	// results, bit for bit. Zero: the environment variable LSGD_GL_MEMORY
	// (a size such as 2G) if set, else 3/4 of the free memory the driver
	// reports (NVX_gpu_memory_info, ATI_meminfo); none reported: resident.
	Memory int64
	// MaxGroups, when positive, lowers the work groups per dispatch below
	// MAX_COMPUTE_WORK_GROUP_COUNT (environment: LSGD_GL_MAX_GROUPS).
	MaxGroups int
	// WorkGroupSize (a power of two) and RowsPerInvocation override the
	// launch shape of the row kernels; zero chooses from the device limits.
	WorkGroupSize     int
	RowsPerInvocation int
	// MaxBound, when positive, lowers the number of table buffers (1…4)
	// the gradient kernel binds at once.
	MaxBound int

	// Kernel forces a variant of the gradient kernel: "rows" (grad.comp,
	// whole rows per invocation in registers) or "tiled" (gradtile.comp,
	// tiles of rows staged in shared memory with coalesced loads). Empty
	// or "auto" chooses from the table's width and the renderer (see
	// README.md); the environment variable LSGD_GL_KERNEL is used when
	// empty. A forced "tiled" that does not fit the shared memory is a
	// Load error.
	Kernel string
	// TileRows (a power of two: WorkGroupSize, or its half or quarter)
	// and TilesPerGroup override the tiled kernel's shape; zero chooses.
	TileRows      int
	TilesPerGroup int
	kernel        kernel

	// Shaders replaces the embedded source of the named files
	// ("grad.comp", "common.glsl"), for tests of the error paths.
	Shaders map[string]string
}

func (o *Options) fromEnv() error {
	if o.MaxBlockBytes == 0 {
		if s := os.Getenv("LSGD_GL_MAX_BLOCK_BYTES"); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v <= 0 {
				return fmt.Errorf("gpu: LSGD_GL_MAX_BLOCK_BYTES=%q is not a positive byte count", s)
			}
			o.MaxBlockBytes = v
		}
	}
	if o.Kernel == "" {
		o.Kernel = os.Getenv("LSGD_GL_KERNEL")
	}
	k, err := parseKernel(o.Kernel)
	if o.Kernel == "" {
		k, err = kernelAuto, nil
	}
	if err != nil {
		return err
	}
	o.kernel = k
	if o.MaxGroups == 0 {
		if s := os.Getenv("LSGD_GL_MAX_GROUPS"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil || v <= 0 {
				return fmt.Errorf("gpu: LSGD_GL_MAX_GROUPS=%q is not a positive count", s)
			}
			o.MaxGroups = v
		}
	}
	return nil
}

// Backend is the OpenGL compute backend. It implements lsgd.Backend.
type Backend struct {
	opt   Options
	dev   *gldev.Device
	caps  Caps
	progs map[string]*gldev.Program // by name and header; GL thread only
}

var _ lsgd.Backend = (*Backend)(nil)

// New opens an OpenGL 4.3 core context (from EGL, or a hidden GLFW window
// on an X display) as opt.Device chooses. It fails with one line when
// there is no EGL library or device, no 4.3 context, no compute shaders or
// no double precision in shaders.
func New(opt Options) (*Backend, error) {
	if err := opt.fromEnv(); err != nil {
		return nil, err
	}
	dev, err := gldev.Open(gldev.Options{Device: opt.Device})
	if err != nil {
		return nil, err
	}
	b := &Backend{opt: opt, dev: dev, caps: dev.Caps(), progs: map[string]*gldev.Program{}}
	if !b.caps.FP64 {
		dev.Close()
		return nil, fmt.Errorf("gpu: %s (GLSL %s) has no double precision in shaders", b.caps.Renderer, b.caps.GLSL)
	}
	return b, nil
}

// Name is "gpu".
func (b *Backend) Name() string { return "gpu" }

// Device names the renderer and the OpenGL version.
func (b *Backend) Device() string {
	s := fmt.Sprintf("%s, OpenGL %s", b.caps.Renderer, b.caps.Version)
	if b.caps.Software {
		s += " (software renderer)"
	}
	return s
}

// Precision is F32 unless Options.F64.
func (b *Backend) Precision() lsgd.Precision {
	if b.opt.F64 {
		return lsgd.F64
	}
	return lsgd.F32
}

// DeviceCaps returns the GL device's capabilities.
func (b *Backend) DeviceCaps() Caps { return b.caps }

// Caps implements lsgd.Backend.Caps: columns are stored centred, and the
// device's read bandwidth can be probed.
func (b *Backend) Caps() lsgd.Caps {
	return lsgd.Caps{CenteredStorage: true, Software: b.caps.Software, ReadBandwidth: b.ReadBandwidth}
}

// Close destroys the context and every Data loaded on it.
func (b *Backend) Close() error { return b.dev.Close() }

// source returns the text of a shader file, or its override.
func (b *Backend) source(name string) (string, error) {
	if s, ok := b.opt.Shaders[name]; ok {
		return s, nil
	}
	t, err := fs.ReadFile(shaders.FS, name)
	if err != nil {
		return "", fmt.Errorf("gpu: shader %s: %v", name, err)
	}
	return string(t), nil
}

// def is one #define of a kernel's header.
type def struct {
	name string
	val  int
}

// program compiles (or finds) kernel name specialised by defs. GL thread
// only.
func (b *Backend) program(c *gldev.Ctx, name string, f64 bool, defs ...def) (*gldev.Program, error) {
	var h strings.Builder
	h.WriteString("#version 430\n")
	if f64 {
		h.WriteString("#define F64 1\n")
	}
	for _, d := range defs {
		fmt.Fprintf(&h, "#define %s %d\n", d.name, d.val)
	}
	key := name + "\n" + h.String()
	if p, ok := b.progs[key]; ok {
		return p, nil
	}
	common, err := b.source("common.glsl")
	if err != nil {
		return nil, err
	}
	main, err := b.source(name)
	if err != nil {
		return nil, err
	}
	p, err := c.NewProgram(name, []gldev.Source{
		{Name: "header", Text: h.String()},
		{Name: "common.glsl", Text: common},
		{Name: name, Text: main},
	})
	if err != nil {
		return nil, err
	}
	b.progs[key] = p
	return p, nil
}
