package main

// The command's tests build the real binary once and run it as a
// subprocess on small files, checking its exit status, its messages and its
// JSON against independent values: exact least-squares numbers, the
// generator's truth, predictions recomputed here.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var bin string // the built lsgd binary

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lsgd-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "lsgd")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building lsgd:", err)
		return 1
	}
	return m.Run()
}

// result is one run of the command.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("lsgd %s\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// noEGL names an EGL library that does not exist, so that no EGL context
// opens.
const noEGL = "LSGD_EGL_LIBRARY=libEGL-lsgd-missing.so.1"

// noDisplayEnv is the environment without a display and without EGL, so no
// GL context can open: the CPU fallback is what these tests see, on any
// machine.
func noDisplayEnv() []string {
	env := []string{noEGL}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DISPLAY=") || strings.HasPrefix(kv, "WAYLAND_DISPLAY=") || strings.HasPrefix(kv, "LSGD_TRACE=") ||
			strings.HasPrefix(kv, "LSGD_EGL_LIBRARY=") || strings.HasPrefix(kv, "LSGD_DEVICE=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// cli runs the binary in dir (no display) and returns what it did.
func cli(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return lsgdEnv(t, dir, noDisplayEnv(), args...)
}

func lsgdEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("lsgd %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("lsgd %s: timed out", strings.Join(args, " "))
	}
	checkNoCrash(t, r)
	return r
}

// checkNoCrash fails on a panic or a Go stack trace, on any run.
func checkNoCrash(t *testing.T, r result) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "runtime error", ".go:"} {
		if strings.Contains(r.stderr, bad) || strings.Contains(r.stdout, bad) {
			t.Errorf("output contains %q (a crash or stack trace):\n%s", bad, r)
		}
	}
	for _, line := range lines(r.stderr) {
		if !strings.HasPrefix(line, "lsgd: ") && !strings.HasPrefix(line, "Run 'lsgd") {
			t.Errorf("stderr line %q does not start with \"lsgd: \":\n%s", line, r)
		}
	}
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// decodeOne decodes stdout as exactly one JSON object.
func decodeOne(t *testing.T, r result) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, r)
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("stdout has more than one JSON value:\n%s", r)
	}
	return m
}

// requireKeys checks that a JSON object has the keys.
func requireKeys(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON has no %q key (keys: %v)", k, keysOf(m))
		}
	}
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func floats(t *testing.T, m map[string]any, key string) []float64 {
	t.Helper()
	raw, ok := m[key].([]any)
	if !ok {
		t.Fatalf("JSON %q is %T, want an array", key, m[key])
	}
	out := make([]float64, len(raw))
	for i, v := range raw {
		f, ok := v.(float64)
		if !ok {
			t.Fatalf("JSON %q[%d] is %T, want a number", key, i, v)
		}
		out[i] = f
	}
	return out
}

func number(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	f, ok := m[key].(float64)
	if !ok {
		t.Fatalf("JSON %q is %T (%v), want a number", key, m[key], m[key])
	}
	return f
}

// writeFile writes content into dir/name and returns the name.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// copyTestdata copies testdata/cli/name into dir.
func copyTestdata(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cli", name))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, b)
}

// dirNames lists a directory (to catch temporary or partial files).
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}
