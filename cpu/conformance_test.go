package cpu_test

import (
	"testing"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/compare/backendtest"
	"github.com/lsgd/lsgd/cpu"
)

func TestConformanceReference(t *testing.T) { backendtest.TestBackend(t, cpu.NewReference()) }
func TestConformanceFast64(t *testing.T)    { backendtest.TestBackend(t, cpu.New(cpu.Options{})) }
func TestConformanceFast32(t *testing.T) {
	backendtest.TestBackend(t, cpu.New(cpu.Options{Precision: lsgd.F32}))
}
func TestConformancePortable32(t *testing.T) {
	backendtest.TestBackend(t, cpu.New(cpu.Options{Precision: lsgd.F32, Portable: true, Threads: 3}))
}

// The shared benchmark suite (backendtest.BenchmarkSizes), float32 and float64.
func BenchmarkBackend32(b *testing.B) {
	backendtest.BenchmarkBackend(b, cpu.New(cpu.Options{Precision: lsgd.F32}))
}
func BenchmarkBackend64(b *testing.B) { backendtest.BenchmarkBackend(b, cpu.New(cpu.Options{})) }
