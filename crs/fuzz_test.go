package crs

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// FuzzParse: Parse never panics, returns a *UnknownError when it fails,
// and the CRS it returns parses back from its Name.
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
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error %T %v", s, err, err)
			}
			_ = err.Error()
			return
		}
		again, err := Parse(c.Name)
		if err != nil || again != c {
			t.Fatalf("Parse(%q) = %v; Parse(%q) = %v, %v", s, c, c.Name, again, err)
		}
	})
}

// FuzzFromPRJ: FromPRJ never panics and fails only with an
// *UnsupportedPRJError.
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
			if !errors.As(err, &ue) {
				t.Fatalf("FromPRJ(%q) error %T %v", s, err, err)
			}
			_ = err.Error()
			return
		}
		if _, ok := byEPSG(c.EPSG); !ok {
			t.Fatalf("FromPRJ(%q) = %+v", s, c)
		}
	})
}

// FuzzToCGCS2000: conversions never panic and never return NaN.
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
