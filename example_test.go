package lsgd_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// Fit rows of features on the CPU: the least-squares answer to the numpy
// tutorial's problem is θ = [0.1, 0.5].
func ExampleFit() {
	x := [][]float64{{1, 2}, {2, 3}, {3, 4}, {4, 5}}
	y := []float64{1, 2, 2, 3}
	t := lsgd.FromRows(x, y)
	res, err := lsgd.Fit(context.Background(), cpu.New(cpu.Options{}), t, lsgd.Options{NoIntercept: true})
	if err != nil {
		panic(err)
	}
	m := res.Model(t)
	fmt.Printf("coef %.6f, converged %v\n", m.Coef, res.Converged)
	// Output: coef [0.100000 0.500000], converged true
}

// Fit a gonum matrix exactly (QR) and predict new rows with the model.
func ExampleModel_Predict() {
	x := mat.NewDense(4, 1, []float64{0, 1, 2, 3})
	t := lsgd.FromDense(x, []float64{1, 3, 5, 7}) // y = 1 + 2x
	sol, err := lsgd.Solve(t, lsgd.SolveOptions{})
	if err != nil {
		panic(err)
	}
	m := sol.Model(t)
	fmt.Printf("%.6f\n", m.Predict([][]float64{{10}, {-1}}))
	// Output: [21.000000 -1.000000]
}
