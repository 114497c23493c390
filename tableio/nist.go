package tableio

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// NIST is one NIST StRD linear least-squares reference problem with its
// certified results (https://www.itl.nist.gov/div898/strd/lls/lls.shtml).
type NIST struct {
	Name string // dataset name, e.g. "Longley"
	// Table holds the design columns (without the column of ones) and then
	// the response y, the target, in float64.
	Table *Table
	// Intercept reports whether the model has an intercept B0.
	Intercept bool
	// Certified holds the certified parameter estimates in the file's
	// order: B0, B1, …, Bk, or just B1 … for a model without intercept.
	// B0 is the intercept; Bk multiplies design column k of Table.
	Certified []float64
	// CertifiedSD holds the certified standard deviations of the
	// estimates, in the same order.
	CertifiedSD []float64
	ResidualSD  float64 // certified residual standard deviation
	R2          float64 // certified R² (uncentred for models without intercept)
}

var (
	nistCertRe = regexp.MustCompile(`Certified Values\s*\(lines\s+(\d+)\s+to\s+(\d+)\)`)
	nistDataRe = regexp.MustCompile(`Data\s*\(lines\s+(\d+)\s+to\s+(\d+)\)`)
	nistNameRe = regexp.MustCompile(`^Dataset Name:\s*(\S+)`)
	nistParRe  = regexp.MustCompile(`^\s*B(\d+)\s+(\S+)\s+(\S+)\s*$`)
	nistSDRe   = regexp.MustCompile(`^\s*Standard Deviation\s+(\S+)\s*$`)
	nistR2Re   = regexp.MustCompile(`^\s*R-Squared\s+(\S+)\s*$`)
)

// ReadNIST reads a NIST StRD linear least-squares data file (such as
// Longley.dat) and builds its model's design: the raw predictors when the
// file certifies one parameter per predictor (Norris, NoInt1/2, Longley),
// or the powers x, x², …, x^k of the single predictor x when it certifies a
// degree-k polynomial (Pontius, Filip, Wampler1–5). The degree is the
// number of certified parameters other than B0. Powers are computed from
// the decimal text of x in 256-bit arithmetic and rounded once, so every
// design value is the float64 nearest to the exact power.
//
// The certified values, the line ranges of the certified block and of the
// data, and the column names are all read from the file, which uses CRLF
// or LF line endings.
func ReadNIST(path string) (*NIST, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lines := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	fail := func(format string, a ...any) (*NIST, error) {
		return nil, inputErrorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	lineRange := func(re *regexp.Regexp, what string) (int, int, error) {
		for _, l := range lines[:min(len(lines), 20)] {
			if m := re.FindStringSubmatch(l); m != nil {
				a, _ := strconv.Atoi(m[1])
				b, _ := strconv.Atoi(m[2])
				if a < 1 || b < a || b > len(lines) {
					return 0, 0, inputErrorf("%s: %s lines %d to %d are outside the file's %d lines", path, what, a, b, len(lines))
				}
				return a, b, nil
			}
		}
		return 0, 0, inputErrorf("%s: no %q line in the header: not a NIST StRD file?", path, what+" (lines A to B)")
	}
	ca, cb, err := lineRange(nistCertRe, "Certified Values")
	if err != nil {
		return nil, err
	}
	da, db, err := lineRange(nistDataRe, "Data")
	if err != nil {
		return nil, err
	}
	n := &NIST{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), ResidualSD: math.NaN(), R2: math.NaN()}
	for _, l := range lines[:min(len(lines), 10)] {
		if m := nistNameRe.FindStringSubmatch(l); m != nil {
			n.Name = m[1]
		}
	}
	num := func(s string, line int) (float64, error) {
		v, ok := ParseNumber(s)
		if !ok {
			return 0, inputErrorf("%s:%d: %q is not a number", path, line, s)
		}
		return v, nil
	}

	// Certified block.
	first := -1
	for ln := ca; ln <= cb; ln++ {
		l := lines[ln-1]
		if m := nistParRe.FindStringSubmatch(l); m != nil {
			k, _ := strconv.Atoi(m[1])
			if first < 0 {
				first = k
			}
			if k != first+len(n.Certified) {
				return fail("line %d: parameter B%d out of order", ln, k)
			}
			est, err := num(m[2], ln)
			if err != nil {
				return nil, err
			}
			sd, err := num(m[3], ln)
			if err != nil {
				return nil, err
			}
			n.Certified = append(n.Certified, est)
			n.CertifiedSD = append(n.CertifiedSD, sd)
			continue
		}
		if m := nistSDRe.FindStringSubmatch(l); m != nil {
			if n.ResidualSD, err = num(m[1], ln); err != nil {
				return nil, err
			}
		}
		if m := nistR2Re.FindStringSubmatch(l); m != nil {
			if n.R2, err = num(m[1], ln); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case len(n.Certified) == 0:
		return fail("no certified parameters B0, B1, … in lines %d to %d", ca, cb)
	case first != 0 && first != 1:
		return fail("certified parameters start at B%d, want B0 or B1", first)
	case math.IsNaN(n.ResidualSD):
		return fail("no certified residual standard deviation in lines %d to %d", ca, cb)
	case math.IsNaN(n.R2):
		return fail("no certified R-Squared in lines %d to %d", ca, cb)
	}
	n.Intercept = first == 0
	k := len(n.Certified)
	if n.Intercept {
		k--
	}
	if k < 1 {
		return fail("the model has no predictor")
	}

	// Column names from the "Data: y x1 …" line before the data.
	var header []string
	if da >= 2 {
		if f := strings.Fields(lines[da-2]); len(f) > 1 && f[0] == "Data:" {
			header = f[1:]
		}
	}

	// Data block: y, then the raw predictors, as text (powers use it).
	var ys []float64
	var xs [][]string
	for ln := da; ln <= db; ln++ {
		f := strings.Fields(lines[ln-1])
		if len(f) < 2 {
			return fail("line %d: want y and at least one predictor, got %q", ln, lines[ln-1])
		}
		if len(xs) > 0 && len(f)-1 != len(xs[0]) {
			return fail("line %d: %d predictors, line %d has %d", ln, len(f)-1, da, len(xs[0]))
		}
		y, err := num(f[0], ln)
		if err != nil {
			return nil, err
		}
		for _, s := range f[1:] {
			if _, err := num(s, ln); err != nil {
				return nil, err
			}
		}
		ys = append(ys, y)
		xs = append(xs, f[1:])
	}
	for ln := db + 1; ln <= len(lines); ln++ {
		if strings.TrimSpace(lines[ln-1]) != "" {
			return fail("line %d: data after the last data line %d", ln, db)
		}
	}
	p := len(xs[0])

	var names []string
	degree := 1
	switch {
	case p == k:
		for j := 0; j < p; j++ {
			name := fmt.Sprintf("x%d", j+1)
			if len(header) == p+1 {
				name = header[j+1]
			} else if p == 1 {
				name = "x"
			}
			names = append(names, name)
		}
	case p == 1:
		degree = k
		for d := 1; d <= k; d++ {
			if d == 1 {
				names = append(names, "x")
			} else {
				names = append(names, fmt.Sprintf("x^%d", d))
			}
		}
	default:
		return fail("%d certified parameters do not fit %d predictors (neither linear nor a polynomial in one x)", len(n.Certified), p)
	}
	names = append(names, "y")

	cols := len(names)
	t := &Table{Source: path, Names: names, Target: cols - 1, Rows: len(ys), Cols: cols, Stride: cols,
		F64: make([]float64, len(ys)*cols)}
	for i := range ys {
		row := t.F64[i*cols : (i+1)*cols]
		row[cols-1] = ys[i]
		if degree == 1 {
			for j, s := range xs[i] {
				row[j], _ = ParseNumber(s)
			}
			continue
		}
		x, _, err := big.ParseFloat(xs[i][0], 10, 256, big.ToNearestEven)
		if err != nil {
			return fail("line %d: %v", da+i, err)
		}
		pow := new(big.Float).SetPrec(256).SetInt64(1)
		for d := 0; d < degree; d++ {
			pow.Mul(pow, x)
			row[d], _ = pow.Float64()
		}
	}
	n.Table = t
	return n, nil
}
