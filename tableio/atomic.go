package tableio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// WriteFileAtomic writes a file through write so that path ends up either
// with the complete new contents or untouched: write fills a temporary file
// in the same directory (through a buffer), which is flushed, fsynced,
// closed and then renamed over path. If write or any of those steps fails
// (or write panics), the temporary file is removed and an existing file at
// path is left as it was. A new file gets mode 0644; a replaced file keeps
// its mode.
//
// A symbolic link at path is written through: the link stays and the file
// it points to is replaced atomically. An existing path that is not a
// regular file (/dev/null, a FIFO, a terminal) is written directly, since
// renaming over it would replace the device by a file. A path ending in a
// slash or naming a directory is an error.
//
// Temporary files are named ".NAME.lsgd-tmp-PID-RANDOM" (see TempPrefix);
// ones left beside path by a process that no longer runs (killed with
// SIGKILL, or a machine that lost power) are removed first. Until the
// rename, the temporary file is registered so that RemoveTempFiles (called
// on an interrupt) can delete it.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	commit, err := PrepareFileAtomic(path, write)
	if err != nil {
		return err
	}
	return commit(true)
}

// PrepareFileAtomic is the first half of WriteFileAtomic: it writes the new
// contents of path to a temporary file beside it and returns commit, which
// renames the file over path (commit(true)) or removes it (commit(false)).
// Preparing every file of a set before committing any lets a command write
// several files that belong together (gen's data and truth) so that a
// failure leaves all of them as they were. The temporary file is removed by
// RemoveTempFiles until commit is called.
func PrepareFileAtomic(path string, write func(w io.Writer) error) (commit func(keep bool) error, err error) {
	if path == "" {
		return nil, inputErrorf("output file name is empty")
	}
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator)) {
		return nil, inputErrorf("%s: names a directory: want a file name", path)
	}
	target := path
	if l, err := os.Lstat(path); err == nil && l.Mode()&os.ModeSymlink != 0 {
		// Write through the link: replace what it points to, not the link.
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			target = resolved
		} else if dest, err := os.Readlink(path); err == nil {
			// A dangling link: create the file it names.
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(path), dest)
			}
			target = dest
		}
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(target); err == nil {
		if st.IsDir() {
			return nil, inputErrorf("%s: is a directory: want a file name", path)
		}
		if !st.Mode().IsRegular() {
			// Nothing to replace: the device gets the bytes now.
			if err := writeDirect(path, target, write); err != nil {
				return nil, err
			}
			return func(bool) error { return nil }, nil
		}
		mode = st.Mode().Perm()
	}
	RemoveStaleTemp(target)
	f, err := os.CreateTemp(dir, TempPrefix(base)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("%s: cannot create a temporary file: %w", path, err)
	}
	tmp := f.Name()
	tempFiles.add(tmp)
	prepared := false
	defer func() {
		if !prepared {
			f.Close()
			os.Remove(tmp)
			tempFiles.remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	prepared = true
	return func(keep bool) error {
		defer tempFiles.remove(tmp)
		if !keep {
			os.Remove(tmp)
			return nil
		}
		if err := os.Rename(tmp, target); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("%s: %w", path, err)
		}
		// Make the rename itself durable; failure here does not undo it.
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
		return nil
	}, nil
}

// writeDirect writes to an existing file that is not a regular file (a
// device, a FIFO): there is nothing to replace atomically.
func writeDirect(path, target string, write func(w io.Writer) error) error {
	flag := os.O_WRONLY
	if st, err := os.Stat(target); err == nil && st.Mode()&os.ModeNamedPipe != 0 {
		// Opening a FIFO nobody reads would block for good; non-blocking,
		// it fails at once instead (writes still wait for the reader).
		flag |= syscall.O_NONBLOCK
	}
	f, err := os.OpenFile(target, flag, 0)
	if errors.Is(err, syscall.ENXIO) {
		return inputErrorf("%s: a FIFO that no process is reading", path)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// TempPrefix is the start of the name of a temporary file written for an
// output file named base: ".base.lsgd-tmp-"; the process id, a dash and a
// random suffix follow.
func TempPrefix(base string) string { return "." + base + ".lsgd-tmp-" }

// RemoveStaleTemp removes the temporary files beside path that were left
// by processes that no longer run.
func RemoveStaleTemp(path string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	matches, err := filepath.Glob(filepath.Join(dir, globEscape(TempPrefix(base))+"*"))
	if err != nil {
		return
	}
	prefix := TempPrefix(base)
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), prefix)
		pidStr, _, ok := strings.Cut(rest, "-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if l, err := os.Lstat(m); err == nil && l.Mode().IsRegular() {
			os.Remove(m)
		}
	}
}

// processAlive reports whether a process with this id exists (signal 0
// delivers nothing and only checks).
func processAlive(pid int) bool {
	if pid > 1<<22 { // above Linux's largest pid_max: no such process
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// globEscape escapes the characters filepath.Glob treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tempFiles are the temporary files being written now.
var tempFiles = &tempSet{m: map[string]bool{}}

type tempSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *tempSet) add(p string) {
	s.mu.Lock()
	s.m[p] = true
	s.mu.Unlock()
}

func (s *tempSet) remove(p string) {
	s.mu.Lock()
	delete(s.m, p)
	s.mu.Unlock()
}

// RemoveTempFiles deletes the temporary files WriteFileAtomic is writing
// now; a command calls it when it is interrupted and about to exit.
func RemoveTempFiles() {
	tempFiles.mu.Lock()
	defer tempFiles.mu.Unlock()
	for p := range tempFiles.m {
		os.Remove(p)
	}
}

// TempName returns a fresh temporary file name beside path, in
// WriteFileAtomic's pattern, and registers it for RemoveTempFiles until
// done is called, for a caller that writes the file itself (a plot).
// ext is appended to the name (a plotting library that picks the format
// by extension needs it).
func TempName(path, ext string) (name string, done func()) {
	dir, base := filepath.Split(path)
	name = filepath.Join(dir, TempPrefix(base)+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(rand.Uint64(), 36)+ext)
	tempFiles.add(name)
	return name, func() { tempFiles.remove(name) }
}
