package compare

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/cpu"
	"github.com/lsgd/lsgd/internal/jsonout"
	"github.com/lsgd/lsgd/internal/par"
	"github.com/lsgd/lsgd/tableio"
)

// SweepRows and SweepFeatures are the sizes Bench sweeps when it is given
// none.
var (
	SweepRows     = []int{10_000, 100_000, 1_000_000, 10_000_000}
	SweepFeatures = []int{8, 32, 128, 256}
)

// BenchConfig describes a throughput benchmark of one backend.
type BenchConfig struct {
	Backend lsgd.Backend
	// Rows and Features are the sizes: every combination of them (empty:
	// SweepRows, SweepFeatures). Features excludes the target column.
	Rows, Features []int
	Reps           int    // timed reps per size (0: 7)
	Out            string // when set, write Out.csv, Out.json and Out.png
	Threads        int    // host probe threads (0: GOMAXPROCS)
	// MaxBytes skips sizes whose table is larger (0: a third of the
	// available memory, since a backend may hold a copy beside the table).
	MaxBytes int64
	// ProbeBytes is the buffer of the read-bandwidth probe (0: ProbeBytes,
	// beyond any cache; tests use less).
	ProbeBytes int64
	Log        io.Writer
}

// BenchResult is the throughput of one backend at one size.
type BenchResult struct {
	Backend   string `json:"backend"`
	Device    string `json:"device"`
	Kernel    string `json:"kernel,omitempty"` // the gradient kernel variant, when the backend has several
	Precision string `json:"precision"`
	Software  bool   `json:"software,omitempty"` // a software GL renderer: the figures measure the CPU
	Rows      int    `json:"rows"`
	Features  int    `json:"features"`
	Bytes     int64  `json:"bytes"` // one pass over the table: rows × (features+1) × element size
	Reps      int    `json:"reps"`
	Batch     int    `json:"batch"` // passes per timed rep (tiny tables are timed in batches)

	// GradientSeconds is the median time of one full-batch gradient pass:
	// the GL timer query's when the device has one (Timer says which),
	// else wall clock with the device synchronised after each rep.
	GradientSeconds float64  `json:"gradient_seconds"`
	Timer           string   `json:"timer"`
	WallSeconds     float64  `json:"wall_seconds"` // median wall clock of the same pass
	WallMinSeconds  float64  `json:"wall_min_seconds"`
	WallMaxSeconds  float64  `json:"wall_max_seconds"`
	TimerSeconds    *float64 `json:"timer_seconds,omitempty"`
	UploadSeconds   float64  `json:"upload_seconds"` // Load (in place for a CPU backend of the table's precision)
	RowsPerSecond   float64  `json:"rows_per_second"`
	GBps            float64  `json:"gbps"`
	// ReadGBps is the read bandwidth of the table's memory, probed in the
	// same run just before this size (host: cpu.ReadBandwidth over
	// ProbeBytes; a GPU: its own probe, null when it has none);
	// FractionOfBandwidth = GBps/ReadGBps.
	ReadGBps            *float64 `json:"read_gbps"`
	FractionOfBandwidth *float64 `json:"fraction_of_bandwidth"`
	// TableReadGBps (CPU backends) is a read-only pass over this very
	// table (cpu.ReadTable), the same-data anchor: a small table read from cache beats
	// the memory probe, and so may the gradient.
	TableReadGBps       *float64 `json:"table_read_gbps,omitempty"`
	FractionOfTableRead *float64 `json:"fraction_of_table_read,omitempty"`
	// DeviceReadGBps is a software renderer's own read kernel (its
	// Caps.ReadBandwidth), beside the host memory's ReadGBps.
	DeviceReadGBps *float64 `json:"device_read_gbps,omitempty"`
	// OtherCPUPercent is the CPU other processes used during the timed
	// reps, in % of one core (null where unknown): over ~10% the machine
	// was shared and the times are suspect.
	OtherCPUPercent *float64 `json:"other_cpu_percent"`
	Note            string   `json:"note,omitempty"`
}

// Bench measures a backend's full-batch gradient throughput at each size
// (see BenchConfig), with the read-bandwidth probe in the same run. A
// result per size measured; sizes over MaxBytes are skipped (and logged).
func Bench(ctx context.Context, cfg BenchConfig) ([]BenchResult, error) {
	be := cfg.Backend
	if be == nil {
		return nil, fmt.Errorf("compare: Bench needs a backend")
	}
	rowsList, featList := cfg.Rows, cfg.Features
	if len(rowsList) == 0 {
		rowsList = SweepRows
	}
	if len(featList) == 0 {
		featList = SweepFeatures
	}
	if cfg.Reps <= 0 {
		cfg.Reps = 7
	}
	if cfg.Threads <= 0 {
		cfg.Threads = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = availableMemory() / 3
	}
	if cfg.ProbeBytes <= 0 {
		cfg.ProbeBytes = ProbeBytes
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	prec := be.Precision()
	software := be.Caps().Software
	var results []BenchResult
	for _, f := range featList {
		for _, n := range rowsList {
			if err := ctx.Err(); err != nil {
				return results, err
			}
			if n <= 0 || f <= 0 {
				return results, &lsgd.InputError{Msg: fmt.Sprintf("bench: rows and features must be positive, got %d×%d", n, f)}
			}
			bytes := tableBytes(n, f+1, prec)
			if bytes > cfg.MaxBytes {
				logf("skip %d×%d: %s table over the %s limit", n, f, gb(bytes), gb(cfg.MaxBytes))
				continue
			}
			res := BenchResult{Backend: be.Name(), Device: be.Device(), Precision: prec.String(), Software: software,
				Rows: n, Features: f, Bytes: bytes}
			// The probe first, then the table, so that they run minutes
			// apart at most.
			res.ReadGBps, res.DeviceReadGBps, res.Note = probeFor(be, cfg.ProbeBytes, cfg.Threads)
			logf("%s %s %d×%d (%s)", be.Name(), prec, n, f, gb(bytes))
			tab := BenchTable(n, f, prec)
			if err := benchOne(be, tab, cfg, &res); err != nil {
				return results, fmt.Errorf("bench %d×%d: %w", n, f, err)
			}
			tab = nil
			runtime.GC()
			debug.FreeOSMemory()
			results = append(results, res)
			logf("  %s/pass (%s), %.2f GB/s%s", dur(res.GradientSeconds), res.Timer, res.GBps, fracText(res.FractionOfBandwidth))
		}
	}
	if cfg.Out != "" && len(results) > 0 {
		if err := WriteBenchFiles(cfg.Out, results); err != nil {
			return results, err
		}
		logf("wrote %s.csv, %s.json, %s.png", cfg.Out, cfg.Out, cfg.Out)
	}
	return results, nil
}

func fracText(f *float64) string {
	if f == nil {
		return ""
	}
	return fmt.Sprintf(" = %.0f%% of the read bandwidth", 100**f)
}

// benchOne loads tab, standardizes it and times its gradient pass.
func benchOne(be lsgd.Backend, tab *lsgd.Table, cfg BenchConfig, res *BenchResult) error {
	p := tab.Cols + 1
	t0 := time.Now()
	d, err := be.Load(tab, true)
	if err != nil {
		return err
	}
	defer d.Release()
	res.UploadSeconds = time.Since(t0).Seconds()
	shift, mul := make([]float64, tab.Cols), make([]float64, tab.Cols)
	for j := range mul {
		mul[j] = 1
	}
	if err := d.Standardize(shift, mul); err != nil {
		return err
	}
	theta, mask := make([]float64, p), make([]float64, p)
	for j := range theta {
		theta[j], mask[j] = 0.01*float64(j%7+1), 1
	}
	theta[tab.Target], mask[tab.Target] = -1, 0
	if err := d.Init(theta, mask, make([]float64, p)); err != nil {
		return err
	}
	tm, err := timeGradient(d, cfg.Reps)
	if err != nil {
		return err
	}
	if tm.TimerErr != nil {
		res.Note = strings.TrimPrefix(res.Note+"; ", "; ") + fmt.Sprintf("timer query failed: %v", tm.TimerErr)
	}
	res.Reps, res.Batch, res.OtherCPUPercent = tm.Reps, tm.Batch, tm.Other
	res.GradientSeconds, res.Timer = tm.seconds()
	res.Timer = timerLabel(res.Timer, be)
	res.Kernel = kernelName(d)
	res.WallSeconds, res.WallMinSeconds, res.WallMaxSeconds = tm.Wall, tm.WallMin, tm.WallMax
	if len(tm.Timer) > 0 {
		res.TimerSeconds = ptr(median(tm.Timer))
	}
	res.RowsPerSecond = float64(tab.Rows) / res.GradientSeconds
	res.GBps = float64(res.Bytes) / res.GradientSeconds / 1e9
	if res.ReadGBps != nil && *res.ReadGBps > 0 {
		res.FractionOfBandwidth = ptr(res.GBps / *res.ReadGBps)
	}
	if be.Name() == "cpu" && tab.Precision() == be.Precision() {
		rt := cpu.ReadTable(tab, cfg.Threads, cfg.Reps).Seconds()
		if rt > 0 {
			res.TableReadGBps = ptr(float64(res.Bytes) / rt / 1e9)
			res.FractionOfTableRead = ptr(res.GBps / *res.TableReadGBps)
		}
	}
	return nil
}

// BenchTable returns a rows×(features+1) table in precision p filled with
// seeded pseudo-random values of mean 0 and variance 1 (uniform on
// ±√3), generated in parallel: the values do not change the work of a
// gradient pass, only its size does.
func BenchTable(rows, features int, p lsgd.Precision) *lsgd.Table {
	t := tableio.NewTable(rows, features+1, p)
	t.Source = fmt.Sprintf("bench %d×%d %s", rows, features, p)
	n := rows * (features + 1)
	const chunk = 1 << 16
	par.For((n+chunk-1)/chunk, 0, func(_, c int) {
		s := uint64(c)*0x9e3779b97f4a7c15 + 0x6c736764
		for i := c * chunk; i < min((c+1)*chunk, n); i++ {
			s += 0x9e3779b97f4a7c15
			z := s
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
			z = (z ^ (z >> 27)) * 0x94d049bb133111eb
			z ^= z >> 31
			v := (float64(z>>11)/(1<<53)*2 - 1) * math.Sqrt(3)
			if t.F32 != nil {
				t.F32[i] = float32(v)
			} else {
				t.F64[i] = v
			}
		}
	})
	return t
}

// availableMemory reads MemAvailable from /proc/meminfo (8 GiB when it
// cannot).
func availableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 && fs[0] == "MemAvailable:" {
				if kb, err := strconv.ParseInt(fs[1], 10, 64); err == nil {
					return kb << 10
				}
			}
		}
	}
	return 8 << 30
}

func gb(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%.1f kB", float64(b)/1e3)
}

// WriteBenchText writes results as a table, one line per size.
func WriteBenchText(w io.Writer, results []BenchResult) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "backend\tprec\trows\tfeatures\tMB\tgradient\ttimer\trows/s\tGB/s\tread GB/s\tof bw\ttable read GB/s\tof table read\tupload\toth%%\t\n")
	for _, r := range results {
		read, frac, tread, tfrac := "-", "-", "-", "-"
		if r.ReadGBps != nil {
			read = fmt.Sprintf("%.2f", *r.ReadGBps)
		}
		if r.FractionOfBandwidth != nil {
			frac = fmt.Sprintf("%.0f%%", 100**r.FractionOfBandwidth)
		}
		if r.TableReadGBps != nil {
			tread = fmt.Sprintf("%.2f", *r.TableReadGBps)
			tfrac = fmt.Sprintf("%.0f%%", 100**r.FractionOfTableRead)
		}
		oth := "-"
		if r.OtherCPUPercent != nil {
			oth = fmt.Sprintf("%.0f", *r.OtherCPUPercent)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%s\t%s\t%.3g\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Backend, r.Precision, r.Rows,
			r.Features, float64(r.Bytes)/1e6, dur(r.GradientSeconds), r.Timer, r.RowsPerSecond, r.GBps, read, frac,
			tread, tfrac, dur(r.UploadSeconds), oth)
	}
	tw.Flush()
	devices := map[string]bool{}
	for _, r := range results {
		if devices[r.Device] {
			continue
		}
		devices[r.Device] = true
		sw := ""
		if r.Software {
			sw = " — SOFTWARE renderer: these figures measure the CPU, not a GPU"
		}
		fmt.Fprintf(ew, "device: %s%s\n", r.Device, sw)
	}
	notes := map[string]bool{}
	for _, r := range results {
		if r.Note != "" && !notes[r.Note] {
			notes[r.Note] = true
			fmt.Fprintf(ew, "note: %s\n", r.Note)
		}
	}
	return ew.err
}

// WriteBenchCSV writes results as CSV with a header line.
func WriteBenchCSV(w io.Writer, results []BenchResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"backend", "device", "precision", "software", "rows", "features", "bytes", "reps", "batch",
		"gradient_seconds", "timer", "wall_seconds", "timer_seconds", "upload_seconds", "rows_per_second", "gbps",
		"read_gbps", "fraction_of_bandwidth", "table_read_gbps", "fraction_of_table_read", "device_read_gbps",
		"other_cpu_percent", "note"})
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', 6, 64)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range results {
		cw.Write([]string{r.Backend, r.Device, r.Precision, strconv.FormatBool(r.Software), strconv.Itoa(r.Rows),
			strconv.Itoa(r.Features), strconv.FormatInt(r.Bytes, 10), strconv.Itoa(r.Reps), strconv.Itoa(r.Batch),
			g(r.GradientSeconds), r.Timer, g(r.WallSeconds), opt(r.TimerSeconds), g(r.UploadSeconds),
			g(r.RowsPerSecond), g(r.GBps), opt(r.ReadGBps), opt(r.FractionOfBandwidth), opt(r.TableReadGBps),
			opt(r.FractionOfTableRead), opt(r.DeviceReadGBps), opt(r.OtherCPUPercent), r.Note})
	}
	cw.Flush()
	return cw.Error()
}

// WriteBenchFiles writes prefix.csv, prefix.json (an array of results) and
// prefix.png (PlotBench).
func WriteBenchFiles(prefix string, results []BenchResult) error {
	if err := tableio.WriteFileAtomic(prefix+".csv", func(w io.Writer) error { return WriteBenchCSV(w, results) }); err != nil {
		return err
	}
	if err := tableio.WriteFileAtomic(prefix+".json", func(w io.Writer) error { return jsonout.Write(w, results) }); err != nil {
		return err
	}
	return PlotBench(prefix+".png", results)
}
