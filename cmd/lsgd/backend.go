package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/backend"
)

// backendFlag returns the --backend flag value, default auto, listing
// every kind the backend package knows.
func backendFlag() *choice {
	opts := make([]string, len(backend.Kinds))
	for i, k := range backend.Kinds {
		opts[i] = string(k)
	}
	return &choice{v: string(backend.Auto), opts: opts}
}

// backendOptions are what a command asks of a backend.
type backendOptions struct {
	Kind      string            // auto, cpu or gpu
	Precision backend.Precision // Default: f64 on the CPU, f32 on the GPU
	Threads   int               // CPU worker goroutines (0: all cores)
	Device    string            // --device for the GPU ("": LSGD_DEVICE, else auto)
}

// openBackend opens the backend --backend names (backend.Open decides and
// says why); with auto, a choice of the CPU is noted in one line on stderr.
func (a *app) openBackend(cmd *cobra.Command, o backendOptions) (lsgd.Backend, error) {
	kind, err := backend.ParseKind(o.Kind)
	if o.Kind == "" {
		kind, err = backend.Auto, nil
	}
	if err != nil {
		return nil, usageErrorf(cmd, "--backend must be auto, cpu or gpu, got %q", o.Kind)
	}
	if o.Device == "" {
		o.Device = a.device
	}
	takeGLFWLog()
	b, why, err := backend.Open(kind, o.Precision, backend.Options{Threads: o.Threads, Device: o.Device, GPUMemory: a.gpuMemory.n})
	onCPU := err == nil && kind == backend.Auto && b.Name() != string(backend.GPU)
	if msg := takeGLFWLog(); msg != "" && (err != nil || onCPU) {
		// GLFW reported the real cause through its logger; the error
		// that follows it is a consequence ("not initialized").
		why, err = fmt.Sprintf("no OpenGL context (%s)", msg), nil
		if !onCPU {
			err = errors.New(why)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("--backend %s: %s", kind, strings.TrimPrefix(err.Error(), "gpu: "))
	}
	if onCPU {
		a.notef("note: using the CPU: %s", why)
	}
	return b, nil
}

// cpuBackend opens the CPU backend (the fallback after a GPU failure).
func (a *app) cpuBackend(o backendOptions) lsgd.Backend {
	b, _, _ := backend.Open(backend.CPU, o.Precision, backend.Options{Threads: o.Threads})
	return b
}
