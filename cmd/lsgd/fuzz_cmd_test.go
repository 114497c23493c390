package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// Output path shapes FuzzCommand gives a command's output flag.
const (
	outNone        = iota // the flag not given
	outNew                // a new file
	outExisting           // an existing regular file
	outLink               // a symbolic link to an existing file
	outDir                // an existing directory
	outSameAsData         // the data file itself
	outSlash              // a name ending in "/"
	outDevNull            // /dev/null
	outHardLink           // a hard link to the data file
	outMissingDir         // a file in a directory that does not exist
	outLinkToData         // a symbolic link to the data file
	outDangling           // a symbolic link to a file that does not exist
	outLinkToDir          // a symbolic link to a directory
	outSameAsModel        // the model file (predict's input)
	outShapes
)

// fuzzCommands are the commands FuzzCommand drives, with their output flag.
var fuzzCommands = []struct{ name, out string }{
	{"train", "model-out"}, {"solve", "model-out"}, {"predict", "out"}, {"gen", "out"}, {"train", "plot"},
}

// fuzzSizes are gen's --rows and --features: small ones that run in
// milliseconds and absurd ones that must be refused before any work.
var fuzzSizes = []string{"1", "2", "3", "7", "40", "0", "-1", "4097", "100000", "9223372036854775807", "4611686018427387904", "1099511627776"}

// FuzzCommand runs the whole command in-process: a command, fuzzed flags,
// a fuzzed data file (CSV or .npy), and an output path of a fuzzed shape
// (existing file, link, directory, the input itself, …). Whatever the
// input, the contract holds: no panic; exit status 0, 1, 2 or 130; on
// status 2 a one-line message; no temporary file left; the inputs
// unchanged; an output either untouched (or absent) or complete.
// Flags that make the work grow with a number (--epochs, --batch) or that
// open a GL device are skipped: the target fuzzes paths, parsing and
// validation, not run time.
func FuzzCommand(f *testing.F) {
	csv := []byte("x1,x2,y\n1,2,1\n2,3,2\n3,4,2\n4,5,3\n5,7,4\n")
	npy := npyBytes(5, 3, 1, 2, 1, 2, 3, 2, 3, 4, 2, 4, 5, 3, 5, 7, 4)
	for cmd := range fuzzCommands {
		for shape := range outShapes {
			f.Add(uint8(cmd), uint8(shape), uint8(0), "", csv)
		}
	}
	f.Add(uint8(0), uint8(outNew), uint8(1), "--target 2", npy)
	f.Add(uint8(1), uint8(outLink), uint8(1), "--no-intercept", npy)
	f.Add(uint8(2), uint8(outNew), uint8(1), "", npy)
	f.Add(uint8(3), uint8(outNew), uint8(1), "", []byte{})
	f.Add(uint8(3), uint8(outExisting), uint8(0x47), "--cond 5", []byte{})
	f.Add(uint8(3), uint8(outNew), uint8(0x99), "", []byte{})
	f.Add(uint8(4), uint8(outNew), uint8(0), "", []byte("x1,y\n1,2\n2,4\n3,6\n"))
	f.Add(uint8(0), uint8(outNew), uint8(0), "--target 3", []byte("3,x2,y\n1,2,1\n2,3,2\n3,4,2\n4,5,3\n"))
	f.Add(uint8(1), uint8(outNew), uint8(0), "", []byte("x1,x2,y\n1,2,1\r2,3,2\n3,4,2\n4,5,3\n"))
	f.Add(uint8(1), uint8(outNew), uint8(0), "", append([]byte("caf\xe9,y\n"), "1,2\n2,3\n3,5\n"...))
	f.Add(uint8(0), uint8(outNew), uint8(0), "--data", npy)
	f.Add(uint8(0), uint8(outNew), uint8(0), "--plot x.png --model-out x.png", csv)
	// Numbers at the ends of float64, exploding steps, raw scales.
	huge := []byte("x1,x2,y\n1e300,2,1e-300\n-2e300,3,2e-300\n3e300,4,-2e-300\n4e300,5,3e-300\n5e300,7,4e-300\n")
	f.Add(uint8(0), uint8(outNew), uint8(0), "", huge)
	f.Add(uint8(1), uint8(outNew), uint8(0), "--no-intercept", huge)
	f.Add(uint8(2), uint8(outNew), uint8(0), "", []byte("x1,x2\n1e300,1e300\n-1e308,1\n"))
	f.Add(uint8(0), uint8(outNew), uint8(0), "--optimizer gd --lr 1e20", csv)
	f.Add(uint8(0), uint8(outNew), uint8(0), "--optimizer adam --lr 1e300", csv)
	f.Add(uint8(0), uint8(outNew), uint8(0), "--no-standardize --verify", []byte("x1,x2,y\n1e-12,2,1\n2e-12,3,2\n3e-12,4,2\n4e-12,5,3\n5e-12,7,4\n"))
	f.Add(uint8(0), uint8(outNew), uint8(1), "--target 1", npyBytes(4, 3, 1, 2, 3, 2, 3, 5, 3, 5, 7, 4, 4, 9))
	// Weight columns: zeros, a negative, an index.
	f.Add(uint8(0), uint8(outNew), uint8(0), "--weights w", []byte("x1,w,y\n1,0,1\n2,3,2\n3,1,2\n4,0,3\n5,2,4\n"))
	f.Add(uint8(1), uint8(outNew), uint8(0), "--weights 2", []byte("x1,w,y\n1,1,1\n2,-3,2\n3,1,2\n"))
	f.Add(uint8(1), uint8(outNew), uint8(1), "--weights 1", npy)
	f.Fuzz(func(t *testing.T, cmdIdx, shape, kind uint8, flags string, data []byte) {
		c := fuzzCommands[int(cmdIdx)%len(fuzzCommands)]
		shape %= outShapes
		extra := strings.Fields(flags)
		for _, a := range extra {
			la := strings.ToLower(a)
			for _, slow := range []string{"epochs", "batch", "gpu", "auto", "rows", "features", "reps", "sweep", "help"} {
				if strings.Contains(la, slow) {
					t.Skip("not a path or parsing case")
				}
			}
		}
		dir := t.TempDir()
		t.Chdir(dir)
		t.Setenv("DISPLAY", "")
		dataName := "d.csv"
		if kind&1 != 0 {
			dataName = "d.npy"
		}
		if err := os.WriteFile(dataName, data, 0o644); err != nil {
			t.Fatal(err)
		}
		model := `{"format":"lsgd-model/1","features":["x1","x2"],"target":"y","coef":[0.1,0.5],"intercept":0.25,"provenance":{}}`
		os.WriteFile("m.json", []byte(model), 0o644)
		os.WriteFile("old.out", []byte("old contents\n"), 0o644)
		os.Mkdir("sub", 0o755)

		// The output path, by shape, with an extension the command takes.
		ext := map[string]string{"model-out": ".json", "out": ".csv", "plot": ".png"}[c.out]
		if c.name == "gen" && kind&2 != 0 {
			ext = ".npy"
		}
		var out string
		switch shape {
		case outNew:
			out = "new" + ext
		case outExisting:
			out = "old" + ext
			os.WriteFile(out, []byte("old contents\n"), 0o644)
		case outLink:
			out = "link" + ext
			os.Symlink("old.out", out)
		case outDir:
			out = "sub"
		case outSameAsData:
			out = dataName
		case outSlash:
			out = "new" + ext + "/"
		case outDevNull:
			out = os.DevNull
		case outHardLink:
			out = "hard" + ext
			os.Link(dataName, out)
		case outMissingDir:
			out = filepath.Join("nowhere", "new"+ext)
		case outLinkToData:
			out = "ldata" + ext
			os.Symlink(dataName, out)
		case outDangling:
			out = "dangling" + ext
			os.Symlink("made"+ext, out)
		case outLinkToDir:
			out = "ldir" + ext
			os.Symlink("sub", out)
		case outSameAsModel:
			out = "m.json"
		}
		args := []string{c.name}
		switch c.name {
		case "train":
			args = append(args, "--backend", "cpu", "--data", dataName)
		case "solve":
			args = append(args, "--data", dataName)
		case "predict":
			args = append(args, "--model", "m.json", "--data", dataName)
		case "gen":
			args = append(args, "--rows", fuzzSizes[int(kind>>2)%len(fuzzSizes)], "--features", fuzzSizes[int(kind>>4)%len(fuzzSizes)%5])
			if kind&0x80 != 0 {
				args[len(args)-1] = fuzzSizes[int(kind>>4)%len(fuzzSizes)]
			}
		}
		if shape != outNone {
			args = append(args, "--"+c.out, out)
		}
		args = append(args, extra...)

		before := snapshot(t, dir)
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := run(args, &stdout, &stderr)
		msg := stderr.String()
		line := strings.Join(args, " ")
		if d := time.Since(start); d > 15*time.Second {
			// Five rows, or a size refused up front: nothing takes long.
			t.Fatalf("lsgd %s: took %v (exit %d): %s", line, d, code, msg)
		}
		if strings.Contains(msg, "internal error") || strings.Contains(msg, "goroutine ") {
			t.Fatalf("lsgd %s: a panic: %s", line, msg)
		}
		switch code {
		case 0, 1, 2, 130:
		default:
			t.Fatalf("lsgd %s: exit status %d", line, code)
		}
		// Never a number that is not one: a NaN in a report, a
		// prediction that is not finite.
		if code == 0 && strings.Contains(stdout.String(), "NaN") {
			t.Fatalf("lsgd %s: NaN in the output:\n%s", line, stdout.String())
		}
		if code == 0 && c.name == "predict" && shape == outNone {
			for _, l := range lines(stdout.String()) {
				if v, err := strconv.ParseFloat(l, 64); err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
					t.Fatalf("lsgd %s: prediction %q", line, l)
				}
			}
		}
		if code == 2 {
			var errs []string
			for _, l := range lines(msg) {
				if !strings.HasPrefix(l, "lsgd: warning") && !strings.HasPrefix(l, "lsgd: note") && !strings.HasPrefix(l, "Run 'lsgd") {
					errs = append(errs, l)
				}
			}
			if len(errs) != 1 || !strings.HasPrefix(errs[0], "lsgd: ") {
				t.Fatalf("lsgd %s: exit 2 without a one-line message: %q", line, msg)
			}
		}
		after := snapshot(t, dir)
		// Which names the run may have written: the output (through a
		// link, its target) and, for gen, the truth file beside it.
		outputs := map[string]bool{}
		if code == 0 && shape != outNone && out != os.DevNull {
			for _, p := range []string{out, "old.out", "made" + ext} {
				outputs[filepath.Clean(p)] = true
			}
			if c.name == "gen" {
				// gen reads nothing: the data file is fair game for it,
				// by name or through a link.
				outputs[dataName] = true
				outputs[truthPath(dataName)] = true
				outputs[truthPath(out)] = true
				outputs["old.truth.json"] = true
				outputs["made.truth.json"] = true
				outputs[truthPath("old.out")] = true
			}
		}
		for name, was := range before {
			if now, ok := after[name]; (!ok || now != was) && !outputs[name] {
				t.Fatalf("lsgd %s (exit %d): %s changed or vanished", line, code, name)
			}
		}
		for name := range after {
			if strings.Contains(name, "lsgd-tmp") {
				t.Fatalf("lsgd %s (exit %d): temporary file %s left", line, code, name)
			}
			if _, ok := before[name]; !ok && !outputs[name] {
				t.Fatalf("lsgd %s (exit %d): new file %s", line, code, name)
			}
		}
		// What was written is complete.
		if code == 0 {
			for name := range outputs {
				if now, ok := after[name]; ok && now != before[name] {
					checkComplete(t, line, name, []byte(now))
				}
			}
		}
	})
}

// checkComplete checks that a file the command wrote parses as the whole
// thing it should be.
func checkComplete(t *testing.T, line, name string, b []byte) {
	t.Helper()
	switch {
	case strings.HasSuffix(name, ".truth.json"):
		var tr lsgd.Truth
		if err := json.Unmarshal(b, &tr); err != nil || tr.Rows <= 0 || len(tr.Coef) != len(tr.Features) {
			t.Fatalf("lsgd %s: %s is not a complete truth file (%v)", line, name, err)
		}
	case strings.HasSuffix(name, ".json"):
		var m lsgd.Model
		if err := json.Unmarshal(b, &m); err != nil || m.Format != lsgd.ModelFormat || len(m.Coef) != len(m.Features) || len(m.Coef) == 0 {
			t.Fatalf("lsgd %s: %s is not a complete model (%v)", line, name, err)
		}
		var tree any
		json.Unmarshal(b, &tree)
		if hasNull(tree) {
			t.Fatalf("lsgd %s: %s holds a null (a number that was not one):\n%s", line, name, b)
		}
	case strings.HasSuffix(name, ".png"):
		if !bytes.HasPrefix(b, []byte("\x89PNG")) || !bytes.Contains(b, []byte("IEND")) {
			t.Fatalf("lsgd %s: %s is not a complete PNG", line, name)
		}
	case strings.HasSuffix(name, ".npy"), strings.Contains(line, "gen ") && strings.HasSuffix(name, ".csv"):
		p := filepath.Join(t.TempDir(), "check"+filepath.Ext(name))
		os.WriteFile(p, b, 0o644)
		if _, err := tableio.LoadTable(p, tableio.ReadOptions{}); err != nil {
			t.Fatalf("lsgd %s: %s does not read back: %v", line, name, err)
		}
	case strings.HasSuffix(name, ".csv"):
		ls := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if ls[0] != "prediction" {
			t.Fatalf("lsgd %s: %s has no header", line, name)
		}
		for _, l := range ls[1:] {
			if v, err := strconv.ParseFloat(l, 64); err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
				t.Fatalf("lsgd %s: %s: %q is not a number", line, name, l)
			}
		}
	}
}

// hasNull reports whether a decoded JSON value holds a null anywhere (the
// NaN-safe encoder writes a NaN or an infinity as null).
func hasNull(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range v {
			if hasNull(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasNull(e) {
				return true
			}
		}
	}
	return false
}
