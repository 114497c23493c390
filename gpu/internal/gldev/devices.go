//go:build cgo

package gldev

import (
	"fmt"
	"strconv"
	"strings"
)

// Entry is one place an OpenGL context can come from, as List found it.
type Entry struct {
	// Selector is the Options.Device value that opens it ("0",
	// "surfaceless", "glx"); empty for an entry that only reports why EGL
	// gave no devices.
	Selector string
	// Source is "EGL device N", "EGL surfaceless", "GLX (GLFW)" or "EGL".
	Source string
	// Caps are the context's capabilities when Err is nil.
	Caps Caps
	// Err says in one line why no usable context opened there.
	Err error
}

// List opens a context on every EGL device, on Mesa's surfaceless
// platform (where the EGL library has it) and through GLX, reads each
// one's capabilities and closes it again. Where EGL itself is missing or
// lists no device, one entry with Source "EGL" says why; GLX is always
// listed, with its reason when there is no display.
func List() []Entry {
	var out []Entry
	onThread(func() {
		detach()
		devs, err := eglDevices()
		if err != nil {
			out = append(out, Entry{Source: "EGL", Err: err})
		}
		for i, dv := range devs {
			e := Entry{Selector: strconv.Itoa(i), Source: fmt.Sprintf("EGL device %d", i)}
			if dv.file != "" {
				e.Source += " (" + dv.file + ")"
			}
			out = append(out, entryOf(e, func() (*Device, error) { return openEGLDevice(i, dv) }))
		}
		if hasSurfaceless() {
			out = append(out, entryOf(Entry{Selector: SelectSurfaceless, Source: "EGL surfaceless"}, openSurfaceless))
		}
		out = append(out, entryOf(Entry{Selector: SelectGLX, Source: glxSource}, openGLFW))
	})
	return out
}

func entryOf(e Entry, open func() (*Device, error)) Entry {
	detach()
	d, err := open()
	if err != nil {
		e.Err = err
		return e
	}
	e.Caps = d.caps
	d.release()
	return e
}

// Why is the reason in Err without the "gpu: " and source prefixes, or "".
func (e Entry) Why() string {
	if e.Err == nil {
		return ""
	}
	why := strings.TrimPrefix(e.Err.Error(), "gpu: ")
	why = strings.TrimPrefix(why, e.Source+": ")
	if i := strings.Index(e.Source, " ("); i > 0 { // "EGL device 0 (/dev/dri/card0)"
		why = strings.TrimPrefix(why, e.Source[:i]+": ")
	}
	return why
}

// Describe is one line about an entry for listings: renderer, vendor,
// OpenGL version, memory where the driver tells, and the source; or the
// reason it gave no context.
func (e Entry) Describe() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: none (%s)", e.Source, e.Why())
	}
	c := &e.Caps
	s := fmt.Sprintf("%s (%s), OpenGL %s", c.Renderer, c.Vendor, c.Version)
	if c.Software {
		s += ", software renderer"
	}
	if m := c.Memory(); m != "" {
		s += ", memory " + m
	}
	return s + ", from " + e.Source
}

// Memory describes the device memory the driver reports ("141 GiB, 140
// GiB free"), or "" when it reports none.
func (c *Caps) Memory() string {
	switch {
	case c.MemoryBytes > 0 && c.FreeMemoryBytes > 0:
		return fmt.Sprintf("%s, %s free", shortBytes(c.MemoryBytes), shortBytes(c.FreeMemoryBytes))
	case c.MemoryBytes > 0:
		return shortBytes(c.MemoryBytes)
	case c.FreeMemoryBytes > 0:
		return shortBytes(c.FreeMemoryBytes) + " free"
	}
	return ""
}

func shortBytes(n int64) string {
	s := Bytes(n)
	if i := strings.Index(s, " ("); i > 0 {
		return s[:i]
	}
	return s
}
