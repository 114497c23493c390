package cpu

import (
	"fmt"

	"github.com/lsgd/lsgd"
)

// hostState is what both CPU backends keep on the host besides the table:
// the optimizer's float64 state, the ridge weights, the row order and the
// status, with the lsgd.Data methods that touch only them.
type hostState struct {
	p     int // coefficients: table columns + 1
	rows  int
	st    *lsgd.State
	ridge []float64
	order []int32
	stat  lsgd.Status
	// family is the loss of the gradient pass (SetFamily; "" is Gaussian).
	family lsgd.Family
	target int       // the table's target column (the binomial label)
	pt     []float64 // the point with the target's entry zero (binomial)
}

func newHostState(rows, cols, target int) hostState {
	p := cols + 1
	return hostState{p: p, rows: rows, target: target, st: lsgd.NewState(make([]float64, p), make([]float64, p)), ridge: make([]float64, p)}
}

func checkLen(p int, vs ...[]float64) error {
	for _, v := range vs {
		if len(v) != p {
			return fmt.Errorf("cpu: vector has length %d, want %d", len(v), p)
		}
	}
	return nil
}

func checkRows(r lsgd.Rows, n int, order []int32) error {
	if r.Lo < 0 || r.Hi > n || r.Lo >= r.Hi {
		return fmt.Errorf("cpu: row range [%d, %d) outside [0, %d) or empty", r.Lo, r.Hi, n)
	}
	if r.Shuffled && len(order) != n {
		return fmt.Errorf("cpu: shuffled rows requested before SetOrder")
	}
	return nil
}

// Caps: every kernel has finished when it returns, so a Status readback is
// free.
func (h *hostState) Caps() lsgd.Caps { return hostCaps }

// hostCaps are the capabilities of both CPU backends.
var hostCaps = lsgd.Caps{Synchronous: true}

func (h *hostState) Init(theta, mask, ridge []float64) error {
	if err := checkLen(h.p, theta, mask, ridge); err != nil {
		return err
	}
	h.st = lsgd.NewState(theta, mask)
	h.ridge = append(h.ridge[:0], ridge...)
	h.stat = lsgd.Status{}
	return nil
}

func (h *hostState) SetVector(s lsgd.Slot, v []float64) error {
	if err := checkLen(h.p, v); err != nil {
		return err
	}
	copy(h.st.Slot(s), v)
	return nil
}

func (h *hostState) Vector(s lsgd.Slot, dst []float64) error {
	if err := checkLen(h.p, dst); err != nil {
		return err
	}
	copy(dst, h.st.Slot(s))
	return nil
}

func (h *hostState) SetOrder(order []int32) error {
	if len(order) != h.rows {
		return fmt.Errorf("cpu: order has %d entries, want %d", len(order), h.rows)
	}
	h.order = append(h.order[:0], order...)
	return nil
}

func (h *hostState) Step(s lsgd.Step) error {
	h.st.Apply(s)
	h.stat.ParamNorm2 = h.st.ParamNorm2()
	h.stat.Restarts = h.st.Restarts
	return nil
}

func (h *hostState) Status() (lsgd.Status, error) {
	s := h.stat
	h.stat.LossSum, h.stat.Count = 0, 0
	return s, nil
}

// finishGradient turns the raw sums of a gradient pass over m rows at v —
// g_j = Σ r_i·x̃_ij in h.st.Grad and Σ r_i² — into the gradient, loss and
// status the lsgd.Data contract defines:
// g_j ← mask_j·(2/m)·g_j + 2·ridge_j·v_j, loss = Σr²/m + Σ ridge_j·v_j².
func (h *hostState) finishGradient(v []float64, m, sumSq float64) {
	g := h.st.Grad
	gn, loss := 0.0, sumSq/m
	f := 2 / m
	if h.family == lsgd.Binomial {
		f = 1 / m // sumSq is then Σ of the rows' negative log-likelihoods
	}
	for j := range g {
		g[j] = h.st.Mask[j]*f*g[j] + 2*h.ridge[j]*v[j]
		gn += g[j] * g[j]
		loss += h.ridge[j] * v[j] * v[j]
	}
	h.stat.Loss, h.stat.GradNorm2 = loss, gn
	h.stat.LossSum += loss
	h.stat.Count++
}
