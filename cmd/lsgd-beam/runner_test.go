package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/lsgd/lsgd"
)

// TestUniversalRunner drives the portable runner the way --runner flink
// or spark does: a job server at --endpoint (here Prism's, started as a
// server, as `prism` or Flink's job server runs), Beam's own flags after
// --, workers in loopback. It checks the answer against lsgd.Solve.
func TestUniversalRunner(t *testing.T) {
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := prism.CreateJobServer(ctx, prism.Options{Port: port}); err != nil {
		t.Fatal(err)
	}
	old := flag.Lookup("endpoint").Value.String()
	oldEnv := flag.Lookup("environment_type").Value.String()
	defer func() {
		flag.Set("endpoint", old)
		flag.Set("environment_type", oldEnv)
		flag.Set("worker_binary", "")
	}()

	tab, _, err := lsgd.Generate(lsgd.GenOptions{Rows: 900, Features: 3, Noise: 0.1, Cond: 10, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shard(t, tab, dir, "a.npy", 0, 400)
	shard(t, tab, dir, "b.npy", 400, 900)
	var stdout, stderr bytes.Buffer
	args := []string{"solve", "--data", filepath.Join(dir, "*.npy"), "--json", "--runner", "universal",
		"--endpoint", fmt.Sprintf("localhost:%d", port), "--", "--environment_type=LOOPBACK"}
	if rc := run(ctx, args, &stdout, &stderr); rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr.String())
	}
	var out struct {
		lsgd.Solution
		Device string `json:"device"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	want, err := lsgd.Solve(tab, lsgd.SolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Device != "universal" {
		t.Errorf("device %q; want universal", out.Device)
	}
	agree(t, "universal runner", &out.Solution, want, tab, false)
}
