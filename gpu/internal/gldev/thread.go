//go:build cgo

package gldev

import (
	"fmt"
	"runtime"
	"sync"
)

// The GL thread. OpenGL contexts are bound to OS threads, so every GL and
// GLFW call of the process runs on one goroutine locked to its OS thread;
// other goroutines hand it closures through calls and wait for them.
var (
	threadOnce sync.Once
	calls      chan func()
)

func startThread() {
	calls = make(chan func())
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(ready)
		for f := range calls {
			f()
		}
	}()
	<-ready
}

// panicError carries a panic raised on the GL thread (go-gl/glfw panics
// on programmer errors) back to the goroutine that made the call.
type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprintf("gldev: panic on the GL thread: %v", p.v) }

// onThread runs f on the GL thread and waits for it. A panic in f is
// re-raised in the caller, so the GL thread survives it.
func onThread(f func()) {
	threadOnce.Do(startThread)
	var p *panicError
	done := make(chan struct{})
	calls <- func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				p = &panicError{v}
			}
		}()
		f()
	}
	<-done
	if p != nil {
		panic(*p)
	}
}
