package web

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

func TestParseWKT(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want orb.Geometry
	}{
		{"point", "POINT(106.55 29.56)", orb.Point{106.55, 29.56}},
		{"lower case and spaces", "  point ( 106.55   29.56 ) ", orb.Point{106.55, 29.56}},
		{"ewkt srid", "SRID=4490;POINT(106.55 29.56)", orb.Point{106.55, 29.56}},
		{"exponent", "POINT(1.0655e2 -2.956E1)", orb.Point{106.55, -29.56}},
		{"bare multipoint", "MULTIPOINT(1 2, 3 4)", orb.MultiPoint{{1, 2}, {3, 4}}},
		{"wrapped multipoint", "MULTIPOINT((1 2),(3 4))", orb.MultiPoint{{1, 2}, {3, 4}}},
		{"linestring", "LINESTRING(1 2,3 4,5 6)", orb.LineString{{1, 2}, {3, 4}, {5, 6}}},
		{"multilinestring", "MULTILINESTRING((1 2,3 4),(5 6,7 8))", orb.MultiLineString{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}},
		{"polygon with hole", "POLYGON((0 0,4 0,4 4,0 4,0 0),(1 1,2 1,2 2,1 1))", orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}}},
		{"multipolygon", "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))", orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}},
		{"empty polygon", "POLYGON EMPTY", orb.Polygon{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWKT(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseWKTErrors(t *testing.T) {
	tests := []struct {
		name, in string
		code     string
		offset   int // -1: not checked
		contains string
	}{
		{"empty", "  ", CodeMalformedGeometry, -1, "为空"},
		{"no type", "(1 2)", CodeMalformedGeometry, 0, "几何类型"},
		{"unknown type", "TRIANGLE((0 0,1 0,0 1,0 0))", CodeMalformedGeometry, 0, "TRIANGLE"},
		{"z coordinates", "POINT Z (1 2 3)", CodeMalformedGeometry, 6, "二维"},
		{"three numbers", "POINT(1 2 3)", CodeMalformedGeometry, 10, "二维"},
		{"one number", "POINT(1)", CodeMalformedGeometry, 7, "纬度"},
		{"missing comma", "LINESTRING(1 2 3 4)", CodeMalformedGeometry, 15, "第 1 个坐标"},
		{"word after coordinate", "LINESTRING(1 2 x, 3 4)", CodeMalformedGeometry, 15, "第 1 个坐标之后应为"},
		{"ring missing comma", "POLYGON((0 0,1 0,1 1,0 0) (1 1,2 1,2 2,1 1))", CodeMalformedGeometry, 26, "POLYGON 的第 1 个环之后"},
		{"bad number", "LINESTRING(1 2, 3 4x)", CodeMalformedGeometry, 18, "第 2 个坐标"},
		{"hole coordinate", "POLYGON((0 0,4 0,4 4,0 0),(1 1,2 x,2 2,1 1))", CodeMalformedGeometry, 33, "第 2 个环（第 1 个内环）的第 2 个坐标"},
		{"multipolygon coordinate", "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 ,5 5)))", CodeMalformedGeometry, 45, "第 2 个多边形的第 1 个环（外环）的第 3 个坐标"},
		{"extra paren", "POINT(1 2))", CodeMalformedGeometry, 10, "多余"},
		{"missing paren", "POLYGON((0 0,1 0,1 1,0 0)", CodeMalformedGeometry, 25, "文本已结束"},
		{"full-width paren", "POINT（1 2）", CodeMalformedGeometry, 5, "全角"},
		{"other srid", "SRID=4547;POINT(1 2)", CodeMalformedGeometry, 5, "4547"},
		{"overflow", "POINT(1e999 2)", CodeMalformedGeometry, 6, "不是有效数字"},
		{"nan", "POINT(NaN 2)", CodeMalformedGeometry, 6, "应为数字"},
		{"point empty", "POINT EMPTY", geo.CodeEmpty, -1, ""},
		{"geometry collection", "GEOMETRYCOLLECTION(POINT(1 2))", geo.CodeUnsupportedType, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWKT(tt.in)
			require.Error(t, err)
			e, ok := asAPIError(err)
			require.True(t, ok, "error type %T", err)
			assert.Equal(t, tt.code, e.Code, e.Message)
			assert.Contains(t, e.Message, tt.contains)
			if tt.offset >= 0 {
				assert.Equal(t, tt.offset, e.Details["offset"], e.Message)
			}
		})
	}
}

func TestParseGeoJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want orb.Geometry
	}{
		{"point", `{"type":"Point","coordinates":[106.55,29.56]}`, orb.Point{106.55, 29.56}},
		{"point with altitude", `{"type":"Point","coordinates":[106.55,29.56,300]}`, orb.Point{106.55, 29.56}},
		{"with bbox and crs members", `{"type":"LineString","bbox":[1,2,3,4],"coordinates":[[1,2],[3,4]]}`, orb.LineString{{1, 2}, {3, 4}}},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`, orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGeoJSON([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseGeoJSONErrors(t *testing.T) {
	tests := []struct {
		name, in string
		path     string
		contains string
	}{
		{"multipolygon hole position", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]],[[5.1,5.1],[5.2,true]]]]}`,
			"coordinates[1][1][1][1]", "第 2 个多边形的第 2 个环（第 1 个内环）的第 2 个坐标中纬度应为数字"},
		{"multilinestring line not array", `{"type":"MultiLineString","coordinates":[[[0,0],[1,1]], 5]}`, "coordinates[1]", "第 2 条线"},
		{"coordinates not array", `{"type":"Polygon","coordinates":{"a":1}}`, "coordinates", "应为数组"},
		{"huge number", `{"type":"Point","coordinates":[1e999,0]}`, "coordinates[0]", "超出数值范围"},
		{"null coordinates", `{"type":"Point","coordinates":null}`, "coordinates", "缺少 coordinates"},
		{"type not a string", `{"type":5,"coordinates":[1,2]}`, "type", "字符串"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGeoJSON([]byte(tt.in))
			var e *Error
			require.True(t, errors.As(err, &e), "error %v", err)
			assert.Equal(t, CodeMalformedGeometry, e.Code)
			assert.Equal(t, tt.path, e.Details["path"])
			assert.Contains(t, e.Message, tt.contains)
		})
	}
}

// FuzzParseWKT: no panics, only 4xx API errors in Chinese, finite
// positions, and whatever parses survives a round trip through the WKT
// encoder.
func FuzzParseWKT(f *testing.F) {
	for _, s := range []string{"POINT(1 2)", "MULTIPOINT(1 2,3 4)", "LINESTRING(1 2,3 4)", "POLYGON((0 0,1 0,1 1,0 0))",
		"MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))", "MULTILINESTRING((1 2,3 4))", "SRID=4490;POINT(1 2)", "POLYGON EMPTY", "POINT(1e5 -2.5)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		defer fuzzkit.Guard(t)()
		g, err := ParseWKT(s)
		if err != nil {
			requireAPIError(t, s, err)
			return
		}
		requireFinite(t, s, g)
		again, err := ParseWKT(wkt.MarshalString(g))
		if err != nil {
			// orb writes empty members its own way; only non-empty
			// geometries must round-trip.
			if wkt.MarshalString(g) != "" && geo.ValidateSite(g, geo.Limits{}) == nil {
				t.Fatalf("round trip of %q (%s): %v", s, wkt.MarshalString(g), err)
			}
			return
		}
		require.True(t, orb.Equal(g, again), "round trip of %q", s)
	})
}

// FuzzParseGeoJSON: no panics, only 4xx API errors in Chinese, finite
// positions, and a round trip.
func FuzzParseGeoJSON(f *testing.F) {
	for _, s := range []string{`{"type":"Point","coordinates":[1,2]}`, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`,
		`{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}`, `{"type":"Feature"}`, `{"type":"Point","coordinates":[1]}`,
		`{"type":"LineString","coordinates":[[1,2,3],[4,5]]}`, `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],null,[1,1],[0,0]]]}`, `{"type":"MultiPoint","coordinates":[[1,"2"]]}`,
		`{"type":"Point","coordinates":[1e400,2]}`, `{"type":"Point","coordinates":[1,2],"TYPE":"LineString"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		defer fuzzkit.Guard(t)()
		// The one-pass decoding of well-formed input and the checking path
		// agree: same geometry, and the fast path accepts nothing the
		// checking path refuses (except member names that differ from
		// type/coordinates/geometries only in case, which orb reads
		// case-insensitively and the fast path ignores).
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) == nil && obj != nil {
			if fast, ok := decodeWellFormed(obj); ok {
				slow, err := parseChecked(b, obj)
				if err == nil {
					require.Equal(t, slow, fast, "%s", b)
				} else {
					require.True(t, caseVariantMember(obj), "the fast path accepted %s, the checking path says %v", b, err)
				}
			}
		}
		g, err := ParseGeoJSON(b)
		if err != nil {
			requireAPIError(t, string(b), err)
			return
		}
		requireFinite(t, string(b), g)
		out, err := geojson.NewGeometry(g).MarshalJSON()
		require.NoError(t, err)
		again, err := ParseGeoJSON(out)
		require.NoError(t, err, "round trip of %s", b)
		require.True(t, orb.Equal(g, again), "round trip of %s", b)
	})
}

// caseVariantMember reports whether obj has a member named like a GeoJSON
// geometry member but in other case ("TYPE", "Coordinates").
func caseVariantMember(obj map[string]json.RawMessage) bool {
	for k := range obj {
		for _, m := range []string{"type", "coordinates", "geometries"} {
			if k != m && strings.EqualFold(k, m) {
				return true
			}
		}
	}
	return false
}
