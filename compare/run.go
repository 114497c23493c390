package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/internal/jsonout"
)

// Config describes one comparison run.
type Config struct {
	// Rows, Features, Cond, Noise and Seed describe the synthetic problem
	// (lsgd.Generate) when Data is nil. Zero Rows, Features and Cond mean
	// 200000, 32 and 10; Noise is used as given (0: noise-free, which makes
	// the normal-equations check weak: see checkNormal).
	Rows, Features int
	Cond, Noise    float64
	Seed           uint64
	// Data is a user's table to compare on instead of a synthetic one.
	Data *lsgd.Table
	// GPU is the GPU path, nil when there is none; GPUReason then says why
	// (shown in the report).
	GPU       lsgd.Backend
	GPUReason string
	// CPU is the CPU fast path; nil means cpu.New with Threads and the
	// GPU's precision (float32 without a GPU), so both fast paths do the
	// same arithmetic.
	CPU     lsgd.Backend
	Threads int // CPU threads (0: GOMAXPROCS), also for the bandwidth probe
	Reps    int // timed gradient passes per path (0: 7)
	// ProbeBytes is the buffer of the read-bandwidth probes (0:
	// ProbeBytes, beyond any cache; tests use less).
	ProbeBytes int64
	// Log receives progress lines (nil: none).
	Log io.Writer
}

// Check is one agreement test: Pass is Value ≤ Tolerance (false when
// Value is not a number).
type Check struct {
	Name      string  `json:"name"`
	Path      string  `json:"path"` // "cpu" or "gpu"
	Value     float64 `json:"value"`
	Tolerance float64 `json:"tolerance"`
	Pass      bool    `json:"pass"`
	Formula   string  `json:"formula"` // what the tolerance is made of
}

// MarshalJSON writes non-finite values as null (encoding/json rejects
// them, and a broken backend produces them), through internal/jsonout.
func (c Check) MarshalJSON() ([]byte, error) {
	type plain Check
	return jsonout.Marshal(plain(c))
}

// PathReport is what one path (the CPU fast path or the GPU) measured.
type PathReport struct {
	Backend   string `json:"backend"`
	Device    string `json:"device"`
	Kernel    string `json:"kernel,omitempty"` // the gradient kernel variant, when the backend has several
	Precision string `json:"precision"`
	Software  bool   `json:"software,omitempty"` // a software GL renderer: the figures measure the CPU

	// Seconds is one full-batch gradient pass (median of the timed reps):
	// the GL timer query's time when the device has one (Timer says
	// which), else wall clock. GBps and RowsPerSecond are computed from it.
	Seconds       float64  `json:"seconds"`
	WallSeconds   float64  `json:"wall_seconds"`            // the same pass, wall clock, synchronised
	TimerSeconds  *float64 `json:"timer_seconds,omitempty"` // the same pass, GL_TIME_ELAPSED
	Timer         string   `json:"timer"`
	UploadSeconds float64  `json:"upload_seconds"` // Load: making the table resident on the device
	EpochSeconds  float64  `json:"epoch_seconds"`  // one full-batch epoch: gradient + Nesterov step
	Bytes         int64    `json:"bytes"`          // bytes one pass reads: rows × cols × element size
	RowsPerSecond float64  `json:"rows_per_second"`
	GBps          float64  `json:"gbps"`
	// ReadGBps is the read bandwidth of the memory the table lives in,
	// measured in this run (host probe for the CPU, the device's own probe
	// for a GPU); null when it cannot be measured. FractionOfBandwidth is
	// GBps/ReadGBps.
	ReadGBps            *float64 `json:"read_gbps"`
	FractionOfBandwidth *float64 `json:"fraction_of_bandwidth"`
	DeviceReadGBps      *float64 `json:"device_read_gbps,omitempty"` // a software renderer's own read kernel
	OtherCPUPercent     *float64 `json:"other_cpu_percent"`          // CPU other processes used during the timed reps, % of a core

	// The whole fit (lsgd.Fit with default options) on this path.
	FitSeconds    float64 `json:"fit_seconds"`
	FitPasses     float64 `json:"fit_passes"`
	FitIterations int     `json:"fit_iterations"`
	FitReason     string  `json:"fit_reason"`
	Converged     bool    `json:"converged"`
	CondEstimate  float64 `json:"cond_estimate"` // the fit's sampled condition number
	GapBound      float64 `json:"gap_bound"`
}

// Problem describes the data compared on.
type Problem struct {
	Source    string  `json:"source"`
	Rows      int     `json:"rows"`
	Features  int     `json:"features"`
	Seed      uint64  `json:"seed"`
	Noise     float64 `json:"noise"`
	Precision string  `json:"precision"` // the data every path reads (rounded to f32 when a path is f32)
	// Cond is the exact condition number κ = L/μ of the standardized
	// Hessian (2/m)·X̃ᵀX̃ over the free coefficients, from every row in
	// float64; L and Mu its extreme eigenvalues.
	Cond float64 `json:"cond"`
	L    float64 `json:"lipschitz"`
	Mu   float64 `json:"mu"`
}

// Report is the result of Run.
type Report struct {
	Agree    bool        `json:"agree"` // every check passed
	Checks   []Check     `json:"checks"`
	CPU      *PathReport `json:"cpu"`
	GPU      *PathReport `json:"gpu"` // null without a GPU
	ReadGBps float64     `json:"read_gbps"`
	Problem  Problem     `json:"problem"`
	Notes    []string    `json:"notes"`
}

type runner struct {
	cfg    Config
	tab    *lsgd.Table
	st     *stdTable
	ref    lsgd.Data
	sol    *lsgd.Solution
	star   []float64 // θ* (Solve) in table space of the standardized problem
	theta0 []float64 // the fixed point of the gradient and loss checks
	ridge0 []float64
	m0     magnitudes // float64 pass at θ₀
	mStar  magnitudes // float64 pass at θ*
	g0     []float64  // reference gradient at θ₀
	loss0  float64    // reference loss at θ₀
	L, mu  float64
	rep    *Report
}

func (r *runner) logf(format string, args ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, format+"\n", args...)
	}
}

// Run compares the CPU fast path and the GPU path (when cfg.GPU is set)
// with the float64 reference backend and with lsgd.Solve on one problem,
// every path given the same data, standardization and points, and
// measures each path's throughput. It returns an error only when the run
// itself cannot proceed (bad data, a cancelled context); a path that fails
// to load the table or run its kernels, computes wrong numbers, fails to
// fit or diverges gives failing checks, a note and Agree false, and the
// other path is still reported.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	cpuBe := cfg.CPU
	r := &runner{cfg: cfg, rep: &Report{}}
	if err := r.setup(); err != nil {
		return nil, err
	}
	defer r.ref.Release()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.logf("read-bandwidth probe (%d MiB, %d threads)", cfg.ProbeBytes>>20, cfg.Threads)
	r.rep.ReadGBps = cpu.ReadBandwidth(cfg.ProbeBytes, cfg.Threads)
	var err error
	r.rep.CPU, err = r.path(ctx, "cpu", cpuBe, ptr(r.rep.ReadGBps))
	if err != nil {
		return nil, err
	}
	if cfg.GPU != nil {
		bw, dev, note := probeFor(cfg.GPU, cfg.ProbeBytes, cfg.Threads)
		if note != "" {
			r.note("gpu: %s", note)
		}
		r.rep.GPU, err = r.path(ctx, "gpu", cfg.GPU, bw)
		if err != nil {
			return nil, err
		}
		r.rep.GPU.DeviceReadGBps = dev
		if r.rep.GPU.Software {
			r.note("%s", softwareNote(cfg.GPU))
		}
	} else {
		r.note("no GPU path (%s): compared the CPU fast path with the float64 reference and the exact solve only", cfg.noGPUReason())
	}
	r.rep.settle()
	return r.rep, nil
}

func (r *runner) note(format string, args ...any) {
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(format, args...))
}

// setup builds the table, the reference data, the exact solution and the
// float64 magnitudes every check needs.
func (r *runner) setup() error {
	cfg := r.cfg
	tab := cfg.Data
	if tab == nil {
		rows, feats, cond := cfg.Rows, cfg.Features, cfg.Cond
		if rows == 0 {
			rows = 200000
		}
		if feats == 0 {
			feats = 32
		}
		if cond == 0 {
			cond = 10
		}
		r.logf("generating %d×%d (cond %g, noise %g, seed %d)", rows, feats, cond, cfg.Noise, cfg.Seed)
		var err error
		tab, _, err = lsgd.Generate(lsgd.GenOptions{Rows: rows, Features: feats, Cond: cond, Noise: cfg.Noise,
			Intercept: 1, Seed: cfg.Seed})
		if err != nil {
			return err
		}
	}
	if err := tab.Check(); err != nil {
		return &lsgd.InputError{Msg: err.Error()}
	}
	// Identical data: when any path stores float32, every path (the
	// reference and Solve included) reads the float32-rounded numbers, so
	// that the checks measure arithmetic, not the rounding of the input.
	low := cfg.CPU.Precision() == lsgd.F32 || (cfg.GPU != nil && cfg.GPU.Precision() == lsgd.F32)
	if low && tab.Precision() != lsgd.F32 {
		tab = tab.Clone(lsgd.F32)
		r.note("the data were rounded to float32 so that every path, the reference and the exact solve read the same numbers")
	}
	r.tab = tab
	r.rep.Problem = Problem{Source: tab.Source, Rows: tab.Rows, Features: tab.Cols - 1, Seed: cfg.Seed,
		Noise: cfg.Noise, Precision: tab.Precision().String()}

	r.logf("float64 reference: moments, standardization")
	ref, err := cpu.NewReference().Load(tab, false)
	if err != nil {
		return err
	}
	r.ref = ref
	mean, scale, err := ref.Moments(true)
	if err != nil {
		return err
	}
	for _, j := range tab.Features() {
		if scale[j] == 0 || scale[j] <= 16*lsgd.F64.UnitRoundoff()*math.Abs(mean[j]) {
			return &lsgd.InputError{Msg: fmt.Sprintf("%s: column %q is constant: drop it", tab.Source, tab.Name(j))}
		}
	}
	r.st = newStdTable(tab, mean, scale, cfg.Threads)
	if err := ref.Standardize(r.st.shift, r.st.mul); err != nil {
		return err
	}

	r.logf("exact solve (QR, float64)")
	r.sol, err = lsgd.Solve(tab, lsgd.SolveOptions{})
	if err != nil {
		return err
	}
	r.star = r.st.toStd(r.sol.Coef, r.sol.Intercept)

	r.logf("float64 spectrum of the standardized Hessian")
	r.L, r.mu = r.st.spectrum()
	if !(r.mu > 0) {
		return &lsgd.InputError{Msg: fmt.Sprintf("%s: the standardized Hessian is singular (λmin = %g): the columns are collinear", tab.Source, r.mu)}
	}
	r.rep.Problem.L, r.rep.Problem.Mu, r.rep.Problem.Cond = r.L, r.mu, r.L/r.mu

	// θ₀: a seeded random point, the target fixed at −1.
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7468657461))
	p := r.st.p
	r.theta0 = make([]float64, p)
	for _, j := range r.st.free {
		r.theta0[j] = rng.NormFloat64()
	}
	r.theta0[tab.Target] = -1
	r.ridge0 = make([]float64, p)
	if err := ref.Init(r.theta0, r.st.mask, r.ridge0); err != nil {
		return err
	}
	r.g0, r.loss0, err = refGradient(ref, r.theta0)
	if err != nil {
		return err
	}
	r.m0 = r.st.magPass(r.theta0)
	r.mStar = r.st.magPass(r.star)
	return nil
}

// refGradient evaluates the reference's gradient and loss at v.
func refGradient(d lsgd.Data, v []float64) ([]float64, float64, error) {
	if err := d.SetVector(lsgd.Theta, v); err != nil {
		return nil, 0, err
	}
	if err := d.Gradient(lsgd.Theta, lsgd.Rows{Lo: 0, Hi: d.Rows()}); err != nil {
		return nil, 0, err
	}
	g := make([]float64, len(v))
	if err := d.Vector(lsgd.Grad, g); err != nil {
		return nil, 0, err
	}
	s, err := d.Status()
	return g, s.Loss, err
}

// path runs the checks and measurements of one path.
func (r *runner) path(ctx context.Context, name string, be lsgd.Backend, readGBps *float64) (*PathReport, error) {
	pr := &PathReport{Backend: be.Name(), Device: be.Device(), Precision: be.Precision().String(),
		Software: be.Caps().Software, ReadGBps: readGBps}
	prec := be.Precision()
	ro := roundoffOf(prec, r.st.n, r.st.p).plus(roundoffOf(lsgd.F64, r.st.n, r.st.p))
	gs := fmt.Sprintf("γ̃_n = exp(λ√n·u + n·u²/(1−u)) − 1, λ = %d, u of %s plus the float64 reference's: γ̃_p = %.3g (p = %d), γ̃_m = %.3g (m = %d)",
		lambda, prec, ro.dot, r.st.p, ro.sum, r.st.n)

	r.logf("%s (%s): load", name, pr.Device)
	t0 := time.Now()
	d, err := be.Load(r.tab, false)
	if err != nil {
		return r.broken(name, pr, "load", err)
	}
	pr.UploadSeconds = time.Since(t0).Seconds()
	released := false
	defer func() {
		if !released {
			d.Release()
		}
	}()
	if err := d.Standardize(r.st.shift, r.st.mul); err != nil {
		return r.broken(name, pr, "standardize", err)
	}
	if err := d.Init(r.theta0, r.st.mask, r.ridge0); err != nil {
		return r.broken(name, pr, "init", err)
	}

	// Gradient and loss at θ₀ against the reference.
	if err := d.Gradient(lsgd.Theta, lsgd.Rows{Lo: 0, Hi: r.st.n}); err != nil {
		return r.broken(name, pr, "gradient", err)
	}
	g := make([]float64, r.st.p)
	if err := d.Vector(lsgd.Grad, g); err != nil {
		return r.broken(name, pr, "read gradient", err)
	}
	s, err := d.Status()
	if err != nil {
		return r.broken(name, pr, "status", err)
	}
	gn := norm2(r.g0)
	r.add(Check{Name: name + " gradient", Path: name,
		Value:     dist2(g, r.g0) / gn,
		Tolerance: r.m0.gradBound(ro) / gn,
		Formula:   "‖g−g_ref‖/‖g_ref‖ at a fixed seeded θ ≤ ‖γ̃_p·T1 + γ̃_m·T2‖/‖g_ref‖, T1_j = (2/m)Σ_i M_ij·Σ_k M_ik|θ_k|, T2_j = (2/m)Σ_i M_ij|r_i|, M_ij = |x̃_ij|+|shift_j·mul_j|; " + gs})
	r.add(Check{Name: name + " loss", Path: name,
		Value:     math.Abs(s.Loss-r.loss0) / r.loss0,
		Tolerance: r.m0.lossBound(ro) / r.loss0,
		Formula:   "|loss−loss_ref|/loss_ref at the same θ ≤ (γ̃_p·A1 + γ̃_m·A2)/loss_ref, A1 = (1/m)Σ_i 2|r_i|·Σ_k M_ik|θ_k|, A2 = loss"})

	// Throughput.
	r.logf("%s: timing the gradient pass (%d reps)", name, r.cfg.Reps)
	tm, err := timeGradient(d, r.cfg.Reps)
	if err != nil {
		return r.broken(name, pr, "timing", err)
	}
	if tm.TimerErr != nil {
		r.note("%s: the GL timer query failed (%v): wall-clock times only", name, tm.TimerErr)
	}
	pr.Seconds, pr.Timer = tm.seconds()
	pr.Timer = timerLabel(pr.Timer, be)
	pr.Kernel = kernelName(d)
	pr.OtherCPUPercent = tm.Other
	pr.WallSeconds = tm.Wall
	if len(tm.Timer) > 0 {
		pr.TimerSeconds = ptr(median(tm.Timer))
	}
	pr.Bytes = tableBytes(r.st.n, r.st.c, prec)
	pr.RowsPerSecond = float64(r.st.n) / pr.Seconds
	pr.GBps = float64(pr.Bytes) / pr.Seconds / 1e9
	if readGBps != nil && *readGBps > 0 {
		pr.FractionOfBandwidth = ptr(pr.GBps / *readGBps)
	}
	pr.EpochSeconds, err = timeEpoch(d, r.theta0, r.st.mask, r.ridge0, 1/r.L)
	if err != nil {
		return r.broken(name, pr, "timing an epoch", err)
	}
	d.Release()
	released = true
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// The whole fit, against the exact solution.
	r.logf("%s: fit", name)
	res, err := lsgd.Fit(ctx, be, r.tab, lsgd.Options{})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		r.add(Check{Name: name + " fit", Path: name, Value: math.NaN(), Formula: "lsgd.Fit must return a model"})
		r.note("%s: the fit failed: %v", name, err)
		return pr, nil
	}
	pr.FitSeconds, pr.FitPasses, pr.FitIterations = res.Seconds, res.Passes, res.Iterations
	pr.FitReason, pr.Converged, pr.CondEstimate, pr.GapBound = res.Reason, res.Converged, res.Cond, res.GapBound
	r.fitChecks(name, prec, res)
	return pr, nil
}

// fitChecks compares a fit's coefficients, normal equations and loss with
// the exact solution, evaluating the fitted model in float64.
func (r *runner) fitChecks(name string, prec lsgd.Precision, res *lsgd.Result) {
	st := r.st
	roP, ro64 := roundoffOf(prec, st.n, st.p), roundoffOf(lsgd.F64, st.n, st.p)
	hat := st.toStd(res.Coef, res.Intercept)
	gHat, lossHat, err := refGradient(r.ref, hat)
	if err != nil {
		r.add(Check{Name: name + " fit", Path: name, Value: math.NaN(), Formula: "the reference must evaluate the fitted model"})
		r.note("%s: evaluating the fit: %v", name, err)
		return
	}
	mHat := st.magPass(hat)
	kappa := r.L / r.mu

	// What the fit promises: its certified gap (‖g‖/(μ_fit·max(‖θ‖,1)))
	// is at most 10·Tol when it stops on the gradient, and at most
	// max(Tol, Accuracy) when the loss stalls at the precision limit
	// (lsgd.Fit's finish), Tol being the default for the precision.
	tol := 1e-8
	if prec == lsgd.F32 {
		tol = 1e-5
	}
	tau := math.Max(10*tol, res.Accuracy)
	// μ_fit comes from a sample of rows: ρ converts the fit's gap into one
	// against the exact μ (κ/κ_fit), with a factor 2 for the sample's
	// λmax differing from the data's.
	rho := 2 * math.Max(1, kappa/math.Max(res.Cond, 1))
	nStar := math.Max(st.freeNorm(r.star), 1)
	nHat := math.Max(st.freeNorm(hat), 1)
	// The path's computed gradient at θ̂ is within eP of the true one; the
	// reference solve's own residual gradient within e64.
	eP := mHat.gradBound(roP.plus(ro64))
	e64 := r.mStar.gradBound(ro64)
	delta := rho*tau*nHat + (eP+e64)/r.mu

	// Coefficients: strong convexity gives ‖θ̂−θ*‖ ≤ ‖g(θ̂)‖/μ, and the
	// path's computed gradient differs from the true one by at most eP.
	r.add(Check{Name: name + " coefficients vs solve", Path: name,
		Value:     st.freeDist(hat, r.star) / nStar,
		Tolerance: delta / nStar,
		Formula: fmt.Sprintf("‖θ−θ*‖/max(‖θ*‖,1) (standardized) ≤ (ρ·τ·max(‖θ‖,1) + (‖γ̃_p·T1+γ̃_m·T2‖(θ) + ‖…‖₆₄(θ*))/μ)/max(‖θ*‖,1); τ = max(10·tol, accuracy) = %.3g, ρ = 2·max(1, κ/κ_fit) = %.3g, κ = %.4g exact, κ_fit = %.4g",
			tau, rho, kappa, res.Cond)})

	// Normal equations: X̃ᵀr = (m/2)·g, ‖X̃‖² = (m/2)·L, ‖r‖² = m·loss,
	// so ‖X̃ᵀr‖/(‖X̃‖‖r‖) = ‖g‖/√(2L·loss). The fit stopped with a computed
	// gradient of at most ρ·τ·μ·max(‖θ‖,1), the true one within eP of it.
	den := math.Sqrt(2 * r.L * lossHat)
	r.add(Check{Name: name + " normal equations", Path: name,
		Value:     norm2(gHat) / den,
		Tolerance: (rho*tau*r.mu*nHat + eP) / den,
		Formula:   "‖X̃ᵀr‖/(‖X̃‖‖r‖) = ‖g‖/√(2L·loss) ≤ (ρ·τ·μ·max(‖θ‖,1) + ‖γ̃_p·T1+γ̃_m·T2‖)/√(2L·loss), i.e. ≈ (τ/κ + γ̃·‖T‖/(L‖θ‖))·‖X̃‖‖θ‖/‖r‖"})

	// Final loss: the path's reported MSE against the exact one, in units of
	// the target's variance (a difference in R²). loss(θ̂) − loss(θ*) =
	// ½·δᵀHδ ≤ ½·L·‖δ‖² with δ bounded by the coefficient tolerance; the
	// path's own loss sum is off by at most γ̃_p·A1 + γ̃_m·A2.
	mt2 := st.mul[st.target] * st.mul[st.target]
	r.add(Check{Name: name + " final loss vs solve", Path: name,
		Value:     math.Abs(res.MSE-r.sol.MSE) * mt2,
		Tolerance: 0.5*r.L*delta*delta + mHat.lossBound(roP) + r.mStar.lossBound(ro64),
		Formula:   "|MSE−MSE*|/var(y) ≤ ½·L·δ² + (γ̃_p·A1+γ̃_m·A2)(θ) + (…)₆₄(θ*), δ the coefficient bound in absolute terms"})
}

// broken records that a path's kernels failed (a device error, out of
// memory): a failing check and a note, so that the other path's results
// are still reported. The returned error is nil.
func (r *runner) broken(name string, pr *PathReport, what string, err error) (*PathReport, error) {
	r.add(Check{Name: name + " kernels", Path: name, Value: math.NaN(),
		Formula: "the path must load, standardize and compute on the table"})
	r.note("%s: %s failed: %v", name, what, err)
	return pr, nil
}

func (r *runner) add(c Check) {
	c.Pass = c.Value <= c.Tolerance // false for NaN
	r.rep.Checks = append(r.rep.Checks, c)
}

// withDefaults fills in the threads, repetitions, probe size and the CPU
// backend (float32 unless the GPU's precision says otherwise).
func (cfg Config) withDefaults() Config {
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.GOMAXPROCS(0)
	}
	if cfg.Reps <= 0 {
		cfg.Reps = 7
	}
	if cfg.ProbeBytes <= 0 {
		cfg.ProbeBytes = ProbeBytes
	}
	if cfg.CPU == nil {
		prec := lsgd.F32
		if cfg.GPU != nil {
			prec = cfg.GPU.Precision()
		}
		cfg.CPU = cpu.New(cpu.Options{Precision: prec, Threads: cfg.Threads})
	}
	return cfg
}

// noGPUReason says why a run has no GPU path.
func (cfg Config) noGPUReason() string {
	if cfg.GPUReason == "" {
		return "no GPU backend given"
	}
	return cfg.GPUReason
}

// settle sets Agree: at least one check, and every check passed.
func (rep *Report) settle() {
	rep.Agree = len(rep.Checks) > 0
	for _, c := range rep.Checks {
		rep.Agree = rep.Agree && c.Pass
	}
}

// softwareNote is the note a report carries when its GPU path ran on a
// software renderer.
func softwareNote(gpu lsgd.Backend) string {
	return fmt.Sprintf("gpu figures are from %s, a SOFTWARE renderer running on the CPU: they say nothing about GPU speed", gpu.Device())
}
