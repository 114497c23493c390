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
// LSGD_MEASURE_SIZES=f32/32,f64/128 picks shapes,
// LSGD_MEASURE_LAYOUT=contiguous the contiguous row order.
func TestMeasureBandwidthFraction(t *testing.T) {
	reps, _ := strconv.Atoi(os.Getenv("LSGD_MEASURE"))
	if reps <= 0 {
		t.Skip("set LSGD_MEASURE=reps to measure")
	}
	if os.Getenv("LSGD_MEASURE_LAYOUT") == "contiguous" {
		defer func(v bool) { streamLayout = v }(streamLayout)
		streamLayout = false
	}
	fmt.Printf("%-18s %-8s %6s %8s %8s %8s %8s %6s %6s %6s\n", "shape", "kernel", "pairs", "read1 ms", "read4 ms", "grad ms", "GB/s", "xread", "xreadP", "xrd1")
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
				read := min(m.read1, m.read4)
				fmt.Printf("%-18s %-8s %6d %8.2f %8.2f %8.2f %8.2f %6.2f %6.2f %6.2f\n",
					fmt.Sprintf("%s %dx%d", prec, sz.rows, sz.features), name, m.pairs,
					m.read1.Seconds()*1e3, m.read4.Seconds()*1e3, m.grad.Seconds()*1e3,
					float64(tb.Bytes())/m.grad.Seconds()/1e9,
					read.Seconds()/m.grad.Seconds(), m.pairRatio, m.read1.Seconds()/m.grad.Seconds())
			}
		}
	}
}

type gradMeasure struct {
	pairs        int
	read1, read4 time.Duration // medians over the quiet pairs, 1 and 4 streams
	grad         time.Duration
	pairRatio    float64 // median over pairs of min(read1, read4)/grad
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
	readPass(buf, opt.Threads, 1)
	readPass(buf, opt.Threads, 4)
	d.Gradient(lsgd.Theta, rows)
	var tr1, tr4, tg []time.Duration
	var ratio []float64
	for tries := 0; len(tg) < reps && tries < 20*reps; tries++ {
		if tries%reps == reps-1 {
			waitQuiet(30 * time.Second)
		}
		m0, s0 := busyTicks()
		t0 := time.Now()
		readPass(buf, opt.Threads, 1)
		t1 := time.Now()
		readPass(buf, opt.Threads, 4)
		t2 := time.Now()
		d.Gradient(lsgd.Theta, rows)
		t3 := time.Now()
		m1, s1 := busyTicks()
		if (m1-m0)-(s1-s0) > 0 {
			continue // another process ran
		}
		r1, r4, g := t1.Sub(t0), t2.Sub(t1), t3.Sub(t2)
		tr1, tr4, tg = append(tr1, r1), append(tr4, r4), append(tg, g)
		ratio = append(ratio, min(r1, r4).Seconds()/g.Seconds())
	}
	if len(tg) == 0 {
		t.Fatalf("no quiet pair in %d tries", 20*reps)
	}
	for _, s := range [][]time.Duration{tr1, tr4, tg} {
		slices.Sort(s)
	}
	slices.Sort(ratio)
	k := len(tg) / 2
	return gradMeasure{len(tg), tr1[k], tr4[k], tg[k], ratio[k]}
}

// TestMeasureReadBandwidth prints ReadBandwidth for 1 GiB and 128 MiB
// with 2 and 1 threads, and the one- and four-stream reads apart, to set
// beside ../shared/peers/stream.sh. It runs only with LSGD_MEASURE set.
func TestMeasureReadBandwidth(t *testing.T) {
	if os.Getenv("LSGD_MEASURE") == "" {
		t.Skip("set LSGD_MEASURE=reps to measure")
	}
	for _, mib := range []int64{1024, 128} {
		buf := make([]float32, mib<<20/4)
		parallelFill(buf, 0)
		for _, th := range []int{2, 1} {
			waitQuiet(30 * time.Second)
			var r1, r4 []float64
			for i := 0; i < 7; i++ {
				t0 := time.Now()
				readPass(buf, th, 1)
				t1 := time.Now()
				readPass(buf, th, 4)
				t2 := time.Now()
				r1 = append(r1, float64(mib<<20)/t1.Sub(t0).Seconds()/1e9)
				r4 = append(r4, float64(mib<<20)/t2.Sub(t1).Seconds()/1e9)
			}
			slices.Sort(r1)
			slices.Sort(r4)
			fmt.Printf("read %4d MiB f32, %d threads: 1 stream %.2f GB/s, 4 streams %.2f GB/s (medians of 7); ReadBandwidth %.2f GB/s\n",
				mib, th, r1[3], r4[3], ReadBandwidth(mib<<20, th))
		}
	}
}
