//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
	"time"
)

// Ctrl-C during a long fit: exit 130, a message saying how far it got, no
// model file.
func TestInterrupt(t *testing.T) {
	dir := t.TempDir()
	// Plain GD on a standardized Gram matrix of condition 10⁶ needs
	// millions of iterations: the fit is still running when the signal
	// comes.
	if g := cli(t, dir, "gen", "--rows", "200000", "--features", "8", "--cond", "1000", "--out", "big.npy"); g.code != 0 {
		t.Fatalf("gen: %s", g)
	}
	before := dirNames(t, dir)
	cmd := exec.Command(bin, "train", "--data", "big.npy", "--backend", "cpu", "--optimizer", "gd",
		"--epochs", "100000", "--tol", "1e-15", "--model-out", "m.json")
	cmd.Dir = dir
	cmd.Env = noDisplayEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("the fit ended before the signal (%v):\n%s%s", err, out.String(), errb.String())
	case <-time.After(1200 * time.Millisecond):
	}
	sent := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 20 s after SIGINT")
	}
	r := result{args: cmd.Args[1:], stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	}
	checkNoCrash(t, r)
	if r.code != 130 {
		t.Fatalf("exit %d; want 130\n%s", r.code, r)
	}
	if d := time.Since(sent); d > 5*time.Second {
		t.Errorf("took %v to stop after SIGINT", d)
	}
	if !regexp.MustCompile(`interrupted at iteration [1-9]\d* \(epoch`).MatchString(r.stderr) {
		t.Errorf("message does not say how far the fit got:\n%s", r)
	}
	if after := dirNames(t, dir); !slices.Equal(before, after) {
		t.Errorf("files after the interrupt: %v (before: %v)", after, before)
	}
	// The partial result is shown for what it is.
	if !regexp.MustCompile(`converged\s+no \(interrupted\)`).MatchString(r.stdout) {
		t.Errorf("stdout does not show the partial result as interrupted:\n%s", r)
	}
}
