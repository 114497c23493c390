package lsgd

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lsgd/lsgd/tableio"
)

// The eleven NIST StRD linear least-squares problems: rows, number of
// certified parameters, intercept, design column names.
var nistSets = []struct {
	name      string
	rows      int
	params    int
	intercept bool
	names     string
}{
	{"Norris", 36, 2, true, "[x y]"},
	{"Pontius", 40, 3, true, "[x x^2 y]"},
	{"NoInt1", 11, 1, false, "[x y]"},
	{"NoInt2", 3, 1, false, "[x y]"},
	{"Filip", 82, 11, true, "[x x^2 x^3 x^4 x^5 x^6 x^7 x^8 x^9 x^10 y]"},
	{"Longley", 16, 7, true, "[x1 x2 x3 x4 x5 x6 y]"},
	{"Wampler1", 21, 6, true, "[x x^2 x^3 x^4 x^5 y]"},
	{"Wampler2", 21, 6, true, "[x x^2 x^3 x^4 x^5 y]"},
	{"Wampler3", 21, 6, true, "[x x^2 x^3 x^4 x^5 y]"},
	{"Wampler4", 21, 6, true, "[x x^2 x^3 x^4 x^5 y]"},
	{"Wampler5", 21, 6, true, "[x x^2 x^3 x^4 x^5 y]"},
}

var nistObsRe = regexp.MustCompile(`(\d+) Observations`)

func TestReadNIST(t *testing.T) {
	files, _ := filepath.Glob("testdata/nist/*.dat")
	if len(files) != len(nistSets) {
		t.Fatalf("%d .dat files in testdata/nist; want %d", len(files), len(nistSets))
	}
	for _, ds := range nistSets {
		path := filepath.Join("testdata", "nist", ds.name+".dat")
		n, err := tableio.ReadNIST(path)
		if err != nil {
			t.Fatal(err)
		}
		tab := n.Table
		if err := tab.Check(); err != nil {
			t.Fatal(err)
		}
		// The row count agrees with the header's "N Observations" line,
		// read here independently of the parser.
		raw, _ := os.ReadFile(path)
		m := nistObsRe.FindSubmatch(raw)
		if m == nil {
			t.Fatalf("%s: no Observations line", ds.name)
		}
		if obs, _ := strconv.Atoi(string(m[1])); tab.Rows != obs || tab.Rows != ds.rows {
			t.Errorf("%s: %d rows; header says %d, want %d", ds.name, tab.Rows, obs, ds.rows)
		}
		if n.Name != ds.name || n.Intercept != ds.intercept || len(n.Certified) != ds.params || len(n.CertifiedSD) != ds.params {
			t.Errorf("%s: name %q intercept %v, %d certified, %d SDs", ds.name, n.Name, n.Intercept, len(n.Certified), len(n.CertifiedSD))
		}
		k := ds.params
		if ds.intercept {
			k--
		}
		if tab.Cols != k+1 || tab.Target != k || tab.Precision() != F64 || fmt.Sprint(tab.Names) != ds.names {
			t.Errorf("%s: %d cols, target %d, names %v; want %d, %d, %s", ds.name, tab.Cols, tab.Target, tab.Names, k+1, k, ds.names)
		}
		if !(n.ResidualSD >= 0) || !(n.R2 > 0 && n.R2 <= 1) {
			t.Errorf("%s: residual SD %v, R² %v", ds.name, n.ResidualSD, n.R2)
		}
		// The certified coefficients fit the design: the residual standard
		// deviation they give is the certified one. This checks the
		// design (column order, powers) without any solver. Residuals are
		// summed in 200-bit arithmetic.
		rss := new(big.Float).SetPrec(200)
		for i := 0; i < tab.Rows; i++ {
			r := new(big.Float).SetPrec(200).SetFloat64(tab.At(i, tab.Target))
			if n.Intercept {
				r.Sub(r, big.NewFloat(n.Certified[0]))
			}
			for j := 0; j < k; j++ {
				term := new(big.Float).SetPrec(200).SetFloat64(n.Certified[len(n.Certified)-k+j])
				term.Mul(term, big.NewFloat(tab.At(i, j)))
				r.Sub(r, term)
			}
			rss.Add(rss, r.Mul(r, r))
		}
		f, _ := rss.Float64()
		sd := math.Sqrt(f / float64(tab.Rows-ds.params))
		if n.ResidualSD == 0 {
			if sd > 1e-6 {
				t.Errorf("%s: residual SD from the certified values %g; want 0", ds.name, sd)
			}
		} else if math.Abs(sd-n.ResidualSD) > 1e-6*n.ResidualSD {
			t.Errorf("%s: residual SD from the certified values %.15g; certified %.15g", ds.name, sd, n.ResidualSD)
		}
	}
}

// TestReadNISTValues checks numbers against the files' text, copied here
// as literals (NIST's certified values and data, not lsgd output).
func TestReadNISTValues(t *testing.T) {
	l, err := tableio.ReadNIST("testdata/nist/Longley.dat")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want float64
	}{
		{"Longley B0", l.Certified[0], -3482258.63459582},
		{"Longley B2", l.Certified[2], -0.358191792925910e-01},
		{"Longley B6", l.Certified[6], 1829.15146461355},
		{"Longley SD(B2)", l.CertifiedSD[2], 0.334910077722432e-01},
		{"Longley residual SD", l.ResidualSD, 304.854073561965},
		{"Longley R²", l.R2, 0.995479004577296},
		{"Longley y[0]", l.Table.At(0, 6), 60323},
		{"Longley x1[0]", l.Table.At(0, 0), 83.0},
		{"Longley x6[15]", l.Table.At(15, 5), 1962},
	}
	f, _ := tableio.ReadNIST("testdata/nist/Filip.dat")
	x := -6.860120914
	checks = append(checks,
		struct {
			what      string
			got, want float64
		}{"Filip B10", f.Certified[10], -0.402962525080404e-04},
		struct {
			what      string
			got, want float64
		}{"Filip x[0]", f.Table.At(0, 0), x},
		struct {
			what      string
			got, want float64
		}{"Filip y[0]", f.Table.At(0, 10), 0.8116},
	)
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.what, c.got, c.want)
		}
	}
	// Filip's x^10 is the float64 nearest the exact power of the decimal
	// x: within half an ulp of a 300-bit power, and close to math.Pow.
	bx, _, _ := big.ParseFloat("-6.860120914", 10, 300, big.ToNearestEven)
	p := new(big.Float).SetPrec(300).SetInt64(1)
	for range 10 {
		p.Mul(p, bx)
	}
	want, _ := p.Float64()
	if got := f.Table.At(0, 9); got != want || math.Abs(got-math.Pow(x, 10)) > 1e-14*got {
		t.Errorf("Filip x^10[0] = %v; want %v", got, want)
	}
	w, _ := tableio.ReadNIST("testdata/nist/Wampler2.dat")
	if w.Certified[5] != 0.1e-04 || w.Table.At(20, 4) != 3200000 || w.Table.At(20, 0) != 20 || w.ResidualSD != 0 || w.R2 != 1 {
		t.Errorf("Wampler2: B5 %v, x^5[20] %v, SD %v, R² %v", w.Certified[5], w.Table.At(20, 4), w.ResidualSD, w.R2)
	}
	n1, _ := tableio.ReadNIST("testdata/nist/NoInt1.dat")
	if n1.Certified[0] != 2.07438016528926 || n1.CertifiedSD[0] != 0.165289256198347e-01 || n1.Intercept {
		t.Errorf("NoInt1: %v %v %v", n1.Certified, n1.CertifiedSD, n1.Intercept)
	}
}

func TestReadNISTErrors(t *testing.T) {
	raw, err := os.ReadFile("testdata/nist/Norris.dat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, tc := range []struct {
		name, text, want string
	}{
		{"not nist", "a,b\n1,2\n", "no \"Certified Values (lines A to B)\" line"},
		{"data beyond end", strings.Replace(s, "Data              (lines 61 to 96)", "Data              (lines 61 to 960)", 1), "outside the file"},
		{"short data range", strings.Replace(s, "(lines 61 to 96)", "(lines 61 to 95)", 1), "line 96: data after the last data line 95"},
		{"bad number", strings.Replace(s, "0.1  ", "0.x  ", 1), `"0.x" is not a number`},
		{"no R2", strings.Replace(s, "R-Squared", "R-Squire", 1), "no certified R-Squared"},
		{"ragged", strings.Replace(s, "0.1        0.2\r", "0.1        0.2   7\r", 1), "predictors"},
	} {
		path := filepath.Join(t.TempDir(), "bad.dat")
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := tableio.ReadNIST(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}
	if _, err := tableio.ReadNIST("testdata/nist/Missing.dat"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestLRE(t *testing.T) {
	for _, c := range []struct{ got, cert, want float64 }{
		{1, 1, 15},
		{1.0001, 1, 4},
		{-3482258.63459582 * (1 + 1e-9), -3482258.63459582, 9},
		{0, 0, 15},
		{1e-10, 0, 10},
		{2, 1, 0},
		{100, 1, 0},
		{math.NaN(), 1, 0},
		{math.Inf(1), 1, 0},
		{1 + 1e-16, 1, 15},
	} {
		if got := LRE(c.got, c.cert); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("LRE(%v, %v) = %v; want %v", c.got, c.cert, got, c.want)
		}
	}
}
