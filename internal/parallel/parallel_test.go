package parallel

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestForCallsEachIndexOnce(t *testing.T) {
	for _, workers := range []int{-1, 0, 1, 2, 7, 100} {
		for _, n := range []int{0, 1, 2, 5, 1000} {
			counts := make([]atomic.Int32, max(n, 1))
			For(workers, n, func(i int) { counts[i].Add(1) })
			for i := 0; i < n; i++ {
				assert.EqualValues(t, 1, counts[i].Load(), "workers %d n %d index %d", workers, n, i)
			}
		}
	}
}

func TestForOneWorkerRunsInOrderOnCaller(t *testing.T) {
	var order []int // unsynchronised: the race detector fails this test if For used goroutines
	For(1, 50, func(i int) { order = append(order, i) })
	want := make([]int, 50)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, order)
}
