package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

func TestMain(m *testing.M) {
	flag.Parse()
	beam.Init()
	quiet(!testing.Verbose(), os.Stderr)
	os.Exit(m.Run())
}

var onPrism = beamRunner("prism")

// rowsOf returns rows [lo, hi) of t as a table of their own.
func rowsOf(t *tableio.Table, lo, hi int) *tableio.Table {
	s := t.Clone(tableio.F64)
	s.Rows = hi - lo
	s.F64 = s.F64[lo*s.Stride : hi*s.Stride]
	return s
}

// columnsOf returns the columns cols of t (the last one the target).
func columnsOf(t *tableio.Table, cols []int) *tableio.Table {
	s := tableio.NewTable(t.Rows, len(cols), tableio.F64)
	for k, j := range cols {
		s.Names[k] = t.Name(j)
		for i := 0; i < t.Rows; i++ {
			s.F64[i*s.Stride+k] = t.At(i, j)
		}
	}
	return s
}

// shard writes rows [lo, hi) of t to dir/name (.csv or .npy).
func shard(t *testing.T, tab *tableio.Table, dir, name string, lo, hi int) {
	t.Helper()
	if err := tableio.SaveTable(filepath.Join(dir, name), rowsOf(tab, lo, hi)); err != nil {
		t.Fatal(err)
	}
}

// agree checks a pipeline's solution against lsgd.Solve's on the same
// rows. Both are backward stable and refined, so each is within about
// cond·u·(1 + max|mean/std|) of the exact solution (the accuracy limit
// lsgd's README derives); the bound below is that times 64·q for the
// constants of the two factorizations and the sums.
func agree(t *testing.T, what string, got, want *lsgd.Solution, tab *tableio.Table, noIntercept bool) {
	t.Helper()
	q := len(want.Coef) + 1
	shift := 0.0
	big := 0.0
	for a, j := range tab.Features() {
		col := tab.Column(j)
		m, s := meanStd(col)
		if !noIntercept {
			shift = math.Max(shift, math.Abs(m)/s)
		}
		big = math.Max(big, math.Abs(want.Coef[a])*(math.Abs(m)+s))
	}
	tol := 64 * float64(q) * want.Cond * 0x1p-53 * (1 + shift)
	if len(got.Coef) != len(want.Coef) {
		t.Fatalf("%s: %d coefficients; want %d", what, len(got.Coef), len(want.Coef))
	}
	for a := range want.Coef {
		_, s := meanStd(tab.Column(tab.Features()[a]))
		// Each coefficient to tol relative to the largest term of a prediction, in its own units.
		if d := math.Abs(got.Coef[a] - want.Coef[a]); d > tol*big/s {
			t.Errorf("%s: coef[%d] = %.17g; lsgd solve %.17g (|Δ| %.3g > %.3g)", what, a, got.Coef[a], want.Coef[a], d, tol*big/s)
		}
	}
	if d := math.Abs(got.Intercept - want.Intercept); d > tol*(big+math.Abs(want.Intercept)) {
		t.Errorf("%s: intercept = %.17g; lsgd solve %.17g", what, got.Intercept, want.Intercept)
	}
	rel := func(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), math.SmallestNonzeroFloat64) }
	if rel(got.MSE, want.MSE) > tol || math.Abs(got.R2-want.R2) > tol || rel(got.Loss, want.Loss) > tol {
		t.Errorf("%s: mse %.17g r2 %.17g loss %.17g; lsgd solve %.17g %.17g %.17g", what, got.MSE, got.R2, got.Loss, want.MSE, want.R2, want.Loss)
	}
	if rel(got.Cond, want.Cond) > 1e-8 {
		t.Errorf("%s: cond %.17g; lsgd solve %.17g", what, got.Cond, want.Cond)
	}
	if strings.Join(got.Features, ",") != strings.Join(want.Features, ",") {
		t.Errorf("%s: features %v; want %v", what, got.Features, want.Features)
	}
	t.Logf("%s: largest coefficient difference %.3g of the tolerance", what, worst(got, want)/tol)
}

func worst(got, want *lsgd.Solution) float64 {
	w := 0.0
	for a := range want.Coef {
		w = math.Max(w, math.Abs(got.Coef[a]-want.Coef[a])/math.Max(math.Abs(want.Coef[a]), 1e-300))
	}
	return w
}

func meanStd(x []float64) (m, s float64) {
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return m, math.Sqrt(s / float64(len(x)))
}

// TestPrismAgreesWithSolve fits shards of a generated table (uneven
// sizes, CSV and .npy, one .npy split into row ranges) on Prism and
// compares with lsgd.Solve on the concatenated table.
func TestPrismAgreesWithSolve(t *testing.T) {
	tab, _, err := lsgd.Generate(lsgd.GenOptions{Rows: 5000, Features: 6, Cond: 100, Noise: 0.5, Intercept: 40, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	// Offsets far from zero make centring matter.
	for i := 0; i < tab.Rows; i++ {
		tab.F64[i*tab.Stride+2] += 1e4
	}
	dir := t.TempDir()
	shard(t, tab, dir, "part-0.npy", 0, 1234)
	shard(t, tab, dir, "part-1.csv", 1234, 2000)
	shard(t, tab, dir, "part-2.npy", 2000, 2003)
	shard(t, tab, dir, "part-3.npy", 2003, 5000)
	// CSV shards name their columns, so a target other than the last
	// keeps the names (a .npy file's default names follow the target).
	shard(t, tab, dir, "csv-0.csv", 0, 2500)
	shard(t, tab, dir, "csv-1.csv", 2500, 5000)
	cases := []struct {
		name   string
		glob   string
		shards int
		opt    Options
	}{
		{"intercept", "part-*", 9, Options{}},
		{"no intercept", "part-*", 9, Options{Spec: Spec{NoIntercept: true}}},
		{"ridge", "part-*", 9, Options{L2: 0.05}},
		{"ridge, no intercept", "part-*", 9, Options{Spec: Spec{NoIntercept: true}, L2: 0.3}},
		{"features x5,x1,x3", "part-*", 9, Options{Spec: Spec{Features: []string{"x5", "1", "x3"}}}},
		{"target x2", "csv-*", 2, Options{Spec: Spec{Target: "x2"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := c.opt
			opt.Refine, opt.SplitRows = 2, 700
			out, err := Fit(context.Background(), onPrism, filepath.Join(dir, c.glob), opt)
			if err != nil {
				t.Fatal(err)
			}
			// part-0.npy is 2 ranges of at most 700 rows, part-3.npy 5.
			if out.Rows != tab.Rows || out.Shards != c.shards || out.Pipelines != 3 {
				t.Errorf("rows %d shards %d pipelines %d; want %d, %d, 3", out.Rows, out.Shards, out.Pipelines, tab.Rows, c.shards)
			}
			ref := tab
			switch {
			case opt.Features != nil:
				ref = columnsOf(tab, []int{4, 0, 2, 6})
			case opt.Target != "":
				ref = columnsOf(tab, []int{0, 2, 3, 4, 5, 6, 1})
			}
			want, err := lsgd.Solve(ref, lsgd.SolveOptions{NoIntercept: opt.NoIntercept, L2: opt.L2})
			if err != nil {
				t.Fatal(err)
			}
			agree(t, c.name, out.Solution, want, ref, opt.NoIntercept)
		})
	}
}

// TestPrismErrors: shards whose columns differ, a corrupt shard, a NaN in
// a split file and collinear columns each fail with a message naming the
// files (and the row and column), of the input kind, without a panic.
func TestPrismErrors(t *testing.T) {
	tab, _, err := lsgd.Generate(lsgd.GenOptions{Rows: 600, Features: 3, Noise: 0.1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	fit := func(glob string, opt Options) error {
		t.Helper()
		opt.Refine = 1
		_, err := Fit(context.Background(), onPrism, glob, opt)
		if err == nil {
			t.Fatalf("%s: no error", glob)
		}
		if !errors.Is(err, tableio.ErrInput) {
			t.Errorf("%s: %v is not an input error", glob, err)
		}
		return err
	}
	want := func(err error, parts ...string) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not say %q", err, p)
			}
		}
	}

	dir := t.TempDir()
	shard(t, tab, dir, "a.csv", 0, 300)
	other := columnsOf(tab, []int{0, 1, 3})
	other.Names = []string{"x1", "z", "y"}
	if err := tableio.SaveTable(filepath.Join(dir, "b.csv"), rowsOf(other, 300, 600)); err != nil {
		t.Fatal(err)
	}
	want(fit(filepath.Join(dir, "*.csv"), Options{}), dir+"/a.csv has columns x1, x2, x3, y", dir+"/b.csv has x1, z, y")

	dir = t.TempDir()
	shard(t, tab, dir, "a.npy", 0, 300)
	if err := os.WriteFile(filepath.Join(dir, "b.npy"), []byte("\x93NUMPY\x01\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	want(fit(filepath.Join(dir, "b.npy"), Options{}), dir+"/b.npy")
	if err := os.WriteFile(filepath.Join(dir, "c.npy"), []byte("not numpy at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	want(fit(filepath.Join(dir, "[ac].npy"), Options{}), dir+"/c.npy: not a .npy file")

	// A NaN in row 451 of a .npy file read as row ranges of 100.
	dir = t.TempDir()
	var buf bytes.Buffer
	if err := tableio.WriteNPY(&buf, tab); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	off := len(b) - (tab.Rows*tab.Cols-(450*tab.Cols+1))*8
	copy(b[off:], []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	if err := os.WriteFile(filepath.Join(dir, "nan.npy"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	want(fit(filepath.Join(dir, "nan.npy"), Options{SplitRows: 100}), dir+"/nan.npy: row 451, column \"x2\" (2): NaN")
	// And in a CSV shard, named by its line.
	if err := os.WriteFile(filepath.Join(dir, "nan.csv"), []byte("x1,x2,y\n1,2,3\n4,NaN,6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want(fit(filepath.Join(dir, "nan.csv"), Options{}), dir+"/nan.csv:3", "x2")

	// Collinear columns are named, as lsgd solve names them.
	dir = t.TempDir()
	dup := columnsOf(tab, []int{0, 1, 0, 3})
	dup.Names = []string{"a", "b", "c", "y"}
	shard(t, dup, dir, "p1.npy", 0, 200)
	shard(t, dup, dir, "p2.npy", 200, 600)
	var rank *lsgd.RankError
	if err := fit(filepath.Join(dir, "*.npy"), Options{}); !errors.As(err, &rank) {
		t.Errorf("collinear: %v is not a *lsgd.RankError", err)
	}
	if _, err := lsgd.Solve(dup, lsgd.SolveOptions{}); !errors.As(err, &rank) {
		t.Errorf("lsgd.Solve on the collinear table: %v", err)
	}
}

// TestCommandJSON runs lsgd-beam solve --json and checks it prints the
// fields of lsgd solve --json; a usage error exits with status 2.
func TestCommandJSON(t *testing.T) {
	tab, _, err := lsgd.Generate(lsgd.GenOptions{Rows: 400, Features: 2, Noise: 0.1, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	shard(t, tab, dir, "a.npy", 0, 150)
	shard(t, tab, dir, "b.npy", 150, 400)
	var stdout, stderr bytes.Buffer
	if rc := run(context.Background(), []string{"solve", "--data", filepath.Join(dir, "*.npy"), "--json"}, &stdout, &stderr); rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	// lsgd solve --json's fields (cmd/lsgd/solve.go, solveOutput).
	for _, k := range []string{"features", "coef", "intercept", "mse", "r2", "loss", "cond", "method", "iterations",
		"converged", "reason", "backend", "device", "precision", "seconds", "data", "rows", "load_seconds"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, stdout.String())
		}
	}
	if got["rows"] != float64(400) || got["device"] != "prism" {
		t.Errorf("rows %v device %v; want 400, prism", got["rows"], got["device"])
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr without --verbose: %s", stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if rc := run(context.Background(), []string{"solve", "--data", filepath.Join(dir, "none-*.npy")}, &stdout, &stderr); rc != 2 || !strings.Contains(stderr.String(), "no files match") {
		t.Errorf("no files: exit %d, %q; want 2 and a message", rc, stderr.String())
	}
	stderr.Reset()
	if rc := run(context.Background(), []string{"solve", "--data", filepath.Join(dir, "*.npy"), "--l2", "x"}, &stdout, &stderr); rc != 2 || !strings.Contains(stderr.String(), "--l2") {
		t.Errorf("bad flag: exit %d, %q; want 2 and a message", rc, stderr.String())
	}
}
