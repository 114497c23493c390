// Package cpu implements lsgd's backends on the CPU.
//
// Two backends share the lsgd.Data contract:
//
//   - NewReference: the float64 reference, plain loops on one goroutine,
//     written to be obviously right. Every other path is checked against it.
//   - New: the fast path, float64 or float32, rows split into fixed chunks
//     spread over all cores, each chunk's partial sums merged in a fixed
//     order (so any GOMAXPROCS gives the same bits), with vector kernels
//     chosen at run time from the CPU's features and a portable Go kernel
//     beside them.
package cpu
