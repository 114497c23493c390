package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
)

// Backend names as --backend spells them.
const (
	backendAuto = "auto"
	backendCPU  = "cpu"
	backendGPU  = "gpu"
)

// backendFlag returns the --backend flag value, default auto.
func backendFlag() *choice {
	return &choice{v: backendAuto, opts: []string{backendAuto, backendCPU, backendGPU}}
}

// backendOptions are what a command asks of a backend.
type backendOptions struct {
	Kind         string         // auto, cpu or gpu
	Precision    lsgd.Precision // used when PrecisionSet
	PrecisionSet bool           // --precision given; otherwise f64 on the CPU, f32 on the GPU
	Threads      int            // CPU worker goroutines (0: all cores)
	Device       string         // --device for the GPU ("": LSGD_DEVICE, else auto)
}

// openBackend picks the backend:
//
//   - cpu: the fast CPU path;
//   - gpu: the GL device, or an error saying in one line why there is none;
//   - auto: a hardware GL device when the probe finds one, otherwise the CPU
//     with a one-line note on stderr saying why (a software renderer such
//     as llvmpipe counts as no GPU).
func (a *app) openBackend(cmd *cobra.Command, o backendOptions) (lsgd.Backend, error) {
	if o.Device == "" {
		o.Device = a.device
	}
	switch o.Kind {
	case backendCPU:
		return a.cpuBackend(o), nil
	case backendGPU:
		b, err := openGPU(o)
		if err != nil {
			return nil, fmt.Errorf("--backend gpu: %s", strings.TrimPrefix(err.Error(), "gpu: "))
		}
		return b, nil
	case backendAuto, "":
		p := probeGPU(o.Device)
		if !p.Usable {
			a.notef("note: using the CPU: %s", p.Why)
			return a.cpuBackend(o), nil
		}
		b, err := openGPU(o)
		if err != nil {
			a.notef("note: using the CPU: the GPU (%s) failed to start: %v", p.Renderer, err)
			return a.cpuBackend(o), nil
		}
		return b, nil
	}
	return nil, usageErrorf(cmd, "--backend must be auto, cpu or gpu, got %q", o.Kind)
}

func (a *app) cpuBackend(o backendOptions) lsgd.Backend {
	p := lsgd.F64
	if o.PrecisionSet {
		p = o.Precision
	}
	return cpu.New(cpu.Options{Precision: p, Threads: o.Threads})
}
