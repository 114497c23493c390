//go:build linux && !purego

package cpu

import (
	"syscall"
	"testing"
	"unsafe"
)

// TestKernelsStopAtRowEnd places the last row of x against an inaccessible
// page: the vector kernels' masked loads must not touch it (a fault kills
// the test).
func TestKernelsStopAtRowEnd(t *testing.T) {
	if !haveVector(0) {
		t.Skip("no vector kernels on this machine")
	}
	ps := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 9*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[8*ps:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	f32 := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), 8*ps/4)
	f64 := unsafe.Slice((*float64)(unsafe.Pointer(&mem[0])), 8*ps/8)
	for i := range f32 {
		f32[i] = 1
	}
	for _, c := range []int{1, 3, 5, 8, 9, 33, 129} {
		for _, n := range []int{1, 2, 5, 9} {
			s := c + 1
			need := (n-1)*s + c
			w32, g32 := make([]float32, c), make([]float32, c)
			x32 := f32[len(f32)-need:]
			gradSetVec32(x32, contiguous(n, s), c, w32, 1, g32)
			gradSetVec32(x32, streams(n, s), c, w32, 1, g32)
			for i := range f64 {
				f64[i] = 1
			}
			w64, g64 := make([]float64, c), make([]float64, c)
			x64 := f64[len(f64)-need:]
			gradSetVec64(x64, contiguous(n, s), c, w64, 1, g64)
			gradSetVec64(x64, streams(n, s), c, w64, 1, g64)
			for i := range f32 {
				f32[i] = 1
			}
		}
	}
}
