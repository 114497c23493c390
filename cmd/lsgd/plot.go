package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare"
)

// plotLoss draws the loss history to a PNG file, atomically: the plot is
// drawn to a temporary file beside path (named like lsgd.WriteFileAtomic's)
// and renamed over it; a symbolic link at path is written through. On any
// failure, a panic in the plotting library included, the temporary file is
// removed and path is left as it was.
func plotLoss(path string, iters []int, loss []float64, title string) (err error) {
	target := path
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	if st, err := os.Stat(target); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	lsgd.RemoveStaleTemp(target)
	tmp, untrack := lsgd.TempName(target, filepath.Ext(path))
	defer untrack()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the plotting library failed: %v", r)
		}
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if len(loss) == 0 {
		return fmt.Errorf("no loss history to draw (the fit stopped at its first check)")
	}
	if err := compare.PlotLoss(tmp, iters, loss, title); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, target)
}
