package data

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sanxian/sanxian/crs"
)

var updateSite = flag.Bool("update-site", false, "rewrite the generated site fixtures under testdata/ (site.kmz, site_gbk.zip)")

const (
	prjCGCS2000 = `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]`
	prjGK       = `PROJCS["CGCS2000_3_Degree_GK_CM_105E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["Central_Meridian",105.0],UNIT["Meter",1.0]]`
	prjBeijing  = `GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
)

// The site square used by the fixtures (a hole in the KML one):
//
//	(106.565,29.560) ┌────┐ (106.575,29.560)
//	                 │    │
//	(106.565,29.552) └────┘ (106.575,29.552)
var siteSquare = orb.Ring{{106.565, 29.552}, {106.565, 29.560}, {106.575, 29.560}, {106.575, 29.552}, {106.565, 29.552}}

// zipOf builds a zip of name → content.
func zipOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// shapefileZip writes ring as a one-record polygon shapefile with a GBK
// name attribute, then zips site.shp/.shx/.dbf plus the given .prj and
// .cpg (omitted when empty).
func shapefileZip(t testing.TB, ring orb.Ring, prj, cpg string) []byte {
	t.Helper()
	dir := t.TempDir()
	base := filepath.Join(dir, "site")
	w, err := shp.Create(base+".shp", shp.POLYGON)
	if err != nil {
		t.Fatal(err)
	}
	pts := make([]shp.Point, len(ring))
	for i, p := range ring {
		pts[i] = shp.Point{X: p[0], Y: p[1]}
	}
	if err := w.SetFields([]shp.Field{shp.StringField("NAME", 40)}); err != nil {
		t.Fatal(err)
	}
	w.Write(shp.NewPolyLine([][]shp.Point{pts}))
	name, err := simplifiedchinese.GBK.NewEncoder().String("重庆地块")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAttribute(0, 0, name); err != nil {
		t.Fatal(err)
	}
	w.Close()
	files := map[string][]byte{}
	for ext, file := range map[string]string{".shp": base + ".shp", ".shx": base + ".shx", ".dbf": base + "dbf"} { // go-shp names the dbf without a dot
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		files["site"+ext] = b
	}
	if prj != "" {
		files["site.prj"] = []byte(prj)
	}
	if cpg != "" {
		files["site.cpg"] = []byte(cpg)
	}
	return zipOf(t, files)
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGeneratedFixtures keeps the binary fixtures (also used by the
// browser tests) readable; -update-site rewrites them.
func TestGeneratedFixtures(t *testing.T) {
	kml := readFixture(t, "site.kml")
	gen := map[string][]byte{
		"site.kmz":     zipOf(t, map[string][]byte{"doc.kml": kml}),
		"site_gbk.zip": shapefileZip(t, siteSquare, prjCGCS2000, "936"),
	}
	for name, b := range gen {
		if *updateSite {
			if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ParseSiteFile(name, readFixture(t, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseSiteFile(t *testing.T) {
	square := orb.Polygon{siteSquare}
	kmlPoly := orb.Polygon{
		{{106.565, 29.552}, {106.575, 29.552}, {106.575, 29.560}, {106.565, 29.560}, {106.565, 29.552}},
		{{106.568, 29.554}, {106.570, 29.554}, {106.570, 29.556}, {106.568, 29.556}, {106.568, 29.554}},
	}
	csvPoly := orb.Polygon{{{106.565, 29.552}, {106.575, 29.552}, {106.575, 29.560}, {106.565, 29.560}, {106.565, 29.552}}}
	tests := []struct {
		name    string
		file    string
		content []byte
		want    orb.Geometry
	}{
		{"kml polygon with hole", "site.kml", readFixture(t, "site.kml"), kmlPoly},
		{"kml multigeometry", "multi.KML", readFixture(t, "multi.kml"), orb.MultiLineString{{{106.55, 29.55}, {106.56, 29.56}}, {{106.57, 29.55}, {106.58, 29.56}}}},
		{"kmz", "site.kmz", readFixture(t, "site.kmz"), kmlPoly},
		{"kmz without doc.kml", "a.kmz", zipOf(t, map[string][]byte{"files/x.kml": readFixture(t, "site.kml")}), kmlPoly},
		{"geojson collection of polygons", "site.geojson", readFixture(t, "site.geojson"), orb.MultiPolygon{
			{{{106.565, 29.552}, {106.57, 29.552}, {106.57, 29.56}, {106.565, 29.56}, {106.565, 29.552}}},
			{{{106.571, 29.552}, {106.575, 29.552}, {106.575, 29.56}, {106.571, 29.56}, {106.571, 29.552}}},
		}},
		{"geojson feature", "f.json", []byte(`{"type":"Feature","properties":null,"geometry":{"type":"Point","coordinates":[106.5,29.5]}}`), orb.Point{106.5, 29.5}},
		{"geojson geometry", "g.json", []byte(`{"type":"LineString","coordinates":[[106.5,29.5],[106.6,29.6]]}`), orb.LineString{{106.5, 29.5}, {106.6, 29.6}}},
		{"csv 界址点", "site.csv", readFixture(t, "site.csv"), csvPoly},
		{"gbk txt", "jzd.txt", gbk(t, "点号 经度 纬度\n1 106.565 29.552\n2 106.575 29.552\n3 106.575 29.560\n4 106.565 29.560\n1 106.565 29.552\n"), csvPoly},
		{"shapefile gbk cpg 936", "site.zip", shapefileZip(t, siteSquare, prjCGCS2000, "936"), square},
		{"shapefile no prj no cpg", "site.zip", shapefileZip(t, siteSquare, "", ""), square},
		{"shapefile cp936", "site.ZIP", shapefileZip(t, siteSquare, prjCGCS2000, "CP936\r\n"), square},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSiteFile(tt.file, tt.content)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if !near(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func gbk(t *testing.T, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSiteFileErrors(t *testing.T) {
	gk := orb.Ring{{500000, 3270000}, {501000, 3270000}, {501000, 3271000}, {500000, 3270000}}
	tests := []struct {
		name, file string
		content    []byte
		code       string
	}{
		{"unknown extension", "site.dwg", []byte("AC1027"), CodeUnsupportedFile},
		{"empty", "a.kml", []byte("  "), CodeEmptyFile},
		{"bad kml", "bad.kml", readFixture(t, "bad.kml"), CodeMalformedFile},
		{"kml without geometry", "e.kml", []byte(`<kml><Document><Placemark/></Document></kml>`), CodeEmptyFile},
		{"kml bad coordinates", "b.kml", []byte(`<kml><Placemark><Point><coordinates>a,b</coordinates></Point></Placemark></kml>`), CodeMalformedFile},
		{"mixed geojson", "m.geojson", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}},{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}}]}`), CodeMalformedFile},
		{"json syntax", "x.json", []byte(`{"type":`), CodeMalformedFile},
		{"not a zip", "x.zip", []byte("PK nope"), CodeMalformedFile},
		{"zip without shp", "x.zip", zipOf(t, map[string][]byte{"a.txt": []byte("x")}), CodeMalformedFile},
		{"kmz without kml", "x.kmz", zipOf(t, map[string][]byte{"a.txt": []byte("x")}), CodeMalformedFile},
		{"xian 80 prj", "x80.zip", shapefileZip(t, gk, strings.ReplaceAll(strings.ReplaceAll(prjGK, "CGCS2000", "Xian_1980"), "China_Geodetic_Coordinate_System_2000", "Xian_1980"), ""), CodeUnsupportedCRS},
		{"projected without prj", "gk.zip", shapefileZip(t, gk, "", ""), CodeProjectedCRS},
		{"beijing 54", "bj.zip", shapefileZip(t, siteSquare, prjBeijing, ""), CodeUnsupportedCRS},
		{"zip bomb", "big.zip", zipOf(t, map[string][]byte{"a.shp": make([]byte, MaxSiteUncompressed+1)}), CodeTooLarge},
		{"csv bad line", "a.csv", []byte("106.5,29.5\n106.6;x\n"), CodeMalformedCoords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSiteFile(tt.file, tt.content)
			var se *SiteFileError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want *SiteFileError", err)
			}
			if se.Code != tt.code {
				t.Errorf("got %s (%s), want %s", se.Code, se.Message, tt.code)
			}
			if se.Message == "" {
				t.Error("empty message")
			}
		})
	}
}

// A shapefile in a CGCS2000 Gauss-Krüger zone is converted with its .prj;
// without a .prj the caller's coordinate system applies.
func TestParseSiteFileProjected(t *testing.T) {
	gk := orb.Polygon{{{500000, 3270000}, {501000, 3270000}, {501000, 3271000}, {500000, 3270000}}}
	zone, err := crs.Parse("EPSG:4544") // CM 105°E, as prjGK
	if err != nil {
		t.Fatal(err)
	}
	want, err := zone.Geometry(gk)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseSiteFile("gk.zip", shapefileZip(t, gk[0], prjGK, ""))
	if err != nil {
		t.Fatalf("with .prj: %v", err)
	}
	if !near(got, want) {
		t.Errorf("with .prj: got %v, want %v", got, want)
	}
	got, err = ParseSiteFileIn("gk.zip", shapefileZip(t, gk[0], "", ""), zone)
	if err != nil {
		t.Fatalf("declared: %v", err)
	}
	if !near(got, want) {
		t.Errorf("declared: got %v, want %v", got, want)
	}
	// The centre meridian at 105°E: easting 500000 lies on it.
	if p := got.(orb.Polygon)[0][0]; math.Abs(p[0]-105) > 1e-9 {
		t.Errorf("easting 500000 at %v, want lon 105", p)
	}
}
