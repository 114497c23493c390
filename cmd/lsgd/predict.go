package main

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

type predictFlags struct {
	model, data, out string
	classes          bool
}

func (a *app) predictCommand() *cobra.Command {
	f := &predictFlags{}
	cmd := &cobra.Command{
		Use:   "predict --model MODEL --data FILE [--out FILE.csv]",
		Short: "Predict with a fitted model",
		Long: `predict computes intercept + x·coef for every row of a data file with a model
written by "lsgd train --model-out" (or "lsgd solve --model-out"). For a
binomial model (train --family binomial) that is the log-odds, and predict
gives the probability P(y = 1) = 1/(1 + e^−(intercept + x·coef)), or with
--classes the class, 1 when the probability is at least ½.

CSV and Parquet columns are matched to the model's features by name (any order; other
columns, the target among them, are ignored); an .npy file's columns are
taken by position: the model's features in order, or every column of the
training data, the target (at the position it had in training) skipped.
A prediction beyond the float64 range is an error naming its row.

Predictions go to stdout one per line, or with --out to a CSV file with a
single column headed "prediction", one row per input row in order, written
atomically.`,
		Example: `  lsgd predict --model model.json --data new.csv
  lsgd predict --model model.json --data new.npy --out predictions.csv`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.predict(cmd, f) },
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.model, "model", "", "model JSON `FILE` from lsgd train --model-out (required)")
	fl.StringVar(&f.data, "data", "", "`FILE` to read: .csv (a header row of names), .npy or .parquet, or a directory or glob ('dir/*.parquet') of shards with the same columns (required)")
	fl.StringVar(&f.out, "out", "", "write the predictions to `FILE`.csv instead of stdout")
	fl.BoolVar(&f.classes, "classes", false, "binomial models: print the class (1 when P(y = 1) ≥ ½, else 0) instead of the probability")
	return cmd
}

func (a *app) predict(cmd *cobra.Command, f *predictFlags) error {
	if err := required(cmd, "model", "data"); err != nil {
		return err
	}
	if f.out != "" {
		if !strings.EqualFold(filepath.Ext(f.out), ".csv") {
			return usageErrorf(cmd, "--out %s: want a .csv file name", f.out)
		}
	}
	m, err := lsgd.ReadModel(f.model)
	if err != nil {
		return &inputError{err}
	}
	var cols []int
	t, err := interruptible(cmd.Context(), f.data, func() (t *lsgd.Table, err error) { t, cols, err = predictTable(f.data, m); return })
	if err != nil {
		return err
	}
	lin := m.PredictTable(t, cols)
	if err := checkPredictions(t, lin); err != nil {
		return err
	}
	pred, err := familyPredictions(m, lin, f.classes)
	if err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	write := func(w io.Writer, header bool) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		if header {
			bw.WriteString("prediction\n")
		}
		var buf []byte
		for _, v := range pred {
			buf = strconv.AppendFloat(buf[:0], v, 'g', -1, 64)
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	if f.out != "" {
		return writeAtomic(cmd.Context(), f.out, func(w io.Writer) error { return write(w, true) })
	}
	return write(a.stdout, false)
}

// predictTable reads the data file and returns the table and, for each of
// the model's features, the column holding it.
func predictTable(path string, m *lsgd.Model) (*lsgd.Table, []int, error) {
	opt := tableio.ReadOptions{NoTarget: true}
	if files, err := tableio.ShardFiles(path); err == nil && strings.EqualFold(filepath.Ext(files[0]), ".parquet") {
		// Read only the model's columns: the file may hold others of any type.
		opt.Features = m.Features
	}
	t, err := tableio.LoadTable(path, opt)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]int, len(m.Features))
	if files, err := tableio.ShardFiles(path); err == nil && strings.EqualFold(filepath.Ext(files[0]), ".npy") {
		// By position: the features, or every training column.
		cols, err := npyColumns(path, t, m)
		if err != nil {
			return nil, nil, err
		}
		return t, cols, nil
	}
	byName := map[string]int{}
	for j := 0; j < t.Cols; j++ {
		byName[t.Name(j)] = j
	}
	var missing []string
	for k, name := range m.Features {
		j, ok := byName[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		cols[k] = j
	}
	if len(missing) > 0 {
		noun := "feature"
		if len(missing) > 1 {
			noun = "features"
		}
		return nil, nil, &inputError{fmt.Errorf("%s: no column for the model's %s %s (the model needs %s)",
			path, noun, strings.Join(quoted(missing), ", "), strings.Join(quoted(m.Features), ", "))}
	}
	return t, cols, nil
}

func quoted(s []string) []string {
	return clipList(s)
}
