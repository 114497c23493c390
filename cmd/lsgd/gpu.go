package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"

	"github.com/lsgd/lsgd/backend"
	"github.com/lsgd/lsgd/gpu"
)

// gpuProbe is what the command needs to know about the GL device.
type gpuProbe struct {
	Usable   bool   // a hardware GL 4.3 compute device: what auto chooses
	OK       bool   // a GL context opened (possibly a software renderer)
	Why      string // one line: why auto chooses what it chooses
	Renderer string
	Info     gpu.Info
	Err      error
}

// glfwLog captures what GLFW's Go binding prints through the standard
// logger (its "PlatformError: X11: The DISPLAY environment variable is
// missing" lines): the command shows it as the reason there is no GPU, in
// its own one-line message, instead of a stray timestamped line on stderr.
// LSGD_TRACE=1 lets it through as well.
var glfwLog struct {
	sync.Mutex
	buf bytes.Buffer
}

type glfwLogWriter struct{}

func (glfwLogWriter) Write(p []byte) (int, error) {
	glfwLog.Lock()
	defer glfwLog.Unlock()
	glfwLog.buf.Write(p)
	if os.Getenv("LSGD_TRACE") != "" {
		os.Stderr.Write(p)
	}
	return len(p), nil
}

func init() {
	log.SetFlags(0)
	log.SetOutput(glfwLogWriter{})
}

// takeGLFWLog returns (and forgets) the first line GLFW logged, without
// the "PlatformError: " prefix.
func takeGLFWLog() string {
	glfwLog.Lock()
	defer glfwLog.Unlock()
	s := strings.TrimSpace(glfwLog.buf.String())
	glfwLog.buf.Reset()
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimPrefix(s, "PlatformError: ")
}

// probeGPU asks the gpu package what it found on the device a --device
// value selects ("": LSGD_DEVICE, else auto).
func probeGPU(device string) gpuProbe {
	takeGLFWLog()
	info, err := gpu.ProbeDevice(device)
	if msg := takeGLFWLog(); err != nil && msg != "" {
		// GLFW reported the real cause through its logger; the error
		// that follows it is a consequence ("not initialized").
		err = fmt.Errorf("no OpenGL context (%s)", msg)
		info.Reason = err.Error()
	}
	p := gpuProbe{
		Usable:   err == nil && info.Auto == string(backend.GPU),
		OK:       info.OK,
		Why:      strings.TrimPrefix(info.Reason, "gpu: "),
		Renderer: info.Caps.Renderer,
		Info:     info,
		Err:      err,
	}
	if p.Why == "" && err != nil {
		p.Why = strings.TrimPrefix(err.Error(), "gpu: ")
	}
	return p
}
