package tableio

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWeightColumn(t *testing.T) {
	dir := t.TempDir()
	csv := writeFile(t, dir, "w.csv", "a,w,b,y\n1,2,3,4\n5,0,7,8\n9,0.5,11,12\n")
	for _, opt := range []ReadOptions{
		{Weights: "w"},
		{Weights: "2"},
		{Weights: "w", Features: []string{"b", "a"}},
		{Weights: "w", Target: "a", Features: []string{"b", "y"}},
	} {
		tab, err := LoadTable(csv, opt)
		if err != nil {
			t.Fatalf("%+v: %v", opt, err)
		}
		if tab.WeightName != "w" || len(tab.Weights) != 3 || tab.Weights[0] != 2 || tab.Weights[1] != 0 || tab.Weights[2] != 0.5 {
			t.Errorf("%+v: weights %v (%q)", opt, tab.Weights, tab.WeightName)
		}
		if tab.Cols != 3 {
			t.Errorf("%+v: %d columns (%v), want 3", opt, tab.Cols, tab.Names)
		}
		for j, n := range tab.Names {
			if n == "w" {
				t.Errorf("%+v: weight column kept as column %d", opt, j)
			}
		}
		// The target keeps its values.
		want := map[string]float64{"y": 8, "a": 5}[tab.Names[tab.Target]]
		if got := tab.At(1, tab.Target); got != want {
			t.Errorf("%+v: target %q row 2 = %g, want %g", opt, tab.Names[tab.Target], got, want)
		}
	}
}

func TestWeightErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		body string
		opt  ReadOptions
		want []string
	}{
		{"a,w,y\n1,2,3\n4,-1,6\n", ReadOptions{Weights: "w"}, []string{"w.csv:3", `"w"`, "negative"}},
		{"a,w,y\n1,0,3\n4,0,6\n", ReadOptions{Weights: "w"}, []string{"w.csv", `"w"`, "every weight is zero"}},
		{"a,w,y\n1,1,3\n4,nan,6\n", ReadOptions{Weights: "w"}, []string{"w.csv:3", "w"}},
		{"a,w,y\n1,1,3\n4,1,6\n", ReadOptions{Weights: "zz"}, []string{"no column named \"zz\" for the weights"}},
		{"a,w,y\n1,1,3\n4,1,6\n", ReadOptions{Weights: "y"}, []string{"also the target"}},
		{"a,w,y\n1,1,3\n4,1,6\n", ReadOptions{Weights: "3"}, []string{"also the target"}},
		{"a,w,y\n1,1,3\n4,1,6\n", ReadOptions{Weights: "w", Features: []string{"a", "w"}}, []string{"both a feature and the weight"}},
		{"w,y\n1,3\n1,6\n", ReadOptions{Weights: "w"}, []string{"leaves no feature column"}},
	}
	for _, c := range cases {
		p := writeFile(t, dir, "w.csv", c.body)
		_, err := LoadTable(p, c.opt)
		if err == nil {
			t.Errorf("%q %+v: no error", c.body, c.opt)
			continue
		}
		if !errors.Is(err, ErrInput) {
			t.Errorf("%q: %v is not an input error", c.body, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q %+v: error %q does not mention %q", c.body, c.opt, err, w)
			}
		}
	}
}

// Shards: a shard whose weights are all zero is fine; all shards zero is
// not; a bad weight names its shard.
func TestWeightShards(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "p1.csv", "a,w,y\n1,0,3\n4,0,6\n")
	writeFile(t, dir, "p2.csv", "a,w,y\n1,2,3\n4,3,6\n2,1,1\n")
	tab, err := LoadTable(filepath.Join(dir, "p*.csv"), ReadOptions{Weights: "w"})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 5 || len(tab.Weights) != 5 || tab.Weights[3] != 3 || tab.Cols != 2 {
		t.Fatalf("rows %d weights %v cols %d", tab.Rows, tab.Weights, tab.Cols)
	}
	writeFile(t, dir, "p2.csv", "a,w,y\n1,0,3\n4,0,6\n")
	if _, err := LoadTable(filepath.Join(dir, "p*.csv"), ReadOptions{Weights: "w"}); err == nil || !strings.Contains(err.Error(), "every weight is zero") {
		t.Errorf("all-zero shards: %v", err)
	}
	writeFile(t, dir, "p2.csv", "a,w,y\n1,1,3\n4,-2,6\n")
	if _, err := LoadTable(filepath.Join(dir, "p*.csv"), ReadOptions{Weights: "w"}); err == nil || !strings.Contains(err.Error(), "p2.csv:3") {
		t.Errorf("negative weight in a shard: %v", err)
	}
}

// FuzzLoadWeights reads arbitrary CSV with a weight column chosen by an
// arbitrary selector (and features): an input error that names the file,
// or a table without the weight column whose weights are finite, ≥ 0,
// not all zero, and those of the column as read without --weights.
func FuzzLoadWeights(f *testing.F) {
	f.Add([]byte("a,w,y\n1,2,3\n4,0,6\n"), "w", "", "")
	f.Add([]byte("a,w,y\n1,2,3\n4,-1,6\n"), "2", "", "")
	f.Add([]byte("a,w,b,y\n1,2,3,4\n4,0,6,7\n"), "w", "b,a", "a")
	f.Add([]byte("w,y\n0,1\n0,2\n"), "1", "", "")
	f.Add([]byte("a,w,y\n1,nan,3\n"), "w", "", "y")
	f.Fuzz(func(t *testing.T, data []byte, sel, features, target string) {
		dir := t.TempDir()
		p := filepath.Join(dir, "f.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := ReadOptions{Weights: sel, Target: target}
		if features != "" {
			opt.Features = strings.Split(features, ",")
		}
		tab, err := LoadTable(p, opt)
		if err != nil {
			checkRejected(t, err, p)
			return
		}
		if sel == "" {
			return
		}
		if len(tab.Weights) != tab.Rows || tab.WeightName == "" {
			t.Fatalf("%d weights for %d rows, column %q", len(tab.Weights), tab.Rows, tab.WeightName)
		}
		pos := false
		for _, w := range tab.Weights {
			if !(w >= 0) || math.IsInf(w, 0) {
				t.Fatalf("weight %v accepted", w)
			}
			pos = pos || w > 0
		}
		if !pos {
			t.Fatal("all-zero weights accepted")
		}
		if tab.Target < 0 || tab.Target >= tab.Cols || tab.Cols < 2 {
			t.Fatalf("target %d of %d columns", tab.Target, tab.Cols)
		}
		// The same file read with the weight column as a feature holds
		// the same values at WeightAt.
		plain := opt
		plain.Weights = ""
		if len(opt.Features) > 0 {
			plain.Features = append(append([]string(nil), opt.Features...), sel)
		}
		all, err := LoadTable(p, plain)
		if err != nil {
			t.Fatalf("readable with --weights, not without: %v", err)
		}
		for i := 0; i < tab.Rows; i++ {
			if got := all.At(i, tab.WeightAt); got != tab.Weights[i] {
				t.Fatalf("row %d: weight %v, column %d holds %v", i, tab.Weights[i], tab.WeightAt, got)
			}
		}
	})
}
