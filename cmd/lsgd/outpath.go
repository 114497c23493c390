package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd/tableio"
)

// pathRoles names, per command, the flags that hold input files and those
// that hold output files; prefix is a flag naming the start of several
// output files (bench --out P writes P.csv, P.json, P.png).
type pathRoles struct {
	in, out []string
	prefix  string
	exts    []string // the extensions prefix gets
}

var commandPaths = map[string]pathRoles{
	"train":   {in: []string{"data"}, out: []string{"model-out", "plot"}},
	"solve":   {in: []string{"data"}, out: []string{"model-out"}},
	"predict": {in: []string{"model", "data"}, out: []string{"out"}},
	"gen":     {out: []string{"out"}},
	"compare": {in: []string{"data"}},
	"cv":      {in: []string{"data"}, out: []string{"plot"}},
	"bench":   {prefix: "out", exts: []string{".csv", ".json", ".png"}},
}

// outputFile is one file a command will write, and the flag it comes from.
type outputFile struct {
	flag, path string
}

// checkPaths runs before any command does work: an empty file flag, an
// output that is a directory or ends in a slash, an output whose directory
// is missing or not writable, an output that is the same file as an input
// (or as another output), and a synthetic table too large to hold are all
// usage errors, so that no fit is lost to a file that cannot be written and
// no input is overwritten.
func checkPaths(cmd *cobra.Command, args []string) error {
	for _, a := range args {
		if strings.TrimSpace(a) == "" {
			return usageErrorf(cmd, "%s: an empty argument: give a directory", cmd.CommandPath())
		}
	}
	roles, ok := commandPaths[cmd.Name()]
	if !ok || cmd.Parent() == nil || cmd.Parent().HasParent() {
		return nil
	}
	fl := cmd.Flags()
	str := func(name string) (string, bool) {
		if !fl.Changed(name) {
			return "", false
		}
		v, err := fl.GetString(name)
		return v, err == nil
	}
	all := append(append([]string{}, roles.in...), roles.out...)
	if roles.prefix != "" {
		all = append(all, roles.prefix)
	}
	for _, n := range all {
		if v, ok := str(n); ok && strings.TrimSpace(v) == "" {
			return usageErrorf(cmd, "--%s is empty: give a file name", n)
		}
	}
	var outs []outputFile
	for _, n := range roles.out {
		if v, ok := str(n); ok {
			outs = append(outs, outputFile{n, v})
		}
	}
	if v, ok := str(roles.prefix); ok {
		if strings.HasSuffix(v, "/") || filepath.Base(v) == "." || filepath.Base(v) == ".." || isDir(v) {
			return usageErrorf(cmd, "--%s %s: names a directory: give a prefix for the file names, e.g. %s",
				roles.prefix, v, filepath.Join(v, "results"))
		}
		for _, e := range roles.exts {
			outs = append(outs, outputFile{roles.prefix, v + e})
		}
	}
	if cmd.Name() == "gen" {
		if v, ok := str("out"); ok {
			outs = append(outs, outputFile{"out", truthPath(v)})
		}
	}
	// An output must not be an input, nor another output.
	for i, o := range outs {
		for _, n := range roles.in {
			in, ok := str(n)
			if ok && sameFile(o.path, in) {
				return usageErrorf(cmd, "--%s %s is the same file as --%s %s: writing it would destroy the input",
					o.flag, o.path, n, in)
			}
		}
		for _, p := range outs[:i] {
			if sameFile(o.path, p.path) {
				return usageErrorf(cmd, "--%s %s and --%s %s are the same file", p.flag, p.path, o.flag, o.path)
			}
		}
	}
	for _, o := range outs {
		if err := checkOutput(cmd, o); err != nil {
			return err
		}
	}
	return checkShapeFlags(cmd)
}

// checkOutput checks that one output file can be written.
func checkOutput(cmd *cobra.Command, o outputFile) error {
	p := o.path
	if strings.HasSuffix(p, "/") {
		return usageErrorf(cmd, "--%s %s: names a directory: want a file name", o.flag, p)
	}
	target := p
	if l, err := os.Lstat(p); err == nil && l.Mode()&fs.ModeSymlink != 0 {
		// A link is written through: check what it points to.
		if r, err := filepath.EvalSymlinks(p); err == nil {
			target = r
		} else if dest, err := os.Readlink(p); err == nil {
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(p), dest)
			}
			target = dest
		}
	}
	st, statErr := os.Stat(target)
	if target != p && (statErr != nil || st.Mode().IsRegular()) &&
		!strings.EqualFold(filepath.Ext(target), filepath.Ext(p)) {
		// The format follows the name given; the file that gets it must
		// not be named for another (CSV text written into a .npy file).
		return usageErrorf(cmd, "--%s %s is a link to %s: the file would not hold what its name says",
			o.flag, p, target)
	}
	if statErr == nil {
		switch {
		case st.IsDir():
			return usageErrorf(cmd, "--%s %s: is a directory: want a file name", o.flag, p)
		case !st.Mode().IsRegular():
			// A device or FIFO is written directly, not replaced.
			if err := syscall.Access(target, 2); err != nil {
				return usageErrorf(cmd, "--%s %s: cannot write: %v", o.flag, p, err)
			}
			return nil
		}
	}
	dir := filepath.Dir(target)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageErrorf(cmd, "--%s %s: directory %s does not exist", o.flag, p, dir)
	case err != nil:
		return usageErrorf(cmd, "--%s %s: %v", o.flag, p, err)
	case !st.IsDir():
		return usageErrorf(cmd, "--%s %s: %s is not a directory", o.flag, p, dir)
	}
	// The file is written as a temporary file in dir, then renamed.
	if err := syscall.Access(dir, 2|1); err != nil {
		return usageErrorf(cmd, "--%s %s: cannot write in directory %s: %v", o.flag, p, dir, err)
	}
	return nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// sameFile reports whether two paths name the same file: the same inode
// when both exist (through symbolic and hard links), else the same
// cleaned absolute path after resolving links.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	return resolvedPath(a) == resolvedPath(b)
}

// resolvedPath is p made absolute with its directory's links resolved (and
// p's own, when it is a link that resolves).
func resolvedPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	} else if dir, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(dir, filepath.Base(p))
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// prepareAtomic is writeAtomic's first half (see tableio.PrepareFileAtomic):
// the file is written beside path and appears only on commit(true).
func prepareAtomic(ctx context.Context, path string, fill func(io.Writer) error) (commit func(keep bool) error, err error) {
	commit, err = tableio.PrepareFileAtomic(path, func(w io.Writer) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fill(ctxWriter{ctx, w})
	})
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("interrupted: %s not written", path)
	}
	return commit, err
}
