package cpu

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// busyTicks returns the machine's non-idle CPU time and this process's CPU
// time, both in clock ticks (1/100 s).
func busyTicks() (machine, self int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 { // idle, iowait
			machine += n
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	us := ru.Utime.Nano() + ru.Stime.Nano()
	return machine, us / 1e7
}

// otherLoad returns the CPU used by other processes during d, in CPUs.
func otherLoad(d time.Duration) float64 {
	m0, s0 := busyTicks()
	time.Sleep(d)
	m1, s1 := busyTicks()
	return float64((m1-m0)-(s1-s0)) / 100 / d.Seconds()
}

// waitQuiet waits (up to max) until other processes use less than 5% of a
// CPU over half a second, and returns the load it last saw.
func waitQuiet(max time.Duration) float64 {
	end := time.Now().Add(max)
	for {
		l := otherLoad(500 * time.Millisecond)
		if l < 0.05 || time.Now().After(end) {
			return l
		}
	}
}

// quietRate runs fn (which processes bytes bytes) in batches of about 20 ms
// and returns the median GB/s over reps batches during which no other
// process used the CPU (best effort: gives up after 20·reps batches).
func quietRate(bytes int64, reps int, fn func()) float64 {
	t0 := time.Now()
	fn()
	per := max(1, int(20*time.Millisecond/max(time.Since(t0), time.Microsecond)))
	var rates []float64
	for tries := 0; len(rates) < reps && tries < 20*reps; tries++ {
		m0, s0 := busyTicks()
		t0 := time.Now()
		for i := 0; i < per; i++ {
			fn()
		}
		d := time.Since(t0)
		m1, s1 := busyTicks()
		if (m1-m0)-(s1-s0) > 0 {
			continue
		}
		rates = append(rates, float64(bytes)*float64(per)/d.Seconds()/1e9)
	}
	if len(rates) == 0 {
		return 0
	}
	slices.Sort(rates)
	return rates[len(rates)/2]
}
