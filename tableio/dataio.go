package tableio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// ReadOptions says how to read a table from a file.
type ReadOptions struct {
	// Target selects the target column: a column name, or a 1-based
	// column index. "" selects the last column. "name:X" always means the
	// column named X and "index:N" column N; a bare "3" that names one
	// column and is the index of another is an error (ambiguous).
	Target string
	// Precision is the precision the values are stored in: F64 (the zero
	// value) or F32. Values that overflow float32 are rejected.
	Precision Precision
	// NoTarget reads a table without a target column, to predict on:
	// every column is a feature, Target is −1 and Target is ignored.
	NoTarget bool
	// Features selects the feature columns, each a column name or a
	// 1-based column index (as Target), in the order the table holds them;
	// the target follows them. Empty: every column but the target, in file
	// order. A file's other columns are not kept (Parquet: not read).
	Features []string
	// Weights names the column holding row weights (a name or a 1-based
	// index, as a feature): it is taken out of the table into
	// Table.Weights and checked (finite, ≥ 0, not all zero). "" reads an
	// unweighted table.
	Weights string
	// Memory is the memory budget in bytes for the table: a single .npy
	// file larger than StreamThreshold(Memory) in the precision asked for
	// is mapped (MapNPY) instead of read, and streamed on every pass.
	// 0: the memory available now (MemAvailable); negative: never map.
	Memory int64
}

// LoadTable reads a table from a .csv (see ReadCSV), .npy (see ReadNPY)
// or .parquet (see ReadParquet) file, choosing the format by the file
// name's extension.
//
// A directory or a glob pattern ("data/*.parquet") names shards: files of
// one format with the same columns, read in name order into one table
// (see ShardFiles).
func LoadTable(path string, opt ReadOptions) (*Table, error) {
	if IsShards(path) {
		return loadShards(path, opt)
	}
	t, err := loadFile(path, opt)
	if err != nil {
		return nil, err
	}
	if err := t.CheckWeights(); err != nil {
		return nil, err
	}
	return t, nil
}

// loadFile reads one file (see LoadTable), its weights checked row by row
// but not yet for being all zero (a shard's may be).
func loadFile(path string, opt ReadOptions) (*Table, error) {
	if strings.EqualFold(filepath.Ext(path), ".npy") && npyTooLarge(path, opt) {
		if opt.Weights != "" {
			return nil, inputErrorf("%s: larger than the memory budget, so it would be streamed from disk, and a streamed table cannot take row weights (the weight column would have to be split off in memory); drop --weights or raise --memory", path)
		}
		return MapNPY(path, opt)
	}
	if opt.Weights != "" {
		return loadWeighted(path, opt)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		f, size, err := ioOpenFile(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return csvRead(f, path, opt, size)
	case ".npy":
		return ReadNPY(path, opt)
	case ".parquet":
		return ReadParquet(path, opt)
	case "":
		return nil, inputErrorf("%s: file name has no extension: want a .csv, .npy or .parquet file", path)
	default:
		return nil, inputErrorf("%s: unsupported file type %q: want a .csv, .npy or .parquet file", path, ext)
	}
}

// SaveTable writes t to path atomically (see WriteFileAtomic) as CSV,
// .npy or Parquet, choosing the format by the file name's extension.
func SaveTable(path string, t *Table) error {
	var write func(io.Writer) error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		write = func(w io.Writer) error { return WriteCSV(w, t) }
	case ".npy":
		write = func(w io.Writer) error { return WriteNPY(w, t) }
	case ".parquet":
		write = func(w io.Writer) error { return WriteParquet(w, t, 0) }
	default:
		return inputErrorf("%s: unsupported file type %q: want a .csv, .npy or .parquet file", path, ext)
	}
	return WriteFileAtomic(path, write)
}

// ioOpenFile opens a file for reading and returns its size (−1 when it is
// not a regular file: a FIFO or a device, read as a stream), with
// errors that name the file once and say plainly what is wrong (missing, a
// directory).
func ioOpenFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, 0, fmt.Errorf("%s: cannot open: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, inputErrorf("%s: is a directory, not a data file", path)
	}
	if !st.Mode().IsRegular() {
		// A FIFO or a device: read once, as a stream of unknown length.
		return f, -1, nil
	}
	return f, st.Size(), nil
}

// ioResolveTarget returns the index of the column that target names in
// names: a name, a 1-based index, or "" for the last column. "name:X"
// selects the column named X and "index:N" column N, whatever the other
// columns are called; a bare target that is both a column's name and the
// index of another column is an error asking for one of those prefixes.
func ioResolveTarget(src string, names []string, opt ReadOptions) (int, error) {
	if opt.NoTarget {
		return -1, nil
	}
	n, target := len(names), opt.Target
	if target == "" {
		return n - 1, nil
	}
	byName := -1
	for j, name := range names {
		if name == target {
			byName = j
			break
		}
	}
	if rest, ok := strings.CutPrefix(target, "name:"); ok && byName < 0 {
		for j, name := range names {
			if name == rest {
				return j, nil
			}
		}
		return 0, inputErrorf("%s: no column named %q for the target (columns: %s)", src, Clip(rest), ioListNames(names))
	}
	idx := strings.TrimSpace(target)
	prefixed := false
	if rest, ok := strings.CutPrefix(idx, "index:"); ok && byName < 0 {
		idx, prefixed = strings.TrimSpace(rest), true
	}
	k, err := strconv.Atoi(idx)
	switch {
	case err != nil && prefixed:
		return 0, inputErrorf("%s: target %q: want index:N with N a column number from 1 to %d", src, Clip(target), n)
	case err != nil && byName >= 0:
		return byName, nil
	case err != nil:
		return 0, inputErrorf("%s: no column named %q for the target (columns: %s)", src, Clip(target), ioListNames(names))
	case byName >= 0 && k >= 1 && k <= n && k-1 != byName:
		return 0, inputErrorf("%s: target %q is ambiguous: a column is named %q (column %d), and index %d is %s: say --target name:%s or --target index:%d",
			src, target, target, byName+1, k, ioColumn(names, k-1), target, k)
	case byName >= 0:
		return byName, nil
	case k < 1 || k > n:
		return 0, inputErrorf("%s: target column %d is out of range: the table has %d columns (1 to %d)", src, k, n, n)
	}
	return k - 1, nil
}

// ioClipLen is how much of a cell or a name messages quote.
const ioClipLen = 40

// Clip shortens s for a message: its first 40 bytes (cut at a character
// boundary) and its length, so that a huge cell does not become a huge
// error.
func Clip(s string) string {
	if len(s) <= ioClipLen+16 {
		return s
	}
	k := ioClipLen
	for k > 0 && !utf8.RuneStart(s[k]) {
		k--
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:k], len(s))
}

// ioListNames lists names for a message, quoted, eliding the middle of long
// lists.
func ioListNames(names []string) string {
	var b strings.Builder
	for j, name := range names {
		if len(names) > 12 && j == 8 {
			fmt.Fprintf(&b, ", … (%d more)", len(names)-10)
		}
		if len(names) > 12 && j >= 8 && j < len(names)-2 {
			continue
		}
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(Clip(name)))
	}
	return b.String()
}

// ioColumn describes column j for a message: `column "x3" (3)`.
func ioColumn(names []string, j int) string {
	if j < len(names) && names[j] != "" {
		return fmt.Sprintf("column %q (%d)", Clip(names[j]), j+1)
	}
	return fmt.Sprintf("column %d", j+1)
}

// ioPipeline runs work on every job that produce emits, on up to workers
// goroutines at once, and passes the results to consume in the order the
// jobs were emitted, on the calling goroutine. emit reports false once the
// pipeline is stopping (consume failed); produce should then return. When
// consume fails, ioPipeline stops, waits for produce and the workers to
// return and returns consume's error; otherwise it returns produce's. With
// workers ≤ 1 everything runs on the calling goroutine.
func ioPipeline[J, R any](workers int, produce func(emit func(J) bool) error, work func(J) R, consume func(R) error) error {
	if workers <= 1 {
		var cerr error
		perr := produce(func(j J) bool {
			cerr = consume(work(j))
			return cerr == nil
		})
		if cerr != nil {
			return cerr
		}
		return perr
	}
	type slot struct {
		job J
		res chan R
	}
	jobs := make(chan slot, 2*workers)
	queue := make(chan chan R, 2*workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				s.res <- work(s.job)
			}
		}()
	}
	var perr error
	go func() {
		defer close(queue)
		defer close(jobs)
		perr = produce(func(j J) bool {
			res := make(chan R, 1)
			select {
			case <-stop:
				return false
			case jobs <- slot{j, res}:
			}
			select {
			case <-stop:
				return false
			case queue <- res:
				return true
			}
		})
	}()
	var cerr error
	for res := range queue {
		if cerr != nil {
			continue // drain; results are buffered, nothing blocks
		}
		if cerr = consume(<-res); cerr != nil {
			close(stop)
		}
	}
	wg.Wait()
	if cerr != nil {
		return cerr
	}
	return perr
}
