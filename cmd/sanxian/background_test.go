package main

import (
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// While work runs in the background there is one more P than before,
// however many works overlap; afterwards GOMAXPROCS is what it was.
func TestBackgroundExtraP(t *testing.T) {
	var b background
	before := runtime.GOMAXPROCS(0)
	want := before
	if threadNice {
		want = before + 1
	}
	release := make(chan struct{})
	var started, wg sync.WaitGroup
	seen := make([]int, 3)
	for i := range seen {
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.run(func() {
				started.Done()
				<-release
				seen[i] = runtime.GOMAXPROCS(0)
			})
		}()
	}
	started.Wait()
	close(release)
	wg.Wait()
	assert.Equal(t, []int{want, want, want}, seen)
	assert.Equal(t, before, runtime.GOMAXPROCS(0))
}

// A panic in the work reaches the caller, and the extra P is given back.
func TestBackgroundPanic(t *testing.T) {
	var b background
	before := runtime.GOMAXPROCS(0)
	require.PanicsWithValue(t, "boom", func() { b.run(func() { panic("boom") }) })
	assert.Equal(t, before, runtime.GOMAXPROCS(0))
}
