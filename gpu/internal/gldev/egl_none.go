//go:build cgo && !unix

package gldev

// Systems without dlopen (Windows): no EGL, so the context comes from GLFW.

import (
	"errors"
	"unsafe"
)

var errNoEGL = errors.New("gpu: no EGL on this system (contexts come from GLFW)")

type eglDeviceInfo struct{ file string }

func (eglDeviceInfo) software() bool { return false }

func eglDevices() ([]eglDeviceInfo, error) { return nil, errNoEGL }

func openEGLDevice(int, eglDeviceInfo) (*Device, error) { return nil, errNoEGL }

func openSurfaceless() (*Device, error) { return nil, errNoEGL }

func hasSurfaceless() bool { return false }

func legacyVersion(func(string) unsafe.Pointer) string { return "" }
