package compare

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lsgd/lsgd/tableio"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// PlotLoss writes a PNG (or SVG/PDF, by path's extension) of a training
// loss curve: loss against iteration, on a log scale when every loss is
// positive.
func PlotLoss(path string, iters []int, loss []float64, title string) error {
	if len(iters) != len(loss) {
		return fmt.Errorf("compare: PlotLoss: %d iterations but %d losses", len(iters), len(loss))
	}
	if len(loss) == 0 {
		return fmt.Errorf("compare: PlotLoss: no points to plot")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "iteration"
	p.Y.Label.Text = "loss (MSE + penalty)"
	xys := make(plotter.XYs, 0, len(loss))
	positive := true
	for i, v := range loss {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		positive = positive && v > 0
		xys = append(xys, plotter.XY{X: float64(iters[i]), Y: v})
	}
	if len(xys) == 0 {
		return fmt.Errorf("compare: PlotLoss: no finite losses")
	}
	if positive {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Label.Text += " (log scale)"
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = plotutil.Color(0)
	l.Width = vg.Points(1.5)
	p.Add(l, plotter.NewGrid())
	return save(p, 16*vg.Centimeter, 10*vg.Centimeter, path)
}

// PlotBench writes a plot of gradient throughput (GB/s, one pass over the
// table) against table size, one line per backend, precision and feature
// count, beside a dashed line per backend at the median read bandwidth
// probed in the same run.
func PlotBench(path string, results []BenchResult) error {
	if len(results) == 0 {
		return fmt.Errorf("compare: PlotBench: no results")
	}
	type key struct {
		backend, precision string
		features           int
	}
	series := map[key]plotter.XYs{}
	var keys []key
	bw := map[string][]float64{}
	var bwKeys []string
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, r := range results {
		k := key{r.Backend, r.Precision, r.Features}
		if _, ok := series[k]; !ok {
			keys = append(keys, k)
		}
		x := float64(r.Bytes) / 1e6
		series[k] = append(series[k], plotter.XY{X: x, Y: r.GBps})
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		if r.ReadGBps != nil {
			name := r.Backend
			if r.Software {
				name += " (software)"
			}
			if _, ok := bw[name]; !ok {
				bwKeys = append(bwKeys, name)
			}
			bw[name] = append(bw[name], *r.ReadGBps)
		}
	}
	p := plot.New()
	p.Title.Text = "lsgd full-batch gradient throughput"
	devices := map[string]bool{}
	for _, r := range results {
		if !devices[r.Device] {
			devices[r.Device] = true
			p.Title.Text += "\n" + r.Device
			if r.Software {
				p.Title.Text += " (SOFTWARE renderer: CPU figures)"
			}
		}
	}
	p.X.Label.Text = "table size (MB, log scale)"
	p.Y.Label.Text = "GB/s (table bytes / pass time)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min = 0 // the lines end high for tables in cache; the legend sits low
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	for i, k := range keys {
		xys := series[k]
		sort.Slice(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		l.Color, s.Color = plotutil.Color(i), plotutil.Color(i)
		s.Shape = plotutil.Shape(i)
		p.Add(l, s)
		p.Legend.Add(fmt.Sprintf("%s %s, %d features", k.backend, k.precision, k.features), l, s)
	}
	if minX == maxX {
		minX, maxX = minX/2, maxX*2
	}
	for i, name := range bwKeys {
		v := median(bw[name])
		l, err := plotter.NewLine(plotter.XYs{{X: minX, Y: v}, {X: maxX, Y: v}})
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(len(keys) + i)
		l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s read bandwidth %.1f GB/s (probe, median)", name, v), l)
	}
	return save(p, 20*vg.Centimeter, 13*vg.Centimeter, path)
}

// save writes the plot to path atomically, in the format its extension
// names (png, svg, pdf, …).
func save(p *plot.Plot, w, h vg.Length, path string) error {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	wt, err := p.WriterTo(w, h, ext)
	if err != nil {
		return err
	}
	return tableio.WriteFileAtomic(path, func(out io.Writer) error {
		_, err := wt.WriteTo(out)
		return err
	})
}
