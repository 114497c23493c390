package compare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/tableio"
)

// RunBinomial is Run for the binomial family (logistic regression): on a
// synthetic logistic problem (Rows × Features with labels drawn from σ of
// a seeded linear predictor) or cfg.Data (0/1 labels), it checks each path
// against the float64 reference backend: the binomial pass's gradient and
// log-loss at a seeded point, and the whole fit (lsgd.Fit with Family
// Binomial) against the reference's certified fit; and it times the
// binomial pass.
func RunBinomial(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	b := &binomialRunner{cfg: cfg, rep: &Report{}}
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	defer b.ref.Release()
	b.rep.ReadGBps = cpu.ReadBandwidth(cfg.ProbeBytes, cfg.Threads)
	var err error
	if b.rep.CPU, err = b.path(ctx, "cpu", cfg.CPU, ptr(b.rep.ReadGBps)); err != nil {
		return nil, err
	}
	if cfg.GPU != nil {
		bw, _, note := probeFor(cfg.GPU, cfg.ProbeBytes, cfg.Threads)
		if note != "" {
			b.note("gpu: %s", note)
		}
		if b.rep.GPU, err = b.path(ctx, "gpu", cfg.GPU, bw); err != nil {
			return nil, err
		}
		if b.rep.GPU.Software {
			b.note("%s", softwareNote(cfg.GPU))
		}
	} else {
		b.note("no GPU path (%s): compared the CPU fast path with the float64 reference only", cfg.noGPUReason())
	}
	b.rep.settle()
	return b.rep, nil
}

type binomialRunner struct {
	cfg        Config
	tab        *lsgd.Table
	ref        lsgd.Data
	shift, mul []float64
	mask       []float64
	theta0     []float64
	g0         []float64
	loss0      float64
	fit        *lsgd.Result // the reference's fit
	star       []float64    // its coefficients, standardized, in table space
	traceH     float64      // (1/4n)·Σ‖x̃_i‖² ≥ λmax of the Hessian
	rep        *Report
}

func (b *binomialRunner) note(format string, args ...any) {
	b.rep.Notes = append(b.rep.Notes, fmt.Sprintf(format, args...))
}

func (b *binomialRunner) logf(format string, args ...any) {
	if b.cfg.Log != nil {
		fmt.Fprintf(b.cfg.Log, format+"\n", args...)
	}
}

// logisticTable draws rows × feats standard normal features with offsets
// and the label 1 with probability σ(0.3 + x·β), β of norm about 2.
func logisticTable(rows, feats int, seed uint64) *lsgd.Table {
	rng := rand.New(rand.NewPCG(seed, 0x6c6f676974))
	beta := make([]float64, feats)
	for j := range beta {
		beta[j] = 2 * rng.NormFloat64() / math.Sqrt(float64(feats))
	}
	t := tableio.NewTable(rows, feats+1, lsgd.F64)
	for i := 0; i < rows; i++ {
		z := 0.3
		for j := 0; j < feats; j++ {
			x := rng.NormFloat64()
			z += beta[j] * x
			t.Set(i, j, x+float64(j%5))
		}
		if rng.Float64() < lsgd.Sigmoid(z) {
			t.Set(i, feats, 1)
		}
	}
	t.Source = fmt.Sprintf("logistic %d×%d (seed %d)", rows, feats, seed)
	return t
}

func (b *binomialRunner) setup(ctx context.Context) error {
	cfg := b.cfg
	tab := cfg.Data
	if tab == nil {
		rows, feats := cfg.Rows, cfg.Features
		if rows == 0 {
			rows = 200000
		}
		if feats == 0 {
			feats = 32
		}
		b.logf("generating a logistic problem, %d×%d (seed %d)", rows, feats, cfg.Seed)
		tab = logisticTable(rows, feats, cfg.Seed)
	}
	if err := tab.Check(); err != nil {
		return &lsgd.InputError{Msg: err.Error()}
	}
	if err := lsgd.CheckLabels(tab); err != nil {
		return err
	}
	low := cfg.CPU.Precision() == lsgd.F32 || (cfg.GPU != nil && cfg.GPU.Precision() == lsgd.F32)
	if low && tab.Precision() != lsgd.F32 {
		tab = tab.Clone(lsgd.F32)
		b.note("the data were rounded to float32 so that every path and the reference read the same numbers")
	}
	b.tab = tab
	b.rep.Problem = Problem{Source: tab.Source, Rows: tab.Rows, Features: tab.Cols - 1, Seed: cfg.Seed,
		Precision: tab.Precision().String()}

	b.logf("float64 reference: the certified fit")
	var err error
	b.fit, err = lsgd.Fit(ctx, cpu.NewReference(), tab, lsgd.Options{Family: lsgd.Binomial})
	if err != nil {
		return fmt.Errorf("the reference fit: %w", err)
	}
	if !b.fit.Converged {
		b.note("the reference fit did not converge (%s): the fit checks compare with a point of bound %.3g", b.fit.Reason, b.fit.ErrorBound)
	}
	b.rep.Problem.Cond = b.fit.Cond

	ref, err := cpu.NewReference().Load(tab, false)
	if err != nil {
		return err
	}
	b.ref = ref
	mean, scale, err := ref.Moments(true)
	if err != nil {
		return err
	}
	c, tg := tab.Cols, tab.Target
	b.shift, b.mul, b.mask = make([]float64, c), make([]float64, c), make([]float64, c+1)
	for j := 0; j < c; j++ {
		b.shift[j], b.mul[j] = mean[j], 1
		if scale[j] > 0 {
			b.mul[j] = 1 / scale[j]
		}
		b.mask[j] = 1
	}
	b.shift[tg], b.mul[tg], b.mask[tg], b.mask[c] = 0, 1, 0, 1
	if err := ref.Standardize(b.shift, b.mul); err != nil {
		return err
	}
	if err := ref.SetFamily(lsgd.Binomial); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7468657461))
	b.theta0 = make([]float64, c+1)
	for j := range b.theta0 {
		if b.mask[j] != 0 {
			b.theta0[j] = rng.NormFloat64() / math.Sqrt(float64(c))
		}
	}
	if err := ref.Init(b.theta0, b.mask, make([]float64, c+1)); err != nil {
		return err
	}
	b.g0, b.loss0, err = refGradient(ref, b.theta0)
	if err != nil {
		return err
	}
	b.star = b.toStd(b.fit.Coef, b.fit.Intercept)
	for i := 0; i < tab.Rows; i++ {
		s := 1.0
		for j := 0; j < c; j++ {
			if j != tg {
				v := cpu.ReferenceValue(ref, i, j)
				s += v * v
			}
		}
		b.traceH += s
	}
	b.traceH /= 4 * float64(tab.Rows)
	return nil
}

// toStd maps coefficients on the original scale to the standardized table
// space (the label neither shifted nor scaled: θ_j = coef_j/mul_j,
// intercept b + Σ θ_j·mul_j·shift_j).
func (b *binomialRunner) toStd(coef []float64, intercept float64) []float64 {
	c := b.tab.Cols
	v := make([]float64, c+1)
	a := 0
	v[c] = intercept
	for j := 0; j < c; j++ {
		if j == b.tab.Target {
			continue
		}
		v[j] = coef[a] / b.mul[j]
		v[c] += v[j] * b.mul[j] * b.shift[j]
		a++
	}
	return v
}

// bounds returns the bound on a computed binomial gradient's error (its
// norm) and on the computed loss's, at v: with M_ij = |x̃_ij| +
// |shift_j·mul_j| and S_i = Σ_k M_ik|v_k|, z_i is off by at most γ̃_p·S_i,
// σ(z_i) − y_i by a quarter of that plus 4u, and the sums by γ̃_m of their
// terms' magnitudes: T_j = (1/m)·Σ_i M_ij·(γ̃_p·S_i/4 + 4u + γ̃_m·|r_i|), and
// the loss by (1/m)·Σ_i (|r_i|·γ̃_p·S_i + 4u·(|z_i| + 1)) + γ̃_m·loss.
func (b *binomialRunner) bounds(v []float64, ro roundoff, u float64) (gradTol, lossTol float64) {
	t := b.tab
	c, tg := t.Cols, t.Target
	off := make([]float64, c)
	for j := range off {
		off[j] = math.Abs(b.shift[j] * b.mul[j])
	}
	T := make([]float64, c+1)
	m := float64(t.Rows)
	loss := 0.0
	for i := 0; i < t.Rows; i++ {
		z, S := v[c], math.Abs(v[c])
		for j := 0; j < c; j++ {
			if j != tg {
				x := cpu.ReferenceValue(b.ref, i, j)
				z += x * v[j]
				S += (math.Abs(x) + off[j]) * math.Abs(v[j])
			}
		}
		l, r := lsgd.LogisticLoss(z, cpu.ReferenceValue(b.ref, i, tg))
		loss += l
		e := ro.dot*S/4 + 4*u + ro.sum*math.Abs(r)
		for j := 0; j < c; j++ {
			T[j] += (math.Abs(cpu.ReferenceValue(b.ref, i, j)) + off[j]) * e
		}
		T[c] += e
		lossTol += math.Abs(r)*ro.dot*S + 4*u*(math.Abs(z)+1)
	}
	return norm2(T) / m, lossTol/m + ro.sum*loss/m
}

func (b *binomialRunner) path(ctx context.Context, name string, be lsgd.Backend, readGBps *float64) (*PathReport, error) {
	pr := &PathReport{Backend: be.Name(), Device: be.Device(), Precision: be.Precision().String(),
		Software: be.Caps().Software, ReadGBps: readGBps}
	prec := be.Precision()
	c := b.tab.Cols
	ro := roundoffOf(prec, b.tab.Rows, c+1).plus(roundoffOf(lsgd.F64, b.tab.Rows, c+1))
	u := prec.UnitRoundoff()
	broken := func(what string, err error) (*PathReport, error) {
		b.add(Check{Name: name + " kernels", Path: name, Value: math.NaN(),
			Formula: "the path must load, standardize and compute on the table"})
		b.note("%s: %s failed: %v", name, what, err)
		return pr, nil
	}
	b.logf("%s (%s): load", name, pr.Device)
	t0 := time.Now()
	d, err := be.Load(b.tab, false)
	if err != nil {
		return broken("load", err)
	}
	pr.UploadSeconds = time.Since(t0).Seconds()
	defer d.Release()
	if err := d.Standardize(b.shift, b.mul); err != nil {
		return broken("standardize", err)
	}
	if err := d.SetFamily(lsgd.Binomial); err != nil {
		return broken("the binomial family", err)
	}
	if err := d.Init(b.theta0, b.mask, make([]float64, c+1)); err != nil {
		return broken("init", err)
	}
	g, loss, err := refGradient(d, b.theta0)
	if err != nil {
		return broken("gradient", err)
	}
	gt, lt := b.bounds(b.theta0, ro, u+lsgd.F64.UnitRoundoff())
	gn := norm2(b.g0)
	b.add(Check{Name: name + " binomial gradient", Path: name, Value: dist2(g, b.g0) / gn, Tolerance: gt / gn,
		Formula: "‖g−g_ref‖/‖g_ref‖ at a seeded θ ≤ ‖T‖/‖g_ref‖, T_j = (1/m)Σ_i M_ij·(γ̃_p·S_i/4 + 4u + γ̃_m·|σ(z_i)−y_i|), S_i = Σ_k M_ik|θ_k|, M_ij = |x̃_ij|+|shift_j·mul_j|"})
	b.add(Check{Name: name + " log-loss", Path: name, Value: math.Abs(loss-b.loss0) / b.loss0, Tolerance: lt / b.loss0,
		Formula: "|loss−loss_ref|/loss_ref ≤ ((1/m)Σ_i(|r_i|·γ̃_p·S_i + 4u(|z_i|+1)) + γ̃_m·loss)/loss_ref"})

	b.logf("%s: timing the binomial pass (%d reps)", name, b.cfg.Reps)
	tm, err := timeGradient(d, b.cfg.Reps)
	if err != nil {
		return broken("timing", err)
	}
	pr.Seconds, pr.Timer = tm.seconds()
	pr.Timer = timerLabel(pr.Timer, be)
	pr.Kernel = kernelName(d)
	pr.OtherCPUPercent = tm.Other
	pr.WallSeconds = tm.Wall
	if len(tm.Timer) > 0 {
		pr.TimerSeconds = ptr(median(tm.Timer))
	}
	pr.Bytes = tableBytes(b.tab.Rows, c, prec)
	pr.RowsPerSecond = float64(b.tab.Rows) / pr.Seconds
	pr.GBps = float64(pr.Bytes) / pr.Seconds / 1e9
	if readGBps != nil && *readGBps > 0 {
		pr.FractionOfBandwidth = ptr(pr.GBps / *readGBps)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	b.logf("%s: fit", name)
	res, err := lsgd.Fit(ctx, be, b.tab, lsgd.Options{Family: lsgd.Binomial})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		b.add(Check{Name: name + " fit", Path: name, Value: math.NaN(), Formula: "lsgd.Fit must return a model"})
		b.note("%s: the fit failed: %v", name, err)
		return pr, nil
	}
	pr.FitSeconds, pr.FitPasses, pr.FitIterations = res.Seconds, res.Passes, res.Iterations
	pr.FitReason, pr.Converged, pr.CondEstimate, pr.GapBound = res.Reason, res.Converged, res.Cond, res.GapBound
	b.add(Check{Name: name + " fit certified", Path: name, Value: res.ErrorBound, Tolerance: res.Tol,
		Formula: "the fit's certified relative error bound ≤ its tolerance (converged)"})
	hat := b.toStd(res.Coef, res.Intercept)
	free := freeOf(b.mask)
	nStar := math.Max(normOn(b.star, free), 1)
	// Both fits certify ‖θ − θ*‖ ≤ error_bound·max(‖θ‖, 1).
	delta := res.ErrorBound*math.Max(normOn(hat, free), 1) + b.fit.ErrorBound*nStar
	b.add(Check{Name: name + " coefficients vs reference fit", Path: name,
		Value: distOn(hat, b.star, free) / nStar, Tolerance: delta / nStar,
		Formula: "‖θ−θ_ref‖/max(‖θ_ref‖,1) (standardized) ≤ (error_bound·max(‖θ‖,1) + error_bound_ref·max(‖θ_ref‖,1))/max(‖θ_ref‖,1): both certified distances to θ*"})
	_, lt = b.bounds(hat, roundoffOf(prec, b.tab.Rows, c+1), u)
	b.add(Check{Name: name + " log-loss vs reference fit", Path: name,
		Value:     math.Abs(res.LogLoss - b.fit.LogLoss),
		Tolerance: 0.5*b.traceH*delta*delta + lt + 64*lsgd.F64.UnitRoundoff()*b.fit.LogLoss,
		Formula:   "|log-loss−log-loss_ref| ≤ ½·λmax·δ² + the path's loss rounding, λmax ≤ (1/4m)Σ‖x̃_i‖², δ the coefficient tolerance"})
	return pr, nil
}

func (b *binomialRunner) add(c Check) {
	c.Pass = c.Value <= c.Tolerance
	b.rep.Checks = append(b.rep.Checks, c)
}

func freeOf(mask []float64) []int {
	var f []int
	for j, m := range mask {
		if m != 0 {
			f = append(f, j)
		}
	}
	return f
}

func normOn(v []float64, idx []int) float64 {
	s := 0.0
	for _, j := range idx {
		s += v[j] * v[j]
	}
	return math.Sqrt(s)
}

func distOn(a, b []float64, idx []int) float64 {
	s := 0.0
	for _, j := range idx {
		s += (a[j] - b[j]) * (a[j] - b[j])
	}
	return math.Sqrt(s)
}
