package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cvKeys are the JSON fields of lsgd cv that scripts rely on.
var cvKeys = []string{"lambdas", "cv_mse", "cv_se", "nonzero", "lambda_min", "lambda_1se", "coef", "intercept",
	"passes", "seconds", "features", "elastic_net", "folds", "fold_rows"}

func TestCV(t *testing.T) {
	dir := t.TempDir()
	data := enetCSV(t, dir, "cv.csv", 400, 5, 2)
	r := cli(t, dir, "cv", "--data", data, "--backend", "cpu", "--n-lambdas", "20", "--folds", "4", "--json", "--plot", "cv.png")
	if r.code != 0 {
		t.Fatalf("cv failed:\n%s", r)
	}
	m := decodeOne(t, r)
	requireKeys(t, m, cvKeys...)
	lambdas, mse, se := floats(t, m, "lambdas"), floats(t, m, "cv_mse"), floats(t, m, "cv_se")
	nz := floats(t, m, "nonzero")
	if len(lambdas) != 20 || len(mse) != 20 || len(se) != 20 || len(nz) != 20 {
		t.Fatalf("path lengths %d, %d, %d, %d; want 20", len(lambdas), len(mse), len(se), len(nz))
	}
	if nz[0] != 0 || number(t, m, "passes") != 1 {
		t.Errorf("nonzero at λ_max %g, passes %g; want 0 and 1", nz[0], number(t, m, "passes"))
	}
	imin := 0
	for k := range mse {
		if mse[k] < mse[imin] {
			imin = k
		}
	}
	if number(t, m, "lambda_min") != lambdas[imin] {
		t.Errorf("lambda_min %g; the least cv_mse is at λ = %g", number(t, m, "lambda_min"), lambdas[imin])
	}
	// The refit at λ_min satisfies the KKT conditions on the file's rows.
	tab := readCSV(t, filepath.Join(dir, data))
	lam := number(t, m, "lambda_min")
	if v := kktViolation(tab, floats(t, m, "coef"), number(t, m, "intercept"), lam, 0); v > 1e-7 {
		t.Errorf("refit at λ_min violates the KKT conditions by %.3g", v)
	}
	if fi, err := os.Stat(filepath.Join(dir, "cv.png")); err != nil || fi.Size() == 0 {
		t.Errorf("--plot wrote no cv.png: %v", err)
	}

	// A fold column (here the 3rd column) is not a feature; --lambdas
	// gives the grid, fitted from the largest.
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, data))), "\n") {
		f := strings.SplitN(line, ",", 3)
		mid := "fold"
		if i > 0 {
			mid = fmt.Sprint(i % 3)
		}
		b.WriteString(f[0] + "," + f[1] + "," + mid + "," + f[2] + "\n")
	}
	folded := writeFile(t, dir, "folded.csv", []byte(b.String()))
	r = cli(t, dir, "cv", "--data", folded, "--backend", "cpu", "--fold-column", "fold", "--lambdas", "0.01,1,0.1", "--l1-ratio", "0.5", "--json")
	if r.code != 0 {
		t.Fatalf("cv --fold-column failed:\n%s", r)
	}
	m = decodeOne(t, r)
	if got := floats(t, m, "lambdas"); len(got) != 3 || got[0] != 1 || got[2] != 0.01 {
		t.Errorf("lambdas %v; want [1 0.1 0.01]", got)
	}
	if number(t, m, "folds") != 3 || len(floats(t, m, "coef")) != 5 {
		t.Errorf("folds %g, %d coefficients; want 3 folds and the fold column left out of 6 columns", number(t, m, "folds"), len(floats(t, m, "coef")))
	}
	// Text output: the path and the choices.
	r = cli(t, dir, "cv", "--data", data, "--backend", "cpu", "--n-lambdas", "10")
	for _, want := range []string{"λ_min", "λ_1se", "duality gap", "cv MSE", "original scale"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r)
		}
	}
	for _, bad := range [][]string{{"--l1-ratio", "2"}, {"--folds", "1"}, {"--lambdas", "1,-2"}, {"--fold-column", "nope"}, {"--n-lambdas", "0"}} {
		r := cli(t, dir, append([]string{"cv", "--data", data}, bad...)...)
		if r.code != 2 || !strings.Contains(r.stderr, bad[0]) {
			t.Errorf("want exit 2 naming %s:\n%s", bad[0], r)
		}
	}
	r = cli(t, dir, "cv", "--help")
	for _, want := range []string{"binomial", "ORIGINAL scale", "λ_max"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("cv --help does not mention %q", want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
