//go:build cgo

package gldev

import (
	"fmt"
	"regexp"
	"strings"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// Ctx issues GL commands on a Device. It is valid only inside the
// function given to Device.Do (on the GL thread). Dispatches are
// asynchronous: only Download and TimerResult wait for the device.
type Ctx struct {
	caps *Caps
	prog *Program
}

// Caps returns the device's capabilities.
func (c *Ctx) Caps() *Caps { return c.caps }

// Buffer is a shader storage buffer on the device.
type Buffer struct {
	id   uint32
	Size int64
	Name string
}

// Bytes formats a byte count for messages: "1.5 GiB (1610612736 bytes)".
func Bytes(n int64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	v, u := float64(n)/1024, 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return fmt.Sprintf("%.4g %s (%d bytes)", v, units[u], n)
}

// NewBuffer allocates size bytes of (uninitialised) device memory. An
// allocation the device refuses is an error naming the buffer and the size
// asked for.
func (c *Ctx) NewBuffer(name string, size int64) (*Buffer, error) {
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("%v (before allocating %s)", err, name)
	}
	if size <= 0 {
		size = 4
	}
	b := &Buffer{Size: size, Name: name}
	gl.GenBuffers(1, &b.id)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.BufferData(gl.SHADER_STORAGE_BUFFER, int(size), nil, gl.DYNAMIC_DRAW)
	if code := gl.GetError(); code != gl.NO_ERROR {
		clearErrors()
		gl.DeleteBuffers(1, &b.id)
		if code == gl.OUT_OF_MEMORY {
			return nil, fmt.Errorf("gpu: out of device memory allocating %s for %s", Bytes(size), name)
		}
		return nil, fmt.Errorf("gpu: the device refused to allocate %s for %s (%s)", Bytes(size), name, errName(code))
	}
	return b, nil
}

// Release frees the buffer. Releasing nil or twice is a no-op.
func (c *Ctx) Release(b *Buffer) {
	if b == nil || b.id == 0 {
		return
	}
	gl.DeleteBuffers(1, &b.id)
	b.id = 0
}

func sliceBytes[T any](s []T) (unsafe.Pointer, int) {
	if len(s) == 0 {
		return nil, 0
	}
	return unsafe.Pointer(&s[0]), len(s) * int(unsafe.Sizeof(s[0]))
}

// Upload copies data into b at byte offset off.
func Upload[T any](c *Ctx, b *Buffer, off int64, data []T) {
	p, n := sliceBytes(data)
	if n == 0 {
		return
	}
	if off < 0 || off+int64(n) > b.Size {
		panic(fmt.Sprintf("gldev: upload of %d bytes at %d outside %s (%d bytes)", n, off, b.Name, b.Size))
	}
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, int(off), n, p)
}

// Download copies from b at byte offset off into dst, waiting for the
// commands that write b.
func Download[T any](c *Ctx, b *Buffer, off int64, dst []T) {
	p, n := sliceBytes(dst)
	if n == 0 {
		return
	}
	if off < 0 || off+int64(n) > b.Size {
		panic(fmt.Sprintf("gldev: download of %d bytes at %d outside %s (%d bytes)", n, off, b.Name, b.Size))
	}
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.GetBufferSubData(gl.SHADER_STORAGE_BUFFER, int(off), n, p)
}

// Source is one piece of a shader's text; Name is the file it came from,
// used in error messages.
type Source struct {
	Name, Text string
}

// Program is a linked compute program.
type Program struct {
	id   uint32
	Name string
	locs map[string]int32
}

// logLine matches the location prefix of an info-log line: Mesa
// "0:15(3): error", NVIDIA "0(15) : error", AMD "ERROR: 0:15:".
var logLine = regexp.MustCompile(`(?m)^(ERROR: |WARNING: )?(\d+)([:(])(\d+)`)

// NewProgram compiles and links a compute shader from the sources, joined
// in order (the first must begin with the #version line). Errors carry
// the program's name and the driver's info log, with each location given
// as the source's name and its own line number.
func (c *Ctx) NewProgram(name string, srcs []Source) (*Program, error) {
	var text strings.Builder
	starts := make([]int, len(srcs)) // first line of each source in text
	line := 1
	for i, s := range srcs {
		starts[i] = line
		t := s.Text
		if !strings.HasSuffix(t, "\n") {
			t += "\n"
		}
		text.WriteString(t)
		line += strings.Count(t, "\n")
	}
	text.WriteString("\x00")
	sh := gl.CreateShader(gl.COMPUTE_SHADER)
	defer gl.DeleteShader(sh)
	cstrs, free := gl.Strs(text.String())
	gl.ShaderSource(sh, 1, cstrs, nil)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	if ok == gl.FALSE {
		log := shaderLog(sh, false)
		return nil, fmt.Errorf("gpu: shader %s does not compile:\n%s", name, nameLog(log, srcs, starts))
	}
	id := gl.CreateProgram()
	gl.AttachShader(id, sh)
	gl.LinkProgram(id)
	gl.GetProgramiv(id, gl.LINK_STATUS, &ok)
	if ok == gl.FALSE {
		log := shaderLog(id, true)
		gl.DeleteProgram(id)
		return nil, fmt.Errorf("gpu: shader %s does not link:\n%s", name, nameLog(log, srcs, starts))
	}
	return &Program{id: id, Name: name, locs: map[string]int32{}}, nil
}

func shaderLog(id uint32, program bool) string {
	var n int32
	if program {
		gl.GetProgramiv(id, gl.INFO_LOG_LENGTH, &n)
	} else {
		gl.GetShaderiv(id, gl.INFO_LOG_LENGTH, &n)
	}
	if n <= 1 {
		return "(the driver gave no info log)"
	}
	buf := make([]byte, n+1)
	if program {
		gl.GetProgramInfoLog(id, n, nil, &buf[0])
	} else {
		gl.GetShaderInfoLog(id, n, nil, &buf[0])
	}
	return strings.TrimSpace(gl.GoStr(&buf[0]))
}

// nameLog replaces the line numbers of the joined source in an info log by
// the name of the source and the line in it, and indents the log.
func nameLog(log string, srcs []Source, starts []int) string {
	log = logLine.ReplaceAllStringFunc(log, func(m string) string {
		sub := logLine.FindStringSubmatch(m)
		var src, line int
		fmt.Sscan(sub[2], &src)
		fmt.Sscan(sub[4], &line)
		if src != 0 {
			return m
		}
		k := len(starts) - 1
		for k > 0 && starts[k] > line {
			k--
		}
		return fmt.Sprintf("%s%s%s%d", sub[1], srcs[k].Name, sub[3], line-starts[k]+1)
	})
	var b strings.Builder
	for _, l := range strings.Split(log, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			b.WriteString("\t" + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// ReleaseProgram deletes p.
func (c *Ctx) ReleaseProgram(p *Program) {
	if p == nil || p.id == 0 {
		return
	}
	gl.DeleteProgram(p.id)
	p.id = 0
	if c.prog == p {
		c.prog = nil
	}
}

func (p *Program) loc(name string) int32 {
	l, ok := p.locs[name]
	if !ok {
		cs := gl.Str(name + "\x00")
		l = gl.GetUniformLocation(p.id, cs)
		p.locs[name] = l
	}
	return l
}

// SetInt sets an int uniform of p (a uniform the compiler removed is
// ignored).
func (c *Ctx) SetInt(p *Program, name string, v int) {
	gl.ProgramUniform1i(p.id, p.loc(name), int32(v))
}

// SetUint sets a uint uniform of p.
func (c *Ctx) SetUint(p *Program, name string, v uint32) {
	gl.ProgramUniform1ui(p.id, p.loc(name), v)
}

// SetFloat sets a float uniform of p.
func (c *Ctx) SetFloat(p *Program, name string, v float32) {
	gl.ProgramUniform1f(p.id, p.loc(name), v)
}

// SetDouble sets a double uniform of p.
func (c *Ctx) SetDouble(p *Program, name string, v float64) {
	gl.ProgramUniform1d(p.id, p.loc(name), v)
}

// Bind binds all of b to the shader storage binding point.
func (c *Ctx) Bind(binding int, b *Buffer) {
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, uint32(binding), b.id)
}

// Dispatch runs p on x×y×z work groups.
func (c *Ctx) Dispatch(p *Program, x, y, z int) {
	if c.prog != p {
		gl.UseProgram(p.id)
		c.prog = p
	}
	gl.DispatchCompute(uint32(x), uint32(y), uint32(z))
}

// Barrier makes the storage writes of earlier dispatches visible to later
// dispatches and to buffer uploads and downloads.
func (c *Ctx) Barrier() {
	gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT | gl.BUFFER_UPDATE_BARRIER_BIT)
}

// Timer is a GL_TIME_ELAPSED query.
type Timer struct{ id uint32 }

// NewTimer creates a timer query.
func (c *Ctx) NewTimer() *Timer {
	t := &Timer{}
	gl.GenQueries(1, &t.id)
	return t
}

// Begin starts timing the commands that follow (one timer may run at a
// time).
func (c *Ctx) Begin(t *Timer) { gl.BeginQuery(gl.TIME_ELAPSED, t.id) }

// End stops the running timer.
func (c *Ctx) End(t *Timer) { gl.EndQuery(gl.TIME_ELAPSED) }

// Elapsed waits for the timed commands and returns their device time in
// nanoseconds.
func (c *Ctx) Elapsed(t *Timer) uint64 {
	var ns uint64
	gl.GetQueryObjectui64v(t.id, gl.QUERY_RESULT, &ns)
	return ns
}

// ReleaseTimer deletes t.
func (c *Ctx) ReleaseTimer(t *Timer) {
	if t != nil && t.id != 0 {
		gl.DeleteQueries(1, &t.id)
		t.id = 0
	}
}

// Finish waits for every command issued so far.
func (c *Ctx) Finish() { gl.Finish() }

// Err returns the GL errors raised since the last check (nil if none)
// and clears them.
func (c *Ctx) Err() error {
	var names []string
	for i := 0; i < 16; i++ {
		code := gl.GetError()
		if code == gl.NO_ERROR {
			break
		}
		names = append(names, errName(code))
	}
	if names == nil {
		return nil
	}
	return fmt.Errorf("gpu: OpenGL error %s", strings.Join(names, ", "))
}

func clearErrors() {
	for i := 0; i < 16 && gl.GetError() != gl.NO_ERROR; i++ {
	}
}

func errName(code uint32) string {
	switch code {
	case gl.INVALID_ENUM:
		return "GL_INVALID_ENUM"
	case gl.INVALID_VALUE:
		return "GL_INVALID_VALUE"
	case gl.INVALID_OPERATION:
		return "GL_INVALID_OPERATION"
	case gl.OUT_OF_MEMORY:
		return "GL_OUT_OF_MEMORY"
	case gl.INVALID_FRAMEBUFFER_OPERATION:
		return "GL_INVALID_FRAMEBUFFER_OPERATION"
	case gl.STACK_OVERFLOW:
		return "GL_STACK_OVERFLOW"
	case gl.STACK_UNDERFLOW:
		return "GL_STACK_UNDERFLOW"
	}
	return fmt.Sprintf("GL error 0x%x", code)
}

// Clear sets every byte of b to zero.
func (c *Ctx) Clear(b *Buffer) {
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.ClearBufferData(gl.SHADER_STORAGE_BUFFER, gl.R32UI, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
}
