//go:build cgo

package gpu

import (
	"fmt"
	"math"
	"os"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/gpu/internal/gldev"
	"github.com/lsgd/lsgd/tableio"
)

// A table larger than the device memory budget is streamed: the layout
// (its buffers of chunkRows rows, the windows of nx buffers the kernels
// bind, the segments and reductions) is the resident layout, but only
// 2·nx chunk buffers exist on the device, a ring the chunks are uploaded
// into when a dispatch needs them (one window bound while the next is
// uploaded). Each uploaded chunk is converted exactly as the resident
// upload converts it, then every Standardize made so far is replayed on it
// with the same kernel and multipliers, so the kernels read the values the
// resident buffers would hold, in the same dispatches: the results have
// the same bits. A pass uploads the table once (the host table must stay
// alive, unchanged, while the Data is used). Shuffled rows, which would
// read every chunk in every window, are refused.

// streamState is a streamed table's ring of chunk buffers.
type streamState struct {
	t      *lsgd.Table
	slots  []*gldev.Buffer
	holds  []int // the chunk each slot holds, −1 for none
	next   int   // round-robin victim
	muls   [][]byte
	mulBuf *gldev.Buffer
	s32    []float32
	s64    []float64
}

// memoryBudget is the device memory a table may take resident: o.Memory,
// else LSGD_GL_MEMORY, else 3/4 of the free memory the driver reports
// (NVX_gpu_memory_info, ATI_meminfo); 0 means unknown (always resident).
func memoryBudget(caps *gldev.Caps, o *Options) (int64, error) {
	if o.Memory != 0 {
		return o.Memory, nil
	}
	if s := os.Getenv("LSGD_GL_MEMORY"); s != "" {
		v, err := tableio.ParseSize(s)
		if err != nil {
			return 0, fmt.Errorf("gpu: LSGD_GL_MEMORY=%q: %v", s, err)
		}
		return v, nil
	}
	return caps.FreeMemoryBytes / 4 * 3, nil
}

// streamed reports whether a table of layout l goes through the ring.
func (b *Backend) streamed(l *layout) (bool, error) {
	budget, err := memoryBudget(&b.caps, &b.opt)
	if err != nil {
		return false, err
	}
	return budget > 0 && int64(l.rows)*l.rowBytes > budget && l.nchunks > 2*l.nx, nil
}

// setupStream makes the ring: 2·nx buffers of one chunk each and the
// buffer the multipliers are replayed from.
func (d *Data) setupStream(c *gldev.Ctx) error {
	l, s := d.l, d.stream
	n := min(l.nchunks, 2*l.nx)
	for i := 0; i < n; i++ {
		b, err := c.NewBuffer(fmt.Sprintf("streamed table buffer %d of %d", i+1, n), int64(l.chunkLen(0))*l.rowBytes)
		if err != nil {
			for _, b := range s.slots {
				c.Release(b)
			}
			return err
		}
		s.slots = append(s.slots, b)
		s.holds = append(s.holds, -1)
	}
	var err error
	s.mulBuf, err = c.NewBuffer("the replayed multipliers", int64(4*l.c4)*int64(l.elem))
	return err
}

// window returns the buffers of chunks k0…k0+n−1 (n ≤ nx), uploading into
// the ring those that are not on the device; resident tables return their
// own buffers. It binds buffers itself (binding 0 and 4) while it uploads,
// so callers bind after it.
func (d *Data) window(c *gldev.Ctx, k0, n int) []*gldev.Buffer {
	s := d.stream
	if s == nil {
		return d.x[k0 : k0+n]
	}
	out := make([]*gldev.Buffer, n)
	for i := range out {
		k := k0 + i
		slot := -1
		for j, h := range s.holds {
			if h == k {
				slot = j
			}
		}
		if slot < 0 {
			for s.holds[s.next] >= k0 && s.holds[s.next] < k0+n {
				s.next = (s.next + 1) % len(s.slots)
			}
			slot = s.next
			s.next = (s.next + 1) % len(s.slots)
			d.uploadChunk(c, k, s.slots[slot])
			s.holds[slot] = k
		}
		out[i] = s.slots[slot]
	}
	return out
}

// uploadChunk converts chunk k as upload does, copies it into buf and
// replays the Standardize calls on it.
func (d *Data) uploadChunk(c *gldev.Ctx, k int, buf *gldev.Buffer) {
	l, s, t := d.l, d.stream, d.stream.t
	batch := int(max(1, min(int64(l.chunkRows), stagingBytes/l.rowBytes)))
	w := 4 * l.c4
	if d.f64 && s.s64 == nil {
		s.s64 = make([]float64, batch*w)
	}
	if !d.f64 && s.s32 == nil {
		s.s32 = make([]float32, batch*w)
	}
	lo, nk := k*l.chunkRows, l.chunkLen(k)
	for a := 0; a < nk; a += batch {
		n := min(batch, nk-a)
		for i := 0; i < n; i++ {
			o := (lo + a + i) * t.Stride
			for j := 0; j < t.Cols; j++ {
				var v float64
				if t.F64 != nil {
					v = t.F64[o+j]
				} else {
					v = float64(t.F32[o+j])
				}
				if d.f64 {
					s.s64[i*w+j] = v - d.shift0[j]
				} else {
					s.s32[i*w+j] = float32(v - d.shift0[j])
				}
			}
		}
		off := int64(a) * l.rowBytes
		if d.f64 {
			gldev.Upload(c, buf, off, s.s64[:n*w])
		} else {
			gldev.Upload(c, buf, off, s.s32[:n*w])
		}
	}
	if len(s.muls) == 0 {
		return
	}
	p := d.pStd
	for _, m := range s.muls {
		gldev.Upload(c, s.mulBuf, 0, m)
		c.Bind(0, buf)
		c.Bind(4, s.mulBuf)
		n := nk * l.c4
		c.SetUint(p, "n", uint32(n))
		d.dispatch(c, p, (n+l.wg-1)/l.wg)
		c.Barrier()
	}
}

// standardizeStream records the multipliers (as Standardize uploads them)
// for every later upload and forgets the chunks on the device.
func (d *Data) standardizeStream(mul []float64) {
	l, s := d.l, d.stream
	var m []byte
	if d.f64 {
		v := make([]float64, 4*l.c4)
		copy(v, mul)
		m = make([]byte, 8*len(v))
		for i, x := range v {
			putBits(m[8*i:], math.Float64bits(x), 8)
		}
	} else {
		m = make([]byte, 4*4*l.c4)
		for i, x := range mul {
			putBits(m[4*i:], uint64(math.Float32bits(float32(x))), 4)
		}
	}
	s.muls = append(s.muls, m)
	for i := range s.holds {
		s.holds[i] = -1
	}
}

func putBits(b []byte, v uint64, n int) {
	for i := 0; i < n; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

// release frees the ring.
func (s *streamState) release(c *gldev.Ctx) {
	if s == nil {
		return
	}
	for _, b := range append(s.slots, s.mulBuf) {
		c.Release(b)
	}
}

// streamInfo describes the streaming for Kernel: "" when resident.
func (d *Data) streamInfo() string {
	if d.stream == nil {
		return ""
	}
	return fmt.Sprintf("; streamed through %d buffers of %s", len(d.stream.slots), gldev.Bytes(int64(d.l.chunkLen(0))*d.l.rowBytes))
}
