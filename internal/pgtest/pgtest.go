// Package pgtest starts throwaway PostgreSQL servers for tests, from the
// server binaries of Debian's postgresql package (`make pg-deps` installs
// them).
//
// Start gives a test its own cluster, stopped and removed by t.Cleanup.
// Shared gives every test of a binary one cluster, started on first use
// and stopped by Main, which the package's TestMain must call:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Either way a test normally asks the server for a database of its own
// with NewDatabase. A cluster costs one to two seconds to start (initdb
// is most of it); a database about a tenth of a second.
//
// When the binaries are missing the tests skip, except under CI (the
// environment variable CI is set), where they fail with how to install
// them.
//
// Running as root (as CI does), initdb and postgres run as the postgres
// system user that Debian's package creates, in a directory under the
// temporary directory that user can reach.
//
// Processes: postgres runs as a direct child of the test binary, not
// daemonised by pg_ctl, and on Linux with a parent-death signal (SIGQUIT,
// PostgreSQL's immediate shutdown). So however the test binary ends, a
// failed test, a panic, -timeout, Ctrl-C or kill -9, the server shuts
// down with it. What a hard end (anything that skips t.Cleanup or the end
// of Main) leaves behind is the cluster's directory, sanxian-pg-* in the
// temporary directory; the next Start or Shared in any test binary
// removes such directories once their test binary is gone and no
// postmaster holds them.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoServer means no PostgreSQL server binaries were found.
var ErrNoServer = errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found")

const (
	superuser    = "postgres"
	dirPrefix    = "sanxian-pg-"
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
	portAttempts = 5
)

// installHint says how to get the binaries, for the CI failure.
const installHint = "install Debian's PostgreSQL server: `make pg-deps`, or apt-get install postgresql"

// Server is a running throwaway PostgreSQL cluster: superuser postgres,
// trust authentication, listening on a free port of 127.0.0.1 only, with
// fsync off. Its methods are safe for concurrent use.
type Server struct {
	bin  string // directory of initdb, postgres, psql, pg_dump…
	dir  string // the cluster's directory: data/, the log and the socket
	data string
	log  string
	port int

	cmd    *exec.Cmd
	exited <-chan struct{} // closed when postgres has exited
	seq    atomic.Int64    // numbers the databases of NewDatabase

	stopOnce sync.Once
	stopErr  error
	stopped  atomic.Bool
}

// Start initialises a cluster in a temporary directory and starts it on
// a free loopback port; t.Cleanup stops it and removes the directory.
// When PostgreSQL's binaries are missing it calls t.Skip, or t.Fatal
// under CI.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if err != nil {
		failOrSkip(t, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return s
}

// StartServer is Start for programs outside tests (cmd/compare): it
// starts a cluster the same way and returns it, or ErrNoServer (wrapped
// or as is) when PostgreSQL's binaries are missing. The caller must call
// Stop; should the program end without it, postgres still shuts down
// with it (parent-death signal) and a later Start sweeps the directory.
func StartServer() (*Server, error) { return start() }

// failOrSkip ends the test for an error of start.
func failOrSkip(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNoServer) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v: %s", err, installHint)
		}
		t.Skipf("%v (make pg-deps installs it)", err)
	}
	t.Fatal(err)
}

// URL returns the connection URL of the default database, postgres. On a
// Shared server other tests use it too: prefer NewDatabase.
func (s *Server) URL() string { return s.url("postgres") }

// Bin returns the directory of PostgreSQL's binaries (psql, pg_dump…).
func (s *Server) Bin() string { return s.bin }

func (s *Server) url(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, s.port, db)
}

// NewDatabase creates a fresh empty database, named after the test, and
// returns its connection URL (postgres://…?sslmode=disable). t.Cleanup
// drops it, closing connections still open to it, unless the server has
// stopped by then.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d", dbName(t.Name()), s.seq.Add(1))
	if err := s.exec("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if s.stopped.Load() {
			return
		}
		if err := s.exec("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.url(name)
}

// exec runs one statement in the default database.
func (s *Server) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// dbName turns a test name into the start of a database name: lower case
// letters, digits and underscores, at most 40 of them.
func dbName(test string) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Stop shuts the server down at once (PostgreSQL's immediate shutdown,
// what pg_ctl stop -m immediate does) and removes its directory. Start's
// cleanup and Main call it; calling it again returns the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopped.Store(true)
		s.stopErr = s.kill()
		if err := os.RemoveAll(s.dir); err != nil && s.stopErr == nil {
			s.stopErr = fmt.Errorf("pgtest: remove cluster: %w", err)
		}
	})
	return s.stopErr
}

// kill ends postgres: SIGQUIT, then SIGKILL if it has not exited within
// stopTimeout.
func (s *Server) kill() error {
	select {
	case <-s.exited:
		return nil // died on its own; the log says why
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	return fmt.Errorf("pgtest: postgres did not stop within %v of SIGQUIT; killed\n%s", stopTimeout, tail(s.log))
}

// start finds the binaries, initialises a cluster and starts postgres.
func start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	base := os.TempDir()
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the postgres
		// system user, in a directory that user can reach.
		cred, err = postgresUser()
		if err != nil {
			return nil, err
		}
		if !reachable(base, cred) {
			base = "/tmp"
			if !reachable(base, cred) {
				return nil, fmt.Errorf("pgtest: neither %s nor /tmp can be reached by the postgres user", os.TempDir())
			}
		}
	}
	sweep(base)
	dir, err := os.MkdirTemp(base, dirPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{bin: bin, dir: dir, data: filepath.Join(dir, "data"), log: filepath.Join(dir, "postgres.log")}
	if err := s.init(cred); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) init(cred *syscall.Credential) error {
	// The owner file lets sweep tell a directory whose test binary is gone.
	if err := os.WriteFile(filepath.Join(s.dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if cred != nil {
		if err := os.Chmod(s.dir, 0o755); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
	}
	if err := s.initdb(cred); err != nil {
		return err
	}
	var err error
	for range portAttempts {
		var clash bool
		if clash, err = s.run(cred); err == nil || !clash {
			return err
		}
	}
	return err
}

// initdb creates the data directory, with the C.UTF-8 locale or, where
// that is missing, C.
func (s *Server) initdb(cred *syscall.Credential) error {
	var out []byte
	var err error
	for _, locale := range []string{"C.UTF-8", "C"} {
		cmd := s.command(cred, "initdb", "-D", s.data, "-U", superuser, "--auth=trust",
			"-E", "UTF8", "--locale="+locale, "--no-sync")
		if out, err = cmd.CombinedOutput(); err == nil {
			return nil
		}
		if !strings.Contains(string(out), "locale") {
			break
		}
		_ = os.RemoveAll(s.data)
	}
	return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
}

// run starts postgres on a free port and waits until it accepts
// connections. clash reports that the port was taken meanwhile.
func (s *Server) run(cred *syscall.Credential) (clash bool, err error) {
	port, err := freePort()
	if err != nil {
		return false, err
	}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return false, fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close() // postgres holds its own copy
	cmd := s.command(cred, "postgres", "-D", s.data, "-p", strconv.Itoa(port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=200",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.Stdout, cmd.Stderr = logf, logf
	exited, err := startTied(cmd)
	if err != nil {
		return false, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	deadline := time.After(startTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			log := tail(s.log)
			clash = strings.Contains(log, "could not bind") || strings.Contains(log, "already in use")
			return clash, fmt.Errorf("pgtest: postgres exited while starting (%v)\n%s", cmd.ProcessState, log)
		case <-deadline:
			_ = cmd.Process.Kill()
			<-exited
			return false, fmt.Errorf("pgtest: postgres not ready within %v\n%s", startTimeout, tail(s.log))
		case <-tick.C:
			if ready(s.data) {
				s.port, s.cmd, s.exited = port, cmd, exited
				return false, nil
			}
		}
	}
}

// command prepares one of PostgreSQL's programs, as cred's user when
// cred is not nil, in an environment without the PG* variables and with
// English messages (run looks for "could not bind").
func (s *Server) command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir // the test's directory may be closed to the postgres user
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG")
	})
	cmd.Env = append(env, "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// startTied starts cmd so that it gets SIGQUIT when this process ends
// (where the system offers that), and returns a channel closed when it
// has exited.
//
// The kernel sends the parent-death signal when the thread that started
// the child ends, not the process (go.dev/issue/27505), so the child is
// started and waited for from a goroutine locked to its thread: the
// thread lives as long as the child does.
func startTied(cmd *exec.Cmd) (<-chan struct{}, error) {
	setParentDeathSignal(cmd.SysProcAttr, syscall.SIGQUIT)
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return exited, nil
}

// ready reports whether the postmaster says in postmaster.pid that it
// accepts connections; pg_ctl -w waits for the same.
func ready(data string) bool {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	return len(lines) > 7 && strings.TrimSpace(lines[7]) == "ready"
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the end of a log file.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return "log " + path + ":\n" + strings.Join(lines, "\n")
}

// findBin returns the directory of the server binaries: pg_config
// --bindir when pg_config is on PATH and that directory has them, else
// the highest /usr/lib/postgresql/N/bin that has them. PATH itself is not
// searched for initdb: it may hold wrapper scripts.
func findBin() (string, error) {
	if _, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
			if dir := strings.TrimSpace(string(out)); hasServer(dir) {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestVersion := "", -1.0
	for _, dir := range dirs {
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		if err == nil && v > bestVersion && hasServer(dir) {
			best, bestVersion = dir, v
		}
	}
	if best == "" {
		return "", ErrNoServer
	}
	return best, nil
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// postgresUser returns the credentials of the postgres system user,
// without supplementary groups.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup(superuser)
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs the postgres system user (Debian's postgresql package creates it): %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgtest: postgres user: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// reachable reports whether cred's user can traverse dir and each of its
// parents (by the mode bits; ACLs are not consulted).
func reachable(dir string, cred *syscall.Credential) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		var bit os.FileMode = 0o001
		switch {
		case st.Uid == cred.Uid:
			bit = 0o100
		case st.Gid == cred.Gid:
			bit = 0o010
		}
		if fi.Mode().Perm()&bit == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// sweep removes cluster directories in base left by test binaries that
// ended without cleaning up: the process named in owner is gone, no
// postmaster.pid says a server may still use the directory, and owner is
// older than ten minutes (a directory being set up right now is not
// touched even where process ids cannot be checked).
func sweep(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, dir := range dirs {
		owner := filepath.Join(dir, "owner")
		fi, err := os.Stat(owner)
		if err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
			continue
		}
		b, err := os.ReadFile(owner)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, "data", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}
