package tableio

import (
	"fmt"
	"math"
)

// CheckWeights returns an input error naming the first row whose weight is
// negative, NaN or infinite, or saying that every weight is zero; nil for
// an unweighted table.
func (t *Table) CheckWeights() error {
	if t.Weights == nil {
		return nil
	}
	if err := t.checkWeightValues(); err != nil {
		return err
	}
	for _, w := range t.Weights {
		if w > 0 {
			return nil
		}
	}
	return &InputError{Msg: fmt.Sprintf("%s, column %q: every weight is zero", t.Label(), t.weightColumn())}
}

// checkWeightValues is CheckWeights without the all-zero check.
func (t *Table) checkWeightValues() error {
	if t.Weights == nil {
		return nil
	}
	if len(t.Weights) != t.Rows {
		return &InputError{Msg: fmt.Sprintf("%s: %d weights for %d rows", t.Label(), len(t.Weights), t.Rows)}
	}
	for i, w := range t.Weights {
		switch {
		case math.IsNaN(w) || math.IsInf(w, 0):
			return &InputError{Msg: fmt.Sprintf("%s, column %q: weight %v is not a finite number", t.Where(i), t.weightColumn(), w)}
		case w < 0:
			return &InputError{Msg: fmt.Sprintf("%s, column %q: weight %v is negative (weights must be ≥ 0)", t.Where(i), t.weightColumn(), w)}
		}
	}
	return nil
}

func (t *Table) weightColumn() string {
	if t.WeightName == "" {
		return "weight"
	}
	return Clip(t.WeightName)
}

// Weight is row i's weight: Weights[i], or 1 for an unweighted table.
func (t *Table) Weight(i int) float64 {
	if t.Weights == nil {
		return 1
	}
	return t.Weights[i]
}

// loadWeighted reads one file with the weight column opt.Weights kept
// as a feature, then moves that column into Table.Weights and checks it.
func loadWeighted(path string, opt ReadOptions) (*Table, error) {
	sel := opt.Weights
	inner := opt
	inner.Weights = ""
	if !opt.NoTarget && sel == opt.Target {
		return nil, inputErrorf("%s: the weight column %q is also the target", path, Clip(sel))
	}
	if len(opt.Features) > 0 {
		for _, f := range opt.Features {
			if f == sel {
				return nil, inputErrorf("%s: column %q is both a feature and the weight column", path, Clip(sel))
			}
		}
		inner.Features = append(append([]string(nil), opt.Features...), sel)
	}
	t, err := loadFile(path, inner)
	if err != nil {
		return nil, err
	}
	w := len(opt.Features) // the weight column: appended after the listed features
	if len(opt.Features) == 0 {
		if w, err = ioFindColumn(t.Label(), t.Names, sel, "weight", "the weights"); err != nil {
			return nil, err
		}
		if w == t.Target {
			return nil, inputErrorf("%s: the weight column %s is also the target", t.Label(), ioColumn(t.Names, w))
		}
	}
	if t.Cols-btoi(t.Target >= 0) < 2 {
		return nil, inputErrorf("%s: the weight column %s leaves no feature column", t.Label(), ioColumn(t.Names, w))
	}
	return splitWeights(t, w)
}

// splitWeights returns t without column w, whose values become the
// weights (checked row by row, naming the file, row and column).
func splitWeights(t *Table, w int) (*Table, error) {
	weights := t.Column(w)
	keep := make([]int, 0, t.Cols-1)
	for j := 0; j < t.Cols; j++ {
		if j != w {
			keep = append(keep, j)
		}
	}
	target := t.Target
	if target > w {
		target--
	}
	name := t.Names[w]
	p := ioProject(t, keep, target)
	p.Weights, p.WeightName, p.WeightAt = weights, name, w
	if err := p.checkWeightValues(); err != nil {
		return nil, err
	}
	return p, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
