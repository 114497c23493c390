package jsonout

import (
	"encoding/json"
	"math"
	"testing"
)

// Fields of an embedded struct's own embedded struct are promoted like
// encoding/json promotes them, and non-finite numbers become null.
func TestNestedEmbedded(t *testing.T) {
	type inner struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	type middle struct {
		inner
		C float64 `json:"c"`
	}
	type outer struct {
		*middle
		B string `json:"b"`
	}
	b, err := Marshal(outer{middle: &middle{inner: inner{A: math.NaN(), B: 1}, C: 2}, B: "outer"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if len(got) != 3 || got["a"] != nil || got["b"] != "outer" || got["c"] != 2.0 {
		t.Errorf("got %s; want a null, b \"outer\", c 2", b)
	}
	if _, ok := got["a"]; !ok {
		t.Errorf("got %s; want the promoted field a (null)", b)
	}
}
