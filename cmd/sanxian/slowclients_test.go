package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serverGauges reads go_goroutines and process_open_fds from /metrics on
// a fresh connection (no idle connection of ours lingers on the server).
func serverGauges(t *testing.T, base string) (goroutines, fds int) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	res, err := client.Get(base + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		name, v, _ := strings.Cut(sc.Text(), " ")
		f, _ := strconv.ParseFloat(v, 64)
		switch name {
		case "go_goroutines":
			goroutines = int(f)
		case "process_open_fds":
			fds = int(f)
		}
	}
	require.NoError(t, sc.Err())
	require.Positive(t, goroutines)
	require.Positive(t, fds)
	return goroutines, fds
}

func TestConnTimeoutFlags(t *testing.T) {
	for _, name := range []string{"SANXIAN_READ_HEADER_TIMEOUT", "SANXIAN_READ_TIMEOUT", "SANXIAN_WRITE_TIMEOUT", "SANXIAN_IDLE_TIMEOUT", "SANXIAN_TIMEOUT"} {
		t.Setenv(name, "")
	}
	cfg, err := parseServe(nil)
	require.NoError(t, err)
	assert.Equal(t, connTimeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 20 * time.Second, Idle: 120 * time.Second}, cfg.Conn,
		"defaults: write = --timeout 10s + 10s")
	cfg, err = parseServe([]string{"--timeout", "3s", "--read-header-timeout", "1s", "--read-timeout", "2s", "--idle-timeout", "5s"})
	require.NoError(t, err)
	assert.Equal(t, connTimeouts{ReadHeader: time.Second, Read: 2 * time.Second, Write: 13 * time.Second, Idle: 5 * time.Second}, cfg.Conn)
	cfg, err = parseServe([]string{"--write-timeout", "4s"})
	require.NoError(t, err)
	assert.Equal(t, 4*time.Second, cfg.Conn.Write)
	t.Setenv("SANXIAN_IDLE_TIMEOUT", "7s")
	cfg, err = parseServe(nil)
	require.NoError(t, err)
	assert.Equal(t, 7*time.Second, cfg.Conn.Idle)

	for _, args := range [][]string{
		{"--read-header-timeout", "0s"},
		{"--read-timeout", "soon"},
		{"--write-timeout", "-1s"},
		{"--idle-timeout", "10"},
	} {
		_, err := parseServe(args)
		assert.ErrorContains(t, err, args[0]+"：", "%v", args)
		assert.ErrorContains(t, err, "不是正的时长", "%v", args)
	}
	_, err = parseServe([]string{"--read-header-timeout", "40s"})
	assert.ErrorContains(t, err, "不能长于 --read-timeout")
}

// TestSlowClients is a slowloris against the real server with short
// timeouts: 40 connections each that send their headers byte by byte,
// stall in the middle of a body, never read their (large) answers, or sit
// idle after one request. Meanwhile ordinary requests are answered; each
// stalled connection is closed by the server after its timeout (and not
// before); the big answers are cut off; and the server's goroutines and
// open files return to where they were.
func TestSlowClients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const (
		readHeader = 1 * time.Second
		read       = 2 * time.Second
		write      = 2 * time.Second
		idle       = 1 * time.Second
		perKind    = 40
	)
	p := startProc(t, "--state-dir", t.TempDir(), "--read-header-timeout", readHeader.String(), "--read-timeout", read.String(),
		"--write-timeout", write.String(), "--idle-timeout", idle.String())
	u, err := url.Parse(p.base)
	require.NoError(t, err)
	addr := u.Host
	normal := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	ordinary := func() error {
		res, err := normal.Get(p.base + "/api/v1/check?lon=106.55&lat=29.56&industry=C2614&construction=%E6%96%B0%E5%BB%BA")
		if err != nil {
			return err
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %s", res.StatusCode, body)
		}
		return nil
	}
	require.NoError(t, ordinary())
	baseG, baseF := serverGauges(t, p.base)

	type stalled struct {
		kind    string
		conn    net.Conn
		started time.Time // when the clock of its timeout started
		closed  chan time.Duration
	}
	var conns []*stalled
	dial := func(kind string) *stalled {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		s := &stalled{kind: kind, conn: c, started: time.Now(), closed: make(chan time.Duration, 1)}
		conns = append(conns, s)
		return s
	}
	// watch reads until the server closes the connection (EOF or reset)
	// and reports how long that took.
	watch := func(s *stalled, r io.Reader) {
		go func() {
			_, _ = io.Copy(io.Discard, r)
			s.closed <- time.Since(s.started)
		}()
	}
	write1 := func(c net.Conn, text string) {
		_, err := io.WriteString(c, text)
		require.NoError(t, err)
	}
	var trickling sync.WaitGroup
	stopTrickle := make(chan struct{})
	for range perKind {
		// Headers byte by byte, never finished.
		hs := dial("header")
		write1(hs.conn, "GET /api/v1/check?lon=106.55&lat=29.56 HTTP/1.1\r\nHost: sanxian\r\nX-Slow: ")
		watch(hs, hs.conn)
		trickling.Add(1)
		go func() {
			defer trickling.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stopTrickle:
					return
				case <-tick.C:
					if _, err := hs.conn.Write([]byte("a")); err != nil {
						return
					}
				}
			}
		}()

		// A body announced as 100,000 bytes that stops after 12.
		s := dial("body")
		write1(s.conn, "POST /api/v1/check HTTP/1.1\r\nHost: sanxian\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"geometry\":")
		watch(s, s.conn)

		// One request answered, then silence.
		s = dial("idle")
		write1(s.conn, "GET /healthz HTTP/1.1\r\nHost: sanxian\r\n\r\n")
		br := bufio.NewReader(s.conn)
		res, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		s.started = time.Now()
		watch(s, br)
	}
	// Never read: six pipelined requests for a 4.5 MB layer each, on a
	// connection with a small receive buffer; nothing is read until the
	// end.
	const layerRequests = 6
	var noRead []net.Conn
	for range perKind / 4 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		require.NoError(t, c.(*net.TCPConn).SetReadBuffer(4096))
		write1(c, strings.Repeat("GET /api/v1/features/control_units HTTP/1.1\r\nHost: sanxian\r\n\r\n", layerRequests))
		noRead = append(noRead, c)
	}

	// The server holds them all, and still answers ordinary requests.
	g, f := serverGauges(t, p.base)
	assert.GreaterOrEqual(t, g, baseG+3*perKind, "the stalled connections are held by the server (goroutines %d, baseline %d)", g, baseG)
	assert.GreaterOrEqual(t, f, baseF+3*perKind, "one file per stalled connection (open files %d, baseline %d)", f, baseF)
	var served atomic.Int64
	var failures []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if err := ordinary(); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					continue
				}
				served.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Empty(t, failures, "ordinary requests during the slowloris")
	assert.Equal(t, int64(40), served.Load())

	// Every stalled connection is closed by the server, after its timeout:
	// never before it, and well before the defaults (10 s, 30 s, 120 s).
	limit := map[string]time.Duration{"header": readHeader, "body": read, "idle": idle}
	for _, s := range conns {
		select {
		case d := <-s.closed:
			assert.GreaterOrEqual(t, d, limit[s.kind]-100*time.Millisecond, "%s connection closed after %v, before its timeout %v", s.kind, d, limit[s.kind])
		case <-time.After(time.Until(s.started.Add(limit[s.kind] + 7*time.Second))):
			t.Errorf("%s connection still open %v after its timeout %v", s.kind, time.Since(s.started)-limit[s.kind], limit[s.kind])
		}
	}
	close(stopTrickle)
	trickling.Wait()

	// The answers nobody read were cut off at the write timeout: whatever
	// the client can still read is less than the six answers it asked
	// for. (What reaches it after the server let go is the kernel's
	// business: with the 4 KB receive buffer set at connect time, the
	// rest of the server's send queue and the FIN can take longer than
	// any sane deadline to arrive, so only the amount is asserted here;
	// that the server let go is the baseline check below.)
	time.Sleep(write)
	for _, c := range noRead {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(3*time.Second)))
		n, _ := io.Copy(io.Discard, c)
		assert.Less(t, n, int64(layerRequests*4_000_000), "answers cut off after %d bytes", n)
	}

	// Back to the baseline: no goroutine or file left behind (a little
	// slack: the job store may open another database connection, with
	// its files, in the meantime).
	var gNow, fNow int
	assert.Eventually(t, func() bool {
		gNow, fNow = serverGauges(t, p.base)
		return gNow <= baseG+3 && fNow <= baseF+4
	}, 15*time.Second, 200*time.Millisecond, "goroutines %d (baseline %d), open files %d (baseline %d)", gNow, baseG, fNow, baseF)
	t.Logf("baseline %d goroutines, %d files; under the slowloris %d goroutines, %d files; after %d goroutines, %d files", baseG, baseF, g, f, gNow, fNow)
}
