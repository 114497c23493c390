package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lsgd/lsgd"
)

// marshalJSON writes non-finite numbers as null and keeps the embedded
// struct's fields first, the outer ones after, the outer winning a clash.
func TestMarshalJSON(t *testing.T) {
	type inner struct {
		A    float64   `json:"a"`
		B    []float64 `json:"b"`
		Same string    `json:"same"`
		Skip int       `json:"-"`
		Omit []string  `json:"omit,omitempty"`
	}
	type outer struct {
		*inner
		Same string  `json:"same"`
		C    float64 `json:"c"`
	}
	b, err := marshalJSON(outer{inner: &inner{A: math.Inf(1), B: []float64{1, math.NaN(), -2}, Same: "in", Skip: 3}, Same: "out", C: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		t.Fatal(err)
	}
	want := `{"a":null,"b":[1,null,-2],"same":"out","c":0.5}`
	if compact.String() != want {
		t.Errorf("got %s; want %s", compact.String(), want)
	}
	// A whole Result with an infinite condition number still encodes.
	res := &lsgd.Result{Linear: lsgd.Linear{Coef: []float64{1}}, Cond: math.Inf(1), MSE: math.NaN()}
	b, err = marshalJSON(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if v, ok := m["cond"]; !ok || v != nil {
		t.Errorf("cond = %v (present %v); want null", v, ok)
	}
}

// The progress bar stays silent for a second, then draws one line that it
// can erase.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressBar(&buf, 1e-8)
	pr := lsgd.Progress{Iteration: 10, Epoch: 10, MaxEpochs: 1000, Loss: 1, Gap: 1e-2}
	p.update(pr)
	if buf.Len() != 0 {
		t.Fatalf("drew %q before the delay", buf.String())
	}
	p.start = p.start.Add(-2 * time.Second)
	pr.Iteration, pr.Epoch, pr.Gap = 20, 20, 1e-5 // half way on a log scale from 1e-2 to 1e-8
	p.update(pr)
	out := buf.String()
	if !strings.HasPrefix(out, "\r") || !strings.Contains(out, " 50%") || strings.Contains(out, "\n") {
		t.Errorf("bar = %q; want one carriage-returned line at 50%%", out)
	}
	buf.Reset()
	p.clear()
	if buf.String() != "\r\x1b[K" {
		t.Errorf("clear wrote %q", buf.String())
	}
}

// Errors map to exit statuses: input 2, interrupted 130, others 1.
func TestExitCode(t *testing.T) {
	bg := t.Context()
	cases := []struct {
		err  error
		want int
	}{
		{&lsgd.InputError{Msg: "x"}, 2},
		{&lsgd.RankError{Columns: []string{"a", "b"}}, 2},
		{&usageError{msg: "x"}, 2},
		{&lsgd.DivergedError{}, 1},
		{errChecksFailed, 1},
		{errNISTFailed, 1},
	}
	for _, c := range cases {
		if got := exitCode(c.err, bg); got != c.want {
			t.Errorf("exitCode(%T) = %d; want %d", c.err, got, c.want)
		}
	}
	if got := errorMessage(&lsgd.DivergedError{Method: "gd"}); !strings.HasPrefix(got, "lsgd: gd diverged") {
		t.Errorf("message %q; want one lsgd: prefix", got)
	}
}
