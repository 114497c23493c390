package main

import (
	"os"
	"path/filepath"

	"github.com/lsgd/lsgd/compare"
)

// plotLoss draws the loss history to a PNG file, atomically: the plot is
// drawn to a temporary file beside path and renamed over it.
func plotLoss(path string, iters []int, loss []float64, title string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".lsgd-plot-*"+filepath.Ext(path))
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	if err := compare.PlotLoss(tmp, iters, loss, title); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil { // CreateTemp's 0600 is for secrets
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
