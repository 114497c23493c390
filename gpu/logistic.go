//go:build cgo

package gpu

import (
	"fmt"

	"github.com/lsgd/lsgd"
)

// SetFamily implements lsgd.Data.SetFamily.
func (d *Data) SetFamily(f lsgd.Family) error {
	switch f {
	case "", lsgd.Gaussian:
		return nil
	}
	return fmt.Errorf("gpu: the %s family is not implemented on the GPU backend yet", f)
}
