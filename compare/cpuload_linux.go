package compare

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// cpuTimes returns the CPU seconds all processes have used (the busy
// ticks of /proc/stat: user, nice, system, irq, softirq; USER_HZ is 100 on
// Linux) and the seconds this process has used (getrusage), so that the CPU
// used by other processes over an interval is the difference of the two.
func cpuTimes() (busy, self float64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, false
	}
	for _, i := range []int{1, 2, 3, 6, 7} {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return 0, 0, false
		}
		busy += v / 100
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	self = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	return busy, self, true
}
