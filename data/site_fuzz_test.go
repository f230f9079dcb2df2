package data

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// siteCodes are the codes a *SiteFileError may carry.
var siteCodes = map[string]bool{
	CodeUnsupportedFile: true, CodeMalformedFile: true, CodeTooLarge: true, CodeEmptyFile: true,
	CodeProjectedCRS: true, CodeUnsupportedCRS: true, CodeMalformedCoords: true, CodeInvalidKind: true,
}

// fuzzSiteCRS are the coordinate systems site fuzz targets pick from:
// geographic, two Gauss-Krüger zones (one with the zone prefix) and the
// web-map offsets.
var fuzzSiteCRS = []crs.CRS{crs.CGCS2000, parseCRSOrPanic("EPSG:4545"), parseCRSOrPanic("EPSG:4524"), crs.GCJ02, crs.WGS84, crs.BD09}

func parseCRSOrPanic(name string) crs.CRS {
	c, err := crs.Parse(name)
	if err != nil {
		panic(err)
	}
	return c
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// requireSiteError fails unless err is a *SiteFileError with a known
// code and a Chinese message.
func requireSiteError(t *testing.T, err error) {
	t.Helper()
	var se *SiteFileError
	if !errors.As(err, &se) {
		t.Fatalf("error of type %T: %v", err, err)
	}
	if !siteCodes[se.Code] || !hasHan(se.Message) || se.Line < 0 {
		t.Fatalf("bad site error %+v", se)
	}
}

// requireSite fails unless g is one of the six site geometry types with
// at most MaxSiteVertices vertices; converted is true when the input was
// in a coordinate system other than CGCS2000/WGS84 degrees, whose
// conversion must give finite lon/lat.
func requireSite(t *testing.T, g orb.Geometry, converted bool) {
	t.Helper()
	switch g.(type) {
	case orb.Point, orb.MultiPoint, orb.LineString, orb.MultiLineString, orb.Polygon, orb.MultiPolygon:
	default:
		t.Fatalf("site of type %T", g)
	}
	if n := geo.CountVertices(g); n > MaxSiteVertices {
		t.Fatalf("%d vertices", n)
	}
	if !converted {
		return
	}
	geo.EachPoint(g, func(p orb.Point) {
		if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
			t.Fatalf("converted position %v is not lon/lat", p)
		}
	})
}

// FuzzParseSiteFile reads arbitrary bytes as an uploaded site file of
// each type (the name picks the reader): it never panics, fails only
// with a *SiteFileError with a known code and a Chinese message, and a
// site it accepts is a site geometry within the vertex limit (finite
// lon/lat when it was converted from another system).
func FuzzParseSiteFile(f *testing.F) {
	for _, name := range []string{"site.kml", "multi.kml", "site.geojson", "site.csv", "site.kmz", "site_gbk.zip"} {
		f.Add(name, readFixture(f, name), uint8(0))
	}
	f.Add("bad.kml", readFixture(f, "bad.kml"), uint8(1))
	f.Fuzz(func(t *testing.T, name string, b []byte, which uint8) {
		defer fuzzkit.Guard(t)()
		c := fuzzSiteCRS[int(which)%len(fuzzSiteCRS)]
		g, err := ParseSiteFileIn(name, b, c)
		if err != nil {
			requireSiteError(t, err)
			return
		}
		requireSite(t, g, c.Kind == crs.KindGaussKruger)
	})
}

// FuzzParseSiteShapefile zips arbitrary .shp, .dbf, .prj and .cpg bytes
// as an uploaded shapefile (the zip itself is not what is fuzzed: its
// checksums would stop most mutations) and reads it with ParseSiteFileIn:
// the same properties as FuzzParseSiteFile, and at most 128 bytes
// allocated per input byte (plus 4 MB) whatever counts and lengths the
// headers claim.
func FuzzParseSiteShapefile(f *testing.F) {
	shp, dbf, prj, cpg := siteShapefileParts(f, siteSquare, prjCGCS2000, "936")
	f.Add(shp, dbf, prj, cpg, uint8(0))
	f.Fuzz(func(t *testing.T, shp, dbf, prj, cpg []byte, which uint8) {
		defer fuzzkit.Guard(t)()
		files := map[string][]byte{"site.shp": shp, "site.dbf": dbf}
		if len(prj) > 0 {
			files["site.prj"] = prj
		}
		if len(cpg) > 0 {
			files["site.cpg"] = cpg
		}
		c := fuzzSiteCRS[int(which)%len(fuzzSiteCRS)]
		z := zipOf(t, files)
		var g orb.Geometry
		var err error
		fuzzkit.AllocBound(t, 128*uint64(len(shp)+len(dbf)+len(prj)+len(cpg))+4<<20, func() { g, err = ParseSiteFileIn("site.zip", z, c) })
		if err != nil {
			requireSiteError(t, err)
			return
		}
		requireSite(t, g, c.Kind == crs.KindGaussKruger || len(prj) > 0)
	})
}

// siteShapefileParts returns the .shp, .dbf, .prj and .cpg of
// shapefileZip's shapefile.
func siteShapefileParts(t testing.TB, ring orb.Ring, prj, cpg string) (shp, dbf, prjB, cpgB []byte) {
	t.Helper()
	files := unzipOf(t, shapefileZip(t, ring, prj, cpg))
	return files["site.shp"], files["site.dbf"], files["site.prj"], files["site.cpg"]
}

// FuzzParseCoordinateText reads arbitrary typed coordinates in each kind
// and coordinate system: it never panics, fails only with ErrWKT or a
// *SiteFileError (known code, Chinese message, a line within the text),
// and what it accepts is finite lon/lat of the kind asked for: a point
// for "point", a line of two or more vertices for "line", a polygon whose
// ring is closed with at least four positions for "polygon" (and for
// auto, whenever it returns a polygon).
func FuzzParseCoordinateText(f *testing.F) {
	for _, s := range []string{"106.55, 29.56", `106°33'12.5"E 29°33'36"N`, "106度33分12.5秒 29度33分36秒",
		"E106°33′12.5″, N29°33′36″", "J1,106.55,29.55\nJ2,106.56,29.55\nJ3,106.56,29.56\nJ1,106.55,29.55", "POINT(1 2)"} {
		f.Add(s, "auto", uint8(0))
	}
	f.Add("北纬29度33分 东经106度33分", "point", uint8(0))
	f.Add("点号,X,Y\nJ1,3272278.86,354627.80\nJ2,3272278.86,355627.80\nJ3,3273278.86,355627.80", "polygon", uint8(1))
	f.Add("106.55,29.80 106.56,29.80 106.56,29.81", "line", uint8(3))
	f.Fuzz(func(t *testing.T, text, kind string, which uint8) {
		defer fuzzkit.Guard(t)()
		c := fuzzSiteCRS[int(which)%len(fuzzSiteCRS)]
		g, err := ParseCoordinateTextIn(text, kind, c)
		if err != nil {
			if errors.Is(err, ErrWKT) {
				return
			}
			requireSiteError(t, err)
			var se *SiteFileError
			errors.As(err, &se)
			if lines := strings.Count(text, "\n") + strings.Count(text, "\r") + 1; se.Line > lines {
				t.Fatalf("error on line %d of %d", se.Line, lines)
			}
			return
		}
		geo.EachPoint(g, func(p orb.Point) {
			if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
				t.Fatalf("position %v is not lon/lat", p)
			}
		})
		if n := geo.CountVertices(g); n > MaxSiteVertices+1 {
			t.Fatalf("%d vertices", n)
		}
		switch g := g.(type) {
		case orb.Point:
			if kind != "point" && kind != "auto" && kind != "" {
				t.Fatalf("kind %q gave a point", kind)
			}
		case orb.LineString:
			if len(g) < 2 || (kind != "line" && kind != "auto" && kind != "") {
				t.Fatalf("kind %q gave %v", kind, g)
			}
		case orb.Polygon:
			if kind != "polygon" && kind != "auto" && kind != "" {
				t.Fatalf("kind %q gave a polygon", kind)
			}
			if len(g) != 1 || len(g[0]) < 4 || g[0][0] != g[0][len(g[0])-1] {
				t.Fatalf("polygon %v is not one closed ring", g)
			}
		default:
			t.Fatalf("result of type %T", g)
		}
	})
}

// FuzzCoordinateTextRoundTrip formats up to three positions inside
// China as typed coordinates, in decimal degrees and in 度分秒 (the
// symbol form, the Chinese 度分秒 form and the 北纬/东经 form, latitude
// first), and parses them back: the positions must come back to within
// 1e-9° (the seconds are written with 6 decimals), in order.
func FuzzCoordinateTextRoundTrip(f *testing.F) {
	f.Add(106.5534722, 29.56, 106.56, 29.56, 106.56, 29.57, uint8(3), uint8(0))
	f.Add(73.5, 18.2, 135.0, 53.5, 0.0, 0.0, uint8(2), uint8(1))
	f.Add(106.0, 29.999999999, 106.0, 29.0, 0.0, 0.0, uint8(1), uint8(2))
	f.Add(107.9999999, 30.0000001, 0.0, 0.0, 0.0, 0.0, uint8(1), uint8(3))
	f.Fuzz(func(t *testing.T, x1, y1, x2, y2, x3, y3 float64, n, style uint8) {
		defer fuzzkit.Guard(t)()
		raw := []orb.Point{{x1, y1}, {x2, y2}, {x3, y3}}[:1+int(n)%3]
		var pts []orb.Point
		for _, p := range raw {
			if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
				return
			}
			// fold into China's extent, 1e-7° steps (what 6 decimals of a
			// second can carry exactly enough)
			lon := 73 + math.Mod(math.Abs(p[0]), 62)
			lat := 18 + math.Mod(math.Abs(p[1]), 35)
			pts = append(pts, orb.Point{math.Round(lon*1e7) / 1e7, math.Round(lat*1e7) / 1e7})
		}
		var lines []string
		for _, p := range pts {
			lines = append(lines, formatVertex(p, int(style)%4))
		}
		text := strings.Join(lines, "\n")
		kind := "auto"
		if len(pts) == 2 {
			kind = "line"
		} else if len(pts) == 3 {
			kind = "line" // three positions may repeat the first: not a polygon
		}
		g, err := ParseCoordinateText(text, kind)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		var got []orb.Point
		geo.EachPoint(g, func(p orb.Point) { got = append(got, p) })
		if len(got) != len(pts) {
			t.Fatalf("%q: got %v, want %v", text, got, pts)
		}
		for i := range pts {
			if math.Abs(got[i][0]-pts[i][0]) > 1e-9 || math.Abs(got[i][1]-pts[i][1]) > 1e-9 {
				t.Fatalf("%q: got %v, want %v", text, got, pts)
			}
		}
	})
}

// formatVertex writes p as typed coordinates: 0 decimal "lon,lat", 1
// 106°33'12.5"E 29°33'36"N, 2 106度33分12.5秒 29度33分36秒, 3 北纬…度…分…秒
// 东经…度…分…秒 (latitude first, marked).
func formatVertex(p orb.Point, style int) string {
	dms := func(v float64) (int, int, string) {
		s := math.Round(v * 3600 * 1e6) // microseconds of arc
		d := int(s / (3600 * 1e6))
		s -= float64(d) * 3600 * 1e6
		m := int(s / (60 * 1e6))
		s -= float64(m) * 60 * 1e6
		return d, m, strconv.FormatFloat(s/1e6, 'f', -1, 64)
	}
	lonD, lonM, lonS := dms(p[0])
	latD, latM, latS := dms(p[1])
	switch style {
	case 1:
		return fmt.Sprintf(`%d°%d'%s"E %d°%d'%s"N`, lonD, lonM, lonS, latD, latM, latS)
	case 2:
		return fmt.Sprintf("%d度%d分%s秒 %d度%d分%s秒", lonD, lonM, lonS, latD, latM, latS)
	case 3:
		return fmt.Sprintf("北纬%d度%d分%s秒 东经%d度%d分%s秒", latD, latM, latS, lonD, lonM, lonS)
	}
	return strconv.FormatFloat(p[0], 'f', -1, 64) + "," + strconv.FormatFloat(p[1], 'f', -1, 64)
}

// unzipOf reads every entry of a zip.
func unzipOf(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// A .dbf whose header claims far more records than the file holds is a
// malformed file, not an attempt to allocate for all of them (found by
// FuzzParseSiteShapefile: go-shapefile sized a slice by the claim and the
// process died out of memory on a 106-byte .dbf).
func TestParseSiteFileDBFClaimsTooManyRecords(t *testing.T) {
	shp, dbf, prj, cpg := siteShapefileParts(t, siteSquare, prjCGCS2000, "936")
	bad := bytes.Clone(dbf)
	bad[4], bad[5], bad[6], bad[7] = 0xff, 0xff, 0xff, 0x7f
	_, err := ParseSiteFile("site.zip", zipOf(t, map[string][]byte{"site.shp": shp, "site.dbf": bad, "site.prj": prj, "site.cpg": cpg}))
	var se *SiteFileError
	if !errors.As(err, &se) || se.Code != CodeMalformedFile || !strings.Contains(se.Message, "2147483647 条记录") {
		t.Fatalf("got %v, want malformed_file naming the claim", err)
	}
	if _, err := ParseSiteFile("site.zip", zipOf(t, map[string][]byte{"site.shp": shp, "site.dbf": dbf, "site.prj": prj, "site.cpg": cpg})); err != nil {
		t.Fatalf("the intact file: %v", err)
	}
}
