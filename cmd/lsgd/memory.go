package main

import (
	"context"

	"github.com/lsgd/lsgd"
	"github.com/lsgd/lsgd/tableio"
)

// memoryHelp is the --memory flag's help (train and solve).
const memoryHelp = "memory budget for the table, `SIZE` such as 2G or 512M (default: the memory available now, MemAvailable): " +
	"a .npy file larger than 3/4 of it is not read but mapped and streamed from disk on every pass " +
	"(each pass then costs one read of the file at the disk's or page cache's rate; train takes about 12-20 passes, solve about 5), " +
	"keeping the process's own memory to tens of MB plus d² terms"

// memoryLong is the paragraph train's and solve's help add about streaming.
const memoryLong = `

A .npy file larger than about 3/4 of the available memory (or of --memory)
is not read into memory: it is mapped read-only and every pass streams it
from disk through the page cache, so a pass costs one read of the file
(seconds per GB at the disk's rate; the first pass also checks every value
is finite). A streamed file cannot take row weights; with --features, or
as shards, a table is read into memory.`

// sizeFlag is a byte count given as SIZE (see tableio.ParseSize); 0 when
// not given.
type sizeFlag struct{ n int64 }

func (s *sizeFlag) String() string {
	if s.n == 0 {
		return ""
	}
	return tableio.FormatSize(s.n)
}

func (s *sizeFlag) Set(v string) error {
	n, err := tableio.ParseSize(v)
	if err != nil {
		return err
	}
	s.n = n
	return nil
}

func (s *sizeFlag) Type() string { return "size" }

type memoryKey struct{}

// withMemory returns ctx carrying the memory budget loadTableCtx reads
// tables with (tableio.ReadOptions.Memory; 0: what is available).
func withMemory(ctx context.Context, n int64) context.Context {
	return context.WithValue(ctx, memoryKey{}, n)
}

// memoryOf is the budget withMemory put in ctx, or 0.
func memoryOf(ctx context.Context) int64 {
	n, _ := ctx.Value(memoryKey{}).(int64)
	return n
}

// noteStreamed says on stderr when t is streamed from its file (mapped
// because it is larger than the memory budget) and what a pass costs.
func (a *app) noteStreamed(t *lsgd.Table) {
	if t.Map == nil {
		return
	}
	a.notef("note: %s (%s) is larger than the memory budget: it is streamed from disk, one read of the file per pass (--memory sets the budget)",
		t.Label(), tableio.FormatSize(t.Bytes()))
}
