package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// loadTable reads a CSV, .npy or Parquet data file, or a directory or glob
// of shards, with the target column named by target ("" for the last
// column) and the feature columns named by features (nil: all the others),
// stored in precision p; weights names the weight column ("" for none). A
// .npy file beyond the memory budget is mapped (tableio.ReadOptions.Memory).
func loadTable(path, target string, features []string, weights string, p lsgd.Precision, memory int64) (*lsgd.Table, error) {
	return tableio.LoadTable(path, tableio.ReadOptions{Target: target, Features: features, Weights: weights, Precision: p, Memory: memory})
}

// inputPrecision is the precision train reads a data file in: a float32
// .npy stays float32 (read straight into memory, no copy); anything else is
// read as float64 and the backend rounds it to its own precision, so that
// the rounding is the backend's, counted in the fit's accuracy limit (the
// GPU subtracts each column's mean before rounding, which keeps a year
// column's digits).
func inputPrecision(path string) lsgd.Precision {
	if files, err := tableio.ShardFiles(path); err == nil && strings.EqualFold(filepath.Ext(files[0]), ".npy") && isRegular(files[0]) { // a FIFO is opened once, by the reader
		if p, err := tableio.NPYPrecision(files[0]); err == nil {
			return p
		}
	}
	return lsgd.F64
}

// dataFormat returns "csv", "npy" or "parquet" from a file name's extension.
func dataFormat(cmd *cobra.Command, flag, path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv", nil
	case ".npy":
		return "npy", nil
	case ".parquet":
		return "parquet", nil
	}
	return "", usageErrorf(cmd, "--%s %s: want a .csv, .npy or .parquet file name", flag, path)
}

// writeAtomic writes a file through tableio.WriteFileAtomic: the file appears
// complete or not at all. The write stops (and nothing is left behind) when
// ctx is cancelled.
func writeAtomic(ctx context.Context, path string, fill func(io.Writer) error) error {
	err := tableio.WriteFileAtomic(path, func(w io.Writer) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fill(ctxWriter{ctx, w})
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %s not written", path)
		}
		return err
	}
	return nil
}

// ctxWriter fails writes once its context is cancelled.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// weightsHelp is the --weights flag's help.
const weightsHelp = "column of row weights w ≥ 0: its `NAME` or 1-based index, taken out of the features; the loss becomes Σ w·loss / Σ w (integer weights act as repeated rows; negative, NaN or all-zero weights are an error)"

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// weightedBy is ", weighted by column "w"" for a weighted table, else "".
func weightedBy(t *lsgd.Table) string {
	if t.Weights == nil {
		return ""
	}
	return fmt.Sprintf(", weighted by column %q", tableio.Clip(t.WeightName))
}
