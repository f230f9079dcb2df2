package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func getIndex(t *testing.T, cfg Config) string {
	t.Helper()
	s := New(staticSource{testDataset(t)}, cfg, testLogger(t))
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	return w.Body.String()
}

// Without --tiles the page has no basemap meta (offline); with it, the
// template and attribution are in <meta> tags, HTML-escaped.
func TestIndexTilesMeta(t *testing.T) {
	body := getIndex(t, Config{})
	assert.NotContains(t, body, "sanxian-tiles")
	assert.Contains(t, body, `<meta charset="utf-8">`)

	body = getIndex(t, Config{
		TilesURL:         `https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=abc&x={x}&y={y}&l={z}"><script>`,
		TilesAttribution: `天地图 <审图号> & "x"`,
	})
	assert.Contains(t, body, `<meta name="sanxian-tiles" content="https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=abc&amp;x={x}&amp;y={y}&amp;l={z}&#34;&gt;&lt;script&gt;">`)
	assert.Contains(t, body, `<meta name="sanxian-tiles-attribution" content="天地图 &lt;审图号&gt; &amp; &#34;x&#34;">`)
	assert.NotContains(t, body, `"><script>`)
}
