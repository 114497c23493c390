//go:build unix

package cpu

import "syscall"

// cpuSeconds returns the CPU seconds (user + system) this process has
// used, so a benchmark on a shared machine can report its work per CPU
// second as well as per wall second.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
