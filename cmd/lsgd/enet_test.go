package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// enetCSV writes n rows of d correlated features on different scales and a
// sparse linear target with noise.
func enetCSV(t *testing.T, dir, name string, n, d int, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	var b strings.Builder
	for j := 0; j < d; j++ {
		fmt.Fprintf(&b, "x%d,", j+1)
	}
	b.WriteString("y\n")
	for i := 0; i < n; i++ {
		c := rng.NormFloat64()
		y := 1.0
		for j := 0; j < d; j++ {
			s := math.Pow(10, float64(j%3)-1)
			x := 5*s + s*(0.5*c+rng.NormFloat64())
			if j%2 == 0 {
				y += x / s
			}
			fmt.Fprintf(&b, "%.17g,", x)
		}
		fmt.Fprintf(&b, "%.17g\n", y+0.3*rng.NormFloat64())
	}
	return writeFile(t, dir, name, []byte(b.String()))
}

// kktViolation returns the largest violation of the elastic net's
// optimality conditions on the original scale, from the rows, relative to
// λ₁ + the scale of the gradient: g_j = (2/n)Σ x_ij·r_i must equal
// λ₁·sign(θ_j) + 2λ₂θ_j where θ_j ≠ 0 and be at most λ₁ in size where
// θ_j = 0.
func kktViolation(tab csvTable, coef []float64, b0, l1, l2 float64) float64 {
	n := float64(len(tab.rows))
	d := len(coef)
	g := make([]float64, d)
	gs := make([]float64, d)
	for _, row := range tab.rows {
		r := row[d] - b0
		for j := 0; j < d; j++ {
			r -= coef[j] * row[j]
		}
		for j := 0; j < d; j++ {
			g[j] += 2 * row[j] * r / n
			gs[j] += 2 * math.Abs(row[j]*r) / n
		}
	}
	worst := 0.0
	for j, c := range coef {
		v := math.Abs(g[j]) - l1
		if c != 0 {
			v = math.Abs(g[j] - l1*math.Copysign(1, c) - 2*l2*c)
		}
		worst = math.Max(worst, v/(l1+gs[j]))
	}
	return worst
}

func TestTrainL1(t *testing.T) {
	dir := t.TempDir()
	data := enetCSV(t, dir, "enet.csv", 500, 6, 1)
	tab := readCSV(t, filepath.Join(dir, data))
	for _, pen := range [][2]float64{{0.2, 0}, {0.05, 0.01}} {
		r := cli(t, dir, "train", "--data", data, "--backend", "cpu", "--l1", fmt.Sprint(pen[0]), "--l2", fmt.Sprint(pen[1]), "--json")
		if r.code != 0 {
			t.Fatalf("train failed:\n%s", r)
		}
		m := decodeOne(t, r)
		requireKeys(t, m, append(trainKeys, "elastic_net")...)
		coef := floats(t, m, "coef")
		if v := kktViolation(tab, coef, number(t, m, "intercept"), pen[0], pen[1]); v > 1e-7 {
			t.Errorf("λ = %v: KKT conditions violated by %.3g (relative)", pen, v)
		}
		e, _ := m["elastic_net"].(map[string]any)
		requireKeys(t, e, "l1", "l2", "primal", "dual", "duality_gap", "relative_gap", "nonzero")
		zeros := 0
		for _, c := range coef {
			if c == 0 {
				zeros++
			}
		}
		if nz := number(t, e, "nonzero"); int(nz) != len(coef)-zeros {
			t.Errorf("λ = %v: nonzero = %g; %d coefficients are not zero", pen, nz, len(coef)-zeros)
		}
		if pen[0] == 0.2 && zeros == 0 {
			t.Errorf("λ = %v: no coefficient is exactly zero: %v", pen, coef)
		}
		if number(t, e, "relative_gap") > 1e-10 {
			t.Errorf("λ = %v: relative gap %g above the default 1e-10", pen, number(t, e, "relative_gap"))
		}
	}
	// The text output names the objective's scale and the certificate.
	r := cli(t, dir, "train", "--data", data, "--backend", "cpu", "--l1", "0.1")
	if r.code != 0 || !strings.Contains(r.stdout, "duality gap") || !strings.Contains(r.stdout, "original scale") {
		t.Errorf("text output lacks the duality gap or the scale:\n%s", r)
	}
	for _, bad := range [][]string{{"--optimizer", "adam"}, {"--verify"}, {"--batch", "10"}} {
		r := cli(t, dir, append([]string{"train", "--data", data, "--l1", "0.1"}, bad...)...)
		if r.code != 2 || !strings.Contains(r.stderr, bad[0]) {
			t.Errorf("want exit 2 naming %s:\n%s", bad[0], r)
		}
	}
	if r := cli(t, dir, "train", "--data", data, "--l1", "-1"); r.code != 2 {
		t.Errorf("--l1 -1: want exit 2:\n%s", r)
	}
}
