package main

import (
	"io"

	"github.com/lsgd/lsgd/internal/jsonout"
)

// marshalJSON and writeJSON are the command's JSON output: NaN-safe,
// indented (internal/jsonout).
var marshalJSON = jsonout.Marshal

func writeJSON(w io.Writer, v any) error { return jsonout.Write(w, v) }
