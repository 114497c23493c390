package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// cvTable returns a generated table of n rows with columns x1…x5 (the
// features), x6 (a fold 0…3 drawn at random; rows [lo1, hi1) all in fold
// 2), x7 (a weight in [0, 2), about one in ten 0) and the target y.
func cvTable(t *testing.T, n int, lo1, hi1 int) *tableio.Table {
	t.Helper()
	g, _, err := lsgd.Generate(lsgd.GenOptions{Rows: n, Features: 5, Noise: 2, Cond: 20, Intercept: 7, Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	tab := tableio.NewTable(n, 8, tableio.F64)
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < n; i++ {
		for j := 0; j < 5; j++ {
			tab.Set(i, j, g.At(i, j))
		}
		tab.Set(i, 1, tab.At(i, 1)+300) // an offset: centring matters
		f := float64(r.IntN(4))
		if i >= lo1 && i < hi1 {
			f = 2
		}
		tab.Set(i, 5, f)
		w := 2 * r.Float64()
		if r.IntN(10) == 0 {
			w = 0
		}
		tab.Set(i, 6, w)
		tab.Set(i, 7, g.At(i, 5))
	}
	return tab
}

// cvAgree compares lsgd-beam cv's result with lsgd.CrossValidate's on the
// concatenated table: the same grid (to rounding: λ_max comes from Gram
// matrices summed in another order), the CV error to 1e-9 relative, the
// same λ_min, λ_1se and non-zero counts, the refit's coefficients to
// 1e-6 of the largest term of a prediction.
func cvAgree(t *testing.T, what string, got, want *lsgd.CVResult, ref *tableio.Table) {
	t.Helper()
	rel := func(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), math.SmallestNonzeroFloat64) }
	if len(got.Lambdas) != len(want.Lambdas) {
		t.Fatalf("%s: %d λ; lsgd.CrossValidate %d", what, len(got.Lambdas), len(want.Lambdas))
	}
	worstMSE := 0.0
	for k := range want.Lambdas {
		worstMSE = math.Max(worstMSE, rel(got.CVMSE[k], want.CVMSE[k]))
		if rel(got.Lambdas[k], want.Lambdas[k]) > 1e-12 {
			t.Errorf("%s: λ[%d] = %.17g; lsgd.CrossValidate %.17g", what, k, got.Lambdas[k], want.Lambdas[k])
		}
		if rel(got.CVMSE[k], want.CVMSE[k]) > 1e-9 {
			t.Errorf("%s: cv_mse[%d] = %.17g; lsgd.CrossValidate %.17g", what, k, got.CVMSE[k], want.CVMSE[k])
		}
		if math.Abs(got.CVSE[k]-want.CVSE[k]) > 1e-9*want.CVMSE[k] {
			t.Errorf("%s: cv_se[%d] = %.17g; lsgd.CrossValidate %.17g", what, k, got.CVSE[k], want.CVSE[k])
		}
		if got.Nonzero[k] != want.Nonzero[k] {
			t.Errorf("%s: nonzero[%d] = %d; lsgd.CrossValidate %d", what, k, got.Nonzero[k], want.Nonzero[k])
		}
	}
	if got.IndexMin != want.IndexMin || rel(got.LambdaMin, want.LambdaMin) > 1e-12 {
		t.Errorf("%s: λ_min %.17g (index %d); lsgd.CrossValidate %.17g (%d)", what, got.LambdaMin, got.IndexMin, want.LambdaMin, want.IndexMin)
	}
	if got.Index1SE != want.Index1SE {
		t.Errorf("%s: λ_1se index %d; lsgd.CrossValidate %d", what, got.Index1SE, want.Index1SE)
	}
	if fmt.Sprint(got.FoldRows) != fmt.Sprint(want.FoldRows) || got.Folds != want.Folds {
		t.Errorf("%s: %d folds of %v rows; lsgd.CrossValidate %d of %v", what, got.Folds, got.FoldRows, want.Folds, want.FoldRows)
	}
	if strings.Join(got.Features, ",") != strings.Join(want.Features, ",") {
		t.Fatalf("%s: features %v; lsgd.CrossValidate %v", what, got.Features, want.Features)
	}
	// The largest term of a prediction: |b| + Σ|θ_a|·max|x_a|.
	colMax := make([]float64, len(want.Coef))
	scale := math.Abs(want.Intercept)
	for a, name := range want.Features {
		for j := 0; j < ref.Cols; j++ {
			if ref.Name(j) == name {
				for _, v := range ref.Column(j) {
					colMax[a] = math.Max(colMax[a], math.Abs(v))
				}
			}
		}
		scale += math.Abs(want.Coef[a]) * colMax[a]
	}
	for a := range want.Coef {
		if math.Abs(got.Coef[a]-want.Coef[a]) > 1e-6*scale/colMax[a] {
			t.Errorf("%s: coef[%d] = %.17g; lsgd.CrossValidate %.17g", what, a, got.Coef[a], want.Coef[a])
		}
	}
	if math.Abs(got.Intercept-want.Intercept) > 1e-6*scale {
		t.Errorf("%s: intercept %.17g; lsgd.CrossValidate %.17g", what, got.Intercept, want.Intercept)
	}
	if got.Passes != 1 {
		t.Errorf("%s: %g passes; want 1", what, got.Passes)
	}
	t.Logf("%s: cv_mse within %.2g relative of lsgd.CrossValidate's", what, worstMSE)
}

// TestCVAgreesWithCrossValidate runs lsgd-beam cv on Prism over shards of
// uneven sizes (CSV and .npy, one .npy split into row ranges, a one-row
// shard, a shard whose rows all lie in one fold) and compares with
// lsgd.CrossValidate on the CPU reference backend over the concatenated
// table, with the same folds.
func TestCVAgreesWithCrossValidate(t *testing.T) {
	const n = 3000
	tab := cvTable(t, n, 2000, 2040)
	dir := t.TempDir()
	shard(t, tab, dir, "part-0.npy", 0, 1234)
	shard(t, tab, dir, "part-1.csv", 1234, 2000)
	shard(t, tab, dir, "part-2.csv", 2000, 2040)
	shard(t, tab, dir, "part-3.npy", 2040, 2041)
	shard(t, tab, dir, "part-4.npy", 2041, n)
	glob := filepath.Join(dir, "part-*")

	// The reference tables: every column but the fold a feature; or the
	// weight column moved into Table.Weights.
	unweighted := tab
	weighted := columnsOf(tab, []int{0, 1, 2, 3, 4, 5, 7})
	weighted.Weights = tab.Column(6)
	weighted.WeightName = "x7"

	cases := []struct {
		name string
		ref  *tableio.Table
		opt  CVOptions
	}{
		{"lasso", unweighted, CVOptions{FoldSpec: FoldSpec{FoldColumn: "x6"}, Path: lsgd.CVOptions{L1Ratio: 1, NLambdas: 30}}},
		{"elastic net, weights, a given grid", weighted, CVOptions{FoldSpec: FoldSpec{FoldColumn: "6", Weights: "x7"},
			Path: lsgd.CVOptions{L1Ratio: 0.5, Lambdas: []float64{3, 1, 0.3, 0.1, 0.03, 0.01, 0.001}}}},
		{"ridge, weights", weighted, CVOptions{FoldSpec: FoldSpec{FoldColumn: "x6", Weights: "7"}, Path: lsgd.CVOptions{L1Ratio: 0, NLambdas: 20}}},
		{"lasso, features x5,x2,x1", columnsOf(tab, []int{4, 1, 0, 5, 7}), CVOptions{FoldSpec: FoldSpec{Spec: Spec{Features: []string{"x5", "2", "x1"}},
			FoldColumn: "x6"}, Path: lsgd.CVOptions{L1Ratio: 1, NLambdas: 25}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := c.opt
			opt.SplitRows = 500 // part-0.npy: 3 ranges, part-4.npy: 2
			out, err := CrossValidate(context.Background(), onPrism, glob, opt)
			if err != nil {
				t.Fatal(err)
			}
			if out.Rows != n || out.Shards != 8 || out.Pipelines != 1 {
				t.Errorf("rows %d shards %d pipelines %d; want %d, 8, 1", out.Rows, out.Shards, out.Pipelines, n)
			}
			popt := opt.Path
			popt.FoldColumn = "x6"
			want, err := lsgd.CrossValidate(context.Background(), cpu.NewReference(), c.ref, popt)
			if err != nil {
				t.Fatal(err)
			}
			cvAgree(t, c.name, out.CVResult, want, c.ref)
		})
	}
}

// TestCVHashedFolds: without a fold column each row's fold is HashFold of
// the seed, its file and its row in the file, wherever the row is read
// (split .npy ranges included). lsgd.CrossValidate given those folds as a
// column agrees; the folds are near n/k each and change with the seed.
// The command's JSON carries lsgd cv --json's fields.
func TestCVHashedFolds(t *testing.T) {
	const n, k = 2400, 4
	tab := cvTable(t, n, 0, 0)
	tab = columnsOf(tab, []int{0, 1, 2, 3, 4, 7})
	dir := t.TempDir()
	files := []struct {
		name   string
		lo, hi int
	}{{"a.npy", 0, 1500}, {"b.npy", 1500, 1501}, {"c.npy", 1501, n}}
	for _, f := range files {
		shard(t, tab, dir, f.name, f.lo, f.hi)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"cv", "--data", filepath.Join(dir, "*.npy"), "--folds", "4", "--seed", "3", "--n-lambdas", "15",
		"--l1-ratio", "0.8", "--split-rows", "400", "--json"}
	if rc := run(context.Background(), args, &stdout, &stderr); rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr.String())
	}
	var got struct {
		lsgd.CVResult
		Shards int `json:"shards"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	var fields map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &fields); err != nil {
		t.Fatal(err)
	}
	// lsgd cv --json's fields (cmd/lsgd/cv.go: lsgd.CVResult and cvOutput).
	for _, key := range []string{"lambdas", "cv_mse", "cv_se", "nonzero", "lambda_min", "lambda_1se", "index_min", "index_1se",
		"features", "coef", "intercept", "elastic_net", "l1_ratio", "folds", "fold_rows", "fold_mse", "passes", "seconds",
		"gram_seconds", "backend", "device", "precision", "data", "rows", "target", "seed", "load_seconds"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("JSON has no %q", key)
		}
	}
	if fields["device"] != "prism" || fields["rows"] != float64(n) || got.Shards != 8 {
		t.Errorf("device %v rows %v shards %d; want prism, %d, 8", fields["device"], fields["rows"], got.Shards, n)
	}

	// The reference: the hashed folds as a column.
	ref := tableio.NewTable(n, 7, tableio.F64)
	ref.Names = []string{"x1", "x2", "x3", "x4", "x5", "fold", "y"}
	other := 0
	for _, f := range files {
		for i := f.lo; i < f.hi; i++ {
			fold := HashFold(3, filepath.Join(dir, f.name), int64(i-f.lo), k)
			if HashFold(4, filepath.Join(dir, f.name), int64(i-f.lo), k) != fold {
				other++
			}
			for j := 0; j < 5; j++ {
				ref.Set(i, j, tab.At(i, j))
			}
			ref.Set(i, 5, float64(fold))
			ref.Set(i, 6, tab.At(i, 5))
		}
	}
	want, err := lsgd.CrossValidate(context.Background(), cpu.NewReference(), ref,
		lsgd.CVOptions{FoldColumn: "fold", L1Ratio: 0.8, NLambdas: 15})
	if err != nil {
		t.Fatal(err)
	}
	cvAgree(t, "hashed folds", &got.CVResult, want, ref)
	// Each fold's size is Binomial(n, 1/k): within 5 standard deviations
	// of n/k; another seed moves about (k−1)/k of the rows.
	sd := math.Sqrt(n * (1.0 / k) * (1 - 1.0/k))
	for f, r := range got.FoldRows {
		if math.Abs(float64(r)-n/k) > 5*sd {
			t.Errorf("fold %d has %d rows; want about %d ± %.0f", f, r, n/k, sd)
		}
	}
	if math.Abs(float64(other)-n*0.75) > 5*math.Sqrt(n*0.75*0.25) {
		t.Errorf("seeds 3 and 4 put %d of %d rows in different folds; want about %d", other, n, n*3/4)
	}

	// The text output names the chosen λs.
	stdout.Reset()
	if rc := run(context.Background(), args[:len(args)-1], &stdout, &stderr); rc != 0 {
		t.Fatalf("exit %d: %s", rc, stderr.String())
	}
	for _, s := range []string{"λ_min", "λ_1se", "(intercept)", "4 folds hashed from seed 3", "8 shards"} {
		if !strings.Contains(stdout.String(), s) {
			t.Errorf("text output does not say %q:\n%s", s, stdout.String())
		}
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr without --verbose: %s", stderr.String())
	}
}

// exactGrams returns every fold's Gram matrix Σ w·x̃x̃ᵀ (x̃ = cols, 1) of
// rows [lo, hi) of tab, summed exactly (big.Float), rounded once, and the
// sums of the terms' magnitudes.
func exactGrams(tab *tableio.Table, cols []int, fcol, wcol, k int) (g, abs [][]float64) {
	q := len(cols) + 1
	sum := make([][]*big.Float, k)
	g, abs = make([][]float64, k), make([][]float64, k)
	for f := range sum {
		sum[f] = make([]*big.Float, q*q)
		for e := range sum[f] {
			sum[f][e] = new(big.Float).SetPrec(2000)
		}
		g[f], abs[f] = make([]float64, q*q), make([]float64, q*q)
	}
	x := make([]float64, q)
	x[q-1] = 1
	term := new(big.Float).SetPrec(2000)
	for i := 0; i < tab.Rows; i++ {
		f := int(tab.At(i, fcol))
		w := tab.At(i, wcol)
		for a, j := range cols {
			x[a] = tab.At(i, j)
		}
		for a := 0; a < q; a++ {
			for b := a; b < q; b++ {
				term.SetFloat64(w)
				term.Mul(term, new(big.Float).SetFloat64(x[a]))
				term.Mul(term, new(big.Float).SetFloat64(x[b]))
				sum[f][a*q+b].Add(sum[f][a*q+b], term)
				abs[f][a*q+b] += math.Abs(w * x[a] * x[b])
			}
		}
	}
	for f := range sum {
		for e := range sum[f] {
			g[f][e], _ = sum[f][e].Float64()
		}
	}
	return g, abs
}

// TestCVMerge tests the combine directly: partial FoldGrams of uneven
// row blocks (one row, blocks missing folds) and empty accumulators,
// merged in many orders and through the CombineFn's methods, all agree
// with the exact sums to the bound of the blocked float64 sums and with
// each other to a few units of rounding; the inputs are not modified;
// mismatched columns and errors merge to one message whatever the order.
func TestCVMerge(t *testing.T) {
	const n, k = 700, 4
	tab := cvTable(t, n, 300, 420)
	cols := []int{0, 1, 2, 3, 4, 7}
	names := []string{"x1", "x2", "x3", "x4", "x5", "y"}
	q := len(cols) + 1
	spec := FoldSpec{FoldColumn: "x6", Weights: "x7"}
	cuts := []int{0, 1, 90, 300, 420, 421, 700} // [300, 420) is all fold 2
	var parts []FoldGrams
	for b := 0; b+1 < len(cuts); b++ {
		blk := rowsOf(tab, cuts[b], cuts[b+1])
		blk.Source = fmt.Sprintf("blk-%d", b)
		g, err := tableGrams(blk, Shard{Path: blk.Source}, cols, names, 5, 6, spec)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, g)
	}
	if fmt.Sprint(parts[3].Folds) != "[2]" || len(parts[0].Folds) != 1 || len(parts[4].Folds) != 1 || len(parts[2].Folds) != k {
		t.Fatalf("blocks have folds %v, %v, %v, %v; want one, all, [2], one", parts[0].Folds, parts[2].Folds, parts[3].Folds, parts[4].Folds)
	}
	exact, abs := exactGrams(tab, cols, 5, 6, k)
	rows := make([]int64, k)
	for i := 0; i < n; i++ {
		rows[int(tab.At(i, 5))]++
	}
	saved, _ := json.Marshal(parts)

	const u = 0x1p-53
	check := func(what string, g FoldGrams) []float64 {
		t.Helper()
		if g.Err != "" {
			t.Fatalf("%s: %s", what, g.Err)
		}
		if fmt.Sprint(g.Folds) != "[0 1 2 3]" || fmt.Sprint(g.Rows) != fmt.Sprint(rows) || g.Source != "blk-0" {
			t.Errorf("%s: folds %v rows %v source %q; want [0 1 2 3], %v, blk-0", what, g.Folds, g.Rows, g.Source, rows)
		}
		var flat []float64
		for f := 0; f < k; f++ {
			for a := 0; a < q; a++ {
				for b := 0; b < q; b++ {
					e := f*q*q + a*q + b
					v := g.Hi[e] + g.Lo[e]
					flat = append(flat, v)
					if b < a {
						if v != 0 {
							t.Errorf("%s: fold %d lower entry (%d, %d) = %g", what, f, a, b, v)
						}
						continue
					}
					// Each term w·x_a rounded once, each block of gramBlock
					// rows summed in float64, the rest compensated.
					tol := (gramBlock + 4) * u * abs[f][a*q+b]
					if d := math.Abs(v - exact[f][a*q+b]); d > tol {
						t.Errorf("%s: fold %d G[%d,%d] = %.17g; exact %.17g (|Δ| %.3g > %.3g)", what, f, a, b, v, exact[f][a*q+b], d, tol)
					}
				}
			}
		}
		return flat
	}

	var ref []float64
	agreeOrder := func(what string, g FoldGrams) {
		t.Helper()
		flat := check(what, g)
		if ref == nil {
			ref = flat
			return
		}
		for e := range flat {
			f := e / (q * q)
			if d := math.Abs(flat[e] - ref[e]); d > 4*u*abs[f][e%(q*q)] {
				t.Errorf("%s: entry %d = %.17g; first order %.17g", what, e, flat[e], ref[e])
			}
		}
	}
	fold := func(order []int, empties bool) FoldGrams {
		acc := FoldGrams{}
		for _, i := range order {
			acc = MergeFoldGrams(acc, parts[i])
			if empties {
				acc = MergeFoldGrams(FoldGrams{}, acc)
			}
		}
		return acc
	}
	agreeOrder("left to right", fold([]int{0, 1, 2, 3, 4, 5}, false))
	agreeOrder("right to left", fold([]int{5, 4, 3, 2, 1, 0}, true))
	r := rand.New(rand.NewPCG(8, 9))
	for trial := 0; trial < 20; trial++ {
		// A random merge tree: repeatedly merge two random accumulators,
		// empty ones among them.
		pool := append([]FoldGrams{{}, {}}, parts...)
		r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		for len(pool) > 1 {
			i := r.IntN(len(pool))
			j := r.IntN(len(pool) - 1)
			if j >= i {
				j++
			}
			m := MergeFoldGrams(pool[i], pool[j])
			pool[i] = m
			pool = append(pool[:j], pool[j+1:]...)
		}
		agreeOrder(fmt.Sprintf("random tree %d", trial), pool[0])
	}
	// The CombineFn: two bundles, one empty, merged.
	var c foldCombine
	b1, b2, b3 := c.CreateAccumulator(), c.CreateAccumulator(), c.CreateAccumulator()
	for _, i := range []int{4, 0, 2} {
		b1 = c.AddInput(b1, parts[i])
	}
	for _, i := range []int{5, 1, 3} {
		b3 = c.AddInput(b3, parts[i])
	}
	agreeOrder("CombineFn", c.ExtractOutput(c.MergeAccumulators(c.MergeAccumulators(b3, b2), b1)))
	// Through Beam's coder, as accumulators travel between bundles on a
	// runner: an empty accumulator stays empty, the partials merge alike.
	enc, dec := beam.NewElementEncoder(reflect.TypeOf(FoldGrams{})), beam.NewElementDecoder(reflect.TypeOf(FoldGrams{}))
	coded := FoldGrams{}
	for _, g := range append([]FoldGrams{{}}, parts...) {
		var buf bytes.Buffer
		if err := enc.Encode(MergeFoldGrams(g, FoldGrams{}), &buf); err != nil {
			t.Fatal(err)
		}
		v, err := dec.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		coded = MergeFoldGrams(v.(FoldGrams), coded)
	}
	agreeOrder("through Beam's coder", coded)
	if now, _ := json.Marshal(parts); !bytes.Equal(now, saved) {
		t.Errorf("merging modified its inputs")
	}

	// Columns that differ, and errors, merge to one message in any order.
	odd := parts[2]
	odd.Source, odd.Names = "blk-z", []string{"x1", "x2", "x3", "x4", "z", "y"}
	for _, m := range []FoldGrams{MergeFoldGrams(fold([]int{0, 1}, false), odd), MergeFoldGrams(odd, fold([]int{1, 0}, false))} {
		if !m.Input || !strings.Contains(m.Err, "blk-0 has columns x1, x2, x3, x4, x5, y") || !strings.Contains(m.Err, "blk-z has x1, x2, x3, x4, z, y") {
			t.Errorf("mismatched columns: %+v", m.Err)
		}
	}
	e1 := foldGramsError("a.csv", &tableio.InputError{Msg: "a.csv:3: bad"})
	e2 := foldGramsError("b.csv", errors.New("b.csv: unreadable"))
	for _, m := range []FoldGrams{MergeFoldGrams(MergeFoldGrams(parts[0], e2), e1), MergeFoldGrams(e1, MergeFoldGrams(e2, parts[1])), MergeFoldGrams(e2, e1)} {
		if m.Err != "a.csv:3: bad" || !m.Input {
			t.Errorf("errors merged to %q (input %v); want a.csv's", m.Err, m.Input)
		}
	}
}

// TestCVErrors: bad fold values, NaN, negative or all-zero weights, a
// fold with no rows and conflicting flags exit with status 2 and a
// message naming the file, row and column.
func TestCVErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rows := func(n int, row func(i int) string) string {
		var b strings.Builder
		b.WriteString("a,b,fold,w,y\n")
		for i := 0; i < n; i++ {
			b.WriteString(row(i) + "\n")
		}
		return b.String()
	}
	good := func(i int) string { return fmt.Sprintf("%d,%d,%d,1,%d", i, i*i%7, i%3, i%5) }
	p := write("frac.csv", rows(10, func(i int) string {
		if i == 4 {
			return "1,2,2.5,1,3"
		}
		return good(i)
	}))
	// A .npy file read as row ranges: a fold of −1 at the file's row 251.
	npy := tableio.NewTable(300, 3, tableio.F64)
	for i := 0; i < 300; i++ {
		npy.Set(i, 0, float64(i))
		npy.Set(i, 1, float64(i%2))
		npy.Set(i, 2, float64(i%7))
	}
	npy.Set(250, 1, -1)
	npyPath := filepath.Join(dir, "neg.npy")
	if err := tableio.SaveTable(npyPath, npy); err != nil {
		t.Fatal(err)
	}
	npy.Set(250, 1, 1)
	nanNPY := filepath.Join(dir, "nan.npy")
	var buf bytes.Buffer
	if err := tableio.WriteNPY(&buf, npy); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes() // a NaN at row 171, column 1: the writer refuses one
	copy(b[len(b)-(300*3-170*3)*8:], []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	if err := os.WriteFile(nanNPY, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"fraction", []string{"--data", p, "--fold-column", "fold"}, []string{p + ":6", `column "fold"`, "2.5"}},
		{"negative fold in a split .npy", []string{"--data", npyPath, "--fold-column", "2", "--split-rows", "100"},
			[]string{npyPath + ": row 251", `column "x2"`, "-1"}},
		{"NaN in a split .npy", []string{"--data", nanNPY, "--fold-column", "2", "--split-rows", "100"},
			[]string{nanNPY + ": row 171", `"x1"`, "NaN"}},
		{"NaN in a CSV", []string{"--data", write("nan.csv", rows(6, func(i int) string {
			if i == 2 {
				return "1,NaN,0,1,2"
			}
			return good(i)
		})), "--fold-column", "fold"}, []string{"nan.csv:4", "b", "NaN"}},
		{"negative weight", []string{"--data", write("negw.csv", rows(6, func(i int) string {
			if i == 3 {
				return "1,2,0,-0.5,2"
			}
			return good(i)
		})), "--fold-column", "fold", "--weights", "w"}, []string{"negw.csv:5", `column "w"`, "negative"}},
		{"zero weights", []string{"--data", write("zerow.csv", rows(9, func(i int) string { return fmt.Sprintf("%d,%d,%d,0,%d", i, i*i%7, i%3, i%5) })), "--fold-column", "fold", "--weights", "w"},
			[]string{"zerow.csv", `"w"`, "every weight is zero"}},
		{"empty fold", []string{"--data", write("gap.csv", rows(9, func(i int) string {
			return fmt.Sprintf("%d,%d,%d,1,%d", i, i*i%7, 2*(i%2), i%5)
		})), "--fold-column", "fold"}, []string{"gap.csv", `"fold"`, "no row in fold 1"}},
		{"fold column is a feature", []string{"--data", p, "--fold-column", "fold", "--features", "a,fold"},
			[]string{"frac.csv", `"fold" is both a feature and the fold column`}},
		{"no fold column", []string{"--data", p, "--fold-column", "grp"}, []string{"frac.csv", `no fold column "grp"`}},
		{"folds and fold column", []string{"--data", p, "--fold-column", "fold", "--folds", "3"}, []string{"--folds and --fold-column"}},
		{"bad λ", []string{"--data", p, "--lambdas", "1,-2"}, []string{"--lambdas", "-2"}},
		// lsgd's readers refuse a file without rows, here as in lsgd-beam solve.
		{"empty shard", []string{"--data", filepath.Join(dir, "[fe]*.csv"), "--fold-column", "fold"},
			[]string{write("empty.csv", "a,b,fold,w,y\n"), "no data rows"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			rc := run(context.Background(), append([]string{"cv"}, c.args...), &stdout, &stderr)
			if rc != 2 {
				t.Errorf("exit %d; want 2 (%s)", rc, stderr.String())
			}
			for _, s := range c.want {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("message %q does not say %q", stderr.String(), s)
				}
			}
		})
	}
}

// TestCVBeamFilesystem: shards on a Beam filesystem (memfs here, gs:// on
// Dataflow) give lsgd.CrossValidate's result, their rows hashed to folds
// by their Beam path; a bad fold names that path.
func TestCVBeamFilesystem(t *testing.T) {
	tab := cvTable(t, 900, 0, 0)
	tab = columnsOf(tab, []int{0, 1, 2, 5, 7})
	tab.Names = tableio.DefaultNames(5, 4) // a .npy file's: the fold is x4
	for k, r := range [][2]int{{0, 320}, {320, 900}} {
		var buf bytes.Buffer
		if err := tableio.WriteNPY(&buf, rowsOf(tab, r[0], r[1])); err != nil {
			t.Fatal(err)
		}
		memfs.Write(fmt.Sprintf("memfs://lsgdcv/part-%d.npy", k), buf.Bytes())
	}
	opt := CVOptions{FoldSpec: FoldSpec{FoldColumn: "x4"}, Path: lsgd.CVOptions{L1Ratio: 0.9, NLambdas: 12}, SplitRows: 100}
	out, err := CrossValidate(context.Background(), onPrism, "memfs://lsgdcv/part-*.npy", opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := lsgd.CrossValidate(context.Background(), cpu.NewReference(), tab, lsgd.CVOptions{FoldColumn: "x4", L1Ratio: 0.9, NLambdas: 12})
	if err != nil {
		t.Fatal(err)
	}
	if out.Shards != 2 {
		t.Errorf("%d shards; want 2 (files of a Beam filesystem are not split)", out.Shards)
	}
	cvAgree(t, "memfs", out.CVResult, want, tab)

	bad := rowsOf(tab, 0, 50)
	bad = bad.Clone(tableio.F64)
	bad.Set(17, 3, 9.5)
	var buf bytes.Buffer
	if err := tableio.WriteNPY(&buf, bad); err != nil {
		t.Fatal(err)
	}
	memfs.Write("memfs://lsgdcv/bad/part-0.npy", buf.Bytes())
	_, err = CrossValidate(context.Background(), onPrism, "memfs://lsgdcv/bad/part-*.npy", opt)
	if err == nil || !errors.Is(err, tableio.ErrInput) || !strings.Contains(err.Error(), `memfs://lsgdcv/bad/part-0.npy: row 18, column "x4": fold 9.5`) {
		t.Errorf("bad fold on memfs: got %v", err)
	}
}
