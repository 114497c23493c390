package tableio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeShards writes src split into parts shards of each format in dir
// (dir/ext/part-K.ext) and returns the directories.
func writeShards(t *testing.T, dir string, src *Table, parts int) map[string]string {
	t.Helper()
	dirs := map[string]string{}
	for _, ext := range []string{".csv", ".npy", ".parquet"} {
		d := filepath.Join(dir, ext[1:])
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		per := (src.Rows + parts - 1) / parts
		for k := 0; k < parts; k++ {
			lo, hi := k*per, min((k+1)*per, src.Rows)
			part := &Table{Names: src.Names, Target: src.Target, Rows: hi - lo, Cols: src.Cols, Stride: src.Stride,
				F64: src.F64[lo*src.Stride : hi*src.Stride]}
			if err := SaveTable(filepath.Join(d, "part-"+string(rune('0'+k))+ext), part); err != nil {
				t.Fatal(err)
			}
		}
		dirs[ext] = d
	}
	return dirs
}

func TestShards(t *testing.T) {
	dir := t.TempDir()
	src := pqTable(100, 4)
	dirs := writeShards(t, dir, src, 3)
	if err := os.WriteFile(filepath.Join(dirs[".parquet"], "_SUCCESS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for ext, d := range dirs {
		for _, path := range []string{d, filepath.Join(d, "*"+ext), filepath.Join(d, "part-[0-2]"+ext)} {
			got, err := LoadTable(path, ReadOptions{Features: []string{"x3", "1"}})
			if err != nil {
				t.Fatal(err)
			}
			want := ioProject(src, []int{2, 0, 3}, 2)
			want.Source = path
			pqSameTable(t, path, got, want)
			if got.Source != path {
				t.Errorf("source %q; want %q", got.Source, path)
			}
		}
	}
}

func TestShardErrors(t *testing.T) {
	dir := t.TempDir()
	src := pqTable(20, 3)
	dirs := writeShards(t, dir, src, 2)
	write := func(name string, tab *Table) string {
		path := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := SaveTable(path, tab); err != nil {
			t.Fatal(err)
		}
		return path
	}
	renamed := pqTable(5, 3)
	renamed.Names = []string{"x1", "z", "y"}
	f32 := pqTable(5, 3).Clone(F32)
	for _, tc := range []struct {
		name, extra, pattern, want string
	}{
		{"names", write("csv/part-9.csv", renamed), filepath.Join(dirs[".csv"], "*.csv"),
			`part-0.csv and ` + filepath.Join(dirs[".csv"], "part-9.csv") + ` disagree: column 2 is "x2" in the first, "z" in the second`},
		{"columns", write("npy/part-9.npy", pqTable(5, 4)), dirs[".npy"], `disagree: 3 columns in the first, 4 in the second`},
		{"dtype", write("parquet/part-9.parquet", f32), dirs[".parquet"], `part-9.parquet disagree: column "x1" (1) is DOUBLE in the first, FLOAT in the second`},
		{"formats", write("mixed/a.csv", src), filepath.Join(dir, "mixed"), `shards of different formats:`},
		{"no match", "", filepath.Join(dir, "*.nothing"), `no file matches the pattern`},
		{"bad pattern", "", filepath.Join(dir, "[x"), `bad file pattern`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "formats" {
				write("mixed/b.npy", src)
			}
			_, err := LoadTable(tc.pattern, ReadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInput) {
				t.Fatalf("got %v; want an input error containing %q", err, tc.want)
			}
		})
	}
	// An error inside a shard names the shard.
	bad := filepath.Join(dir, "badcsv")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "a.csv"), []byte("x,y\n1,2\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "b.csv"), []byte("x,y\n1,2\n3,abc\n"), 0o644)
	_, err := LoadTable(bad, ReadOptions{})
	if want := filepath.Join(bad, "b.csv") + `:3: column "y" (2): "abc" is not a number`; err == nil || err.Error() != want {
		t.Fatalf("got %v; want %s", err, want)
	}
}
