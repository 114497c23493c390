package lsgd

import "fmt"

// Backend runs the per-row kernels of a fit on one device. The optimizer's
// control logic (step sizes, schedules, stopping, divergence) lives above
// it, in Fit, written once; a backend only moves data and does arithmetic.
//
// The coefficient vector of a fit lives in "table space": it has one entry
// per table column plus one for the intercept (p = Cols+1, the intercept
// last). The entry at the target column is held fixed (−1 while fitting,
// 0 for a power-iteration step), so the residual of row i is
//
//	r_i = Σ_j x_ij·θ_j + θ_p−1
//
// over all columns j of the (standardized) table.
//
// A table with Weights (see tableio.Table) weights every row's terms: row i
// counts w_i times in Moments, Gradient (and its loss) and Gram, exactly as
// if it were repeated w_i times for integer w_i; Predict ignores weights.
// Backends use the weights as given (Fit scales them to mean 1 first); a
// row of weight 0 contributes nothing.
type Backend interface {
	// Name is "cpu" or "gpu".
	Name() string
	// Device describes the device in a few words (CPU model and threads,
	// GL renderer).
	Device() string
	// Precision is the storage and accumulation precision of the data.
	Precision() Precision
	// Caps says what the backend can do beyond this contract.
	Caps() Caps
	// Load makes the table resident on the device (uploads it once).
	// With inPlace the backend may keep t's storage and modify it
	// (Standardize rewrites it); otherwise t is left untouched.
	Load(t *Table, inPlace bool) (Data, error)
	// Close releases the device.
	Close() error
}

// Slot names one of the vectors of length p that a Data keeps for the
// optimizer.
type Slot int

const (
	// Theta is the current iterate θ.
	Theta Slot = iota
	// Look is the point the gradient is evaluated at by Nesterov's method
	// (θ plus momentum); for other methods it is unused.
	Look
	// Grad is the last gradient computed by Gradient.
	Grad
	// M1 is the first moment (momentum velocity, Adam's m).
	M1
	// M2 is the second moment (RMSprop's and Adam's v).
	M2
)

var slotNames = [...]string{"theta", "look", "grad", "m1", "m2"}

func (s Slot) String() string {
	if s >= 0 && int(s) < len(slotNames) {
		return slotNames[s]
	}
	return fmt.Sprintf("slot(%d)", int(s))
}

// Rows selects the rows a gradient is taken over: rows Lo…Hi−1 of the table,
// or, with Shuffled, the rows order[Lo…Hi−1] of the permutation last given
// to SetOrder.
type Rows struct {
	Lo, Hi   int
	Shuffled bool
}

// Len is the number of rows selected.
func (r Rows) Len() int { return r.Hi - r.Lo }

// Data is a table resident on a device together with the optimizer's state
// vectors (see Slot). Methods are called from one goroutine at a time.
// Kernels may be asynchronous: only Moments, Vector and Status return
// numbers, and they are the only calls that wait for the device.
type Data interface {
	Rows() int
	Cols() int

	// Moments returns, for every column j, its mean and its scale: the
	// root-mean-square deviation from the mean (center) or from zero
	// (!center), over all rows, of the data as currently stored; for a
	// weighted table, the weighted mean Σw_i·x_ij/Σw_i and weighted RMS.
	Moments(center bool) (mean, scale []float64, err error)

	// Standardize rewrites every value in place: x_ij ← (x_ij − shift_j)·mul_j.
	Standardize(shift, mul []float64) error

	// Init sets the constant vectors and resets the state: Theta = Look =
	// theta, Grad = M1 = M2 = 0, restart counters to zero. mask_j ∈ {0, 1}
	// multiplies gradient component j (0 holds θ_j fixed: the target, and
	// the intercept of a fit without one); ridge_j ≥ 0 is the L2 weight of
	// θ_j. All three have length Cols()+1.
	Init(theta, mask, ridge []float64) error

	// SetVector overwrites one state vector (length Cols()+1).
	SetVector(s Slot, v []float64) error
	// Vector reads one state vector into dst (length Cols()+1).
	Vector(s Slot, dst []float64) error

	// SetOrder gives the row permutation that Rows{Shuffled: true} indexes
	// (a permutation of 0…Rows()−1).
	SetOrder(order []int32) error

	// Gradient evaluates, at the point in slot at and over the m selected
	// rows, the residuals r_i = x̃_i·v and stores into Grad
	//
	//	g_j = mask_j·(2/m)·Σ_i w_i·r_i·x̃_ij + 2·ridge_j·v_j
	//
	// where x̃_i is row i with a 1 appended for the intercept and w_i its
	// weight (1 when the table has none). It records
	// loss = (1/m)·Σ w_i·r_i² + Σ_j ridge_j·v_j² and ‖g‖² for Status.
	// Nothing is read back.
	Gradient(at Slot, rows Rows) error

	// SetFamily chooses the loss Gradient computes (Gaussian, as above,
	// until it is called; Init leaves it). For Binomial the target column
	// holds the label y_i ∈ {0, 1} and v's entry at the target is ignored:
	// with z_i = x̃_i·v over the other columns and the intercept,
	//
	//	r_i = σ(z_i) − y_i,  g_j = mask_j·(1/m)·Σ_i w_i·r_i·x̃_ij + 2·ridge_j·v_j
	//
	// and loss = (1/m)·Σ w_i·[log(1+e^{z_i}) − y_i·z_i] + Σ_j ridge_j·v_j²,
	// computed without overflow for any z_i (see LogisticLoss).
	SetFamily(f Family) error

	// Step applies one optimizer update (see Step and State.Apply) using the
	// gradient in Grad.
	Step(s Step) error

	// Status reads back the few numbers the control loop needs and resets
	// the sums in it.
	Status() (Status, error)

	// Predict stores into dst (length Rows()) x_i·v + v_p−1 for the vector v
	// in slot at, summed over the feature columns only (v's entry at the
	// target is ignored), in the table's current (possibly standardized)
	// space.
	Predict(at Slot, dst []float64) error

	// Gram returns G = Σ_i w_i·x̃_i x̃_iᵀ over the selected rows, x̃_i row i as
	// stored (after any Standardize) with a 1 appended: p×p, row-major
	// (p = Cols()+1), exactly symmetric, accumulated in float64 in a fixed
	// order (same input, same bits). Its last row holds the (weighted)
	// column sums and the row count (Σ w_i); the target's row and column
	// hold XᵀWy and yᵀWy. A backend may refuse Shuffled rows with an error.
	Gram(rows Rows) ([]float64, error)

	// Caps is the backend's Caps with what depends on this table (the
	// kernel variant, the device timer) filled in.
	Caps() Caps

	// Release frees the device memory.
	Release() error
}

// Caps is what a backend, and a table loaded on it, can do beyond the
// Backend and Data contracts: one value per backend instead of optional
// interfaces. The zero value claims nothing.
type Caps struct {
	// Synchronous: every kernel has finished when it returns (the CPU
	// backends), so Status costs nothing and Fit may read it after every
	// iteration instead of every CheckEvery.
	Synchronous bool
	// CenteredStorage: float64 input stored in float32 has each column's
	// float64 mean subtracted before rounding, so a column's offset costs
	// it no digits. Fit uses it to size the accuracy limit.
	CenteredStorage bool
	// Software: the device is a software renderer (llvmpipe and the like):
	// correct but slow, its memory is host memory and its timers are wall
	// clock. Opening a backend automatically treats it as no GPU.
	Software bool
	// Kernel names the gradient kernel variant and its launch shape (a
	// Data's Caps; "" when the backend has one kernel).
	Kernel string
	// Streamed (a Data's Caps): the table is larger than the memory
	// budget and every pass streams it (from disk through the page cache
	// on the CPU, through a ring of device buffers on the GPU).
	Streamed bool
	// ReadBandwidth, when non-nil, measures the read bandwidth of the
	// device's own memory in GB/s (10⁹ bytes/s) with a read-only pass over
	// a buffer of the given size, timed on the device.
	ReadBandwidth func(bytes int64) (gbps float64, err error)
	// TimeGradient, when non-nil (a Data's Caps), runs reps full
	// Gradient(Theta, rows) calls after its own warm-up and returns the
	// device time of each in seconds.
	TimeGradient func(rows Rows, reps int) ([]float64, error)
}

// Method is an optimizer's update rule.
type Method int

const (
	// GD is plain gradient descent: θ ← θ − α·g.
	GD Method = iota
	// Momentum is Polyak's heavy ball: v ← β·v + g; θ ← θ − α·v.
	Momentum
	// Nesterov is Nesterov's accelerated gradient with the gradient taken at
	// the look-ahead point, optionally with adaptive restart.
	Nesterov
	// RMSprop: s ← ρ·s + (1−ρ)·g²; θ ← θ − α·g/(√s + ε).
	RMSprop
	// Adam: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
	// θ ← θ − α·(m/c₁)/(√(v/c₂) + ε) with c₁ = 1−β₁ᵗ, c₂ = 1−β₂ᵗ.
	Adam
)

var methodNames = [...]string{"gd", "momentum", "nesterov", "rmsprop", "adam"}

func (m Method) String() string {
	if m >= 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("method(%d)", int(m))
}

// Step is one optimizer update with every per-step constant computed on the
// host, so a device kernel applies it without branching on history.
type Step struct {
	Method Method
	LR     float64 // step size α
	// Beta is the momentum β (Momentum, Nesterov), the decay ρ (RMSprop) or
	// β₁ (Adam). For Nesterov a negative Beta selects the schedule
	// β = k/(k+3), k counting steps since the last restart.
	Beta  float64
	Beta2 float64 // Adam's β₂
	Eps   float64 // RMSprop's and Adam's ε
	Bias1 float64 // Adam: 1−β₁ᵗ
	Bias2 float64 // Adam: 1−β₂ᵗ
	// Restart enables Nesterov's gradient restart (O'Donoghue & Candès):
	// when g·(θ_new − θ_old) > 0 the momentum is dropped and k reset.
	Restart bool
}

// Status is the small readback of a Data: the values of the last Gradient
// call, sums since the previous Status call, and counters.
type Status struct {
	Loss       float64 // loss of the last Gradient call
	GradNorm2  float64 // ‖g‖² of the last Gradient call
	ParamNorm2 float64 // ‖θ‖² over the free entries (mask 1) after the last Step
	LossSum    float64 // Σ loss over the Gradient calls since the last Status
	Count      int     // number of Gradient calls since the last Status
	Restarts   int     // Nesterov restarts since Init
}
