package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

const adminToken = "test-admin-token-0123456789abcdef"

// versionContents is version 1 or 2 of a small dataset, as Chongqing's
// 2023 adjustment might change it:
//
//	v1                                       v2
//	29.60 +--------+--------+----+           29.60 +---------+-------+----+
//	      | W 优先 | E 重点 | G1 |                 | W 优先  | E 重点 | G2 |  added
//	      |  +--+  |   *    |    |                 |  +--+   |*      |    |
//	      |  +--+红线       |    |           29.55 |  +--+   |       +----+
//	      |        |        |    |                 |         |       | G1 |  reshaped
//	29.50 +--------+--------+----+           29.50 +---------+-------+----+
//	   106.50   106.55   106.60 106.62          106.50    106.56  106.60 106.62
//
// W grows east to 106.56 (E shrinks), G1 loses its north half to the new
// G2, and W's clause is rewritten. The probe * (106.555, 29.55) lies in E
// in v1 and in W in v2, so a check there shows which version answered:
// E's clause prohibits textiles (C17) in v1, W's revised clause
// prohibits new and extended industry in v2.
func versionContents(v int) data.Contents {
	w, e := 106.55, 106.55
	if v == 2 {
		w, e = 106.56, 106.56
	}
	units := []admission.Feature{
		{ID: "ZH50010110001", Name: "万州区优先保护单元", Category: admission.CategoryPriority, Properties: map[string]any{"county_code": "500101"}, Geometry: square(106.50, 29.50, w, 29.60)},
		{ID: "ZH50010120001", Name: "万州区重点管控单元", Category: admission.CategoryKey, Properties: map[string]any{"county_code": "500101"}, Geometry: square(e, 29.50, 106.60, 29.60)},
	}
	wText := "禁止新建工业项目。"
	if v == 1 {
		units = append(units, admission.Feature{ID: "ZH50010130001", Name: "万州区一般管控单元1", Category: admission.CategoryGeneral, Properties: map[string]any{}, Geometry: square(106.60, 29.50, 106.62, 29.60)})
	} else {
		wText = "禁止新建、扩建工业项目。"
		units = append(units,
			admission.Feature{ID: "ZH50010130001", Name: "万州区一般管控单元1", Category: admission.CategoryGeneral, Properties: map[string]any{}, Geometry: square(106.60, 29.50, 106.62, 29.55)},
			admission.Feature{ID: "ZH50010130002", Name: "万州区一般管控单元2", Category: admission.CategoryGeneral, Properties: map[string]any{}, Geometry: square(106.60, 29.55, 106.62, 29.60)})
	}
	layers := []admission.Layer{
		{ID: admission.LayerDistricts, Title: "区县", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "500101", Name: "万州区", Category: "区", Properties: map[string]any{}, Geometry: square(106.50, 29.50, 106.62, 29.60)},
		}},
		{ID: admission.LayerControlUnits, Title: "环境管控单元", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: units},
		{ID: admission.LayerEcoRedline, Title: "生态保护红线", Role: admission.RoleSensitive, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "HX500000-0001", Name: "铁峰山生态保护红线", Category: "生态保护红线", Properties: map[string]any{}, Geometry: square(106.52, 29.52, 106.53, 29.53)},
		}},
	}
	rules := admission.Rules{Clauses: []admission.Clause{
		{ID: "CQ-2-01", Level: admission.LevelCity, Dimension: "污染物排放管控", Number: "2-1", Effect: admission.EffectRequire, Machine: true, Text: "新建项目应当落实污染物排放总量控制。"},
		{ID: "ZH50010110001-1-01", Level: admission.LevelUnit, Scope: admission.Scope{Unit: "ZH50010110001"}, Dimension: "空间布局约束", Number: "1-1",
			Effect: admission.EffectProhibit, Machine: true, Text: wText, Industries: &admission.IndustryFilter{Include: []string{"B", "C", "D"}}, Construction: []string{"新建", "扩建"}},
		{ID: "ZH50010120001-1-01", Level: admission.LevelUnit, Scope: admission.Scope{Unit: "ZH50010120001"}, Dimension: "空间布局约束", Number: "1-1",
			Effect: admission.EffectProhibit, Machine: true, Text: "园区禁止引入纺织印染项目。", Industries: &admission.IndustryFilter{Include: []string{"C17"}}},
	}}
	info := admission.Info{Name: "万州区生态环境分区管控", Version: "2020.1", Published: "2020-12-30", CRS: "EPSG:4490", Source: "测试", Synthetic: true}
	if v == 2 {
		info.Name, info.Version, info.Published = "万州区生态环境分区管控（2023 年调整）", "2023.1", "2023-09-28"
	}
	return data.Contents{Info: info, Layers: layers, Rules: rules}
}

// versionsFixture is a versions directory with v1 and v2 (ACTIVE names
// v1) and the checksums of both.
type versionsFixture struct {
	dir      string
	checksum map[string]string // "2020.1", "2023.1" →
}

func writeVersions(t *testing.T) versionsFixture {
	t.Helper()
	f := versionsFixture{dir: filepath.Join(t.TempDir(), "versions"), checksum: map[string]string{}}
	for v, id := range map[int]string{1: "v1", 2: "v2"} {
		c := versionContents(v)
		sum, err := data.WriteDataset(filepath.Join(f.dir, id), c)
		require.NoError(t, err)
		f.checksum[c.Info.Version] = sum
	}
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, data.ActiveFile), []byte("v1\n"), 0o644))
	return f
}

// probe is the check that tells v1 and v2 apart.
const probe = "/api/v1/check?lon=106.555&lat=29.55&industry=C1713&construction=%E6%96%B0%E5%BB%BA"

// probeAnswer is what the probe's answer must say for each version: the
// unit and the deciding clause text.
var probeAnswer = map[string]struct{ unit, clause string }{
	"2020.1": {"ZH50010120001", "园区禁止引入纺织印染项目。"},
	"2023.1": {"ZH50010110001", "禁止新建、扩建工业项目。"},
}

// checkProbe verifies one probe answer and returns the version it names;
// an answer mixing two versions (checksum, unit or clause of another) is
// an error.
func (f versionsFixture) checkProbe(body []byte) (string, error) {
	var res struct {
		Dataset    admission.DatasetRef `json:"dataset"`
		Hits       []admission.Hit      `json:"hits"`
		Assessment *admission.Assessment
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return "", fmt.Errorf("decode: %v: %s", err, body)
	}
	v := res.Dataset.Version
	want, ok := probeAnswer[v]
	if !ok {
		return "", fmt.Errorf("unknown version %q", v)
	}
	if res.Dataset.Checksum != f.checksum[v] {
		return v, fmt.Errorf("version %s with checksum %s (want %s)", v, res.Dataset.Checksum, f.checksum[v])
	}
	var units []string
	for _, h := range res.Hits {
		if h.Layer == admission.LayerControlUnits && h.Inside() {
			units = append(units, h.ID)
		}
	}
	if !slices.Equal(units, []string{want.unit}) {
		return v, fmt.Errorf("version %s: units %v, want [%s]", v, units, want.unit)
	}
	if res.Assessment == nil || res.Assessment.Verdict != admission.VerdictProhibited {
		return v, fmt.Errorf("version %s: assessment %+v, want prohibited", v, res.Assessment)
	}
	var texts []string
	for _, c := range res.Assessment.Clauses {
		texts = append(texts, c.Text)
	}
	for _, other := range probeAnswer {
		if other.clause != want.clause && slices.Contains(texts, other.clause) {
			return v, fmt.Errorf("version %s quotes the other version's clause %q", v, other.clause)
		}
	}
	if !slices.Contains(texts, want.clause) {
		return v, fmt.Errorf("version %s: clauses %q lack %q", v, texts, want.clause)
	}
	return v, nil
}

// call sends one request and returns status and body.
func call(t testing.TB, client *http.Client, method, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, b
}

// probeVersion checks the probe and returns the version that answered.
func (f versionsFixture) probeVersion(t *testing.T, base string) string {
	t.Helper()
	code, body := call(t, http.DefaultClient, "GET", base+probe, "")
	require.Equal(t, http.StatusOK, code, "%s", body)
	v, err := f.checkProbe(body)
	require.NoError(t, err)
	return v
}

type apiError struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func decodeError(t *testing.T, body []byte) apiError {
	t.Helper()
	var e apiError
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	return e
}

// damageLayer replaces a layer file of a dataset folder with other valid
// content, so that only the checksum tells.
func damageLayer(t *testing.T, dir, layer string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(`{"type":"FeatureCollection","features":[]}`))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, layer+".geojson.gz"), buf.Bytes(), 0o644))
}

func TestServeDatasetVersions(t *testing.T) {
	f := writeVersions(t)
	srv := startServe(t, "--data", f.dir, "--admin-token", adminToken, "--log-format", "json")
	activate := func(id, token string) (int, []byte) {
		return call(t, http.DefaultClient, "POST", srv.base+"/api/v1/admin/datasets/"+id+"/activate", token)
	}
	assert.Equal(t, "2020.1", f.probeVersion(t, srv.base), "ACTIVE names v1")

	t.Run("list", func(t *testing.T) {
		code, body := call(t, http.DefaultClient, "GET", srv.base+"/api/v1/datasets", "")
		require.Equal(t, http.StatusOK, code, "%s", body)
		assert.NotContains(t, string(body), f.dir, "no file system path in the answer")
		var l struct {
			Versioned bool                 `json:"versioned"`
			Serving   admission.DatasetRef `json:"serving"`
			Versions  []struct {
				ID       string         `json:"id"`
				Version  string         `json:"version"`
				Checksum string         `json:"checksum"`
				Features map[string]int `json:"features"`
				Active   bool           `json:"active"`
			} `json:"versions"`
		}
		require.NoError(t, json.Unmarshal(body, &l))
		assert.True(t, l.Versioned)
		assert.Equal(t, "2020.1", l.Serving.Version)
		require.Len(t, l.Versions, 2)
		assert.Equal(t, "v1", l.Versions[0].ID)
		assert.True(t, l.Versions[0].Active)
		assert.False(t, l.Versions[1].Active)
		assert.Equal(t, f.checksum["2023.1"], l.Versions[1].Checksum)
		assert.Equal(t, map[string]int{"districts": 1, "control_units": 4, "eco_redline": 1}, l.Versions[1].Features)
	})

	t.Run("auth", func(t *testing.T) {
		for _, tok := range []string{"", "wrong"} {
			code, body := activate("v2", tok)
			require.Equal(t, http.StatusUnauthorized, code, "%s", body)
			assert.Equal(t, "unauthorized", decodeError(t, body).Error.Code)
		}
		assert.Equal(t, "2020.1", f.probeVersion(t, srv.base))
	})

	t.Run("activate v2", func(t *testing.T) {
		code, body := activate("v2", adminToken)
		require.Equal(t, http.StatusOK, code, "%s", body)
		var a struct {
			ID      string               `json:"id"`
			Dataset admission.DatasetRef `json:"dataset"`
		}
		require.NoError(t, json.Unmarshal(body, &a))
		assert.Equal(t, "v2", a.ID)
		assert.Equal(t, f.checksum["2023.1"], a.Dataset.Checksum)
		assert.Equal(t, "2023.1", f.probeVersion(t, srv.base))
		raw, err := os.ReadFile(filepath.Join(f.dir, data.ActiveFile))
		require.NoError(t, err)
		assert.Equal(t, "v2\n", string(raw), "ACTIVE follows, so a restart keeps v2")
		code, body = call(t, http.DefaultClient, "GET", srv.base+"/readyz", "")
		require.Equal(t, http.StatusOK, code)
		assert.Contains(t, string(body), f.checksum["2023.1"])
	})

	t.Run("diff", func(t *testing.T) {
		code, body := call(t, http.DefaultClient, "GET", srv.base+"/api/v1/datasets/diff?from=v1&to=v2", "")
		require.Equal(t, http.StatusOK, code, "%s", body)
		var d struct {
			FromID string               `json:"from_id"`
			Counts admission.DiffCounts `json:"counts"`
		}
		require.NoError(t, json.Unmarshal(body, &d))
		assert.Equal(t, "v1", d.FromID)
		assert.Equal(t, admission.DiffCounts{FeaturesAdded: 1, GeometryChanged: 3, ClausesChanged: 1}, d.Counts)
		// The command line says the same.
		c, out, errOut := runCmd(t, "diff", "v1", "v2", "--data", f.dir, "--format", "json")
		require.Equal(t, 0, c, errOut)
		assert.JSONEq(t, string(body), out)

		code, body = call(t, http.DefaultClient, "GET", srv.base+"/api/v1/datasets/diff?from=v1&to=v9", "")
		require.Equal(t, http.StatusNotFound, code)
		assert.Equal(t, "version_not_found", decodeError(t, body).Error.Code)
	})

	t.Run("a damaged version is refused, the serving one stays", func(t *testing.T) {
		c := versionContents(2)
		c.Info.Version, c.Info.Published = "2024.1", "2024-06-01"
		_, err := data.WriteDataset(filepath.Join(f.dir, "v3"), c)
		require.NoError(t, err)
		damageLayer(t, filepath.Join(f.dir, "v3"), admission.LayerControlUnits)

		code, body := activate("v3", adminToken)
		require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
		e := decodeError(t, body)
		assert.Equal(t, "dataset_invalid", e.Error.Code)
		assert.Contains(t, e.Error.Message, "服务继续使用版本 2023.1")
		probs := e.Error.Details["problems"].([]any)
		require.Len(t, probs, 1)
		assert.Equal(t, "checksum_mismatch", probs[0].(map[string]any)["code"])
		assert.NotContains(t, string(body), f.dir, "no file system path in the answer")

		assert.Equal(t, "2023.1", f.probeVersion(t, srv.base))
		raw, _ := os.ReadFile(filepath.Join(f.dir, data.ActiveFile))
		assert.Equal(t, "v2\n", string(raw), "ACTIVE is not touched")
	})

	t.Run("an invalid version lists its problems, the first 20", func(t *testing.T) {
		c := versionContents(2)
		c.Info.Version = "2024.2"
		bowtie := orb.Polygon{{{106.50, 29.50}, {106.51, 29.51}, {106.51, 29.50}, {106.50, 29.51}, {106.50, 29.50}}}
		for i := range 25 {
			c.Layers[2].Features = append(c.Layers[2].Features, admission.Feature{ID: fmt.Sprintf("HX500000-%04d", 100+i), Name: "自相交", Category: "生态保护红线", Properties: map[string]any{}, Geometry: bowtie})
		}
		_, err := data.WriteDataset(filepath.Join(f.dir, "v4"), c)
		require.NoError(t, err)
		code, body := activate("v4", adminToken)
		require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
		e := decodeError(t, body)
		assert.Equal(t, "dataset_invalid", e.Error.Code)
		assert.Len(t, e.Error.Details["problems"], 20)
		assert.GreaterOrEqual(t, e.Error.Details["total"], 25.0)
		assert.Equal(t, "2023.1", f.probeVersion(t, srv.base))
	})

	t.Run("unknown and bad ids", func(t *testing.T) {
		code, body := activate("v9", adminToken)
		require.Equal(t, http.StatusNotFound, code)
		assert.Equal(t, "version_not_found", decodeError(t, body).Error.Code)
		code, body = activate(".hidden", adminToken)
		require.Equal(t, http.StatusBadRequest, code, "%s", body)
		assert.Equal(t, "invalid_parameter", decodeError(t, body).Error.Code)
	})

	assert.Equal(t, 0, srv.stop(t))
	logs := srv.stderr.String()
	assert.NotContains(t, logs, adminToken, "the token is never logged")
	assert.Contains(t, logs, "数据集版本已启用")
	assert.Contains(t, logs, "数据集版本无法启用，继续使用当前版本")
}

// TestDatasetSwitchUnderLoad hammers GET /api/v1/check while v2, v1, v2 …
// are activated in turn, then while two corrupt versions (a layer that
// does not match its checksum, a truncated layer file) are activated in
// turn: no request may fail, every answer must come from one version
// only, and the corrupt versions are refused (422 dataset_invalid) with
// the old version serving on. It logs the latency of the probe in steady state
// and during the switches (no timed assertions).
func TestDatasetSwitchUnderLoad(t *testing.T) {
	f := writeVersions(t)
	srv := startServe(t, "--data", f.dir, "--admin-token", adminToken, "--log-format", "json")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	const workers = 8

	// hammer runs the workers until stop closes and returns the latencies
	// and the versions seen; failures go to t.Errorf.
	hammer := func(stop <-chan struct{}) ([]time.Duration, map[string]int) {
		var (
			mu      sync.Mutex
			lat     []time.Duration
			seen    = map[string]int{}
			wg      sync.WaitGroup
			failure atomic.Int64
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				mySeen := map[string]int{}
				for {
					select {
					case <-stop:
						mu.Lock()
						lat = append(lat, mine...)
						for k, v := range mySeen {
							seen[k] += v
						}
						mu.Unlock()
						return
					default:
					}
					start := time.Now()
					res, err := client.Get(srv.base + probe)
					var body []byte
					if err == nil {
						body, err = io.ReadAll(res.Body)
						res.Body.Close()
					}
					d := time.Since(start)
					if err != nil || res.StatusCode != http.StatusOK {
						if failure.Add(1) <= 5 {
							t.Errorf("request failed: %v %v %s", err, res, body)
						}
						continue
					}
					v, err := f.checkProbe(body)
					if err != nil {
						if failure.Add(1) <= 5 {
							t.Errorf("mixed or wrong answer: %v", err)
						}
						continue
					}
					mine = append(mine, d)
					mySeen[v]++
				}
			}()
		}
		wg.Wait()
		if n := failure.Load(); n > 0 {
			t.Errorf("%d requests failed", n)
		}
		return lat, seen
	}
	run := func(d time.Duration, during func(stop <-chan struct{})) ([]time.Duration, map[string]int) {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			if during != nil {
				during(stop)
			}
		}()
		time.AfterFunc(d, func() { close(stop) })
		lat, seen := hammer(stop)
		<-done
		return lat, seen
	}

	steady, seen := run(2*time.Second, nil)
	assert.Equal(t, map[string]int{"2020.1": len(steady)}, seen, "only v1 before switching")

	var switches, switchFailures atomic.Int64
	var switchTimes []time.Duration
	switching, seen := run(3*time.Second, func(stop <-chan struct{}) {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := []string{"v2", "v1"}[i%2]
			start := time.Now()
			req, _ := http.NewRequest("POST", srv.base+"/api/v1/admin/datasets/"+id+"/activate", nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			res, err := client.Do(req)
			var body []byte
			if err == nil {
				body, _ = io.ReadAll(res.Body)
				res.Body.Close()
			}
			switchTimes = append(switchTimes, time.Since(start))
			if err != nil || res.StatusCode != http.StatusOK {
				switchFailures.Add(1)
				t.Errorf("activate %s: %v %s", id, err, body)
			}
			switches.Add(1)
		}
	})
	assert.Zero(t, switchFailures.Load())
	assert.Greater(t, switches.Load(), int64(2), "switched back and forth")
	assert.Positive(t, seen["2020.1"], "v1 answered during the switches")
	assert.Positive(t, seen["2023.1"], "v2 answered during the switches")

	// Corrupt versions activated under load: each activation is refused
	// with 422 dataset_invalid while no request fails and every answer
	// still comes from the version serving before (v2).
	code, body := call(t, client, "POST", srv.base+"/api/v1/admin/datasets/v2/activate", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	for _, id := range []string{"v3", "v4"} {
		c := versionContents(2)
		c.Info.Version = "2024." + id
		_, err := data.WriteDataset(filepath.Join(f.dir, id), c)
		require.NoError(t, err)
	}
	damageLayer(t, filepath.Join(f.dir, "v3"), admission.LayerControlUnits) // valid content, wrong checksum
	units := filepath.Join(f.dir, "v4", admission.LayerControlUnits+".geojson.gz")
	raw, err := os.ReadFile(units)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(units, raw[:len(raw)/2], 0o644)) // truncated gzip
	var refused, corruptFailures atomic.Int64
	corrupt, corruptSeen := run(2*time.Second, func(stop <-chan struct{}) {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := []string{"v3", "v4"}[i%2]
			code, body := call(t, client, "POST", srv.base+"/api/v1/admin/datasets/"+id+"/activate", adminToken)
			var e apiError
			if code != http.StatusUnprocessableEntity || json.Unmarshal(body, &e) != nil || e.Error.Code != "dataset_invalid" ||
				!strings.Contains(e.Error.Message, "服务继续使用版本 2023.1") {
				if corruptFailures.Add(1) <= 3 {
					t.Errorf("activate corrupt %s: %d %s", id, code, body)
				}
				continue
			}
			refused.Add(1)
		}
	})
	assert.Zero(t, corruptFailures.Load())
	assert.GreaterOrEqual(t, refused.Load(), int64(2), "both corrupt versions were tried")
	assert.Equal(t, map[string]int{"2023.1": len(corrupt)}, corruptSeen, "only v2 answered while corrupt versions were refused")
	raw, err = os.ReadFile(filepath.Join(f.dir, data.ActiveFile))
	require.NoError(t, err)
	assert.Equal(t, "v2\n", string(raw), "ACTIVE still names v2")

	// SIGHUP reloads under load: ACTIVE rewritten, then the signal; each
	// reload is awaited (its log line) before the next.
	caught := make(chan os.Signal, 64)
	signal.Notify(caught, syscall.SIGHUP)
	defer signal.Stop(caught)
	self, err := os.FindProcess(os.Getpid())
	require.NoError(t, err)
	const reloaded = "数据集已重新加载"
	var reloads, reloadFailures atomic.Int64
	hupped, hupSeen := run(2*time.Second, func(stop <-chan struct{}) {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := []string{"v1", "v2"}[i%2]
			before := strings.Count(srv.stderr.String(), reloaded)
			if err := os.WriteFile(filepath.Join(f.dir, data.ActiveFile), []byte(id+"\n"), 0o644); err != nil {
				t.Errorf("write ACTIVE: %v", err)
				return
			}
			if err := self.Signal(syscall.SIGHUP); err != nil {
				t.Errorf("SIGHUP: %v", err)
				return
			}
			for deadline := time.Now().Add(30 * time.Second); strings.Count(srv.stderr.String(), reloaded) == before; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					reloadFailures.Add(1)
					t.Errorf("SIGHUP to %s: no reload within 30 s; stderr: %s", id, srv.stderr.String())
					return
				}
			}
			reloads.Add(1)
		}
	})
	assert.Zero(t, reloadFailures.Load())
	assert.GreaterOrEqual(t, reloads.Load(), int64(2), "reloaded back and forth")
	assert.Positive(t, hupSeen["2020.1"], "v1 answered during the reloads")
	assert.Positive(t, hupSeen["2023.1"], "v2 answered during the reloads")
	assert.NotContains(t, srv.stderr.String(), "重新加载失败")

	p := func(lat []time.Duration, q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		s := slices.Clone(lat)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[min(len(s)-1, int(q*float64(len(s))))]
	}
	t.Logf("steady:    %6d requests, p50 %v, p99 %v", len(steady), p(steady, 0.50), p(steady, 0.99))
	t.Logf("switching: %6d requests, p50 %v, p99 %v; %d activations (each p50 %v, max %v); answers %v",
		len(switching), p(switching, 0.50), p(switching, 0.99), switches.Load(), p(switchTimes, 0.5), p(switchTimes, 1), seen)
	t.Logf("corrupt:   %6d requests, p50 %v, p99 %v; %d activations refused", len(corrupt), p(corrupt, 0.50), p(corrupt, 0.99), refused.Load())
	t.Logf("SIGHUP:    %6d requests, p50 %v, p99 %v; %d reloads; answers %v", len(hupped), p(hupped, 0.50), p(hupped, 0.99), reloads.Load(), hupSeen)
	if s, w := p(steady, 0.99), p(switching, 0.99); s > 0 {
		t.Logf("p99 during switches / steady p99 = %.2f (target ≤ 2)", float64(w)/float64(s))
	}
}

// SIGHUP re-reads ACTIVE. serve registers for SIGHUP with signal.Notify,
// so the signal does not end the process; the test registers too, so
// that the runtime never applies the default action (exit) to the test
// binary even if no serve were listening at that moment.
func TestServeVersionsSIGHUP(t *testing.T) {
	caught := make(chan os.Signal, 8)
	signal.Notify(caught, syscall.SIGHUP)
	defer signal.Stop(caught)
	self, err := os.FindProcess(os.Getpid())
	require.NoError(t, err)

	f := writeVersions(t)
	srv := startServe(t, "--data", f.dir)
	assert.Equal(t, "2020.1", f.probeVersion(t, srv.base))

	require.NoError(t, os.WriteFile(filepath.Join(f.dir, data.ActiveFile), []byte("v2\n"), 0o644))
	require.NoError(t, self.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool { return f.probeVersion(t, srv.base) == "2023.1" }, 10*time.Second, 20*time.Millisecond,
		"SIGHUP did not switch to v2; stderr: %s", srv.stderr.String())
	assert.Contains(t, srv.stderr.String(), "数据集已重新加载")

	// ACTIVE naming no version: the reload fails, v2 keeps serving.
	require.NoError(t, os.WriteFile(filepath.Join(f.dir, data.ActiveFile), []byte("v9\n"), 0o644))
	require.NoError(t, self.Signal(syscall.SIGHUP))
	require.Eventually(t, func() bool {
		return strings.Contains(srv.stderr.String(), "重新加载失败，继续使用当前版本")
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "2023.1", f.probeVersion(t, srv.base))
	assert.Equal(t, 0, srv.stop(t), "the process is still serving normally")
}

// Without ACTIVE the latest published version serves; check and batch
// read a versions directory too.
func TestVersionsDirectoryWithoutActive(t *testing.T) {
	f := writeVersions(t)
	require.NoError(t, os.Remove(filepath.Join(f.dir, data.ActiveFile)))
	srv := startServe(t, "--data", f.dir)
	assert.Equal(t, "2023.1", f.probeVersion(t, srv.base), "v2 is published later")
	code, body := call(t, http.DefaultClient, "POST", srv.base+"/api/v1/admin/datasets/v1/activate", "")
	require.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "admin_disabled", decodeError(t, body).Error.Code)

	c, out, errOut := runCmd(t, "check", "--wkt", "POINT(106.555 29.55)", "--format", "json", "--data", f.dir)
	require.Equal(t, 0, c, errOut)
	assert.Contains(t, out, `"version":"2023.1"`)
}

// A single dataset folder keeps working and lists itself.
func TestServeSingleDatasetVersions(t *testing.T) {
	dir := writeTestDataset(t)
	srv := startServe(t, "--data", dir, "--admin-token", adminToken)
	code, body := call(t, http.DefaultClient, "GET", srv.base+"/api/v1/datasets", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), `"versioned":false`)
	assert.Contains(t, string(body), `"id":"cli.1"`)
	code, body = call(t, http.DefaultClient, "POST", srv.base+"/api/v1/admin/datasets/cli.1/activate", adminToken)
	require.Equal(t, http.StatusConflict, code, "%s", body)
	assert.Equal(t, "not_versioned", decodeError(t, body).Error.Code)
}

func TestDatasetAdminTokenFlags(t *testing.T) {
	t.Setenv("SANXIAN_ADMIN_TOKEN", "")
	t.Setenv("SANXIAN_ADMIN_TOKEN_FILE", "")
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte("  from-file-0123456789  \nsecond line\n"), 0o600))
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))

	cfg, err := parseServe([]string{"--admin-token", "flag-token"})
	require.NoError(t, err)
	assert.Equal(t, "flag-token", cfg.Web.AdminToken)
	cfg, err = parseServe([]string{"--admin-token-file", file})
	require.NoError(t, err)
	assert.Equal(t, "from-file-0123456789", cfg.Web.AdminToken)
	cfg, err = parseServe(nil)
	require.NoError(t, err)
	assert.Empty(t, cfg.Web.AdminToken, "no token: admin API off")

	_, err = parseServe([]string{"--admin-token", "a", "--admin-token-file", file})
	assert.ErrorContains(t, err, "只能给出其一")
	_, err = parseServe([]string{"--admin-token-file", empty})
	assert.ErrorContains(t, err, "为空")
	_, err = parseServe([]string{"--admin-token-file", filepath.Join(t.TempDir(), "none")})
	assert.ErrorContains(t, err, "无法读取")

	t.Setenv("SANXIAN_ADMIN_TOKEN", "env-token")
	cfg, err = parseServe(nil)
	require.NoError(t, err)
	assert.Equal(t, "env-token", cfg.Web.AdminToken)
	cfg, err = parseServe([]string{"--admin-token-file", file})
	require.NoError(t, err)
	assert.Equal(t, "from-file-0123456789", cfg.Web.AdminToken, "a flag wins over the environment")
	t.Setenv("SANXIAN_ADMIN_TOKEN_FILE", file)
	_, err = parseServe(nil)
	assert.ErrorContains(t, err, "只能设置其一")
}

// Concurrent activations are serialised: each loads, writes ACTIVE and
// swaps as one step, so that at the end ACTIVE, the list and the answers
// agree on one version.
func TestConcurrentDatasetActivations(t *testing.T) {
	f := writeVersions(t)
	srv := startServe(t, "--data", f.dir, "--admin-token", adminToken)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 4 {
				id := []string{"v1", "v2"}[(g+i)%2]
				req, _ := http.NewRequest("POST", srv.base+"/api/v1/admin/datasets/"+id+"/activate", nil)
				req.Header.Set("Authorization", "Bearer "+adminToken)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					failed.Add(1)
					t.Errorf("activate %s: %v", id, err)
					continue
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failed.Add(1)
					t.Errorf("activate %s: status %d", id, res.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	require.Zero(t, failed.Load())
	raw, err := os.ReadFile(filepath.Join(f.dir, data.ActiveFile))
	require.NoError(t, err)
	active := strings.TrimSpace(string(raw))
	want := map[string]string{"v1": "2020.1", "v2": "2023.1"}[active]
	assert.Equal(t, want, f.probeVersion(t, srv.base), "ACTIVE says %s", active)
	code, body := call(t, http.DefaultClient, "GET", srv.base+"/api/v1/datasets", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), fmt.Sprintf(`"id":"%s","name"`, active))
	var l struct {
		Versions []struct {
			ID     string `json:"id"`
			Active bool   `json:"active"`
		} `json:"versions"`
	}
	require.NoError(t, json.Unmarshal(body, &l))
	for _, v := range l.Versions {
		assert.Equal(t, v.ID == active, v.Active, v.ID)
	}
}

// jobView is the part of a batch job's answer TestBatchAcrossActivation reads.
type jobView struct {
	Status          string `json:"status"`
	Done            int    `json:"done"`
	Dataset         string `json:"dataset"`
	Restarts        int    `json:"restarts"`
	PreviousDataset string `json:"previous_dataset"`
}

// A batch job running while another version is activated ends with
// every row checked on one version, the one the job names; when the
// switch caught it mid-way it says it started over and from what. Jobs
// are uploaded until one is caught (a job can finish before the
// activation lands).
func TestBatchAcrossActivation(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 20,000 rows")
	}
	f := writeVersions(t)
	srv := startServe(t, "--data", f.dir, "--admin-token", adminToken, "--batch-workers", "1")
	var b strings.Builder
	b.WriteString("项目名称,行业代码,建设性质,经度,纬度\n")
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range 20000 {
		fmt.Fprintf(&b, "项目%d,C1713,新建,%.6f,%.6f\n", i, 106.50+rng.Float64()*0.12, 29.50+rng.Float64()*0.10)
	}
	list := filepath.Join(t.TempDir(), "清单.csv")
	require.NoError(t, os.WriteFile(list, []byte(b.String()), 0o644))
	label := map[string]string{"v1": "万州区生态环境分区管控@2020.1", "v2": "万州区生态环境分区管控（2023 年调整）@2023.1"}
	getView := func(id string) jobView {
		t.Helper()
		code, body := call(t, http.DefaultClient, "GET", srv.base+"/api/v1/batches/"+id, "")
		require.Equal(t, http.StatusOK, code, "%s", body)
		var v jobView
		require.NoError(t, json.Unmarshal(body, &v))
		return v
	}
	caught := false
	for attempt, to := range []string{"v2", "v1", "v2", "v1"} {
		from := map[string]string{"v1": "v2", "v2": "v1"}[to]
		id := uploadList(t, srv.base, list)
		require.Eventually(t, func() bool { return getView(id).Done > 0 }, 60*time.Second, 5*time.Millisecond)
		req, _ := http.NewRequest("POST", srv.base+"/api/v1/admin/datasets/"+to+"/activate", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Eventually(t, func() bool { return getView(id).Status == "finished" }, 120*time.Second, 20*time.Millisecond)
		v := getView(id)
		assert.Equal(t, 20000, v.Done)
		_, rows := resultRows(t, srv.base, id)
		require.Len(t, rows, 20000)
		versions := map[string]int{}
		for _, r := range rows {
			versions[r[len(r)-2]]++ // 数据版本, before 报告编号
		}
		assert.Equal(t, map[string]int{v.Dataset: 20000}, versions, "attempt %d: one version for every row", attempt)
		if v.Restarts > 0 {
			assert.Equal(t, label[to], v.Dataset)
			assert.Equal(t, label[from], v.PreviousDataset)
			caught = true
			t.Logf("attempt %d: started over on %s after the switch", attempt, v.Dataset)
			// The page says so, in a notice of its own.
			ctx := browser(t)
			openBatch(t, ctx, srv.base, "?job="+id)
			notice, err := chromedp.Run(ctx, chromedp.Poll[string](`(e => e.hidden ? null : e.textContent)(document.getElementById("batch-restart"))`,
				chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
			require.NoError(t, err, "no restart notice on the page")
			assert.Equal(t, "筛查过程中数据版本由 "+label[from]+" 更新为 "+label[to]+"，已按新版本从头重新筛查，全部结果为同一版本。", notice)
			break
		}
		t.Logf("attempt %d: the job finished on %s before the switch landed", attempt, v.Dataset)
	}
	assert.True(t, caught, "no job was caught by an activation in four attempts")
}
