package cpu

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lsgd/lsgd"
)

// TestMeasureBandwidthFraction prints, for the benchmark shapes, the time
// of a full-batch Gradient of the fast backend beside a read-only pass over
// the same table, the two interleaved rep by rep so that bandwidth drift
// hits both alike. Pairs during which other processes used the CPU are
// dropped (this machine is shared). It runs only with LSGD_MEASURE=reps
// set; LSGD_MEASURE_PORTABLE=1 adds the portable kernels,
// LSGD_MEASURE_SIZES=f32/32,f64/128 picks shapes.
func TestMeasureBandwidthFraction(t *testing.T) {
	reps, _ := strconv.Atoi(os.Getenv("LSGD_MEASURE"))
	if reps <= 0 {
		t.Skip("set LSGD_MEASURE=reps to measure")
	}
	fmt.Printf("%-18s %-8s %6s %9s %9s %9s %7s %7s\n", "shape", "kernel", "pairs", "read ms", "grad ms", "GB/s", "xread", "xreadP")
	for _, prec := range []lsgd.Precision{lsgd.F32, lsgd.F64} {
		for _, sz := range benchSizes {
			if s := os.Getenv("LSGD_MEASURE_SIZES"); s != "" &&
				!slices.Contains(strings.Split(s, ","), fmt.Sprintf("%s/%d", prec, sz.features)) {
				continue
			}
			tb := benchTable(sz.rows, sz.features, prec)
			for _, portable := range []bool{false, true} {
				if portable && os.Getenv("LSGD_MEASURE_PORTABLE") == "" {
					continue
				}
				name := "vector"
				if portable {
					name = "portable"
				}
				th, _ := strconv.Atoi(os.Getenv("LSGD_MEASURE_THREADS"))
				m := measureGradient(t, tb, Options{Precision: prec, Portable: portable, Threads: th}, reps)
				fmt.Printf("%-18s %-8s %6d %9.2f %9.2f %9.2f %7.2f %7.2f\n",
					fmt.Sprintf("%s %dx%d", prec, sz.rows, sz.features), name, m.pairs,
					m.read.Seconds()*1e3, m.grad.Seconds()*1e3, float64(tb.Bytes())/m.grad.Seconds()/1e9,
					m.read.Seconds()/m.grad.Seconds(), m.pairRatio)
			}
		}
	}
}

type gradMeasure struct {
	pairs      int
	read, grad time.Duration // medians over the quiet pairs
	pairRatio  float64       // median of read/grad per pair
}

func measureGradient(t *testing.T, tb *lsgd.Table, opt Options, reps int) gradMeasure {
	d, err := New(opt).Load(tb, true)
	if err != nil {
		t.Fatal(err)
	}
	p := tb.Cols + 1
	theta, mask := make([]float64, p), make([]float64, p)
	for j := range theta {
		theta[j], mask[j] = 0.01*float64(j%7), 1
	}
	d.Init(theta, mask, make([]float64, p))
	rows := lsgd.Rows{Lo: 0, Hi: tb.Rows}
	buf := tb.F32
	if buf == nil {
		buf = f64AsF32(tb.F64)
	}
	readPass(buf, opt.Threads)
	d.Gradient(lsgd.Theta, rows)
	var tr, tg []time.Duration
	var ratio []float64
	for tries := 0; len(tr) < reps && tries < 20*reps; tries++ {
		if tries%reps == reps-1 {
			waitQuiet(30 * time.Second)
		}
		m0, s0 := busyTicks()
		t0 := time.Now()
		readPass(buf, opt.Threads)
		t1 := time.Now()
		d.Gradient(lsgd.Theta, rows)
		t2 := time.Now()
		m1, s1 := busyTicks()
		if (m1-m0)-(s1-s0) > 0 {
			continue // another process ran
		}
		tr, tg = append(tr, t1.Sub(t0)), append(tg, t2.Sub(t1))
		ratio = append(ratio, t1.Sub(t0).Seconds()/t2.Sub(t1).Seconds())
	}
	if len(tr) == 0 {
		t.Fatalf("no quiet pair in %d tries", 20*reps)
	}
	slices.Sort(tr)
	slices.Sort(tg)
	slices.Sort(ratio)
	return gradMeasure{len(tr), tr[len(tr)/2], tg[len(tg)/2], ratio[len(ratio)/2]}
}
