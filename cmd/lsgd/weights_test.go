package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// solveJSON runs lsgd solve --json with args and returns coef and intercept.
func solveJSON(t *testing.T, dir string, args ...string) (coef []float64, intercept float64) {
	t.Helper()
	r := cli(t, dir, append([]string{"solve", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	var out struct {
		Coef      []float64 `json:"coef"`
		Intercept float64   `json:"intercept"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	return out.Coef, out.Intercept
}

// Integer weights act as repeated rows through the command (CSV), and
// a model fitted with a weight column predicts from the training .npy
// file (weight and target skipped) exactly as from its features alone.
func TestWeightsCommand(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	var wcsv, rcsv strings.Builder
	wcsv.WriteString("x1,w,y,x2\n")
	rcsv.WriteString("x1,y,x2\n")
	var full, feats []float64
	rows := 0
	for i := 0; i < 203; i++ {
		x1, x2 := rng.NormFloat64(), 2+3*rng.NormFloat64()
		y := 1 + x1 - 0.5*x2 + 0.2*rng.NormFloat64()
		w := rng.IntN(4)
		fmt.Fprintf(&wcsv, "%v,%d,%v,%v\n", x1, w, y, x2)
		for k := 0; k < w; k++ {
			fmt.Fprintf(&rcsv, "%v,%v,%v\n", x1, y, x2)
		}
		full = append(full, x1, float64(w), y, x2)
		feats = append(feats, x1, x2)
		rows++
	}
	writeFile(t, dir, "w.csv", []byte(wcsv.String()))
	writeFile(t, dir, "r.csv", []byte(rcsv.String()))
	cw, bw := solveJSON(t, dir, "--data", "w.csv", "--weights", "w", "--target", "y")
	cr, br := solveJSON(t, dir, "--data", "r.csv", "--target", "y")
	for k := range cw {
		if math.Abs(cw[k]-cr[k]) > 1e-10*math.Max(1, math.Abs(cr[k])) {
			t.Errorf("coef[%d] = %.15g weighted, %.15g on repeated rows", k, cw[k], cr[k])
		}
	}
	if math.Abs(bw-br) > 1e-10*math.Max(1, math.Abs(br)) {
		t.Errorf("intercept %.15g weighted, %.15g on repeated rows", bw, br)
	}

	writeFile(t, dir, "w.npy", npyBytes(rows, 4, full...))
	writeFile(t, dir, "f.npy", npyBytes(rows, 2, feats...))
	if r := cli(t, dir, "train", "--backend", "cpu", "--data", "w.npy", "--weights", "2", "--target", "3", "--model-out", "m.json"); r.code != 0 {
		t.Fatalf("%s", r)
	}
	a := cli(t, dir, "predict", "--model", "m.json", "--data", "w.npy")
	b := cli(t, dir, "predict", "--model", "m.json", "--data", "f.npy")
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout || len(lines(a.stdout)) != rows {
		t.Fatalf("predictions from the training file and from the features differ:\n%s\n%s", a, b)
	}
}

// The agreement harness passes on a weighted table: every path's fit and
// solve agree with the float64 reference's within derived tolerances.
func TestWeightsCompare(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(6, 6))
	var b strings.Builder
	b.WriteString("x1,x2,w,y\n")
	for i := 0; i < 1999; i++ {
		x1, x2 := rng.NormFloat64(), 5+2*rng.NormFloat64()
		fmt.Fprintf(&b, "%v,%v,%v,%v\n", x1, x2, []float64{0, 0.25, 1, 4}[rng.IntN(4)], 2+x1-x2+0.1*rng.NormFloat64())
	}
	writeFile(t, dir, "w.csv", []byte(b.String()))
	if r := cli(t, dir, "compare", "--data", "w.csv", "--weights", "w"); r.code != 0 {
		t.Fatalf("%s", r)
	}
}
