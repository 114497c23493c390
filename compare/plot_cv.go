package compare

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PlotCV writes a plot (PNG, SVG or PDF by path's extension) of a
// cross-validation curve: the mean held-out MSE against λ (log scale),
// with error bars of one standard error, and dashed vertical lines at
// λ_min and λ_1se.
func PlotCV(path string, lambdas, mse, se []float64, lambdaMin, lambda1SE float64, title string) error {
	if len(lambdas) != len(mse) || len(lambdas) != len(se) {
		return fmt.Errorf("compare: PlotCV: %d λ, %d MSE, %d SE", len(lambdas), len(mse), len(se))
	}
	type errPts struct {
		plotter.XYs
		plotter.YErrors
	}
	var pts errPts
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, l := range lambdas {
		if !(l > 0) || math.IsNaN(mse[i]) || math.IsInf(mse[i], 0) {
			continue
		}
		pts.XYs = append(pts.XYs, plotter.XY{X: l, Y: mse[i]})
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{se[i], se[i]})
		lo, hi = math.Min(lo, mse[i]-se[i]), math.Max(hi, mse[i]+se[i])
	}
	if len(pts.XYs) == 0 {
		return fmt.Errorf("compare: PlotCV: no finite points")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "λ (log scale)"
	p.Y.Label.Text = "held-out MSE (mean over folds ± 1 SE)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	bars, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return err
	}
	bars.Color = plotutil.Color(1)
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.Color = plotutil.Color(0)
	sc.Shape = draw.CircleGlyph{}
	sc.Radius = vg.Points(2)
	p.Add(plotter.NewGrid(), bars, sc)
	for k, l := range []float64{lambdaMin, lambda1SE} {
		if !(l > 0) {
			continue
		}
		v, err := plotter.NewLine(plotter.XYs{{X: l, Y: lo}, {X: l, Y: hi}})
		if err != nil {
			return err
		}
		v.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		v.Color = plotutil.Color(2 + k)
		p.Add(v)
		p.Legend.Add([]string{"λ_min", "λ_1se"}[k], v)
	}
	p.Legend.Top = true
	return save(p, 16*vg.Centimeter, 10*vg.Centimeter, path)
}
