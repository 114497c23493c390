package backendtest_test

import (
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare/backendtest"
	"github.com/lsgd/lsgd/cpu"
)

// The shared Go benchmark on the CPU backends (go test -bench . ./compare/backendtest).
func BenchmarkCPUFast32(b *testing.B) {
	backendtest.BenchmarkBackend(b, cpu.New(cpu.Options{Precision: lsgd.F32}))
}
func BenchmarkCPUFast64(b *testing.B) { backendtest.BenchmarkBackend(b, cpu.New(cpu.Options{})) }
func BenchmarkCPUReference(b *testing.B) {
	backendtest.BenchmarkBackend(b, cpu.NewReference())
}
