package crs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// FuzzParse: Parse never panics, returns a *UnknownError with a Chinese
// message when it fails, and the CRS it returns parses back from its Name
// (the canonical name) to the same CRS.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "EPSG:4545", "epsg:4490", "4326", "GCJ-02", "bd09", "CGCS2000_3_Degree_GK_Zone_36",
		"urn:ogc:def:crs:EPSG::4524", "ＥＰＳＧ：４５４５", "EPSG:3857", "2000国家大地坐标系", "EPSG:99999999999", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		defer fuzzkit.Guard(t)()
		c, err := Parse(s)
		if err != nil {
			var ue *UnknownError
			if !errors.As(err, &ue) || !hasHan(err.Error()) {
				t.Fatalf("Parse(%q) error %T %v", s, err, err)
			}
			return
		}
		again, err := Parse(c.Name)
		if err != nil || again != c {
			t.Fatalf("Parse(%q) = %v; Parse(%q) = %v, %v", s, c, c.Name, again, err)
		}
	})
}

// FuzzFromPRJ: FromPRJ never panics, fails only with an
// *UnsupportedPRJError with a Chinese message, and returns a supported
// CRS that its canonical name parses back to.
func FuzzFromPRJ(f *testing.F) {
	for _, s := range []string{gcsCGCS2000, gcsWGS84, esri4545, esri4524, esri4507, gdal4496, wkt2_4545, wkt2_4490,
		esriXian80, esriUTM48, esriWebMerc, "", "GEOGCS[", `A["\"",1e999]`, "PROJCS(\"x\",GEOGCS(\"China_2000\"),PARAMETER(\"False_Easting\",-0))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		defer fuzzkit.Guard(t)()
		c, err := FromPRJ(s)
		if err != nil {
			var ue *UnsupportedPRJError
			if !errors.As(err, &ue) || !hasHan(err.Error()) {
				t.Fatalf("FromPRJ(%q) error %T %v", s, err, err)
			}
			return
		}
		if _, ok := byEPSG(c.EPSG); !ok {
			t.Fatalf("FromPRJ(%q) = %+v", s, c)
		}
		if again, err := Parse(c.Name); err != nil || again != c {
			t.Fatalf("FromPRJ(%q) = %v; Parse(%q) = %v, %v", s, c, c.Name, again, err)
		}
	})
}

// FuzzToCGCS2000: conversions never panic, never return NaN or
// infinities, and fail only with crs's own errors.
func FuzzToCGCS2000(f *testing.F) {
	f.Add("EPSG:4545", 354541.95, 3265627.0)
	f.Add("EPSG:4524", 36354541.95, 3265627.0)
	f.Add("GCJ02", 106.5, 29.5)
	f.Add("BD09", 106.5, 29.5)
	f.Add("EPSG:4507", -1e308, 1e308)
	f.Fuzz(func(t *testing.T, name string, x, y float64) {
		defer fuzzkit.Guard(t)()
		c, err := Parse(name)
		if err != nil {
			return
		}
		for _, conv := range []func(orb.Point) (orb.Point, error){c.ToCGCS2000, c.FromCGCS2000} {
			p, err := conv(orb.Point{x, y})
			if err == nil && !finite(p) {
				t.Fatalf("%s(%v, %v) = %v", c.Name, x, y, p)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "crs: ") {
				t.Fatalf("error %q", err)
			}
		}
	})
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// TestFuzzCorpus writes the generated seed corpora of the crs fuzz
// targets under testdata/fuzz/ when run with -update-fuzz-corpus;
// otherwise it skips. The seeds are the name forms Parse documents (EPSG
// code, URN, OGC URL, canonical name, title, ESRI and Chinese names) and
// the .prj texts of the prj tests.
func TestFuzzCorpus(t *testing.T) {
	if !fuzzkit.Updating() {
		t.Skip("run with -update-fuzz-corpus to rewrite testdata/fuzz/")
	}
	s := fuzzkit.New(t, "FuzzParse")
	for _, c := range []string{"4490", "4326", "4524", "4545", "4507", "4493"} {
		cc, err := Parse("EPSG:" + c)
		if err != nil {
			t.Fatal(err)
		}
		s.Add("epsg-"+c, "EPSG:"+c)
		s.Add("urn-"+c, "urn:ogc:def:crs:EPSG::"+c)
		s.Add("opengis-"+c, "http://www.opengis.net/def/crs/EPSG/0/"+c)
		s.Add("name-"+c, cc.Name)
		s.Add("title-"+c, cc.Title)
	}
	for i, n := range []string{"CGCS2000_3_Degree_GK_CM_108E", "CGCS2000_3_Degree_GK_Zone_36", "CGCS2000 / Gauss-Kruger CM 105E",
		"2000国家大地坐标系", "国家2000", "火星坐标", "BD09LL", "CRS84", "西安80", "EPSG:3857"} {
		s.Add(fmt.Sprintf("name-form-%d", i), n)
	}
	s.Write()
	s = fuzzkit.New(t, "FuzzFromPRJ")
	for name, prj := range map[string]string{"esri-gcs-cgcs2000": gcsCGCS2000, "esri-gcs-wgs84": gcsWGS84, "esri-4545": esri4545,
		"esri-4524-zone36": esri4524, "esri-4507": esri4507, "esri-4493": esri4493, "gdal-4496": gdal4496, "wkt2-4545": wkt2_4545,
		"wkt2-4490": wkt2_4490, "esri-xian80": esriXian80, "esri-beijing54": esriBJ54, "esri-utm48": esriUTM48, "esri-web-mercator": esriWebMerc} {
		s.Add(name, prj)
	}
	s.Write()
}
