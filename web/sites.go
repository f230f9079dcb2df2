package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
)

// SiteParser reads a site from an uploaded file or from typed coordinates.
// The data package provides the full one (KML/KMZ, zipped shapefile,
// CSV/TXT, 度分秒 …), wired in cmd/sanxian; without one the service
// understands WKT and bare GeoJSON geometries only. Errors should be
// *Error values (see SiteInputError); anything else answers 500.
//
// c is the coordinate system the user declared (crs.CGCS2000 by
// default): a parser returns CGCS2000 lon/lat, converting from c unless
// the file says otherwise (a shapefile's .prj).
type SiteParser interface {
	ParseFile(name string, b []byte, c crs.CRS) (orb.Geometry, error)
	ParseText(text, kind string, c crs.CRS) (orb.Geometry, error)
}

// Site input error codes.
const (
	CodeMalformedSite  = "malformed_site"
	CodeSiteTooLarge   = "site_too_large"
	CodeUnsupportedCRS = "unsupported_crs"
)

// SiteInputError is the API error for a site file or coordinate text that
// cannot be read: code is CodeMalformedSite, CodeSiteTooLarge or
// CodeUnsupportedCRS; reason is the parser's own code and line (1-based,
// 0 for none) the line of the text it concerns; both go to details.
func SiteInputError(code, reason, message string, line int) *Error {
	d := map[string]any{}
	if reason != "" {
		d["reason"] = reason
	}
	if line > 0 {
		d["line"] = line
	}
	if len(d) == 0 {
		d = nil
	}
	return newError(code, message, d)
}

// SiteKinds are the kinds ParseText accepts.
var SiteKinds = []string{"auto", "point", "line", "polygon"}

// parseSiteBody is the JSON form of POST /api/v1/sites/parse.
type parseSiteBody struct {
	Text string `json:"text"`
	Kind string `json:"kind,omitempty"`
	CRS  string `json:"crs,omitempty"`
}

// parsedSite is the answer of POST /api/v1/sites/parse.
type parsedSite struct {
	Geometry *geojson.Geometry `json:"geometry"`
	Vertices int               `json:"vertices"`
	Source   string            `json:"source"`
}

// maxMultipartMemory is how much of an upload is kept in memory; the rest
// of it (up to MaxBodyBytes) goes to a temporary file.
const maxMultipartMemory = 8 << 20

// parseSite answers POST /api/v1/sites/parse: a multipart upload (field
// "file") or a JSON body {"text", "kind"} becomes a validated site
// geometry for the map, without running a check.
func (s *Server) parseSite(c *gin.Context) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	var (
		g      orb.Geometry
		source string
		err    error
	)
	if mt == "multipart/form-data" {
		g, source, err = s.parseSiteUpload(c)
	} else {
		g, source, err = s.parseSiteText(c)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := geo.ValidateSite(g, geo.Limits{MaxVertices: s.cfg.MaxVertices}); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, parsedSite{Geometry: geojson.NewGeometry(g), Vertices: geo.CountVertices(g), Source: source})
}

func (s *Server) parseSiteUpload(c *gin.Context) (orb.Geometry, string, error) {
	if err := c.Request.ParseMultipartForm(maxMultipartMemory); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", errBodyTooLarge(mbe.Limit)
		}
		return nil, "", newError(CodeMalformedSite, "上传的表单无法解析（multipart/form-data）。", nil)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, "", newError(CodeMissingGeometry, "缺少上传文件：表单字段应为 file。", map[string]any{"parameter": "file"})
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", newError(CodeMalformedSite, "读取上传文件失败。", nil)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, "", newError(CodeMalformedSite, "读取上传文件失败。", nil)
	}
	c0, err := parseCRS(c.Request.FormValue("crs"))
	if err != nil {
		return nil, "", err
	}
	name := SafeFileName(fh.Filename)
	g, err := s.sites().ParseFile(name, b, c0)
	return g, sourceOf(name), err
}

func (s *Server) parseSiteText(c *gin.Context) (orb.Geometry, string, error) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", errBodyTooLarge(mbe.Limit)
		}
		return nil, "", newError(CodeMalformedJSON, "读取请求体失败。", nil)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, "", newError(CodeMalformedJSON, "请求体为空：应为 JSON 对象，如 {\"text\": \"106.55, 29.56\"}，或以 multipart/form-data 上传文件（字段 file）。", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var b parseSiteBody
	if err := dec.Decode(&b); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return nil, "", newError(CodeInvalidParameter, fmt.Sprintf("未知字段 %q：只接受 text、kind、crs。", field), map[string]any{"parameter": field})
		}
		return nil, "", jsonError(raw, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "", newError(CodeMalformedJSON, "JSON 对象之后还有多余内容。", map[string]any{"offset": dec.InputOffset()})
	}
	if b.Kind == "" {
		b.Kind = "auto"
	}
	okKind := false
	for _, k := range SiteKinds {
		okKind = okKind || k == b.Kind
	}
	if !okKind {
		return nil, "", newError(CodeInvalidParameter, fmt.Sprintf("kind 应为 auto、point、line 或 polygon，收到 %q。", b.Kind), map[string]any{"parameter": "kind"})
	}
	text := strings.TrimSpace(b.Text)
	if text == "" {
		return nil, "", newError(CodeMissingGeometry, "没有输入坐标：text 为空。", map[string]any{"parameter": "text"})
	}
	c0, err := parseCRS(b.CRS)
	if err != nil {
		return nil, "", err
	}
	if strings.HasPrefix(text, "{") {
		g, err := ParseGeoJSON([]byte(text))
		return convertParsed(g, err, "geojson", c0)
	}
	if looksLikeWKT(text) {
		g, err := ParseWKT(text)
		return convertParsed(g, err, "wkt", c0)
	}
	g, err := s.sites().ParseText(b.Text, b.Kind, c0)
	return g, "coordinates", err
}

// looksLikeWKT reports whether text starts with a WKT keyword or SRID=.
func looksLikeWKT(text string) bool {
	u := strings.ToUpper(strings.TrimSpace(text))
	for _, k := range []string{"SRID=", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"} {
		if strings.HasPrefix(u, k) {
			return true
		}
	}
	return false
}

func (s *Server) sites() SiteParser {
	if s.cfg.Sites != nil {
		return s.cfg.Sites
	}
	return basicSites{}
}

// basicSites is the parser used without a SiteParser: bare GeoJSON
// geometries (.geojson/.json) and WKT (.wkt) only.
type basicSites struct{}

func (basicSites) ParseFile(name string, b []byte, c crs.CRS) (orb.Geometry, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".geojson", ".json":
		g, err := ParseGeoJSON(b)
		g, _, err = convertParsed(g, err, "", c)
		return g, err
	case ".wkt":
		g, err := ParseWKT(string(b))
		g, _, err = convertParsed(g, err, "", c)
		return g, err
	}
	return nil, SiteInputError(CodeMalformedSite, "unsupported_file", "此服务只能读取 GeoJSON 几何（.geojson/.json）和 WKT（.wkt）文件。", 0)
}

// convertParsed converts a parsed geometry from c to CGCS2000.
func convertParsed(g orb.Geometry, err error, source string, c crs.CRS) (orb.Geometry, string, error) {
	if err != nil {
		return nil, source, err
	}
	g, _, err = ToCGCS2000(g, c.Name)
	return g, source, err
}

func (basicSites) ParseText(string, string, crs.CRS) (orb.Geometry, error) {
	return nil, SiteInputError(CodeMalformedSite, "unsupported_text", "此服务只能读取 WKT 或 GeoJSON 几何文本。", 0)
}

// sourceOf names the kind of an uploaded file by its extension.
func sourceOf(name string) string {
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".geojson", ".json":
		return "geojson"
	case ".zip":
		return "shapefile"
	case "":
		return "file"
	default:
		for _, r := range ext[1:] {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') || len(ext) > 9 {
				return "file" // not an extension a parser knows; never echo it
			}
		}
		return ext[1:]
	}
}
