package data

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// FuzzProjectListCSV reads arbitrary bytes as a CSV list: it must never
// panic; every failure is a *ListError or a row error, rows are numbered
// in order and a row has either a geometry or an error.
func FuzzProjectListCSV(f *testing.F) {
	for _, s := range []string{
		listCSVChinese,
		"\ufeff" + listCSVChinese,
		string(listGBK(f, listCSVChinese)),
		strings.ReplaceAll(listCSVChinese, ",", "\t"),
		"sep=;\n经度;纬度\n106.55;29.56\n",
		"name,lon,lat,wkt,buffer_m,crs\na,106.55,29.56,,500,EPSG:4490\nb,,,\"POLYGON((107 29.8,107.001 29.8,107.001 29.801,107 29.8))\",,\nc,29.5,106.5,,,\n",
		"坐标\n\"J1,107.0,29.8\nJ2,107.001,29.8\nJ3,107.001,29.801\"\n",
		"经度,纬度\n\"106.55,29.56\n",
		"项目名称,经度,名称,纬度\n",
		"\xff\xfe\x00\x00",
		"经度,纬度\n106°33'06\"E,29°33'47\"N\n1e400,-0\n",
		"项目名称,X,Y,坐标系\n甲,3272278.86,354627.80,EPSG:4545\n乙,354627.80,3272278.86,4545\n丙,3272278.86,36354627.80,EPSG:4524\n丁,1,2,\n",
		"东坐标,北坐标,经度,纬度,坐标串,坐标系\n354627.8,3272278.9,106.5,29.5,,GCJ02\n,,,,\"SRID=4545;POINT(354627.8 3272278.9)\",\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		defer fuzzkit.Guard(t)()
		l, err := OpenProjectList("fuzz.csv", bytes.NewReader(content), ListOptions{MaxRows: 50})
		if err != nil {
			var le *ListError
			if !errors.As(err, &le) {
				t.Fatalf("open: %v is not a *ListError", err)
			}
			return
		}
		defer l.Close()
		checkFuzzRows(t, l)
	})
}

func checkFuzzRows(t *testing.T, l *ProjectList) {
	seq, line := 0, 0
	for r, err := range l.Rows() {
		if err != nil {
			var le *ListError
			if !errors.As(err, &le) {
				t.Fatalf("rows: %v is not a *ListError", err)
			}
			return
		}
		if r.Seq != seq || r.Line <= line {
			t.Fatalf("row seq %d line %d after seq %d line %d", r.Seq, r.Line, seq-1, line)
		}
		seq, line = seq+1, r.Line
		if (r.Error == nil) == (r.Geometry == nil) {
			t.Fatalf("line %d: error %v and geometry %v", r.Line, r.Error, r.Geometry)
		}
		if r.Error != nil && (r.Error.Code == "" || !strings.Contains(r.Error.Message, "行")) {
			t.Fatalf("line %d: bad row error %+v", r.Line, r.Error)
		}
		for _, c := range r.Cells {
			if !utf8.ValidString(c) {
				t.Fatalf("line %d: cell %q is not UTF-8", r.Line, c)
			}
		}
	}
}

// fuzzCRS are the list coordinate systems FuzzProjectListRow picks from.
var fuzzCRS = []string{"EPSG:4490", "EPSG:4545", "EPSG:4524", "GCJ02", "BD09", "EPSG:4507"}

// FuzzProjectListRow reads one row's cells (lon, lat, X, Y, 坐标串,
// buffer, crs) in one of fuzzCRS: it must never panic, and a row has
// either a geometry within China's extent or an error naming its line.
func FuzzProjectListRow(f *testing.F) {
	h, err := newListHeader([]string{"经度", "纬度", "X", "Y", "坐标串", "缓冲距离（米）", "坐标系"}, 1, "")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct {
		cells [7]string
		crs   uint8
	}{
		{[7]string{"106.5516", "29.5630", "", "", "", "", ""}, 0},
		{[7]string{`106°33'06"E`, `29°33'47"N`, "", "", "", "500", "CGCS2000"}, 0},
		{[7]string{"106度33分6秒", "29度33分47秒", "", "", "", "0.5km", "wgs84"}, 3},
		{[7]string{"29.5", "106.5", "", "", "", "", ""}, 4},
		{[7]string{"", "", "3272278.86", "354627.80", "", "", ""}, 1},
		{[7]string{"", "", "354627.80", "3272278.86", "", "", "EPSG:4545"}, 0},
		{[7]string{"", "", "3272278.86", "36354627.80", "", "", ""}, 2},
		{[7]string{"", "", "3,272,278.86", "354627.80m", "", "", ""}, 5},
		{[7]string{"", "", "", "", "POLYGON((107 29.8, 107.001 29.8, 107.001 29.801, 107 29.8))", "", ""}, 3},
		{[7]string{"", "", "", "", "POINT(354627.8 3272278.9)", "", ""}, 1},
		{[7]string{"", "", "", "", "SRID=4326;MULTIPOINT(107 29.8, 107.1 29.9)", "", ""}, 0},
		{[7]string{"", "", "", "", "SRID=4545;POINT(354627.8 3272278.9)", "", "GCJ02"}, 0},
		{[7]string{"", "", "", "", "GEOMETRYCOLLECTION(POINT(107 29.8))", "", ""}, 0},
		{[7]string{"", "", "", "", "J1,107.0,29.8\nJ2,107.001,29.8\nJ3,107.001,29.801\nJ1,107.0,29.8", "", ""}, 4},
		{[7]string{"", "", "", "", "POLYGON((", "", ""}, 0},
		{[7]string{"NaN", "Inf", "NaN", "-Inf", "", "-1", "西安80"}, 1},
		{[7]string{"１０６．５", "２９．５", "", "", "", "1,000", "EPSG:4490"}, 0},
	} {
		c := s.cells
		f.Add(c[0], c[1], c[2], c[3], c[4], c[5], c[6], s.crs)
	}
	f.Fuzz(func(t *testing.T, lon, lat, x, y, wktText, buf, crsCell string, which uint8) {
		defer fuzzkit.Guard(t)()
		c, err := crs.Parse(fuzzCRS[int(which)%len(fuzzCRS)])
		if err != nil {
			t.Fatal(err)
		}
		h.crs = c
		r := h.row(listRecord{cells: []string{lon, lat, x, y, wktText, buf, crsCell}, line: 7}, 3)
		if r.Seq != 3 || r.Line != 7 {
			t.Fatalf("seq %d line %d", r.Seq, r.Line)
		}
		if r.Error != nil {
			if r.Geometry != nil || !strings.HasPrefix(r.Error.Message, "第 7 行") || r.Error.Code == "" {
				t.Fatalf("bad row error %+v with geometry %v", r.Error, r.Geometry)
			}
			switch r.Error.Code {
			case batch.ErrCodeMissingSite, batch.ErrCodeBadCoordinates, batch.ErrCodeBadBuffer, CodeUnsupportedCRS:
			default:
				t.Fatalf("unexpected code %q", r.Error.Code)
			}
			return
		}
		if r.Geometry == nil {
			t.Fatal("no geometry and no error")
		}
		geo.EachPoint(r.Geometry, func(p orb.Point) {
			if !inRange(p[0], chinaMinLon, chinaMaxLon) || !inRange(p[1], chinaMinLat, chinaMaxLat) {
				t.Fatalf("point %v outside China accepted", p)
			}
		})
		if r.BufferM < 0 || r.BufferM > MaxListBufferM {
			t.Fatalf("buffer %v accepted", r.BufferM)
		}
	})
}
