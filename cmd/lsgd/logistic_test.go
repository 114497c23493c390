package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestBinomialTrainPredict: train --family binomial on a logistic data set
// drawn here, checked by the optimality condition computed independently
// (the log-likelihood's gradient Σ(σ(z) − y)·x/n vanishes at the
// reported coefficients), the JSON fields in place of MSE and R², and
// predict's probabilities and classes against σ(b + x·coef) formed here.
func TestBinomialTrainPredict(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 3))
	var buf bytes.Buffer
	buf.WriteString("u,v,label\n")
	n := 1501
	x := make([][2]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = [2]float64{rng.NormFloat64(), 50 + 10*rng.NormFloat64()}
		z := 0.5 + 1.5*x[i][0] - 0.1*(x[i][1]-50)
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
		fmt.Fprintf(&buf, "%.17g,%.17g,%g\n", x[i][0], x[i][1], y[i])
	}
	writeFile(t, dir, "d.csv", buf.Bytes())
	r := cli(t, dir, "train", "--data", "d.csv", "--family", "binomial", "--backend", "cpu", "--json", "--model-out", "m.json")
	if r.code != 0 {
		t.Fatalf("train: %s", r)
	}
	res := decodeOne(t, r)
	requireKeys(t, res, "family", "accuracy", "log_loss", "auc", "coef", "intercept", "converged", "error_bound")
	if res["family"] != "binomial" || res["mse"] != nil || res["r2"] != nil {
		t.Errorf("family %v, mse %v, r2 %v; want binomial, null, null", res["family"], res["mse"], res["r2"])
	}
	if c, _ := res["converged"].(bool); !c {
		t.Errorf("not converged: %v", res["reason"])
	}
	coef, b := floats(t, res, "coef"), number(t, res, "intercept")
	var g [3]float64
	loss, right := 0.0, 0
	for i := range x {
		z := b + coef[0]*x[i][0] + coef[1]*x[i][1]
		p := 1 / (1 + math.Exp(-z))
		g[0] += (p - y[i]) * x[i][0] / float64(n)
		g[1] += (p - y[i]) * x[i][1] / float64(n)
		g[2] += (p - y[i]) / float64(n)
		loss -= (y[i]*math.Log(p) + (1-y[i])*math.Log(1-p)) / float64(n)
		if (p >= 0.5) == (y[i] == 1) {
			right++
		}
	}
	for j, v := range g {
		if math.Abs(v) > 1e-7 {
			t.Errorf("log-likelihood gradient[%d] = %.3g at the reported coefficients; want 0 ± 1e-7", j, v)
		}
	}
	if ll := number(t, res, "log_loss"); math.Abs(ll-loss) > 1e-9 {
		t.Errorf("log_loss %.12g; computed here %.12g", ll, loss)
	}
	if acc := number(t, res, "accuracy"); acc != float64(right)/float64(n) {
		t.Errorf("accuracy %v; computed here %v", acc, float64(right)/float64(n))
	}
	if auc := number(t, res, "auc"); !(auc > 0.5 && auc < 1) {
		t.Errorf("auc %v; want in (0.5, 1)", auc)
	}

	p := cli(t, dir, "predict", "--model", "m.json", "--data", "d.csv")
	c := cli(t, dir, "predict", "--model", "m.json", "--data", "d.csv", "--classes")
	if p.code != 0 || c.code != 0 {
		t.Fatalf("predict: %s\n%s", p, c)
	}
	probs, classes := lines(p.stdout), lines(c.stdout)
	if len(probs) != n || len(classes) != n {
		t.Fatalf("predict printed %d and %d lines; want %d", len(probs), len(classes), n)
	}
	for i := range x {
		z := b + coef[0]*x[i][0] + coef[1]*x[i][1]
		want := 1 / (1 + math.Exp(-z))
		got, err := strconv.ParseFloat(probs[i], 64)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Fatalf("probability %d = %s; want %.17g", i+1, probs[i], want)
		}
		wc := "0"
		if z >= 0 {
			wc = "1"
		}
		if classes[i] != wc {
			t.Fatalf("class %d = %s; want %s (z = %g)", i+1, classes[i], wc, z)
		}
	}
}

// TestBinomialBadInput: a label other than 0/1 names its line and column
// (exit 2); separable classes say so and suggest --l2; an unknown family,
// --verify with binomial and --classes on a least-squares model are usage
// errors.
func TestBinomialBadInput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bad.csv", []byte("x,y\n1,0\n2,1\n3,2\n4,0\n"))
	r := cli(t, dir, "train", "--data", "bad.csv", "--family", "binomial", "--backend", "cpu")
	if r.code != 2 || !strings.Contains(r.stderr, "bad.csv:4") || !strings.Contains(r.stderr, `"y"`) {
		t.Errorf("label 2: want exit 2 naming bad.csv:4 and column \"y\":\n%s", r)
	}
	writeFile(t, dir, "sep.csv", []byte("x,y\n1,0\n2,0\n3,0\n4,1\n5,1\n6,1\n"))
	r = cli(t, dir, "train", "--data", "sep.csv", "--family", "binomial", "--backend", "cpu")
	if r.code != 2 || !strings.Contains(r.stderr, "separable") || !strings.Contains(r.stderr, "--l2") {
		t.Errorf("separable classes: want exit 2 saying separable, suggesting --l2:\n%s", r)
	}
	if r := cli(t, dir, "train", "--data", "sep.csv", "--family", "binomial", "--backend", "cpu", "--l2", "0.01"); r.code != 0 {
		t.Errorf("separable classes with --l2: %s", r)
	}
	for _, args := range [][]string{
		{"train", "--data", "sep.csv", "--family", "poisson"},
		{"train", "--data", "sep.csv", "--family", "binomial", "--verify"},
		{"train", "--data", "sep.csv", "--family", "binomial", "--optimizer", "adam"},
	} {
		if r := cli(t, dir, args...); r.code != 2 {
			t.Errorf("%v: want exit 2:\n%s", args, r)
		}
	}
	if r := cli(t, dir, "solve", "--data", "sep.csv", "--model-out", "ls.json"); r.code != 0 {
		t.Fatalf("solve: %s", r)
	}
	if r := cli(t, dir, "predict", "--model", "ls.json", "--data", "sep.csv", "--classes"); r.code != 2 || !strings.Contains(r.stderr, "binomial") {
		t.Errorf("--classes on a least-squares model: want exit 2 naming binomial models:\n%s", r)
	}
}
