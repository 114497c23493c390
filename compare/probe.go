package compare

import (
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/lsgd/lsgd"
)

// readBandwidth measures how fast threads goroutines (0: GOMAXPROCS) read
// memory, in GB/s (10⁹ bytes/s): it fills a buffer of the given size and
// sums it as 64-bit words, each goroutine one contiguous part, the median
// of seven timed passes after a warm-up. Integer sums keep one load per
// cycle per core without vector instructions, enough to saturate memory
// (the float kernels' floor), and cannot be skipped by the compiler.
//
// It stands in for cpu.ReadBandwidth (the vector read kernel) until that
// is part of the cpu package.
func readBandwidth(bytes int64, threads int) float64 {
	buf := make([]uint64, max(bytes/8, 64))
	fillWords(buf, threads)
	t := medianRead(buf, threads, 7)
	return float64(len(buf)*8) / t.Seconds() / 1e9
}

// readTable times one read-only pass over t's storage with threads
// goroutines, the median of reps passes after a warm-up: the same-data
// anchor of a gradient pass.
func readTable(t *lsgd.Table, threads, reps int) time.Duration {
	var p unsafe.Pointer
	var n int
	switch {
	case len(t.F32) >= 2:
		p, n = unsafe.Pointer(&t.F32[0]), len(t.F32)/2
	case len(t.F64) > 0:
		p, n = unsafe.Pointer(&t.F64[0]), len(t.F64)
	default:
		return 0
	}
	return medianRead(unsafe.Slice((*uint64)(p), n), threads, reps)
}

// readSink keeps the sums alive.
var readSink uint64

func medianRead(buf []uint64, threads, reps int) time.Duration {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	reps = max(reps, 1)
	readPass(buf, threads)
	ts := make([]time.Duration, reps)
	for i := range ts {
		t0 := time.Now()
		readPass(buf, threads)
		ts[i] = time.Since(t0)
	}
	slices.Sort(ts)
	return ts[reps/2]
}

func readPass(buf []uint64, threads int) {
	part := (len(buf) + threads - 1) / threads
	sums := make([]uint64, threads)
	var wg sync.WaitGroup
	for k := 0; k < threads; k++ {
		lo, hi := min(k*part, len(buf)), min((k+1)*part, len(buf))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[k] = sumWords(buf[lo:hi])
		}()
	}
	wg.Wait()
	for _, s := range sums {
		readSink += s
	}
}

// sumWords adds 64-bit words with four independent sums.
func sumWords(x []uint64) uint64 {
	var s0, s1, s2, s3 uint64
	for len(x) >= 4 {
		s0 += x[0]
		s1 += x[1]
		s2 += x[2]
		s3 += x[3]
		x = x[4:]
	}
	for _, v := range x {
		s0 += v
	}
	return s0 + s1 + s2 + s3
}

func fillWords(buf []uint64, threads int) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	part := (len(buf) + threads - 1) / threads
	var wg sync.WaitGroup
	for k := 0; k < threads; k++ {
		lo, hi := min(k*part, len(buf)), min((k+1)*part, len(buf))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				buf[i] = uint64(i) * 0x9e3779b97f4a7c15
			}
		}()
	}
	wg.Wait()
}
