package data

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/crs"
)

func TestParseCoordinateText(t *testing.T) {
	// 106°33'12.5" = 106 + 33/60 + 12.5/3600; 29°33'36" = 29.56.
	const lon, lat = 106.0 + 33.0/60 + 12.5/3600, 29.56
	square := orb.Polygon{{{106.55, 29.55}, {106.56, 29.55}, {106.56, 29.56}, {106.55, 29.56}, {106.55, 29.55}}}
	tests := []struct {
		name, text, kind string
		want             orb.Geometry
	}{
		{"comma", "106.55, 29.56", "auto", orb.Point{106.55, 29.56}},
		{"space", " 106.55 29.56 \n", "auto", orb.Point{106.55, 29.56}},
		{"fullwidth comma", "106.55，29.56", "auto", orb.Point{106.55, 29.56}},
		{"dms ascii", `106°33'12.5"E 29°33'36"N`, "auto", orb.Point{lon, lat}},
		{"dms chinese", "106度33分12.5秒 29度33分36秒", "auto", orb.Point{lon, lat}},
		{"dms primes leading hemi", "E106°33′12.5″, N29°33′36″", "auto", orb.Point{lon, lat}},
		{"dms latitude first", "N29°33′36″ E106°33′12.5″", "auto", orb.Point{lon, lat}},
		{"dms chinese hemisphere", "北纬29°33′36″，东经106°33′12.5″", "point", orb.Point{lon, lat}},
		{"west south", `73°58'W 40°45'S`, "auto", orb.Point{-(73 + 58.0/60), -40.75}},
		{"decimal hemi", "106.55E 29.56N", "auto", orb.Point{106.55, 29.56}},
		{"line", "106.55,29.55\n106.56,29.56", "auto", orb.LineString{{106.55, 29.55}, {106.56, 29.56}}},
		{"closed list is polygon", "106.55,29.55\n106.56,29.55\n106.56,29.56\n106.55,29.56\n106.55,29.55", "auto", square},
		{"open list as polygon", "106.55,29.55\n106.56,29.55\n106.56,29.56\n106.55,29.56", "polygon", square},
		{"jzd list with header", "点号,经度,纬度\r\nJ1,106.55,29.55\r\nJ2,106.56,29.55\r\nJ3,106.56,29.56\r\nJ4,106.55,29.56\r\nJ1,106.55,29.55\r\n", "auto", square},
		{"numbered list", "1 106.55 29.55\n2 106.56 29.55\n3 106.56 29.56\n4 106.55 29.56", "polygon", square},
		{"semicolons", "106.55,29.55;106.56,29.56", "line", orb.LineString{{106.55, 29.55}, {106.56, 29.56}}},
		{"space-separated pairs", "106.55,29.55 106.56,29.55  106.56,29.56 106.55,29.56", "polygon", square},
		{"two numbers with a space are one point", "106.55 29.56", "auto", orb.Point{106.55, 29.56}},
		{"altitude ignored", "106.55 29.56 300.5", "", orb.Point{106.55, 29.56}},
		{"closed list as line", "106.55,29.55\n106.56,29.55\n106.56,29.56\n106.55,29.55", "line", orb.LineString{{106.55, 29.55}, {106.56, 29.55}, {106.56, 29.56}, {106.55, 29.55}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCoordinateText(tt.text, tt.kind)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if !near(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func near(a, b orb.Geometry) bool {
	if a.GeoJSONType() != b.GeoJSONType() {
		return false
	}
	var pa, pb []orb.Point
	collect := func(g orb.Geometry, out *[]orb.Point) {
		switch g := g.(type) {
		case orb.Point:
			*out = append(*out, g)
		case orb.LineString:
			*out = append(*out, g...)
		case orb.Polygon:
			for _, r := range g {
				*out = append(*out, r...)
			}
		case orb.MultiPolygon:
			for _, p := range g {
				for _, r := range p {
					*out = append(*out, r...)
				}
			}
		case orb.MultiLineString:
			for _, l := range g {
				*out = append(*out, l...)
			}
		}
	}
	collect(a, &pa)
	collect(b, &pb)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if math.Abs(pa[i][0]-pb[i][0]) > 1e-9 || math.Abs(pa[i][1]-pb[i][1]) > 1e-9 {
			return false
		}
	}
	return true
}

func TestParseCoordinateTextErrors(t *testing.T) {
	tests := []struct {
		name, text, kind, code string
		line                   int
	}{
		{"empty", "  \n ", "auto", CodeEmptyFile, 0},
		{"bad kind", "106 29", "circle", CodeInvalidKind, 0},
		{"not a number", "106.55,29.55\n106.x,29.56", "auto", CodeMalformedCoords, 2},
		{"one field", "106.55,29.55\n\n106.56", "auto", CodeMalformedCoords, 3},
		{"lat out of range (swapped)", "29.56,106.55", "auto", CodeMalformedCoords, 1},
		{"minutes over 60", `106°61'E 29°N`, "auto", CodeMalformedCoords, 1},
		{"two latitudes", `N29° N30°`, "auto", CodeMalformedCoords, 1},
		{"point with two vertices", "106,29\n107,29", "point", CodeMalformedCoords, 2},
		{"polygon too few", "106,29\n107,29", "polygon", CodeMalformedCoords, 2},
		{"line too few", "106,29", "line", CodeMalformedCoords, 1},
		{"header only", "点号,经度,纬度", "auto", CodeEmptyFile, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCoordinateText(tt.text, tt.kind)
			var se *SiteFileError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want *SiteFileError", err)
			}
			if se.Code != tt.code || se.Line != tt.line {
				t.Errorf("got %s line %d (%s), want %s line %d", se.Code, se.Line, se.Message, tt.code, tt.line)
			}
		})
	}
}

func TestParseCoordinateTextWKT(t *testing.T) {
	for _, s := range []string{"POINT(106 29)", " polygon ((1 1, 2 2, 3 1, 1 1))", "SRID=4490;POINT(1 2)"} {
		if _, err := ParseCoordinateText(s, "auto"); !errors.Is(err, ErrWKT) {
			t.Errorf("%q: got %v, want ErrWKT", s, err)
		}
	}
}

// Coordinate lists in a Gauss-Krüger zone: easting first, or northing
// first under an X, Y header (the surveying convention); GCJ-02 degrees.
func TestParseCoordinateTextIn(t *testing.T) {
	zone, err := crs.Parse("EPSG:4545") // CM 108°E
	if err != nil {
		t.Fatal(err)
	}
	seat := orb.Point{107.5, 29.6}
	en, err := zone.FromCGCS2000(seat)
	if err != nil {
		t.Fatal(err)
	}
	near := func(t *testing.T, g orb.Geometry, want orb.Point, tol float64) {
		t.Helper()
		p, ok := g.(orb.Point)
		if !ok {
			t.Fatalf("got %T, want a point", g)
		}
		if math.Abs(p[0]-want[0]) > tol || math.Abs(p[1]-want[1]) > tol {
			t.Errorf("got %v, want %v", p, want)
		}
	}
	tests := []struct {
		name, text string
		c          crs.CRS
	}{
		{"easting first", fmt.Sprintf("%.4f,%.4f", en[0], en[1]), zone},
		{"X Y header: northing first", fmt.Sprintf("点号,X,Y\nJ1,%.4f,%.4f", en[1], en[0]), zone},
		{"北坐标 东坐标", fmt.Sprintf("北坐标 东坐标\n%.4f %.4f", en[1], en[0]), zone},
		{"东坐标 北坐标", fmt.Sprintf("东坐标,北坐标\n%.4f,%.4f", en[0], en[1]), zone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ParseCoordinateTextIn(tt.text, "auto", tt.c)
			if err != nil {
				t.Fatal(err)
			}
			near(t, g, seat, 1e-8)
		})
	}
	t.Run("gcj02", func(t *testing.T) {
		q, err := crs.GCJ02.FromCGCS2000(seat)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ParseCoordinateTextIn(fmt.Sprintf("%.9f,%.9f", q[0], q[1]), "auto", crs.GCJ02)
		if err != nil {
			t.Fatal(err)
		}
		near(t, g, seat, 5e-6) // about 0.5 m
	})
	t.Run("swapped without a header is out of the zone", func(t *testing.T) {
		_, err := ParseCoordinateTextIn(fmt.Sprintf("%.4f,%.4f", en[1], en[0]), "auto", zone)
		var se *SiteFileError
		if !errors.As(err, &se) || se.Line != 1 {
			t.Fatalf("got %v, want a *SiteFileError on line 1", err)
		}
	})
	t.Run("度分秒 in a projected system", func(t *testing.T) {
		_, err := ParseCoordinateTextIn(`106°33'12.5"E 29°33'36"N`, "auto", zone)
		var se *SiteFileError
		if !errors.As(err, &se) || !strings.Contains(se.Message, "投影") {
			t.Fatalf("got %v", err)
		}
	})
}
