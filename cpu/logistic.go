package cpu

import (
	"fmt"

	"github.com/lsgd/lsgd"
)

// The binomial family (logistic regression) on both CPU backends. The
// fused pass reads each row once: z = x_i·w + b with w's target entry
// zero, the label y = x_i[target], r = σ(z) − y into the gradient sums and
// log(1+e^z) − y·z into the loss (lsgd.LogisticLoss, stable for any z).
// The fast backend runs the portable kernel below for this family on every
// CPU: the AVX2 kernels fuse the residual x·w + b straight into the
// gradient and have no place for σ; the exponential per row, not the
// memory, bounds this pass.

// SetFamily implements lsgd.Data.SetFamily.
func (h *hostState) SetFamily(f lsgd.Family) error {
	switch f {
	case "", lsgd.Gaussian:
		h.family = lsgd.Gaussian
	case lsgd.Binomial:
		if h.target < 0 {
			return fmt.Errorf("cpu: the binomial family needs a table with a target column")
		}
		h.family = lsgd.Binomial
	default:
		return fmt.Errorf("cpu: unknown family %q", f)
	}
	return nil
}

// point returns the evaluation point the kernels take: v itself, or for
// the binomial family a copy with the target's entry zero (the target is
// the label, not a feature).
func (h *hostState) point(v []float64) []float64 {
	if h.family != lsgd.Binomial {
		return v
	}
	h.pt = append(h.pt[:0], v...)
	h.pt[h.target] = 0
	return h.pt
}

// gradientBinomial is the reference's binomial pass, in float64.
func (d *refData) gradientBinomial(at lsgd.Slot, rows lsgd.Rows) {
	v := d.st.Slot(at)
	c, tg := d.t.Cols, d.t.Target
	g := d.st.Grad
	clear(g)
	loss := 0.0
	for k := rows.Lo; k < rows.Hi; k++ {
		i := k
		if rows.Shuffled {
			i = int(d.order[k])
		}
		x := d.row(i)
		z := v[c]
		for j, xj := range x {
			if j != tg {
				z += xj * v[j]
			}
		}
		l, r := lsgd.LogisticLoss(z, x[tg])
		for j, xj := range x {
			g[j] += r * xj
		}
		g[c] += r
		loss += l
	}
	d.finishGradient(v, float64(rows.Len()), loss)
}

// logitSet is the binomial kernel over the rows of set (see rowSet), row
// length c with the label at column tg and w[tg] = 0: it adds r·x_i into
// g and returns Σr and Σ loss. z, σ and the loss are formed in float64
// for both element types; float32 tables accumulate r·x in float32 over a
// call's rows (at most blockRows, as the least-squares kernels do).
func logitSet[T float](x []T, set rowSet, c, tg int, w []T, b T, g []T) (sr, sl T) {
	w, g = w[:c], g[:c]
	one := func(row []T) {
		z := float64(b + dot(row, w))
		l, r := lsgd.LogisticLoss(z, float64(row[tg]))
		axpy(T(r), row, g)
		sr += T(r)
		sl += T(l)
	}
	for i := 0; i < set.n4; i++ {
		o := i * set.gs
		for k := 0; k < 4; k++ {
			one(x[o+k*set.rs : o+k*set.rs+c])
		}
	}
	for i := 0; i < set.n1; i++ {
		o := set.off1 + i*set.s1
		one(x[o : o+c])
	}
	return sr, sl
}

var (
	logitSet64 = logitSet[float64]
	logitSet32 = logitSet[float32]
)
