package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/backend"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/gpu"
)

func (a *app) devicesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "Show the CPU and GPU found, and what --backend auto would choose",
		Long: `devices prints what lsgd found: the CPU (model, threads, vector kernel);
every place an OpenGL 4.3 context can come from — each EGL device, Mesa's
surfaceless EGL platform, GLX on the X display — with its renderer, vendor,
OpenGL version, memory where the driver reports it, or in one line why it
gave no context; then the device the GPU backend uses (--device, else
LSGD_DEVICE, else auto: the first hardware device) with its compute limits,
and what --backend auto would choose and why. A software renderer such as
llvmpipe counts as no GPU for auto.

The first column is the value --device (or LSGD_DEVICE) takes to pick that
device. No X server is needed: EGL comes first, GLX is the fallback.`,
		Example: `  lsgd devices
  lsgd devices --device 1
  LSGD_DEVICE=surfaceless lsgd devices --json`,
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
		Source   string `json:"source,omitempty"`
		Device   string `json:"device,omitempty"`
		Software bool   `json:"software"`
		FP64     bool   `json:"fp64"`
		Error    string `json:"error,omitempty"`
	} `json:"gpu"`
	Devices    []deviceEntry `json:"devices"`
	Auto       string        `json:"auto"`
	AutoReason string        `json:"auto_reason"`
}

// deviceEntry is one line of the device list.
type deviceEntry struct {
	Device      string `json:"device,omitempty"` // the --device value that picks it
	Source      string `json:"source"`           // EGL device N, EGL surfaceless, GLX (GLFW)
	OK          bool   `json:"ok"`
	Renderer    string `json:"renderer,omitempty"`
	Vendor      string `json:"vendor,omitempty"`
	Version     string `json:"version,omitempty"`
	MemoryBytes int64  `json:"memory_bytes,omitempty"`
	FreeBytes   int64  `json:"free_memory_bytes,omitempty"`
	Software    bool   `json:"software"`
	Error       string `json:"error,omitempty"`
}

func (a *app) devices(asJSON bool) error {
	var out devicesOutput
	out.CPU.Model = cpuModel()
	out.CPU.Threads = runtime.GOMAXPROCS(0)
	out.CPU.F64 = cpu.New(cpu.Options{Precision: lsgd.F64}).Device()
	out.CPU.F32 = cpu.New(cpu.Options{Precision: lsgd.F32}).Device()
	devs := gpu.Devices()
	for _, d := range devs {
		e := deviceEntry{Device: d.Selector, Source: d.Source, OK: d.Err == nil}
		if d.Err != nil {
			e.Error = d.Why
		} else {
			c := d.Caps
			e.Renderer, e.Vendor, e.Version, e.Software = c.Renderer, c.Vendor, c.Version, c.Software
			e.MemoryBytes, e.FreeBytes = c.MemoryBytes, c.FreeMemoryBytes
		}
		out.Devices = append(out.Devices, e)
	}
	p := probeGPU(a.device)
	c := p.Info.Caps
	out.GPU.OK = p.OK
	out.GPU.Source, out.GPU.Device = c.Source, c.Selector
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
	fmt.Fprintln(w, "opengl devices (--device or LSGD_DEVICE picks one; auto: the first hardware device):")
	for _, d := range devs {
		sel := d.Selector
		if sel == "" {
			sel = "-"
		}
		fmt.Fprintf(w, "  %-12s %s\n", sel, d.Line)
	}
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
