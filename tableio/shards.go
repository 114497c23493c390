package tableio

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// dataExts are the file extensions LoadTable reads.
var dataExts = []string{".csv", ".npy", ".parquet"}

// IsShards reports whether path names a set of shards rather than one
// file: a directory, or a glob pattern (with *, ? or [) that is not itself
// the name of a file.
func IsShards(path string) bool {
	st, err := os.Stat(path)
	if err == nil {
		return st.IsDir()
	}
	return strings.ContainsAny(path, "*?[")
}

// ShardFiles returns the files path names, in the order LoadTable
// concatenates them: path itself when it is a file; the files matching it,
// sorted, when it is a glob pattern; the .csv, .npy and .parquet files in
// it, sorted, when it is a directory (names starting with "." or "_",
// such as _SUCCESS, are skipped). It is an error when none match, when the
// pattern is malformed or when the files are of different formats.
func ShardFiles(path string) ([]string, error) {
	if !IsShards(path) {
		return []string{path}, nil
	}
	var files []string
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, e := range ents {
			n := e.Name()
			if e.IsDir() || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") ||
				!slices.Contains(dataExts, strings.ToLower(filepath.Ext(n))) {
				continue
			}
			files = append(files, filepath.Join(path, n))
		}
		if len(files) == 0 {
			return nil, inputErrorf("%s: is a directory with no .csv, .npy or .parquet files in it", path)
		}
	} else {
		var err error
		if files, err = filepath.Glob(path); err != nil {
			return nil, inputErrorf("%s: bad file pattern: %v", path, err)
		}
		if len(files) == 0 {
			return nil, inputErrorf("%s: no file matches the pattern", path)
		}
	}
	slices.Sort(files)
	ext := strings.ToLower(filepath.Ext(files[0]))
	for _, f := range files[1:] {
		if e := strings.ToLower(filepath.Ext(f)); e != ext {
			return nil, inputErrorf("%s: shards of different formats: %s and %s", path, files[0], f)
		}
	}
	return files, nil
}

// shardHeader is what a shard's header says: its column names, their
// types (one per column: a dtype, or "" when the format has none), and its
// number of rows (−1 when unknown without reading it).
type shardHeader struct {
	names []string
	types []string
	rows  int64
}

// readShardHeader reads the header of a data file.
func readShardHeader(path string) (h shardHeader, err error) {
	f, size, err := ioOpenFile(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		c := &csvLines{br: bufio.NewReaderSize(f, 1<<16), name: path}
		h.names, err = c.header(true)
		h.types, h.rows = make([]string, len(h.names)), -1
		return h, err
	case ".npy":
		nh, err := npyReadHeader(f, size, path)
		if err != nil {
			return h, err
		}
		if len(nh.shape) != 2 || nh.shape[1] > 1<<20 {
			return h, inputErrorf("%s: array has shape %v: want a 2-D array (rows × columns)", path, nh.shape)
		}
		cols := int(nh.shape[1])
		h.names = DefaultNames(cols, cols-1)
		h.types = slices.Repeat([]string{nh.descr}, cols)
		h.rows = int64(min(nh.shape[0], 1<<62))
		return h, nil
	case ".parquet":
		defer func() {
			if e := recover(); e != nil {
				err = inputErrorf("%s: corrupt Parquet file (%v)", path, e)
			}
		}()
		pf, err := parquet.OpenFile(f, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			return h, inputErrorf("%s: not a readable Parquet file: %v", path, err)
		}
		for _, fl := range pf.Schema().Fields() {
			h.names = append(h.names, fl.Name())
			typ := "group"
			if fl.Leaf() {
				typ = fl.Type().String()
			}
			if fl.Optional() {
				typ = "optional " + typ
			}
			h.types = append(h.types, typ)
		}
		h.rows = pf.NumRows()
		return h, nil
	}
	return h, inputErrorf("%s: unsupported file type %q: want a .csv, .npy or .parquet file", path, filepath.Ext(path))
}

// loadShards reads the shards that pattern names (see ShardFiles) into
// one table, in order. The shards must have the same columns, with the
// same types; the table's Source is pattern, and errors in a shard name
// the shard.
func loadShards(pattern string, opt ReadOptions) (*Table, error) {
	files, err := ShardFiles(pattern)
	if err != nil {
		return nil, err
	}
	var first shardHeader
	rows := int64(0)
	for s, file := range files {
		h, err := readShardHeader(file)
		if err != nil {
			return nil, err
		}
		if s == 0 {
			first = h
		} else if err := shardsAgree(files[0], file, first, h); err != nil {
			return nil, err
		}
		if h.rows < 0 || rows < 0 {
			rows = -1
		} else {
			rows += h.rows
		}
	}
	var t *Table
	opt.Memory = -1 // shards are gathered into one table in memory: none is mapped
	for _, file := range files {
		part, err := loadFile(file, opt)
		if err != nil {
			return nil, err
		}
		if t == nil {
			t = &Table{Source: pattern, Names: part.Names, Target: part.Target, Cols: part.Cols, Stride: part.Cols}
			if n := rows * int64(part.Cols); rows > 0 && n < 1<<40 {
				if part.F32 != nil {
					t.F32 = make([]float32, 0, n)
				} else {
					t.F64 = make([]float64, 0, n)
				}
			}
		}
		if part.Weights != nil {
			t.Weights = append(t.Weights, part.Weights...)
			t.WeightName, t.WeightAt = part.WeightName, part.WeightAt
		}
		n := part.Rows * part.Cols
		if part.F32 != nil {
			t.F32 = append(t.F32, part.F32[:n]...)
		} else {
			t.F64 = append(t.F64, part.F64[:n]...)
		}
		t.Rows += part.Rows
		if part.Bytes() >= 16<<20 {
			// The shard's values are copied: collect them now, so that the
			// next shard reuses their memory and the peak stays near the
			// table plus one shard (the collector's pacing would otherwise
			// let the heap reach twice the table).
			part = nil
			runtime.GC()
		}
	}
	if err := t.CheckWeights(); err != nil { // every weight zero, over all shards
		return nil, err
	}
	return t, nil
}

// shardsAgree returns an error naming both files when shard b's header
// disagrees with shard a's on the columns or their types.
func shardsAgree(a, b string, ha, hb shardHeader) error {
	if len(ha.names) != len(hb.names) {
		return inputErrorf("shards %s and %s disagree: %d columns in the first, %d in the second", a, b, len(ha.names), len(hb.names))
	}
	for j := range ha.names {
		if ha.names[j] != hb.names[j] {
			return inputErrorf("shards %s and %s disagree: column %d is %q in the first, %q in the second", a, b, j+1, ha.names[j], hb.names[j])
		}
		if ha.types[j] != hb.types[j] {
			return inputErrorf("shards %s and %s disagree: column %q (%d) is %s in the first, %s in the second", a, b, ha.names[j], j+1, ha.types[j], hb.types[j])
		}
	}
	return nil
}
