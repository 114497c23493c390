package tableio

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// A table larger than memory is not read: its .npy file is mapped
// read-only and the table's storage points into the mapping, so every
// pass over the data streams the file through the page cache and the
// process's own (anonymous) memory stays small. The pages of the mapping
// belong to the file: the kernel drops them under memory pressure and
// reads them again on the next pass.

// Mapping is a read-only memory mapping of a file that a table's storage
// points into (Table.Map). Its methods are safe for concurrent use.
type Mapping struct {
	data []byte   // the whole file, mapped
	off  int      // byte offset of row 0
	row  int      // bytes per row
	f    *os.File // the file, open for Drop's advice
}

// Advise tells the kernel that rows [lo, hi) are about to be read, so it
// starts reading them ahead of the kernels (MADV_WILLNEED). It is a hint:
// errors are ignored.
func (m *Mapping) Advise(lo, hi int) {
	if m == nil || m.data == nil || lo >= hi {
		return
	}
	a, b := m.off+lo*m.row, m.off+hi*m.row
	a &^= os.Getpagesize() - 1
	b = min(b, len(m.data))
	if a < b {
		adviseWillNeed(m.data[a:b])
	}
}

// Drop tells the kernel that rows [lo, hi) will not be read again soon:
// their whole pages leave this mapping and the page cache (see dropPages),
// so that a pass over a table larger than memory neither keeps the
// kernel's page reclaim busy nor pushes other files out of the cache. A
// row read again is read from the file again. It is a hint: errors are
// ignored.
func (m *Mapping) Drop(lo, hi int) {
	if m == nil || m.data == nil || lo >= hi {
		return
	}
	pg := os.Getpagesize()
	a := (m.off + lo*m.row + pg - 1) &^ (pg - 1)
	b := min(m.off+hi*m.row, len(m.data)) &^ (pg - 1)
	if a < b {
		dropPages(m.f, m.data[a:b], int64(a))
	}
}

// Close unmaps the file. The table that points into it must not be used
// afterwards.
func (m *Mapping) Close() error {
	if m == nil || m.data == nil {
		return nil
	}
	err := syscall.Munmap(m.data)
	m.data = nil
	if m.f != nil {
		m.f.Close()
	}
	return err
}

// MapNPY opens a .npy file as ReadNPY does (the same header checks and
// column naming; opt.Target and opt.NoTarget apply) but maps it instead
// of reading it: the table's F32 or F64 (the file's own dtype, whatever
// opt.Precision says) points into a read-only mapping, t.Map. Nothing is
// read until the table is used, so the values are not checked here: the
// first pass over them must (CheckFinite). opt.Features is not supported
// (a subset of columns would need a copy).
//
// The storage must not be written: a backend applies a standardization
// to the coefficients instead of to the values (see lsgd.Data).
func MapNPY(path string, opt ReadOptions) (*Table, error) {
	if opt.Weights != "" {
		return nil, inputErrorf("%s: row weights are not supported for a file streamed from disk (larger than the memory budget): raise --memory to read it into memory, or fit without weights", path)
	}
	if len(opt.Features) > 0 {
		return nil, inputErrorf("%s: --features cannot select columns of a file too large to read into memory; write the chosen columns to a new file", path)
	}
	f, size, err := ioOpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size < 0 {
		return nil, inputErrorf("%s: not a regular file: a stream cannot be mapped", path)
	}
	h, err := npyReadHeader(f, size, path)
	if err != nil {
		return nil, err
	}
	rows, cols, esz, err := npyShape(h, size, path, opt)
	if err != nil {
		return nil, err
	}
	if h.dataOffset%int64(esz) != 0 {
		return nil, inputErrorf("%s: data starts at byte %d, not a multiple of the value size %d: the file cannot be mapped", path, h.dataOffset, esz)
	}
	target, err := ioResolveTarget(path, DefaultNames(cols, cols-1), opt)
	if err != nil {
		return nil, err
	}
	names := DefaultNames(cols, target)
	if size > int64(^uint(0)>>1) {
		return nil, inputErrorf("%s: %d bytes do not fit in the address space", path, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: mapping the file: %w", path, err)
	}
	adviseSequential(data)
	m := &Mapping{data: data, off: int(h.dataOffset), row: cols * esz}
	if g, err := os.Open(path); err == nil {
		m.f = g
	}
	n := rows * cols
	t := &Table{Source: path, Names: names, Target: target, Rows: rows, Cols: cols, Stride: cols, Map: m}
	p := unsafe.Pointer(&data[h.dataOffset])
	if esz == 4 {
		t.F32 = unsafe.Slice((*float32)(p), n)
	} else {
		t.F64 = unsafe.Slice((*float64)(p), n)
	}
	return t, nil
}

// CheckFinite returns an input error naming the first NaN or infinite
// value of t (its row, 1-based, and its column), or nil. A mapped table
// (MapNPY) is checked by the first pass that reads it.
func (t *Table) CheckFinite() error { return ioCheckFinite(t) }

// MemAvailable returns the memory the kernel could give this process
// without swapping (MemAvailable in /proc/meminfo), in bytes, or −1 when
// it cannot be read.
func MemAvailable() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// StreamThreshold is the size in bytes above which LoadTable maps a .npy
// file instead of reading it, for a memory budget (ReadOptions.Memory, or
// MemAvailable when 0): three quarters of the budget, leaving the rest
// for the fit's own buffers and for the page cache that streams the
// file. −1 when the budget is unknown (never stream).
func StreamThreshold(memory int64) int64 {
	if memory == 0 {
		memory = MemAvailable()
	}
	if memory < 0 {
		return -1
	}
	return memory / 4 * 3
}

// ParseSize parses a memory size: a number of bytes with an optional
// suffix K, M, G or T (powers of 1024, an optional trailing "B" or "iB"),
// as in "2G", "512M" or "1.5GiB".
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "IB"), "B")
	mul := int64(1)
	if n := len(t); n > 0 {
		if k := strings.IndexByte("KMGT", t[n-1]); k >= 0 {
			mul = int64(1) << (10 * (k + 1))
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || v*float64(mul) > 1<<62 {
		return 0, fmt.Errorf("bad size %q: want a positive number of bytes with an optional K, M, G or T suffix (e.g. 2G)", s)
	}
	return int64(v * float64(mul)), nil
}

// npyTooLarge reports whether the .npy file at path, read in
// opt.Precision, would take more than StreamThreshold(opt.Memory) bytes
// (a regular file with a valid header and no feature selection only).
func npyTooLarge(path string, opt ReadOptions) bool {
	if opt.Memory < 0 || len(opt.Features) > 0 {
		return false
	}
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return false // a FIFO is opened once, by its reader
	}
	f, size, err := ioOpenFile(path)
	if err != nil || size < 0 {
		if f != nil {
			f.Close()
		}
		return false
	}
	defer f.Close()
	h, err := npyReadHeader(f, size, path)
	if err != nil {
		return false
	}
	rows, cols, _, err := npyShape(h, size, path, opt)
	if err != nil {
		return false
	}
	lim := StreamThreshold(opt.Memory)
	return lim >= 0 && int64(rows)*int64(cols)*int64(opt.Precision.Size()) > lim
}

// FormatSize writes a byte count as ParseSize reads it (1024-based, at
// most three significant digits): "2G", "512M", "1.5G".
func FormatSize(n int64) string {
	v, unit := float64(n), ""
	for _, u := range []string{"K", "M", "G", "T"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + unit
}
