//go:build cgo

package gpu

import (
	"fmt"
	"math"
	"time"

	"github.com/lsgd/lsgd/gpu/internal/gldev"
)

// ReadBandwidth measures the device's memory read bandwidth in GB/s
// (10⁹ bytes/s): a read-only pass over bytes of zeroed device memory
// (split into storage-block-sized buffers), timed with GL_TIME_ELAPSED
// after a warm-up, best of five (wall clock on a software renderer, see
// timePasses). It is the backend's Caps.ReadBandwidth.
func (b *Backend) ReadBandwidth(bytes int64) (float64, error) {
	if bytes < 16 {
		return 0, fmt.Errorf("gpu: bandwidth probe of %d bytes", bytes)
	}
	if b.caps.TimerBits == 0 && !b.caps.Software {
		return 0, fmt.Errorf("gpu: %s has no timer queries", b.caps.Renderer)
	}
	lim := limitsOf(&b.caps, &b.opt)
	block := lim.blockBytes / 16 * 16
	wg := min(256, floorPow2(min(lim.maxInvocations, lim.maxSizeX)))
	best := math.Inf(1)
	err := b.dev.Do(func(c *gldev.Ctx) error {
		p, err := b.program(c, "bandwidth.comp", false, def{"WG", wg})
		if err != nil {
			return err
		}
		var bufs []*gldev.Buffer
		defer func() {
			for _, x := range bufs {
				c.Release(x)
			}
		}()
		for left := bytes / 16 * 16; left > 0; left -= block {
			x, err := c.NewBuffer("the bandwidth probe", min(left, block))
			if err != nil {
				return err
			}
			c.Clear(x)
			bufs = append(bufs, x)
		}
		out, err := c.NewBuffer("the bandwidth probe's output", 16)
		if err != nil {
			return err
		}
		bufs = append(bufs, out)
		pass := func() {
			for _, x := range bufs[:len(bufs)-1] {
				n := x.Size / 16
				c.Bind(0, x)
				c.Bind(1, out)
				c.SetUint(p, "n", uint32(n))
				// About 64 vec4s per invocation, within the group limit.
				groups := int(max(1, min(int64(lim.maxGroups), n/int64(64*wg))))
				c.Dispatch(p, groups, 1, 1)
			}
		}
		pass()
		for _, s := range timePasses(c, 5, pass) {
			best = min(best, s)
		}
		return c.Err()
	})
	if err != nil {
		return 0, err
	}
	if !(best > 0) {
		return 0, fmt.Errorf("gpu: the timer measured %g s for %s", best, gldev.Bytes(bytes))
	}
	return float64(bytes/16*16) / best / 1e9, nil
}

// timePasses runs pass n times and returns the device seconds of each:
// from GL_TIME_ELAPSED queries, or, on a software renderer, from the wall
// clock around glFinish: llvmpipe's timer queries do not cover compute
// dispatches (they report microseconds for passes that take tens of
// milliseconds), and there the device is the CPU anyway.
func timePasses(c *gldev.Ctx, n int, pass func()) []float64 {
	secs := make([]float64, n)
	if c.Caps().Software {
		for i := range secs {
			c.Finish()
			start := time.Now()
			pass()
			c.Finish()
			secs[i] = time.Since(start).Seconds()
		}
		return secs
	}
	ts := make([]*gldev.Timer, n)
	for i := range ts {
		ts[i] = c.NewTimer()
		c.Begin(ts[i])
		pass()
		c.End(ts[i])
	}
	for i, t := range ts {
		secs[i] = float64(c.Elapsed(t)) / float64(time.Second)
		c.ReleaseTimer(t)
	}
	return secs
}
