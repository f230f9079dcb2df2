package web

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch/sqlstore"
	"github.com/sanxian/sanxian/internal/sampletest"
	"github.com/sanxian/sanxian/report"
)

// benchHandler serves the embedded sample with the default Config and a
// discarded log.
func benchHandler(b *testing.B) (*admission.Dataset, http.Handler) {
	d := sampletest.Dataset(b)
	var store admission.Store
	store.Replace(d)
	return d, New(&store, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// BenchmarkHTTPPointCheck measures the whole handler stack (routing,
// middleware, parsing, check, JSON) on the embedded sample, without a
// network.
func BenchmarkHTTPPointCheck(b *testing.B) {
	_, h := benchHandler(b)
	req := httptest.NewRequest(http.MethodGet, "/api/v1/check?lon=106.55&lat=29.56", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// benchPar sets how many requests BenchmarkHTTPPostCheck's tcp cases
// keep in flight per CPU.
var benchPar = flag.Int("bench-par", 1, "BenchmarkHTTPPostCheck/…/tcp: requests in flight per CPU")

// benchTCP makes BenchmarkCheckRecording send real HTTP requests over
// loopback TCP (keep-alive) instead of calling the handler.
var benchTCP = flag.Bool("bench-tcp", false, "BenchmarkCheckRecording over loopback TCP")

// BenchmarkCheckRecording compares check throughput without and with
// report recording (SQLite in a temporary directory, synchronous=FULL,
// group commit), with 64 concurrent clients per CPU as a busy service
// sees them: a point check with a project, whose answer carries the
// assessment. Run with -benchtime=5s; ns/op is per check across all
// clients, so the ratio of the two is the cost of recording.
func BenchmarkCheckRecording(b *testing.B) {
	var ds admission.Store
	ds.Replace(sampletest.Dataset(b))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	const url = "/api/v1/check?lon=106.569&lat=29.553&industry=C2614&construction=%E6%96%B0%E5%BB%BA&buffer_m=500"
	var overTCP *http.Client
	var srv *httptest.Server
	if *benchTCP {
		overTCP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	}
	run := func(b *testing.B, h http.Handler) {
		if overTCP != nil {
			srv = httptest.NewServer(h)
			defer srv.Close()
		}
		b.ReportAllocs()
		b.SetParallelism(64)
		cpu0 := cpuTime(b)
		b.ResetTimer()
		defer func() {
			// CPU time per check: what bounds throughput on a saturated
			// server, and unlike ns/op not skewed by other processes
			// sharing the machine.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		}()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if overTCP != nil {
					res, err := overTCP.Get(srv.URL + url)
					if err != nil {
						b.Error(err)
						return
					}
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err != nil || res.StatusCode != http.StatusOK {
						b.Error(res.StatusCode, err)
						return
					}
					continue
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
				if w.Code != http.StatusOK {
					b.Error(w.Code, w.Body.String())
					return
				}
			}
		})
	}
	b.Run("plain", func(b *testing.B) { run(b, New(&ds, Config{RequestTimeout: time.Minute}, logger)) })
	b.Run("recorded", func(b *testing.B) {
		store, err := sqlstore.OpenSQLite(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		var commits, entries, busy atomic.Int64
		rec := report.NewRecorder(store, report.RecorderOptions{}, func(s report.BatchStats) {
			commits.Add(1)
			entries.Add(int64(s.Entries))
			busy.Add(int64(s.Duration))
		})
		defer func() {
			rec.Close()
			store.Close()
			if n := commits.Load(); n > 0 {
				b.ReportMetric(float64(entries.Load())/float64(n), "records/commit")
				b.ReportMetric(float64(busy.Load())/float64(n)/1e6, "ms/commit")
			}
		}()
		run(b, New(&ds, Config{RequestTimeout: time.Minute, Reports: &Reports{Recorder: rec, Store: store}}, logger))
	})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHTTPPostCheck measures POST /api/v1/check through the whole
// handler stack (middleware, body decoding, check, encoding) without
// the network: a GeoJSON point with its assessment, and a point and a
// 64-vertex parcel (with areas) against named layers.
func BenchmarkHTTPPostCheck(b *testing.B) {
	d, h := benchHandler(b)
	ring := make([]string, 0, 65)
	for i := 0; i <= 64; i++ {
		a := 2 * math.Pi * float64(i%64) / 64
		ring = append(ring, fmt.Sprintf("[%.6f,%.6f]", 106.55+0.01*math.Cos(a), 29.56+0.008*math.Sin(a)))
	}
	// A 10 ha parcel with 256 vertices, the upper end of
	// internal/compare's parcels.
	small := make([]string, 0, 257)
	for i := 0; i <= 256; i++ {
		a := 2 * math.Pi * float64(i%256) / 256
		small = append(small, fmt.Sprintf("[%.7f,%.7f]", 106.55+0.00185*math.Cos(a), 29.56+0.0016*math.Sin(a)))
	}
	// As internal/compare asks: every layer named, so the answer has the
	// hits and no assessment.
	const layers = `["districts","control_units","eco_redline","nature_reserves","water_sources","rivers"]`
	for _, bc := range []struct{ name, body string }{
		{"point", `{"geometry":{"type":"Point","coordinates":[106.55,29.56]},"buffer_m":0}`},
		{"point-layers", `{"geometry":{"type":"Point","coordinates":[106.55,29.56]},"buffer_m":0,"layers":` + layers + `}`},
		{"parcel256-layers", `{"geometry":{"type":"Polygon","coordinates":[[` + strings.Join(small, ",") + `]]},"buffer_m":0,"layers":` + layers + `}`},
		{"parcel64-layers", `{"geometry":{"type":"Polygon","coordinates":[[` + strings.Join(ring, ",") + `]]},"buffer_m":0,"layers":` + layers + `}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/check", strings.NewReader(bc.body))
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
		b.Run(bc.name+"/engine", func(b *testing.B) {
			// The check alone, as many in flight as tcp: the
			// difference to tcp is what HTTP costs.
			req, err := DecodeCheckBody([]byte(bc.body), 10000)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetParallelism(*benchPar)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := d.Check(context.Background(), req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run(bc.name+"/tcp", func(b *testing.B) {
			// Over loopback TCP with keep-alive, one request in flight
			// per CPU (as internal/compare's HTTP engine): client and
			// server share the machine, as they do there.
			benchOverTCP(b, h, func(c *http.Client, base string) (*http.Response, error) {
				return c.Post(base+"/api/v1/check", "application/json", strings.NewReader(bc.body))
			})
		})
	}
}

// BenchmarkDecodeCheckBody measures decoding a check body (point and a
// 64-vertex polygon, as GeoJSON) into a request.
func BenchmarkDecodeCheckBody(b *testing.B) {
	ring := make([]string, 0, 65)
	for i := 0; i <= 64; i++ {
		a := 2 * math.Pi * float64(i%64) / 64
		ring = append(ring, fmt.Sprintf("[%.6f,%.6f]", 106.55+0.01*math.Cos(a), 29.56+0.008*math.Sin(a)))
	}
	for _, bc := range []struct{ name, body string }{
		{"point", `{"geometry":{"type":"Point","coordinates":[106.55,29.56]},"buffer_m":0,"layers":["districts","control_units","eco_redline"]}`},
		{"polygon64", `{"geometry":{"type":"Polygon","coordinates":[[` + strings.Join(ring, ",") + `]]},"buffer_m":0,"industry":"C2614"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := DecodeCheckBody([]byte(bc.body), 10000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHTTPFloor is the cost of a request that does nothing (GET
// /healthz through the same middleware) over loopback TCP as
// BenchmarkHTTPPostCheck's tcp cases send it: the ceiling HTTP puts on
// any check's throughput on this machine, whatever the engine does.
func BenchmarkHTTPFloor(b *testing.B) {
	var store admission.Store
	h := New(&store, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	benchOverTCP(b, h, func(c *http.Client, base string) (*http.Response, error) {
		return c.Get(base + "/healthz")
	})
}

// benchOverTCP serves h on a loopback port and sends it requests made by
// do from -bench-par goroutines per CPU, reading each answer whole; an
// answer other than 200 fails the benchmark.
func benchOverTCP(b *testing.B, h http.Handler, do func(c *http.Client, base string) (*http.Response, error)) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	b.ReportAllocs()
	b.SetParallelism(*benchPar)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := do(client, srv.URL)
			if err != nil {
				b.Error(err)
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Error(err, resp.StatusCode)
				return
			}
		}
	})
}
