package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Parquet input, --features and shards through the command: gen writes
// .parquet, solve reads it like the same table as .npy, a directory or glob
// of shards is one table, and bad input exits 2 naming the file.
func TestParquetFeaturesShards(t *testing.T) {
	dir := t.TempDir()
	for _, out := range []string{"d.parquet", "d.npy"} {
		if r := cli(t, dir, "gen", "--rows", "500", "--features", "3", "--seed", "4", "--out", out); r.code != 0 {
			t.Fatalf("gen: %s", r)
		}
	}
	solve := func(args ...string) map[string]any {
		t.Helper()
		r := cli(t, dir, append([]string{"solve", "--json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("solve %v: %s", args, r)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	pq, npy := solve("--data", "d.parquet"), solve("--data", "d.npy")
	if !slices.Equal(toStrings(pq["coef"]), toStrings(npy["coef"])) {
		t.Errorf("Parquet coef %v; .npy %v", pq["coef"], npy["coef"])
	}
	sel := solve("--data", "d.parquet", "--features", "x3,1")
	if got := toStrings(sel["features"]); !slices.Equal(got, []string{"x3", "x1"}) {
		t.Errorf("--features x3,1: features %v", got)
	}
	os.Mkdir(filepath.Join(dir, "parts"), 0o755)
	b, _ := os.ReadFile(filepath.Join(dir, "d.parquet"))
	for _, n := range []string{"parts/a.parquet", "parts/b.parquet"} {
		writeFile(t, dir, n, b)
	}
	writeFile(t, dir, "parts/_SUCCESS", nil)
	for _, data := range []string{"parts", "parts/*.parquet"} {
		if m := solve("--data", data); m["rows"] != 1000.0 || !slices.Equal(toStrings(m["coef"]), toStrings(pq["coef"])) {
			t.Errorf("--data %s: rows %v coef %v; want 1000 rows, coef %v", data, m["rows"], m["coef"], pq["coef"])
		}
	}
	// predict matches Parquet columns by name.
	if r := cli(t, dir, "solve", "--data", "d.parquet", "--model-out", "m.json"); r.code != 0 {
		t.Fatal(r)
	}
	if r := cli(t, dir, "predict", "--model", "m.json", "--data", "d.parquet"); r.code != 0 || strings.Count(r.stdout, "\n") != 500 {
		t.Fatalf("predict: %s", r)
	}
	if r := cli(t, dir, "predict", "--model", "m.json", "--data", "parts"); r.code != 0 || strings.Count(r.stdout, "\n") != 1000 {
		t.Fatalf("predict on shards: %s", r)
	}

	writeFile(t, dir, "cut.parquet", b[:len(b)/2])
	os.Mkdir(filepath.Join(dir, "bad"), 0o755)
	writeFile(t, dir, "bad/a.npy", mustRead(t, filepath.Join(dir, "d.npy")))
	if r := cli(t, dir, "gen", "--rows", "10", "--features", "4", "--out", "bad/b.npy"); r.code != 0 {
		t.Fatal(r)
	}
	os.Remove(filepath.Join(dir, "bad", "b.truth.json"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", "cut.parquet"}, "cut.parquet: "},
		{[]string{"solve", "--data", "d.parquet", "--features", "x9"}, `d.parquet: no column named "x9" for a feature`},
		{[]string{"train", "--data", "d.parquet", "--features", "y"}, `d.parquet: column "y" (4) is the target, not a feature`},
		{[]string{"solve", "--data", "bad"}, "shards bad/a.npy and bad/b.npy disagree: 4 columns in the first, 5 in the second"},
		{[]string{"solve", "--data", "nothing/*.npy"}, "nothing/*.npy: no file matches the pattern"},
	} {
		before := dirNames(t, dir)
		r := cli(t, dir, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "panic") {
			t.Errorf("lsgd %v: want exit 2 and %q:\n%s", c.args, c.want, r)
		}
		if after := dirNames(t, dir); !slices.Equal(before, after) {
			t.Errorf("lsgd %v left files: %v", c.args, after)
		}
	}
}

func toStrings(v any) []string {
	var s []string
	if a, ok := v.([]any); ok {
		for _, x := range a {
			b, _ := json.Marshal(x)
			s = append(s, strings.Trim(string(b), `"`))
		}
	}
	return s
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
