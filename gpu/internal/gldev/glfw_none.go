//go:build cgo && noglfw

package gldev

import "errors"

const glxSource = "GLX (GLFW)"

// openGLFW reports that this build has no GLX path: the tag noglfw leaves
// out GLFW and the X11 libraries it links, for servers with EGL alone.
func openGLFW() (*Device, error) {
	return nil, errors.New("gpu: " + glxSource + ": this lsgd was built without GLFW (tag noglfw); EGL only")
}
