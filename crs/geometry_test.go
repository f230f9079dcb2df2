package crs

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeometryPolygonAgainstPROJ converts a site polygon given in
// EPSG:4545 whose vertices are rows of testdata/gk_proj_inverse.csv, and
// checks every vertex against PROJ:
//
//	(450000, 3700000.5) +---------+ (512345.678, 3700000.5)
//	                    |         |
//	                    |  site   |     x = easting, y = northing (m)
//	                    |         |
//	(450000, 3300000)   +---------+ (512345.678, 3300000)
func TestGeometryPolygonAgainstPROJ(t *testing.T) {
	proj := map[orb.Point]orb.Point{}
	for _, r := range readProjCSV(t, "gk_proj_inverse.csv", false) {
		if r.crs.EPSG == 4545 {
			proj[r.eastNort] = r.lonLat
		}
	}
	ring := orb.Ring{{450000, 3300000}, {512345.678, 3300000}, {512345.678, 3700000.5}, {450000, 3700000.5}, {450000, 3300000}}
	for _, p := range ring {
		require.Contains(t, proj, p, "fixture row for %v", p)
	}
	c, err := Parse("EPSG:4545")
	require.NoError(t, err)
	in := orb.Polygon{ring}
	got, err := c.Geometry(in)
	require.NoError(t, err)
	poly, ok := got.(orb.Polygon)
	require.True(t, ok, "got %T", got)
	require.Len(t, poly, 1)
	require.Len(t, poly[0], 5)
	for i, p := range ring {
		want := proj[p]
		assert.InDelta(t, want[0], poly[0][i][0], 1e-9, "vertex %d longitude", i)
		assert.InDelta(t, want[1], poly[0][i][1], 1e-9, "vertex %d latitude", i)
	}
	assert.Equal(t, poly[0][0], poly[0][4], "the ring stays closed")
	// A vertex spelled out: echo "3300000 450000" | cs2cs -f %.12f EPSG:4545 EPSG:4490
	// prints "29.817542082296 107.482738806918" (latitude first).
	assert.InDelta(t, 107.482738806918, poly[0][0][0], 1e-9)
	assert.InDelta(t, 29.817542082296, poly[0][0][1], 1e-9)
	assert.Equal(t, orb.Point{450000, 3300000}, in[0][0], "the input is not modified")
}

func TestGeometryTypes(t *testing.T) {
	c := c4545()
	pt := orb.Point{500000, 3300000}
	ll, err := c.ToCGCS2000(pt)
	require.NoError(t, err)
	ring := orb.Ring{pt, pt, pt, pt}
	llRing := orb.Ring{ll, ll, ll, ll}
	tests := []struct {
		name string
		in   orb.Geometry
		want orb.Geometry
	}{
		{"nil", nil, nil},
		{"point", pt, ll},
		{"multipoint", orb.MultiPoint{pt, pt}, orb.MultiPoint{ll, ll}},
		{"empty multipoint", orb.MultiPoint{}, orb.MultiPoint{}},
		{"nil multipoint", orb.MultiPoint(nil), orb.MultiPoint(nil)},
		{"linestring", orb.LineString{pt, pt}, orb.LineString{ll, ll}},
		{"multilinestring", orb.MultiLineString{{pt, pt}, nil}, orb.MultiLineString{{ll, ll}, nil}},
		{"ring", ring, llRing},
		{"polygon with a hole", orb.Polygon{ring, ring}, orb.Polygon{llRing, llRing}},
		{"multipolygon", orb.MultiPolygon{{ring}, {}}, orb.MultiPolygon{{llRing}, {}}},
		{"collection", orb.Collection{pt, orb.LineString{pt}, nil, orb.Collection{ring}}, orb.Collection{ll, orb.LineString{ll}, nil, orb.Collection{llRing}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Geometry(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("bound", func(t *testing.T) {
		_, err := c.Geometry(orb.Bound{Min: pt, Max: pt})
		assert.ErrorIs(t, err, ErrGeometryType)
		_, err = c.Geometry(orb.Collection{orb.Bound{Min: pt, Max: pt}})
		assert.ErrorIs(t, err, ErrGeometryType)
	})
	t.Run("deep copy", func(t *testing.T) {
		in := orb.MultiPolygon{{orb.Ring{pt, pt, pt, pt}}}
		got, err := c.Geometry(in)
		require.NoError(t, err)
		got.(orb.MultiPolygon)[0][0][0] = orb.Point{1, 2}
		assert.Equal(t, pt, in[0][0][0])
	})
}

// TestGeometryIdentity: CGCS2000 and WGS84 return the geometry itself
// (WGS84 and CGCS2000 differ by centimetres), after checking it.
func TestGeometryIdentity(t *testing.T) {
	for _, c := range []CRS{CGCS2000, WGS84} {
		in := orb.Polygon{{{106.5, 29.5}, {106.6, 29.5}, {106.6, 29.6}, {106.5, 29.5}}}
		got, err := c.Geometry(in)
		require.NoError(t, err)
		assert.Same(t, &in[0][0], &got.(orb.Polygon)[0][0], "%s returns g itself", c.Name)

		_, err = c.Geometry(orb.LineString{{106.5, 29.5}, {29.5, 106.5}})
		var pe *PointError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, CodeOutOfRange, pe.Code)
		assert.Equal(t, "line.point[1]", pe.Path)
	}
}

func TestGeometryErrorsNameTheVertex(t *testing.T) {
	c := c4545()
	ok := orb.Point{500000, 3300000}
	bad := orb.Point{36500000, 3300000} // zone number given to EPSG:4545
	sq := func(p orb.Point) orb.Ring { return orb.Ring{ok, ok, p, ok} }
	tests := []struct {
		name  string
		in    orb.Geometry
		path  string
		where string
	}{
		{"point", bad, "point[0]", "第 1 个点"},
		{"multipoint", orb.MultiPoint{ok, ok, bad}, "point[2]", "第 3 个点"},
		{"linestring", orb.LineString{ok, bad}, "line.point[1]", "线的第 2 个点"},
		{"multilinestring", orb.MultiLineString{{ok, ok}, {ok, ok, ok, bad}}, "line[1].point[3]", "第 2 条线第 4 个点"},
		{"polygon hole", orb.Polygon{sq(ok), sq(bad)}, "polygon[0].ring[1].point[2]", "多边形第 2 个环第 3 个点"},
		{"multipolygon", orb.MultiPolygon{{sq(ok)}, {sq(bad)}}, "polygon[1].ring[0].point[2]", "第 2 个多边形第 1 个环第 3 个点"},
		{"collection", orb.Collection{ok, orb.Polygon{sq(bad)}}, "geometry[1].polygon[0].ring[0].point[2]", "第 2 个几何多边形第 1 个环第 3 个点"},
		{"NaN", orb.LineString{ok, {math.NaN(), 1}}, "line.point[1]", "线的第 2 个点"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Geometry(tt.in)
			assert.Nil(t, got)
			var pe *PointError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.path, pe.Path)
			assert.Equal(t, tt.where, pe.Where)
			assert.Equal(t, "EPSG:4545", pe.CRS)
			assert.Contains(t, err.Error(), tt.path)
			assert.Contains(t, err.Error(), tt.where)
		})
	}
	_, err := c.Geometry(orb.Polygon{sq(bad)})
	assert.Equal(t, "crs: coordinate_out_of_zone at polygon[0].ring[0].point[2]（多边形第 1 个环第 3 个点）："+
		"坐标 (36500000, 3300000) 不在 EPSG:4545 的范围内：东坐标在中央经线 108°E 上为 500000 米，两侧相差不超过数百千米；"+
		"东坐标以带号 36 开头，应选择 EPSG:4524", err.Error())
}

func TestGeometryOffsets(t *testing.T) {
	in := orb.LineString{{106.55, 29.56}, {106.60, 29.60}}
	for _, c := range []CRS{GCJ02, BD09} {
		out, err := c.Geometry(in)
		require.NoError(t, err)
		for i, p := range out.(orb.LineString) {
			want, err := c.ToCGCS2000(in[i])
			require.NoError(t, err)
			assert.Equal(t, want, p)
		}
	}
}
