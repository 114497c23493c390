package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"
)

// modelFormat identifies lsgd's model files.
const modelFormat = "lsgd-model/1"

// Model is the JSON file "lsgd train --model-out" writes and "lsgd
// predict --model" reads: prediction = intercept + Σ coef[k]·x[features[k]].
type Model struct {
	Format     string     `json:"format"`
	Features   []string   `json:"features"`
	Target     string     `json:"target"`
	Coef       []float64  `json:"coef"`
	Intercept  float64    `json:"intercept"`
	Provenance Provenance `json:"provenance"`
}

// Provenance records how a model was fitted.
type Provenance struct {
	Data       string   `json:"data"` // the training data file
	Rows       int      `json:"rows"`
	Fit        string   `json:"fit"` // "train" or "solve"
	Optimizer  string   `json:"optimizer,omitempty"`
	LR         float64  `json:"lr,omitempty"`
	L2         float64  `json:"l2"`
	Intercept  bool     `json:"fit_intercept"`
	Backend    string   `json:"backend"`
	Device     string   `json:"device"`
	Precision  string   `json:"precision"`
	Iterations int      `json:"iterations"`
	Converged  bool     `json:"converged"`
	Reason     string   `json:"reason"`
	GapBound   float64  `json:"gap_bound"`
	MSE        float64  `json:"mse"`
	R2         float64  `json:"r2"`
	Warnings   []string `json:"warnings,omitempty"`
	Created    string   `json:"created"`
	Version    string   `json:"lsgd_version,omitempty"`
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

// readModel reads and checks a model file.
func readModel(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &inputError{err}
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &inputError{fmt.Errorf("%s: not an lsgd model (JSON): %v", path, err)}
	}
	switch {
	case m.Format != modelFormat:
		return nil, &inputError{fmt.Errorf("%s: not an lsgd model: format %q, want %q", path, clipText(m.Format), modelFormat)}
	case len(m.Features) == 0:
		return nil, &inputError{fmt.Errorf("%s: model has no features", path)}
	case len(m.Coef) != len(m.Features):
		return nil, &inputError{fmt.Errorf("%s: model has %d features but %d coefficients", path, len(m.Features), len(m.Coef))}
	}
	seen := map[string]bool{}
	for _, f := range m.Features {
		if seen[f] {
			return nil, &inputError{fmt.Errorf("%s: model names feature %q twice", path, clipText(f))}
		}
		seen[f] = true
	}
	for k, c := range m.Coef {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, &inputError{fmt.Errorf("%s: coefficient of %q is not finite", path, clipText(m.Features[k]))}
		}
	}
	if math.IsNaN(m.Intercept) || math.IsInf(m.Intercept, 0) {
		return nil, &inputError{fmt.Errorf("%s: intercept is not finite", path)}
	}
	return &m, nil
}
