package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/textio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lsgd/lsgd/tableio"
)

// Shard is one element of the pipeline's input: rows [Lo, Hi) of a file,
// or the whole file when Hi is 0.
type Shard struct {
	Path   string
	Lo, Hi int
}

// Spec is how every worker reads a shard: the columns and the model.
type Spec struct {
	Target      string   // the target column (tableio.ReadOptions.Target)
	Features    []string // the feature columns by name or 1-based index; nil: every other column
	Weights     string   // the weight column by name or 1-based index; "": every row weighs 1
	NoIntercept bool
	Binomial    bool // the target must be 0 or 1 (logistic regression)
}

func isInput(err error) bool { return errors.Is(err, tableio.ErrInput) }

// remote reports whether path names a file of a Beam filesystem (gs://,
// memfs://, …) rather than a local path.
func remote(path string) bool { return strings.Contains(path, "://") }

// fetch copies a file of a Beam filesystem to a local temporary file with
// the same name (the readers choose the format by its extension) and
// returns its path and a function removing it.
func fetch(ctx context.Context, path string) (string, func(), error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return "", nil, err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return "", nil, fmt.Errorf("%s: cannot open: %w", path, err)
	}
	defer r.Close()
	dir, err := os.MkdirTemp("", "lsgd-beam-shard-")
	if err != nil {
		return "", nil, err
	}
	done := func() { os.RemoveAll(dir) }
	local := filepath.Join(dir, filepath.Base(path))
	f, err := os.Create(local)
	if err == nil {
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		done()
		return "", nil, fmt.Errorf("%s: copying to the worker: %w", path, err)
	}
	return local, done, nil
}

// readShard reads a shard with the project's table readers and returns
// the table, the columns of [X y] in it and their names. A file of a
// Beam filesystem (gs://…) is copied to the worker first; messages name
// it, not the copy.
func readShard(sh Shard, spec Spec) (*tableio.Table, []int, []string, error) {
	if remote(sh.Path) {
		local, done, err := fetch(context.Background(), sh.Path)
		if err != nil {
			return nil, nil, nil, err
		}
		defer done()
		t, cols, names, err := readShard(Shard{Path: local, Lo: sh.Lo, Hi: sh.Hi}, spec)
		if err != nil {
			msg := strings.ReplaceAll(err.Error(), local, sh.Path)
			if isInput(err) {
				return nil, nil, nil, &tableio.InputError{Msg: msg}
			}
			return nil, nil, nil, errors.New(msg)
		}
		t.Source = sh.Path
		return t, cols, names, nil
	}
	opt := tableio.ReadOptions{Target: spec.Target}
	var t *tableio.Table
	var err error
	if sh.Hi > 0 {
		t, err = tableio.ReadNPYRows(sh.Path, opt, sh.Lo, sh.Hi)
	} else {
		t, err = tableio.LoadTable(sh.Path, opt)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	wcol := -1
	if spec.Weights != "" {
		if wcol, err = weightColumn(t, spec.Weights); err != nil {
			return nil, nil, nil, err
		}
	}
	var cols []int
	for _, j := range t.Features() {
		if j != wcol {
			cols = append(cols, j)
		}
	}
	if spec.Features != nil {
		cols = cols[:0]
		for _, f := range spec.Features {
			j, err := findColumn(t, f)
			if err != nil {
				return nil, nil, nil, err
			}
			if j == wcol {
				return nil, nil, nil, &tableio.InputError{Msg: fmt.Sprintf("%s: column %q is both a feature and the weights (--weights %s)", t.Label(), f, spec.Weights)}
			}
			cols = append(cols, j)
		}
	}
	if len(cols) == 0 {
		return nil, nil, nil, &tableio.InputError{Msg: fmt.Sprintf("%s: no feature columns left besides the target and the weights", t.Label())}
	}
	if wcol >= 0 {
		if err := readWeights(t, wcol, sh.Lo); err != nil {
			return nil, nil, nil, err
		}
	}
	if spec.Binomial {
		if err := checkLabels(t, sh.Lo); err != nil {
			return nil, nil, nil, err
		}
	}
	cols = append(cols, t.Target)
	names := make([]string, len(cols))
	for k, j := range cols {
		names[k] = t.Name(j)
	}
	return t, cols, names, nil
}

// findColumn resolves a feature given by name or 1-based index.
func findColumn(t *tableio.Table, f string) (int, error) {
	for j := 0; j < t.Cols; j++ {
		if t.Name(j) == f {
			if j == t.Target {
				return 0, &tableio.InputError{Msg: fmt.Sprintf("%s: feature %q is the target column", t.Label(), f)}
			}
			return j, nil
		}
	}
	if k, err := strconv.Atoi(f); err == nil && k >= 1 && k <= t.Cols && k-1 != t.Target {
		return k - 1, nil
	}
	return 0, &tableio.InputError{Msg: fmt.Sprintf("%s: no feature column %q (columns: %s)", t.Label(), f, strings.Join(t.Names, ", "))}
}

// weightColumn resolves --weights (a name, or a 1-based index); it may
// not be the target.
func weightColumn(t *tableio.Table, w string) (int, error) {
	j := -1
	for k := 0; k < t.Cols; k++ {
		if t.Name(k) == w {
			j = k
			break
		}
	}
	if k, err := strconv.Atoi(w); j < 0 && err == nil && k >= 1 && k <= t.Cols {
		j = k - 1
	}
	switch {
	case j < 0:
		return 0, &tableio.InputError{Msg: fmt.Sprintf("%s: no weight column %q (columns: %s)", t.Label(), w, strings.Join(t.Names, ", "))}
	case j == t.Target:
		return 0, &tableio.InputError{Msg: fmt.Sprintf("%s: the weight column %q is the target; name the target with --target", t.Label(), t.Name(j))}
	}
	return j, nil
}

// readWeights sets t.Weights from column j (t holds the rows from lo on
// of its file), checking each weight as the single-machine reader does:
// finite and ≥ 0. A shard whose weights are all zero is allowed (it adds
// nothing); the launcher checks that some weight over all shards is
// positive.
func readWeights(t *tableio.Table, j, lo int) error {
	t.WeightName = t.Name(j)
	t.Weights = make([]float64, t.Rows)
	for i := range t.Weights {
		w := t.At(i, j)
		switch {
		case math.IsNaN(w) || math.IsInf(w, 0):
			return &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: weight %v is not a finite number", where(t, lo, i), t.WeightName, w)}
		case w < 0:
			return &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: weight %v is negative (weights must be ≥ 0)", where(t, lo, i), t.WeightName, w)}
		}
		t.Weights[i] = w
	}
	return nil
}

// where names row i of a table holding rows from lo on of its file.
func where(t *tableio.Table, lo, i int) string {
	if t.Line0 > 0 {
		return t.Where(i)
	}
	return t.Where(lo + i)
}

// checkLabels checks that every target value is 0 or 1 (t holds the rows
// from lo on of its file).
func checkLabels(t *tableio.Table, lo int) error {
	for i := 0; i < t.Rows; i++ {
		if y := t.At(i, t.Target); y != 0 && y != 1 {
			return &tableio.InputError{Msg: fmt.Sprintf("%s, column %q: target %v is not 0 or 1 (--family binomial)", where(t, lo, i), t.Name(t.Target), y)}
		}
	}
	return nil
}

// statsFn reads a shard and emits its Stats.
type statsFn struct{ Spec Spec }

func (f *statsFn) ProcessElement(sh Shard, emit func(Stats)) {
	t, cols, names, err := readShard(sh, f.Spec)
	if err != nil {
		emit(statsError(sh.Path, err))
		return
	}
	emit(TableStats(t, cols, names, !f.Spec.NoIntercept))
}

// residFn reads a shard and emits its Resid at Point.
type residFn struct {
	Spec  Spec
	Point Point
}

func (f *residFn) ProcessElement(sh Shard, emit func(Resid)) {
	t, cols, _, err := readShard(sh, f.Spec)
	if err != nil {
		emit(Resid{Source: sh.Path, Err: err.Error(), Input: isInput(err)})
		return
	}
	emit(TableResid(t, cols, f.Point))
}

func statsJSON(s Stats) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

func residJSON(r Resid) (string, error) {
	b, err := json.Marshal(r)
	return string(b), err
}

func init() {
	register.DoFn2x0[Shard, func(Stats)](&statsFn{})
	register.DoFn2x0[Shard, func(Resid)](&residFn{})
	register.Emitter1[Stats]()
	register.Emitter1[Resid]()
	register.Function2x1(Merge)
	register.Function2x1(MergeResid)
	register.Function1x2(statsJSON)
	register.Function1x2(residJSON)
}

// Shards expands the glob (on the launcher) into the pipeline's
// elements: a local .npy file of more than split rows becomes row ranges
// of at most split rows; any other file is one element. A glob with a
// scheme (gs://bucket/part-*.npy) is expanded by that Beam filesystem.
func Shards(ctx context.Context, glob string, split int) ([]Shard, error) {
	var files []string
	var err error
	if remote(glob) {
		var fs filesystem.Interface
		if fs, err = filesystem.New(ctx, glob); err == nil {
			files, err = fs.List(ctx, glob)
			fs.Close()
		}
	} else {
		files, err = filepath.Glob(glob)
	}
	if err != nil {
		return nil, &tableio.InputError{Msg: fmt.Sprintf("%s: bad pattern: %v", glob, err)}
	}
	if len(files) == 0 {
		return nil, &tableio.InputError{Msg: fmt.Sprintf("%s: no files match", glob)}
	}
	sort.Strings(files)
	var out []Shard
	for _, f := range files {
		if strings.EqualFold(filepath.Ext(f), ".npy") && split > 0 && !remote(f) {
			n, err := tableio.NPYRows(f)
			if err != nil {
				return nil, err
			}
			if n > split {
				k := (n + split - 1) / split
				for i := 0; i < k; i++ {
					out = append(out, Shard{Path: f, Lo: i * n / k, Hi: (i + 1) * n / k})
				}
				continue
			}
		}
		out = append(out, Shard{Path: f})
	}
	return out, nil
}

// Runner executes a pipeline: beam.Run with a runner's name.
type Runner func(ctx context.Context, p *beam.Pipeline) error

// pass builds and runs one pipeline: shards → fn (one partial result per
// element) → the merge, combined globally (per bundle, then across) →
// JSON in one file under tmp, which the launcher reads back into out.
func pass(ctx context.Context, run Runner, shards []Shard, fn, merge, toJSON any, tmp, name string, out any) error {
	p, s := beam.NewPipelineWithRoot()
	col := beam.Reshuffle(s, beam.CreateList(s, shards))
	parts := beam.ParDo(s, fn, col)
	total := beam.Combine(s, merge, parts)
	path := strings.TrimSuffix(tmp, "/") + "/" + name + ".json"
	textio.Write(s, path, beam.ParDo(s, toJSON, total))
	if err := run(ctx, p); err != nil {
		return fmt.Errorf("pipeline %s: %w", name, err)
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return fmt.Errorf("pipeline %s: reading its result: %w", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
