package main

import (
	"github.com/lsgd/lsgd/compare"
)

// plotLoss draws the loss history to a PNG file, atomically.
func plotLoss(path string, iters []int, loss []float64, title string) error {
	return compare.PlotLoss(path, iters, loss, title)
}
