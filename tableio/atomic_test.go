package tableio

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")

	// A new file.
	if err := WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "first\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first\n" {
		t.Fatalf("contents %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v; want 0644", st.Mode().Perm())
	}

	// A write that fails halfway leaves the old file and no temporary.
	boom := errors.New("boom")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("partial ", 1<<18)) // more than the buffer
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v; want boom", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first\n" {
		t.Fatalf("failed write clobbered the file: %d bytes", len(b))
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %q after a failed write", names)
	}

	// A failed write to a new path leaves nothing.
	err = WriteFileAtomic(filepath.Join(dir, "new.npy"), func(w io.Writer) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %q after a failed write", names)
	}

	// A panicking write leaves nothing either.
	func() {
		defer func() { recover() }()
		WriteFileAtomic(filepath.Join(dir, "panic.csv"), func(w io.Writer) error { panic("write panicked") })
	}()
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %q after a panic", names)
	}

	// Replacing keeps the file's mode.
	os.Chmod(path, 0o600)
	if err := WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "second\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second\n" {
		t.Fatalf("contents %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v; want 0600 kept", st.Mode().Perm())
	}

	// Errors: a directory as the path, a missing directory.
	if err := WriteFileAtomic(dir, func(w io.Writer) error { return nil }); err == nil {
		t.Error("wrote over a directory")
	}
	if err := WriteFileAtomic(filepath.Join(dir, "no", "x.csv"), func(w io.Writer) error { return nil }); err == nil {
		t.Error("wrote into a missing directory")
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Fatalf("directory holds %q", names)
	}
}

// TestWriteFileAtomicTable writes tables through SaveTable and checks that a
// table SaveTable refuses (NaN) leaves the old file intact.
func TestWriteFileAtomicTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	good := FromRows([][]float64{{1}, {2}}, []float64{3, 4})
	if err := SaveTable(path, good); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bad := good.Clone(F64)
	bad.Set(1, 1, math.NaN())
	if err := SaveTable(path, bad); err == nil {
		t.Fatal("saved a NaN")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) || len(dirNames(t, dir)) != 1 {
		t.Fatalf("failed save changed the directory: %q → %q, %q", before, after, dirNames(t, dir))
	}
}

// writeString is a fill function for WriteFileAtomic.
func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// Output paths that are not plain files: a link is written through and
// stays a link, a device is written directly (not replaced by a file), a
// name ending in a slash is refused.
func TestWriteFileAtomicPathShapes(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	os.WriteFile(real, []byte("old"), 0o600)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(link, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if l, err := os.Lstat(link); err != nil || l.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", l.Mode(), err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("link target holds %q; want new", b)
	}
	if st, _ := os.Stat(real); st.Mode().Perm() != 0o600 {
		t.Errorf("link target mode %v; want 0600 kept", st.Mode().Perm())
	}
	// A dangling link: the file it names is created.
	dang := filepath.Join(dir, "dangling.json")
	os.Symlink("made.json", dang)
	if err := WriteFileAtomic(dang, writeString("made")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "made.json")); string(b) != "made" {
		t.Errorf("dangling link target holds %q", b)
	}
	// A character device.
	if err := WriteFileAtomic(os.DevNull, writeString("discarded")); err != nil {
		t.Errorf("writing %s: %v", os.DevNull, err)
	}
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode().IsRegular() {
		t.Fatalf("%s was replaced by a regular file", os.DevNull)
	}
	for _, bad := range []string{dir + "/", filepath.Join(dir, "sub") + "/"} {
		if err := WriteFileAtomic(bad, writeString("x")); err == nil {
			t.Errorf("%s: wrote to a name ending in a slash", bad)
		}
	}
	for _, n := range dirNames(t, dir) {
		if strings.Contains(n, "lsgd-tmp") {
			t.Errorf("temporary file %s left behind", n)
		}
	}
}

// Temporary files of a process that died (SIGKILL) are removed by the next
// write beside them; those of a live process, and other files, are not.
func TestWriteFileAtomicStaleTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.json")
	// A pid that cannot be running: above the kernel's pid_max limit.
	dead := filepath.Join(dir, TempPrefix("m.json")+"4194304999-abc")
	live := filepath.Join(dir, TempPrefix("m.json")+"1-abc") // init
	other := filepath.Join(dir, TempPrefix("n.json")+"4194304999-abc")
	for _, p := range []string{dead, live, other} {
		os.WriteFile(p, []byte("partial"), 0o644)
	}
	if err := WriteFileAtomic(path, writeString("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); err == nil {
		t.Errorf("stale temporary file of a dead process kept")
	}
	for _, p := range []string{live, other, path} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(p), err)
		}
	}
	// While a write runs its temporary file is registered, and
	// RemoveTempFiles (the interrupt handler) deletes it.
	WriteFileAtomic(filepath.Join(dir, "x.csv"), func(w io.Writer) error {
		RemoveTempFiles()
		for _, n := range dirNames(t, dir) {
			if strings.HasPrefix(n, TempPrefix("x.csv")) {
				t.Errorf("RemoveTempFiles left %s", n)
			}
		}
		return nil
	})
}

// Two files prepared together: until commit neither replaces its old
// contents; abandoning one leaves it as it was and no temporary file.
func TestPrepareFileAtomic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "a.truth.json")
	os.WriteFile(a, []byte("old a"), 0o644)
	os.WriteFile(b, []byte("old b"), 0o644)
	ca, err := PrepareFileAtomic(a, writeString("new a"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(a); string(got) != "old a" {
		t.Fatalf("prepared file replaced before commit: %q", got)
	}
	boom := errors.New("boom")
	if _, err := PrepareFileAtomic(b, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v; want boom", err)
	}
	ca(false) // the set failed: abandon a too
	for name, want := range map[string]string{a: "old a", b: "old b"} {
		if got, _ := os.ReadFile(name); string(got) != want {
			t.Errorf("%s holds %q; want %q", filepath.Base(name), got, want)
		}
	}
	if names := dirNames(t, dir); len(names) != 2 {
		t.Errorf("directory holds %q; want only the two old files", names)
	}
	ca, _ = PrepareFileAtomic(a, writeString("new a"))
	cb, _ := PrepareFileAtomic(b, writeString("new b"))
	if err := ca(true); err != nil {
		t.Fatal(err)
	}
	if err := cb(true); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{a: "new a", b: "new b"} {
		if got, _ := os.ReadFile(name); string(got) != want {
			t.Errorf("%s holds %q; want %q", filepath.Base(name), got, want)
		}
	}
}

// A FIFO nobody reads is an error at once, not a write that never ends; a
// FIFO with a reader gets the bytes.
func TestWriteFileAtomicFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.csv")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { done <- WriteFileAtomic(p, writeString("x")) }()
	select {
	case err := <-done:
		if err == nil || !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "no process is reading") {
			t.Errorf("FIFO without a reader: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writing a FIFO without a reader blocked")
	}
	// A reader that is already there (the pipe's buffer holds the bytes
	// until it reads them).
	r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, writeString("hello")); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != "hello" {
		t.Errorf("reader got %q", b)
	}
	r.Close()
	if st, err := os.Stat(p); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced")
	}
}
