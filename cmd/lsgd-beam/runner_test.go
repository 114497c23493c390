package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
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

// TestBeamFilesystem reads shards through a Beam filesystem (memfs here,
// gs:// on Dataflow): the glob is listed by it and each shard copied to
// the worker before the table readers read it; an error names the
// original path.
func TestBeamFilesystem(t *testing.T) {
	tab, _, err := lsgd.Generate(lsgd.GenOptions{Rows: 700, Features: 4, Noise: 0.1, Cond: 10, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range [][2]int{{0, 250}, {250, 700}} {
		var buf bytes.Buffer
		if err := tableio.WriteNPY(&buf, rowsOf(tab, r[0], r[1])); err != nil {
			t.Fatal(err)
		}
		memfs.Write(fmt.Sprintf("memfs://lsgd/part-%d.npy", k), buf.Bytes())
	}
	out, err := Fit(context.Background(), onPrism, "memfs://lsgd/part-*.npy", Options{Refine: 2, SplitRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	want, err := lsgd.Solve(tab, lsgd.SolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Shards != 2 {
		t.Errorf("%d shards; want 2 (files of a Beam filesystem are not split)", out.Shards)
	}
	agree(t, "memfs", out.Solution, want, tab, false)

	memfs.Write("memfs://lsgd/bad/part-0.npy", []byte("not a numpy file"))
	_, err = Fit(context.Background(), onPrism, "memfs://lsgd/bad/part-*.npy", Options{Refine: 1})
	if err == nil || !errors.Is(err, tableio.ErrInput) || !strings.HasPrefix(err.Error(), "memfs://lsgd/bad/part-0.npy: not a .npy file") {
		t.Errorf("corrupt memfs shard: got %v", err)
	}
}
