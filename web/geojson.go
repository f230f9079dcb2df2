package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	gojson "github.com/goccy/go-json"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/geo"
)

// siteTypes are the GeoJSON geometry types a site may have, with the depth
// of array nesting above a position in their coordinates.
var siteTypes = map[string]int{
	"Point":           0,
	"MultiPoint":      1,
	"LineString":      1,
	"MultiLineString": 2,
	"Polygon":         2,
	"MultiPolygon":    3,
}

const supportedTypes = "Point、MultiPoint、LineString、MultiLineString、Polygon、MultiPolygon"

// ParseGeoJSON parses a bare GeoJSON geometry (Point, MultiPoint,
// LineString, MultiLineString, Polygon or MultiPolygon). It checks the
// structure first so that a problem is reported in Chinese with its place:
// a *Error with code malformed_geometry and details.path such as
// "coordinates[0][3][1]" for a missing or non-numeric number, a Feature or
// FeatureCollection (send its geometry instead), or an unknown type. A
// GeometryCollection gives a *geo.GeometryError with code
// unsupported_geometry_type. A third number in a position (altitude) is
// accepted and ignored. The geometry is not validated (rings, ranges):
// call geo.ValidateSite for that.
func ParseGeoJSON(raw []byte) (orb.Geometry, error) {
	var obj map[string]json.RawMessage
	if json.Valid(raw) && gojson.Unmarshal(raw, &obj) == nil && obj != nil {
		if g, ok := decodeWellFormed(obj); ok {
			return g, nil
		}
	}
	obj = nil
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, newError(CodeMalformedGeometry, "geometry 必须是 GeoJSON 几何对象（JSON 对象）。", nil)
	}
	return parseChecked(raw, obj)
}

// decodeWellFormed decodes the common case, with go-json (several times
// faster than encoding/json): a site type whose coordinates decode into
// nested float64 arrays, contain no null (a null number would read as 0
// and a null array as empty) and have at least two numbers in every
// position. Anything else reports false, and parseChecked explains it.
// Both give the same geometry for the same input (FuzzParseGeoJSON).
func decodeWellFormed(obj map[string]json.RawMessage) (orb.Geometry, bool) {
	var typ string
	rawCoords, ok := obj["coordinates"]
	if !ok || json.Unmarshal(obj["type"], &typ) != nil || bytes.Contains(rawCoords, []byte("null")) {
		return nil, false
	}
	pos := func(p []float64) (orb.Point, bool) {
		if len(p) < 2 {
			return orb.Point{}, false
		}
		return orb.Point{p[0], p[1]}, true
	}
	line := func(ps [][]float64) ([]orb.Point, bool) {
		out := make([]orb.Point, len(ps))
		for i, p := range ps {
			var ok bool
			if out[i], ok = pos(p); !ok {
				return nil, false
			}
		}
		return out, true
	}
	poly := func(rs [][][]float64) (orb.Polygon, bool) {
		out := make(orb.Polygon, len(rs))
		for i, r := range rs {
			ps, ok := line(r)
			if !ok {
				return nil, false
			}
			out[i] = orb.Ring(ps)
		}
		return out, true
	}
	switch typ {
	case "Point":
		var c []float64
		if gojson.Unmarshal(rawCoords, &c) != nil {
			return nil, false
		}
		p, ok := pos(c)
		return p, ok
	case "MultiPoint", "LineString":
		var c [][]float64
		if gojson.Unmarshal(rawCoords, &c) != nil {
			return nil, false
		}
		ps, ok := line(c)
		if !ok {
			return nil, false
		}
		if typ == "MultiPoint" {
			return orb.MultiPoint(ps), true
		}
		return orb.LineString(ps), true
	case "MultiLineString", "Polygon":
		var c [][][]float64
		if gojson.Unmarshal(rawCoords, &c) != nil {
			return nil, false
		}
		p, ok := poly(c)
		if !ok {
			return nil, false
		}
		if typ == "Polygon" {
			return p, true
		}
		ml := make(orb.MultiLineString, len(p))
		for i, r := range p {
			ml[i] = orb.LineString(r)
		}
		return ml, true
	case "MultiPolygon":
		var c [][][][]float64
		if gojson.Unmarshal(rawCoords, &c) != nil {
			return nil, false
		}
		mp := make(orb.MultiPolygon, len(c))
		for i, rs := range c {
			var ok bool
			if mp[i], ok = poly(rs); !ok {
				return nil, false
			}
		}
		return mp, true
	}
	return nil, false
}

// parseChecked is ParseGeoJSON's checking path: it walks the structure
// to name the first problem, then decodes with orb's geojson.
func parseChecked(raw []byte, obj map[string]json.RawMessage) (orb.Geometry, error) {
	rawType, ok := obj["type"]
	if !ok {
		return nil, newError(CodeMalformedGeometry, "GeoJSON 几何对象缺少 type 成员。", map[string]any{"path": "type"})
	}
	var typ string
	if err := json.Unmarshal(rawType, &typ); err != nil {
		return nil, newError(CodeMalformedGeometry, "GeoJSON 的 type 必须是字符串。", map[string]any{"path": "type"})
	}
	switch typ {
	case "Feature":
		return nil, newError(CodeMalformedGeometry, "收到的是 GeoJSON Feature：请只发送它的 geometry 成员（几何对象本身）。", map[string]any{"path": "type", "type": typ})
	case "FeatureCollection":
		return nil, newError(CodeMalformedGeometry, "收到的是 GeoJSON FeatureCollection：请发送单个要素的 geometry（多个面可合并为 MultiPolygon）。", map[string]any{"path": "type", "type": typ})
	case "GeometryCollection":
		return nil, &geo.GeometryError{Code: geo.CodeUnsupportedType, Message: "不支持 GeometryCollection：请改用单一类型的几何（如 MultiPolygon、MultiLineString）。", Path: "type"}
	}
	depth, ok := siteTypes[typ]
	if !ok {
		msg := fmt.Sprintf("未知的 GeoJSON 几何类型 %q；支持的类型：%s。", typ, supportedTypes)
		for t := range siteTypes {
			if strings.EqualFold(t, typ) {
				msg = fmt.Sprintf("GeoJSON 几何类型区分大小写：应为 %q 而不是 %q。", t, typ)
			}
		}
		return nil, newError(CodeMalformedGeometry, msg, map[string]any{"path": "type", "type": typ})
	}
	rawCoords, ok := obj["coordinates"]
	if !ok || bytes.Equal(bytes.TrimSpace(rawCoords), []byte("null")) {
		return nil, newError(CodeMalformedGeometry, fmt.Sprintf("%s 缺少 coordinates 成员。", typ), map[string]any{"path": "coordinates"})
	}
	dec := json.NewDecoder(bytes.NewReader(rawCoords))
	dec.UseNumber()
	var coords any
	if err := dec.Decode(&coords); err != nil {
		return nil, newError(CodeMalformedGeometry, "coordinates 不是合法的 JSON。", map[string]any{"path": "coordinates"})
	}
	if err := checkCoords(typ, coords, depth, nil); err != nil {
		return nil, err
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, newError(CodeMalformedGeometry, "GeoJSON 几何无法解析："+err.Error(), nil)
	}
	return g.Geometry(), nil
}

// checkCoords walks coordinates: depth levels of arrays, then positions.
func checkCoords(typ string, v any, depth int, idx []int) error {
	if depth == 0 {
		return checkPosition(typ, v, idx)
	}
	arr, ok := v.([]any)
	if !ok {
		return newError(CodeMalformedGeometry,
			fmt.Sprintf("%s 的 %s 应为数组，实际为 %s。", typ, placeCN(typ, idx, true), jsonKind(v)),
			map[string]any{"path": coordPath(idx)})
	}
	for i, x := range arr {
		if err := checkCoords(typ, x, depth-1, append(idx, i)); err != nil {
			return err
		}
	}
	return nil
}

func checkPosition(typ string, v any, idx []int) error {
	place := placeCN(typ, idx, false)
	arr, ok := v.([]any)
	if !ok {
		return newError(CodeMalformedGeometry,
			fmt.Sprintf("%s 的%s应为 [经度, 纬度] 数组，实际为 %s。", typ, place, jsonKind(v)),
			map[string]any{"path": coordPath(idx)})
	}
	if len(arr) < 2 {
		return newError(CodeMalformedGeometry,
			fmt.Sprintf("%s 的%s只有 %d 个数值，至少需要 2 个（经度, 纬度）。", typ, place, len(arr)),
			map[string]any{"path": coordPath(idx)})
	}
	for k, x := range arr {
		name := [...]string{"经度", "纬度", "高程"}[min(k, 2)]
		if k > 2 {
			name = fmt.Sprintf("第 %d 个数值", k+1)
		}
		n, ok := x.(json.Number)
		if !ok {
			return newError(CodeMalformedGeometry,
				fmt.Sprintf("%s 的%s中%s应为数字，实际为 %s。", typ, place, name, jsonKind(x)),
				map[string]any{"path": coordPath(append(idx, k))})
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) {
			return newError(CodeMalformedGeometry,
				fmt.Sprintf("%s 的%s中%s %s 超出数值范围。", typ, place, name, n),
				map[string]any{"path": coordPath(append(idx, k))})
		}
	}
	return nil
}

// placeCN names the place idx points at in typ's coordinates, 1-based, in
// Chinese: "第 1 个环（外环）的第 4 个坐标". container is true when idx
// points at an array of positions (a ring, a line) rather than a position.
func placeCN(typ string, idx []int, container bool) string {
	n := func(i int) int { return idx[i] + 1 }
	ring := func(i int) string {
		if idx[i] == 0 {
			return "第 1 个环（外环）"
		}
		return fmt.Sprintf("第 %d 个环（第 %d 个内环）", n(i), idx[i])
	}
	switch {
	case len(idx) == 0:
		if container {
			return "coordinates"
		}
		return "坐标"
	case typ == "MultiPoint":
		return fmt.Sprintf("第 %d 个点", n(0))
	case typ == "LineString":
		return fmt.Sprintf("第 %d 个坐标", n(0))
	case typ == "MultiLineString" && len(idx) == 1:
		return fmt.Sprintf("第 %d 条线", n(0))
	case typ == "MultiLineString":
		return fmt.Sprintf("第 %d 条线的第 %d 个坐标", n(0), n(1))
	case typ == "Polygon" && len(idx) == 1:
		return ring(0)
	case typ == "Polygon":
		return fmt.Sprintf("%s的第 %d 个坐标", ring(0), n(1))
	case typ == "MultiPolygon" && len(idx) == 1:
		return fmt.Sprintf("第 %d 个多边形", n(0))
	case typ == "MultiPolygon" && len(idx) == 2:
		return fmt.Sprintf("第 %d 个多边形的%s", n(0), ring(1))
	case typ == "MultiPolygon":
		return fmt.Sprintf("第 %d 个多边形的%s的第 %d 个坐标", n(0), ring(1), n(2))
	}
	return coordPath(idx)
}

func coordPath(idx []int) string {
	var b strings.Builder
	b.WriteString("coordinates")
	for _, i := range idx {
		fmt.Fprintf(&b, "[%d]", i)
	}
	return b.String()
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "布尔值"
	case string:
		return fmt.Sprintf("字符串 %q", x)
	case json.Number:
		return "数字 " + string(x)
	case []any:
		return fmt.Sprintf("含 %d 个元素的数组", len(x))
	case map[string]any:
		return "对象"
	}
	return fmt.Sprintf("%T", v)
}
