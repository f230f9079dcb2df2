package main

import (
	"os"
	"runtime"
	"sync"
)

// background runs dataset loads of a serving process (activations,
// reloads, diffs) at a low CPU priority, so that checks keep their
// latency while a version is read, validated and indexed next to them.
// The work must stay on the calling goroutine (admission.Options.Workers
// = 1): run gives it an OS thread of its own at nice backgroundNice
// (Linux; elsewhere it runs as is) and, while any work is running, one
// more P than GOMAXPROCS, so that the serving goroutines keep every P
// they had and the kernel, not the Go scheduler, shares out the cores
// (without a nice value the extra P would only crowd them, so elsewhere
// there is none). The zero value is ready for use.
type background struct {
	mu      sync.Mutex
	running int
	procs   int // GOMAXPROCS before the first running work raised it
}

// run calls fn as described above and returns when it has returned; a
// panic in fn is raised again in the caller.
func (b *background) run(fn func()) {
	b.raise()
	defer b.lower()
	var panicked any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		// Never unlocked: the goroutine's end takes the niced thread with
		// it instead of handing it back to the scheduler.
		runtime.LockOSThread()
		lowerThreadPriority()
		fn()
	}()
	<-done
	if panicked != nil {
		panic(panicked)
	}
}

func (b *background) raise() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running == 0 && threadNice {
		b.procs = runtime.GOMAXPROCS(0)
		runtime.GOMAXPROCS(b.procs + 1)
	}
	b.running++
}

// lower gives back the extra P when the last work ends: to the runtime's
// automatic default unless GOMAXPROCS was fixed by the environment.
func (b *background) lower() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running--; b.running > 0 || !threadNice {
		return
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.SetDefaultGOMAXPROCS()
	} else {
		runtime.GOMAXPROCS(b.procs)
	}
}
