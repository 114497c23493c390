package compare

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// NISTSets are the eleven NIST StRD linear least-squares datasets, in order
// of difficulty.
var NISTSets = []string{"Norris", "Pontius", "NoInt1", "NoInt2", "Filip", "Longley",
	"Wampler1", "Wampler2", "Wampler3", "Wampler4", "Wampler5"}

// SolveLRERequired is the least log relative error every coefficient of the
// exact solve must reach on each dataset.
func SolveLRERequired(name string) float64 {
	switch name {
	case "Norris", "NoInt1", "NoInt2", "Pontius", "Longley":
		return 10
	case "Wampler5":
		return 5
	}
	return 7 // Filip, Wampler1–4
}

// GDLRERequired is the least LRE gradient descent in float64 must reach
// (0: none required; the fit must then only be honest about its accuracy).
func GDLRERequired(name string, p lsgd.Precision) float64 {
	if p != lsgd.F64 {
		return 0
	}
	switch name {
	case "Norris", "NoInt1", "NoInt2":
		return 6
	}
	return 0
}

// NISTFit is one gradient-descent fit of a NIST dataset.
type NISTFit struct {
	Backend    string  `json:"backend"`
	Device     string  `json:"device"`
	Precision  string  `json:"precision"`
	LRE        float64 `json:"lre"` // least LRE over the coefficients
	Converged  bool    `json:"converged"`
	Reason     string  `json:"reason"`
	Iterations int     `json:"iterations"`
	Cond       float64 `json:"cond"`
	GapBound   float64 `json:"gap_bound"`
	RelErr     float64 `json:"rel_err"` // ‖θ−θ_cert‖/‖θ_cert‖
	Tolerance  float64 `json:"tolerance"`
	// Honest: a fit that says it converged is within its certified tolerance.
	Honest bool   `json:"honest"`
	Worst  string `json:"worst,omitempty"` // the coefficient outside its bound, if any
	Error  string `json:"error,omitempty"`
}

// NISTRow is one dataset's results.
type NISTRow struct {
	Name        string    `json:"name"`
	Rows        int       `json:"rows"`
	Params      int       `json:"params"`
	SolveLRE    float64   `json:"solve_lre"`
	SolveLREs   []float64 `json:"solve_lres"`
	SolveNeed   float64   `json:"solve_required"`
	SolveCond   float64   `json:"solve_cond"`
	Fits        []NISTFit `json:"fits"`
	GDNeed      float64   `json:"gd_required"`
	Pass        bool      `json:"pass"`
	SolveError  string    `json:"solve_error,omitempty"`
	Description string    `json:"-"`
}

// NISTReport is the accuracy table over the NIST datasets.
type NISTReport struct {
	Rows []NISTRow `json:"datasets"`
	Pass bool      `json:"pass"`
}

// withIntercept puts the intercept first, as NIST orders B0, B1, ….
func withIntercept(intercept bool, b0 float64, coef []float64) []float64 {
	if !intercept {
		return coef
	}
	return append([]float64{b0}, coef...)
}

// NIST solves every NIST StRD dataset in dir exactly and by gradient
// descent on each backend, and reports the LRE of every coefficient.
func NIST(ctx context.Context, dir string, backends []lsgd.Backend) (*NISTReport, error) {
	rep := &NISTReport{Pass: true}
	for _, name := range NISTSets {
		set, err := tableio.ReadNIST(filepath.Join(dir, name+".dat"))
		if err != nil {
			return nil, err
		}
		row := NISTRow{Name: name, Rows: set.Table.Rows, Params: len(set.Certified),
			SolveNeed: SolveLRERequired(name), Pass: true}
		sol, err := lsgd.Solve(set.Table, lsgd.SolveOptions{NoIntercept: !set.Intercept})
		if err != nil {
			row.SolveError, row.Pass = err.Error(), false
		} else {
			got := withIntercept(set.Intercept, sol.Intercept, sol.Coef)
			row.SolveLRE = math.Inf(1)
			for i, c := range set.Certified {
				l := lsgd.LRE(got[i], c)
				row.SolveLREs = append(row.SolveLREs, l)
				row.SolveLRE = math.Min(row.SolveLRE, l)
			}
			row.SolveCond = sol.Cond
			if row.SolveLRE < row.SolveNeed {
				row.Pass = false
			}
		}
		for _, b := range backends {
			fit := NISTFit{Backend: b.Name(), Device: b.Device(), Precision: b.Precision().String()}
			need := GDLRERequired(name, b.Precision())
			row.GDNeed = math.Max(row.GDNeed, need)
			res, err := lsgd.Fit(ctx, b, set.Table, lsgd.Options{NoIntercept: !set.Intercept})
			if err != nil {
				fit.Error = err.Error()
				// A fit may refuse (e.g. diverge); it must not lie.
				fit.Honest = true
				row.Fits = append(row.Fits, fit)
				if need > 0 {
					row.Pass = false
				}
				continue
			}
			got := withIntercept(set.Intercept, res.Intercept, res.Coef)
			fit.LRE = math.Inf(1)
			for i, c := range set.Certified {
				fit.LRE = math.Min(fit.LRE, lsgd.LRE(got[i], c))
			}
			fit.Converged, fit.Reason, fit.Iterations = res.Converged, res.Reason, res.Iterations
			fit.Cond, fit.GapBound = res.Cond, res.GapBound
			fit.RelErr = CoefError(got[1:], got[0], set.Certified[1:], set.Certified[0])
			fit.Tolerance = res.ErrorBound
			// Honest: a fit that says it converged has every coefficient
			// within its certified bound of NIST's value.
			bounds := withIntercept(set.Intercept, res.InterceptBound, res.CoefBound)
			fit.Honest = true
			for i, c := range set.Certified {
				// NIST certifies 15 significant digits: its value is
				// itself uncertain by half a unit in the 15th.
				if res.Converged && math.Abs(got[i]-c) > bounds[i]+5e-15*math.Abs(c) {
					fit.Honest = false
					fit.Worst = fmt.Sprintf("B%d = %.15g, certified %.15g, bound ±%.3g", i+boolInt(!set.Intercept), got[i], c, bounds[i])
				}
			}
			if !fit.Honest || fit.LRE < need {
				row.Pass = false
			}
			row.Fits = append(row.Fits, fit)
		}
		if !row.Pass {
			rep.Pass = false
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// WriteText prints the report as a table.
func (r *NISTReport) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "dataset\tn\tparams\tsolve LRE (need)"
	if len(r.Rows) > 0 {
		for _, f := range r.Rows[0].Fits {
			head += fmt.Sprintf("\tGD %s/%s LRE\tstatus", f.Backend, f.Precision)
		}
	}
	fmt.Fprintln(tw, head+"\tpass")
	for _, row := range r.Rows {
		line := fmt.Sprintf("%s\t%d\t%d\t%s", row.Name, row.Rows, row.Params, lreCell(row.SolveLRE, row.SolveNeed, row.SolveError))
		for _, f := range row.Fits {
			status := "converged"
			switch {
			case f.Error != "":
				status = "error: " + firstLine(f.Error)
			case !f.Converged:
				status = "not converged: " + f.Reason
			}
			if !f.Honest {
				status += " (DISHONEST)"
			}
			line += fmt.Sprintf("\t%s\t%s", lreCell(f.LRE, GDLRERequired(row.Name, lsgd.F64)*boolf(f.Precision == "f64"), f.Error), status)
		}
		fmt.Fprintf(tw, "%s\t%v\n", line, row.Pass)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nLRE = −log10(|got − certified| / |certified|), the least over the coefficients (15 = every digit).\n")
	if r.Pass {
		fmt.Fprintln(w, "all datasets pass")
	} else {
		fmt.Fprintln(w, "SOME DATASETS FAIL")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func lreCell(l, need float64, err string) string {
	if err != "" {
		return "—"
	}
	if need > 0 {
		return fmt.Sprintf("%.1f (≥%g)", l, need)
	}
	return fmt.Sprintf("%.1f", l)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
