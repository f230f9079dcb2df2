// Command samplegen writes the synthetic Chongqing sample dataset:
//
//	go run ./cmd/samplegen -out data/sample/chongqing
//	go run ./cmd/samplegen -out /tmp/chongqing-x10 -scale 10
//
// See data/samplegen and docs/dataset.md.
package main

import (
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/sanxian/sanxian/data/samplegen"
)

func main() {
	out := flag.String("out", "data/sample/chongqing", "dataset folder to write")
	scale := flag.Int("scale", 1, "size multiplier (1 = the committed sample; e.g. 10 for benchmarks)")
	flag.Parse()
	start := time.Now()
	sum, err := samplegen.Write(*out, samplegen.Options{Scale: *scale})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s (%s) in %s\n", *out, sum, time.Since(start).Round(time.Millisecond))
}
