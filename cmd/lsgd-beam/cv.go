package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/internal/jsonout"
	"github.com/lsgd/lsgd/tableio"
)

// FoldSpec is how every worker turns a shard into fold Gram matrices:
// the columns, the fold of each row and its weight.
type FoldSpec struct {
	Spec
	// FoldColumn names the column holding each row's fold (a name or a
	// 1-based index), an integer 0…k−1; it is not a feature. "": the fold
	// is HashFold(Seed, file, row, Folds).
	FoldColumn string
	Folds      int
	Seed       uint64
	// Weights names a column of row weights w_i ≥ 0 (a name or a 1-based
	// index), not a feature; "": every w_i = 1.
	Weights string
}

// FoldGrams are the mergeable statistics of k-fold cross-validation over
// a set of rows: for every fold present, the weighted Gram matrix
// Σ w_i·x̃_i x̃_iᵀ of its rows, x̃_i = (features, target, 1), q×q with
// q = len(Names)+1, so that the last row holds the weighted column sums
// and Σ w_i. Only the upper triangle is kept (the lower one is zero).
// Each entry is a double-double Hi + Lo: the rows are summed in float64
// in blocks of gramBlock rows, the blocks and the merges compensated, so
// the sums hardly depend on how a runner splits and merges them.
//
// An error travels inside FoldGrams, as in Stats; MergeFoldGrams keeps
// the error of the first file by name.
type FoldGrams struct {
	Source string   // the first file (by name) these rows came from, for messages
	Names  []string // the columns of [X y]; nil for no rows
	Folds  []int64  // the folds present, increasing
	Rows   []int64  // rows read per fold (weight-zero rows included)
	Hi, Lo []float64
	Err    string
	Input  bool
}

// q returns the size of a fold's Gram matrix.
func (g *FoldGrams) q() int { return len(g.Names) + 1 }

func foldGramsError(src string, err error) FoldGrams {
	return FoldGrams{Source: src, Err: err.Error(), Input: isInput(err)}
}

// maxFold bounds a fold column's values (as lsgd cv does).
const maxFold = 1 << 20

// gramBlock is the rows summed in plain float64 before they are added to
// the compensated sums.
const gramBlock = 256

// HashFold is the fold of row (0-based, counted from the file's first
// row) of the file named file, when no fold column gives it: a 64-bit mix
// of the seed, the file's name as the glob lists it and the row index,
// reduced to 0…k−1. It depends on nothing else (not on how the file is
// split or which worker reads it), so the same command gives the same
// folds; folds are balanced only in expectation.
func HashFold(seed uint64, file string, row int64, k int) int {
	h := fnv.New64a()
	h.Write([]byte(file))
	return hashFold(seed, h.Sum64(), row, k)
}

func hashFold(seed, file uint64, row int64, k int) int {
	x := mix64(seed ^ mix64(file^mix64(uint64(row)+0x9e3779b97f4a7c15)))
	f, _ := bits.Mul64(x, uint64(k))
	return int(f)
}

// mix64 is splitmix64's finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// resolveColumn finds a column of t by name, or by 1-based index.
func resolveColumn(t *tableio.Table, s, what string) (int, error) {
	for j, name := range t.Names {
		if name == s {
			return j, nil
		}
	}
	if k, err := strconv.Atoi(s); err == nil && k >= 1 && k <= t.Cols {
		return k - 1, nil
	}
	return 0, &tableio.InputError{Msg: fmt.Sprintf("%s: no %s column %q (columns: %s)", t.Label(), what, s, strings.Join(t.Names, ", "))}
}

// rowWhere names row i of a shard's table for a message by the file's own
// line or row: a split .npy file's rows count from the file's start.
func rowWhere(t *tableio.Table, sh Shard, i int) string {
	if t.Line0 > 0 {
		return t.Where(i)
	}
	return fmt.Sprintf("%s: row %d", t.Label(), sh.Lo+i+1)
}

// ShardGrams reads a shard and returns its FoldGrams.
func ShardGrams(sh Shard, spec FoldSpec) (FoldGrams, error) {
	t, cols, names, err := readShard(sh, spec.Spec)
	if err != nil {
		return FoldGrams{}, err
	}
	target := cols[len(cols)-1]
	special := func(s, what string) (int, error) {
		if s == "" {
			return -1, nil
		}
		j, err := resolveColumn(t, s, what)
		if err != nil {
			return 0, err
		}
		if j == target {
			return 0, &tableio.InputError{Msg: fmt.Sprintf("%s: the %s column %q is the target; name the target with --target", t.Label(), what, t.Name(j))}
		}
		return j, nil
	}
	fcol, err := special(spec.FoldColumn, "fold")
	if err != nil {
		return FoldGrams{}, err
	}
	wcol, err := special(spec.Weights, "weight")
	if err != nil {
		return FoldGrams{}, err
	}
	if fcol >= 0 && fcol == wcol {
		return FoldGrams{}, &tableio.InputError{Msg: fmt.Sprintf("%s: column %q is both the fold and the weight column", t.Label(), t.Name(fcol))}
	}
	// The fold and weight columns are not features: drop them from the
	// default features, refuse them among named ones.
	keep := cols[:0:0]
	keptNames := names[:0:0]
	for k, j := range cols[:len(cols)-1] {
		if j == fcol || j == wcol {
			if spec.Features != nil {
				what := "fold"
				if j == wcol {
					what = "weight"
				}
				return FoldGrams{}, &tableio.InputError{Msg: fmt.Sprintf("%s: column %q is both a feature and the %s column", t.Label(), t.Name(j), what)}
			}
			continue
		}
		keep = append(keep, j)
		keptNames = append(keptNames, names[k])
	}
	if len(keep) == 0 {
		return FoldGrams{}, &tableio.InputError{Msg: fmt.Sprintf("%s: no feature columns", t.Label())}
	}
	keep = append(keep, target)
	keptNames = append(keptNames, names[len(names)-1])
	return tableGrams(t, sh, keep, keptNames, fcol, wcol, spec)
}

// tableGrams accumulates the fold Gram matrices of a shard's table t over
// the columns cols (features, then the target).
func tableGrams(t *tableio.Table, sh Shard, cols []int, names []string, fcol, wcol int, spec FoldSpec) (FoldGrams, error) {
	q := len(cols) + 1
	qq := q * q
	type slot struct {
		fold, rows int64
		hi, lo     []float64
		part       []float64 // this block's plain sums
		dirty      bool
	}
	slots := map[int64]*slot{}
	small := make([]*slot, 64) // slots[f] for f < 64, without a map lookup per row
	var touched []*slot
	flush := func() {
		for _, s := range touched {
			for a := 0; a < q; a++ {
				for b := a; b < q; b++ {
					i := a*q + b
					hi, e := twoSum(s.hi[i], s.part[i])
					s.hi[i], s.lo[i] = twoSum(hi, s.lo[i]+e)
					s.part[i] = 0
				}
			}
			s.dirty = false
		}
		touched = touched[:0]
	}
	fileHash := uint64(0)
	if fcol < 0 {
		if spec.Folds < 2 {
			return FoldGrams{}, &tableio.InputError{Msg: fmt.Sprintf("cross-validation needs at least 2 folds, got %d", spec.Folds)}
		}
		h := fnv.New64a()
		h.Write([]byte(sh.Path))
		fileHash = h.Sum64()
	}
	x := make([]float64, q)
	x[q-1] = 1
	for i := 0; i < t.Rows; i++ {
		w := 1.0
		if wcol >= 0 {
			// The readers have refused NaN and ±Inf already.
			if w = t.At(i, wcol); w < 0 {
				return FoldGrams{}, &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: weight %v is negative (weights must be ≥ 0)", rowWhere(t, sh, i), t.Name(wcol), w)}
			}
		}
		var f int64
		if fcol >= 0 {
			v := t.At(i, fcol)
			if v != math.Trunc(v) || v < 0 || v >= maxFold {
				return FoldGrams{}, &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: fold %v is not an integer 0…k−1", rowWhere(t, sh, i), t.Name(fcol), v)}
			}
			f = int64(v)
		} else {
			f = int64(hashFold(spec.Seed, fileHash, int64(sh.Lo+i), spec.Folds))
		}
		var s *slot
		if f < int64(len(small)) {
			s = small[f]
		}
		if s == nil {
			if s = slots[f]; s == nil {
				s = &slot{fold: f, hi: make([]float64, qq), lo: make([]float64, qq), part: make([]float64, qq)}
				slots[f] = s
			}
			if f < int64(len(small)) {
				small[f] = s
			}
		}
		s.rows++
		if w == 0 {
			continue
		}
		if !s.dirty {
			s.dirty = true
			touched = append(touched, s)
		}
		for k, j := range cols {
			x[k] = t.At(i, j)
		}
		for a := 0; a < q; a++ {
			wa := w * x[a]
			if wa == 0 {
				continue
			}
			row := s.part[a*q : (a+1)*q]
			for b := a; b < q; b++ {
				row[b] += wa * x[b]
			}
		}
		if (i+1)%gramBlock == 0 {
			flush()
		}
	}
	flush()
	out := FoldGrams{Source: t.Source, Names: names}
	if remote(sh.Path) {
		out.Source = sh.Path
	}
	var folds []int64
	for f := range slots {
		folds = append(folds, f)
	}
	sort.Slice(folds, func(a, b int) bool { return folds[a] < folds[b] })
	for _, f := range folds {
		s := slots[f]
		for a := 0; a < q; a++ {
			for b := a; b < q; b++ {
				if v := s.hi[a*q+b]; math.IsInf(v, 0) || math.IsNaN(v) {
					return FoldGrams{}, &tableio.InputError{Msg: fmt.Sprintf("%s: the sum of %s·%s over the rows overflows float64: rescale the columns",
						t.Label(), gramName(names, a), gramName(names, b))}
				}
			}
		}
		out.Folds = append(out.Folds, f)
		out.Rows = append(out.Rows, s.rows)
		out.Hi = append(out.Hi, s.hi...)
		out.Lo = append(out.Lo, s.lo...)
	}
	return out, nil
}

// gramName names row a of a Gram matrix over names and a ones column.
func gramName(names []string, a int) string {
	if a == len(names) {
		return "1"
	}
	return strconv.Quote(names[a])
}

// MergeFoldGrams returns the FoldGrams of the union of the rows of a and
// b: the Gram matrices of a fold present in both are added (compensated),
// the others copied. Either may be empty. Neither is modified.
func MergeFoldGrams(a, b FoldGrams) FoldGrams {
	if a.Err != "" || b.Err != "" {
		if errWins(b.Err, b.Source, a.Err, a.Source) {
			return b
		}
		return a
	}
	if len(a.Names) == 0 {
		return b
	}
	if len(b.Names) == 0 {
		return a
	}
	if b.Source < a.Source {
		a, b = b, a
	}
	if !equalNames(a.Names, b.Names) {
		return FoldGrams{Source: a.Source, Input: true, Err: fmt.Sprintf(
			"%s has columns %s but %s has %s: every file must have the same columns, in the same order",
			a.Source, listNames(a.Names), b.Source, listNames(b.Names))}
	}
	qq := a.q() * a.q()
	out := FoldGrams{Source: a.Source, Names: a.Names}
	add := func(g *FoldGrams, k int) {
		out.Folds = append(out.Folds, g.Folds[k])
		out.Rows = append(out.Rows, g.Rows[k])
		out.Hi = append(out.Hi, g.Hi[k*qq:(k+1)*qq]...)
		out.Lo = append(out.Lo, g.Lo[k*qq:(k+1)*qq]...)
	}
	i, j := 0, 0
	for i < len(a.Folds) || j < len(b.Folds) {
		switch {
		case j == len(b.Folds) || i < len(a.Folds) && a.Folds[i] < b.Folds[j]:
			add(&a, i)
			i++
		case i == len(a.Folds) || b.Folds[j] < a.Folds[i]:
			add(&b, j)
			j++
		default:
			add(&a, i)
			n := len(out.Folds) - 1
			out.Rows[n] += b.Rows[j]
			hi, lo := out.Hi[n*qq:(n+1)*qq], out.Lo[n*qq:(n+1)*qq]
			bh, bl := b.Hi[j*qq:(j+1)*qq], b.Lo[j*qq:(j+1)*qq]
			for e := range hi {
				s, err := twoSum(hi[e], bh[e])
				hi[e], lo[e] = twoSum(s, err+lo[e]+bl[e])
			}
			i++
			j++
		}
	}
	return out
}

// foldCombine is the pipeline's CombineFn: each bundle's shards are
// added into one accumulator, and the accumulators merged.
type foldCombine struct{}

func (foldCombine) CreateAccumulator() FoldGrams               { return FoldGrams{} }
func (foldCombine) AddInput(a, g FoldGrams) FoldGrams          { return MergeFoldGrams(a, g) }
func (foldCombine) MergeAccumulators(a, b FoldGrams) FoldGrams { return MergeFoldGrams(a, b) }
func (foldCombine) ExtractOutput(a FoldGrams) FoldGrams        { return a }

// foldGramFn reads a shard and emits its FoldGrams.
type foldGramFn struct{ Spec FoldSpec }

func (f *foldGramFn) ProcessElement(sh Shard, emit func(FoldGrams)) {
	g, err := ShardGrams(sh, f.Spec)
	if err != nil {
		emit(foldGramsError(sh.Path, err))
		return
	}
	emit(g)
}

func foldGramsJSON(g FoldGrams) (string, error) {
	b, err := json.Marshal(g)
	return string(b), err
}

func init() {
	register.DoFn2x0[Shard, func(FoldGrams)](&foldGramFn{})
	register.Emitter1[FoldGrams]()
	register.Combiner1[FoldGrams](&foldCombine{})
	register.Function1x2(foldGramsJSON)
}

// CVOptions configure a distributed cross-validation.
type CVOptions struct {
	FoldSpec
	// Path is the λ path's options: L1Ratio, Lambdas or NLambdas and
	// LambdaMinRatio, Tol (Folds and Seed come from FoldSpec).
	Path      lsgd.CVOptions
	SplitRows int    // .npy files longer than this are read as row ranges
	Temp      string // where the pipeline writes its result
}

// CVOutput is lsgd-beam cv's JSON: the fields of lsgd cv --json, and how
// the pipeline ran.
type CVOutput struct {
	*lsgd.CVResult
	Data        string  `json:"data"`
	Rows        int     `json:"rows"`
	Target      string  `json:"target"`
	FoldColumn  string  `json:"fold_column,omitempty"`
	Seed        uint64  `json:"seed"`
	LoadSeconds float64 `json:"load_seconds"` // 0: the pipeline reads the data, inside seconds
	Weights     string  `json:"weights,omitempty"`
	Shards      int     `json:"shards"`
	Pipelines   int     `json:"pipelines"`
}

// CrossValidate runs k-fold cross-validation of the elastic net over the
// files matching glob as one pipeline: every shard is reduced to the
// Gram matrices of its rows' folds (FoldGrams), the runner merges them,
// and the launcher runs the λ path and the fold scoring from the k fold
// Gram matrices (lsgd.CrossValidateGrams), d×d work.
func CrossValidate(ctx context.Context, run Runner, glob string, opt CVOptions) (*CVOutput, error) {
	start := time.Now()
	if opt.FoldColumn == "" && opt.Folds < 2 {
		return nil, &tableio.InputError{Msg: fmt.Sprintf("cross-validation needs at least 2 folds, got %d", opt.Folds)}
	}
	shards, tmp, done, err := setup(ctx, glob, opt.SplitRows, opt.Temp)
	if err != nil {
		return nil, err
	}
	defer done()
	var g FoldGrams
	if err := pass(ctx, run, shards, &foldGramFn{Spec: opt.FoldSpec}, &foldCombine{}, foldGramsJSON, tmp, "cv", &g); err != nil {
		return nil, err
	}
	if g.Err != "" {
		return nil, passError(g.Err, g.Input)
	}
	gramSeconds := time.Since(start).Seconds()
	grams, rows, err := foldMatrices(g, opt, glob)
	if err != nil {
		return nil, err
	}
	d := len(g.Names) - 1
	t := &lsgd.Table{Source: glob, Names: g.Names, Target: d, Cols: d + 1, Stride: d + 1}
	feats := make([]int, d)
	for a := range feats {
		feats[a] = a
	}
	popt := opt.Path
	popt.Folds, popt.FoldColumn, popt.Features = len(grams), "", nil
	res, err := lsgd.CrossValidateGrams(t, grams, feats, popt)
	if err != nil {
		return nil, err
	}
	n := 0
	res.FoldRows = res.FoldRows[:0]
	for _, r := range rows {
		res.FoldRows = append(res.FoldRows, int(r))
		n += int(r)
	}
	res.Backend, res.Precision, res.GramSeconds = "beam", "f64", gramSeconds
	res.Seconds = time.Since(start).Seconds()
	out := &CVOutput{CVResult: res, Data: glob, Rows: n, Target: g.Names[d], FoldColumn: opt.FoldColumn,
		Weights: opt.Weights, Shards: len(shards), Pipelines: 1}
	if opt.FoldColumn == "" {
		out.Seed = opt.Seed
	}
	return out, nil
}

// foldMatrices checks the merged FoldGrams (every fold 0…k−1 has rows,
// some weight is positive) and returns the folds' full symmetric Gram
// matrices and row counts.
func foldMatrices(g FoldGrams, opt CVOptions, glob string) ([][]float64, []int64, error) {
	k := opt.Folds
	if opt.FoldColumn != "" {
		k = 0
		if n := len(g.Folds); n > 0 {
			k = int(g.Folds[n-1]) + 1
		}
		if k < 2 {
			return nil, nil, &tableio.InputError{Msg: fmt.Sprintf("%s: fold column %q names one fold; cross-validation needs at least 2", glob, opt.FoldColumn)}
		}
	}
	q := g.q()
	grams := make([][]float64, k)
	rows := make([]int64, k)
	total, weight := int64(0), 0.0
	for i, f := range g.Folds {
		G := make([]float64, q*q)
		for a := 0; a < q; a++ {
			for b := a; b < q; b++ {
				v := g.Hi[i*q*q+a*q+b] + g.Lo[i*q*q+a*q+b]
				G[a*q+b], G[b*q+a] = v, v
			}
		}
		grams[f], rows[f] = G, g.Rows[i]
		total += g.Rows[i]
		weight += G[q*q-1]
	}
	for f, G := range grams {
		if G != nil {
			continue
		}
		if opt.FoldColumn != "" {
			return nil, nil, &tableio.InputError{Msg: fmt.Sprintf("%s: fold column %q has no row in fold %d (folds are 0…%d)", glob, opt.FoldColumn, f, k-1)}
		}
		return nil, nil, &tableio.InputError{Msg: fmt.Sprintf("%s: no row fell in fold %d of %d (%d rows): use fewer --folds", glob, f, k, total)}
	}
	if opt.Weights != "" && weight == 0 {
		return nil, nil, &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: every weight is zero", glob, opt.Weights)}
	}
	return grams, rows, nil
}

type cvFlags struct {
	runnerFlags
	data, target, features, weights, foldColumn, lambdas string
	l1Ratio, lambdaMinRatio, tol                         float64
	folds, nLambdas                                      int
	seed                                                 uint64
	json                                                 bool
}

func cvCommand(stdout, stderr io.Writer) *cobra.Command {
	f := &cvFlags{}
	cmd := &cobra.Command{
		Use:   "cv --data GLOB [flags] [-- beam flags]",
		Short: "k-fold cross-validation of the elastic net over sharded files, as one Beam pipeline",
		Long: `cv cross-validates the elastic net of the gaussian family (least squares),

  MSE + λ·r‖θ‖₁ + λ·(1−r)‖θ‖²      (r = --l1-ratio: 1 lasso, 0 ridge)

over every file matching GLOB (.csv or .npy, the same columns in each), as
lsgd cv does for one table, in ONE pass over the data: one Apache Beam
pipeline reads each shard with lsgd's readers (a .npy file longer than
--split-rows as row ranges), forms the weighted Gram matrix
Σ w·x̃x̃ᵀ of every fold's rows (x̃ = features, target and 1; in float64,
compensated), and merges them with a CombineFn (k·(d+2)² numbers). The
launcher then runs lsgd cv's λ path and fold scoring from those k matrices
(d×d work; see lsgd cv --help for the grid, the scoring and λ_1se). A NaN
or infinite value in any shard fails the pipeline naming its file, row and
column.

Folds: --fold-column NAME|INDEX, a column of integers 0…k−1 (not a
feature), gives the same folds, and so the same result, as lsgd cv
--fold-column on the concatenated files. Without it each row's fold is a
hash of (--seed, the file's path as the glob lists it, the row's index in
its file) mod --folds: deterministic wherever the row is read, balanced in
expectation only, and NOT the folds lsgd cv --seed draws (that command
permutes the global row indices of one table).

Runners as for lsgd-beam solve: prism (default), flink, spark (--endpoint),
dataflow, universal; Beam's own flags after --.`,
		Example: `  lsgd-beam cv --data 'shards/part-*.csv' --fold-column fold --json
  lsgd-beam cv --data 'shards/part-*.npy' --fold-column 33 --json   # .npy columns have no names: an index
  lsgd-beam cv --data 'data/*.csv' --target price --l1-ratio 0.5 --folds 10 --seed 3
  lsgd-beam cv --data '/mnt/shared/part-*.npy' --runner flink --endpoint localhost:8099 \
      --temp /mnt/shared/tmp -- --environment_type=LOOPBACK`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cv(cmd, f, args, stdout, stderr) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.data, "data", "", "`GLOB` of the shards: .csv (a header row) or .npy files with the same columns (required)")
	fl.StringVar(&f.target, "target", "", "target column: its `NAME` (CSV) or 1-based index; default: the last column")
	fl.StringVar(&f.features, "features", "", "feature columns, comma-separated `NAMES` or 1-based indices; default: every column but the target, the fold and the weight column")
	fl.StringVar(&f.weights, "weights", "", "column of row weights w ≥ 0 (`NAME|INDEX`, not a feature): each row's Gram term is weighted by w, each fold's held-out MSE is weighted and folds count by their weight")
	fl.Float64Var(&f.l1Ratio, "l1-ratio", 1, "r in MSE + λ·r‖θ‖₁ + λ·(1−r)‖θ‖²: 1 lasso, 0 ridge, between: elastic net")
	fl.IntVar(&f.folds, "folds", 5, "number of folds k, each row's a hash of --seed, its file and its row")
	fl.StringVar(&f.foldColumn, "fold-column", "", "column holding each row's fold (integers 0…k−1): its `NAME` or 1-based index; not a feature")
	fl.StringVar(&f.lambdas, "lambdas", "", "the λ grid, comma-separated (`a,b,c`, each > 0); default: --n-lambdas values from λ_max")
	fl.IntVar(&f.nLambdas, "n-lambdas", lsgd.DefaultNLambdas, "number of λ values on the default grid")
	fl.Float64Var(&f.lambdaMinRatio, "lambda-min-ratio", lsgd.DefaultLambdaMinRatio, "smallest λ of the default grid as a fraction of λ_max")
	fl.Float64Var(&f.tol, "tol", 0, "relative duality gap every fit on the path stops at; 0: 1e-10")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the fold hash")
	fl.BoolVar(&f.json, "json", false, "print the result as one JSON object on stdout (lsgd cv's fields)")
	f.runnerFlags.add(fl, "the pipeline writes")
	return cmd
}

func cv(cmd *cobra.Command, f *cvFlags, args []string, stdout, stderr io.Writer) error {
	bad := func(format string, a ...any) error { return &tableio.InputError{Msg: fmt.Sprintf(format, a...)} }
	switch {
	case f.data == "":
		return bad("--data is required (a file or a glob such as 'shards/*.npy')")
	case f.l1Ratio < 0 || f.l1Ratio > 1 || math.IsNaN(f.l1Ratio):
		return bad("--l1-ratio must be in [0, 1], got %g", f.l1Ratio)
	case f.folds < 2:
		return bad("--folds must be at least 2, got %d", f.folds)
	case cmd.Flags().Changed("folds") && f.foldColumn != "":
		return bad("--folds and --fold-column both give the folds: use one")
	case f.nLambdas < 1:
		return bad("--n-lambdas must be a positive integer, got %d", f.nLambdas)
	case !(f.lambdaMinRatio > 0 && f.lambdaMinRatio < 1):
		return bad("--lambda-min-ratio must be in (0, 1), got %g", f.lambdaMinRatio)
	case !(f.tol >= 0 && f.tol < 1):
		return bad("--tol must be in [0, 1), got %g", f.tol)
	}
	var lambdas []float64
	if f.lambdas != "" {
		for _, part := range strings.Split(f.lambdas, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return bad("--lambdas: %q is not a positive number (want a,b,c)", part)
			}
			lambdas = append(lambdas, v)
		}
	}
	if err := beamFlags(cmd, f.runner, f.endpoint, f.verbose, args, stderr); err != nil {
		return err
	}
	opt := CVOptions{FoldSpec: FoldSpec{Spec: Spec{Target: f.target}, FoldColumn: f.foldColumn, Folds: f.folds, Seed: f.seed, Weights: f.weights},
		Path:      lsgd.CVOptions{L1Ratio: f.l1Ratio, Lambdas: lambdas, NLambdas: f.nLambdas, LambdaMinRatio: f.lambdaMinRatio, Tol: f.tol},
		SplitRows: f.splitRows, Temp: f.temp}
	if f.foldColumn != "" {
		opt.Folds = 0
	}
	if f.features != "" {
		for _, s := range strings.Split(f.features, ",") {
			opt.Features = append(opt.Features, strings.TrimSpace(s))
		}
	}
	out, err := CrossValidate(cmd.Context(), beamRunner(f.runner), f.data, opt)
	if err != nil {
		return err
	}
	out.Device = f.runner
	for _, w := range out.Warnings {
		fmt.Fprintf(stderr, "lsgd-beam: warning: %s\n", w)
	}
	if f.json {
		return jsonout.Write(stdout, out)
	}
	return writeCV(stdout, out)
}

// writeCV prints the path, the chosen λs and the refit.
func writeCV(w io.Writer, out *CVOutput) error {
	res := out.CVResult
	how := fmt.Sprintf("%d folds hashed from seed %d", res.Folds, out.Seed)
	if out.FoldColumn != "" {
		how = fmt.Sprintf("%d folds from column %q", res.Folds, out.FoldColumn)
	}
	fmt.Fprintf(w, "%s: %d rows in %d shards, %d features, target %q; %s; l1 ratio %g\n\n",
		out.Data, out.Rows, out.Shards, len(res.Features), out.Target, how, res.L1Ratio)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "λ\tcv MSE\t± SE\tnon-zero\t\n")
	for k, l := range res.Lambdas {
		mark := ""
		if k == res.IndexMin {
			mark += "  λ_min"
		}
		if k == res.Index1SE {
			mark += "  λ_1se"
		}
		fmt.Fprintf(tw, "%.5g\t%.8g\t%.3g\t%d\t%s\n", l, res.CVMSE[k], res.CVSE[k], res.Nonzero[k], mark)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nλ_min  %.6g (cv MSE %.8g ± %.3g)\nλ_1se  %.6g (cv MSE %.8g ± %.3g)\n\ncoefficients at λ_min, on all rows:\n\n",
		res.LambdaMin, res.CVMSE[res.IndexMin], res.CVSE[res.IndexMin], res.Lambda1SE, res.CVMSE[res.Index1SE], res.CVSE[res.Index1SE])
	for a, name := range res.Features {
		fmt.Fprintf(w, "  %-12s %.15g\n", name, res.Coef[a])
	}
	fmt.Fprintf(w, "  %-12s %.15g\n", "(intercept)", res.Intercept)
	_, err := fmt.Fprintf(w, "\nduality gap  %.3g (relative %.2g)\nrunner       %s, %g pass over the data in 1 pipeline, %.3gs (%.3gs in the pipeline)\n",
		res.ElasticNet.Gap, res.ElasticNet.RelGap, res.Device, res.Passes, res.Seconds, res.GramSeconds)
	return err
}
