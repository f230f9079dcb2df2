package web

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// page holds the embedded map page (index.html, app.js, app.css), the printable
// report page (report.html, report.js, report.css), the 批量筛查 page
// (batch.html, batch.js, batch.css), the 数据版本 page (datasets.html,
// datasets.js, datasets.css), the helpers the map, batch and versions pages share (common.js)
// and the vendored
// browser libraries it loads from /vendor/: Leaflet 1.9.4 and
// @geoman-io/leaflet-geoman-free 2.20.2, copied unchanged from their npm
// packages with their licences. Nothing is fetched from the network at
// run time.
//
//go:embed page/index.html page/app.js page/app.css page/report.html page/report.js page/report.css page/batch.html page/batch.js page/batch.css page/common.js page/datasets.html page/datasets.js page/datasets.css page/vendor
var page embed.FS

// pageFiles are the page files served as they are, by route: the
// printable 查询报告 (it reads the check the map page stored in the
// browser; the server keeps nothing), the 数据版本 page (it reads
// /api/v1/datasets and /api/v1/datasets/diff and activates nothing), and
// the pages' scripts and styles (files, not inline, so that the pages'
// Content-Security-Policy needs no 'unsafe-inline'). The map page ("/")
// and the 批量筛查 page ("/batch") add <meta> tags and have their own
// handlers.
var pageFiles = map[string]string{
	"/app.js":       "page/app.js",
	"/app.css":      "page/app.css",
	"/report":       "page/report.html",
	"/report.js":    "page/report.js",
	"/report.css":   "page/report.css",
	"/batch.js":     "page/batch.js",
	"/batch.css":    "page/batch.css",
	"/common.js":    "page/common.js",
	"/datasets":     "page/datasets.html",
	"/datasets.js":  "page/datasets.js",
	"/datasets.css": "page/datasets.css",
}

// servePageFile answers the page file of the request's route.
func (s *Server) servePageFile(c *gin.Context) {
	name := pageFiles[c.FullPath()]
	ct := "text/html; charset=utf-8"
	if t, ok := vendorTypes[path.Ext(name)]; ok {
		ct = t
	}
	s.pageFile(c, name, ct)
}

// vendorTypes are the content types of the vendored files; a file with
// any other extension is answered as text/plain.
var vendorTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".png": "image/png",
}

// index serves the map page. With a basemap configured, the tile URL
// template and its attribution go into <meta> tags after the charset
// (HTML-escaped), so the page needs no extra request to find them.
func (s *Server) index(c *gin.Context) {
	s.pageWithMeta(c, "page/index.html", s.tilesMeta())
}

// tilesMeta is the basemap's <meta> pairs, none without TilesURL.
func (s *Server) tilesMeta() [][2]string {
	if s.cfg.TilesURL == "" {
		return nil
	}
	return [][2]string{{"sanxian-tiles", s.cfg.TilesURL}, {"sanxian-tiles-attribution", s.cfg.TilesAttribution}}
}

// pageWithMeta serves an HTML page with <meta name content> tags added
// after the charset (HTML-escaped).
func (s *Server) pageWithMeta(c *gin.Context, name string, meta [][2]string) {
	b, err := page.ReadFile(name)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(meta) > 0 {
		var m strings.Builder
		m.WriteString(`<meta charset="utf-8">`)
		for _, kv := range meta {
			fmt.Fprintf(&m, "\n<meta name=\"%s\" content=\"%s\">", html.EscapeString(kv[0]), html.EscapeString(kv[1]))
		}
		b = bytes.Replace(b, []byte(`<meta charset="utf-8">`), []byte(m.String()), 1)
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", b)
}

// batchPage serves the 批量筛查 page. It talks to /api/v1/batches only,
// so it is served even when batches are disabled (it then shows the 503
// message).
// With batches enabled, the upload limits go into <meta
// name="sanxian-batch-max-bytes"> and "sanxian-batch-max-rows" so that the
// page states them and refuses a too large file before uploading it.
func (s *Server) batchPage(c *gin.Context) {
	meta := s.tilesMeta()
	if b := s.cfg.Batches; b != nil {
		meta = append(meta, [2]string{"sanxian-batch-max-bytes", strconv.FormatInt(b.MaxUploadBytes, 10)},
			[2]string{"sanxian-batch-max-rows", strconv.Itoa(b.MaxRows)})
	}
	s.pageWithMeta(c, "page/batch.html", meta)
}

// vendor serves a file under page/vendor. Paths are cleaned, so "..",
// directories and missing files all answer 404 route_not_found.
func (s *Server) vendor(c *gin.Context) {
	p := path.Clean("/" + c.Param("filepath"))
	name := "page/vendor" + p
	b, err := fs.ReadFile(page, name)
	if err != nil || p == "/" {
		s.fail(c, newError(CodeRouteNotFound, fmt.Sprintf("没有这个页面文件：%s。", c.Request.URL.Path),
			map[string]any{"path": c.Request.URL.Path}))
		return
	}
	ct, ok := vendorTypes[strings.ToLower(path.Ext(p))]
	if !ok {
		ct = "text/plain; charset=utf-8"
	}
	// The files are versioned by the binary; a day of caching is safe.
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, ct, b)
}

func (s *Server) pageFile(c *gin.Context, name, contentType string) {
	b, err := page.ReadFile(name)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, contentType, b)
}
