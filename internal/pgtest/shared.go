package pgtest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// shared is the one cluster of a test binary: started by the first
// Shared, stopped by Main.
var shared struct {
	mu      sync.Mutex
	inMain  bool // Main is running the tests
	started bool
	srv     *Server
	err     error
}

// Shared returns the test binary's shared server, starting it on first
// use (the first caller waits about a second; callers in parallel wait
// for the same start). It stays up until Main stops it after the last
// test, so each test should work in a database of its own (NewDatabase).
// A failed start is not retried: every caller gets the same skip or
// failure as Start would give.
//
// Shared fails the test when Main is not running the tests: without
// Main nothing would remove the cluster at the end.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	if !shared.inMain {
		shared.mu.Unlock()
		t.Fatal("pgtest: Shared needs the package's TestMain to run the tests with pgtest.Main: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }")
	}
	if !shared.started {
		shared.started = true
		shared.srv, shared.err = start()
	}
	s, err := shared.srv, shared.err
	shared.mu.Unlock()
	if err != nil {
		failOrSkip(t, err)
	}
	return s
}

// Main runs the tests and then stops the shared server if Shared started
// one; it returns the exit code for os.Exit. A package that uses Shared
// calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// A failure to stop is printed and turns a passing run's code into 1.
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.inMain = false
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}
