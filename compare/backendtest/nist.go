package backendtest

import (
	"context"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare"
)

// TestNISTFits is the NIST part of the conformance suite for backend b:
// every fit either says it did not converge or is within its certified
// tolerance of NIST's certified values, and in float64 GD reaches LRE ≥ 6
// on Norris, NoInt1 and NoInt2. The ill-conditioned sets (Filip, Wampler)
// must not claim convergence.
func TestNISTFits(t *testing.T, dir string, b lsgd.Backend) {
	rep, err := compare.NIST(context.Background(), dir, []lsgd.Backend{b})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rep.Rows {
		f := row.Fits[0]
		t.Logf("%-9s LRE %5.2f converged %-5v %s (cond %.2g, gap %.2g)", row.Name, f.LRE, f.Converged, f.Reason, f.Cond, f.GapBound)
		if !f.Honest {
			t.Errorf("%s: claims convergence but %s", row.Name, f.Worst)
		}
		if need := compare.GDLRERequired(row.Name, b.Precision()); f.LRE < need {
			t.Errorf("%s: GD LRE %.2f < %g (%s)", row.Name, f.LRE, need, f.Error)
		}
		if (row.Name == "Filip" || strings.HasPrefix(row.Name, "Wampler")) && f.Converged &&
			f.RelErr > 1e-6 {
			t.Errorf("%s: ill-conditioned set reported converged with rel err %.3g", row.Name, f.RelErr)
		}
	}
}
