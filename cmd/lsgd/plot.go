package main

import (
	"fmt"

	"github.com/lsgd/lsgd/compare"
)

// plotLoss draws the loss history to a PNG file, atomically. A failure,
// a panic in the plotting library included, is an error for the caller to
// report as a warning: path is left as it was and no temporary file stays.
func plotLoss(path string, iters []int, loss []float64, title string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the plotting library failed: %v", r)
		}
	}()
	if len(loss) == 0 {
		return fmt.Errorf("no loss history to draw (the fit stopped at its first check)")
	}
	return compare.PlotLoss(path, iters, loss, title)
}
