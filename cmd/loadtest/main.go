// Command loadtest drives a running sanxian server on loopback with a
// sustained, mixed workload and reports whether it held up: latency
// percentiles (p50, p90, p99, max) and throughput per class and overall,
// errors by HTTP status and error code, and the server's memory over the
// run (heap in use, resident set, goroutines, open files, sampled from
// its /metrics) with a leak verdict.
//
// The workload is three classes of checks, each with an industry and a
// construction type so that verdicts are computed: points (GET), lines of
// 1–30 km and polygons of 1–100 ha (POST), all generated from a fixed
// seed inside the districts of the embedded sample dataset (the server
// should serve the sample). By default it is closed-loop at the machine's
// limit: -concurrency requests in flight all the time (default 4× the
// server's GOMAXPROCS), half of them points, a quarter each lines and
// polygons. With -rate it is open-loop instead: that many requests per
// second in total, split the same way, whatever the latency.
//
// The exit code is 0 when no request failed and the heap did not grow, 1
// when a request failed (any answer other than 200, or a transport
// error) or the leak verdict is "leak" or "overloaded" (an open loop the
// server could not keep up with), 2 for bad usage. It sends traffic
// only to a loopback URL.
//
//	go run ./cmd/loadtest -url http://127.0.0.1:18080 -duration 60s
//	go run ./cmd/loadtest -url http://127.0.0.1:18080 -rate 200 -format json
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/geo"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

// config is the command line.
type config struct {
	base         string
	duration     time.Duration
	concurrency  int
	rate         int
	mix          string
	seed         uint64
	pool         int
	industries   []string
	layers       []string
	warmup       time.Duration
	sample       time.Duration
	maxGrowthPct float64
	format       string
}

func parse(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var industries, layers string
	fs.StringVar(&c.base, "url", "http://127.0.0.1:18080", "server base URL (loopback only)")
	fs.DurationVar(&c.duration, "duration", 60*time.Second, "how long to run (at most 30m)")
	fs.IntVar(&c.concurrency, "concurrency", 0, "requests in flight (closed loop); 0 = 4× the server's GOMAXPROCS")
	fs.IntVar(&c.rate, "rate", 0, "open loop: requests per second in total; 0 = closed loop at -concurrency")
	fs.StringVar(&c.mix, "mix", "mixed", "mixed | point | line | polygon")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the generated sites")
	fs.IntVar(&c.pool, "pool", 2000, "distinct sites per class, cycled through")
	fs.StringVar(&industries, "industries", "C2614,I6450,C1713,D4411,C3311,K7010", "industry codes to cycle through (GB/T 4754)")
	fs.StringVar(&layers, "layers", "", "geometry only: restrict the checks to these layer ids (comma list), no project and no verdict")
	fs.DurationVar(&c.warmup, "warmup", 10*time.Second, "memory: samples before this are warm-up, not judged")
	fs.DurationVar(&c.sample, "sample", 2*time.Second, "memory: sampling interval")
	fs.Float64Var(&c.maxGrowthPct, "max-heap-growth", 25, "memory: the leak verdict's limit on heap growth after warm-up, in %")
	fs.StringVar(&c.format, "format", "text", "report format: text | json")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	u, err := url.Parse(c.base)
	if err != nil || !isLoopback(u.Hostname()) {
		return c, fmt.Errorf("-url must be a loopback address, got %q", c.base)
	}
	c.base = strings.TrimSuffix(c.base, "/")
	switch {
	case c.duration <= 0 || c.duration > 30*time.Minute:
		return c, fmt.Errorf("-duration %s: between 0 and 30m", c.duration)
	case c.concurrency < 0 || c.rate < 0 || c.pool < 1:
		return c, errors.New("-concurrency and -rate must not be negative, -pool must be positive")
	case c.sample <= 0 || c.warmup < 0 || c.maxGrowthPct <= 0:
		return c, errors.New("-sample and -max-heap-growth must be positive, -warmup not negative")
	case c.format != "text" && c.format != "json":
		return c, fmt.Errorf("-format %q: text or json", c.format)
	}
	if _, ok := classWeights[c.mix]; !ok {
		return c, fmt.Errorf("-mix %q: mixed, point, line or polygon", c.mix)
	}
	for _, s := range strings.Split(industries, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.industries = append(c.industries, s)
		}
	}
	if len(c.industries) == 0 {
		return c, errors.New("-industries: at least one code")
	}
	for _, s := range strings.Split(layers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.layers = append(c.layers, s)
		}
	}
	return c, nil
}

// classWeights is each mix's share of concurrency (or rate) per class.
var classWeights = map[string]map[string]int{
	"mixed":   {"point": 2, "line": 1, "polygon": 1},
	"point":   {"point": 1},
	"line":    {"line": 1},
	"polygon": {"polygon": 1},
}

var classOrder = []string{"point", "line", "polygon"}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parse(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "loadtest:", err)
		}
		return 2
	}
	client := &http.Client{Timeout: 10 * time.Second}
	first, err := scrape(ctx, client, c.base)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: the server's /metrics: %v\n", err)
		return 1
	}
	if c.concurrency == 0 {
		c.concurrency = 4 * max(1, int(first.gomaxprocs))
	}
	gen, err := newGenerator(c.seed, c.industries, c.layers)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	rep := attack(ctx, c, gen, client, first)
	if c.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.print(stdout)
	}
	if rep.Failed > 0 || rep.Memory.Verdict == verdictLeak || rep.Memory.Verdict == verdictOverloaded {
		return 1
	}
	return 0
}

// Report is the outcome of a run; its JSON form is what -format json
// prints.
type Report struct {
	URL              string         `json:"url"`
	Started          time.Time      `json:"started"`
	Duration         time.Duration  `json:"duration_ns"`
	Mix              string         `json:"mix"`
	Seed             uint64         `json:"seed"`
	Concurrency      int            `json:"concurrency"`
	Rate             int            `json:"rate"`
	ServerGOMAXPROCS int            `json:"server_gomaxprocs"`
	ClientCPUs       int            `json:"client_cpus"`
	Classes          []ClassReport  `json:"classes"` // each class, then "all"
	Failed           uint64         `json:"failed"`
	Errors           map[string]int `json:"errors"` // "422 unknown_industry", "0 connection refused" → count
	Memory           MemoryReport   `json:"memory"`
}

// ClassReport is one class's (or all classes') latency and throughput.
type ClassReport struct {
	Class      string        `json:"class"`
	Requests   uint64        `json:"requests"`
	Failed     uint64        `json:"failed"`
	Throughput float64       `json:"throughput"` // successful requests per second
	P50        time.Duration `json:"p50_ns"`
	P90        time.Duration `json:"p90_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
}

// attack runs the classes side by side for c.duration while a sampler
// reads the server's memory.
func attack(ctx context.Context, c config, gen *generator, client *http.Client, first sample) Report {
	rep := Report{URL: c.base, Started: time.Now(), Duration: c.duration, Mix: c.mix, Seed: c.seed,
		Concurrency: c.concurrency, Rate: c.rate, ServerGOMAXPROCS: int(first.gomaxprocs), ClientCPUs: runtime.NumCPU(),
		Errors: map[string]int{}}
	weights := classWeights[c.mix]
	total := 0
	for _, w := range weights {
		total += w
	}
	sctx, stopSampling := context.WithCancel(ctx)
	samples := make(chan []sample, 1)
	go func() { samples <- sampleMemory(sctx, client, c.base, c.sample, first) }()

	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		all    vegeta.Metrics
		byName = map[string]*vegeta.Metrics{}
	)
	targets := map[string][]vegeta.Target{}
	for class := range weights {
		targets[class] = gen.targets(c.base, class, c.pool)
	}
	var transports []*http.Transport
	defer func() {
		for _, t := range transports {
			t.CloseIdleConnections()
		}
	}()
	begin := time.Now()
	for _, class := range classOrder {
		w, ok := weights[class]
		if !ok {
			continue
		}
		m := &vegeta.Metrics{}
		byName[class] = m
		workers := uint64(max(1, c.concurrency*w/total))
		pacer := vegeta.Pacer(vegeta.Rate{}) // closed loop: as fast as the workers go
		maxWorkers := workers
		if c.rate > 0 {
			pacer = vegeta.Rate{Freq: max(1, c.rate*w/total), Per: time.Second}
			maxWorkers = 10_000 // open loop: latency must not slow the arrivals
		}
		// Own transport, so that its idle connections can be closed before
		// the final memory sample (the server's goroutines and files then
		// return to their baseline).
		tr := &http.Transport{MaxIdleConnsPerHost: int(maxWorkers), IdleConnTimeout: 30 * time.Second}
		transports = append(transports, tr)
		atk := vegeta.NewAttacker(vegeta.Client(&http.Client{Transport: tr, Timeout: 30 * time.Second}),
			vegeta.Workers(workers), vegeta.MaxWorkers(maxWorkers), vegeta.MaxBody(64<<10))
		targets := targets[class]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var next atomic.Uint64
			tr := func(t *vegeta.Target) error {
				*t = targets[(next.Add(1)-1)%uint64(len(targets))]
				return nil
			}
			res := atk.Attack(tr, pacer, c.duration, class)
			done := ctx.Done()
			for {
				select {
				case r, ok := <-res:
					if !ok {
						return
					}
					mu.Lock()
					m.Add(r)
					all.Add(r)
					if r.Code != http.StatusOK || r.Error != "" {
						rep.Errors[errorKey(r)]++
					}
					mu.Unlock()
				case <-done:
					atk.Stop()
					done = nil
				}
			}
		}()
	}
	wg.Wait()
	rep.Duration = time.Since(begin)
	for _, t := range transports {
		t.CloseIdleConnections()
	}
	time.Sleep(min(c.sample, time.Second)) // let the server notice the closed connections before the final sample
	stopSampling()
	rep.Memory = judgeMemory(<-samples, rep.Started.Add(c.warmup), c.maxGrowthPct)
	for _, class := range append(slices.Clone(classOrder), "all") {
		m := byName[class]
		if class == "all" {
			m = &all
		}
		if m == nil {
			continue
		}
		m.Close()
		cr := ClassReport{Class: class, Requests: m.Requests, Failed: m.Requests - uint64(math.Round(m.Success*float64(m.Requests))),
			P50: m.Latencies.P50, P90: m.Latencies.P90, P99: m.Latencies.P99, Max: m.Latencies.Max}
		if s := rep.Duration.Seconds(); s > 0 {
			cr.Throughput = float64(m.Requests-cr.Failed) / s
		}
		rep.Classes = append(rep.Classes, cr)
	}
	for _, n := range rep.Errors {
		rep.Failed += uint64(n)
	}
	return rep
}

// errorKey names a failure: the status and the API's error code, or 0 and
// the transport error.
func errorKey(r *vegeta.Result) string {
	if r.Code == 0 {
		msg := r.Error
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:] // "Post …: dial tcp …: connection refused" → "connection refused"
		}
		return "0 " + msg
	}
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	code := "?"
	if json.Unmarshal(r.Body, &body) == nil && body.Error.Code != "" {
		code = body.Error.Code
	}
	return fmt.Sprintf("%d %s", r.Code, code)
}

// ---- memory ----

// sample is one reading of the server's /metrics.
type sample struct {
	At         time.Time `json:"at"`
	HeapInuse  float64   `json:"heap_inuse_bytes"`
	RSS        float64   `json:"rss_bytes"`
	Goroutines float64   `json:"goroutines"`
	OpenFDs    float64   `json:"open_fds"`
	gomaxprocs float64
}

// scrape reads the gauges the report needs from /metrics.
func scrape(ctx context.Context, client *http.Client, base string) (sample, error) {
	s := sample{At: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return s, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("status %d", resp.StatusCode)
	}
	want := map[string]*float64{
		"go_memstats_heap_inuse_bytes":  &s.HeapInuse,
		"process_resident_memory_bytes": &s.RSS,
		"go_goroutines":                 &s.Goroutines,
		"process_open_fds":              &s.OpenFDs,
		"go_sched_gomaxprocs_threads":   &s.gomaxprocs,
	}
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if p, known := want[name]; ok && known {
			if *p, err = strconv.ParseFloat(value, 64); err != nil {
				return s, fmt.Errorf("%s: %w", name, err)
			}
			found++
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if s.HeapInuse == 0 || s.RSS == 0 {
		return s, errors.New("no go_memstats_heap_inuse_bytes or process_resident_memory_bytes")
	}
	return s, nil
}

// sampleMemory scrapes every interval until ctx ends, then once more.
func sampleMemory(ctx context.Context, client *http.Client, base string, every time.Duration, first sample) []sample {
	out := []sample{first}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if s, err := scrape(context.Background(), client, base); err == nil {
				out = append(out, s)
			}
			return out
		case <-t.C:
			if s, err := scrape(ctx, client, base); err == nil {
				out = append(out, s)
			}
		}
	}
}

// Leak verdicts.
const (
	verdictOK           = "ok"
	verdictLeak         = "leak"
	verdictInsufficient = "insufficient" // too few samples after warm-up to judge
	verdictOverloaded   = "overloaded"   // requests piled up in the server: its heap grew with the queue, not a leak
)

// MemoryReport is the server's memory over the run. Growth compares the
// heap in use early and late after warm-up: the Go heap saw-tooths
// between the live data and about twice that (GOGC=100), so each third's
// minimum, not its mean, stands for the live heap; the verdict is "leak"
// when the last third's minimum exceeds the first third's by more than
// the limit and by more than 8 MB (small heaps jitter by a few MB).
// When the server's goroutines grew between the thirds as well (by more
// than 50, each a request in progress), requests were piling up (an open
// loop faster than the server): the verdict is then "overloaded", since
// a growing queue grows the heap whether or not anything leaks.
type MemoryReport struct {
	Samples         []sample `json:"samples"`
	HeapStart       float64  `json:"heap_start_bytes"`
	HeapEnd         float64  `json:"heap_end_bytes"`
	HeapMax         float64  `json:"heap_max_bytes"`
	RSSStart        float64  `json:"rss_start_bytes"`
	RSSEnd          float64  `json:"rss_end_bytes"`
	RSSMax          float64  `json:"rss_max_bytes"`
	GoroutinesStart float64  `json:"goroutines_start"`
	GoroutinesMax   float64  `json:"goroutines_max"`
	GoroutinesEnd   float64  `json:"goroutines_end"`
	FDsStart        float64  `json:"open_fds_start"`
	FDsEnd          float64  `json:"open_fds_end"`
	HeapEarly       float64  `json:"heap_early_bytes"` // minimum over the first third after warm-up
	HeapLate        float64  `json:"heap_late_bytes"`  // minimum over the last third
	GrowthPct       float64  `json:"heap_growth_pct"`
	MaxGrowthPct    float64  `json:"max_heap_growth_pct"`
	Verdict         string   `json:"verdict"`
}

func judgeMemory(s []sample, warm time.Time, maxGrowthPct float64) MemoryReport {
	m := MemoryReport{Samples: s, MaxGrowthPct: maxGrowthPct, Verdict: verdictInsufficient}
	if len(s) == 0 {
		return m
	}
	first, last := s[0], s[len(s)-1]
	m.HeapStart, m.HeapEnd, m.RSSStart, m.RSSEnd = first.HeapInuse, last.HeapInuse, first.RSS, last.RSS
	m.GoroutinesStart, m.GoroutinesEnd, m.FDsStart, m.FDsEnd = first.Goroutines, last.Goroutines, first.OpenFDs, last.OpenFDs
	for _, x := range s {
		m.HeapMax, m.RSSMax, m.GoroutinesMax = max(m.HeapMax, x.HeapInuse), max(m.RSSMax, x.RSS), max(m.GoroutinesMax, x.Goroutines)
	}
	// Judge the samples taken under load after warm-up (the final sample
	// after the load stopped is left out: its heap depends on when the
	// last GC ran).
	var judged []sample
	for _, x := range s[:len(s)-1] {
		if !x.At.Before(warm) {
			judged = append(judged, x)
		}
	}
	if len(judged) < 6 {
		return m
	}
	third := len(judged) / 3
	minHeap := func(xs []sample) float64 {
		v := math.Inf(1)
		for _, x := range xs {
			v = min(v, x.HeapInuse)
		}
		return v
	}
	minGoroutines := func(xs []sample) float64 {
		v := math.Inf(1)
		for _, x := range xs {
			v = min(v, x.Goroutines)
		}
		return v
	}
	m.HeapEarly, m.HeapLate = minHeap(judged[:third]), minHeap(judged[len(judged)-third:])
	m.GrowthPct = 100 * (m.HeapLate - m.HeapEarly) / m.HeapEarly
	m.Verdict = verdictOK
	if m.GrowthPct > maxGrowthPct && m.HeapLate-m.HeapEarly > 8<<20 {
		m.Verdict = verdictLeak
		if minGoroutines(judged[len(judged)-third:]) > minGoroutines(judged[:third])+50 {
			m.Verdict = verdictOverloaded
		}
	}
	return m
}

// ---- report ----

func (r Report) print(w io.Writer) {
	mode := fmt.Sprintf("closed loop, %d in flight", r.Concurrency)
	if r.Rate > 0 {
		mode = fmt.Sprintf("open loop, %d requests/s", r.Rate)
	}
	fmt.Fprintf(w, "%s  mix=%s seed=%d  %s  %s (server GOMAXPROCS %d, client CPUs %d)\n",
		r.Started.UTC().Format(time.RFC3339), r.Mix, r.Seed, mode, r.Duration.Round(time.Millisecond), r.ServerGOMAXPROCS, r.ClientCPUs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\trequests\tfailed\treq/s\tp50\tp90\tp99\tmax\t")
	for _, c := range r.Classes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n", c.Class, c.Requests, c.Failed, c.Throughput,
			ms(c.P50), ms(c.P90), ms(c.P99), ms(c.Max))
	}
	tw.Flush()
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		keys := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "errors: %d\n", r.Failed)
		for _, k := range keys {
			fmt.Fprintf(w, "  %6d  %s\n", r.Errors[k], k)
		}
	}
	m := r.Memory
	mb := func(b float64) string { return fmt.Sprintf("%.1f MB", b/1e6) }
	fmt.Fprintf(w, "heap in use: start %s, end %s, max %s; RSS: start %s, end %s, max %s\n",
		mb(m.HeapStart), mb(m.HeapEnd), mb(m.HeapMax), mb(m.RSSStart), mb(m.RSSEnd), mb(m.RSSMax))
	fmt.Fprintf(w, "goroutines: start %.0f, max %.0f, end %.0f; open files: start %.0f, end %.0f; %d samples\n",
		m.GoroutinesStart, m.GoroutinesMax, m.GoroutinesEnd, m.FDsStart, m.FDsEnd, len(m.Samples))
	switch m.Verdict {
	case verdictInsufficient:
		fmt.Fprintln(w, "leak verdict: insufficient (fewer than 6 samples after warm-up; run longer)")
	case verdictOverloaded:
		fmt.Fprintf(w, "leak verdict: overloaded — requests piled up in the server (goroutines up to %.0f) and the heap grew with them (%s early, %s late, %+.1f %%); lower -rate to judge leaks\n",
			m.GoroutinesMax, mb(m.HeapEarly), mb(m.HeapLate), m.GrowthPct)
	default:
		fmt.Fprintf(w, "leak verdict: %s (heap after warm-up: %s early, %s late, %+.1f %%, limit %.0f %%)\n",
			m.Verdict, mb(m.HeapEarly), mb(m.HeapLate), m.GrowthPct, m.MaxGrowthPct)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// ---- sites ----

// generator places sites inside the sample's districts, from a fixed
// seed. It reads only the districts layer of the embedded sample (not
// the whole dataset, which takes seconds to parse and index).
type generator struct {
	seed       uint64
	industries []string
	layers     []string // non-empty: geometry-only checks of these layers
	districts  []district
	bound      orb.Bound
}

type district struct {
	bound orb.Bound
	shape orb.MultiPolygon
}

func newGenerator(seed uint64, industries, layers []string) (*generator, error) {
	fc, err := sampleDistricts()
	if err != nil {
		return nil, fmt.Errorf("the sample's districts: %w", err)
	}
	g := &generator{seed: seed, industries: industries, layers: layers}
	for i, f := range fc.Features {
		shape := geo.AsMultiPolygon(f.Geometry)
		if shape == nil {
			return nil, fmt.Errorf("the sample's districts: feature #%d is a %s", i, f.Geometry.GeoJSONType())
		}
		d := district{bound: shape.Bound(), shape: shape}
		if i == 0 {
			g.bound = d.bound
		}
		g.bound = g.bound.Union(d.bound)
		g.districts = append(g.districts, d)
	}
	if len(g.districts) == 0 {
		return nil, errors.New("the sample has no districts")
	}
	return g, nil
}

// sampleDistricts reads the districts layer named in the sample's
// manifest (GeoJSON, gzipped or not).
func sampleDistricts() (*geojson.FeatureCollection, error) {
	fsys := data.Sample()
	raw, err := fs.ReadFile(fsys, data.ManifestFile)
	if err != nil {
		return nil, err
	}
	var m data.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", data.ManifestFile, err)
	}
	for _, l := range m.Layers {
		if l.ID != admission.LayerDistricts {
			continue
		}
		f, err := fsys.Open(l.File)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var r io.Reader = f
		if strings.HasSuffix(l.File, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", l.File, err)
			}
			r = zr
		}
		content, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.File, err)
		}
		return geojson.UnmarshalFeatureCollection(content)
	}
	return nil, fmt.Errorf("%s lists no %s layer", data.ManifestFile, admission.LayerDistricts)
}

// inside reports whether p lies in some district.
func (g *generator) inside(p orb.Point) bool {
	for _, d := range g.districts {
		if d.bound.Contains(p) && planar.MultiPolygonContains(d.shape, p) {
			return true
		}
	}
	return false
}

// point draws a point inside some district (rejection sampling).
func (g *generator) point(rng *rand.Rand) orb.Point {
	for {
		p := orb.Point{g.bound.Min[0] + rng.Float64()*(g.bound.Max[0]-g.bound.Min[0]), g.bound.Min[1] + rng.Float64()*(g.bound.Max[1]-g.bound.Min[1])}
		if g.inside(p) {
			return p
		}
	}
}

// offset moves p by east and north metres (local flat approximation,
// plenty for sites of a few km).
func offset(p orb.Point, east, north float64) orb.Point {
	return orb.Point{p[0] + east/(111_320*math.Cos(p[1]*math.Pi/180)), p[1] + north/111_320}
}

// line is a road of 1–30 km: a gently meandering polyline with a vertex
// every ~500 m, starting and ending inside districts.
func (g *generator) line(rng *rand.Rand) orb.LineString {
	for {
		start := g.point(rng)
		length := 1000 + rng.Float64()*29_000
		n := max(2, int(length/500))
		step := length / float64(n)
		bearing := rng.Float64() * 2 * math.Pi
		ls := orb.LineString{start}
		p := start
		for range n {
			bearing += (rng.Float64() - 0.5) * 0.4
			p = offset(p, step*math.Sin(bearing), step*math.Cos(bearing))
			ls = append(ls, p)
		}
		if g.inside(p) {
			return ls
		}
	}
}

// polygon is a parcel of 1–100 ha: a star-shaped 32-gon (radius varies
// by ±15 %, so it is simple) around a point inside a district.
func (g *generator) polygon(rng *rand.Rand) orb.Polygon {
	c := g.point(rng)
	area := 10_000 * (1 + rng.Float64()*99) // m²
	r := math.Sqrt(area / math.Pi)
	phase, lobes := rng.Float64()*2*math.Pi, float64(2+rng.IntN(4))
	ring := make(orb.Ring, 0, 33)
	for i := range 32 {
		a := 2 * math.Pi * float64(i) / 32
		ri := r * (1 + 0.15*math.Sin(lobes*a+phase))
		ring = append(ring, offset(c, ri*math.Cos(a), ri*math.Sin(a)))
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

var constructions = []string{"新建", "扩建", "改建"}

// targets returns the class's requests: n sites from the seed, each with
// an industry and a construction type, or, with layers, geometry-only
// checks of those layers.
func (g *generator) targets(base, class string, n int) []vegeta.Target {
	salt := map[string]uint64{"point": 1, "line": 2, "polygon": 3}[class]
	rng := rand.New(rand.NewPCG(g.seed, salt))
	header := http.Header{"Content-Type": []string{"application/json"}}
	out := make([]vegeta.Target, n)
	for i := range out {
		industry, construction := g.industries[i%len(g.industries)], constructions[i%len(constructions)]
		var geom orb.Geometry
		switch class {
		case "point":
			p := g.point(rng)
			q := url.Values{"lon": {strconv.FormatFloat(p[0], 'f', 6, 64)}, "lat": {strconv.FormatFloat(p[1], 'f', 6, 64)}}
			if len(g.layers) > 0 {
				q.Set("layers", strings.Join(g.layers, ","))
			} else {
				q.Set("industry", industry)
				q.Set("construction", construction)
			}
			out[i] = vegeta.Target{Method: http.MethodGet, URL: base + "/api/v1/check?" + q.Encode(), Header: header}
			continue
		case "line":
			geom = g.line(rng)
		default:
			geom = g.polygon(rng)
		}
		req := map[string]any{"geometry": geoJSON(geom), "industry": industry, "construction": construction}
		if len(g.layers) > 0 {
			req = map[string]any{"geometry": geoJSON(geom), "layers": g.layers}
		}
		body, _ := json.Marshal(req)
		out[i] = vegeta.Target{Method: http.MethodPost, URL: base + "/api/v1/check", Body: body, Header: header}
	}
	return out
}

// geoJSON is a bare GeoJSON geometry with coordinates rounded to 1e-6°
// (about 0.1 m).
func geoJSON(g orb.Geometry) map[string]any {
	round := func(p orb.Point) [2]float64 {
		return [2]float64{math.Round(p[0]*1e6) / 1e6, math.Round(p[1]*1e6) / 1e6}
	}
	switch t := g.(type) {
	case orb.LineString:
		cs := make([][2]float64, len(t))
		for i, p := range t {
			cs[i] = round(p)
		}
		return map[string]any{"type": "LineString", "coordinates": cs}
	case orb.Polygon:
		rings := make([][][2]float64, len(t))
		for i, r := range t {
			for _, p := range r {
				rings[i] = append(rings[i], round(p))
			}
		}
		return map[string]any{"type": "Polygon", "coordinates": rings}
	}
	return nil
}
