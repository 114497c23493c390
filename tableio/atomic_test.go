package tableio

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
