package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/data"
)

// BenchmarkVersionSwitch measures what switching dataset versions costs
// the checks served meanwhile, on the real sample: the built binary
// serves a versions directory of two copies of the sample (they differ in
// their version only) while closed-loop clients send point checks with an
// industry (the common request); p99 latency is measured for a steady
// period, then for a period of back-to-back activations (each a full
// read, validation and indexing of ~315,000 vertices). Target: p99 while
// switching ≤ 2 × steady p99.
//
//	go test ./cmd/sanxian -run '^$' -bench VersionSwitch -benchtime 1x
func BenchmarkVersionSwitch(b *testing.B) {
	c, err := data.ReadDataset(data.Sample())
	require.NoError(b, err)
	dir := filepath.Join(b.TempDir(), "versions")
	for _, id := range []string{"v1", "v2"} {
		c.Info.Version = "sample-" + id
		_, err := data.WriteDataset(filepath.Join(dir, id), c)
		require.NoError(b, err)
	}
	p := startProc(b, "--data", dir, "--admin-token", adminToken)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	const workers, period = 8, 8 * time.Second

	measure := func(during func(stop <-chan struct{})) []time.Duration {
		stop := make(chan struct{})
		var (
			mu       sync.Mutex
			lat      []time.Duration
			wg       sync.WaitGroup
			failures atomic.Int64
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				var mine []time.Duration
				for {
					select {
					case <-stop:
						mu.Lock()
						lat = append(lat, mine...)
						mu.Unlock()
						return
					default:
					}
					url := fmt.Sprintf("%s/api/v1/check?lon=%.5f&lat=%.5f&industry=C2614", p.base, 105.6+rng.Float64()*4.2, 28.4+rng.Float64()*3.5)
					start := time.Now()
					res, err := client.Get(url)
					if err == nil {
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
					if err != nil || res.StatusCode != http.StatusOK {
						failures.Add(1)
						continue
					}
					mine = append(mine, time.Since(start))
				}
			}()
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if during != nil {
				during(stop)
			}
		}()
		time.Sleep(period)
		close(stop)
		wg.Wait()
		<-done
		require.Zero(b, failures.Load(), "failed checks")
		slices.Sort(lat)
		return lat
	}
	q := func(lat []time.Duration, f float64) time.Duration {
		return lat[min(len(lat)-1, int(f*float64(len(lat))))]
	}

	for b.Loop() {
		measure(nil) // warm up
		steady := measure(nil)
		var activations []time.Duration
		switching := measure(func(stop <-chan struct{}) {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := []string{"v2", "v1"}[i%2]
				start := time.Now()
				code, body := call(b, client, http.MethodPost, p.base+"/api/v1/admin/datasets/"+id+"/activate", adminToken)
				require.Equal(b, http.StatusOK, code, "%s", body)
				activations = append(activations, time.Since(start))
			}
		})
		slices.Sort(activations)
		require.NotEmpty(b, activations)
		ratio := float64(q(switching, 0.99)) / float64(q(steady, 0.99))
		b.Logf("steady: %d checks, p50 %v, p99 %v; switching: %d checks, p50 %v, p99 %v; %d activations, median %v, max %v; p99 ratio %.2f (target ≤ 2)",
			len(steady), q(steady, 0.5), q(steady, 0.99), len(switching), q(switching, 0.5), q(switching, 0.99),
			len(activations), q(activations, 0.5), activations[len(activations)-1], ratio)
		b.ReportMetric(float64(q(steady, 0.99).Microseconds())/1000, "steady-p99-ms")
		b.ReportMetric(float64(q(switching, 0.99).Microseconds())/1000, "switching-p99-ms")
		b.ReportMetric(ratio, "p99-ratio")
		b.ReportMetric(float64(q(activations, 0.5).Milliseconds())/1000, "activation-s")
	}
}
