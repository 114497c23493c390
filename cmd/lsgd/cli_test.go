package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// trainKeys and solveKeys are the JSON fields scripts rely on.
var (
	trainKeys = []string{"features", "coef", "intercept", "mse", "r2", "iterations", "passes", "converged", "reason",
		"gap_bound", "cond", "backend", "device", "precision", "seconds", "optimizer"}
	solveKeys = []string{"features", "coef", "intercept", "mse", "r2", "iterations", "converged", "backend", "device",
		"seconds", "method", "cond"}
)

// The seed tutorial's example: X = [[1,2],[2,3],[3,4],[4,5]], y = [1,2,2,3]
// without an intercept. The exact least-squares solution is θ = (0.1, 0.5)
// (XᵀX = [[30,40],[40,54]], Xᵀy = [23,31]), with residuals (−0.1, 0.3,
// −0.3, 0.1): MSE 0.05.
func TestTutorialExample(t *testing.T) {
	dir := t.TempDir()
	data := copyTestdata(t, dir, "tutorial.csv")
	want := []float64{0.1, 0.5}

	s := cli(t, dir, "solve", "--data", data, "--no-intercept", "--json")
	if s.code != 0 {
		t.Fatalf("solve failed:\n%s", s)
	}
	sol := decodeOne(t, s)
	requireKeys(t, sol, solveKeys...)
	sc := floats(t, sol, "coef")
	for i := range want {
		if math.Abs(sc[i]-want[i]) > 1e-12 {
			t.Errorf("solve θ[%d] = %.17g; want %g ± 1e-12", i, sc[i], want[i])
		}
	}
	if mse := number(t, sol, "mse"); math.Abs(mse-0.05) > 1e-12 {
		t.Errorf("solve mse = %.17g; want 0.05", mse)
	}
	if it := number(t, sol, "iterations"); it != 0 {
		t.Errorf("solve iterations = %g; want 0", it)
	}
	if c, _ := sol["converged"].(bool); !c {
		t.Errorf("solve converged = %v; want true", sol["converged"])
	}
	if b, _ := sol["backend"].(string); b != "cpu" {
		t.Errorf("solve backend = %q; want cpu", b)
	}

	for _, opt := range []string{"nesterov", "gd"} {
		// Plain GD needs about cond·ln(1/tol) ≈ 7000 iterations here.
		r := cli(t, dir, "train", "--data", data, "--no-intercept", "--json", "--backend", "cpu", "--optimizer", opt, "--epochs", "100000")
		if r.code != 0 {
			t.Fatalf("train failed:\n%s", r)
		}
		res := decodeOne(t, r)
		requireKeys(t, res, trainKeys...)
		tc := floats(t, res, "coef")
		for i := range want {
			if math.Abs(tc[i]-sc[i]) > 1e-6 {
				t.Errorf("%s: train θ[%d] = %.17g; want solve's %.17g ± 1e-6", opt, i, tc[i], sc[i])
			}
		}
		if c, _ := res["converged"].(bool); !c {
			t.Errorf("%s: converged = %v (%v)", opt, res["converged"], res["reason"])
		}
		if b := number(t, res, "intercept"); b != 0 {
			t.Errorf("%s: intercept = %g with --no-intercept; want 0", opt, b)
		}
		if res["optimizer"] != opt {
			t.Errorf("optimizer = %v; want %s", res["optimizer"], opt)
		}
	}

	// The human output shows the table and the evidence.
	h := cli(t, dir, "train", "--data", data, "--no-intercept", "--backend", "cpu")
	if h.code != 0 {
		t.Fatalf("train failed:\n%s", h)
	}
	for _, s := range []string{"x1", "x2", "(intercept)", "MSE", "R²", "iterations", "passes", "converged", "gap bound", "cond", "backend", "time"} {
		if !strings.Contains(h.stdout, s) {
			t.Errorf("human output lacks %q:\n%s", s, h.stdout)
		}
	}
}

// csvTable is a CSV file parsed here, independently of the library.
type csvTable struct {
	names []string
	rows  [][]float64
}

func readCSV(t *testing.T, path string) csvTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var tab csvTable
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if tab.names == nil {
			tab.names = fields
			continue
		}
		row := make([]float64, len(fields))
		for j, s := range fields {
			if row[j], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		tab.rows = append(tab.rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return tab
}

func (c csvTable) col(j int) []float64 {
	out := make([]float64, len(c.rows))
	for i, r := range c.rows {
		out[i] = r[j]
	}
	return out
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

// ols solves the least-squares problem with an intercept by the normal
// equations on centred columns (Gaussian elimination with partial
// pivoting): enough for a few well-conditioned features.
func ols(x [][]float64, y []float64) (coef []float64, b float64) {
	n, d := len(x), len(x[0])
	mx := make([]float64, d)
	my := 0.0
	for i := range x {
		for j := range mx {
			mx[j] += x[i][j] / float64(n)
		}
		my += y[i] / float64(n)
	}
	a := make([][]float64, d)
	for j := range a {
		a[j] = make([]float64, d+1)
	}
	for i := range x {
		for j := 0; j < d; j++ {
			xj := x[i][j] - mx[j]
			for k := 0; k < d; k++ {
				a[j][k] += xj * (x[i][k] - mx[k])
			}
			a[j][d] += xj * (y[i] - my)
		}
	}
	for c := 0; c < d; c++ {
		p := c
		for r := c + 1; r < d; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < d; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k <= d; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	coef = make([]float64, d)
	for c := d - 1; c >= 0; c-- {
		s := a[c][d]
		for k := c + 1; k < d; k++ {
			s -= a[c][k] * coef[k]
		}
		coef[c] = s / a[c][c]
	}
	b = my
	for j := range coef {
		b -= coef[j] * mx[j]
	}
	return coef, b
}

// gen → train → predict on a small file.
func TestGenTrainPredict(t *testing.T) {
	dir := t.TempDir()
	const rows, feats, noise, cond = 3000, 3, 0.01, 3.0
	g := cli(t, dir, "gen", "--rows", strconv.Itoa(rows), "--features", strconv.Itoa(feats), "--noise", "0.01",
		"--cond", "3", "--intercept", "2", "--seed", "5", "--out", "d.csv")
	if g.code != 0 {
		t.Fatalf("gen failed:\n%s", g)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"d.csv", "d.truth.json"}) {
		t.Fatalf("gen wrote %v; want d.csv and d.truth.json", got)
	}
	var truth struct {
		Features  []string  `json:"features"`
		Coef      []float64 `json:"coef"`
		Intercept float64   `json:"intercept"`
	}
	tb, err := os.ReadFile(filepath.Join(dir, "d.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(tb, &truth); err != nil {
		t.Fatalf("truth JSON: %v", err)
	}
	if len(truth.Coef) != feats || truth.Intercept != 2 {
		t.Fatalf("truth = %+v; want %d coefficients and intercept 2", truth, feats)
	}
	data := readCSV(t, filepath.Join(dir, "d.csv"))
	if len(data.rows) != rows || !slices.Equal(data.names, []string{"x1", "x2", "x3", "y"}) {
		t.Fatalf("d.csv: %d rows, columns %v", len(data.rows), data.names)
	}
	x := make([][]float64, rows)
	y := data.col(feats)
	for i, r := range data.rows {
		x[i] = r[:feats]
	}
	exact, exactB := ols(x, y)

	r := cli(t, dir, "train", "--data", "d.csv", "--backend", "cpu", "--json", "--model-out", "m.json")
	if r.code != 0 {
		t.Fatalf("train failed:\n%s", r)
	}
	res := decodeOne(t, r)
	requireKeys(t, res, trainKeys...)
	coef, b := floats(t, res, "coef"), number(t, res, "intercept")
	// The fit is the least-squares solution…
	for j := range coef {
		_, s := meanStd(data.col(j))
		if d := math.Abs(coef[j]-exact[j]) * s; d > 1e-6 {
			t.Errorf("θ[%d] = %.12g; least squares gives %.12g (off by %.2g in y units per σ of x)", j, coef[j], exact[j], d)
		}
	}
	if math.Abs(b-exactB) > 1e-6 {
		t.Errorf("intercept = %.12g; least squares gives %.12g", b, exactB)
	}
	// …and close to the truth, within the noise: the standard error of a
	// standardized coefficient is at most noise·cond/√rows.
	se := noise * cond / math.Sqrt(rows)
	for j := range coef {
		_, s := meanStd(data.col(j))
		if d := math.Abs(coef[j]-truth.Coef[j]) * s; d > 6*se {
			t.Errorf("θ[%d] = %.6g; truth %.6g (off by %.2g σ-units, noise allows %.2g)", j, coef[j], truth.Coef[j], d, 6*se)
		}
	}
	// The model file holds the fit.
	var model struct {
		Features   []string       `json:"features"`
		Coef       []float64      `json:"coef"`
		Intercept  float64        `json:"intercept"`
		Provenance map[string]any `json:"provenance"`
	}
	mb, err := os.ReadFile(filepath.Join(dir, "m.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &model); err != nil {
		t.Fatalf("model JSON: %v", err)
	}
	if !slices.Equal(model.Coef, coef) || model.Intercept != b || !slices.Equal(model.Features, []string{"x1", "x2", "x3"}) {
		t.Errorf("model = %+v; want train's coef %v, intercept %v", model, coef, b)
	}
	for _, k := range []string{"data", "optimizer", "converged", "mse"} {
		if _, ok := model.Provenance[k]; !ok {
			t.Errorf("model provenance has no %q: %v", k, model.Provenance)
		}
	}

	// predict: intercept + x·coef, recomputed here.
	p := cli(t, dir, "predict", "--model", "m.json", "--data", "d.csv")
	if p.code != 0 {
		t.Fatalf("predict failed:\n%s", p)
	}
	pl := lines(p.stdout)
	if len(pl) != rows {
		t.Fatalf("predict printed %d lines; want %d", len(pl), rows)
	}
	for i, s := range pl {
		got, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		want := model.Intercept
		for j := 0; j < feats; j++ {
			want += model.Coef[j] * x[i][j]
		}
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Fatalf("prediction %d = %.17g; want %.17g", i+1, got, want)
		}
	}

	// --out writes a CSV headed "prediction" with the same numbers.
	po := cli(t, dir, "predict", "--model", "m.json", "--data", "d.csv", "--out", "p.csv")
	if po.code != 0 || po.stdout != "" {
		t.Fatalf("predict --out failed or printed to stdout:\n%s", po)
	}
	pb, err := os.ReadFile(filepath.Join(dir, "p.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "prediction\n" + p.stdout; string(pb) != want {
		t.Errorf("p.csv differs from the printed predictions (first bytes %q)", string(pb[:min(len(pb), 80)]))
	}

	// Columns are matched by name: reordered, without the target.
	var sb strings.Builder
	sb.WriteString("x3,x1,x2\n")
	for _, r := range x {
		sb.WriteString(strconv.FormatFloat(r[2], 'g', -1, 64) + "," + strconv.FormatFloat(r[0], 'g', -1, 64) + "," +
			strconv.FormatFloat(r[1], 'g', -1, 64) + "\n")
	}
	writeFile(t, dir, "reordered.csv", []byte(sb.String()))
	pr := cli(t, dir, "predict", "--model", "m.json", "--data", "reordered.csv")
	if pr.code != 0 || pr.stdout != p.stdout {
		t.Errorf("predictions on reordered columns differ:\n%s", pr)
	}

	// A missing feature is named; no output file is left.
	writeFile(t, dir, "missing.csv", []byte("x1,x3\n1,2\n3,4\n"))
	pm := cli(t, dir, "predict", "--model", "m.json", "--data", "missing.csv", "--out", "pm.csv")
	if pm.code != 2 || !strings.Contains(pm.stderr, "missing.csv") || !strings.Contains(pm.stderr, `"x2"`) {
		t.Errorf("want exit 2 naming missing.csv and \"x2\":\n%s", pm)
	}
	if exists(dir, "pm.csv") {
		t.Errorf("pm.csv written despite the error")
	}

	// The same data as .npy: the generator is deterministic and CSV holds
	// shortest round-trip decimals, so the fit and the predictions (by
	// position) match.
	if g := cli(t, dir, "gen", "--rows", strconv.Itoa(rows), "--features", strconv.Itoa(feats), "--noise", "0.01",
		"--cond", "3", "--intercept", "2", "--seed", "5", "--out", "d.npy"); g.code != 0 || !exists(dir, "d.truth.json") {
		t.Fatalf("gen .npy failed:\n%s", g)
	}
	rn := cli(t, dir, "train", "--data", "d.npy", "--backend", "cpu", "--json")
	if rn.code != 0 {
		t.Fatalf("train .npy failed:\n%s", rn)
	}
	nc := floats(t, decodeOne(t, rn), "coef")
	for j := range nc {
		if math.Abs(nc[j]-coef[j]) > 1e-9*math.Abs(coef[j]) {
			t.Errorf(".npy θ[%d] = %.17g; .csv gave %.17g", j, nc[j], coef[j])
		}
	}
	pn := cli(t, dir, "predict", "--model", "m.json", "--data", "d.npy")
	if pn.code != 0 || pn.stdout != p.stdout {
		t.Errorf("predictions on d.npy differ from d.csv:\n%s", pn)
	}
}

// --backend gpu without EGL or a display fails in one line; auto falls
// back to the CPU with a one-line note.
func TestBackendChoice(t *testing.T) {
	dir := t.TempDir()
	data := copyTestdata(t, dir, "tutorial.csv")
	g := cli(t, dir, "train", "--data", data, "--no-intercept", "--backend", "gpu", "--model-out", "m.json")
	if g.code == 0 {
		t.Fatalf("--backend gpu succeeded with no EGL library and no display:\n%s", g)
	}
	if l := lines(g.stderr); len(l) != 1 || !strings.Contains(l[0], "no EGL library (libEGL-lsgd-missing.so.1") ||
		!strings.Contains(l[0], "GLX (GLFW): no display") {
		t.Errorf("--backend gpu: want one line naming the GPU on stderr:\n%s", g)
	}
	if g.stdout != "" || exists(dir, "m.json") {
		t.Errorf("--backend gpu failed but printed a result or wrote a model:\n%s", g)
	}
	a := cli(t, dir, "train", "--data", data, "--no-intercept", "--backend", "auto", "--json")
	if a.code != 0 {
		t.Fatalf("--backend auto failed:\n%s", a)
	}
	if l := lines(a.stderr); len(l) != 1 || !strings.Contains(l[0], "CPU") || !strings.Contains(l[0], "no EGL library") {
		t.Errorf("--backend auto: want one note saying it uses the CPU and why:\n%s", a)
	}
	if b := decodeOne(t, a)["backend"]; b != "cpu" {
		t.Errorf("--backend auto chose %v; want cpu", b)
	}
	if c := cli(t, dir, "train", "--data", data, "--no-intercept", "--backend", "cpu"); c.code != 0 || c.stderr != "" {
		t.Errorf("--backend cpu: want no note:\n%s", c)
	}
	d := cli(t, dir, "devices")
	if d.code != 0 || !strings.Contains(d.stdout, "cpu: ") || !strings.Contains(d.stdout, "gpu: none") ||
		!strings.Contains(d.stdout, "auto: cpu (") {
		t.Errorf("devices without a display: want the CPU, no GPU and auto: cpu with a reason:\n%s", d)
	}
	dj := decodeOne(t, cli(t, dir, "devices", "--json"))
	if dj["auto"] != "cpu" || dj["auto_reason"] == "" {
		t.Errorf("devices --json: auto = %v (%v)", dj["auto"], dj["auto_reason"])
	}
}

// npyFile returns an .npy file with the given header dictionary and
// payload.
func npyFile(dict string, payload []byte) []byte {
	h := dict + " "
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = append(b, byte(len(h)), byte(len(h)>>8))
	b = append(b, h...)
	return append(b, payload...)
}

func f64bytes(vs ...float64) []byte {
	var b []byte
	for _, v := range vs {
		u := math.Float64bits(v)
		for k := 0; k < 8; k++ {
			b = append(b, byte(u>>(8*k)))
		}
	}
	return b
}

// Bad input: exit status 2, a message naming the file, line and column
// where they apply, no crash, and no output file left behind.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name  string
		file  string // written into the directory
		data  []byte
		args  []string // "M" is replaced by the output file's name
		want  []string // substrings of the message
		usage bool     // a usage error (message plus a --help hint)
	}{
		{"NaN", "nan.csv", []byte("x1,y\n1,2\nNaN,3\n2,4\n"), nil, []string{"nan.csv:3", `"x1"`, "NaN"}, false},
		{"+Inf", "inf.csv", []byte("x1,y\n1,2\n+Inf,3\n2,4\n"), nil, []string{"inf.csv:3", `"x1"`, "Inf"}, false},
		{"-Inf", "ninf.csv", []byte("x1,y\n1,2\n2,-inf\n2,4\n"), nil, []string{"ninf.csv:3", `"y"`, "inf"}, false},
		{"digit separator", "us.csv", []byte("x1,y\n1,2\n1_000,3\n2,4\n"), nil, []string{"us.csv:3", `"x1"`, "1_000"}, false},
		{"hex float", "hex.csv", []byte("x1,y\n1,2\n0x1p3,3\n2,4\n"), nil, []string{"hex.csv:3", `"x1"`, "0x1p3"}, false},
		{"float32 overflow", "big.csv", []byte("x1,y\n1,2\n1e39,3\n2,4\n"), []string{"--precision", "f32"},
			[]string{"big.csv:3", `"x1"`, "float32", "use --precision f64"}, false},
		{"ragged", "ragged.csv", []byte("x1,x2,y\n1,2,3\n4,5\n6,7,8\n"), nil, []string{"ragged.csv:3", "2 fields", "3 columns"}, false},
		{"empty", "empty.csv", []byte(""), nil, []string{"empty.csv", "empty"}, false},
		{"header only", "header.csv", []byte("x1,y\n"), nil, []string{"header.csv", "no data rows"}, false},
		{"non-numeric", "text.csv", []byte("x1,y\n1,2\nabc,3\n2,4\n"), nil, []string{"text.csv:3", `"x1"`, `"abc"`}, false},
		{"decimal comma", "comma.csv", []byte("x1,y\n1,2\n\"1,5\",3\n2,4\n"), nil, []string{"comma.csv:3", `"x1"`, "1,5"}, false},
		{"unknown target", "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"), []string{"--target", "price"}, []string{"ok.csv", `"price"`}, false},
		{"missing file", "", nil, []string{"--data", "nope.csv"}, []string{"nope.csv"}, false},
		{"directory", "", nil, []string{"--data", "."}, []string{"."}, false},
		{"directory .csv", "", nil, []string{"--data", "sub.csv"}, []string{"sub.csv", "directory"}, false},
		{"truncated npy", "trunc.npy", npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 2), }", f64bytes(1, 2, 3, 4, 5)),
			nil, []string{"trunc.npy"}, false},
		{"wrong dtype npy", "int.npy", npyFile("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", make([]byte, 16)),
			nil, []string{"int.npy", "<i4"}, false},
		{"constant column", "const.csv", []byte("x1,x2,y\n1,5,1\n2,5,2\n3,5,4\n"), nil, []string{"const.csv", `"x2"`, "constant", "or use --no-intercept"}, false},
		{"fewer rows than features", "few.csv", []byte("x1,x2,x3,y\n1,2,3,4\n5,6,7,9\n"), nil, []string{"few.csv", "2 rows"}, false},
		{"unknown flag", "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"), []string{"--bogus"}, []string{"--bogus"}, true},
		{"negative lr", "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"), []string{"--lr", "-1"}, []string{"--lr", "-1"}, true},
		{"zero lr", "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"), []string{"--lr", "0"}, []string{"--lr"}, true},
		{"unknown optimizer", "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"), []string{"--optimizer", "nope"}, []string{"nope", "nesterov"}, true},
		{"bad precision", "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"), []string{"--precision", "f16"}, []string{"--precision", "f16"}, true},
		{"bad backend", "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"), []string{"--backend", "tpu"}, []string{"--backend", "tpu"}, true},
		{"model-out into a missing directory", "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"), []string{"--model-out", "no/such/m.json"},
			[]string{"no/such"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "sub.csv"), 0o755); err != nil {
				t.Fatal(err)
			}
			args := []string{"train", "--backend", "cpu", "--model-out", "m.json"}
			if c.file != "" {
				writeFile(t, dir, c.file, c.data)
				args = append(args, "--data", c.file)
			}
			args = append(args, c.args...)
			before := dirNames(t, dir)
			r := cli(t, dir, args...)
			if r.code != 2 {
				t.Fatalf("exit %d; want 2\n%s", r.code, r)
			}
			msg := lines(r.stderr)
			wantLines := 1
			if c.usage {
				wantLines = 2
			}
			if len(msg) != wantLines {
				t.Errorf("want %d line(s) on stderr:\n%s", wantLines, r)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("message lacks %q:\n%s", w, r)
				}
			}
			if r.stdout != "" {
				t.Errorf("printed a result on stdout:\n%s", r)
			}
			if after := dirNames(t, dir); !slices.Equal(before, after) {
				t.Errorf("files left behind: before %v, after %v", before, after)
			}
		})
	}
}

// Other commands' bad input: usage errors and input errors exit 2 and
// leave no file.
func TestBadUsage(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ok.csv", []byte("x1,y\n1,2\n2,3\n3,5\n"))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"tarin", "--data", "ok.csv"}, `"train"`}, // a suggestion
		{[]string{}, "no command"},
		{[]string{"train"}, "--data"},
		{[]string{"train", "ok.csv"}, "--data"},
		{[]string{"gen", "--rows", "0", "--features", "2", "--out", "g.csv"}, "--rows"},
		{[]string{"gen", "--rows", "10", "--features", "2", "--out", "g.txt"}, ".csv, .npy or .parquet"},
		{[]string{"gen", "--rows", "10", "--features", "2", "--cond", "0.5", "--out", "g.csv"}, "--cond"},
		{[]string{"gen", "--rows", "ten", "--features", "2", "--out", "g.csv"}, "--rows"},
		{[]string{"gen", "--rows", "10", "--features", "2"}, "--out"},
		{[]string{"solve", "--data", "ok.csv", "--l2", "-1"}, "--l2"},
		{[]string{"predict", "--data", "ok.csv"}, "--model"},
		{[]string{"predict", "--model", "nope.json", "--data", "ok.csv", "--out", "p.csv"}, "nope.json"},
		{[]string{"predict", "--model", "ok.csv", "--data", "ok.csv", "--out", "p.csv"}, "ok.csv"},
	}
	for _, c := range cases {
		before := dirNames(t, dir)
		r := cli(t, dir, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("want exit 2 and %q in the message:\n%s", c.want, r)
		}
		if after := dirNames(t, dir); !slices.Equal(before, after) {
			t.Errorf("lsgd %v left files: %v", c.args, after)
		}
	}
}

// Collinear columns: solve names them (exit 2); train warns and returns
// the minimum-norm solution.
func TestCollinear(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "dup.csv", []byte("x1,x2,x3,y\n1,1,0,1\n2,2,1,2\n3,3,0,4\n4,4,1,3\n5,5,0,6\n"))
	s := cli(t, dir, "solve", "--data", "dup.csv", "--model-out", "m.json")
	if s.code != 2 || !strings.Contains(s.stderr, `"x1"`) || !strings.Contains(s.stderr, `"x2"`) || strings.Contains(s.stderr, `"x3"`) {
		t.Errorf("solve: want exit 2 naming x1 and x2 (not x3):\n%s", s)
	}
	if exists(dir, "m.json") {
		t.Errorf("solve wrote a model despite the error")
	}
	r := cli(t, dir, "train", "--data", "dup.csv", "--backend", "cpu", "--json")
	if r.code != 0 {
		t.Fatalf("train: %s", r)
	}
	if !strings.Contains(r.stderr, "warning") || !strings.Contains(r.stderr, `"x1"`) || !strings.Contains(r.stderr, `"x2"`) {
		t.Errorf("train: want a warning naming x1 and x2:\n%s", r)
	}
	res := decodeOne(t, r)
	// The minimum-norm solution on the standardized scale splits the
	// weight of the duplicated column equally: θ1 = θ2.
	c := floats(t, res, "coef")
	if math.Abs(c[0]-c[1]) > 1e-6*math.Abs(c[0]) {
		t.Errorf("θ1 = %g, θ2 = %g; the minimum-norm solution has them equal", c[0], c[1])
	}
	// Its predictions are the least-squares fit of y on (x1, x3).
	x := [][]float64{{1, 0}, {2, 1}, {3, 0}, {4, 1}, {5, 0}}
	y := []float64{1, 2, 4, 3, 6}
	w, b := ols(x, y)
	if math.Abs(c[0]+c[1]-w[0]) > 1e-6 || math.Abs(c[2]-w[1]) > 1e-6 || math.Abs(number(t, res, "intercept")-b) > 1e-6 {
		t.Errorf("θ = %v, b = %v; want θ1+θ2 = %g, θ3 = %g, b = %g", c, res["intercept"], w[0], w[1], b)
	}
}

// Divergence: plain GD with a step far above 2/L exits 1 and names the
// iteration and the largest stable step, which for two standardized
// features with correlation ρ (and an intercept) is 2/L with
// L = 2(1+|ρ|), the largest eigenvalue of the Hessian 2·[[1,ρ,0],[ρ,1,0],[0,0,1]].
func TestDivergence(t *testing.T) {
	dir := t.TempDir()
	if g := cli(t, dir, "gen", "--rows", "500", "--features", "2", "--cond", "3", "--seed", "2", "--out", "d.csv"); g.code != 0 {
		t.Fatalf("gen: %s", g)
	}
	r := cli(t, dir, "train", "--data", "d.csv", "--backend", "cpu", "--lr", "100", "--optimizer", "gd", "--model-out", "m.json")
	if r.code != 1 {
		t.Fatalf("exit %d; want 1\n%s", r.code, r)
	}
	if !regexp.MustCompile(`iteration \d+`).MatchString(r.stderr) {
		t.Errorf("message does not name the iteration:\n%s", r)
	}
	m := regexp.MustCompile(`stable step is about ([0-9.eE+-]+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("message does not name the stable step size:\n%s", r)
	}
	if !strings.Contains(r.stderr, "use --lr auto (1/L) or --lr ") {
		t.Errorf("message does not name the flags that fix it:\n%s", r)
	}
	got, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	data := readCSV(t, filepath.Join(dir, "d.csv"))
	x1, x2 := data.col(0), data.col(1)
	m1, s1 := meanStd(x1)
	m2, s2 := meanStd(x2)
	rho := 0.0
	for i := range x1 {
		rho += (x1[i] - m1) * (x2[i] - m2)
	}
	rho /= float64(len(x1)) * s1 * s2
	want := 1 / (1 + math.Abs(rho))
	if math.Abs(got-want) > 0.05*want {
		t.Errorf("stable step = %g; want 2/L = 1/(1+|ρ|) = %g (ρ = %.4f) within 5%%", got, want, rho)
	}
	if exists(dir, "m.json") {
		t.Errorf("model written despite divergence")
	}
}

// --help for each command teaches its flags, with an example.
func TestHelp(t *testing.T) {
	dir := t.TempDir()
	flags := map[string][]string{
		"gen": {"--rows", "--features", "--noise", "--cond", "--intercept", "--seed", "--precision", "--out"},
		"train": {"--data", "--target", "--no-intercept", "--no-standardize", "--backend", "--optimizer", "--lr", "--epochs",
			"--batch", "--tol", "--l2", "--seed", "--precision", "--threads", "--json", "--model-out", "--plot"},
		"solve":   {"--data", "--target", "--no-intercept", "--l2", "--json"},
		"predict": {"--model", "--data", "--out"},
		"devices": {},
	}
	for name, fl := range flags {
		for _, args := range [][]string{{name, "--help"}, {"help", name}} {
			r := cli(t, dir, args...)
			if r.code != 0 {
				t.Errorf("exit %d:\n%s", r.code, r)
				continue
			}
			for _, f := range append(fl, "Usage:", "Examples:", "lsgd "+name) {
				if !strings.Contains(r.stdout, f) {
					t.Errorf("lsgd %s lacks %q", strings.Join(args, " "), f)
				}
			}
		}
	}
	r := cli(t, dir, "--help")
	for name := range flags {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("lsgd --help does not list %s", name)
		}
	}
}

// --plot draws the loss history to a PNG file, leaving nothing else.
func TestPlot(t *testing.T) {
	dir := t.TempDir()
	data := copyTestdata(t, dir, "tutorial.csv")
	r := cli(t, dir, "train", "--data", data, "--no-intercept", "--backend", "cpu", "--plot", "loss.png")
	if r.code != 0 {
		t.Fatalf("train --plot failed:\n%s", r)
	}
	b, err := os.ReadFile(filepath.Join(dir, "loss.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "\x89PNG\r\n\x1a\n") {
		t.Errorf("loss.png is not a PNG file (starts %q)", b[:min(len(b), 8)])
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"loss.png", "tutorial.csv"}) {
		t.Errorf("files after --plot: %v", got)
	}
	if r := cli(t, dir, "train", "--data", data, "--plot", "loss.svgz"); r.code != 2 || !strings.Contains(r.stderr, ".png") {
		t.Errorf("--plot with a non-PNG name: want exit 2 asking for .png:\n%s", r)
	}
}

// compare and bench wrap the compare package: one JSON object (compare)
// or array (bench) with the documented keys.
func TestCompareAndBench(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, dir, "compare", "--rows", "3000", "--features", "4", "--json")
	if r.code != 0 {
		t.Fatalf("compare failed:\n%s", r)
	}
	rep := decodeOne(t, r)
	requireKeys(t, rep, "agree", "checks", "cpu", "gpu")
	if rep["agree"] != true {
		t.Errorf("compare: agree = %v on a well-conditioned problem:\n%s", rep["agree"], r.stdout)
	}
	if checks, _ := rep["checks"].([]any); len(checks) == 0 {
		t.Errorf("compare ran no checks:\n%s", r.stdout)
	}
	if r := cli(t, dir, "compare", "--data", "x.csv", "--rows", "10"); r.code != 2 {
		t.Errorf("compare --data with --rows: want exit 2:\n%s", r)
	}

	b := cli(t, dir, "bench", "--backend", "cpu", "--rows", "2000", "--features", "4", "--reps", "2", "--json")
	if b.code != 0 {
		t.Fatalf("bench failed:\n%s", b)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(b.stdout), &res); err != nil {
		t.Fatalf("bench --json: want one JSON object for one size (%v):\n%s", err, b)
	}
	requireKeys(t, res, "gradient_seconds", "gbps", "read_gbps", "fraction_of_bandwidth")
	if res["rows"] != 2000.0 || res["features"] != 4.0 || res["backend"] != "cpu" || res["precision"] != "f32" {
		t.Errorf("bench measured %v rows × %v features on %v in %v; want 2000 × 4 on cpu in f32 (the default)",
			res["rows"], res["features"], res["backend"], res["precision"])
	}
	if g, _ := res["gradient_seconds"].(float64); !(g > 0) {
		t.Errorf("gradient_seconds = %v; want > 0", res["gradient_seconds"])
	}
}

// nist: the exact solve reaches NIST's certified values (LRE ≥ what the
// compare package requires of each dataset) and the report passes.
func TestNIST(t *testing.T) {
	dir := t.TempDir()
	nistDir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "nist"))
	if err != nil {
		t.Fatal(err)
	}
	r := cli(t, dir, "nist", nistDir, "--json")
	if r.code != 0 {
		t.Fatalf("nist failed:\n%s", r)
	}
	rep := decodeOne(t, r)
	requireKeys(t, rep, "datasets", "pass")
	sets, _ := rep["datasets"].([]any)
	if len(sets) != 11 {
		t.Fatalf("nist reported %d datasets; want the 11 StRD linear ones", len(sets))
	}
	for _, s := range sets {
		m := s.(map[string]any)
		if lre, need := number(t, m, "solve_lre"), number(t, m, "solve_required"); lre < need || need < 5 {
			t.Errorf("%v: solve LRE %.1f; want ≥ %.0f", m["name"], lre, need)
		}
	}
	if n := cli(t, dir, "nist"); n.code != 2 {
		t.Errorf("nist without a directory: want exit 2:\n%s", n)
	}
	if n := cli(t, dir, "nist", dir); n.code != 2 || !strings.Contains(n.stderr, "Norris.dat") {
		t.Errorf("nist on a directory without the files: want exit 2 naming the missing file:\n%s", n)
	}
}

// A one-feature model predicts on a CSV file holding only that feature.
func TestPredictSingleColumn(t *testing.T) {
	dir := t.TempDir()
	// y = 1 + 2x exactly.
	writeFile(t, dir, "d.csv", []byte("x,y\n0,1\n1,3\n2,5\n3,7\n"))
	if r := cli(t, dir, "solve", "--data", "d.csv", "--model-out", "m.json"); r.code != 0 {
		t.Fatalf("solve: %s", r)
	}
	writeFile(t, dir, "x.csv", []byte("x\r\n10\r\n-0.5\r\n"))
	r := cli(t, dir, "predict", "--model", "m.json", "--data", "x.csv")
	if r.code != 0 {
		t.Fatalf("predict: %s", r)
	}
	want := []float64{21, 0}
	got := lines(r.stdout)
	if len(got) != len(want) {
		t.Fatalf("predict printed %q; want %v", got, want)
	}
	for i, s := range got {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Abs(v-want[i]) > 1e-12 {
			t.Errorf("prediction %d = %s; want %g", i+1, s, want[i])
		}
	}
	writeFile(t, dir, "bad.csv", []byte("x\n1\nNaN\n"))
	if r := cli(t, dir, "predict", "--model", "m.json", "--data", "bad.csv"); r.code != 2 || !strings.Contains(r.stderr, "bad.csv:3") {
		t.Errorf("NaN in a one-column file: want exit 2 naming bad.csv:3:\n%s", r)
	}
}

// With a GL context (through EGL, no display needed; Mesa llvmpipe has GL
// 4.5 compute), --backend gpu fits on the GL device within the bounds it
// certifies, and auto chooses by whether the renderer is hardware.
func TestGPUBackend(t *testing.T) {
	dir := t.TempDir()
	data := copyTestdata(t, dir, "tutorial.csv")
	env := os.Environ()
	d := lsgdEnv(t, dir, env, "devices", "--json")
	dev := decodeOne(t, d)
	gpu, _ := dev["gpu"].(map[string]any)
	if gpu == nil || gpu["ok"] != true {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatalf("LSGD_REQUIRE_GPU=1 but no GL 4.3 compute context: %v", gpu["error"])
		}
		t.Skipf("no GL 4.3 compute context: %v", gpu["error"])
	}
	r := lsgdEnv(t, dir, env, "train", "--data", data, "--no-intercept", "--backend", "gpu", "--json")
	if r.code != 0 {
		t.Fatalf("--backend gpu failed with a GL context available:\n%s", r)
	}
	res := decodeOne(t, r)
	if res["backend"] != "gpu" || res["precision"] != "f32" {
		t.Errorf("backend %v, precision %v; want gpu, f32 (the GPU's default)", res["backend"], res["precision"])
	}
	coef, bound := floats(t, res, "coef"), floats(t, res, "coef_bound")
	for k, want := range []float64{0.1, 0.5} {
		if math.Abs(coef[k]-want) > bound[k] {
			t.Errorf("θ[%d] = %.9g; exact %g, outside the certified ±%.2g", k, coef[k], want, bound[k])
		}
		if bound[k] > 1e-3 {
			t.Errorf("θ[%d]: certified bound ±%.2g is uselessly wide for f32 on a cond-322 problem", k, bound[k])
		}
	}
	a := lsgdEnv(t, dir, env, "train", "--data", data, "--no-intercept", "--json")
	if a.code != 0 {
		t.Fatalf("--backend auto: %s", a)
	}
	chose := decodeOne(t, a)["backend"]
	if gpu["software"] == true {
		if chose != "cpu" || !strings.Contains(a.stderr, "software renderer") || len(lines(a.stderr)) != 1 {
			t.Errorf("auto on a software renderer: want the CPU with a one-line note saying why:\n%s", a)
		}
	} else if chose != "gpu" || a.stderr != "" {
		t.Errorf("auto on a hardware GPU: want the GPU and no note:\n%s", a)
	}
}

// --device picks an EGL device and wins over LSGD_DEVICE; a device that
// does not exist fails --backend gpu in one line (exit 1) and sends auto
// to the CPU with a note; a malformed value is a usage error (exit 2).
func TestDeviceFlag(t *testing.T) {
	dir := t.TempDir()
	data := copyTestdata(t, dir, "tutorial.csv")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LSGD_DEVICE=") && !strings.HasPrefix(kv, "DISPLAY=") && !strings.HasPrefix(kv, "LSGD_EGL_LIBRARY=") {
			env = append(env, kv)
		}
	}
	dev := decodeOne(t, lsgdEnv(t, dir, env, "devices", "--json"))
	list, _ := dev["devices"].([]any)
	if len(list) == 0 {
		t.Fatalf("devices --json lists nothing: %v", dev)
	}
	last, _ := list[len(list)-1].(map[string]any)
	if last["device"] != "glx" || last["ok"] != false || !strings.Contains(fmt.Sprint(last["error"]), "no display") {
		t.Errorf("last device without DISPLAY: %v; want glx, not ok, no display", last)
	}
	first, _ := list[0].(map[string]any)
	if first["device"] != "0" || first["ok"] != true {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatalf("LSGD_REQUIRE_GPU=1 but EGL device 0 gave no context: %v", first)
		}
		t.Skipf("no EGL device 0: %v", first)
	}
	if first["source"] != "EGL device 0" || first["renderer"] == "" || first["version"] == "" {
		t.Errorf("device 0: %v; want its source, renderer and version", first)
	}
	text := lsgdEnv(t, dir, env, "devices")
	if !strings.Contains(text.stdout, "  0            "+fmt.Sprint(first["renderer"])) || !strings.Contains(text.stdout, "from EGL device 0") {
		t.Errorf("devices: want device 0's line with its renderer:\n%s", text)
	}

	bad := append(env, "LSGD_DEVICE=99")
	g := lsgdEnv(t, dir, bad, "train", "--data", data, "--no-intercept", "--backend", "gpu")
	if l := lines(g.stderr); g.code != 1 || len(l) != 1 || !strings.Contains(l[0], "no EGL device 99") {
		t.Errorf("LSGD_DEVICE=99 --backend gpu: want exit 1 and one line naming device 99:\n%s", g)
	}
	a := lsgdEnv(t, dir, bad, "train", "--data", data, "--no-intercept", "--json")
	if l := lines(a.stderr); a.code != 0 || len(l) != 1 || !strings.Contains(l[0], "using the CPU: no EGL device 99") {
		t.Errorf("LSGD_DEVICE=99 --backend auto: want the CPU with one note naming device 99:\n%s", a)
	}
	f := lsgdEnv(t, dir, bad, "train", "--data", data, "--no-intercept", "--backend", "gpu", "--device", "0", "--json")
	if f.code != 0 || decodeOne(t, f)["backend"] != "gpu" {
		t.Errorf("--device 0 with LSGD_DEVICE=99: want the flag to win and a GPU fit:\n%s", f)
	}
	u := lsgdEnv(t, dir, env, "train", "--data", data, "--backend", "gpu", "--device", "cuda:0")
	if l := lines(u.stderr); u.code != 2 || len(l) < 1 || !strings.Contains(l[0], "--device") {
		t.Errorf("--device cuda:0: want a usage error (exit 2) naming --device:\n%s", u)
	}
}
