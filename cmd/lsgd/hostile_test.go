package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lsgd/lsgd"
)

// snapshot is every file under a directory and its contents (a link's
// destination for a link), to compare before and after a run.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			dest, _ := os.Readlink(p)
			m[rel] = "link:" + dest
		case d.IsDir():
			m[rel] = "dir"
		case d.Type().IsRegular():
			b, _ := os.ReadFile(p)
			m[rel] = string(b)
		default:
			m[rel] = "special"
		}
		return nil
	})
	return m
}

// tutorial is the seed tutorial's data with an intercept column's worth of
// rows (five rows, two features).
const tutorial = "x1,x2,y\n1,2,1\n2,3,2\n3,4,2\n4,5,3\n5,7,4\n"

// hostileCase is one adversarial command line.
type hostileCase struct {
	name  string
	setup func(t *testing.T, dir string)
	args  []string
	code  int
	want  []string // substrings of stderr
	// written are the files the run may create or change (paths in
	// dir); every other file must be left exactly as it was.
	written []string
	check   func(t *testing.T, dir string, r result)
}

func writeData(name, content string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) { writeFile(t, dir, name, []byte(content)) }
}

func both(fs ...func(t *testing.T, dir string)) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		for _, f := range fs {
			f(t, dir)
		}
	}
}

func symlink(dest, name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := os.Symlink(dest, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func mkdir(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func npyBytes(rows, cols int, vals ...float64) []byte {
	dict := "{'descr': '<f8', 'fortran_order': False, 'shape': (" + itoa(rows) + ", " + itoa(cols) + "), }"
	pad := (64 - (10+len(dict)+1)%64) % 64
	h := dict + strings.Repeat(" ", pad) + "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	b = append(b, h...)
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func itoa(i int) string { return strconv.Itoa(i) }

// hostileCases are written from the classes of defect an adversarial run
// found, not from its exact inputs: absurd sizes, plots that cannot be
// drawn, outputs that are inputs, output paths of every shape, stale
// temporary files, and inputs whose faults need naming.
var hostileCases = []hostileCase{
	// Sizes: usage errors that state the limit, before any allocation.
	{name: "gen rows overflow the product", args: []string{"gen", "--rows", "9223372036854775807", "--features", "2", "--out", "g.csv"},
		code: 2, want: []string{"--rows 9223372036854775807", "too large"}},
	{name: "gen rows × features overflow", args: []string{"gen", "--rows", "4611686018427387904", "--features", "4", "--out", "g.npy"},
		code: 2, want: []string{"too large"}},
	{name: "gen features at int max", args: []string{"gen", "--rows", "2", "--features", "9223372036854775807", "--out", "g.csv"},
		code: 2, want: []string{"--features", "at most 4096"}},
	{name: "gen features far beyond the d² limit", args: []string{"gen", "--rows", "2", "--features", "100000", "--out", "g.csv"},
		code: 2, want: []string{"at most 4096"}},
	{name: "gen more bytes than any machine", args: []string{"gen", "--rows", "1099511627776", "--features", "1000", "--out", "g.npy"},
		code: 2, want: []string{"of memory", "available", "at most about"}},
	{name: "compare rows at int max", args: []string{"compare", "--rows", "9223372036854775807"},
		code: 2, want: []string{"too large"}},
	{name: "compare features beyond the limit", args: []string{"compare", "--rows", "10", "--features", "1000000"},
		code: 2, want: []string{"at most 4096"}},
	{name: "bench rows at int max", args: []string{"bench", "--backend", "cpu", "--rows", "9223372036854775807", "--features", "3"},
		code: 2, want: []string{"too large"}},
	{name: "bench memory", args: []string{"bench", "--backend", "cpu", "--rows", "1099511627776", "--features", "64"},
		code: 2, want: []string{"of memory"}},

	// Weights: bad values name the file, line and column; no output.
	{name: "negative weight", setup: writeData("w.csv", "x1,w,y\n1,1,2\n2,-1,4\n3,1,7\n"),
		args: []string{"train", "--backend", "cpu", "--data", "w.csv", "--weights", "w", "--model-out", "m.json"},
		code: 2, want: []string{"w.csv:3", `"w"`, "negative"}},
	{name: "NaN weight", setup: writeData("w.csv", "x1,w,y\n1,1,2\n2,nan,4\n3,1,7\n"),
		args: []string{"solve", "--data", "w.csv", "--weights", "2", "--model-out", "m.json"},
		code: 2, want: []string{"w.csv:3", "w"}},
	{name: "all weights zero", setup: writeData("w.csv", "x1,w,y\n1,0,2\n2,0,4\n3,0,7\n"),
		args: []string{"cv", "--backend", "cpu", "--data", "w.csv", "--weights", "w"},
		code: 2, want: []string{"w.csv", "every weight is zero"}},
	{name: "weights are the target", setup: writeData("w.csv", "x1,w,y\n1,1,2\n2,1,4\n3,1,7\n"),
		args: []string{"solve", "--data", "w.csv", "--weights", "y"},
		code: 2, want: []string{"also the target"}},
	{name: "no weight column", setup: writeData("w.csv", "x1,w,y\n1,1,2\n2,1,4\n3,1,7\n"),
		args: []string{"train", "--backend", "cpu", "--data", "w.csv", "--weights", "ww"},
		code: 2, want: []string{`no column named "ww" for the weights`}},

	// Plots that cannot be drawn cost nothing but a warning.
	{name: "plot of an exact fit", setup: writeData("e.csv", "x1,y\n1,2\n2,4\n3,6\n4,8\n"),
		args: []string{"train", "--backend", "cpu", "--data", "e.csv", "--plot", "p.png", "--model-out", "m.json"},
		code: 0, written: []string{"m.json", "p.png"},
		check: func(t *testing.T, dir string, r result) {
			checkModel(t, dir, "m.json")
			// Drawn (a loss of 0 on a linear scale), or a warning that
			// it was not: never a failed fit.
			drawn := strings.Contains(r.stdout, "drawn to")
			warned := strings.Contains(r.stderr, "warning: --plot p.png")
			if drawn == warned || drawn != exists(dir, "p.png") {
				t.Errorf("drawn %v, warned %v, p.png exists %v:\n%s", drawn, warned, exists(dir, "p.png"), r)
			}
		}},
	{name: "plot with a constant target", setup: writeData("c.csv", "x1,y\n1,2\n2,2\n3,2\n4,2\n"),
		args: []string{"train", "--backend", "cpu", "--data", "c.csv", "--plot", "p.png", "--model-out", "m.json"},
		code: 0, written: []string{"m.json", "p.png"},
		check: func(t *testing.T, dir string, r result) { checkModel(t, dir, "m.json") }},

	// Outputs that are inputs, by name, by link, by hard link.
	{name: "model-out is the data", setup: writeData("d.csv", tutorial),
		args: []string{"train", "--backend", "cpu", "--data", "d.csv", "--model-out", "d.csv"},
		code: 2, want: []string{"--model-out d.csv", "same file", "--data d.csv"}},
	{name: "model-out is the data spelled differently", setup: both(writeData("d.csv", tutorial), mkdir("sub")),
		args: []string{"solve", "--data", "d.csv", "--model-out", "sub/../d.csv"},
		code: 2, want: []string{"same file"}},
	{name: "model-out is a link to the data", setup: both(writeData("d.csv", tutorial), symlink("d.csv", "m.json")),
		args: []string{"solve", "--data", "d.csv", "--model-out", "m.json"},
		code: 2, want: []string{"same file"}},
	{name: "data is a link to the model-out", setup: both(writeData("d.csv", tutorial), symlink("d.csv", "l.csv")),
		args: []string{"train", "--backend", "cpu", "--data", "l.csv", "--model-out", "d.csv"},
		code: 2, want: []string{"same file"}},
	{name: "model-out is a hard link to the data", setup: func(t *testing.T, dir string) {
		writeFile(t, dir, "d.csv", []byte(tutorial))
		os.Link(filepath.Join(dir, "d.csv"), filepath.Join(dir, "h.json"))
	}, args: []string{"solve", "--data", "d.csv", "--model-out", "h.json"}, code: 2, want: []string{"same file"}},
	{name: "predict out is the data", setup: both(writeData("d.csv", tutorial), writeData("m.json", modelJSON)),
		args: []string{"predict", "--model", "m.json", "--data", "d.csv", "--out", "d.csv"},
		code: 2, want: []string{"--out d.csv", "same file"}},
	{name: "predict out is the model", setup: both(writeData("d.csv", tutorial), writeData("m.csv", modelJSON)),
		args: []string{"predict", "--model", "m.csv", "--data", "d.csv", "--out", "m.csv"},
		code: 2, want: []string{"same file", "--model m.csv"}},
	{name: "plot is the model", setup: writeData("d.csv", tutorial),
		args: []string{"train", "--backend", "cpu", "--data", "d.csv", "--model-out", "x.png", "--plot", "x.png"},
		code: 2, want: []string{"same file"}},
	{name: "gen data and truth both checked first", setup: both(writeData("g.csv", "old data\n"), mkdir("g.truth.json")),
		args: []string{"gen", "--rows", "10", "--features", "2", "--out", "g.csv"},
		code: 2, want: []string{"g.truth.json", "directory"}},
	{name: "gen truth into a link to a directory", setup: both(writeData("g.npy", "old data\n"), mkdir("t"), symlink("t", "g.truth.json")),
		args: []string{"gen", "--rows", "10", "--features", "2", "--out", "g.npy"},
		code: 2, want: []string{"g.truth.json", "directory"}},

	// Output path shapes.
	{name: "model-out is a directory", setup: both(writeData("d.csv", tutorial), mkdir("m.json")),
		args: []string{"solve", "--data", "d.csv", "--model-out", "m.json"}, code: 2, want: []string{"directory"}},
	{name: "model-out ends in a slash", setup: writeData("d.csv", tutorial),
		args: []string{"solve", "--data", "d.csv", "--model-out", "new/"}, code: 2, want: []string{"new/", "directory"}},
	{name: "model-out in a missing directory", setup: writeData("d.csv", tutorial),
		args: []string{"train", "--backend", "cpu", "--data", "d.csv", "--model-out", "no/m.json"}, code: 2, want: []string{"does not exist"}},
	{name: "model-out through a file as directory", setup: writeData("d.csv", tutorial),
		args: []string{"solve", "--data", "d.csv", "--model-out", "d.csv/m.json"}, code: 2, want: []string{"not a directory"}},
	{name: "bench prefix is a directory", setup: mkdir("res"),
		args: []string{"bench", "--backend", "cpu", "--rows", "100", "--features", "2", "--reps", "1", "--out", "res/"},
		code: 2, want: []string{"res/", "prefix"}},
	{name: "bench prefix names an existing directory", setup: mkdir("res"),
		args: []string{"bench", "--backend", "cpu", "--rows", "100", "--features", "2", "--reps", "1", "--out", "res"},
		code: 2, want: []string{"prefix"}},
	{name: "model-out is a symlink: written through", setup: both(writeData("d.csv", tutorial), writeData("real.json", "old"), symlink("real.json", "m.json")),
		args: []string{"solve", "--data", "d.csv", "--model-out", "m.json"}, code: 0, written: []string{"real.json"},
		check: func(t *testing.T, dir string, r result) {
			if l, err := os.Lstat(filepath.Join(dir, "m.json")); err != nil || l.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the link m.json was replaced")
			}
			checkModel(t, dir, "real.json")
		}},
	{name: "gen out is a link to a file of another format", setup: both(writeData("d.npy", "old"), symlink("d.npy", "g.csv")),
		args: []string{"gen", "--rows", "5", "--features", "2", "--out", "g.csv"}, code: 2, want: []string{"g.csv is a link to", "d.npy"}},
	{name: "model-out is a dangling symlink", setup: both(writeData("d.csv", tutorial), symlink("made.json", "m.json")),
		args: []string{"solve", "--data", "d.csv", "--model-out", "m.json"}, code: 0, written: []string{"made.json"},
		check: func(t *testing.T, dir string, r result) { checkModel(t, dir, "made.json") }},
	{name: "model-out is /dev/null", setup: writeData("d.csv", tutorial),
		args: []string{"train", "--backend", "cpu", "--data", "d.csv", "--model-out", os.DevNull}, code: 0,
		check: func(t *testing.T, dir string, r result) {
			if st, err := os.Stat(os.DevNull); err != nil || st.Mode().IsRegular() {
				t.Fatalf("%s is no longer a device", os.DevNull)
			}
		}},
	{name: "predict out is /dev/null", setup: both(writeData("d.csv", tutorial), writeData("m.json", modelJSON)),
		args: []string{"predict", "--model", "m.json", "--data", "d.csv", "--out", os.DevNull}, code: 2, want: []string{".csv"}},
	{name: "stale temporary file of a killed run removed", setup: both(writeData("d.csv", tutorial),
		writeData(".m.json.lsgd-tmp-4194304999-x1", "{partial")),
		args: []string{"solve", "--data", "d.csv", "--model-out", "m.json"}, code: 0,
		written: []string{"m.json", ".m.json.lsgd-tmp-4194304999-x1"},
		check: func(t *testing.T, dir string, r result) {
			if exists(dir, ".m.json.lsgd-tmp-4194304999-x1") {
				t.Errorf("the stale temporary file is still there")
			}
		}},

	// Empty file flags.
	{name: "data is empty", args: []string{"train", "--data", ""}, code: 2, want: []string{"--data is empty"}},
	{name: "model-out is empty", setup: writeData("d.csv", tutorial),
		args: []string{"solve", "--data", "d.csv", "--model-out", ""}, code: 2, want: []string{"--model-out is empty"}},
	{name: "gen out is blank", args: []string{"gen", "--rows", "3", "--features", "1", "--out", " "}, code: 2, want: []string{"--out is empty"}},
	{name: "nist directory is empty", args: []string{"nist", ""}, code: 2, want: []string{"lsgd nist: an empty argument"}},
	{name: "compare data is empty", args: []string{"compare", "--data", ""}, code: 2, want: []string{"--data is empty"}},

	// Input faults named with a hint.
	{name: "lone CR between rows", setup: writeData("cr.csv", "x1,x2,y\n1,2,1\n2,3,2\r3,4,2\n4,5,3\n"),
		args: []string{"solve", "--data", "cr.csv"}, code: 2, want: []string{"cr.csv:3", "carriage return"}},
	{name: "npy named csv", setup: func(t *testing.T, dir string) {
		writeFile(t, dir, "n.csv", npyBytes(2, 2, 1, 2, 3, 4))
	}, args: []string{"solve", "--data", "n.csv"}, code: 2, want: []string{"n.csv", "looks like a .npy file"}},
	{name: "csv named npy", setup: writeData("t.npy", tutorial),
		args: []string{"solve", "--data", "t.npy"}, code: 2, want: []string{"t.npy", "text file"}},
	{name: "huge cell", setup: writeData("big.csv", "x1,y\n1,2\n"+strings.Repeat("7", 10<<20)+"x,3\n"),
		args: []string{"solve", "--data", "big.csv"}, code: 2, want: []string{"big.csv:3", "bytes)"},
		check: func(t *testing.T, dir string, r result) {
			if len(r.stderr) > 500 {
				t.Errorf("a %d-byte message for one bad cell", len(r.stderr))
			}
		}},
	{name: "model with thousands of long feature names", setup: both(writeData("d.csv", tutorial), func(t *testing.T, dir string) {
		var names, coef []string
		for i := range 5000 {
			names = append(names, strconv.Quote(strings.Repeat("f", 200)+strconv.Itoa(i)))
			coef = append(coef, "1")
		}
		writeFile(t, dir, "m.json", []byte(`{"format":"lsgd-model/1","features":[`+strings.Join(names, ",")+`],"coef":[`+strings.Join(coef, ",")+`]}`))
	}), args: []string{"predict", "--model", "m.json", "--data", "d.csv"}, code: 2, want: []string{"d.csv", "more)", "bytes)"},
		check: func(t *testing.T, dir string, r result) {
			if len(r.stderr) > 2000 {
				t.Errorf("a %d-byte message", len(r.stderr))
			}
		}},
	{name: "model naming a huge feature twice", setup: both(writeData("d.csv", tutorial), func(t *testing.T, dir string) {
		n := strconv.Quote(strings.Repeat("é", 1<<19))
		writeFile(t, dir, "m.json", []byte(`{"format":"lsgd-model/1","features":[`+n+`,`+n+`],"coef":[1,2]}`))
	}), args: []string{"predict", "--model", "m.json", "--data", "d.csv"}, code: 2, want: []string{"twice", "bytes)"},
		check: func(t *testing.T, dir string, r result) {
			if len(r.stderr) > 500 {
				t.Errorf("a %d-byte message", len(r.stderr))
			}
		}},
	{name: "numeric column name vs index", setup: writeData("n.csv", "3,x2,x3,y\n1,2,1,5\n2,3,2,1\n3,4,2,7\n4,5,3,2\n6,1,1,1\n"),
		args: []string{"solve", "--data", "n.csv", "--target", "3"}, code: 2, want: []string{"ambiguous", "name:3", "index:3"}},
	{name: "numeric column name by name:", setup: writeData("n.csv", "3,x2,x3,y\n1,2,1,5\n2,3,2,1\n3,4,2,7\n4,5,3,2\n6,1,1,1\n"),
		args: []string{"solve", "--data", "n.csv", "--target", "name:3", "--json"}, code: 0,
		check: func(t *testing.T, dir string, r result) {
			if m := decodeOne(t, r); !strings.Contains(strings.Join(jsonStrings(m["features"]), ","), "y") {
				t.Errorf("features %v: want y among them (the target is column \"3\")", m["features"])
			}
		}},
	{name: "non-UTF-8 header", setup: writeData("l.csv", "caf\xe9,x2,y\n1,2,1\n2,3,2\n3,4,2\n4,5,3\n5,7,4\n"),
		args: []string{"train", "--backend", "cpu", "--data", "l.csv", "--model-out", "m.json"}, code: 2,
		want: []string{"l.csv:1", "column 1", "UTF-8"}},
}

const modelJSON = `{"format":"lsgd-model/1","features":["x1","x2"],"target":"y","coef":[0.1,0.5],"intercept":0,"provenance":{}}`

func jsonStrings(v any) []string {
	var out []string
	if a, ok := v.([]any); ok {
		for _, s := range a {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}

// checkModel reads a model file written by the command and checks that it
// is a complete model.
func checkModel(t *testing.T, dir, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("no model: %v", err)
	}
	var m lsgd.Model
	if err := json.Unmarshal(b, &m); err != nil || m.Format != lsgd.ModelFormat || len(m.Coef) != len(m.Features) || len(m.Coef) == 0 {
		t.Fatalf("%s is not a complete model (%v): %s", name, err, b)
	}
}

func TestHostileCLI(t *testing.T) {
	for _, c := range hostileCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.setup != nil {
				c.setup(t, dir)
			}
			before := snapshot(t, dir)
			r := cli(t, dir, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d; want %d\n%s", r.code, c.code, r)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r)
				}
			}
			if r.code == 2 {
				var errs []string
				for _, l := range lines(r.stderr) {
					if !strings.HasPrefix(l, "lsgd: warning") && !strings.HasPrefix(l, "Run 'lsgd") {
						errs = append(errs, l)
					}
				}
				if len(errs) != 1 {
					t.Errorf("want a one-line message, got %d lines:\n%s", len(errs), r)
				}
			}
			after := snapshot(t, dir)
			mayWrite := map[string]bool{}
			if r.code == 0 {
				for _, w := range c.written {
					mayWrite[w] = true
				}
			}
			for name, was := range before {
				if now, ok := after[name]; !mayWrite[name] && (!ok || now != was) {
					t.Errorf("%s changed or vanished (exit %d)", name, r.code)
				}
			}
			for name := range after {
				if _, ok := before[name]; !ok && !mayWrite[name] {
					t.Errorf("new file %s (exit %d)", name, r.code)
				}
				if strings.Contains(name, "lsgd-tmp") || strings.Contains(name, ".tmp") {
					if before[name] == "" {
						t.Errorf("temporary file %s left behind", name)
					}
				}
			}
			if c.check != nil {
				c.check(t, dir, r)
			}
		})
	}
}

// A FIFO given as data is opened once and read as a stream; with no writer
// at all, Ctrl-C ends the wait with status 130.
func TestHostileFIFO(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"f.npy", "f.csv"} {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("no FIFOs: %v", err)
		}
		content := npyBytes(5, 3, 1, 2, 1, 2, 3, 2, 3, 4, 2, 4, 5, 3, 5, 7, 4)
		if strings.HasSuffix(name, ".csv") {
			content = []byte(tutorial)
		}
		go func() {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err == nil {
				f.Write(content)
				f.Close()
			}
		}()
		r := cli(t, dir, "solve", "--data", name, "--json")
		if r.code != 0 {
			t.Fatalf("%s: %s", name, r)
		}
		// The independent answer: the normal equations on the same data.
		w, b := ols([][]float64{{1, 2}, {2, 3}, {3, 4}, {4, 5}, {5, 7}}, []float64{1, 2, 2, 3, 4})
		m := decodeOne(t, r)
		c := floats(t, m, "coef")
		if math.Abs(c[0]-w[0]) > 1e-9 || math.Abs(c[1]-w[1]) > 1e-9 || math.Abs(number(t, m, "intercept")-b) > 1e-9 {
			t.Errorf("%s: θ = %v, b = %v; want %v, %v", name, c, m["intercept"], w, b)
		}
	}
	// No writer: the open blocks; one SIGINT ends it.
	p := filepath.Join(dir, "w.npy")
	syscall.Mkfifo(p, 0o600)
	r := interruptAfter(t, dir, 500*time.Millisecond, "train", "--backend", "cpu", "--data", "w.npy")
	if r.code != 130 || !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("want exit 130 and 'interrupted' after one SIGINT:\n%s", r)
	}
}

// interruptAfter runs the binary, sends SIGINT after d, and returns what
// it did (failing if it is still running 10 s later).
func interruptAfter(t *testing.T, dir string, d time.Duration, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, noDisplayEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(d)
	cmd.Process.Signal(os.Interrupt)
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("lsgd %v: still running 10 s after SIGINT", args)
	}
	r := result{args: args, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	}
	checkNoCrash(t, r)
	return r
}

// The rule for a numeric column name is documented where a user looks:
// every --target flag's help and the overview.
func TestTargetRuleDocumented(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"train", "--help"}, {"solve", "--help"}, {"compare", "--help"}, {"--help"}} {
		r := cli(t, dir, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "name:") || !strings.Contains(r.stdout, "index:") {
			t.Errorf("lsgd %v does not document name:/index: for --target:\n%s", args, r)
		}
	}
}
