package main

import (
	"math"
	"strings"
	"testing"
)

// checkShape against a known amount of memory: the boundary is where
// rows·(features+1)·bytes plus the d×d matrices meets it, overflow is
// caught whatever the memory, and the limit is stated.
func TestCheckShape(t *testing.T) {
	const per = 8
	avail := int64(1 << 30)
	feats := 9
	side := int64(4 * 8 * feats * feats)
	fit := int((avail - side) / int64((feats+1)*per)) // the most rows that fit
	if err := checkShape(nil, fit, feats, per, avail); err != nil {
		t.Errorf("%d rows fit in %d bytes: %v", fit, avail, err)
	}
	err := checkShape(nil, fit+1, feats, per, avail)
	if err == nil || !strings.Contains(err.Error(), "more than the 1.0 GiB available") {
		t.Errorf("%d rows: %v; want a memory error", fit+1, err)
	}
	if err == nil || !strings.Contains(err.Error(), "at most about "+itoa(fit)+" rows") {
		t.Errorf("the message does not state the limit %d: %v", fit, err)
	}
	for _, c := range []struct{ rows, feats int }{{math.MaxInt, 1}, {math.MaxInt / 2, 3}, {1 << 61, 7}} {
		if err := checkShape(nil, c.rows, c.feats, per, 0); err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("%d×%d with unknown memory: %v; want too large", c.rows, c.feats, err)
		}
	}
	if err := checkShape(nil, 2, maxFeatures+1, per, 0); err == nil || !strings.Contains(err.Error(), "at most 4096") {
		t.Errorf("features %d: %v", maxFeatures+1, err)
	}
	if err := checkShape(nil, 1000, maxFeatures, per, 0); err != nil {
		t.Errorf("features %d with unknown memory: %v", maxFeatures, err)
	}
}
