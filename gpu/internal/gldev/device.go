//go:build cgo

// Package gldev is lsgd's narrow OpenGL 4.3 compute device: the only
// package that imports go-gl. It owns the GL thread (see onThread), reads
// the device's capabilities once, and offers buffers, compute programs,
// dispatches, barriers and timer queries through a Ctx that is valid only
// inside Device.Do.
package gldev

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"
	"github.com/go-gl/glfw/v3.3/glfw"
)

// Caps are the capabilities of a device, read once when it is opened.
type Caps struct {
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

// Device is one OpenGL 4.3 core context (with a hidden window). Its
// methods may be called from any goroutine; the GL work runs on the GL
// thread, one closure at a time.
type Device struct {
	win    *glfw.Window
	caps   Caps
	ctx    Ctx
	closed bool
}

var (
	glfwReady bool // glfw.Init succeeded (GL thread only)
	glReady   bool // gl.Init succeeded
	current   *Device
)

// Open creates a hidden window with an OpenGL 4.3 core context and reads
// its capabilities. Its errors are one line saying what is missing: a
// display, a 4.3 core context, compute shaders.
func Open() (*Device, error) {
	var d *Device
	var err error
	onThread(func() { d, err = open() })
	return d, err
}

func open() (d *Device, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("gpu: GLFW failed: %v", oneLine(fmt.Sprint(v)))
		}
	}()
	if !glfwReady {
		if err := initGLFW(); err != nil {
			return nil, err
		}
		glfwReady = true
	}
	glfw.DefaultWindowHints()
	glfw.WindowHint(glfw.Visible, glfw.False)
	glfw.WindowHint(glfw.ClientAPI, glfw.OpenGLAPI)
	glfw.WindowHint(glfw.ContextVersionMajor, 4)
	glfw.WindowHint(glfw.ContextVersionMinor, 3)
	glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
	win, err := glfw.CreateWindow(16, 16, "lsgd", nil, nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: no OpenGL 4.3 core context (%s)", oneLine(err.Error()))
	}
	win.MakeContextCurrent()
	current = nil
	if !glReady {
		if err := gl.Init(); err != nil {
			win.Destroy()
			return nil, fmt.Errorf("gpu: cannot load OpenGL 4.3 functions (%s)", oneLine(err.Error()))
		}
		glReady = true
	}
	d = &Device{win: win}
	current = d
	d.caps = readCaps()
	d.ctx.caps = &d.caps
	if !d.caps.Compute {
		d.release()
		return nil, fmt.Errorf("gpu: %s (OpenGL %s) has no compute shaders", d.caps.Renderer, d.caps.Version)
	}
	return d, nil
}

// initGLFW initialises GLFW. go-glfw's Init reports a platform error
// (no X display) only by logging it and returning nil, so the log is
// captured for the message and a call that needs an initialised GLFW
// tells whether it worked.
func initGLFW() (err error) {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errors.New("gpu: no display (DISPLAY is not set)")
	}
	var logged bytes.Buffer
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(&logged)
	log.SetFlags(0)
	ierr := glfw.Init()
	log.SetOutput(out)
	log.SetFlags(flags)
	why := strings.TrimSpace(logged.String())
	if ierr != nil {
		why = ierr.Error()
	}
	defer func() {
		if v := recover(); v != nil {
			if why == "" {
				why = fmt.Sprint(v)
			}
			err = fmt.Errorf("gpu: no display (GLFW cannot initialise: %s)", oneLine(why))
		}
	}()
	if ierr != nil {
		panic(ierr)
	}
	glfw.GetPrimaryMonitor() // panics with NotInitialized when Init failed
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
		c.MemoryBytes = int64(getInt(dedicatedKB)) * 1024
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
			d.win.MakeContextCurrent()
			current = d
		}
		err = fn(&d.ctx)
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
		glfw.DetachCurrentContext()
		current = nil
	}
	d.win.Destroy()
}
