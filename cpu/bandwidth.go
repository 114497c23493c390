package cpu

import (
	"runtime"
	"slices"
	"time"
	"unsafe"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/internal/par"
)

// ReadBandwidth measures how fast threads goroutines (0: GOMAXPROCS) can
// read memory: it allocates and fills a buffer of the given size, sums it
// with the vector read kernels, each goroutine one contiguous part read as
// one stream or as four side by side (whichever is faster: the probe is a
// floor), and returns bytes/second in GB/s (10⁹ bytes per second), the
// median of seven timed passes after a warm-up. With a buffer well beyond
// the last-level cache (≥ 128 MiB) this bounds any one-pass kernel: a
// gradient pass over a table of B bytes cannot take less than
// B / (ReadBandwidth·10⁹) seconds.
func ReadBandwidth(bytes int64, threads int) (gbps float64) {
	buf := make([]float32, max(bytes/4, 64))
	parallelFill(buf, threads)
	t := medianReadTime(buf, threads, 7)
	return float64(len(buf)*4) / t.Seconds() / 1e9
}

// ReadTable times one read-only pass over the storage of t (its rows as
// stored, stride included) with threads goroutines (0: GOMAXPROCS), as
// ReadBandwidth reads: the median of reps passes after a warm-up, one or
// four streams per goroutine, whichever is faster. It is the same-data
// anchor of a gradient pass.
func ReadTable(t *lsgd.Table, threads, reps int) time.Duration {
	buf := t.F32
	if buf == nil {
		buf = f64AsF32(t.F64)
	}
	return medianReadTime(buf, threads, reps)
}

// f64AsF32 views float64 storage as float32 words, for reading only.
func f64AsF32(x []float64) []float32 {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&x[0])), 2*len(x))
}

// medianReadTime returns the median time of reps read passes over buf with
// one stream per goroutine and with four, alternating rep by rep so that
// drift hits both, whichever median is smaller.
func medianReadTime(buf []float32, threads, reps int) time.Duration {
	reps = max(reps, 1)
	readPass(buf, threads, 1) // warm-up
	readPass(buf, threads, 4)
	var t1, t4 []time.Duration
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		readPass(buf, threads, 1)
		t1 = append(t1, time.Since(t0))
		t0 = time.Now()
		readPass(buf, threads, 4)
		t4 = append(t4, time.Since(t0))
	}
	slices.Sort(t1)
	slices.Sort(t4)
	return min(t1[reps/2], t4[reps/2])
}

// readSink keeps the sums of the read passes alive.
var readSink float32

// readPass sums buf with threads goroutines (0: GOMAXPROCS), each a
// contiguous part read as streams (1 or 4) streams.
func readPass(buf []float32, threads, streams int) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	sum := readSum32
	if streams == 4 {
		sum = readSum32x4
	}
	if threads == 1 {
		readSink += sum(buf)
		return
	}
	part := (len(buf)/threads + 63) &^ 63
	sums := make([]float32, threads)
	par.For(threads, threads, func(_, k int) {
		lo, hi := min(k*part, len(buf)), min((k+1)*part, len(buf))
		sums[k] = sum(buf[lo:hi])
	})
	for _, s := range sums {
		readSink += s
	}
}

func parallelFill(buf []float32, threads int) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	part := (len(buf) + threads - 1) / threads
	par.For(threads, threads, func(_, k int) {
		lo, hi := min(k*part, len(buf)), min((k+1)*part, len(buf))
		for i := lo; i < hi; i++ {
			buf[i] = float32(i & 1023)
		}
	})
}

// readSumPortable32 is the portable read kernel: eight independent sums so
// that the loop is not bound by the latency of one chain of additions.
func readSumPortable32(x []float32) float32 {
	var s [8]float32
	for len(x) >= 8 {
		s[0] += x[0]
		s[1] += x[1]
		s[2] += x[2]
		s[3] += x[3]
		s[4] += x[4]
		s[5] += x[5]
		s[6] += x[6]
		s[7] += x[7]
		x = x[8:]
	}
	for _, v := range x {
		s[0] += v
	}
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}
