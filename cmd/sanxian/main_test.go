package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/internal/syncbuf"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/data"
)

func square(minLon, minLat, maxLon, maxLat float64) orb.Polygon {
	return orb.Polygon{{{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}}
}

// writeTestDataset writes a small dataset folder and returns its path:
//
//	29.60 +-----------------+-----------------+
//	      | ZH50010110001   | ZH50010120001   |
//	      | 优先保护单元     | 重点管控单元     |
//	29.53 |   +--+          |                 |
//	29.52 |   +--+ 红线      |                 |
//	29.50 +-----------------+-----------------+
//	   106.50  106.52-.53  106.55           106.60
func writeTestDataset(t *testing.T) string {
	t.Helper()
	layers := []admission.Layer{
		{ID: admission.LayerDistricts, Title: "区县", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "500101", Name: "万州区", Category: "区", Properties: map[string]any{}, Geometry: square(106.50, 29.50, 106.60, 29.60)},
		}},
		{ID: admission.LayerControlUnits, Title: "环境管控单元", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "ZH50010110001", Name: "万州区优先保护单元", Category: admission.CategoryPriority,
				Properties: map[string]any{"county_code": "500101", "county_name": "万州区", "clauses": map[string]any{"空间布局约束": []any{"1-1 禁止新建工业项目。"}}},
				Geometry:   square(106.50, 29.50, 106.55, 29.60)},
			{ID: "ZH50010120001", Name: "万州区重点管控单元", Category: admission.CategoryKey,
				Properties: map[string]any{"county_code": "500101", "county_name": "万州区"},
				Geometry:   square(106.55, 29.50, 106.60, 29.60)},
		}},
		{ID: admission.LayerEcoRedline, Title: "生态保护红线", Role: admission.RoleSensitive, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "HX500000-0001", Name: "铁峰山生态保护红线", Category: "生态保护红线", Properties: map[string]any{}, Geometry: square(106.52, 29.52, 106.53, 29.53)},
		}},
	}
	info := admission.Info{Name: "命令行测试数据集", Version: "cli.1", Published: "2026-01-01", CRS: "EPSG:4490", Source: "测试", Synthetic: true}
	dir := filepath.Join(t.TempDir(), "dataset")
	_, err := data.WriteDataset(dir, data.Contents{Info: info, Layers: layers})
	require.NoError(t, err)
	return dir
}

// syncBuffer captures a server's output while tests poll it.
type syncBuffer = syncbuf.Buffer

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

var listening = regexp.MustCompile(`正在监听 http://(\S+)`)

// server is a `sanxian serve` started by a test.
type server struct {
	base           string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
}

// startServe runs `sanxian serve --addr 127.0.0.1:0 args…` and waits for
// its listening line. Call stop (or let the test end) to shut it down.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	stateDir := t.TempDir() // a later --state-dir in args wins
	go func() {
		s.done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--state-dir", stateDir}, args...), s.stdout, s.stderr)
	}()
	t.Cleanup(func() { s.stop(t) })
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(s.stdout.String())
		if m == nil {
			return false
		}
		s.base = "http://" + m[1]
		return true
	}, 90*time.Second, 10*time.Millisecond, "no listening line; stderr: %s", s.stderr.String())
	return s
}

// stop shuts the server down and returns its exit code (-1 if it did not
// stop within 20 s).
func (s *server) stop(t *testing.T) int {
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // stop may be called again by the cleanup
		return code
	case <-time.After(20 * time.Second):
		t.Error("serve did not stop after cancel")
		return -1
	}
}

func TestServe(t *testing.T) {
	dir := writeTestDataset(t)
	srv := startServe(t, "--data", dir, "--log-format", "json", "--timeout", "5s")
	base, stderr := srv.base, srv.stderr

	get := func(path string) (int, []byte) {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, b
	}
	code, body := get("/readyz")
	require.Equal(t, http.StatusOK, code, "readyz: %s", body)
	assert.Contains(t, string(body), "命令行测试数据集")

	code, body = get("/api/v1/check?lon=106.525&lat=29.525")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var res admission.CheckResult
	require.NoError(t, json.Unmarshal(body, &res))
	var hits []string
	for _, h := range res.Hits {
		hits = append(hits, h.Layer+"/"+h.Name)
	}
	assert.ElementsMatch(t, []string{"districts/万州区", "control_units/万州区优先保护单元", "eco_redline/铁峰山生态保护红线"}, hits)

	// The command line gives exactly the API's answer, but for the API's
	// report id (the CLI records nothing).
	c, out, errOut := runCmd(t, "check", "--wkt", "POINT(106.525 29.525)", "--format", "json", "--data", dir)
	require.Equal(t, 0, c, errOut)
	assert.JSONEq(t, string(withoutReportID(t, body)), out)
	assert.NotContains(t, out, "report_id")

	res2, err := http.Post(base+"/api/v1/check", "application/json", strings.NewReader(`{"wkt": "LINESTRING(106.53 29.555, 106.57 29.555)", "buffer_m": 100}`))
	require.NoError(t, err)
	apiLine, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	require.Equal(t, http.StatusOK, res2.StatusCode, "%s", apiLine)
	c, out, errOut = runCmd(t, "check", "--wkt", "LINESTRING(106.53 29.555, 106.57 29.555)", "--buffer", "100", "--format", "json", "--data", dir)
	require.Equal(t, 0, c, errOut)
	assert.JSONEq(t, string(withoutReportID(t, apiLine)), out)

	code, body = get("/metrics")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), `sanxian_dataset_info{checksum="sha256:`)

	assert.Contains(t, stderr.String(), "数据集已加载")
	assert.Contains(t, stderr.String(), `"checksum":"sha256:`)

	assert.Equal(t, 0, srv.stop(t), "clean shutdown; stderr: %s", stderr.String())
	assert.Contains(t, stderr.String(), "已关闭")
	_, err = http.Get(base + "/healthz")
	assert.Error(t, err, "server still answering after shutdown")
}

func TestServeBadDataset(t *testing.T) {
	code, _, stderr := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "missing"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "数据集加载失败")
}

func TestCheckTable(t *testing.T) {
	dir := writeTestDataset(t)
	t.Run("polygon", func(t *testing.T) {
		code, out, stderr := runCmd(t, "check", "--wkt", "POLYGON((106.54 29.54,106.56 29.54,106.56 29.56,106.54 29.56,106.54 29.54))", "--buffer", "2000", "--data", dir)
		require.Equal(t, 0, code, stderr)
		t.Log("\n" + out)
		for _, want := range []string{"数据集：命令行测试数据集，版本 cli.1", "场址：类型 Polygon｜面积 4,297,173.5 m²", "顶点数 5", "缓冲 2,000 m",
			"图层", "编码", "名称", "类别", "关系", "重叠面积(m²)/占比", "距离(m)",
			"万州区优先保护单元", "优先保护单元", "相交", "50.00%", "邻近", "容差：",
			"ZH50010110001", "HX500000-0001"} {
			assert.Contains(t, out, want)
		}
	})
	t.Run("line", func(t *testing.T) {
		code, out, stderr := runCmd(t, "check", "--wkt", "LINESTRING(106.53 29.555, 106.57 29.555)", "--layers", "control_units", "--data", dir)
		require.Equal(t, 0, code, stderr)
		t.Log("\n" + out)
		for _, want := range []string{"重叠长度(m)/桩号范围", "K0+000–K1+938", "K1+938–K3+877", "相交"} {
			assert.Contains(t, out, want)
		}
	})
	t.Run("point on shared edge", func(t *testing.T) {
		code, out, stderr := runCmd(t, "check", "--wkt", "POINT(106.55 29.55)", "--data", dir)
		require.Equal(t, 0, code, stderr)
		t.Log("\n" + out)
		for _, want := range []string{"边界接触", "在边界上", "说明：", "共有边界"} {
			assert.Contains(t, out, want)
		}
	})
	t.Run("geojson feature file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "site.geojson")
		require.NoError(t, os.WriteFile(f, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"地块"},"geometry":{"type":"Point","coordinates":[106.58,29.58]}}]}`), 0o644))
		code, out, stderr := runCmd(t, "check", "--geojson", f, "--data", dir)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "万州区重点管控单元")
		assert.Contains(t, out, "位于其内")
	})
	t.Run("gauss-kruger point", func(t *testing.T) {
		zone, err := crs.Parse("EPSG:4544")
		require.NoError(t, err)
		p, err := zone.FromCGCS2000(orb.Point{106.58, 29.58})
		require.NoError(t, err)
		code, out, stderr := runCmd(t, "check", "--wkt", fmt.Sprintf("POINT(%.3f %.3f)", p[0], p[1]), "--crs", "EPSG:4544", "--data", dir)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "万州区重点管控单元")
		assert.Contains(t, out, "输入坐标系 EPSG:4544")
		code, _, stderr = runCmd(t, "check", "--wkt", "POINT(106.58 29.58)", "--crs", "EPSG:4544", "--data", dir)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, stderr, "EPSG:4544")
	})
	t.Run("nothing hit", func(t *testing.T) {
		code, out, stderr := runCmd(t, "check", "--wkt", "POINT(100 20)", "--data", dir)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "未命中任何要素")
	})
}

func TestCheckInvalidInput(t *testing.T) {
	dir := writeTestDataset(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad wkt", []string{"--wkt", "POINT(106.5 abc)"}, "纬度"},
		{"unclosed ring", []string{"--wkt", "POLYGON((106.5 29.5,106.6 29.5,106.6 29.6,106.5 29.6))"}, "unclosed_ring"},
		{"out of range", []string{"--wkt", "POINT(29.5 106.5)"}, "coordinate_out_of_range"},
		{"negative buffer", []string{"--wkt", "POINT(106.5 29.5)", "--buffer", "-1"}, "buffer_m"},
		{"unknown layer", []string{"--wkt", "POINT(106.5 29.5)", "--layers", "nope"}, "没有图层 nope"},
		{"missing file", []string{"--geojson", filepath.Join(t.TempDir(), "none.geojson")}, "读取 GeoJSON 文件"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, append(append([]string{"check"}, tt.args...), "--data", dir)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, stderr, tt.want)
		})
	}
	t.Run("dataset cannot load", func(t *testing.T) {
		code, _, stderr := runCmd(t, "check", "--wkt", "POINT(106.5 29.5)", "--data", filepath.Join(t.TempDir(), "none"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "数据集加载失败")
	})
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, "version")
	assert.Equal(t, 0, code)
	assert.Regexp(t, `^sanxian dev \(go1\.\d+`, out)
}

func TestBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "用法"},
		{"unknown subcommand", []string{"frobnicate"}, "未知的子命令"},
		{"unknown flag", []string{"serve", "--nope"}, "参数错误"},
		{"bad timeout", []string{"serve", "--data", "x", "--timeout", "soon"}, "--timeout"},
		{"bad max body", []string{"serve", "--data", "x", "--max-body", "lots"}, "--max-body"},
		{"bad log format", []string{"serve", "--data", "x", "--log-format", "xml"}, "--log-format"},
		{"check without site", []string{"check", "--data", "x"}, "--wkt 或 --geojson"},
		{"check with both", []string{"check", "--data", "x", "--wkt", "POINT(1 2)", "--geojson", "f"}, "--wkt 或 --geojson"},
		{"check bad format", []string{"check", "--data", "x", "--wkt", "POINT(1 2)", "--format", "xml"}, "--format"},
		{"check stray argument", []string{"check", "--data", "x", "--wkt", "POINT(1", "2)"}, "多余的参数"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tt.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, tt.want)
			assert.Contains(t, stderr, "用法")
		})
	}
	t.Run("help is not an error", func(t *testing.T) {
		code, out, _ := runCmd(t, "serve", "--help")
		assert.Equal(t, 0, code)
		assert.Contains(t, out, "用法")
	})
}

func TestEnvFallback(t *testing.T) {
	t.Setenv("SANXIAN_DATA", "/from/env")
	t.Setenv("SANXIAN_TIMEOUT", "3s")
	t.Setenv("SANXIAN_MAX_BODY", "1MB")
	cfg, err := parseServe([]string{"--timeout", "4s"})
	require.NoError(t, err)
	assert.Equal(t, "/from/env", cfg.DataDir)
	assert.Equal(t, 4*time.Second, cfg.Web.RequestTimeout, "flag wins over env")
	assert.EqualValues(t, 1<<20, cfg.Web.MaxBodyBytes)
	assert.Equal(t, ":8080", cfg.Addr)
}

func TestHelpers(t *testing.T) {
	for in, want := range map[float64]string{0: "K0+000", 12300.4: "K12+300", 13099.6: "K13+100", 999.5: "K1+000"} {
		assert.Equal(t, want, chainage(in), "chainage(%v)", in)
	}
	assert.Equal(t, "4,297,173.5", groupDigits(4297173.46, 1))
	assert.Equal(t, "-1,000", groupDigits(-1000, 0))
	assert.Equal(t, "12", groupDigits(12, 0))
	assert.Equal(t, 8, displayWidth("管控单元"))
	assert.Equal(t, 5, displayWidth("K0+00"))
	n, err := parseSize("512KB")
	require.NoError(t, err)
	assert.EqualValues(t, 512<<10, n)
}

// Without --data both commands use the embedded synthetic sample.
func TestCheckDefaultsToEmbeddedSample(t *testing.T) {
	t.Setenv("SANXIAN_DATA", "")
	code, out, errOut := runCmd(t, "check", "--wkt", "POINT(106.569 29.553)", "--format", "json")
	require.Equal(t, 0, code, errOut)
	var res admission.CheckResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.True(t, res.Dataset.Synthetic, "the sample says it is synthetic")
	ids := map[string]string{}
	for _, h := range res.Hits {
		ids[h.Layer] = h.ID
	}
	assert.Equal(t, "500103", ids["districts"], "渝中区's seat lies in 渝中区")
	assert.Contains(t, ids["control_units"], "ZH500103")
}

// The sliver tolerance is configurable and reported back.
func TestSliverToleranceFlags(t *testing.T) {
	code, out, errOut := runCmd(t, "check", "--wkt", "POINT(106.569 29.553)", "--format", "json", "--sliver-m2", "5", "--sliver-ratio", "0.001")
	require.Equal(t, 0, code, errOut)
	var res admission.CheckResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, 5.0, res.Tolerance.MinAreaM2)
	assert.Equal(t, 0.001, res.Tolerance.SiteRatio)
	code, _, errOut = runCmd(t, "check", "--wkt", "POINT(106.569 29.553)", "--sliver-ratio", "2")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--sliver-ratio")
}

// A tile template without {z}, {x} and {y} is refused before serving.
func TestServeRejectsBadTiles(t *testing.T) {
	code, _, stderr := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--tiles", "http://tiles.example/map.png")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--tiles")
}

// withoutReportID is an API check answer without its report_id, which
// must be there.
func withoutReportID(t *testing.T, body []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m))
	require.Contains(t, m, "report_id")
	delete(m, "report_id")
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}
