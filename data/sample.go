package data

import (
	"embed"
	"io/fs"
)

//go:embed sample/chongqing
var sampleFS embed.FS

// Sample returns the synthetic Chongqing sample dataset embedded in the
// binary, as a file system rooted at the dataset folder. Real district
// names, codes and seats; generated boundaries; not official data.
func Sample() fs.FS {
	sub, err := fs.Sub(sampleFS, "sample/chongqing")
	if err != nil {
		// The path is a compile-time constant checked by go:embed.
		panic(err)
	}
	return sub
}
