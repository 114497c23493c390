package cpu

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// mapTable writes t to dir/name and maps it back, with t's target.
func mapTable(dir, name string, t *lsgd.Table) (*lsgd.Table, error) {
	path := filepath.Join(dir, name)
	if err := tableio.SaveTable(path, t); err != nil {
		return nil, err
	}
	m, err := tableio.MapNPY(path, tableio.ReadOptions{Target: "index:" + strconv.Itoa(t.Target+1)})
	if err != nil {
		return nil, err
	}
	if m.Map == nil || m.Target != t.Target {
		return nil, fmt.Errorf("%s: not mapped (map %v) or target %d, want %d", path, m.Map != nil, m.Target, t.Target)
	}
	return m, nil
}

// offsetTable is a rows×(feats+1) table whose columns have offsets far
// from their spreads (so standardization matters) and a target that
// depends on them, in precision p.
func offsetTable(rng *rand.Rand, rows, feats int, p lsgd.Precision) *lsgd.Table {
	t := tableio.NewTable(rows, feats+1, p)
	off := make([]float64, feats)
	sc := make([]float64, feats)
	for j := range off {
		off[j] = 100 * rng.NormFloat64()
		sc[j] = math.Exp(3 * rng.NormFloat64())
	}
	for i := 0; i < rows; i++ {
		y := 3.0
		for j := 0; j < feats; j++ {
			x := off[j] + sc[j]*rng.NormFloat64()
			t.Set(i, j, x)
			y += float64(j+1) * (x - off[j]) / sc[j]
		}
		t.Set(i, feats, y+0.1*rng.NormFloat64())
	}
	return t
}

// A mapped table is never copied, and every kernel has the same bits as
// the resident float64 path over the same values, before and after
// Standardize (the chunks are standardized into a buffer as Standardize
// would have rewritten them, and summed in the same order): float32 files
// widened, float64 files read in place, on the float64 and the float32
// backend (a streamed table is computed in float64 on both).
func TestMappedSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, file := range []lsgd.Precision{lsgd.F32, lsgd.F64} {
		for _, prec := range []lsgd.Precision{lsgd.F64, lsgd.F32} {
			for _, shape := range [][2]int{{3, 1}, {4097, 5}, {9000, 17}, {5000, 200}} {
				name := fmt.Sprintf("file %v backend %v %v", file, prec, shape)
				tab := offsetTable(rng, shape[0], shape[1], file)
				m, err := mapTable(t.TempDir(), "w.npy", tab)
				if err != nil {
					t.Fatal(err)
				}
				res, err := New(Options{Threads: 3}).Load(tab.Clone(lsgd.F64), true)
				if err != nil {
					t.Fatal(err)
				}
				str, err := New(Options{Threads: 2, Precision: prec}).Load(m, true)
				if err != nil {
					t.Fatal(err)
				}
				md := str.(*mappedData)
				if m.F32 != nil && (&md.t.F32[0] != &m.F32[0] || md.t.F64 != nil) ||
					m.F64 != nil && (&md.t.F64[0] != &m.F64[0] || md.t.F32 != nil) {
					t.Fatalf("%s: the mapped table was copied", name)
				}
				compareKernels(t, rng, name, tab, res, str)
				mean, scale, err := res.Moments(true)
				if err != nil {
					t.Fatal(err)
				}
				mul := make([]float64, len(scale))
				for j := range mul {
					mul[j] = 1 / scale[j]
				}
				for _, d := range []lsgd.Data{res, str} {
					if err := d.Standardize(mean, mul); err != nil {
						t.Fatal(err)
					}
				}
				compareKernels(t, rng, name+" standardized", tab, res, str)
			}
		}
	}
}

// compareKernels checks that Gradient (full, part and shuffled rows),
// Gram, Moments and Predict have the same bits on res and str.
func compareKernels(t *testing.T, rng *rand.Rand, name string, tab *lsgd.Table, res, str lsgd.Data) {
	t.Helper()
	p := tab.Cols + 1
	v, mask, ridge := make([]float64, p), make([]float64, p), make([]float64, p)
	for j := range v {
		v[j], mask[j], ridge[j] = rng.NormFloat64(), 1, 0.01
	}
	v[tab.Target] = -1
	o32 := make([]int32, tab.Rows)
	for i, k := range rng.Perm(tab.Rows) {
		o32[i] = int32(k)
	}
	for _, d := range []lsgd.Data{res, str} {
		if err := d.Init(v, mask, ridge); err != nil {
			t.Fatal(err)
		}
		if err := d.SetOrder(o32); err != nil {
			t.Fatal(err)
		}
	}
	n := tab.Rows
	for _, rows := range []lsgd.Rows{{Lo: 0, Hi: n}, {Lo: n / 3, Hi: n}, {Lo: 0, Hi: n, Shuffled: true}} {
		if rows.Len() == 0 {
			continue
		}
		var g [2][]float64
		var st [2]lsgd.Status
		for k, d := range []lsgd.Data{res, str} {
			if err := d.Gradient(lsgd.Theta, rows); err != nil {
				t.Fatal(err)
			}
			g[k] = make([]float64, p)
			d.Vector(lsgd.Grad, g[k])
			st[k], _ = d.Status()
		}
		if err := sameBits(g[0], g[1]); err != nil || st[0].Loss != st[1].Loss {
			t.Errorf("%s rows %+v: gradient %v, loss %v vs %v", name, rows, err, st[0].Loss, st[1].Loss)
		}
		g0, err0 := res.Gram(rows)
		g1, err1 := str.Gram(rows)
		if rows.Shuffled {
			// The resident backend refuses shuffled rows in Gram or not;
			// the streamed one must agree with it when it does not.
			if err0 != nil {
				continue
			}
		}
		if err0 != nil || err1 != nil {
			t.Fatalf("%s rows %+v: Gram: %v, %v", name, rows, err0, err1)
		}
		if err := sameBits(g0, g1); err != nil {
			t.Errorf("%s rows %+v: Gram %v", name, rows, err)
		}
	}
	pr := [2][]float64{make([]float64, n), make([]float64, n)}
	for k, d := range []lsgd.Data{res, str} {
		if err := d.Predict(lsgd.Theta, pr[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := sameBits(pr[0], pr[1]); err != nil {
		t.Errorf("%s: Predict %v", name, err)
	}
}

func sameBits(a, b []float64) error {
	for j := range a {
		if math.Float64bits(a[j]) != math.Float64bits(b[j]) {
			return fmt.Errorf("[%d] %v vs %v", j, a[j], b[j])
		}
	}
	return nil
}

// Fit and Solve on a streamed table reach the resident path's coefficients
// within the certified error bounds of both (Fit) or the refinement's
// accuracy (Solve), on data with offsets far from the spreads, for every
// precision and storage.
func TestMappedFitMatchesResident(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range []struct {
		file, prec lsgd.Precision
	}{{lsgd.F64, lsgd.F64}, {lsgd.F32, lsgd.F64}, {lsgd.F32, lsgd.F32}} {
		tab := offsetTable(rng, 20000, 6, c.file)
		m, err := mapTable(t.TempDir(), "f.npy", tab)
		if err != nil {
			t.Fatal(err)
		}
		b := New(Options{Precision: c.prec})
		want, err := lsgd.Fit(context.Background(), b, tab, lsgd.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := lsgd.Fit(context.Background(), b, m, lsgd.Options{InPlace: true})
		if err != nil {
			t.Fatal(err)
		}
		if got.Passes > want.Passes+2 {
			t.Errorf("file %v prec %v: %g passes streamed, %g resident", c.file, c.prec, got.Passes, want.Passes)
		}
		// Both are certified: ‖θ − θ*‖ ≤ bound·‖θ*‖ (relative to the
		// standardized coefficients; compared per coefficient with the
		// ± bounds each fit reports).
		for j := range want.Coef {
			tol := want.CoefBound[j] + got.CoefBound[j]
			if d := math.Abs(got.Coef[j] - want.Coef[j]); !(d <= tol) {
				t.Errorf("file %v prec %v: coef %d = %.17g streamed, %.17g resident (|Δ| %.3g > %.3g)", c.file, c.prec, j, got.Coef[j], want.Coef[j], d, tol)
			}
		}
		if c.prec == lsgd.F64 {
			ws, err := lsgd.SolveOn(context.Background(), New(Options{}), tab, lsgd.SolveOptions{Method: lsgd.SolveGram})
			if err != nil {
				t.Fatal(err)
			}
			gs, err := lsgd.SolveOn(context.Background(), New(Options{}), m, lsgd.SolveOptions{Method: lsgd.SolveGram, InPlace: true})
			if err != nil {
				t.Fatal(err)
			}
			// Refined Gram solves reach about κ·u; the conditioning here
			// is mild (independent columns), so 1e3·u relative suffices.
			for j := range ws.Coef {
				if d := math.Abs(gs.Coef[j] - ws.Coef[j]); !(d <= 1e3*0x1p-53*(1+math.Abs(ws.Coef[j]))) {
					t.Errorf("file %v: solve coef %d = %.17g streamed, %.17g resident", c.file, j, gs.Coef[j], ws.Coef[j])
				}
			}
		}
	}
}

// A NaN in a mapped file is found by the first Moments pass, which names
// its row and column.
func TestMappedNonFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, p := range []lsgd.Precision{lsgd.F64, lsgd.F32} {
		tab := offsetTable(rng, 10000, 4, p)
		path := filepath.Join(t.TempDir(), "inf.npy")
		if err := tableio.SaveTable(path, tab); err != nil {
			t.Fatal(err)
		}
		// WriteNPY refuses −Inf: patch it into the file.
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		esz := int64(p.Size())
		off := st.Size() - int64(tab.Rows*tab.Cols)*esz + (7777*int64(tab.Cols)+2)*esz
		b := make([]byte, esz)
		if p == lsgd.F32 {
			binary.LittleEndian.PutUint32(b, math.Float32bits(float32(math.Inf(-1))))
		} else {
			binary.LittleEndian.PutUint64(b, math.Float64bits(math.Inf(-1)))
		}
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
		f.Close()
		m, err := tableio.MapNPY(path, tableio.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := New(Options{Precision: p}).Load(m, true)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = d.Moments(true)
		if err == nil || !strings.Contains(err.Error(), "row 7778") || !strings.Contains(err.Error(), `"x3"`) {
			t.Errorf("%v: Moments: %v; want an error naming row 7778, column x3", p, err)
		}
	}
}
