//go:build !linux

package compare

// cpuTimes is only known on Linux.
func cpuTimes() (busy, self float64, ok bool) { return 0, 0, false }
