package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/internal/syncbuf"
)

// syncBuffer captures a server's output while tests poll it.
type syncBuffer = syncbuf.Buffer

// startServer builds sanxian and serves the sample on a random loopback
// port as its own process; it is killed when the test ends.
func startServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "sanxian")
	out, err := exec.Command("go", "build", "-o", bin, "../sanxian").CombinedOutput()
	require.NoError(t, err, "%s", out)
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"), "--log-format", "json")
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	listening := regexp.MustCompile(`正在监听 http://(\S+)`)
	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(stdout.String())
		if m != nil {
			base = "http://" + m[1]
		}
		return m != nil
	}, 60*time.Second, 20*time.Millisecond, "no listening line; stderr: %s", stderr.String())
	return base
}

func loadtest(t *testing.T, args ...string) (int, Report, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append(args, "-format", "json"), &out, &errOut)
	var r Report
	require.NoError(t, json.Unmarshal(out.Bytes(), &r), "stdout %s stderr %s", out.String(), errOut.String())
	return code, r, errOut.String()
}

// TestLoadtestShort runs the mixed workload for 4 s against a real
// server: every request succeeds and the report is complete. A second
// run with an industry code the server does not know must count every
// request as failed, by status and code, and exit 1. (No timing is
// asserted; the memory limit is lifted because 4 s cannot judge a leak,
// see TestJudgeMemory.)
func TestLoadtestShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server")
	}
	base := startServer(t)
	code, r, stderr := loadtest(t, "-url", base, "-duration", "4s", "-warmup", "1s", "-sample", "250ms", "-concurrency", "4", "-max-heap-growth", "1000", "-pool", "300")
	require.Equal(t, 0, code, "stderr: %s; report %+v", stderr, r)
	assert.Zero(t, r.Failed)
	assert.Empty(t, r.Errors)
	assert.Positive(t, r.ServerGOMAXPROCS)
	var classes []string
	for _, c := range r.Classes {
		classes = append(classes, c.Class)
		assert.Positive(t, c.Requests, c.Class)
		assert.Zero(t, c.Failed, c.Class)
		assert.Positive(t, c.Throughput, c.Class)
		assert.True(t, 0 < c.P50 && c.P50 <= c.P90 && c.P90 <= c.P99 && c.P99 <= c.Max, "%s: percentiles out of order: %+v", c.Class, c)
	}
	require.Equal(t, []string{"point", "line", "polygon", "all"}, classes)
	assert.Equal(t, r.Classes[0].Requests+r.Classes[1].Requests+r.Classes[2].Requests, r.Classes[3].Requests)
	m := r.Memory
	assert.GreaterOrEqual(t, len(m.Samples), 10, "sampled every 250 ms for 4 s")
	assert.Positive(t, m.HeapStart)
	assert.Positive(t, m.RSSMax)
	assert.GreaterOrEqual(t, m.HeapMax, m.HeapEnd)
	assert.Positive(t, m.GoroutinesStart)
	assert.Contains(t, []string{verdictOK, verdictLeak, verdictOverloaded}, m.Verdict, "enough samples to judge")

	code, r, _ = loadtest(t, "-url", base, "-duration", "1s", "-mix", "point", "-rate", "20", "-industries", "X9999", "-pool", "20")
	assert.Equal(t, 1, code)
	require.NotEmpty(t, r.Classes)
	assert.Positive(t, r.Failed)
	assert.Equal(t, r.Classes[len(r.Classes)-1].Requests, r.Failed, "every request failed")
	assert.Equal(t, map[string]int{"422 unknown_industry": int(r.Failed)}, r.Errors)
}

func TestLoadtestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "http://example.com"},
		{"-mix", "circle"},
		{"-duration", "0s"},
		{"-industries", " , "},
		{"-format", "xml"},
		{"-pool", "0"},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), args, &out, &errOut), "%v", args)
		assert.NotEmpty(t, errOut.String(), "%v", args)
	}
}

// TestJudgeMemory: known answers for the leak verdict.
//
//	heap MB  flat saw-tooth 40–80      growing floor 40 → 100      warm-up spike
//	   100                                         /|/|                 |
//	    80   /|/|/|/|/|/|               /|/|/|/|/  ...             /|   |  /|/|
//	    40  / | | | | | |             ...                         / |__ | / | |
func TestJudgeMemory(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	series := func(n int, heap func(i int) float64) []sample {
		s := make([]sample, n)
		for i := range s {
			s[i] = sample{At: start.Add(time.Duration(i) * time.Second), HeapInuse: heap(i), RSS: 2 * heap(i), Goroutines: 10}
		}
		return s
	}
	queueing := func(s []sample) []sample {
		for i := range s {
			s[i].Goroutines = float64(10 + 20*i) // one more request waiting every 50 ms
		}
		return s
	}
	const mb = 1 << 20
	saw := func(i int) float64 { return float64(40+(i%4)*10) * mb } // 40, 50, 60, 70, 40, …
	cases := []struct {
		name    string
		s       []sample
		verdict string
		growth  float64
	}{
		{"flat saw-tooth", series(60, saw), verdictOK, 0},
		{"floor grows 40 → 100 MB", series(60, func(i int) float64 { return saw(i) + float64(i)*mb }), verdictLeak, -1},
		{"warm-up spike is not judged", series(60, func(i int) float64 {
			if i < 10 {
				return 20 * mb
			}
			return saw(i)
		}), verdictOK, 0},
		{"small heap jitter under 8 MB", series(60, func(i int) float64 { return float64(10+i/10) * mb }), verdictOK, -1},
		{"too short", series(12, saw), verdictInsufficient, 0},
		{"heap grows with a queue of requests", queueing(series(60, func(i int) float64 { return saw(i) + float64(i)*mb })), verdictOverloaded, -1},
		{"queue without heap growth", queueing(series(60, saw)), verdictOK, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := judgeMemory(c.s, start.Add(10*time.Second), 25)
			assert.Equal(t, c.verdict, m.Verdict, "%+v", m)
			if c.growth >= 0 {
				assert.InDelta(t, c.growth, m.GrowthPct, 1e-9)
			}
			heaps := make([]float64, len(c.s))
			for i, x := range c.s {
				heaps[i] = x.HeapInuse
			}
			assert.Equal(t, slices.Max(heaps), m.HeapMax)
			assert.Equal(t, c.s[0].HeapInuse, m.HeapStart)
		})
	}
}

// With -layers the checks are geometry only: the layers, no project.
func TestGeneratorLayers(t *testing.T) {
	g, err := newGenerator(7, []string{"C2614"}, []string{"districts", "control_units"})
	require.NoError(t, err)
	pt := g.targets("http://127.0.0.1:1", "point", 1)[0]
	assert.Contains(t, pt.URL, "layers=districts%2Ccontrol_units")
	assert.NotContains(t, pt.URL, "industry")
	var body map[string]any
	require.NoError(t, json.Unmarshal(g.targets("http://127.0.0.1:1", "polygon", 1)[0].Body, &body))
	assert.Equal(t, []any{"districts", "control_units"}, body["layers"])
	assert.NotContains(t, body, "industry")
}

// The generated sites are what the documentation says: lines of 1–30 km
// and polygons of 1–100 ha (±the 32-gon's shape), ending inside
// districts, and the same for the same seed.
func TestGeneratorSites(t *testing.T) {
	g, err := newGenerator(7, []string{"C2614"}, nil)
	require.NoError(t, err)
	for _, class := range []string{"line", "polygon", "point"} {
		a, b := g.targets("http://127.0.0.1:1", class, 200), g.targets("http://127.0.0.1:1", class, 20)
		require.Len(t, a, 200)
		assert.Equal(t, a[:20], b, "deterministic")
		assert.NotEqual(t, a[17], a[18])
	}
	var lengths, areas []float64
	for _, tg := range g.targets("http://127.0.0.1:1", "line", 200) {
		var body struct {
			Geometry struct {
				Coordinates []orb.Point `json:"coordinates"`
			} `json:"geometry"`
			Industry string `json:"industry"`
		}
		require.NoError(t, json.Unmarshal(tg.Body, &body))
		assert.Equal(t, "C2614", body.Industry)
		ls := orb.LineString(body.Geometry.Coordinates)
		lengths = append(lengths, geo.Length(ls))
		assert.True(t, g.inside(ls[0]) && g.inside(ls[len(ls)-1]), "ends inside districts")
	}
	for _, tg := range g.targets("http://127.0.0.1:1", "polygon", 200) {
		var body struct {
			Geometry struct {
				Coordinates []orb.Ring `json:"coordinates"`
			} `json:"geometry"`
		}
		require.NoError(t, json.Unmarshal(tg.Body, &body))
		areas = append(areas, geo.Area(orb.Polygon(body.Geometry.Coordinates)))
	}
	for _, l := range lengths {
		assert.True(t, l > 0.98e3 && l < 30.2e3, "line of %.0f m", l)
	}
	for _, a := range areas {
		assert.True(t, a > 0.97e4 && a < 101.5e4, "polygon of %.0f m²", a)
	}
	assert.Less(t, slices.Min(lengths), 5e3, "short lines occur")
	assert.Greater(t, slices.Max(lengths), 25e3, "long lines occur")
	assert.Less(t, slices.Min(areas), 10e4, "small parcels occur")
	assert.Greater(t, slices.Max(areas), 90e4, "large parcels occur")
}
