package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzFlags runs the command in-process on fuzzed command lines over a tiny
// data set and checks the contract of the CLI: never a panic (run turns one
// into "internal error"), never a Go stack trace, an exit status that is
// one of 0, 1 or 2, and an error message that starts with "lsgd: ".
// Commands and flags that make work grow with a number (gen, bench, compare,
// nist, --epochs, --rows, …) are skipped: the target fuzzes parsing and
// validation, not run time.
func FuzzFlags(f *testing.F) {
	seeds := []string{
		"train --data d.csv",
		"train --data d.csv --json --no-intercept",
		"train --data d.csv --optimizer adam --lr 0.01",
		"train --data d.csv --optimizer nope",
		"train --data d.csv --lr -1",
		"train --data d.csv --lr auto --tol 1e-3 --l2 0.5",
		"train --data d.csv --tol 2",
		"train --data d.csv --target 9",
		"train --data d.csv --target y --precision f32",
		"train --data d.csv --precision f16",
		"train --data d.csv --backend tpu",
		"train --data d.csv --batch -3",
		"train --data",
		"train --data d.csv --seed -1",
		"solve --data d.csv --l2 nan",
		"solve --data d.csv --target x1 --json",
		"predict --model m.json --data d.csv",
		"predict --data d.csv",
		"devices --json",
		"--help",
		"train --help",
		"frobnicate",
		"train --frob",
		"train --data d.csv --threads -1",
		"train --data d.csv -- --json",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	dir := f.TempDir()
	data := "x1,x2,y\n1,2,1\n2,3,2\n3,4,2\n4,5,3\n5,7,4\n"
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(data), 0o644); err != nil {
		f.Fatal(err)
	}
	model := `{"features":["x1","x2"],"coef":[0.1,0.5],"intercept":0}`
	if err := os.WriteFile(filepath.Join(dir, "m.json"), []byte(model), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		for _, a := range args {
			la := strings.ToLower(a)
			for _, slow := range []string{"gen", "bench", "compare", "nist", "--epochs", "--rows", "--features",
				"--reps", "--sweep", "--out", "--model-out", "--plot", "--verify", "gpu", "auto"} {
				if strings.Contains(la, slow) {
					t.Skip("not a parsing case")
				}
			}
		}
		t.Chdir(dir)
		t.Setenv("DISPLAY", "") // auto means the CPU: no GL context per input
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		msg := stderr.String()
		if strings.Contains(msg, "internal error") || strings.Contains(msg, "goroutine ") {
			t.Fatalf("%q: a panic: %s", line, msg)
		}
		if code != 0 && code != 1 && code != 2 {
			t.Fatalf("%q: exit status %d", line, code)
		}
		if code != 0 && !strings.Contains(msg, "lsgd: ") && !strings.Contains(msg, "Error") {
			t.Fatalf("%q: exit %d without a message: %q", line, code, msg)
		}
	})
}
