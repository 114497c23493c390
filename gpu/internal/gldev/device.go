//go:build cgo

// Package gldev is lsgd's narrow OpenGL 4.3 compute device: the only
// package that imports go-gl. It owns the GL thread (see onThread), reads
// the device's capabilities once, and offers buffers, compute programs,
// dispatches, barriers and timer queries through a Ctx that is valid only
// inside Device.Do.
package gldev

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// Caps are the capabilities of a device, read once when it is opened.
type Caps struct {
	// Source says where the context came from: "EGL device 0", "EGL
	// surfaceless" or "GLX (GLFW)"; Selector is the Options.Device value
	// that opens it again ("0", "surfaceless", "glx").
	Source, Selector string

	Vendor, Renderer, Version, GLSL string
	Major, Minor                    int // context version
	GLSLMajor, GLSLMinor            int

	Compute bool // compute shaders (GL 4.3 or ARB_compute_shader)
	FP64    bool // double precision in shaders (GLSL 4.00 or ARB_gpu_shader_fp64)

	MaxBlockBytes    int64  // MAX_SHADER_STORAGE_BLOCK_SIZE
	MaxGroupCount    [3]int // MAX_COMPUTE_WORK_GROUP_COUNT
	MaxGroupSize     [3]int // MAX_COMPUTE_WORK_GROUP_SIZE
	MaxInvocations   int    // MAX_COMPUTE_WORK_GROUP_INVOCATIONS
	SharedBytes      int    // MAX_COMPUTE_SHARED_MEMORY_SIZE
	MaxStorageBlocks int    // MAX_COMPUTE_SHADER_STORAGE_BLOCKS
	MaxBindings      int    // MAX_SHADER_STORAGE_BUFFER_BINDINGS
	OffsetAlign      int    // SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT
	TimerBits        int    // QUERY_COUNTER_BITS of TIME_ELAPSED (0: no timer)
	MemoryBytes      int64  // dedicated video memory where the driver tells (NVX_gpu_memory_info), else 0
	FreeMemoryBytes  int64  // free video memory when opened (NVX_gpu_memory_info, ATI_meminfo), else 0

	// Software is set for renderers that run on the CPU (llvmpipe,
	// softpipe, SwiftShader, swrast).
	Software bool
}

// softwareRenderers are substrings (lower case) of GL_RENDERER strings of
// CPU rasterizers.
var softwareRenderers = []string{"llvmpipe", "softpipe", "swiftshader", "swrast", "software rasterizer", "microsoft basic render"}

// IsSoftware reports whether a GL_RENDERER string names a software
// renderer.
func IsSoftware(renderer string) bool {
	r := strings.ToLower(renderer)
	for _, s := range softwareRenderers {
		if strings.Contains(r, s) {
			return true
		}
	}
	return false
}

// Device is one OpenGL 4.3 core context, from EGL (a device, or Mesa's
// surfaceless platform) or from a hidden GLFW window on an X display. Its
// methods may be called from any goroutine; the GL work runs on the GL
// thread, one closure at a time.
type Device struct {
	ctx    glContext
	caps   Caps
	gctx   Ctx
	closed bool
}

// glContext is a GL context of one of the platforms (GL thread only).
type glContext interface {
	makeCurrent() bool
	release() // leaves no context current
	destroy()
	// loader names the proc-address function: contexts with the same
	// loader share go-gl's function pointers.
	loader() string
	procAddr(name string) unsafe.Pointer
}

var (
	current  *Device // the device whose context is current (GL thread only)
	glLoader string  // the loader go-gl's function pointers came from
)

// Options choose the context Open makes.
type Options struct {
	// Device selects where the context comes from:
	//
	//	"auto"         the first hardware EGL device; else (only software
	//	               ones, or none usable) the first EGL device that
	//	               opens, Mesa's surfaceless platform when no EGL device
	//	               opens, or GLX on the X display (DISPLAY) — GLX also
	//	               when it gives hardware where EGL gave only software
	//	"0", "1", …    that EGL device (numbered as eglQueryDevicesEXT lists them)
	//	"surfaceless"  Mesa's surfaceless EGL platform
	//	"glx"          a hidden GLFW window on the X display
	//
	// Empty means the environment variable LSGD_DEVICE, and "auto" when
	// that is unset too.
	Device string
}

// EnvDevice is the environment variable that chooses the device when
// Options.Device is empty.
const EnvDevice = "LSGD_DEVICE"

// Selectors of Options.Device other than device numbers.
const (
	SelectAuto        = "auto"
	SelectSurfaceless = "surfaceless"
	SelectGLX         = "glx"
)

// ParseDevice checks a device selector and returns it normalised
// (trimmed, lower case; "" is "auto").
func ParseDevice(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", SelectAuto:
		return SelectAuto, nil
	case SelectSurfaceless, SelectGLX:
		return s, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return strconv.Itoa(n), nil
	}
	return "", fmt.Errorf("gpu: device %q: want auto, a device number (see lsgd devices), surfaceless or glx", s)
}

// selector resolves Options.Device and the environment.
func (o Options) selector() (string, error) {
	s, from := o.Device, ""
	if s == "" {
		s, from = os.Getenv(EnvDevice), EnvDevice+"="
	}
	sel, err := ParseDevice(s)
	if err != nil && from != "" {
		return "", fmt.Errorf("gpu: %s%q: want auto, a device number (see lsgd devices), surfaceless or glx", from, s)
	}
	return sel, err
}

// Open creates an OpenGL 4.3 core context as opt selects and reads its
// capabilities. Its error is one line saying why there is none: no EGL
// library, no device, a GL version below 4.3, a context the driver
// refused, no display for GLX.
func Open(opt Options) (*Device, error) {
	sel, err := opt.selector()
	if err != nil {
		return nil, err
	}
	var d *Device
	onThread(func() { d, err = openSel(sel) })
	return d, err
}

// detach leaves no context current on the GL thread, before another one
// is created: EGL and GLX contexts must not be current at once, and
// releasing a context later must not unbind a newer one.
func detach() {
	if current != nil {
		current.ctx.release()
		current = nil
	}
}

// openSel opens the context a (parsed) selector names, on the GL thread.
func openSel(sel string) (*Device, error) {
	detach()
	switch sel {
	case SelectAuto:
		return openAuto()
	case SelectSurfaceless:
		return openSurfaceless()
	case SelectGLX:
		return openGLFW()
	}
	n, _ := strconv.Atoi(sel)
	devs, err := eglDevices()
	if err != nil {
		return nil, err
	}
	if n >= len(devs) {
		return nil, fmt.Errorf("gpu: no EGL device %d (EGL lists %s)", n, numbers(len(devs)))
	}
	return openEGLDevice(n, devs[n])
}

// numbers says which device numbers there are: "1 device: 0", "3
// devices: 0, 1, 2".
func numbers(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	if n == 1 {
		return "1 device: 0"
	}
	return fmt.Sprintf("%d devices: %s", n, strings.Join(s, ", "))
}

// openAuto tries the EGL devices (hardware first, as their extensions
// tell), then the surfaceless platform if no EGL device opened, then GLX
// if no hardware renderer was found yet; it returns the first hardware
// renderer, else the first context that opened, else every reason in one
// line.
func openAuto() (*Device, error) {
	var (
		found *Device // the first context that opened
		why   []string
	)
	try := func(d *Device, err error) bool {
		detach() // the next attempt starts with no context current
		if err != nil {
			why = append(why, strings.TrimPrefix(err.Error(), "gpu: "))
			return false
		}
		if !d.caps.Software {
			if found != nil {
				found.release()
			}
			found = d
			return true
		}
		if found == nil {
			found = d
		} else {
			d.release()
		}
		return false
	}
	devs, err := eglDevices()
	if err != nil {
		why = append(why, strings.TrimPrefix(err.Error(), "gpu: "))
	}
	order := make([]int, 0, len(devs))
	for i, dv := range devs {
		if !dv.software() {
			order = append(order, i)
		}
	}
	for i, dv := range devs {
		if dv.software() {
			order = append(order, i)
		}
	}
	for _, i := range order {
		if try(openEGLDevice(i, devs[i])) {
			return found, nil
		}
	}
	if found == nil && hasSurfaceless() {
		if try(openSurfaceless()) {
			return found, nil
		}
	}
	if found == nil || os.Getenv("DISPLAY") != "" {
		if try(openGLFW()) {
			return found, nil
		}
	}
	if found != nil {
		return found, nil
	}
	return nil, fmt.Errorf("gpu: no OpenGL 4.3 context: %s", strings.Join(why, "; "))
}

// newDevice wraps a context that was just made current: it loads the GL
// functions through the context's own proc-address function, reads the
// capabilities and checks for 4.3 and compute shaders. On error the
// context is destroyed.
func newDevice(c glContext, source, sel string) (*Device, error) {
	d := &Device{ctx: c}
	if err := d.loadGL(); err != nil {
		c.destroy()
		return nil, fmt.Errorf("gpu: %s: %s", source, strings.TrimPrefix(err.Error(), "gpu: "))
	}
	current = d
	d.caps = readCaps()
	d.caps.Source, d.caps.Selector = source, sel
	d.gctx.caps = &d.caps
	switch {
	case d.caps.Major < 4 || d.caps.Major == 4 && d.caps.Minor < 3:
		d.release()
		return nil, fmt.Errorf("gpu: %s: OpenGL %s (%s) is below the OpenGL 4.3 lsgd needs", source, d.caps.Version, d.caps.Renderer)
	case !d.caps.Compute:
		d.release()
		return nil, fmt.Errorf("gpu: %s: %s (OpenGL %s) has no compute shaders", source, d.caps.Renderer, d.caps.Version)
	}
	return d, nil
}

// loadGL points go-gl at the functions of d's context's loader, when the
// last load came from another one.
func (d *Device) loadGL() error {
	if glLoader == d.ctx.loader() {
		return nil
	}
	glLoader = ""
	if err := gl.InitWithProcAddrFunc(d.ctx.procAddr); err != nil {
		if v := legacyVersion(d.ctx.procAddr); v != "" {
			return fmt.Errorf("gpu: %s is below the OpenGL 4.3 lsgd needs (no %v)", v, err)
		}
		return fmt.Errorf("gpu: cannot load the OpenGL 4.3 functions (no %v)", err)
	}
	glLoader = d.ctx.loader()
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func readCaps() Caps {
	var c Caps
	c.Vendor = gl.GoStr(gl.GetString(gl.VENDOR))
	c.Renderer = gl.GoStr(gl.GetString(gl.RENDERER))
	c.Version = gl.GoStr(gl.GetString(gl.VERSION))
	c.GLSL = gl.GoStr(gl.GetString(gl.SHADING_LANGUAGE_VERSION))
	c.Major, c.Minor = getInt(gl.MAJOR_VERSION), getInt(gl.MINOR_VERSION)
	fmt.Sscanf(c.GLSL, "%d.%d", &c.GLSLMajor, &c.GLSLMinor)
	exts := map[string]bool{}
	for i := 0; i < getInt(gl.NUM_EXTENSIONS); i++ {
		exts[gl.GoStr(gl.GetStringi(gl.EXTENSIONS, uint32(i)))] = true
	}
	c.Compute = c.Major > 4 || c.Major == 4 && c.Minor >= 3 || exts["GL_ARB_compute_shader"]
	c.FP64 = c.GLSLMajor >= 4 || exts["GL_ARB_gpu_shader_fp64"]
	var v64 int64
	gl.GetInteger64v(gl.MAX_SHADER_STORAGE_BLOCK_SIZE, &v64)
	c.MaxBlockBytes = v64
	for i := 0; i < 3; i++ {
		var v int32
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_COUNT, uint32(i), &v)
		c.MaxGroupCount[i] = int(v)
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_SIZE, uint32(i), &v)
		c.MaxGroupSize[i] = int(v)
	}
	c.MaxInvocations = getInt(gl.MAX_COMPUTE_WORK_GROUP_INVOCATIONS)
	c.SharedBytes = getInt(gl.MAX_COMPUTE_SHARED_MEMORY_SIZE)
	c.MaxStorageBlocks = getInt(gl.MAX_COMPUTE_SHADER_STORAGE_BLOCKS)
	c.MaxBindings = getInt(gl.MAX_SHADER_STORAGE_BUFFER_BINDINGS)
	c.OffsetAlign = getInt(gl.SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT)
	var bits int32
	gl.GetQueryiv(gl.TIME_ELAPSED, gl.QUERY_COUNTER_BITS, &bits)
	c.TimerBits = int(bits)
	if exts["GL_NVX_gpu_memory_info"] {
		const dedicatedKB = 0x9047 // GPU_MEMORY_INFO_DEDICATED_VIDMEM_NVX
		const availableKB = 0x9049 // GPU_MEMORY_INFO_CURRENT_AVAILABLE_VIDMEM_NVX
		c.MemoryBytes = int64(getInt(dedicatedKB)) * 1024
		c.FreeMemoryBytes = int64(getInt(availableKB)) * 1024
	} else if exts["GL_ATI_meminfo"] {
		const freeKB = 0x87FC // TEXTURE_FREE_MEMORY_ATI: total free, largest block, aux total, aux largest
		var v [4]int32
		gl.GetIntegerv(freeKB, &v[0])
		c.FreeMemoryBytes = int64(v[0]) * 1024
	}
	c.Software = IsSoftware(c.Renderer)
	clearErrors()
	return c
}

func getInt(pname uint32) int {
	var v int32
	gl.GetIntegerv(pname, &v)
	return int(v)
}

// Caps returns the capabilities read when the device was opened.
func (d *Device) Caps() Caps { return d.caps }

// ErrClosed is returned by Do on a closed device.
var ErrClosed = errors.New("gpu: device is closed")

// Do runs fn on the GL thread with the device's context current and
// returns its error. Calls from several goroutines are serialised.
func (d *Device) Do(fn func(c *Ctx) error) error {
	var err error
	onThread(func() {
		if d.closed {
			err = ErrClosed
			return
		}
		if current != d {
			if current != nil {
				current.ctx.release()
				current = nil
			}
			if !d.ctx.makeCurrent() {
				err = fmt.Errorf("gpu: %s: cannot make the context current again", d.caps.Source)
				return
			}
			current = d
			if err = d.loadGL(); err != nil {
				return
			}
		}
		err = fn(&d.gctx)
	})
	return err
}

// Close destroys the context and with it every buffer and program made on
// it. Closing twice is a no-op.
func (d *Device) Close() error {
	onThread(func() {
		if !d.closed {
			d.release()
		}
	})
	return nil
}

func (d *Device) release() {
	d.closed = true
	if current == d {
		d.ctx.release()
		current = nil
	}
	d.ctx.destroy()
}
