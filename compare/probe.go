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
// sums it as 64-bit words, each goroutine one contiguous part read as one
// stream or as four (the faster), the median of seven timed passes after
// a warm-up. Integer sums keep one load per
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

// medianRead returns the median time of reps read passes over buf after a
// warm-up, with one stream per goroutine and with four, whichever is
// faster: the probe is a floor, so it takes the best read the machine
// gives. The two kinds alternate rep by rep so that drift hits both.
func medianRead(buf []uint64, threads, reps int) time.Duration {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	reps = max(reps, 1)
	readPass(buf, threads, sumWords)
	readPass(buf, threads, sumWords4)
	t1, t4 := make([]time.Duration, reps), make([]time.Duration, reps)
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		readPass(buf, threads, sumWords)
		t1[i] = time.Since(t0)
		t0 = time.Now()
		readPass(buf, threads, sumWords4)
		t4[i] = time.Since(t0)
	}
	slices.Sort(t1)
	slices.Sort(t4)
	return min(t1[reps/2], t4[reps/2])
}

func readPass(buf []uint64, threads int, sum func([]uint64) uint64) {
	part := (len(buf) + threads - 1) / threads
	sums := make([]uint64, threads)
	var wg sync.WaitGroup
	for k := 0; k < threads; k++ {
		lo, hi := min(k*part, len(buf)), min((k+1)*part, len(buf))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[k] = sum(buf[lo:hi])
		}()
	}
	wg.Wait()
	for _, s := range sums {
		readSink += s
	}
}

// sumWords4 adds the words of four equal quarters of x in lockstep: four
// streams, which some memory systems need to reach their bandwidth from
// one core (the peers' "C read-sum x4").
func sumWords4(x []uint64) uint64 {
	q := len(x) / 4
	a, b, c, d := x[:q], x[q:2*q], x[2*q:3*q], x[3*q:4*q]
	var s0, s1, s2, s3 uint64
	for i := range a {
		s0 += a[i]
		s1 += b[i]
		s2 += c[i]
		s3 += d[i]
	}
	return s0 + s1 + s2 + s3 + sumWords(x[4*q:])
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
