package main

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The work runs on a thread of nice backgroundNice; the caller's thread keeps its
// priority.
func TestBackgroundThreadNice(t *testing.T) {
	nice := func() int {
		// The raw system call answers 20 - nice.
		p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		require.NoError(t, err)
		return 20 - p
	}
	var b background
	var inside int
	b.run(func() { inside = nice() })
	assert.Equal(t, backgroundNice, inside)
	assert.NotEqual(t, backgroundNice, nice(), "the calling thread is not niced")
}
