package compare_test

import (
	"context"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare"
	"github.com/lsgd/lsgd/compare/backendtest"
	"github.com/lsgd/lsgd/cpu"
)

// The exact solve reaches the LRE NIST's difficulty levels call for, on all
// eleven datasets, against NIST's certified values.
func TestNISTSolve(t *testing.T) {
	rep, err := compare.NIST(context.Background(), "../testdata/nist", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 11 {
		t.Fatalf("%d datasets; want 11", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		t.Logf("%-9s solve LRE %5.2f (need %g) cond %.3g", r.Name, r.SolveLRE, r.SolveNeed, r.SolveCond)
		if r.SolveError != "" || r.SolveLRE < r.SolveNeed {
			t.Errorf("%s: solve LRE %.2f < %g %s", r.Name, r.SolveLRE, r.SolveNeed, r.SolveError)
		}
	}
}

func TestNISTGradientDescentCPU(t *testing.T) {
	backendtest.TestNISTFits(t, "../testdata/nist", cpu.New(cpu.Options{}))
}

func TestNISTGradientDescentCPU32(t *testing.T) {
	backendtest.TestNISTFits(t, "../testdata/nist", cpu.New(cpu.Options{Precision: lsgd.F32}))
}
