//go:build cgo && !noglfw

package gldev

// The GLX path: a hidden GLFW window on an X display. It is the fallback
// where EGL gives no context, and what "glx" selects. Building with the tag
// noglfw leaves it out (and with it the X11 libraries).

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"github.com/go-gl/glfw/v3.3/glfw"
)

const glxSource = "GLX (GLFW)"

var glfwReady bool // glfw.Init succeeded (GL thread only)

type glfwContext struct{ win *glfw.Window }

func (c *glfwContext) makeCurrent() bool                   { c.win.MakeContextCurrent(); return true }
func (c *glfwContext) release()                            { glfw.DetachCurrentContext() }
func (c *glfwContext) destroy()                            { c.win.Destroy() }
func (c *glfwContext) loader() string                      { return "glx" }
func (c *glfwContext) procAddr(name string) unsafe.Pointer { return glfw.GetProcAddress(name) }

// openGLFW creates a hidden window with an OpenGL 4.3 core context.
func openGLFW() (d *Device, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("gpu: %s failed: %v", glxSource, oneLine(fmt.Sprint(v)))
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
		return nil, fmt.Errorf("gpu: %s: no OpenGL 4.3 core context (%s)", glxSource, oneLine(err.Error()))
	}
	win.MakeContextCurrent()
	return newDevice(&glfwContext{win}, glxSource, SelectGLX)
}

// initGLFW initialises GLFW. go-glfw's Init reports a platform error
// (no X display) only by logging it and returning nil, so the log is
// captured for the message and a call that needs an initialised GLFW
// tells whether it worked.
func initGLFW() (err error) {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errors.New("gpu: " + glxSource + ": no display (DISPLAY is not set)")
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
			err = fmt.Errorf("gpu: %s: no display (GLFW cannot initialise: %s)", glxSource, oneLine(why))
		}
	}()
	if ierr != nil {
		panic(ierr)
	}
	glfw.GetPrimaryMonitor() // panics with NotInitialized when Init failed
	return nil
}
