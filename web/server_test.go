package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// staticSource serves one fixed dataset (or nil: nothing loaded).
type staticSource struct{ d *admission.Dataset }

func (s staticSource) Current() *admission.Dataset { return s.d }

func square(minLon, minLat, maxLon, maxLat float64) orb.Polygon {
	return orb.Polygon{{{minLon, minLat}, {maxLon, minLat}, {maxLon, maxLat}, {minLon, maxLat}, {minLon, minLat}}}
}

// testDataset is a small hand-made dataset:
//
//	29.60 +-----------------+-----------------+
//	      | ZH50010110001   | ZH50010120001   |
//	      | 优先保护单元     | 重点管控单元     |
//	29.53 |   +--+          |                 |
//	29.52 |   +--+ 红线      |                 |
//	29.50 +-----------------+-----------------+
//	   106.50  106.52-.53  106.55           106.60
//
// districts: 500101 万州区 covers the whole square; control_units: two
// units sharing the edge lon = 106.55; eco_redline: one small square
// HX500000-0001 inside the west unit.
func testDataset(t testing.TB) *admission.Dataset {
	t.Helper()
	clauses := func(s string) map[string]any {
		return map[string]any{
			"空间布局约束":  []any{"1-1 " + s},
			"污染物排放管控": []any{"2-1 严格控制新增污染物排放总量。"},
		}
	}
	layers := []admission.Layer{
		{ID: admission.LayerDistricts, Title: "区县", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "500101", Name: "万州区", Category: "区", Properties: map[string]any{"seat": []any{108.38, 30.81}}, Geometry: square(106.50, 29.50, 106.60, 29.60)},
		}},
		{ID: admission.LayerControlUnits, Title: "环境管控单元", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "ZH50010110001", Name: "万州区优先保护单元", Category: admission.CategoryPriority,
				Properties: map[string]any{"county_code": "500101", "county_name": "万州区", "clauses": clauses("禁止在生态保护红线内开展不符合管控要求的开发建设活动。")},
				Geometry:   square(106.50, 29.50, 106.55, 29.60)},
			{ID: "ZH50010120001", Name: "万州区重点管控单元", Category: admission.CategoryKey,
				Properties: map[string]any{"county_code": "500101", "county_name": "万州区", "park_name": "万州经开区", "clauses": clauses("新建化工项目应进入合规园区。")},
				Geometry:   square(106.55, 29.50, 106.60, 29.60)},
		}},
		{ID: admission.LayerEcoRedline, Title: "生态保护红线", Role: admission.RoleSensitive, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "HX500000-0001", Name: "铁峰山生态保护红线", Category: "生态保护红线", Properties: map[string]any{"range": "铁峰山"}, Geometry: square(106.52, 29.52, 106.53, 29.53)},
		}},
	}
	info := admission.Info{
		Name: "测试数据集", Version: "test.1", Published: "2026-01-01", CRS: "EPSG:4490",
		Source: "web 包测试手工构造", Synthetic: true, Checksum: "sha256:0000000000000000000000000000000000000000000000000000000000000000",
	}
	rules := admission.Rules{Clauses: []admission.Clause{
		{ID: "CQ-1-01", Level: admission.LevelZone, Scope: admission.Scope{Layer: admission.LayerEcoRedline}, Dimension: "空间布局约束", Number: "1-1",
			Effect: admission.EffectProhibit, Machine: true, Text: "生态保护红线内严格禁止开发性、生产性建设活动。",
			Exceptions: []admission.Exception{{Activities: []string{"linear_infrastructure"}, Note: "须逐项论证"}}},
		{ID: "ZH50010120001-1-01", Level: admission.LevelUnit, Scope: admission.Scope{Unit: "ZH50010120001"}, Dimension: "空间布局约束", Number: "1-1",
			Effect: admission.EffectProhibit, Machine: true, Text: "园区禁止引入纺织印染项目。", Industries: &admission.IndustryFilter{Include: []string{"C17"}}},
	}}
	d, err := admission.NewDataset(info, layers, admission.Options{Rules: rules})
	require.NoError(t, err, "build test dataset")
	return d
}

// newTestServer starts a real HTTP server on 127.0.0.1 around s.
func newTestServer(t testing.TB, s *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func do(t testing.TB, method, url, body string, header ...string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// errorOf decodes the one error body shape, strictly.
func errorOf(t testing.TB, r response) *Error {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	var b errorBody
	require.NoError(t, dec.Decode(&b), "error body %s", r.Body)
	require.NotNil(t, b.Error, "error body %s", r.Body)
	require.NotEmpty(t, b.Error.Message, "error message")
	return b.Error
}
