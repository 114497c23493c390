package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
)

type predictFlags struct {
	model, data, out string
}

func (a *app) predictCommand() *cobra.Command {
	f := &predictFlags{}
	cmd := &cobra.Command{
		Use:   "predict --model MODEL --data FILE [--out FILE.csv]",
		Short: "Predict with a fitted model",
		Long: `predict computes intercept + x·coef for every row of a data file with a model
written by "lsgd train --model-out" (or "lsgd solve --model-out").

CSV columns are matched to the model's features by name (any order; other
columns, the target among them, are ignored); an .npy file's columns are
taken by position: the model's features in order, optionally followed by
one more column (the target), which is ignored.

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
	fl.StringVar(&f.data, "data", "", "`FILE` to read: .csv (a header row of names) or .npy (required)")
	fl.StringVar(&f.out, "out", "", "write the predictions to `FILE`.csv instead of stdout")
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
		if err := checkOutputPath(cmd, "out", f.out); err != nil {
			return err
		}
	}
	m, err := readModel(f.model)
	if err != nil {
		return err
	}
	var cols []int
	t, err := interruptible(cmd.Context(), f.data, func() (t *lsgd.Table, err error) { t, cols, err = predictTable(f.data, m); return })
	if err != nil {
		return err
	}
	pred := make([]float64, t.Rows)
	for i := range pred {
		s := m.Intercept
		for k, j := range cols {
			s += m.Coef[k] * t.At(i, j)
		}
		pred[i] = s
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
func predictTable(path string, m *Model) (*lsgd.Table, []int, error) {
	t, err := loadPredictTable(path)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]int, len(m.Features))
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		// By position: the features, then optionally the target.
		if t.Cols != len(m.Features) && t.Cols != len(m.Features)+1 {
			return nil, nil, &inputError{fmt.Errorf("%s: %d columns, but the model has %d features (an .npy file gives the features by position, optionally followed by the target)",
				path, t.Cols, len(m.Features))}
		}
		for k := range cols {
			cols[k] = k
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

// loadPredictTable reads the data to predict on. The reader wants a target
// column beside the features; a CSV file of a single column (the only
// feature of a one-feature model, no target) is read with a column of
// zeros appended, which predict ignores.
func loadPredictTable(path string) (*lsgd.Table, error) {
	if strings.EqualFold(filepath.Ext(path), ".csv") && !isRegular(path) {
		return loadPredictStream(path) // a FIFO: open it once
	}
	if !strings.EqualFold(filepath.Ext(path), ".csv") || !singleColumnCSV(path) {
		return loadTable(path, "", lsgd.F64)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return lsgd.ReadCSV(&appendColumn{br: bufio.NewReader(f)}, path, lsgd.ReadOptions{})
}

// singleColumnCSV reports whether the first line of a CSV file has no
// comma.
func singleColumnCSV(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return false
	}
	return strings.TrimSpace(line) != "" && !strings.Contains(line, ",")
}

// appendColumn appends a field to every non-empty line: a name to the
// header, 0 to each row.
type appendColumn struct {
	br     *bufio.Reader
	header bool
	buf    []byte
	err    error
}

// predictPad is the name of the column appendColumn adds.
const predictPad = "lsgd:none"

func (a *appendColumn) Read(p []byte) (int, error) {
	for len(a.buf) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		line, err := a.br.ReadBytes('\n')
		a.err = err
		if len(line) == 0 {
			continue
		}
		body := line
		eol := ""
		switch {
		case strings.HasSuffix(string(body), "\r\n"):
			body, eol = body[:len(body)-2], "\r\n"
		case strings.HasSuffix(string(body), "\n"):
			body, eol = body[:len(body)-1], "\n"
		}
		if len(strings.TrimSpace(string(body))) == 0 {
			a.buf = append(a.buf[:0], line...)
			continue
		}
		extra := ",0"
		if !a.header {
			extra, a.header = ","+predictPad, true
		}
		a.buf = append(append(append(a.buf[:0], body...), extra...), eol...)
	}
	n := copy(p, a.buf)
	a.buf = a.buf[n:]
	return n, nil
}
