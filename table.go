package lsgd

import "github.com/lsgd/lsgd/tableio"

// Table is the row-major numeric table a fit reads (see tableio.Table); the
// readers and writers for files are in package tableio.
type Table = tableio.Table

// Precision is the floating-point type a backend stores the data in and
// accumulates with.
type Precision = tableio.Precision

// The precisions.
const (
	F64 = tableio.F64 // float64: the CPU default
	F32 = tableio.F32 // float32: the GPU default
)
