package tableio

import (
	"slices"
	"strings"
	"testing"
)

// A table read without a target: every column is a feature, a single
// column included, and Target is −1.
func TestReadNoTarget(t *testing.T) {
	tab, err := ReadCSV(strings.NewReader("a\n1\n2.5\n"), "one.csv", ReadOptions{NoTarget: true, Target: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Target != -1 || tab.Cols != 1 || tab.Rows != 2 || tab.At(1, 0) != 2.5 || !slices.Equal(tab.FeatureNames(), []string{"a"}) {
		t.Errorf("got target %d, %d×%d, features %v; want -1, 2×1, [a]", tab.Target, tab.Rows, tab.Cols, tab.FeatureNames())
	}
	if _, err := ReadCSV(strings.NewReader("a\n1\n"), "one.csv", ReadOptions{}); err == nil {
		t.Error("a one-column CSV with a target was accepted")
	}
	var buf strings.Builder
	src := NewTable(2, 3, F64)
	for i := range src.F64 {
		src.F64[i] = float64(i)
	}
	if err := WriteNPY(&buf, src); err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "x.npy", []byte(buf.String()))
	tab, err = ReadNPY(path, ReadOptions{NoTarget: true})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Target != -1 || len(tab.Features()) != 3 || tab.At(1, 2) != 5 {
		t.Errorf("npy: target %d, features %v, x[1][2] = %g; want -1, 3 columns, 5", tab.Target, tab.Features(), tab.At(1, 2))
	}
}
