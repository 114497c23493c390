//go:build cgo && unix

package gldev

// EGL, loaded at run time: libEGL.so.1 is opened with dlopen on first use,
// so the binary needs no EGL library to build or start, and a machine
// without one gets a one-line reason instead of a loader failure. The
// extension functions (device enumeration, platform displays) come from
// eglGetProcAddress. The types are declared here rather than taken from
// <EGL/egl.h>, so no EGL headers are needed either. Everything here runs
// on the GL thread.

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

typedef int32_t EGLint;
typedef unsigned int EGLBoolean;
typedef unsigned int EGLenum;
typedef void *EGLDisplay;
typedef void *EGLConfig;
typedef void *EGLContext;
typedef void *EGLSurface;
typedef void *EGLDeviceEXT;

typedef void *(*fnGetProcAddress)(const char *);
typedef EGLint (*fnGetError)(void);
typedef const char *(*fnQueryString)(EGLDisplay, EGLint);
typedef EGLBoolean (*fnInitialize)(EGLDisplay, EGLint *, EGLint *);
typedef EGLBoolean (*fnBindAPI)(EGLenum);
typedef EGLBoolean (*fnChooseConfig)(EGLDisplay, const EGLint *, EGLConfig *, EGLint, EGLint *);
typedef EGLContext (*fnCreateContext)(EGLDisplay, EGLConfig, EGLContext, const EGLint *);
typedef EGLBoolean (*fnDestroyContext)(EGLDisplay, EGLContext);
typedef EGLSurface (*fnCreatePbufferSurface)(EGLDisplay, EGLConfig, const EGLint *);
typedef EGLBoolean (*fnDestroySurface)(EGLDisplay, EGLSurface);
typedef EGLBoolean (*fnMakeCurrent)(EGLDisplay, EGLSurface, EGLSurface, EGLContext);
typedef EGLBoolean (*fnQueryDevicesEXT)(EGLint, EGLDeviceEXT *, EGLint *);
typedef const char *(*fnQueryDeviceStringEXT)(EGLDeviceEXT, EGLint);
typedef EGLDisplay (*fnGetPlatformDisplayEXT)(EGLenum, void *, const EGLint *);
typedef const unsigned char *(*fnGetString)(unsigned int);

static void *egl_open(const char *name) { return dlopen(name, RTLD_NOW | RTLD_LOCAL); }
static const char *egl_dlerror(void) { return dlerror(); }
static void *egl_sym(void *lib, const char *name) { return dlsym(lib, name); }

static void *egl_GetProcAddress(void *f, const char *name) { return ((fnGetProcAddress)f)(name); }
static EGLint egl_GetError(void *f) { return ((fnGetError)f)(); }
static const char *egl_QueryString(void *f, EGLDisplay d, EGLint name) { return ((fnQueryString)f)(d, name); }
static EGLBoolean egl_Initialize(void *f, EGLDisplay d, EGLint *major, EGLint *minor) { return ((fnInitialize)f)(d, major, minor); }
static EGLBoolean egl_BindAPI(void *f, EGLenum api) { return ((fnBindAPI)f)(api); }
static EGLBoolean egl_ChooseConfig(void *f, EGLDisplay d, const EGLint *attr, EGLConfig *cfg, EGLint size, EGLint *n) {
	return ((fnChooseConfig)f)(d, attr, cfg, size, n);
}
static EGLContext egl_CreateContext(void *f, EGLDisplay d, EGLConfig cfg, const EGLint *attr) {
	return ((fnCreateContext)f)(d, cfg, NULL, attr);
}
static EGLBoolean egl_DestroyContext(void *f, EGLDisplay d, EGLContext c) { return ((fnDestroyContext)f)(d, c); }
static EGLSurface egl_CreatePbufferSurface(void *f, EGLDisplay d, EGLConfig cfg, const EGLint *attr) {
	return ((fnCreatePbufferSurface)f)(d, cfg, attr);
}
static EGLBoolean egl_DestroySurface(void *f, EGLDisplay d, EGLSurface s) { return ((fnDestroySurface)f)(d, s); }
static EGLBoolean egl_MakeCurrent(void *f, EGLDisplay d, EGLSurface draw, EGLSurface read, EGLContext c) {
	return ((fnMakeCurrent)f)(d, draw, read, c);
}
static EGLBoolean egl_QueryDevicesEXT(void *f, EGLint max, EGLDeviceEXT *devs, EGLint *n) {
	return ((fnQueryDevicesEXT)f)(max, devs, n);
}
static const char *egl_QueryDeviceStringEXT(void *f, EGLDeviceEXT dev, EGLint name) {
	return ((fnQueryDeviceStringEXT)f)(dev, name);
}
static EGLDisplay egl_GetPlatformDisplayEXT(void *f, EGLenum platform, void *native, const EGLint *attr) {
	return ((fnGetPlatformDisplayEXT)f)(platform, native, attr);
}
static const char *gl_GetString(void *f, unsigned int name) { return (const char *)((fnGetString)f)(name); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

// EGL enumerants (EGL 1.5 and the extensions used).
const (
	eglExtensions            = 0x3055
	eglNone                  = 0x3038
	eglSurfaceType           = 0x3033
	eglRenderableType        = 0x3040
	eglPbufferBit            = 0x0001
	eglOpenGLBit             = 0x0008
	eglWidth                 = 0x3057
	eglHeight                = 0x3056
	eglOpenGLAPI             = 0x30A2
	eglContextMajorVersion   = 0x3098
	eglContextMinorVersion   = 0x30FB
	eglContextProfileMask    = 0x30FD
	eglContextCoreProfileBit = 0x0001
	eglPlatformDeviceEXT     = 0x313F
	eglPlatformSurfaceless   = 0x31DD // EGL_PLATFORM_SURFACELESS_MESA
	eglDRMDeviceFileEXT      = 0x3233
)

// eglErrNames are the EGL error codes by name, for messages.
var eglErrNames = map[int]string{
	0x3000: "EGL_SUCCESS", 0x3001: "EGL_NOT_INITIALIZED", 0x3002: "EGL_BAD_ACCESS",
	0x3003: "EGL_BAD_ALLOC", 0x3004: "EGL_BAD_ATTRIBUTE", 0x3005: "EGL_BAD_CONFIG",
	0x3006: "EGL_BAD_CONTEXT", 0x3007: "EGL_BAD_CURRENT_SURFACE", 0x3008: "EGL_BAD_DISPLAY",
	0x3009: "EGL_BAD_MATCH", 0x300A: "EGL_BAD_NATIVE_PIXMAP", 0x300B: "EGL_BAD_NATIVE_WINDOW",
	0x300C: "EGL_BAD_PARAMETER", 0x300D: "EGL_BAD_SURFACE", 0x300E: "EGL_CONTEXT_LOST",
}

// egl holds the loaded library's entry points (GL thread only).
var egl struct {
	tried bool
	err   error // why there is no EGL; set once
	lib   unsafe.Pointer

	getProcAddress, getError, queryString, initialize, bindAPI, chooseConfig,
	createContext, destroyContext, createPbufferSurface, destroySurface,
	makeCurrent unsafe.Pointer
	// Extensions (nil where the library lacks them).
	queryDevices, queryDeviceString, getPlatformDisplay unsafe.Pointer
	clientExts                                          map[string]bool

	// displays are initialised once and kept for the life of the process:
	// eglTerminate would take every context on the display with it, and
	// one display may serve several Devices at once.
	displays map[eglKey]C.EGLDisplay // cgo makes EGLDisplay and EGLConfig integers (0: none)
}

// eglKey names a display: a platform and, for the device platform, the
// device index.
type eglKey struct {
	platform int
	device   int
}

// eglLibraries are tried in order: GLVND's loader (or a vendor's
// libEGL.so.1), then the unversioned development link. The environment
// variable LSGD_EGL_LIBRARY, when set, names the one library to load
// instead (a path, or a name the dynamic loader searches for).
var eglLibraries = []string{"libEGL.so.1", "libEGL.so"}

// openLibrary opens the first of the shared libraries that loads; its
// error, "no EGL library (<the loader's reason for the first>)", is one line.
func openLibrary(names []string) (unsafe.Pointer, error) {
	var why []string
	for _, name := range names {
		cs := C.CString(name)
		lib := C.egl_open(cs)
		C.free(unsafe.Pointer(cs))
		if lib != nil {
			return lib, nil
		}
		why = append(why, C.GoString(C.egl_dlerror()))
	}
	return nil, fmt.Errorf("gpu: no EGL library (%s)", oneLine(why[0]))
}

// loadEGL opens libEGL and resolves its functions, once. Its error is one
// line: "no EGL library (…)" or the missing function.
func loadEGL() error {
	if egl.tried {
		return egl.err
	}
	egl.tried = true
	libs := eglLibraries
	if s := os.Getenv("LSGD_EGL_LIBRARY"); s != "" {
		libs = []string{s}
	}
	egl.lib, egl.err = openLibrary(libs)
	if egl.err != nil {
		return egl.err
	}
	sym := func(name string) unsafe.Pointer {
		cs := C.CString(name)
		defer C.free(unsafe.Pointer(cs))
		p := C.egl_sym(egl.lib, cs)
		if p == nil && egl.getProcAddress != nil {
			p = C.egl_GetProcAddress(egl.getProcAddress, cs)
		}
		return p
	}
	egl.getProcAddress = sym("eglGetProcAddress")
	for _, f := range []struct {
		p    *unsafe.Pointer
		name string
	}{
		{&egl.getError, "eglGetError"}, {&egl.queryString, "eglQueryString"},
		{&egl.initialize, "eglInitialize"}, {&egl.bindAPI, "eglBindAPI"},
		{&egl.chooseConfig, "eglChooseConfig"}, {&egl.createContext, "eglCreateContext"},
		{&egl.destroyContext, "eglDestroyContext"}, {&egl.createPbufferSurface, "eglCreatePbufferSurface"},
		{&egl.destroySurface, "eglDestroySurface"}, {&egl.makeCurrent, "eglMakeCurrent"},
	} {
		if *f.p = sym(f.name); *f.p == nil || egl.getProcAddress == nil {
			egl.err = fmt.Errorf("gpu: the EGL library lacks %s", f.name)
			return egl.err
		}
	}
	egl.queryDevices = sym("eglQueryDevicesEXT")
	egl.queryDeviceString = sym("eglQueryDeviceStringEXT")
	egl.getPlatformDisplay = sym("eglGetPlatformDisplayEXT")
	egl.clientExts = map[string]bool{}
	if s := C.egl_QueryString(egl.queryString, 0, eglExtensions); s != nil {
		for _, e := range strings.Fields(C.GoString(s)) {
			egl.clientExts[e] = true
		}
	}
	egl.displays = map[eglKey]C.EGLDisplay{}
	return nil
}

func eglError() string {
	code := int(C.egl_GetError(egl.getError))
	if n, ok := eglErrNames[code]; ok {
		return n
	}
	return fmt.Sprintf("EGL error 0x%x", code)
}

// eglDeviceInfo is one device from eglQueryDevicesEXT.
type eglDeviceInfo struct {
	handle C.EGLDeviceEXT
	exts   string // the device's extensions
	file   string // its DRM node, where it has one
}

// software reports whether the device is Mesa's software rasterizer.
func (d eglDeviceInfo) software() bool {
	return strings.Contains(d.exts, "EGL_MESA_device_software")
}

// eglDevices lists the EGL devices. The error is one line.
func eglDevices() ([]eglDeviceInfo, error) {
	if err := loadEGL(); err != nil {
		return nil, err
	}
	if egl.queryDevices == nil || egl.getPlatformDisplay == nil || !egl.clientExts["EGL_EXT_platform_device"] {
		return nil, errors.New("gpu: the EGL library cannot list devices (no EGL_EXT_device_enumeration and EGL_EXT_platform_device)")
	}
	var n C.EGLint
	if C.egl_QueryDevicesEXT(egl.queryDevices, 0, nil, &n) == 0 {
		return nil, fmt.Errorf("gpu: eglQueryDevicesEXT failed (%s)", eglError())
	}
	if n == 0 {
		return nil, errors.New("gpu: EGL lists no device (is the driver's EGL vendor file found? see __EGL_VENDOR_LIBRARY_FILENAMES)")
	}
	handles := make([]C.EGLDeviceEXT, n)
	if C.egl_QueryDevicesEXT(egl.queryDevices, n, &handles[0], &n) == 0 {
		return nil, fmt.Errorf("gpu: eglQueryDevicesEXT failed (%s)", eglError())
	}
	devs := make([]eglDeviceInfo, n)
	for i := range devs {
		devs[i].handle = handles[i]
		if egl.queryDeviceString == nil {
			continue
		}
		if s := C.egl_QueryDeviceStringEXT(egl.queryDeviceString, handles[i], eglExtensions); s != nil {
			devs[i].exts = C.GoString(s)
		}
		if strings.Contains(devs[i].exts, "EGL_EXT_device_drm") {
			if s := C.egl_QueryDeviceStringEXT(egl.queryDeviceString, handles[i], eglDRMDeviceFileEXT); s != nil {
				devs[i].file = C.GoString(s)
			}
		}
	}
	return devs, nil
}

// eglContext is an EGL context made current without a surface (or with a
// 1×1 pbuffer where the display lacks EGL_KHR_surfaceless_context).
type eglContext struct {
	dpy  C.EGLDisplay
	ctx  C.EGLContext
	surf C.EGLSurface
}

// eglDisplay returns the initialised display for a platform (and device),
// initialising it on first use.
func eglDisplay(key eglKey, native unsafe.Pointer, what string) (C.EGLDisplay, error) {
	if dpy, ok := egl.displays[key]; ok {
		return dpy, nil
	}
	if egl.getPlatformDisplay == nil {
		return 0, fmt.Errorf("gpu: %s: the EGL library has no eglGetPlatformDisplayEXT", what)
	}
	dpy := C.egl_GetPlatformDisplayEXT(egl.getPlatformDisplay, C.EGLenum(key.platform), native, nil)
	if dpy == 0 {
		return 0, fmt.Errorf("gpu: %s: no EGL display (%s)", what, eglError())
	}
	var major, minor C.EGLint
	if C.egl_Initialize(egl.initialize, dpy, &major, &minor) == 0 {
		return 0, fmt.Errorf("gpu: %s: eglInitialize failed (%s)", what, eglError())
	}
	egl.displays[key] = dpy
	return dpy, nil
}

// newEGLContext creates an OpenGL 4.3 core context on the display and
// makes it current. When the display refuses 4.3 but gives a context of no
// stated version, the error says which version that was ("OpenGL 3.1 …
// is below 4.3") and names the renderer.
func newEGLContext(dpy C.EGLDisplay, what string) (*eglContext, error) {
	if C.egl_BindAPI(egl.bindAPI, eglOpenGLAPI) == 0 {
		return nil, fmt.Errorf("gpu: %s: no desktop OpenGL through EGL (eglBindAPI: %s)", what, eglError())
	}
	exts := C.GoString(C.egl_QueryString(egl.queryString, dpy, eglExtensions))
	has := func(e string) bool { return strings.Contains(" "+exts+" ", " "+e+" ") }
	// A config: none at all where the display allows it, else one that
	// renders desktop GL into a pbuffer.
	var cfg C.EGLConfig
	if !has("EGL_KHR_no_config_context") || !has("EGL_KHR_surfaceless_context") {
		attr := []C.EGLint{eglSurfaceType, eglPbufferBit, eglRenderableType, eglOpenGLBit, eglNone}
		var n C.EGLint
		if C.egl_ChooseConfig(egl.chooseConfig, dpy, &attr[0], &cfg, 1, &n) == 0 || n == 0 {
			return nil, fmt.Errorf("gpu: %s: no EGL config for desktop OpenGL (%s)", what, eglError())
		}
	}
	attr := []C.EGLint{eglContextMajorVersion, 4, eglContextMinorVersion, 3,
		eglContextProfileMask, eglContextCoreProfileBit, eglNone}
	ctx := C.egl_CreateContext(egl.createContext, dpy, cfg, &attr[0])
	if ctx == nil {
		why := eglError()
		if v := eglDefaultVersion(dpy, cfg); v != "" {
			return nil, fmt.Errorf("gpu: %s: %s is below the OpenGL 4.3 lsgd needs", what, v)
		}
		return nil, fmt.Errorf("gpu: %s: the driver refused an OpenGL 4.3 core context (%s)", what, why)
	}
	c := &eglContext{dpy: dpy, ctx: ctx}
	if !has("EGL_KHR_surfaceless_context") {
		pb := []C.EGLint{eglWidth, 1, eglHeight, 1, eglNone}
		c.surf = C.egl_CreatePbufferSurface(egl.createPbufferSurface, dpy, cfg, &pb[0])
		if c.surf == nil {
			why := eglError()
			C.egl_DestroyContext(egl.destroyContext, dpy, ctx)
			return nil, fmt.Errorf("gpu: %s: no surfaceless contexts and no pbuffer (%s)", what, why)
		}
	}
	if !c.makeCurrent() {
		why := eglError()
		c.destroy()
		return nil, fmt.Errorf("gpu: %s: cannot make the context current (%s)", what, why)
	}
	return c, nil
}

// eglDefaultVersion creates a context of no stated version and returns
// "OpenGL <version> (<renderer>)", or "" if that fails too. It leaves no
// context current.
func eglDefaultVersion(dpy C.EGLDisplay, cfg C.EGLConfig) string {
	attr := []C.EGLint{eglNone}
	ctx := C.egl_CreateContext(egl.createContext, dpy, cfg, &attr[0])
	if ctx == nil {
		return ""
	}
	defer C.egl_DestroyContext(egl.destroyContext, dpy, ctx)
	if C.egl_MakeCurrent(egl.makeCurrent, dpy, nil, nil, ctx) == 0 {
		return ""
	}
	defer C.egl_MakeCurrent(egl.makeCurrent, dpy, nil, nil, nil)
	return legacyVersion(eglProcAddr)
}

func (c *eglContext) makeCurrent() bool {
	return C.egl_MakeCurrent(egl.makeCurrent, c.dpy, c.surf, c.surf, c.ctx) != 0
}

func (c *eglContext) release() {
	C.egl_MakeCurrent(egl.makeCurrent, c.dpy, nil, nil, nil)
}

func (c *eglContext) destroy() {
	c.release()
	if c.surf != nil {
		C.egl_DestroySurface(egl.destroySurface, c.dpy, c.surf)
		c.surf = nil
	}
	if c.ctx != nil {
		C.egl_DestroyContext(egl.destroyContext, c.dpy, c.ctx)
		c.ctx = nil
	}
}

// eglProcAddr is the context's proc-address function, for go-gl's
// InitWithProcAddrFunc.
func eglProcAddr(name string) unsafe.Pointer {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.egl_GetProcAddress(egl.getProcAddress, cs)
}

// legacyVersion reads "OpenGL <version> (<renderer>)" from the current
// context through its own proc-address function, without go-gl (whose
// loader needs a 4.3 context). It returns "" when glGetString is missing.
func legacyVersion(procAddr func(string) unsafe.Pointer) string {
	f := procAddr("glGetString")
	if f == nil {
		return ""
	}
	const glRenderer, glVersion = 0x1F01, 0x1F02
	v, r := C.gl_GetString(f, glVersion), C.gl_GetString(f, glRenderer)
	if v == nil {
		return ""
	}
	s := "OpenGL " + C.GoString(v)
	if r != nil {
		s += " (" + C.GoString(r) + ")"
	}
	return s
}

const surfacelessExt = "EGL_MESA_platform_surfaceless"

func openEGLDevice(i int, dv eglDeviceInfo) (*Device, error) {
	what := fmt.Sprintf("EGL device %d", i)
	dpy, err := eglDisplay(eglKey{eglPlatformDeviceEXT, i}, unsafe.Pointer(dv.handle), what)
	if err != nil {
		return nil, err
	}
	c, err := newEGLContext(dpy, what)
	if err != nil {
		return nil, err
	}
	return newDevice(c, what, strconv.Itoa(i))
}

func openSurfaceless() (*Device, error) {
	const what = "EGL surfaceless"
	if err := loadEGL(); err != nil {
		return nil, err
	}
	if !egl.clientExts[surfacelessExt] {
		return nil, fmt.Errorf("gpu: %s: the EGL library has no %s", what, surfacelessExt)
	}
	dpy, err := eglDisplay(eglKey{eglPlatformSurfaceless, -1}, nil, what)
	if err != nil {
		return nil, err
	}
	c, err := newEGLContext(dpy, what)
	if err != nil {
		return nil, err
	}
	return newDevice(c, what, SelectSurfaceless)
}

func (c *eglContext) loader() string                      { return "egl" }
func (c *eglContext) procAddr(name string) unsafe.Pointer { return eglProcAddr(name) }

// hasSurfaceless reports whether the loaded EGL library offers Mesa's
// surfaceless platform (call after eglDevices or loadEGL).
func hasSurfaceless() bool { return egl.err == nil && egl.clientExts[surfacelessExt] }
