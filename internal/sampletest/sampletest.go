// Package sampletest gives tests the embedded sample dataset, read,
// validated and indexed once per test binary (about a second, several
// under the race detector). The dataset is immutable, so sharing it
// between tests is safe.
package sampletest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

var load = sync.OnceValues(func() (*admission.Dataset, error) {
	c, err := data.ReadDataset(data.Sample())
	if err != nil {
		return nil, err
	}
	return c.Open(admission.Options{})
})

// Dataset returns the embedded sample, loaded on the first call; a
// failure to load it fails tb.
func Dataset(tb testing.TB) *admission.Dataset {
	tb.Helper()
	d, err := load()
	require.NoError(tb, err, "load the embedded sample")
	return d
}
