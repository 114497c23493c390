package main

import (
	"bufio"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lsgd/lsgd/tableio"
)

// maxFeatures bounds --features of the commands that build a synthetic
// table (gen, compare, bench): gen mixes the features through a dense
// d×d orthogonal matrix (d² memory, d³ time), and the exact solve every
// fit is checked against is d² too.
const maxFeatures = 4096

// bytesPerValue is about how many bytes a command holds per table value:
// gen builds the float64 table once; compare keeps the float64 table and a
// copy per backend (reference, fast f64, fast f32, GPU); bench a table and
// the backend's copy.
var bytesPerValue = map[string]uint64{"gen": 8, "compare": 32, "bench": 16}

// checkShapeFlags rejects, before anything is allocated, a synthetic table
// (--rows × --features) that cannot be held: too many features, a product
// that overflows, or more bytes than the machine has available. Values ≤ 0
// are left to the command's own checks.
func checkShapeFlags(cmd *cobra.Command) error {
	per, ok := bytesPerValue[cmd.Name()]
	if !ok {
		return nil
	}
	fl := cmd.Flags()
	if cmd.Name() == "compare" && fl.Changed("data") {
		return nil
	}
	if sweep, err := fl.GetBool("sweep"); err == nil && sweep {
		return nil // the sweep skips the sizes that do not fit
	}
	rows, err1 := fl.GetInt("rows")
	feats, err2 := fl.GetInt("features")
	if err1 != nil || err2 != nil || rows <= 0 || feats <= 0 {
		return nil
	}
	return checkShape(cmd, rows, feats, per, availableMemory())
}

// checkShape is checkShapeFlags on given numbers; avail ≤ 0 means unknown
// (only the feature limit and overflow are then checked).
func checkShape(cmd *cobra.Command, rows, feats int, per uint64, avail int64) error {
	if feats > maxFeatures {
		return usageErrorf(cmd, "--features %d is too large: at most %d", feats, maxFeatures)
	}
	cells := uint64(feats + 1)
	hi, n := bits.Mul64(uint64(rows), cells)
	hi2, need := bits.Mul64(n, per)
	// The d×d mixing and Gram matrices beside the table.
	need2 := need + 4*8*uint64(feats)*uint64(feats)
	if hi != 0 || hi2 != 0 || need2 < need {
		return usageErrorf(cmd, "--rows %d × --features %d is too large: the table would need more than 2⁶⁴ bytes%s",
			rows, feats, rowLimit(feats, per, avail))
	}
	if avail > 0 && need2 > uint64(avail) {
		return usageErrorf(cmd, "--rows %d × --features %d needs about %s of memory, more than the %s available%s",
			rows, feats, bytesString(need2), bytesString(uint64(avail)), rowLimit(feats, per, avail))
	}
	return nil
}

// rowLimit states the most rows that fit at feats features.
func rowLimit(feats int, per uint64, avail int64) string {
	if avail <= 0 {
		return ""
	}
	side := 4 * 8 * uint64(feats) * uint64(feats)
	if side >= uint64(avail) {
		return ""
	}
	return fmt.Sprintf(" (at most about %d rows at %d features here)", (uint64(avail)-side)/(uint64(feats+1)*per), feats)
}

func bytesString(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", b)
}

// availableMemory is MemAvailable from /proc/meminfo in bytes, or 0 when
// it cannot be read (another system).
func availableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "MemAvailable:" {
			if kb, err := strconv.ParseInt(fs[1], 10, 64); err == nil && kb < 1<<53 {
				return kb << 10
			}
		}
	}
	return 0
}

// targetHelp is the --target flag's help.
const targetHelp = "target column: its `NAME` or 1-based INDEX (name:NAME or index:INDEX when a name is a number); default: the last column"

// clipList quotes names for a message, each clipped, the list cut to its
// first 8 and last 2 beyond 12 names.
func clipList(names []string) []string {
	var q []string
	for i, n := range names {
		if len(names) > 12 && i == 8 {
			q = append(q, fmt.Sprintf("… (%d more)", len(names)-10))
		}
		if len(names) > 12 && i >= 8 && i < len(names)-2 {
			continue
		}
		q = append(q, strconv.Quote(tableio.Clip(n)))
	}
	return q
}
