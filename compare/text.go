package compare

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText writes the report as a human-readable table: the problem, the
// checks (value against tolerance), each path's throughput, and the notes.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	p := r.Problem
	ew.printf("problem: %s, %d rows × %d features (%s data), cond κ = %.4g (exact, standardized Hessian)\n",
		p.Source, p.Rows, p.Features, p.Precision, p.Cond)
	tw := tabwriter.NewWriter(ew, 2, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "check\tvalue\ttolerance\tmargin\tresult\n")
	for _, c := range r.Checks {
		res := "ok"
		if !c.Pass {
			res = "FAIL"
		}
		margin := "-"
		if c.Value > 0 && c.Pass {
			margin = fmt.Sprintf("%.2gx", c.Tolerance/c.Value)
		}
		fmt.Fprintf(tw, "%s\t%.3g\t%.3g\t%s\t%s\n", c.Name, c.Value, c.Tolerance, margin, res)
	}
	tw.Flush()
	if r.Agree {
		ew.printf("agree: yes, every check passed\n")
	} else {
		ew.printf("agree: NO (%d of %d checks failed)\n", r.failed(), len(r.Checks))
	}
	ew.printf("\nthroughput (one full-batch gradient pass, median; GL timer query where the device has one, wall clock in brackets;\n"+
		"bandwidth probe in this run: host %.1f GB/s; oth%% = CPU other processes used meanwhile, %% of a core;\n"+
		"fit = lsgd.Fit with default options)\n", r.ReadGBps)
	tw = tabwriter.NewWriter(ew, 2, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "path\tprecision\tgradient\t(wall)\trows/s\tGB/s\tof bandwidth\toth%%\tupload\tepoch\tfit\tpasses\tdevice\n")
	for _, pr := range []struct {
		name string
		p    *PathReport
	}{{"cpu", r.CPU}, {"gpu", r.GPU}} {
		if pr.p == nil {
			continue
		}
		q := pr.p
		frac := "unknown"
		if q.FractionOfBandwidth != nil {
			frac = fmt.Sprintf("%.0f%%", 100**q.FractionOfBandwidth)
		}
		dev := q.Device
		if q.Software {
			dev += " [SOFTWARE renderer]"
		}
		wall := "(same)"
		if q.TimerSeconds != nil {
			wall = "(" + dur(q.WallSeconds) + ")"
		}
		oth := "-"
		if q.OtherCPUPercent != nil {
			oth = fmt.Sprintf("%.0f", *q.OtherCPUPercent)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3g\t%.2f\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n", pr.name, q.Precision,
			dur(q.Seconds), wall, q.RowsPerSecond, q.GBps, frac, oth, dur(q.UploadSeconds), dur(q.EpochSeconds),
			dur(q.FitSeconds), q.FitPasses, dev)
	}
	tw.Flush()
	if r.CPU != nil && r.GPU != nil && r.GPU.Seconds > 0 {
		ew.printf("gpu/cpu speed-up: gradient pass %.2fx, whole fit %.2fx\n", r.CPU.Seconds/r.GPU.Seconds,
			r.CPU.FitSeconds/r.GPU.FitSeconds)
	}
	for _, n := range r.Notes {
		ew.printf("note: %s\n", n)
	}
	return ew.err
}

func (r *Report) failed() int {
	n := 0
	for _, c := range r.Checks {
		if !c.Pass {
			n++
		}
	}
	return n
}

// dur formats seconds with a unit that keeps three digits.
func dur(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 1e-3:
		return fmt.Sprintf("%.3gµs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.3gms", s*1e3)
	}
	return fmt.Sprintf("%.3gs", s)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
