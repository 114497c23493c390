package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/backend"
	"github.com/lsgd/lsgd/cpu"
)

func (a *app) devicesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "Show the CPU and GPU found, and what --backend auto would choose",
		Long: `devices prints what lsgd found: the CPU (model, threads, vector kernel) and
the OpenGL device (renderer, version, compute limits, whether it is a
software renderer), or why no OpenGL 4.3 context could be opened; then what
--backend auto would choose and why. A software renderer such as llvmpipe
counts as no GPU for auto.`,
		Example: `  lsgd devices
  DISPLAY=:0 lsgd devices`,
		RunE: func(cmd *cobra.Command, args []string) error { return a.devices(asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return cmd
}

type devicesOutput struct {
	CPU struct {
		Model   string `json:"model"`
		Threads int    `json:"threads"`
		F64     string `json:"f64_device"`
		F32     string `json:"f32_device"`
	} `json:"cpu"`
	GPU struct {
		OK       bool   `json:"ok"`
		Renderer string `json:"renderer,omitempty"`
		Vendor   string `json:"vendor,omitempty"`
		Version  string `json:"version,omitempty"`
		GLSL     string `json:"glsl,omitempty"`
		Software bool   `json:"software"`
		FP64     bool   `json:"fp64"`
		Error    string `json:"error,omitempty"`
	} `json:"gpu"`
	Auto       string `json:"auto"`
	AutoReason string `json:"auto_reason"`
}

func (a *app) devices(asJSON bool) error {
	var out devicesOutput
	out.CPU.Model = cpuModel()
	out.CPU.Threads = runtime.GOMAXPROCS(0)
	out.CPU.F64 = cpu.New(cpu.Options{Precision: lsgd.F64}).Device()
	out.CPU.F32 = cpu.New(cpu.Options{Precision: lsgd.F32}).Device()
	p := probeGPU()
	c := p.Info.Caps
	out.GPU.OK = p.OK
	out.GPU.Renderer, out.GPU.Vendor, out.GPU.Version, out.GPU.GLSL = c.Renderer, c.Vendor, c.Version, c.GLSL
	out.GPU.Software, out.GPU.FP64 = c.Software, c.FP64
	if p.Err != nil {
		out.GPU.Error = strings.TrimPrefix(p.Err.Error(), "gpu: ")
	}
	out.Auto, out.AutoReason = string(backend.CPU), p.Why
	if p.Usable {
		out.Auto = string(backend.GPU)
	}
	if asJSON {
		return writeJSON(a.stdout, out)
	}
	w := a.stdout
	fmt.Fprintf(w, "cpu: %s, %d threads\n", out.CPU.Model, out.CPU.Threads)
	fmt.Fprintf(w, "  f64: %s\n  f32: %s\n", out.CPU.F64, out.CPU.F32)
	if !p.OK {
		fmt.Fprintf(w, "gpu: none (%s)\n", p.Why)
	} else {
		// gpu.Info.String ends with its own "auto:" line; print ours below.
		s := p.Info.String()
		if k := strings.LastIndex(s, "\nauto:"); k >= 0 {
			s = s[:k]
		}
		fmt.Fprintln(w, s)
	}
	fmt.Fprintf(w, "auto: %s (%s)\n", out.Auto, out.AutoReason)
	return nil
}
