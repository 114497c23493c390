package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// numericData writes rows of y = 0.5 + 2·a − 3·b + small noise with
// column a multiplied by sa and y by sy, as CSV.
func numericData(t *testing.T, dir, name string, sa, sy float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	b.WriteString("a,b,y\n")
	for i := 0; i < 300; i++ {
		a, c := rng.NormFloat64(), rng.NormFloat64()
		y := 0.5 + 2*a - 3*c + 1e-3*rng.NormFloat64()
		fmt.Fprintf(&b, "%s,%s,%s\n", strconv.FormatFloat(a*sa, 'g', -1, 64), strconv.FormatFloat(c, 'g', -1, 64),
			strconv.FormatFloat(y*sy, 'g', -1, 64))
	}
	writeFile(t, dir, name, []byte(b.String()))
}

// jsonCoef reads "coef" and "intercept" from a command's JSON output.
func jsonCoef(t *testing.T, r result) ([]float64, float64) {
	t.Helper()
	var v struct {
		Coef      []float64 `json:"coef"`
		Intercept float64   `json:"intercept"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("JSON: %v\n%s", err, r)
	}
	return v.Coef, v.Intercept
}

// Silent wrong results, the class: scaled columns give the scaled answer
// (least squares is scale-invariant) or a range error, never NaN, null, a
// constant or collinear diagnosis; exploding steps are "diverged" for
// every optimizer; predictions beyond float64 are refused by row; an .npy
// model trained with the target inside the table predicts from the right
// columns.
func TestHostileNumerics(t *testing.T) {
	dir := t.TempDir()
	numericData(t, dir, "unit.csv", 1, 1)
	r := cli(t, dir, "solve", "--data", "unit.csv", "--json")
	if r.code != 0 {
		t.Fatal(r)
	}
	ref, refB := jsonCoef(t, r)
	for _, m := range []float64{1e-300, 1e-200, 1e-160, 1e-45, 1e45, 1e160, 1e300} {
		for _, which := range []string{"feature", "target"} {
			sa, sy := m, 1.0
			if which == "target" {
				sa, sy = 1, m
			}
			name := fmt.Sprintf("%s%g.csv", which, m)
			numericData(t, dir, name, sa, sy)
			fits := math.Abs(1e-3*sy) < 1e150 // the mean squared error fits float64
			for _, args := range [][]string{
				{"solve"},
				{"train", "--backend", "cpu"},
				{"train", "--backend", "cpu", "--precision", "f32"},
				{"train", "--backend", "cpu", "--optimizer", "nesterov"},
			} {
				a := append(append([]string{}, args...), "--data", name, "--json")
				r := cli(t, dir, a...)
				if strings.Contains(r.stdout, "NaN") || strings.Contains(r.stdout, "null") ||
					strings.Contains(r.stderr, "constant") || strings.Contains(r.stderr, "collinear") {
					t.Errorf("%s", r)
					continue
				}
				f32 := len(args) > 4 && args[4] == "f32"
				if !fits || (f32 && m > 1e38) {
					if r.code != 2 || !(strings.Contains(r.stderr, "range") || strings.Contains(r.stderr, "float32")) {
						t.Errorf("want a range error:\n%s", r)
					}
					continue
				}
				if r.code != 0 {
					t.Errorf("%s", r)
					continue
				}
				coef, b := jsonCoef(t, r)
				tol := 1e-6
				if f32 {
					tol = 1e-3
				}
				want := []float64{ref[0] * sy / sa, ref[1] * sy}
				for k := range want {
					if math.Abs(coef[k]/want[k]-1) > tol {
						t.Errorf("coef[%d] = %g; want %g\n%s", k, coef[k], want[k], r)
					}
				}
				if math.Abs(b/(refB*sy)-1) > 10*tol {
					t.Errorf("intercept = %g; want %g\n%s", b, refB*sy, r)
				}
			}
		}
	}

	// Unstandardized, a column on another scale: never "converged" with
	// a coefficient outside its bound (--verify agrees), never
	// "collinear".
	for _, m := range []float64{1e-12, 1e-6, 1e6, 1e12} {
		name := fmt.Sprintf("raw%g.csv", m)
		numericData(t, dir, name, m, 1)
		for _, o := range []string{"pcg", "gd", "nesterov"} {
			r := cli(t, dir, "train", "--backend", "cpu", "--data", name, "--no-standardize", "--optimizer", o, "--verify")
			conv := strings.Contains(r.stdout, "converged    yes")
			bad := strings.Contains(r.stdout, "FAILED") || strings.Contains(r.stderr, "outside its certified bound")
			if bad || strings.Contains(r.stderr, "collinear") || (conv && r.code != 0) {
				t.Errorf("%s", r)
			}
		}
	}

	// Divergence on the CPU, every optimizer with a step size.
	for _, o := range []string{"gd", "momentum", "nesterov", "rmsprop", "adam", "sgd"} {
		for _, lr := range []string{"1e6", "1e20"} {
			r := cli(t, dir, "train", "--backend", "cpu", "--data", "unit.csv", "--optimizer", o, "--lr", lr, "--verify")
			if r.code != 1 || !strings.Contains(r.stderr, "diverged by iteration") || strings.Contains(r.stderr, "step size 0") {
				t.Errorf("want diverged:\n%s", r)
			}
			m := strings.LastIndex(r.stderr, "--lr ")
			if m < 0 {
				t.Errorf("no step suggested:\n%s", r)
				continue
			}
			f := strings.Fields(r.stderr[m+5:])
			s, err := strconv.ParseFloat(f[0], 64)
			l, _ := strconv.ParseFloat(lr, 64)
			if err != nil || !(s > 0 && s < l) {
				t.Errorf("suggests %q; want a step below %s\n%s", f[0], lr, r)
			}
		}
	}
	if r := cli(t, dir, "train", "--backend", "cpu", "--data", "unit.csv", "--optimizer", "gd", "--lr", "1e300"); r.code != 2 || !strings.Contains(r.stderr, "out of range") {
		t.Errorf("want a range error:\n%s", r)
	}

	// A prediction beyond float64: a coefficient near 1e300 on values
	// near 1e100.
	numericData(t, dir, "steep.csv", 1e-160, 1e140)
	if r := cli(t, dir, "solve", "--data", "steep.csv", "--model-out", "steep.json"); r.code != 0 {
		t.Fatal(r)
	}
	writeFile(t, dir, "far.csv", []byte("a,b\n1,1\n1e100,1\n"))
	if r := cli(t, dir, "predict", "--model", "steep.json", "--data", "far.csv"); r.code != 2 || !strings.Contains(r.stderr, "far.csv:3") || !strings.Contains(r.stderr, "not finite") {
		t.Errorf("want a refusal naming line 3:\n%s", r)
	}
	if r := cli(t, dir, "predict", "--model", "steep.json", "--data", "far.csv", "--out", "p.csv"); r.code != 2 {
		t.Errorf("want exit 2:\n%s", r)
	} else if _, err := os.Stat(filepath.Join(dir, "p.csv")); err == nil {
		t.Errorf("p.csv written")
	}

	// A model holding a null (a NaN once written as one) is refused, not
	// read as 0.
	writeFile(t, dir, "nullcoef.json", []byte(`{"format":"lsgd-model/1","features":["a","b"],"target":"y","coef":[null,1],"intercept":0,"provenance":{}}`))
	writeFile(t, dir, "nullb.json", []byte(`{"format":"lsgd-model/1","features":["a","b"],"target":"y","coef":[1,1],"intercept":null,"provenance":{}}`))
	for _, m := range []string{"nullcoef.json", "nullb.json"} {
		if r := cli(t, dir, "predict", "--model", m, "--data", "unit.csv"); r.code != 2 || !strings.Contains(r.stderr, "null") {
			t.Errorf("want a refusal of the null:\n%s", r)
		}
	}

	// .npy with the target in the middle: predict skips that column.
	rng := rand.New(rand.NewPCG(3, 3))
	var vals, feats []float64
	var ys []float64
	for i := 0; i < 50; i++ {
		a, c := rng.NormFloat64(), rng.NormFloat64()*10
		y := 1 + 2*a - 0.5*c
		vals = append(vals, a, y, c)
		feats = append(feats, a, c)
		ys = append(ys, y)
	}
	writeFile(t, dir, "mid.npy", npyBytes(50, 3, vals...))
	writeFile(t, dir, "feats.npy", npyBytes(50, 2, feats...))
	for _, fit := range []string{"solve", "train"} {
		if r := cli(t, dir, fit, "--data", "mid.npy", "--target", "2", "--model-out", "mid.json"); r.code != 0 {
			t.Fatal(r)
		}
		for _, data := range []string{"mid.npy", "feats.npy"} {
			r := cli(t, dir, "predict", "--model", "mid.json", "--data", data)
			if r.code != 0 {
				t.Errorf("%s", r)
				continue
			}
			lines := strings.Fields(r.stdout)
			for i, y := range ys {
				p, _ := strconv.ParseFloat(lines[i], 64)
				if math.Abs(p-y) > 1e-6*(1+math.Abs(y)) {
					t.Errorf("%s %s row %d: prediction %g; want %g", fit, data, i+1, p, y)
					break
				}
			}
		}
	}
	writeFile(t, dir, "wide.npy", npyBytes(1, 4, 1, 2, 3, 4))
	if r := cli(t, dir, "predict", "--model", "mid.json", "--data", "wide.npy"); r.code != 2 || !strings.Contains(r.stderr, "4 columns") {
		t.Errorf("want a column-count error:\n%s", r)
	}
}
