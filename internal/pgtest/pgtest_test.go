package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestStart(t *testing.T) {
	t0 := time.Now()
	s := Start(t)
	t.Logf("Start took %v", time.Since(t0))

	if !strings.HasPrefix(s.URL(), "postgres://postgres@127.0.0.1:") || !strings.HasSuffix(s.URL(), "/postgres?sslmode=disable") {
		t.Errorf("URL() = %q", s.URL())
	}
	if _, err := os.Stat(filepath.Join(s.Bin(), "psql")); err != nil {
		t.Errorf("Bin() = %q has no psql: %v", s.Bin(), err)
	}
	conn := connect(t, s.URL())
	v := queryString(t, conn, "SELECT version()")
	t.Logf("%s", v)
	if !strings.HasPrefix(v, "PostgreSQL ") {
		t.Errorf("version() = %q, want PostgreSQL …", v)
	}
	for setting, want := range map[string]string{
		"fsync":            "off",
		"listen_addresses": "127.0.0.1",
		"max_connections":  "200",
		"server_encoding":  "UTF8",
	} {
		if got := queryString(t, conn, "SHOW "+setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	if os.Geteuid() == 0 {
		// As root the server runs as the postgres user.
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(status), fmt.Sprintf("\nUid:\t%d\t", s.uid())) {
			t.Errorf("postgres does not run as uid %d:\n%s", s.uid(), status)
		}
	}
}

// uid returns the owner of the cluster's directory: postgres's when the
// tests run as root.
func (s *Server) uid() uint32 {
	fi, err := os.Stat(s.data)
	if err != nil {
		return 0
	}
	return fi.Sys().(*syscall.Stat_t).Uid
}

func TestStop(t *testing.T) {
	var s *Server
	t.Run("server", func(t *testing.T) { s = Start(t) })
	if s == nil {
		t.Skip("no server")
	}
	select {
	case <-s.exited:
	default:
		t.Error("postgres still running after the test's cleanup")
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s: stat err %v, want it removed", s.dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestNewDatabase(t *testing.T) {
	s := Shared(t)
	t0 := time.Now()
	a := s.NewDatabase(t)
	t.Logf("NewDatabase took %v", time.Since(t0))
	b := s.NewDatabase(t)
	if a == b {
		t.Fatalf("two NewDatabase gave the same URL %s", a)
	}
	ca, cb := connect(t, a), connect(t, b)
	na := queryString(t, ca, "SELECT current_database()")
	nb := queryString(t, cb, "SELECT current_database()")
	if na == nb {
		t.Fatalf("both URLs reach database %s", na)
	}
	ctx := context.Background()
	if _, err := ca.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("table made in %s is seen in %s", na, nb)
	}
}

// TestNewDatabaseDropped: a database goes with its test, even with a
// connection left open.
func TestNewDatabaseDropped(t *testing.T) {
	s := Shared(t)
	var name string
	t.Run("db", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), s.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		name = queryString(t, conn, "SELECT current_database()") // conn is left open
	})
	conn := connect(t, s.URL())
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still there after its test", name)
	}
}

// TestSkipLocked shows what a job store relies on: a row locked by one
// transaction's SELECT … FOR UPDATE SKIP LOCKED is skipped by another's,
// and a plain FOR UPDATE waits for it.
//
//	jobs: 1 2 3
//	A locks 1; B skips 1, locks 2; B without SKIP LOCKED waits on 1;
//	A commits; B now gets 1.
func TestSkipLocked(t *testing.T) {
	s := Shared(t)
	url := s.NewDatabase(t)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	if _, err := a.Exec(ctx, "CREATE TABLE jobs (id int PRIMARY KEY); INSERT INTO jobs VALUES (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	const claim = "SELECT id FROM jobs ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
	claimed := func(tx pgx.Tx) int {
		t.Helper()
		var id int
		if err := tx.QueryRow(ctx, claim).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	txA, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	txB, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txB.Rollback(ctx)

	if got := claimed(txA); got != 1 {
		t.Fatalf("A claimed %d, want 1", got)
	}
	if got := claimed(txB); got != 2 {
		t.Fatalf("B claimed %d, want 2 (1 is A's)", got)
	}
	// Without SKIP LOCKED, B waits for A's row (here until lock_timeout).
	if _, err := txB.Exec(ctx, "SAVEPOINT wait; SET LOCAL lock_timeout = '100ms'"); err != nil {
		t.Fatal(err)
	}
	_, err = txB.Exec(ctx, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "55P03" {
		t.Fatalf("plain FOR UPDATE of A's row: err %v, want lock_not_available (55P03)", err)
	}
	if _, err := txB.Exec(ctx, "ROLLBACK TO SAVEPOINT wait"); err != nil {
		t.Fatal(err)
	}
	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// B still holds 2, and 1 is free again.
	var ids []int
	rows, err := txB.Query(ctx, "SELECT id FROM jobs ORDER BY id FOR UPDATE SKIP LOCKED")
	if err != nil {
		t.Fatal(err)
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[1 2 3]" {
		t.Errorf("B's second claim got %v, want [1 2 3] (its own 2 and the freed 1)", ids)
	}
}

func TestShared(t *testing.T) {
	s1 := Shared(t)
	var s2 *Server
	t.Run("again", func(t *testing.T) { s2 = Shared(t) })
	if s1 != s2 {
		t.Fatalf("Shared gave two servers: %s and %s", s1.URL(), s2.URL())
	}
	// The first caller's cleanup does not stop it.
	if s1.stopped.Load() {
		t.Fatal("shared server stopped by a test's cleanup")
	}
	conn := connect(t, s1.URL())
	queryString(t, conn, "SELECT version()")
}

// TestSharedParallel: many tests at once, each with its own database.
func TestSharedParallel(t *testing.T) {
	for i := range 8 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			conn := connect(t, Shared(t).NewDatabase(t))
			if _, err := conn.Exec(context.Background(), "CREATE TABLE t (x int); INSERT INTO t VALUES (1)"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDBName(t *testing.T) {
	for _, tc := range []struct{ test, want string }{
		{"TestSkipLocked", "t_testskiplocked"},
		{"TestX/sub case#01", "t_testx_sub_case_01"},
		{"Test" + strings.Repeat("Long", 20), "t_test" + strings.Repeat("long", 8) + "lo"},
		{"Test/中文", "t_test___"},
	} {
		if got := dbName(tc.test); got != tc.want {
			t.Errorf("dbName(%q) = %q, want %q", tc.test, got, tc.want)
		}
	}
}

// TestHardKill: kill -9 of a test binary takes its postgres with it.
// The test binary runs itself as the victim (TestHelperVictim).
func TestHardKill(t *testing.T) {
	if _, err := findBin(); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperVictim$", "-test.v")
	cmd.Env = append(os.Environ(), "PGTEST_VICTIM=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "VICTIM %d %s", &pid, &dir); err == nil {
			break
		}
	}
	if pid == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the victim did not report its postgres")
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if !alive(pid) {
		t.Fatalf("postgres %d not running before the kill", pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("postgres %d still running 15 s after its test binary was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid left behind: stat err %v", err)
	}
}

// alive reports whether pid runs (a zombie does not: the container's init
// may not reap it).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestHelperVictim(t *testing.T) {
	if os.Getenv("PGTEST_VICTIM") == "" {
		t.Skip("run by TestHardKill")
	}
	s := Start(t)
	fmt.Printf("VICTIM %d %s\n", s.cmd.Process.Pid, s.dir)
	time.Sleep(time.Minute)
}

func TestSweep(t *testing.T) {
	base := t.TempDir()
	old := time.Now().Add(-time.Hour)
	// A pid that is surely gone: a child that has been waited for.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, pid int, age time.Time, postmaster bool) string {
		dir := filepath.Join(base, dirPrefix+name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		owner := filepath.Join(dir, "owner")
		if err := os.WriteFile(owner, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			t.Fatal(err)
		}
		if postmaster {
			if err := os.WriteFile(filepath.Join(dir, "data", "postmaster.pid"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(owner, age, age); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, tc := range []struct {
		name       string
		pid        int
		age        time.Time
		postmaster bool
		swept      bool
	}{
		{"abandoned", dead.Process.Pid, old, false, true},
		{"owner-alive", os.Getpid(), old, false, false},
		{"postmaster-left", dead.Process.Pid, old, true, false},
		{"recent", dead.Process.Pid, time.Now(), false, false},
	} {
		dir := mk(tc.name, tc.pid, tc.age, tc.postmaster)
		sweep(base)
		_, err := os.Stat(dir)
		if swept := errors.Is(err, os.ErrNotExist); swept != tc.swept {
			t.Errorf("%s: swept %v, want %v", tc.name, swept, tc.swept)
		}
	}
}

// recorder is a testing.TB that records how a test would end.
type recorder struct {
	testing.TB
	how, msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.how, r.msg = "skip", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.how, r.msg = "fatal", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.how, r.msg = "fatal", fmt.Sprint(args...)
	runtime.Goexit()
}

// TestMissingBinaries: skip, or under CI fail with how to install.
func TestMissingBinaries(t *testing.T) {
	for _, tc := range []struct{ ci, how, says string }{
		{"", "skip", "make pg-deps"},
		{"true", "fatal", "apt-get install postgresql"},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				failOrSkip(r, fmt.Errorf("start: %w", ErrNoServer))
			}()
			<-done
			if r.how != tc.how || !strings.Contains(r.msg, tc.says) {
				t.Errorf("got %s %q, want %s saying %q", r.how, r.msg, tc.how, tc.says)
			}
		})
	}
}
