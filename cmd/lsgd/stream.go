package main

import (
	"context"
	"fmt"
	"os"

	"github.com/lsgd/lsgd"
)

// interruptible runs load (a read of path) and returns its result, or an
// interruption error as soon as ctx is cancelled: a read that blocks (a
// FIFO with no writer yet, a stalled network file system) must not make
// Ctrl-C wait. The abandoned read ends with the process.
func interruptible[T any](ctx context.Context, path string, load func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := load()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("interrupted while reading %s", path)
	}
}

// loadTableCtx is loadTable, interruptible, with the memory budget ctx
// carries (withMemory): a .npy file beyond it is mapped, not read.
func loadTableCtx(ctx context.Context, path, target string, features []string, weights string, p lsgd.Precision) (*lsgd.Table, error) {
	mem := memoryOf(ctx)
	return interruptible(ctx, path, func() (*lsgd.Table, error) { return loadTable(path, target, features, weights, p, mem) })
}

// isRegular reports whether path is a regular file (following links). A
// FIFO or a device can be opened only once: it is read as a stream.
func isRegular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
