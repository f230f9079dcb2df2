package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/crs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSites stands in for the data package's parser: "a.kml" gives a
// square, "proj.zip" a projected-CRS error, text "106.5 29.5" a point and
// anything else a malformed line 2.
type fakeSites struct{}

func (fakeSites) ParseFile(name string, b []byte, _ crs.CRS) (orb.Geometry, error) {
	switch name {
	case "a.kml":
		return square(106.565, 29.552, 106.575, 29.560), nil
	case "proj.zip":
		return nil, SiteInputError(CodeUnsupportedCRS, "projected_crs", "暂不支持投影坐标。", 0)
	case "open.kml":
		return orb.Polygon{{{106.5, 29.5}, {106.6, 29.5}, {106.6, 29.6}, {106.5, 29.6}}}, nil
	}
	return nil, SiteInputError(CodeMalformedSite, "unsupported_file", "不支持的文件类型。", 0)
}

func (fakeSites) ParseText(text, kind string, _ crs.CRS) (orb.Geometry, error) {
	if text == "106.5 29.5" {
		return orb.Point{106.5, 29.5}, nil
	}
	return nil, SiteInputError(CodeMalformedSite, "malformed_coordinates", "第 2 行无法识别。", 2)
}

// postForm closes mw, whose parts are in buf, posts it to url and reads
// the answer.
func postForm(t *testing.T, url string, mw *multipart.Writer, buf *bytes.Buffer) response {
	t.Helper()
	require.NoError(t, mw.Close())
	res, err := http.Post(url, mw.FormDataContentType(), buf)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func upload(t *testing.T, url, field, name string, content []byte) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	return postForm(t, url, mw, &buf)
}

func TestParseSiteRoute(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{Sites: fakeSites{}}, testLogger(t)))
	url := ts.URL + "/api/v1/sites/parse"
	type parsed struct {
		Geometry json.RawMessage `json:"geometry"`
		Vertices int             `json:"vertices"`
		Source   string          `json:"source"`
	}
	ok := func(t *testing.T, r response, typ string, vertices int, source string) {
		t.Helper()
		require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
		var p parsed
		require.NoError(t, json.Unmarshal(r.Body, &p))
		assert.Contains(t, string(p.Geometry), `"type":"`+typ+`"`)
		assert.Equal(t, vertices, p.Vertices)
		assert.Equal(t, source, p.Source)
	}
	t.Run("text coordinates", func(t *testing.T) {
		ok(t, do(t, "POST", url, `{"text":"106.5 29.5","kind":"point"}`), "Point", 1, "coordinates")
	})
	t.Run("text wkt", func(t *testing.T) {
		ok(t, do(t, "POST", url, `{"text":" LINESTRING(106.5 29.5, 106.6 29.6)"}`), "LineString", 2, "wkt")
	})
	t.Run("text geojson", func(t *testing.T) {
		ok(t, do(t, "POST", url, `{"text":"{\"type\":\"Point\",\"coordinates\":[106.5,29.5]}"}`), "Point", 1, "geojson")
	})
	t.Run("upload", func(t *testing.T) {
		ok(t, upload(t, url, "file", "a.kml", []byte("<kml/>")), "Polygon", 5, "kml")
	})
	errs := []struct {
		name   string
		r      func() response
		status int
		code   string
		line   float64
	}{
		{"text line error", func() response { return do(t, "POST", url, `{"text":"1\n2"}`) }, 400, CodeMalformedSite, 2},
		{"bad kind", func() response { return do(t, "POST", url, `{"text":"106.5 29.5","kind":"circle"}`) }, 400, CodeInvalidParameter, 0},
		{"unknown field", func() response { return do(t, "POST", url, `{"txt":"106.5 29.5"}`) }, 400, CodeInvalidParameter, 0},
		{"empty text", func() response { return do(t, "POST", url, `{"text":""}`) }, 400, CodeMissingGeometry, 0},
		{"empty body", func() response { return do(t, "POST", url, "") }, 400, CodeMalformedJSON, 0},
		{"unsupported file", func() response { return upload(t, url, "file", "a.dwg", []byte("x")) }, 400, CodeMalformedSite, 0},
		{"wrong field", func() response { return upload(t, url, "upload", "a.kml", []byte("x")) }, 400, CodeMissingGeometry, 0},
		{"projected", func() response { return upload(t, url, "file", "proj.zip", []byte("x")) }, 422, CodeUnsupportedCRS, 0},
		{"invalid geometry", func() response { return upload(t, url, "file", "open.kml", []byte("x")) }, 422, "unclosed_ring", 0},
		{"wkt error", func() response { return do(t, "POST", url, `{"text":"POINT(1)"}`) }, 400, CodeMalformedGeometry, 0},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r()
			require.Equal(t, tt.status, r.Status, "body %s", r.Body)
			e := errorOf(t, r)
			assert.Equal(t, tt.code, e.Code, e.Message)
			if tt.line > 0 {
				assert.Equal(t, tt.line, e.Details["line"])
			}
		})
	}
}

func TestParseSiteRouteLimits(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{MaxBodyBytes: 1 << 10}, testLogger(t)))
	url := ts.URL + "/api/v1/sites/parse"
	r := upload(t, url, "file", "a.geojson", bytes.Repeat([]byte(" "), 4<<10))
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status, "body %s", r.Body)
	assert.Equal(t, CodeBodyTooLarge, errorOf(t, r).Code)

	// Without a SiteParser: GeoJSON geometry files work, typed lists do not.
	r = upload(t, url, "file", "a.geojson", []byte(`{"type":"Point","coordinates":[106.5,29.5]}`))
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	r = do(t, "POST", url, `{"text":"106.5 29.5"}`)
	require.Equal(t, http.StatusBadRequest, r.Status, "body %s", r.Body)
	assert.Equal(t, CodeMalformedSite, errorOf(t, r).Code)
	assert.True(t, strings.Contains(errorOf(t, r).Message, "WKT"))
}
