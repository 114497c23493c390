package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// solve prints the inference of a simple regression, checked against the
// closed forms b = Sxy/Sxx, se(b) = σ̂/√Sxx, se(a) = σ̂·√(1/n + x̄²/Sxx),
// σ̂² = RSS/(n − 2), by both methods, in JSON and as a table.
func TestSolveInference(t *testing.T) {
	dir := t.TempDir()
	x := []float64{1, 2, 4, 5, 7}
	y := []float64{1.5, 2.1, 4.6, 4.9, 7.7}
	csv := "x,y\n"
	n := float64(len(x))
	xm, ym := 0.0, 0.0
	for i := range x {
		csv += strconv.FormatFloat(x[i], 'g', -1, 64) + "," + strconv.FormatFloat(y[i], 'g', -1, 64) + "\n"
		xm += x[i] / n
		ym += y[i] / n
	}
	if err := os.WriteFile(filepath.Join(dir, "s.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	sxx, sxy, syy := 0.0, 0.0, 0.0
	for i := range x {
		sxx += (x[i] - xm) * (x[i] - xm)
		sxy += (x[i] - xm) * (y[i] - ym)
		syy += (y[i] - ym) * (y[i] - ym)
	}
	slope := sxy / sxx
	s2 := (syy - slope*sxy) / (n - 2)
	seB, seA := math.Sqrt(s2/sxx), math.Sqrt(s2*(1/n+xm*xm/sxx))
	for _, method := range []string{"qr", "gram"} {
		r := cli(t, dir, "solve", "--data", "s.csv", "--method", method, "--json")
		if r.code != 0 {
			t.Fatalf("solve --method %s failed:\n%s", method, r)
		}
		m := decodeOne(t, r)
		requireKeys(t, m, "std_err", "t_values", "p_values", "conf_int", "intercept_std_err", "intercept_p_value",
			"residual_std_err", "adj_r2", "f_statistic", "f_p_value", "df_resid", "method", "method_why", "error_bound")
		for _, c := range []struct {
			what      string
			got, want float64
		}{
			{"std_err", floats(t, m, "std_err")[0], seB},
			{"intercept_std_err", number(t, m, "intercept_std_err"), seA},
			{"t_values", floats(t, m, "t_values")[0], slope / seB},
			{"residual_std_err", number(t, m, "residual_std_err"), math.Sqrt(s2)},
		} {
			if math.Abs(c.got-c.want) > 1e-10*math.Abs(c.want) {
				t.Errorf("%s: %s = %.15g; want %.15g", method, c.what, c.got, c.want)
			}
		}
		ci, ok := m["conf_int"].([]any)
		if !ok || len(ci) != 1 || len(ci[0].([]any)) != 2 {
			t.Errorf("%s: conf_int = %v; want one pair", method, m["conf_int"])
		}
		if !strings.Contains(m["method"].(string), map[string]string{"qr": "tsqr", "gram": "cholesky"}[method]) {
			t.Errorf("--method %s ran %v", method, m["method"])
		}
	}
	r := cli(t, dir, "solve", "--data", "s.csv")
	for _, want := range []string{"coef", "std err", "P>|t|", "[0.025", "0.975]", "(intercept)", "adjusted R²", "F statistic", "residual std err"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("solve output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := cli(t, dir, "solve", "--data", "s.csv", "--method", "lu"); r.code == 0 || !strings.Contains(r.stderr, "--method") {
		t.Errorf("--method lu accepted or not named:\n%s", r)
	}
	if r := cli(t, dir, "solve", "--help"); !strings.Contains(r.stdout, "--method") {
		t.Errorf("solve --help lacks --method")
	}
}

// With as many rows as coefficients nothing is left to estimate σ² from:
// the statistics are null in JSON and "—" in the table, not made up.
func TestSolveInferenceNoDegreesOfFreedom(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "e.csv"), []byte("x,y\n1,2\n3,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := cli(t, dir, "solve", "--data", "e.csv", "--json")
	if r.code != 0 {
		t.Fatalf("solve failed:\n%s", r)
	}
	m := decodeOne(t, r)
	se, ok := m["std_err"].([]any)
	if !ok || len(se) != 1 || se[0] != nil || m["intercept_std_err"] != nil || m["f_statistic"] != nil {
		t.Errorf("std_err %v, intercept_std_err %v, F %v; want null", m["std_err"], m["intercept_std_err"], m["f_statistic"])
	}
	if r := cli(t, dir, "solve", "--data", "e.csv"); !strings.Contains(r.stdout, "—") {
		t.Errorf("table without —:\n%s", r.stdout)
	}
}
