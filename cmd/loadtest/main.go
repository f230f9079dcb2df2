// Command loadtest drives a running sanxian server on loopback with a
// mix of point, line and polygon checks (vegeta as a library) and prints
// latency percentiles, throughput, errors and the server's memory before
// and after. It sends traffic only to the URL it is given; use a loopback
// address.
//
//	go run ./cmd/loadtest -url http://127.0.0.1:18080 -duration 20s -mix point
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:18080", "server base URL (loopback only)")
	duration := fs.Duration("duration", 20*time.Second, "how long to attack (at most 5m)")
	rate := fs.Int("rate", 0, "requests per second; 0 = as fast as the workers go")
	workers := fs.Uint64("workers", 16, "concurrent workers")
	mix := fs.String("mix", "point", "point | line | polygon | mixed")
	extra := fs.String("extra", "", "extra query parameters for point checks, e.g. industry=C2614 or layers=districts,control_units")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	u, err := url.Parse(*base)
	if err != nil || !isLoopback(u.Hostname()) {
		fmt.Fprintf(stderr, "loadtest: -url must be a loopback address, got %q\n", *base)
		return 2
	}
	if *duration > 5*time.Minute {
		*duration = 5 * time.Minute
	}
	before, _ := residentBytes(*base)
	rng := rand.New(rand.NewPCG(42, 42))
	targeter := func(t *vegeta.Target) error {
		kind := *mix
		if kind == "mixed" {
			kind = []string{"point", "point", "line", "polygon"}[rng.IntN(4)]
		}
		// Inside Chongqing's extent.
		lon, lat := 105.6+rng.Float64()*4.2, 28.4+rng.Float64()*3.5
		switch kind {
		case "point":
			t.Method, t.URL, t.Body = http.MethodGet, fmt.Sprintf("%s/api/v1/check?lon=%.6f&lat=%.6f", *base, lon, lat), nil
			if *extra != "" {
				t.URL += "&" + *extra
			}
		case "line":
			t.Method, t.URL, t.Body = http.MethodPost, *base+"/api/v1/check", line(lon, lat)
		case "polygon":
			t.Method, t.URL, t.Body = http.MethodPost, *base+"/api/v1/check", polygon(lon, lat)
		default:
			return fmt.Errorf("unknown mix %q", kind)
		}
		t.Header = http.Header{"Content-Type": []string{"application/json"}}
		return nil
	}
	var r vegeta.Rate
	if *rate > 0 {
		r = vegeta.Rate{Freq: *rate, Per: time.Second}
	}
	atk := vegeta.NewAttacker(vegeta.Workers(*workers), vegeta.MaxWorkers(*workers), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	var m vegeta.Metrics
	codes := map[uint16]int{}
	for res := range atk.Attack(targeter, r, *duration, "sanxian") {
		m.Add(res)
		codes[res.Code]++
	}
	m.Close()
	after, _ := residentBytes(*base)
	fmt.Fprintf(stdout, "mix=%s extra=%q workers=%d duration=%s\n", *mix, *extra, *workers, *duration)
	fmt.Fprintf(stdout, "requests=%d throughput=%.0f/s success=%.4f\n", m.Requests, m.Throughput, m.Success)
	fmt.Fprintf(stdout, "latency p50=%s p90=%s p99=%s max=%s\n", m.Latencies.P50, m.Latencies.P90, m.Latencies.P99, m.Latencies.Max)
	fmt.Fprintf(stdout, "status codes=%v errors=%d\n", codes, len(m.Errors))
	if before > 0 && after > 0 {
		fmt.Fprintf(stdout, "server resident memory before=%.1f MB after=%.1f MB\n", before/1e6, after/1e6)
	}
	if m.Success < 1 {
		for i, e := range m.Errors {
			if i == 5 {
				break
			}
			fmt.Fprintln(stderr, "error:", e)
		}
		return 1
	}
	return 0
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// line is a road of about 10 km, 40 vertices.
func line(lon, lat float64) []byte {
	coords := make([][2]float64, 40)
	for i := range coords {
		coords[i] = [2]float64{lon + float64(i)*0.0025, lat + 0.002*math.Sin(float64(i)/4)}
	}
	b, _ := json.Marshal(map[string]any{"geometry": map[string]any{"type": "LineString", "coordinates": coords}})
	return b
}

// polygon is a parcel of about 1 km², 200 vertices.
func polygon(lon, lat float64) []byte {
	ring := make([][2]float64, 0, 201)
	for i := 0; i < 200; i++ {
		a := 2 * math.Pi * float64(i) / 200
		r := 0.006 * (1 + 0.2*math.Sin(5*a))
		ring = append(ring, [2]float64{lon + r*math.Cos(a), lat + r*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	b, _ := json.Marshal(map[string]any{"geometry": map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}}})
	return b
}

// residentBytes reads process_resident_memory_bytes from /metrics.
func residentBytes(base string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "process_resident_memory_bytes ") {
			var v float64
			_, err := fmt.Sscanf(strings.TrimPrefix(l, "process_resident_memory_bytes "), "%g", &v)
			return v, err
		}
	}
	return 0, fmt.Errorf("no process_resident_memory_bytes in /metrics")
}
