package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	gojson "github.com/goccy/go-json"
	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
)

// CheckBody is the JSON body of POST /api/v1/check: exactly one of
// Geometry (a bare GeoJSON geometry) and WKT. Unknown fields are an error.
type CheckBody struct {
	Geometry json.RawMessage `json:"geometry,omitempty"`
	WKT      *string         `json:"wkt,omitempty"`
	BufferM  *float64        `json:"buffer_m,omitempty"`
	Layers   []string        `json:"layers,omitempty"`
	// Industry (GB/T 4754-2017 code), Construction (建设性质) and Activity
	// (a red-line allowed activity) describe the project for the verdict.
	Industry     string `json:"industry,omitempty"`
	Construction string `json:"construction,omitempty"`
	Activity     string `json:"activity,omitempty"`
	// CRS names the coordinate system of the geometry (crs.Parse names:
	// EPSG:4490 by default, EPSG:4326, CGCS2000 Gauss-Krüger zones
	// EPSG:4491–4554, GCJ02, BD09); x is always easting or longitude.
	CRS string `json:"crs,omitempty"`
}

func (s *Server) postCheck(c *gin.Context) {
	req, err := s.decodeCheck(c.Request.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.runCheck(c, req)
}

func (s *Server) getCheck(c *gin.Context) {
	req, err := s.queryCheck(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.runCheck(c, req)
}

// runCheck validates the site, then checks it against the dataset in
// service within the request's deadline. With Config.Reports the answer
// is recorded first and carries its report_id (or report_warning when
// recording failed).
func (s *Server) runCheck(c *gin.Context, req admission.CheckRequest) {
	if err := geo.ValidateSite(req.Geometry, geo.Limits{MaxVertices: s.cfg.MaxVertices}); err != nil {
		s.fail(c, err)
		return
	}
	d, ok := s.current(c)
	if !ok {
		return
	}
	var err error
	if req.Project, err = ValidateProject(d, req.Project); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	res, err := s.check(ctx, d, req)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		s.fail(c, s.checkError(ctx, c, err))
		return
	}
	body, err := json.Marshal(res)
	if err != nil {
		s.fail(c, fmt.Errorf("encode answer: %w", err))
		return
	}
	if s.cfg.Reports != nil && s.cfg.Reports.Recorder != nil {
		body = s.recordCheck(c, req, res, body)
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// checkError classifies a failed check: unknown layers (404), the deadline
// (504) or anything else (500 check_failed, logged with the request id).
func (s *Server) checkError(ctx context.Context, c *gin.Context, err error) *Error {
	var ul *admission.UnknownLayerError
	if errors.As(err, &ul) {
		return errUnknownLayers(ul.Layers, ul.Known)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return newError(CodeTimeout, fmt.Sprintf("核查超过时限 %s 未完成，请简化几何、缩小缓冲距离或稍后重试。", s.cfg.RequestTimeout),
			map[string]any{"timeout_ms": s.cfg.RequestTimeout.Milliseconds()})
	}
	s.log.LogAttrs(ctx, slog.LevelError, "check failed",
		slog.String("request_id", requestIDOf(c)), slog.String("error", err.Error()))
	return newError(CodeCheckFailed, "核查计算失败，未能得出结果（这不表示未命中任何管控单元）。请稍后重试，或提供请求编号（X-Request-ID）联系维护人员。", nil)
}

func errUnknownLayers(layers, known []string) *Error {
	return newError(CodeLayerNotFound, fmt.Sprintf("数据集中没有图层 %s；可用图层：%s。", strings.Join(layers, "、"), strings.Join(known, "、")),
		map[string]any{"layers": layers, "known": known})
}

// decodeCheck reads and decodes a POST /api/v1/check body.
func (s *Server) decodeCheck(body io.Reader) (admission.CheckRequest, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return admission.CheckRequest{}, errBodyTooLarge(mbe.Limit)
		}
		return admission.CheckRequest{}, newError(CodeMalformedJSON, "读取请求体失败。", nil)
	}
	return DecodeCheckBody(raw, s.cfg.MaxBufferM)
}

// DecodeCheckBody decodes a check body (see CheckBody) into a request:
// malformed_json for JSON that does not parse (details: line, column),
// invalid_parameter for an unknown field, a wrongly typed field, a bad
// buffer_m (negative, above maxBufferM) or an empty layer id,
// missing_geometry when neither or both of geometry and wkt are given (a
// JSON null counts as absent), malformed_geometry when the geometry does
// not parse. The geometry is not validated: see geo.ValidateSite.
func DecodeCheckBody(raw []byte, maxBufferM float64) (admission.CheckRequest, error) {
	var req admission.CheckRequest
	if len(bytes.TrimSpace(raw)) == 0 {
		return req, newError(CodeMalformedJSON, "请求体为空：应为 JSON 对象，如 {\"wkt\": \"POINT(106.55 29.56)\"}。", nil)
	}
	b, err := decodeBody(raw)
	if err != nil {
		return req, err
	}
	hasGeom := len(b.Geometry) > 0 && !bytes.Equal(bytes.TrimSpace(b.Geometry), []byte("null"))
	switch {
	case hasGeom && b.WKT != nil:
		return req, newError(CodeMissingGeometry, "geometry 与 wkt 只能提供其一。", nil)
	case !hasGeom && b.WKT == nil:
		return req, newError(CodeMissingGeometry, "缺少场址几何：请提供 geometry（GeoJSON 几何对象）或 wkt（WKT 文本）之一。", nil)
	}
	if hasGeom {
		req.Geometry, err = ParseGeoJSON(b.Geometry)
		err = prefixPath(err, "geometry.")
	} else {
		req.Geometry, err = ParseWKT(*b.WKT)
	}
	if err != nil {
		return req, err
	}
	if req.Geometry, req.CRS, err = ToCGCS2000(req.Geometry, b.CRS); err != nil {
		return req, err
	}
	if b.BufferM != nil {
		if err := checkBuffer(*b.BufferM, maxBufferM); err != nil {
			return req, err
		}
		req.BufferM = *b.BufferM
	}
	for i, l := range b.Layers {
		if strings.TrimSpace(l) == "" {
			return req, newError(CodeInvalidParameter, fmt.Sprintf("layers 的第 %d 项为空。", i+1), map[string]any{"parameter": "layers"})
		}
	}
	req.Layers = b.Layers
	req.Project = admission.Project{Industry: b.Industry, Construction: b.Construction, Activity: b.Activity}
	return req, nil
}

// decodeBody decodes a check body strictly: one JSON object of
// CheckBody's fields. The common case goes through decodeBodyFast; what
// that refuses is decoded again with encoding/json, whose errors
// jsonError explains.
func decodeBody(raw []byte) (CheckBody, error) {
	if b, ok := decodeBodyFast(raw); ok {
		return b, nil
	}
	var b CheckBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, jsonError(raw, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return b, newError(CodeMalformedJSON, "JSON 对象之后还有多余内容。", map[string]any{"offset": dec.InputOffset()})
	}
	return b, nil
}

// decodeBodyFast decodes valid JSON (as encoding/json judges it) with
// go-json, several times faster than encoding/json, with the same strict
// rules; false for anything it refuses. FuzzDecodeCheckBody checks that
// it never accepts what the encoding/json path refuses, and decodes the
// same.
func decodeBodyFast(raw []byte) (CheckBody, bool) {
	var b CheckBody
	if !json.Valid(raw) {
		return b, false
	}
	dec := gojson.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&b) != nil || dec.More() {
		return CheckBody{}, false
	}
	return b, true
}

func prefixPath(err error, prefix string) error {
	var e *Error
	if errors.As(err, &e) && e.Details != nil {
		if p, ok := e.Details["path"].(string); ok {
			e.Details["path"] = prefix + p
		}
	}
	return err
}

// jsonError explains a json.Decoder error in Chinese with its place.
func jsonError(raw []byte, err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(raw, syn.Offset)
		return newError(CodeMalformedJSON, fmt.Sprintf("请求体不是合法的 JSON：第 %d 行第 %d 列附近有语法错误。", line, col),
			map[string]any{"offset": syn.Offset, "line": line, "column": col, "reason": syn.Error()})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newError(CodeMalformedJSON, "请求体不是合法的 JSON：内容不完整（括号或引号未闭合）。", nil)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return newError(CodeMalformedJSON, fmt.Sprintf("请求体应为 JSON 对象，实际为 %s。", typ.Value), nil)
		}
		return newError(CodeInvalidParameter, fmt.Sprintf("字段 %s 的类型不对：收到 %s。", typ.Field, typ.Value),
			map[string]any{"parameter": typ.Field})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return newError(CodeInvalidParameter, fmt.Sprintf("未知字段 %q：只接受 geometry、wkt、buffer_m、layers、industry、construction、activity、crs。", field),
			map[string]any{"parameter": field})
	}
	return newError(CodeMalformedJSON, "请求体不是合法的 JSON。", map[string]any{"reason": err.Error()})
}

func lineCol(raw []byte, off int64) (line, col int) {
	if off > int64(len(raw)) {
		off = int64(len(raw))
	}
	line, col = 1, 1
	for _, r := range string(raw[:off]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func checkBuffer(v, limit float64) error {
	if math.IsNaN(v) || v < 0 || v > limit {
		return newError(CodeInvalidParameter, fmt.Sprintf("buffer_m 应在 0 到 %g 米之间，收到 %g。", limit, v),
			map[string]any{"parameter": "buffer_m", "max": limit})
	}
	return nil
}

// queryCheck reads GET /api/v1/check?lon=&lat=[&buffer_m=][&layers=a,b].
func (s *Server) queryCheck(c *gin.Context) (admission.CheckRequest, error) {
	var req admission.CheckRequest
	c0, err := parseCRS(c.Query("crs"))
	if err != nil {
		return req, err
	}
	// In a projected system lon and lat carry the easting and northing.
	xr, yr := [2]float64{-180, 180}, [2]float64{-90, 90}
	xn, yn := "经度", "纬度"
	if c0.Kind == crs.KindGaussKruger {
		xr, yr = [2]float64{-1e9, 1e9}, [2]float64{-1e9, 1e9}
		xn, yn = "东坐标，米", "北坐标，米"
	}
	lon, err := floatParam(c, "lon", xn, xr[0], xr[1], true)
	if err != nil {
		return req, err
	}
	lat, err := floatParam(c, "lat", yn, yr[0], yr[1], true)
	if err != nil {
		return req, err
	}
	if req.Geometry, req.CRS, err = ToCGCS2000(orb.Point{lon, lat}, c.Query("crs")); err != nil {
		return req, err
	}
	if _, ok := c.GetQuery("buffer_m"); ok {
		b, err := floatParam(c, "buffer_m", "缓冲距离", 0, s.cfg.MaxBufferM, true)
		if err != nil {
			return req, err
		}
		req.BufferM = b
	}
	if v, ok := c.GetQuery("layers"); ok {
		for _, id := range strings.Split(v, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				return req, newError(CodeInvalidParameter, "layers 应为逗号分隔的图层编号，不能有空项。", map[string]any{"parameter": "layers"})
			}
			req.Layers = append(req.Layers, id)
		}
	}
	req.Project = admission.Project{Industry: c.Query("industry"), Construction: c.Query("construction"), Activity: c.Query("activity")}
	return req, nil
}

// floatParam reads a finite number in [lo, hi] from the query string.
func floatParam(c *gin.Context, name, cn string, lo, hi float64, required bool) (float64, error) {
	v, ok := c.GetQuery(name)
	if !ok || v == "" {
		if required {
			return 0, newError(CodeInvalidParameter, fmt.Sprintf("缺少查询参数 %s（%s）。", name, cn), map[string]any{"parameter": name})
		}
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, newError(CodeInvalidParameter, fmt.Sprintf("查询参数 %s（%s）应为数字，收到 %q。", name, cn, v), map[string]any{"parameter": name, "value": v})
	}
	if f < lo || f > hi {
		return 0, newError(CodeInvalidParameter, fmt.Sprintf("查询参数 %s（%s）应在 %g 到 %g 之间，收到 %g。", name, cn, lo, hi, f),
			map[string]any{"parameter": name, "value": v, "min": lo, "max": hi})
	}
	return f, nil
}

// parseCRS reads a coordinate system name (empty: CGCS2000); an unknown
// one is 422 unsupported_crs listing the accepted names.
func parseCRS(name string) (crs.CRS, error) {
	c, err := crs.Parse(name)
	if err == nil {
		return c, nil
	}
	var ue *crs.UnknownError
	if errors.As(err, &ue) {
		return c, newError(CodeUnsupportedCRS, ue.Error(), map[string]any{"parameter": "crs", "crs": name, "accepted": crs.Accepted()})
	}
	return c, newError(CodeUnsupportedCRS, fmt.Sprintf("坐标系 %q 无法识别。", name), map[string]any{"parameter": "crs", "crs": name, "accepted": crs.Accepted()})
}

// ToCGCS2000 converts a site given in the coordinate system named crsName
// (empty: CGCS2000) to CGCS2000 lon/lat and returns the system's
// canonical name. An unknown name is 422 unsupported_crs; a position the
// system cannot convert (outside its zone, say) is 422 with the crs
// error code (coordinate_out_of_zone, …), its path and a Chinese message
// with crs's hint (swapped X/Y, the zone number in the easting …).
func ToCGCS2000(g orb.Geometry, crsName string) (orb.Geometry, string, error) {
	c, err := parseCRS(crsName)
	if err != nil {
		return nil, "", err
	}
	if c == crs.CGCS2000 || c == crs.WGS84 {
		return g, c.Name, nil // the same to centimetres; ValidateSite checks ranges
	}
	out, err := c.Geometry(g)
	if err != nil {
		var pe *crs.PointError
		if errors.As(err, &pe) {
			msg := pe.Message
			if pe.Where != "" {
				msg = pe.Where + "：" + msg
			}
			return nil, "", newError(pe.Code, msg, map[string]any{"crs": c.Name, "path": pe.Path, "point": []float64{pe.Point[0], pe.Point[1]}})
		}
		return nil, "", newError(CodeMalformedGeometry, fmt.Sprintf("几何无法从 %s 转换：%v", c.Title, err), map[string]any{"crs": c.Name})
	}
	return out, c.Name, nil
}
