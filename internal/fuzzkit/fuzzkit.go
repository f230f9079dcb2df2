// Package fuzzkit helps the fuzz targets: it writes seed inputs in the
// format `go test` reads from testdata/fuzz/<FuzzTarget>/ ("go test fuzz
// v1"), so that seeds built from realistic files (a shapefile written by
// a test helper, a workbook built with excelize) can be committed and run
// as ordinary tests, and it turns a hang into a crash while fuzzing. It
// is used by tests only.
package fuzzkit

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// HangLimit is how long one fuzz input may run before Guard calls it a
// hang. Inputs are at most a few hundred kilobytes; every parser handles
// one in milliseconds.
const HangLimit = 10 * time.Second

// Guard, deferred at the top of a fuzz function (defer
// fuzzkit.Guard(t)()), panics from another goroutine when the input runs
// longer than HangLimit while fuzzing (go test -fuzz). Go's fuzzer does
// not report hangs: a stuck worker just stops the run making progress.
// A panic kills the worker, and the fuzzer then saves the input as a
// crasher under testdata/fuzz/. When the seed corpus runs as ordinary
// tests it does nothing (go test's own -timeout applies), so it is no
// timing assertion.
func Guard(t testing.TB) func() {
	if f := flag.Lookup("test.fuzz"); f == nil || f.Value.String() == "" {
		return func() {}
	}
	name := t.Name()
	timer := time.AfterFunc(HangLimit, func() {
		panic(fmt.Sprintf("fuzzkit: %s: input still running after %v (a hang)", name, HangLimit))
	})
	return func() { timer.Stop() }
}

// update is set by `go test -update-fuzz-corpus`: the corpus generators
// (tests named TestFuzzCorpus) then rewrite testdata/fuzz/; otherwise they
// skip.
var update = flag.Bool("update-fuzz-corpus", false, "rewrite the generated seed corpora under testdata/fuzz/")

// Updating reports whether -update-fuzz-corpus was given.
func Updating() bool { return *update }

// AllocBound runs fn and fails the test when it allocated more than
// limit bytes in all (runtime.MemStats.TotalAlloc, which counts every
// allocation, freed or not: a bound on it also bounds the peak). It is how
// a target checks that a parser does not allocate for a length or count a
// header claims but the input does not hold. Fuzz inputs run one at a time
// in a process, so other allocations are the runtime's own, well under the
// limits targets use.
func AllocBound(t testing.TB, limit uint64, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > limit {
		t.Fatalf("allocated %d bytes, more than the %d this input allows", n, limit)
	}
}

// Marshal encodes one fuzz input. Values may be []byte, string, bool,
// uint8, int, int64, uint64 or float64 (NaN and infinities as bit
// patterns); another type panics, as it is a bug in the calling test.
func Marshal(vals ...any) []byte {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range vals {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case string:
			fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
		case bool:
			fmt.Fprintf(&b, "bool(%t)\n", v)
		case uint8:
			fmt.Fprintf(&b, "byte(%s)\n", strconv.QuoteRune(rune(v)))
		case int:
			fmt.Fprintf(&b, "int(%d)\n", v)
		case int64:
			fmt.Fprintf(&b, "int64(%d)\n", v)
		case uint64:
			fmt.Fprintf(&b, "uint64(%d)\n", v)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				fmt.Fprintf(&b, "math.Float64frombits(0x%x)\n", math.Float64bits(v))
			} else {
				fmt.Fprintf(&b, "float64(%s)\n", strconv.FormatFloat(v, 'g', -1, 64))
			}
		default:
			panic(fmt.Sprintf("fuzzkit: unsupported type %T", v))
		}
	}
	return []byte(b.String())
}

// Seeds collects the generated seeds of one fuzz target.
type Seeds struct {
	t      testing.TB
	dir    string
	byName map[string][]byte
}

// New starts the seeds of target, kept in testdata/fuzz/<target>/ of the
// package under test.
func New(t testing.TB, target string) *Seeds {
	return &Seeds{t: t, dir: filepath.Join("testdata", "fuzz", target), byName: map[string][]byte{}}
}

// Add records a seed named name (a file name: letters, digits, '-').
func (s *Seeds) Add(name string, vals ...any) {
	s.t.Helper()
	if _, dup := s.byName[name]; dup {
		s.t.Fatalf("fuzzkit: seed %q twice", name)
	}
	s.byName[name] = Marshal(vals...)
}

// Write writes every recorded seed to testdata/fuzz/<target>/seed-<name>,
// replacing those files; other files in the folder (crashers the fuzzer
// saved, hand-written regressions) are left alone.
func (s *Seeds) Write() {
	s.t.Helper()
	s.WriteAs("seed-")
}

// WriteAs is Write with another file name prefix ("regress-" for a
// regression input built by code rather than saved by the fuzzer).
func (s *Seeds) WriteAs(prefix string) {
	s.t.Helper()
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		s.t.Fatal(err)
	}
	for name, b := range s.byName {
		if err := os.WriteFile(filepath.Join(s.dir, prefix+name), b, 0o644); err != nil {
			s.t.Fatal(err)
		}
	}
}
