//go:build cgo

package gpu

import (
	"fmt"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/gpu/internal/gldev"
)

// logitState holds the binomial family's variants of the gradient kernel
// and of finalize (LOGIT defined, TGT the label's column; see grad.comp,
// gradtile.comp and logitRL in common.glsl).
type logitState struct {
	grad, final *gldev.Program
}

// setShift sets the gradient kernel's yshift, the label column's shift
// (the table is stored shifted: y = x'_TGT + yshift).
func (s *logitState) setShift(c *gldev.Ctx, p *gldev.Program, d *Data) {
	if d.f64 {
		c.SetDouble(p, "yshift", d.shift[d.target])
	} else {
		c.SetFloat(p, "yshift", float32(d.shift[d.target]))
	}
}

// SetFamily implements lsgd.Data.SetFamily. The binomial kernels are
// compiled on first use.
func (d *Data) SetFamily(f lsgd.Family) error {
	switch f {
	case "", lsgd.Gaussian:
		d.logit = nil
		return nil
	case lsgd.Binomial:
	default:
		return fmt.Errorf("gpu: unknown family %q", f)
	}
	if d.target < 0 {
		return fmt.Errorf("gpu: the binomial family needs a table with a target column")
	}
	return d.do(func(c *gldev.Ctx) error {
		l := d.l
		name, defs := d.gradSource()
		extra := []def{{"C4", l.c4}, {"COLS", l.cols}, {"LOGIT", 1}, {"TGT", d.target}}
		g, err := d.b.program(c, name, d.f64, append(append(extra, defs...), d.weightDefs()...)...)
		if err != nil {
			return err
		}
		fin, err := d.b.program(c, "finalize.comp", d.f64, append(extra, def{"WG", l.smallWG})...)
		if err != nil {
			return err
		}
		d.logit = &logitState{grad: g, final: fin}
		return c.Err()
	})
}
