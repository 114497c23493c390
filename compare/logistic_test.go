package compare

import (
	"context"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

func binomialConfig(gpu lsgd.Backend) Config {
	return Config{Rows: 20001, Features: 9, Seed: 3, Threads: 2, Reps: 2, GPU: gpu, ProbeBytes: testProbe}
}

// TestRunBinomialAgrees: the float32 fast CPU path (and, standing in for
// the GPU, the portable float32 kernel) agree with the reference on a
// logistic problem.
func TestRunBinomialAgrees(t *testing.T) {
	rep, err := RunBinomial(context.Background(), binomialConfig(cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 3, Portable: true})))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		t.Logf("%s: %.3g (tolerance %.3g)", c.Name, c.Value, c.Tolerance)
	}
	if !rep.Agree || len(rep.Checks) != 10 {
		t.Errorf("agree %v with %d checks; want true with 10", rep.Agree, len(rep.Checks))
	}
}

// TestRunBinomialDetectsBias: a gradient component biased by 0.01 makes
// the gradient check fail, and the fit, whose Newton steps then stall,
// certifies nothing: that path fails, the other passes.
func TestRunBinomialDetectsBias(t *testing.T) {
	gpu := &broken{Backend: cpu.New(cpu.Options{Precision: lsgd.F32, Threads: 2}),
		grad: func(g []float64) { g[1] += 0.01 }}
	rep, err := RunBinomial(context.Background(), binomialConfig(gpu))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Agree {
		t.Fatal("agree = true with a biased gradient")
	}
	for _, name := range []string{"gpu binomial gradient", "gpu fit certified"} {
		if c := checkByName(t, rep, name); c.Pass {
			t.Errorf("%s passed (value %.3g, tolerance %.3g); want a failure", name, c.Value, c.Tolerance)
		}
	}
	for _, c := range rep.Checks {
		if c.Path == "cpu" && !c.Pass {
			t.Errorf("%s failed; the cpu path is not broken", c.Name)
		}
	}
}
