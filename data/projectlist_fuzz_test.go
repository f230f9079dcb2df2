package data

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/batch"
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
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
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

// FuzzProjectListRow reads one row's cells (lon, lat, 坐标串, buffer,
// crs): it must never panic, and a row has either a geometry within
// China's extent or an error naming its line.
func FuzzProjectListRow(f *testing.F) {
	h, err := newListHeader([]string{"经度", "纬度", "坐标串", "缓冲距离（米）", "坐标系"}, 1, "")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][5]string{
		{"106.5516", "29.5630", "", "", ""},
		{`106°33'06"E`, `29°33'47"N`, "", "500", "CGCS2000"},
		{"106度33分6秒", "29度33分47秒", "", "0.5km", "wgs84"},
		{"29.5", "106.5", "", "", ""},
		{"", "", "POLYGON((107 29.8, 107.001 29.8, 107.001 29.801, 107 29.8))", "", ""},
		{"", "", "SRID=4326;MULTIPOINT(107 29.8, 107.1 29.9)", "", ""},
		{"", "", "GEOMETRYCOLLECTION(POINT(107 29.8))", "", ""},
		{"", "", "J1,107.0,29.8\nJ2,107.001,29.8\nJ3,107.001,29.801\nJ1,107.0,29.8", "", ""},
		{"", "", "POLYGON((", "", ""},
		{"NaN", "Inf", "", "-1", "西安80"},
		{"１０６．５", "２９．５", "", "1,000", "EPSG:4490"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, lon, lat, wktText, buf, crs string) {
		r := h.row(listRecord{cells: []string{lon, lat, wktText, buf, crs}, line: 7}, 3)
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
		eachListPoint(r.Geometry, func(p orb.Point) {
			if !inRange(p[0], chinaMinLon, chinaMaxLon) || !inRange(p[1], chinaMinLat, chinaMaxLat) {
				t.Fatalf("point %v outside China accepted", p)
			}
		})
		if r.BufferM < 0 || r.BufferM > MaxListBufferM {
			t.Fatalf("buffer %v accepted", r.BufferM)
		}
	})
}
