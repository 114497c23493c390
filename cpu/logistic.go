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
		w := d.weight(i)
		for j, xj := range x {
			g[j] += w * r * xj
		}
		g[c] += w * r
		loss += w * l
	}
	d.finishGradient(v, float64(rows.Len()), loss)
}

// logitSet is the binomial kernel over the rows of set (see rowSet), row
// length c with the label at column tg and w[tg] = 0: it adds r·x_i into
// g and returns Σr and Σ loss. z, σ and the loss are formed in float64
// for both element types; float32 tables accumulate r·x in float32 over a
// call's rows (at most blockRows, as the least-squares kernels do). Like
// gradSetPortable it takes a group's four rows together: four dot
// products, then one pass over g.
//
// With weights wt (nil: unweighted) the row at x[o] of set has the weight
// at the same position of ws in wt (see rowSet.scaled), and r and the loss
// term are multiplied by it.
func logitSet[T float](x []T, set rowSet, c, tg int, w []T, b T, g []T, wt []T, ws rowSet) (sr, sl T) {
	w, g = w[:c], g[:c]
	res := func(row []T) (T, T) {
		l, r := lsgd.LogisticLoss(float64(b+dot(row, w)), float64(row[tg]))
		return T(r), T(l)
	}
	for i := 0; i < set.n4; i++ {
		o := i * set.gs
		x0 := x[o : o+c]
		x1 := x[o+set.rs : o+set.rs+c]
		x2 := x[o+2*set.rs : o+2*set.rs+c]
		x3 := x[o+3*set.rs : o+3*set.rs+c]
		r0, l0 := res(x0)
		r1, l1 := res(x1)
		r2, l2 := res(x2)
		r3, l3 := res(x3)
		if wt != nil {
			q := i * ws.gs
			w0, w1, w2, w3 := wt[q], wt[q+ws.rs], wt[q+2*ws.rs], wt[q+3*ws.rs]
			r0, r1, r2, r3 = w0*r0, w1*r1, w2*r2, w3*r3
			l0, l1, l2, l3 = w0*l0, w1*l1, w2*l2, w3*l3
		}
		g := g[:len(x0)]
		x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
		for j, v := range x0 {
			g[j] += r0*v + r1*x1[j] + r2*x2[j] + r3*x3[j]
		}
		sr += (r0 + r1) + (r2 + r3)
		sl += (l0 + l1) + (l2 + l3)
	}
	for i := 0; i < set.n1; i++ {
		o := set.off1 + i*set.s1
		row := x[o : o+c]
		r, l := res(row)
		if wt != nil {
			wi := wt[ws.off1+i*ws.s1]
			r, l = wi*r, wi*l
		}
		axpy(r, row, g)
		sr += r
		sl += l
	}
	return sr, sl
}

var (
	logitSet64 = logitSet[float64]
	logitSet32 = logitSet[float32]
)
