package tableio

import (
	"os"
	"syscall"
)

// dropPages unmaps the pages of b (MADV_DONTNEED: clean file pages, so
// nothing is lost) and then drops them from the page cache
// (POSIX_FADV_DONTNEED on the file range at off).
func dropPages(f *os.File, b []byte, off int64) {
	_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
	if f != nil {
		const fadvDontNeed = 4 // POSIX_FADV_DONTNEED
		syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), uintptr(off), uintptr(len(b)), fadvDontNeed, 0, 0)
	}
}

func adviseWillNeed(b []byte)   { _ = syscall.Madvise(b, syscall.MADV_WILLNEED) }
func adviseSequential(b []byte) { _ = syscall.Madvise(b, syscall.MADV_SEQUENTIAL) }
