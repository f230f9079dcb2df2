package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// circleWKT is a valid polygon with n vertices around (106.525, 29.525).
func circleWKT(n int) string {
	var b strings.Builder
	b.WriteString("POLYGON((")
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i%n) / float64(n)
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%.6f %.6f", 106.525+0.001*math.Cos(a), 29.525+0.001*math.Sin(a))
	}
	b.WriteString("))")
	return b.String()
}

func TestErrors(t *testing.T) {
	d := testDataset(t)
	ts := newTestServer(t, New(staticSource{d}, Config{MaxVertices: 50, MaxBodyBytes: 4096}, testLogger(t)))
	check := ts.URL + "/api/v1/check"
	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		code         string
		details      map[string]any // expected subset of details
	}{
		{"malformed json", "POST", check, `{"wkt": "POINT(106.5 29.5)",}`, 400, CodeMalformedJSON, map[string]any{"line": float64(1), "column": float64(30)}},
		{"malformed json across lines", "POST", check, "{\n  \"wkt\": \"POINT(106.5 29.5)\"\n  \"buffer_m\": 1}", 400, CodeMalformedJSON, map[string]any{"line": float64(3)}},
		{"truncated json", "POST", check, `{"wkt": "POINT(106.5 29.5)"`, 400, CodeMalformedJSON, nil},
		{"empty body", "POST", check, ``, 400, CodeMalformedJSON, nil},
		{"body is an array", "POST", check, `[1, 2]`, 400, CodeMalformedJSON, nil},
		{"trailing content", "POST", check, `{"wkt": "POINT(106.5 29.5)"} {}`, 400, CodeMalformedJSON, nil},
		{"unknown field", "POST", check, `{"wkt": "POINT(106.5 29.5)", "bufer_m": 10}`, 400, CodeInvalidParameter, map[string]any{"parameter": "bufer_m"}},
		{"buffer of wrong type", "POST", check, `{"wkt": "POINT(106.5 29.5)", "buffer_m": "100"}`, 400, CodeInvalidParameter, map[string]any{"parameter": "buffer_m"}},
		{"negative buffer", "POST", check, `{"wkt": "POINT(106.5 29.5)", "buffer_m": -1}`, 400, CodeInvalidParameter, map[string]any{"parameter": "buffer_m"}},
		{"buffer above max", "POST", check, `{"wkt": "POINT(106.5 29.5)", "buffer_m": 50001}`, 400, CodeInvalidParameter, map[string]any{"parameter": "buffer_m"}},
		{"empty layer id", "POST", check, `{"wkt": "POINT(106.5 29.5)", "layers": [""]}`, 400, CodeInvalidParameter, map[string]any{"parameter": "layers"}},
		{"neither geometry nor wkt", "POST", check, `{"buffer_m": 10}`, 400, CodeMissingGeometry, nil},
		{"null geometry", "POST", check, `{"geometry": null}`, 400, CodeMissingGeometry, nil},
		{"both geometry and wkt", "POST", check, `{"geometry": {"type": "Point", "coordinates": [106.5, 29.5]}, "wkt": "POINT(106.5 29.5)"}`, 400, CodeMissingGeometry, nil},
		{"geojson position with one number", "POST", check, `{"geometry": {"type": "Polygon", "coordinates": [[[106.5, 29.5], [106.6, 29.5], [106.6], [106.5, 29.5]]]}}`, 400, CodeMalformedGeometry, map[string]any{"path": "geometry.coordinates[0][2]"}},
		{"geojson non-numeric coordinate", "POST", check, `{"geometry": {"type": "LineString", "coordinates": [[106.5, 29.5], [106.6, "29.6"]]}}`, 400, CodeMalformedGeometry, map[string]any{"path": "geometry.coordinates[1][1]"}},
		{"geojson empty point", "POST", check, `{"geometry": {"type": "Point", "coordinates": []}}`, 400, CodeMalformedGeometry, map[string]any{"path": "geometry.coordinates"}},
		{"geojson ring not an array", "POST", check, `{"geometry": {"type": "Polygon", "coordinates": [[106.5, 29.5]]}}`, 400, CodeMalformedGeometry, map[string]any{"path": "geometry.coordinates[0][0]"}},
		{"geojson missing coordinates", "POST", check, `{"geometry": {"type": "Point"}}`, 400, CodeMalformedGeometry, map[string]any{"path": "geometry.coordinates"}},
		{"geojson unknown type", "POST", check, `{"geometry": {"type": "Circle", "coordinates": [106.5, 29.5]}}`, 400, CodeMalformedGeometry, map[string]any{"type": "Circle"}},
		{"geojson lower-case type", "POST", check, `{"geometry": {"type": "point", "coordinates": [106.5, 29.5]}}`, 400, CodeMalformedGeometry, nil},
		{"geojson feature", "POST", check, `{"geometry": {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [106.5, 29.5]}}}`, 400, CodeMalformedGeometry, map[string]any{"type": "Feature"}},
		{"geojson feature collection", "POST", check, `{"geometry": {"type": "FeatureCollection", "features": []}}`, 400, CodeMalformedGeometry, map[string]any{"type": "FeatureCollection"}},
		{"geojson geometry collection", "POST", check, `{"geometry": {"type": "GeometryCollection", "geometries": []}}`, 422, geo.CodeUnsupportedType, nil},
		{"geometry is a string", "POST", check, `{"geometry": "POINT(1 2)"}`, 400, CodeMalformedGeometry, nil},
		{"bad wkt number", "POST", check, `{"wkt": "POLYGON((106.5 29.5, 106.6 abc, 106.6 29.6, 106.5 29.5))"}`, 400, CodeMalformedGeometry, map[string]any{"offset": float64(27)}},
		{"bad wkt full-width comma", "POST", check, `{"wkt": "LINESTRING(106.5 29.5，106.6 29.6)"}`, 400, CodeMalformedGeometry, map[string]any{"offset": float64(21)}},
		{"bad wkt unbalanced", "POST", check, `{"wkt": "POLYGON((106.5 29.5, 106.6 29.5, 106.6 29.6, 106.5 29.5)"}`, 400, CodeMalformedGeometry, nil},
		{"bad wkt type", "POST", check, `{"wkt": "CIRCLE(106.5 29.5)"}`, 400, CodeMalformedGeometry, nil},
		{"empty wkt", "POST", check, `{"wkt": ""}`, 400, CodeMalformedGeometry, nil},
		{"wkt point empty", "POST", check, `{"wkt": "POINT EMPTY"}`, 422, geo.CodeEmpty, nil},
		{"unclosed ring", "POST", check, `{"wkt": "POLYGON((106.50 29.50, 106.52 29.50, 106.52 29.52, 106.50 29.52))"}`, 422, geo.CodeUnclosedRing, nil},
		{"self-intersection", "POST", check, `{"geometry": {"type": "Polygon", "coordinates": [[[106.50, 29.50], [106.52, 29.52], [106.52, 29.50], [106.50, 29.52], [106.50, 29.50]]]}}`, 422, geo.CodeSelfIntersect, nil},
		{"coordinate out of range", "POST", check, `{"wkt": "POINT(200 29.5)"}`, 422, geo.CodeOutOfRange, nil},
		{"too many vertices", "POST", check, `{"wkt": "` + circleWKT(60) + `"}`, 422, geo.CodeTooManyVertices, nil},
		{"body too large", "POST", check, `{"wkt": "` + circleWKT(400) + `"}`, 413, CodeBodyTooLarge, map[string]any{"max_bytes": float64(4096)}},
		{"unknown layer in check", "POST", check, `{"wkt": "POINT(106.525 29.525)", "layers": ["control_units", "nope"]}`, 404, CodeLayerNotFound, map[string]any{"layers": []any{"nope"}}},
		{"get check without lon", "GET", check + "?lat=29.5", "", 400, CodeInvalidParameter, map[string]any{"parameter": "lon"}},
		{"get check lon not a number", "GET", check + "?lon=abc&lat=29.5", "", 400, CodeInvalidParameter, map[string]any{"parameter": "lon"}},
		{"get check lat out of range", "GET", check + "?lon=106.5&lat=95", "", 400, CodeInvalidParameter, map[string]any{"parameter": "lat"}},
		{"get check lon NaN", "GET", check + "?lon=NaN&lat=29.5", "", 400, CodeInvalidParameter, map[string]any{"parameter": "lon"}},
		{"get check negative buffer", "GET", check + "?lon=106.5&lat=29.5&buffer_m=-5", "", 400, CodeInvalidParameter, map[string]any{"parameter": "buffer_m"}},
		{"get check empty layer", "GET", check + "?lon=106.5&lat=29.5&layers=control_units,,", "", 400, CodeInvalidParameter, map[string]any{"parameter": "layers"}},
		{"get check unknown layer", "GET", check + "?lon=106.5&lat=29.5&layers=nope", "", 404, CodeLayerNotFound, nil},
		{"features of unknown layer", "GET", ts.URL + "/api/v1/features/nope", "", 404, CodeLayerNotFound, nil},
		{"feature of unknown layer", "GET", ts.URL + "/api/v1/features/nope/ZH50010110001", "", 404, CodeLayerNotFound, nil},
		{"unknown feature", "GET", ts.URL + "/api/v1/features/control_units/ZH50010139999", "", 404, CodeFeatureNotFound, map[string]any{"id": "ZH50010139999"}},
		{"bbox with three numbers", "GET", ts.URL + "/api/v1/features/control_units?bbox=1,2,3", "", 400, CodeInvalidParameter, map[string]any{"parameter": "bbox"}},
		{"bbox not numbers", "GET", ts.URL + "/api/v1/features/control_units?bbox=a,b,c,d", "", 400, CodeInvalidParameter, map[string]any{"parameter": "bbox"}},
		{"bbox inverted", "GET", ts.URL + "/api/v1/features/control_units?bbox=106.6,29.5,106.5,29.6", "", 400, CodeInvalidParameter, map[string]any{"parameter": "bbox"}},
		{"zoom too large", "GET", ts.URL + "/api/v1/features/control_units?zoom=23", "", 400, CodeInvalidParameter, map[string]any{"parameter": "zoom"}},
		{"zoom not integer", "GET", ts.URL + "/api/v1/features/control_units?zoom=1.5", "", 400, CodeInvalidParameter, map[string]any{"parameter": "zoom"}},
		{"unknown route", "GET", ts.URL + "/api/v2/check", "", 404, CodeRouteNotFound, nil},
		{"method not allowed", "DELETE", check, "", 405, CodeMethodNotAllowed, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, tt.path, tt.body)
			e := errorOf(t, r)
			t.Logf("%d %s: %s %v", r.Status, e.Code, e.Message, e.Details)
			assert.Equal(t, tt.status, r.Status, "status; body %s", r.Body)
			assert.Equal(t, tt.code, e.Code, "code; message %s", e.Message)
			assert.Contains(t, r.Header.Get("Content-Type"), "application/json")
			assert.NotEmpty(t, r.Header.Get(RequestIDHeader), "request id header")
			for k, want := range tt.details {
				assert.Equal(t, want, e.Details[k], "details[%s] in %v", k, e.Details)
			}
			if e.Code != geo.CodeSelfIntersect && e.Code != geo.CodeUnclosedRing && e.Code != geo.CodeOutOfRange {
				return
			}
			assert.NotEmpty(t, e.Details["path"], "geometry errors say where: %v", e.Details)
		})
	}
}

// TestBodyTooLargeWithoutLength sends a chunked body, so that only
// http.MaxBytesReader can stop it.
func TestBodyTooLargeWithoutLength(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{MaxBodyBytes: 1024}, testLogger(t)))
	body := `{"wkt": "` + circleWKT(200) + `"}`
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/check", io.MultiReader(strings.NewReader(body)))
	require.NoError(t, err)
	require.EqualValues(t, 0, req.ContentLength, "chunked")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Body: b}
	assert.Equal(t, 413, r.Status)
	assert.Equal(t, CodeBodyTooLarge, errorOf(t, r).Code)
}

func TestNoDataset(t *testing.T) {
	ts := newTestServer(t, New(staticSource{nil}, Config{}, testLogger(t)))
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/api/v1/check", `{"wkt": "POINT(106.525 29.525)"}`},
		{"GET", "/api/v1/check?lon=106.5&lat=29.5", ""},
		{"GET", "/api/v1/layers", ""},
		{"GET", "/api/v1/dataset", ""},
		{"GET", "/api/v1/features/control_units", ""},
		{"GET", "/api/v1/features/control_units/ZH50010110001", ""},
		{"GET", "/readyz", ""},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, tt.method, ts.URL+tt.path, tt.body)
			assert.Equal(t, http.StatusServiceUnavailable, r.Status)
			assert.Equal(t, CodeDatasetUnavailable, errorOf(t, r).Code)
		})
	}
	t.Run("healthz stays up", func(t *testing.T) {
		r := do(t, "GET", ts.URL+"/healthz", "")
		assert.Equal(t, http.StatusOK, r.Status)
		assert.JSONEq(t, `{"status": "ok"}`, string(r.Body))
	})
	t.Run("bad input is still 400", func(t *testing.T) {
		r := do(t, "POST", ts.URL+"/api/v1/check", `{"wkt": "POINT(106.5"}`)
		assert.Equal(t, http.StatusBadRequest, r.Status)
	})
	t.Run("metrics say not loaded", func(t *testing.T) {
		r := do(t, "GET", ts.URL+"/metrics", "")
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Contains(t, string(r.Body), "sanxian_dataset_loaded 0")
	})
}

func TestReadyz(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	r := do(t, "GET", ts.URL+"/readyz", "")
	assert.Equal(t, http.StatusOK, r.Status)
	assert.JSONEq(t, `{"status": "ready", "dataset": {"name": "测试数据集", "version": "test.1", "checksum": "sha256:0000000000000000000000000000000000000000000000000000000000000000", "synthetic": true}}`, string(r.Body))
}

// TestTimeout runs a check that blocks until its context is done: the
// per-request deadline must reach Dataset.Check and come back as 504.
func TestTimeout(t *testing.T) {
	s := New(staticSource{testDataset(t)}, Config{RequestTimeout: 50 * time.Millisecond}, testLogger(t))
	var sawDeadline bool
	s.check = func(ctx context.Context, d *admission.Dataset, req admission.CheckRequest) (*admission.CheckResult, error) {
		_, sawDeadline = ctx.Deadline()
		<-ctx.Done()
		return nil, fmt.Errorf("check: %w", ctx.Err())
	}
	ts := newTestServer(t, s)
	start := time.Now()
	r := do(t, "POST", ts.URL+"/api/v1/check", `{"wkt": "POINT(106.525 29.525)"}`)
	assert.Equal(t, http.StatusGatewayTimeout, r.Status)
	assert.Equal(t, CodeTimeout, errorOf(t, r).Code)
	assert.True(t, sawDeadline, "check got a context with a deadline")
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestTimeoutRealCheck gives a real check an already tiny deadline on a
// large polygon: whatever the engine does, the answer is 504, never a
// result and never a 500.
func TestTimeoutRealCheck(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{RequestTimeout: time.Nanosecond}, testLogger(t)))
	r := do(t, "POST", ts.URL+"/api/v1/check", `{"wkt": "`+circleWKT(5000)+`", "buffer_m": 1000}`)
	assert.Equal(t, http.StatusGatewayTimeout, r.Status, "body %s", r.Body)
	assert.Equal(t, CodeTimeout, errorOf(t, r).Code)
}

func TestCheckFailed(t *testing.T) {
	s := New(staticSource{testDataset(t)}, Config{}, testLogger(t))
	s.check = func(context.Context, *admission.Dataset, admission.CheckRequest) (*admission.CheckResult, error) {
		return nil, errors.New("check: overlay: topology exception")
	}
	ts := newTestServer(t, s)
	r := do(t, "POST", ts.URL+"/api/v1/check", `{"wkt": "POINT(106.525 29.525)"}`)
	assert.Equal(t, http.StatusInternalServerError, r.Status)
	e := errorOf(t, r)
	assert.Equal(t, CodeCheckFailed, e.Code)
	assert.Contains(t, e.Message, "失败")
	assert.NotContains(t, string(r.Body), "topology", "internal detail must not leak")
}

func TestPanicRecovered(t *testing.T) {
	s := New(staticSource{testDataset(t)}, Config{}, testLogger(t))
	s.check = func(context.Context, *admission.Dataset, admission.CheckRequest) (*admission.CheckResult, error) {
		panic("boom: secret detail")
	}
	ts := newTestServer(t, s)
	r := do(t, "POST", ts.URL+"/api/v1/check", `{"wkt": "POINT(106.525 29.525)"}`)
	assert.Equal(t, http.StatusInternalServerError, r.Status)
	assert.Equal(t, CodeInternal, errorOf(t, r).Code)
	assert.NotContains(t, string(r.Body), "goroutine")
	assert.NotContains(t, string(r.Body), "secret")
	// The server is still alive.
	assert.Equal(t, http.StatusOK, do(t, "GET", ts.URL+"/healthz", "").Status)
}

func TestRequestID(t *testing.T) {
	ts := newTestServer(t, New(staticSource{nil}, Config{}, testLogger(t)))
	r := do(t, "GET", ts.URL+"/healthz", "", RequestIDHeader, "client-42.a:b_c")
	assert.Equal(t, "client-42.a:b_c", r.Header.Get(RequestIDHeader), "sane id echoed")
	r = do(t, "GET", ts.URL+"/healthz", "", RequestIDHeader, "bad id\twith spaces")
	assert.Regexp(t, `^[0-9a-f]{24}$`, r.Header.Get(RequestIDHeader), "insane id replaced")
	r = do(t, "GET", ts.URL+"/healthz", "")
	assert.Regexp(t, `^[0-9a-f]{24}$`, r.Header.Get(RequestIDHeader), "generated")
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	do(t, "GET", ts.URL+"/api/v1/features/control_units/ZH50010110001", "")
	do(t, "GET", ts.URL+"/api/v1/features/control_units/nope", "")
	do(t, "GET", ts.URL+"/no/such/thing", "")
	r := do(t, "GET", ts.URL+"/metrics", "")
	require.Equal(t, http.StatusOK, r.Status)
	body := string(r.Body)
	for _, want := range []string{
		`sanxian_http_requests_total{method="GET",route="/api/v1/features/:layer/:id",status="200"} 1`,
		`sanxian_http_requests_total{method="GET",route="/api/v1/features/:layer/:id",status="404"} 1`,
		`sanxian_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`sanxian_http_request_duration_seconds_bucket{method="GET",route="/api/v1/features/:layer/:id",status="200",le="+Inf"} 1`,
		`sanxian_dataset_info{checksum="sha256:0000000000000000000000000000000000000000000000000000000000000000",name="测试数据集",version="test.1"} 1`,
		`sanxian_dataset_loaded 1`,
		`sanxian_dataset_layer_features{layer="control_units"} 2`,
	} {
		assert.Contains(t, body, want)
	}
	// Two servers do not share a registry.
	other := newTestServer(t, New(staticSource{nil}, Config{}, testLogger(t)))
	assert.NotContains(t, string(do(t, "GET", other.URL+"/metrics", "").Body), `route="/api/v1/features/:layer/:id"`)
}
