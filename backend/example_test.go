package backend_test

import (
	"context"
	"fmt"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/backend"
)

// Fit on a hardware GPU when one answers, otherwise on the CPU; why says
// which and why (on a machine without a GPU: "no OpenGL context …", or
// "llvmpipe … is a software renderer (no GPU)").
func ExampleOpen() {
	b, why, err := backend.Open(backend.Auto, backend.F32, backend.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	_ = why // e.g. log.Printf("lsgd on %s: %s", b.Name(), why)
	x := [][]float64{{1, 2}, {2, 3}, {3, 4}, {4, 5}}
	t := lsgd.FromRows(x, []float64{1, 2, 2, 3})
	res, err := lsgd.Fit(context.Background(), b, t, lsgd.Options{NoIntercept: true})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.3f\n", res.Model(t).Coef)
	// Output: [0.100 0.500]
}
