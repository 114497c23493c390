package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// --gpu-memory below the table's size streams it through the device: the
// fit says so (note and JSON) and stays within the bounds it certifies
// of the exact solution.
func TestGPUMemoryFlag(t *testing.T) {
	dir := t.TempDir()
	env := os.Environ()
	dev := decodeOne(t, lsgdEnv(t, dir, env, "devices", "--json"))
	if g, _ := dev["gpu"].(map[string]any); g == nil || g["ok"] != true {
		if os.Getenv("LSGD_REQUIRE_GPU") == "1" {
			t.Fatalf("LSGD_REQUIRE_GPU=1 but no GL 4.3 compute context")
		}
		t.Skip("no GL 4.3 compute context")
	}
	rng := rand.New(rand.NewPCG(8, 8))
	var b strings.Builder
	b.WriteString("x1,x2,x3,y\n")
	for i := 0; i < 5003; i++ {
		x1, x2, x3 := rng.NormFloat64(), 3+rng.NormFloat64(), rng.NormFloat64()
		fmt.Fprintf(&b, "%v,%v,%v,%v\n", x1, x2, x3, 1+0.5*x1-2*x2+x3+0.01*rng.NormFloat64())
	}
	writeFile(t, dir, "s.csv", []byte(b.String()))
	r := lsgdEnv(t, dir, env, "train", "--backend", "gpu", "--data", "s.csv", "--gpu-memory", "16K", "--json")
	if r.code != 0 || !strings.Contains(r.stderr, "streamed through the device") {
		t.Fatalf("want a fit streamed through the device:\n%s", r)
	}
	res := decodeOne(t, r)
	if res["streamed"] != true {
		t.Errorf("JSON streamed = %v, want true", res["streamed"])
	}
	exact, _ := solveJSON(t, dir, "--data", "s.csv")
	coef, bound := floats(t, res, "coef"), floats(t, res, "coef_bound")
	for k := range exact {
		if math.Abs(coef[k]-exact[k]) > bound[k] {
			t.Errorf("coef[%d] = %.9g; exact %.9g, outside the certified ±%.2g", k, coef[k], exact[k], bound[k])
		}
	}
}
