package lsgd

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/lsgd/lsgd/tableio"
)

// ModelFormat identifies a saved Model.
const ModelFormat = "lsgd-model/1"

// Model is a fitted linear model on the original scale of the data:
//
//	prediction = Intercept + Σ_k Coef[k]·x[Features[k]]
//
// with how it was fitted and what the fit certified in Provenance. Result
// and Solution return one (their Model methods); the command saves it as
// JSON ("lsgd train --model-out") and reads the same form back ("lsgd
// predict --model", ReadModel).
type Model struct {
	Format     string     `json:"format"` // ModelFormat
	Linear                // features, coefficients, intercept
	Target     string     `json:"target"`
	Provenance Provenance `json:"provenance"`
	// Columns names the training data's columns in the order read, the
	// target among them at TargetColumn (0-based): predict takes an .npy
	// file's features by these positions. Absent in older model files.
	Columns      []string `json:"columns,omitempty"`
	TargetColumn *int     `json:"target_column,omitempty"`
	// Weights names the column of row weights the model was fitted with,
	// at WeightColumn among Columns: not a feature, skipped by predict.
	Weights      string `json:"weights,omitempty"`
	WeightColumn *int   `json:"weight_column,omitempty"`
	Family       string `json:"family,omitempty"` // "binomial": logistic regression, the prediction above is the log-odds, P(y = 1) its Sigmoid; "" or "gaussian": least squares
}

// Linear is a linear model on the original scale of the data:
//
//	prediction = Intercept + Σ_k Coef[k]·x[Features[k]]
//
// Model, Result, Solution and Truth all hold one, and so all predict.
type Linear struct {
	Features  []string  `json:"features"`
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
}

// Provenance records how a model was fitted and what the fit certified.
type Provenance struct {
	Data       string   `json:"data"` // the training data file
	Rows       int      `json:"rows"`
	Fit        string   `json:"fit"` // "train" (gradient descent) or "solve" (exact QR)
	Optimizer  string   `json:"optimizer,omitempty"`
	LR         float64  `json:"lr,omitempty"`
	L2         float64  `json:"l2"`
	L1         float64  `json:"l1,omitempty"`
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
	Accuracy   float64  `json:"accuracy,omitempty"` // binomial: the fit's accuracy, log-loss and AUC (see Result)
	LogLoss    float64  `json:"log_loss,omitempty"`
	AUC        float64  `json:"auc,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
	Created    string   `json:"created"`
	Version    string   `json:"lsgd_version,omitempty"`
}

// Model returns the fitted model of a Fit on table t, with the fit's
// certificate in its provenance (the caller adds the data file's name,
// the L2 weight and the creation time when it saves it).
func (r *Result) Model(t *Table) *Model {
	return (&Model{
		Format: ModelFormat, Linear: r.Linear, Target: t.Name(t.Target),
		Provenance: Provenance{
			Data: t.Source, Rows: t.Rows, Fit: "train", Optimizer: r.Optimizer, LR: r.LR,
			Intercept: r.Intercepted, Backend: r.Backend, Device: r.Device, Precision: r.Precision,
			Iterations: r.Iterations, Converged: r.Converged, Reason: r.Reason, GapBound: r.GapBound,
			MSE: r.MSE, R2: r.R2, Warnings: r.Warnings,
			Accuracy: r.ClassAccuracy, LogLoss: r.LogLoss, AUC: r.AUC,
		},
		Family: r.Family,
	}).recordColumns(t)
}

// Model returns the exact solution on table t as a Model.
func (s *Solution) Model(t *Table) *Model {
	return (&Model{
		Format: ModelFormat, Linear: s.Linear, Target: t.Name(t.Target),
		Provenance: Provenance{Data: t.Source, Rows: t.Rows, Fit: "solve", Precision: "f64", Converged: true,
			Reason: "exact (" + s.Method + ")", MSE: s.MSE, R2: s.R2},
	}).recordColumns(t)
}

// recordColumns stores t's column names and target position in m.
func (m *Model) recordColumns(t *Table) *Model {
	m.Columns = make([]string, t.Cols)
	for j := range m.Columns {
		m.Columns[j] = t.Name(j)
	}
	tg := t.Target
	if t.WeightName != "" && t.WeightAt >= 0 && t.WeightAt <= t.Cols {
		w := t.WeightAt
		m.Columns = append(m.Columns[:w], append([]string{t.WeightName}, m.Columns[w:]...)...)
		if tg >= w {
			tg++
		}
		m.Weights, m.WeightColumn = t.WeightName, &w
	}
	m.TargetColumn = &tg
	return m
}

// Predict returns Intercept + Σ_k Coef[k]·x[k] for every row x of x, whose
// entries are the model's features in order. It panics when a row's length
// is not len(Features).
func (m *Linear) Predict(x [][]float64) []float64 {
	out := make([]float64, len(x))
	for i, row := range x {
		if len(row) != len(m.Coef) {
			panic(fmt.Sprintf("lsgd: Predict: row %d has %d values, the model %d features", i, len(row), len(m.Coef)))
		}
		s := m.Intercept
		for k, v := range row {
			s += m.Coef[k] * v
		}
		out[i] = s
	}
	return out
}

// PredictTable returns the prediction for every row of t, taking feature
// k from column cols[k] (nil: the table's feature columns in order, the
// target skipped). It is the host path of prediction, in float64.
func (m *Linear) PredictTable(t *Table, cols []int) []float64 {
	if cols == nil {
		cols = t.Features()
	}
	out := make([]float64, t.Rows)
	for i := range out {
		s := m.Intercept
		for k, j := range cols {
			s += m.Coef[k] * t.At(i, j)
		}
		out[i] = s
	}
	return out
}

// ReadModel reads and checks a saved model: its format, one coefficient
// per feature, no feature named twice, finite numbers. Errors are
// *InputError values naming the file.
func ReadModel(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, inputErrorf("%s: not an lsgd model (JSON): %v", path, err)
	}
	if err := m.check(); err != nil {
		return nil, inputErrorf("%s: %v", path, err)
	}
	// A null number (how a NaN or an infinity was once written) would
	// decode as 0 and predict 0 for every row.
	var raw struct {
		Coef      []*float64      `json:"coef"`
		Intercept json.RawMessage `json:"intercept"`
	}
	if json.Unmarshal(b, &raw) == nil {
		for k, c := range raw.Coef {
			if c == nil && k < len(m.Features) {
				return nil, inputErrorf("%s: the coefficient of %q is null (not a number): fit the model again", path, tableio.Clip(m.Features[k]))
			}
		}
		if string(raw.Intercept) == "null" {
			return nil, inputErrorf("%s: the intercept is null (not a number): fit the model again", path)
		}
	}
	return &m, nil
}

func (m *Model) check() error {
	switch {
	case m.Format != ModelFormat:
		return fmt.Errorf("not an lsgd model: format %q, want %q", tableio.Clip(m.Format), ModelFormat)
	case len(m.Features) == 0:
		return fmt.Errorf("model has no features")
	case len(m.Coef) != len(m.Features):
		return fmt.Errorf("model has %d features but %d coefficients", len(m.Features), len(m.Coef))
	case m.Family != "" && m.Family != string(Gaussian) && m.Family != string(Binomial):
		return fmt.Errorf("model family %q is not gaussian or binomial", m.Family)
	}
	seen := map[string]bool{}
	for _, f := range m.Features {
		if seen[f] {
			return fmt.Errorf("model names feature %q twice", tableio.Clip(f))
		}
		seen[f] = true
	}
	for k, c := range m.Coef {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("coefficient of %q is not finite", tableio.Clip(m.Features[k]))
		}
	}
	if math.IsNaN(m.Intercept) || math.IsInf(m.Intercept, 0) {
		return fmt.Errorf("intercept is not finite")
	}
	if m.Columns != nil || m.TargetColumn != nil {
		extra := 1
		if w := m.WeightColumn; w != nil {
			extra = 2
			if *w < 0 || *w >= len(m.Columns) || m.TargetColumn != nil && *w == *m.TargetColumn {
				return fmt.Errorf("model's weight column position %d is not a column of its own", *w)
			}
		}
		if m.TargetColumn == nil || len(m.Columns) != len(m.Features)+extra || *m.TargetColumn < 0 || *m.TargetColumn >= len(m.Columns) {
			return fmt.Errorf("model's columns (%d) and target position do not match its %d features", len(m.Columns), len(m.Features))
		}
	}
	return nil
}
