//go:build unix

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kill -9 in the middle of writing leaves a temporary file (nothing can
// run then); the next write of the same output removes it.
func TestKilledWriteCleanedUp(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(bin, "gen", "--rows", "500000", "--features", "20", "--out", "big.csv")
	cmd.Dir, cmd.Env = dir, noDisplayEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	temp := ""
	for temp == "" {
		select {
		case <-done:
			t.Skip("gen finished before its temporary file was seen")
		case <-time.After(2 * time.Millisecond):
		}
		for _, n := range dirNames(t, dir) {
			if strings.Contains(n, ".lsgd-tmp-") {
				temp = n
			}
		}
	}
	cmd.Process.Signal(os.Kill)
	<-done
	if !exists(dir, temp) {
		t.Skip("the write finished before the kill")
	}
	if exists(dir, "big.csv") {
		t.Fatalf("big.csv exists after a kill during its write")
	}
	if r := cli(t, dir, "gen", "--rows", "10", "--features", "2", "--out", "big.csv"); r.code != 0 {
		t.Fatalf("gen after the kill: %s", r)
	}
	if exists(dir, temp) {
		t.Errorf("the killed run's temporary file %s is still there", temp)
	}
	if got := readCSV(t, dir+"/big.csv"); len(got.rows) != 10 {
		t.Errorf("big.csv has %d rows; want 10", len(got.rows))
	}
}
