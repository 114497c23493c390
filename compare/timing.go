package compare

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// ProbeBytes is the buffer size of the host read-bandwidth probe: well
// beyond any last-level cache, so it measures memory, not cache.
const ProbeBytes = 256 << 20

// HostReadGBps measures the host's read bandwidth with threads goroutines
// (0: GOMAXPROCS), in GB/s: the floor for one pass over a table in host
// memory (cpu.ReadBandwidth: the vector read kernel).
func HostReadGBps(threads int) float64 {
	return cpu.ReadBandwidth(ProbeBytes, threads)
}

// probeFor measures the read bandwidth of the memory a backend's table
// lives in: the host's for a CPU backend and for a software renderer
// (whose own read kernel, when its Caps has ReadBandwidth, is returned as
// device), the device's own probe for a GPU; nil with a note when it
// cannot be measured.
func probeFor(be lsgd.Backend, bytes int64, threads int) (read, device *float64, note string) {
	caps := be.Caps()
	hasProber := caps.ReadBandwidth != nil
	software := caps.Software
	if hasProber {
		gbps, err := caps.ReadBandwidth(bytes)
		switch {
		case err != nil:
			note = fmt.Sprintf("device read probe failed: %v", err)
		case software:
			device = &gbps
		default:
			read = &gbps
		}
	}
	switch {
	case be.Name() == "cpu" || software:
		read = ptr(cpu.ReadBandwidth(bytes, threads))
		if software {
			note = "software renderer: the table is in host memory, so its fraction is of the host's read bandwidth"
			if device != nil {
				note += fmt.Sprintf(" (the renderer's own read kernel reaches %.2f GB/s)", *device)
			}
		}
	case !hasProber:
		note = "no device read probe: fraction of bandwidth unknown"
	}
	return read, device, note
}

// timing is the measured time of one full-batch gradient pass.
type timing struct {
	Wall     float64   // median wall-clock seconds per pass, synchronised
	WallMin  float64   // fastest rep
	WallMax  float64   // slowest rep
	Timer    []float64 // device-timer seconds per pass (Caps.TimeGradient), nil if none
	Batch    int       // passes per timed rep (tiny tables are timed in batches)
	Reps     int
	TimerErr error
	// Other is the CPU other processes used while the reps ran, in % of
	// one core (nil where unknown; meaningful for reps over ~50 ms in all,
	// the resolution of /proc/stat being 10 ms). Over ~10% the machine was
	// shared and the times are suspect.
	Other *float64
}

// otherLoad measures the CPU other processes use while fn runs (see
// timing.Other).
func otherLoad(fn func() error) (*float64, error) {
	b0, s0, ok0 := cpuTimes()
	t0 := time.Now()
	err := fn()
	wall := time.Since(t0).Seconds()
	b1, s1, ok1 := cpuTimes()
	if !ok0 || !ok1 || wall < 0.05 {
		return nil, err
	}
	return ptr(math.Max(0, 100*((b1-b0)-(s1-s0))/wall)), err
}

// seconds is the time throughput is computed from: the device timer's
// median when there is one, else the wall clock.
func (t timing) seconds() (float64, string) {
	if len(t.Timer) > 0 {
		return median(t.Timer), "gl-timer-query"
	}
	return t.Wall, "wall"
}

// timerLabel names what a timing's seconds came from for a backend: a
// software renderer's TimeGradient reports wall-clock time (llvmpipe's GL
// timer does not cover compute work), so it is labelled as such.
func timerLabel(label string, be lsgd.Backend) string {
	if label == "gl-timer-query" && be.Caps().Software {
		return "wall (software renderer)"
	}
	return label
}

// kernelName is the kernel variant a Data runs, when it says (the GPU's
// "rows" or "tiled" gradient kernels).
func kernelName(d lsgd.Data) string {
	return d.Caps().Kernel
}

// minRep is the shortest rep worth timing with the wall clock: shorter
// passes are timed in batches of this total length.
const minRep = 2 * time.Millisecond

// timeGradient times full-batch Gradient calls on d (already standardized
// and initialized): two warm-up passes, then reps timed reps of batch
// passes each followed by Status (which waits for the device), so an
// asynchronous backend is timed to completion. The per-pass time is the
// rep's time over batch.
func timeGradient(d lsgd.Data, reps int) (timing, error) {
	rows := lsgd.Rows{Lo: 0, Hi: d.Rows()}
	reps = max(reps, 1)
	one := func(batch int) (time.Duration, error) {
		t0 := time.Now()
		for k := 0; k < batch; k++ {
			if err := d.Gradient(lsgd.Theta, rows); err != nil {
				return 0, err
			}
		}
		if _, err := d.Status(); err != nil {
			return 0, err
		}
		return time.Since(t0), nil
	}
	var first time.Duration
	for w := 0; w < 2; w++ {
		dt, err := one(1)
		if err != nil {
			return timing{}, err
		}
		first = dt
	}
	batch := 1
	if first < minRep {
		batch = int(min(1000, (minRep+first-1)/max(first, time.Microsecond)))
	}
	ts := make([]float64, reps)
	other, err := otherLoad(func() error {
		for r := range ts {
			dt, err := one(batch)
			if err != nil {
				return err
			}
			ts[r] = dt.Seconds() / float64(batch)
		}
		return nil
	})
	if err != nil {
		return timing{}, err
	}
	t := timing{Wall: median(ts), WallMin: slices.Min(ts), WallMax: slices.Max(ts), Batch: batch, Reps: reps, Other: other}
	if tg := d.Caps().TimeGradient; tg != nil {
		dev, err := tg(rows, reps)
		switch {
		case err != nil:
			t.TimerErr = err
		case len(dev) == 0:
			t.TimerErr = fmt.Errorf("timer returned no times")
		default:
			t.Timer = dev
		}
	}
	return t, nil
}

// timeEpoch times full-batch epochs as Fit runs them: k iterations of
// Gradient at the look-ahead point and a Nesterov step, then one Status,
// the median of three such runs divided by k. It leaves d's state
// re-initialized to theta.
func timeEpoch(d lsgd.Data, theta, mask, ridge []float64, lr float64) (float64, error) {
	const k = 10
	rows := lsgd.Rows{Lo: 0, Hi: d.Rows()}
	step := lsgd.Step{Method: lsgd.Nesterov, LR: lr, Beta: -1, Restart: true}
	ts := make([]float64, 3)
	for r := range ts {
		if err := d.Init(theta, mask, ridge); err != nil {
			return 0, err
		}
		t0 := time.Now()
		for i := 0; i < k; i++ {
			if err := d.Gradient(lsgd.Look, rows); err != nil {
				return 0, err
			}
			if err := d.Step(step); err != nil {
				return 0, err
			}
		}
		if _, err := d.Status(); err != nil {
			return 0, err
		}
		ts[r] = time.Since(t0).Seconds() / k
	}
	return median(ts), d.Init(theta, mask, ridge)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func elemSize(p lsgd.Precision) int64 {
	if p == lsgd.F32 {
		return 4
	}
	return 8
}

// tableBytes is what one pass over the table reads: rows × cols × the
// backend's element size (X and y read once).
func tableBytes(rows, cols int, p lsgd.Precision) int64 {
	return int64(rows) * int64(cols) * elemSize(p)
}

func ptr(v float64) *float64 { return &v }
