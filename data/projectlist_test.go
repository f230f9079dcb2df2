package data

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
)

// readListFile opens a list and reads all its rows; err is Open's or the
// iteration's.
func readListFile(t testing.TB, name string, content []byte, opts ListOptions) (*ProjectList, []batch.Row, error) {
	t.Helper()
	l, err := OpenProjectList(name, bytes.NewReader(content), opts)
	if err != nil {
		return nil, nil, err
	}
	defer func() { assert.NoError(t, l.Close()) }()
	var rows []batch.Row
	for r, err := range l.Rows() {
		if err != nil {
			return l, rows, err
		}
		rows = append(rows, r)
	}
	return l, rows, nil
}

func mustReadListFile(t *testing.T, name string, content []byte) (*ProjectList, []batch.Row) {
	t.Helper()
	l, rows, err := readListFile(t, name, content, ListOptions{})
	require.NoError(t, err)
	return l, rows
}

func listCode(err error) string {
	var le *ListError
	if errors.As(err, &le) {
		return le.Code
	}
	return ""
}

// listSheet is a worksheet for listXLSX: values by row number (from
// column A); rows not listed are left out of the file.
type listSheet struct {
	name string
	rows map[int][]any
}

func listXLSX(t testing.TB, sheets ...listSheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			require.NoError(t, f.SetSheetName("Sheet1", s.name))
		} else {
			_, err := f.NewSheet(s.name)
			require.NoError(t, err)
		}
		for n, vals := range s.rows {
			v := vals
			require.NoError(t, f.SetSheetRow(s.name, fmt.Sprintf("A%d", n), &v))
		}
	}
	buf, err := f.WriteToBuffer()
	require.NoError(t, err)
	return buf.Bytes()
}

func listGBK(t testing.TB, s string) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

func listPoint(t *testing.T, r batch.Row) orb.Point {
	t.Helper()
	require.Nil(t, r.Error, "row %d", r.Line)
	p, ok := r.Geometry.(orb.Point)
	require.True(t, ok, "geometry %T", r.Geometry)
	return p
}

func assertListNear(t *testing.T, want, got orb.Point) {
	t.Helper()
	assert.InDelta(t, want[0], got[0], 1e-9, "lon: got %v, want %v", got, want)
	assert.InDelta(t, want[1], got[1], 1e-9, "lat: got %v, want %v", got, want)
}

const listCSVChinese = "项目名称,行业代码,经度,纬度\n渝中区住宅,E4710,106.5516,29.5630\n\n沙坪坝水泥厂,3011,106.45,29.54\n"

func TestProjectListCSVEncodings(t *testing.T) {
	utf16le, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(strings.ReplaceAll(listCSVChinese, ",", "\t")))
	require.NoError(t, err)
	tests := []struct {
		name, file string
		content    []byte
	}{
		{"utf8", "a.csv", []byte(listCSVChinese)},
		{"utf8 bom", "a.csv", append([]byte("\ufeff"), listCSVChinese...)},
		{"gbk", "a.csv", listGBK(t, listCSVChinese)},
		{"gbk crlf", "a.CSV", listGBK(t, strings.ReplaceAll(listCSVChinese, "\n", "\r\n"))},
		{"utf16 tab (Excel Unicode text)", "a.txt", utf16le},
		{"tab", "a.tsv", []byte(strings.ReplaceAll(listCSVChinese, ",", "\t"))},
		{"tab in .csv", "a.csv", []byte(strings.ReplaceAll(listCSVChinese, ",", "\t"))},
		{"semicolon", "a.csv", []byte(strings.ReplaceAll(listCSVChinese, ",", ";"))},
		{"sep directive", "a.csv", []byte("sep=;\n" + strings.ReplaceAll(listCSVChinese, ",", ";"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, rows := mustReadListFile(t, tc.file, tc.content)
			assert.Equal(t, []string{"项目名称", "行业代码", "经度", "纬度"}, l.Header.Columns)
			assert.Equal(t, map[string]int{"name": 0, "industry": 1, "lon": 2, "lat": 3}, l.Header.Roles)
			require.Len(t, rows, 2)
			off := 0
			if tc.name == "sep directive" {
				off = 1
			}
			assert.Equal(t, 0, rows[0].Seq)
			assert.Equal(t, 2+off, rows[0].Line)
			assert.Equal(t, "渝中区住宅", rows[0].Name)
			assert.Equal(t, "E4710", rows[0].Industry)
			assertListNear(t, orb.Point{106.5516, 29.5630}, listPoint(t, rows[0]))
			assert.Equal(t, 1, rows[1].Seq)
			assert.Equal(t, 4+off, rows[1].Line, "the blank line counts")
			assert.Equal(t, "沙坪坝水泥厂", rows[1].Name)
			assert.Equal(t, "3011", rows[1].Industry, "not validated here")
			assert.Equal(t, []string{"沙坪坝水泥厂", "3011", "106.45", "29.54"}, rows[1].Cells)
		})
	}
}

// A file whose first 64 KiB are ASCII is read as UTF-8; a GBK line after
// that is a clear error, not mojibake.
func TestProjectListCSVEncodingChangesLate(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("name,lon,lat\n")
	for b.Len() < 70<<10 {
		b.WriteString("ascii project,106.55,29.56\n")
	}
	lines := strings.Count(b.String(), "\n")
	b.Write(listGBK(t, "渝中区,106.55,29.56\n"))
	_, rows, err := readListFile(t, "a.csv", b.Bytes(), ListOptions{})
	require.Error(t, err)
	assert.Equal(t, CodeBadEncoding, listCode(err))
	assert.Equal(t, lines+1, err.(*ListError).Line)
	assert.Len(t, rows, lines-1)
}

// A 64 KiB prefix that ends inside a multi-byte character is still UTF-8.
func TestProjectListCSVRuneCutAtPrefixEnd(t *testing.T) {
	for k := 0; k <= 3; k++ { // "渝" starts k bytes before the end of the prefix
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			var b bytes.Buffer
			b.WriteString("项目名称,经度,纬度\n")
			b.WriteString(strings.Repeat("a", listSniffBytes-b.Len()-k) + "渝,106.55,29.56\n")
			require.Equal(t, k == 0 || k == 3, utf8.Valid(b.Bytes()[:listSniffBytes]))
			_, rows := mustReadListFile(t, "a.csv", b.Bytes())
			require.Len(t, rows, 1)
			assert.True(t, strings.HasSuffix(rows[0].Name, "a渝"))
		})
	}
}

func TestProjectListHeaders(t *testing.T) {
	tests := []struct {
		header string
		roles  map[string]int
	}{
		{"name,industry,industry_name,construction,activity,lon,lat,wkt,buffer_m,crs",
			map[string]int{"name": 0, "industry": 1, "industry_name": 2, "construction": 3, "activity": 4, "lon": 5, "lat": 6, "wkt": 7, "buffer": 8, "crs": 9}},
		{"Project Name,Industry Code,LONGITUDE,Latitude,buffer_m (m)",
			map[string]int{"name": 0, "industry": 1, "lon": 2, "lat": 3, "buffer": 4}},
		{"*项目名称,国民经济行业代码,所属行业,东经,北纬,缓冲距离（米）,坐标系",
			map[string]int{"name": 0, "industry": 1, "industry_name": 2, "lon": 3, "lat": 4, "buffer": 5, "crs": 6}},
		{"　ＬＯＮ　,ｌａｔ（度）,坐标串(WKT),红线内活动",
			map[string]int{"lon": 0, "lat": 1, "wkt": 2, "activity": 3}},
		{"项目,行业,lng,lat,界址点坐标,缓冲区[m],SRID",
			map[string]int{"name": 0, "industry_name": 1, "lon": 2, "lat": 3, "wkt": 4, "buffer": 5, "crs": 6}},
		{"X,Y,拐点坐标,备注", map[string]int{"northing": 0, "easting": 1, "wkt": 2}},
		{"项目名称,东坐标,北坐标,坐标系", map[string]int{"name": 0, "easting": 1, "northing": 2, "crs": 3}},
		{"Y坐标（米）,X坐标（米）,纵坐标2", map[string]int{"easting": 0, "northing": 1}},
		{"E,N,备注", map[string]int{"easting": 0, "northing": 1}},
		{"Easting (m),NORTHING", map[string]int{"easting": 0, "northing": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			l, err := OpenProjectList("a.csv", strings.NewReader(tc.header+"\n"+strings.Repeat("x,", 12)+"\n"), ListOptions{})
			require.NoError(t, err)
			defer l.Close()
			assert.Equal(t, tc.roles, l.Header.Roles)
			assert.Equal(t, strings.Split(tc.header, ","), l.Header.Columns)
		})
	}
}

func TestProjectListSites(t *testing.T) {
	square := orb.Polygon{{{107.0, 29.8}, {107.001, 29.8}, {107.001, 29.801}, {107.0, 29.801}, {107.0, 29.8}}}
	tests := []struct {
		name string
		row  string // 经度,纬度,坐标串,缓冲距离（米）,坐标系
		want orb.Geometry
		buf  float64
	}{
		{"decimal", "106.5516,29.5630,,,", orb.Point{106.5516, 29.5630}, 0},
		{"spaces around", " 106.5516 , 29.5630 ,,,", orb.Point{106.5516, 29.5630}, 0},
		{"dms symbols", `"106°33'06""E","29°33'47""N",,,`, orb.Point{106 + 33.0/60 + 6.0/3600, 29 + 33.0/60 + 47.0/3600}, 0},
		{"dms chinese", "106度33分6秒,29度33分47秒,,,", orb.Point{106 + 33.0/60 + 6.0/3600, 29 + 33.0/60 + 47.0/3600}, 0},
		{"dms primes and 东经", "东经106°33′06″,北纬29°33′47″,,,", orb.Point{106 + 33.0/60 + 6.0/3600, 29 + 33.0/60 + 47.0/3600}, 0},
		{"decimal with degree mark", "106.5516°E,29.563°,,,", orb.Point{106.5516, 29.563}, 0},
		{"full-width digits", "１０６．５５１６,２９．５６３,,,", orb.Point{106.5516, 29.563}, 0},
		{"wkt polygon", `,,"POLYGON((107.0 29.8, 107.001 29.8, 107.001 29.801, 107.0 29.801, 107.0 29.8))",,`, square, 0},
		{"wkt lower case, line breaks", ",,\"polygon((107.0 29.8,\n107.001 29.8, 107.001 29.801,  107.0 29.801, 107.0 29.8))\",,", square, 0},
		{"ewkt", `,,"SRID=4490;POINT(106.55 29.56)",,`, orb.Point{106.55, 29.56}, 0},
		{"wkt preferred over lon/lat", `106.1,29.1,"POINT(106.55 29.56)",,`, orb.Point{106.55, 29.56}, 0},
		{"placeholder in 坐标串", `106.1,29.1,无,,`, orb.Point{106.1, 29.1}, 0},
		{"boundary point list", "\"\",\"\",\"J1,107.0,29.8\nJ2,107.001,29.8\nJ3,107.001,29.801\nJ4,107.0,29.801\nJ1,107.0,29.8\",,", square, 0},
		{"vertex list with semicolons", `,,"107.0 29.8; 107.001 29.8; 107.001 29.801; 107.0 29.801; 107.0 29.8",,`, square, 0},
		{"single point in 坐标串", `,,"106.55,29.56",,`, orb.Point{106.55, 29.56}, 0},
		{"buffer", "106.55,29.56,,500,", orb.Point{106.55, 29.56}, 500},
		{"buffer with unit", "106.55,29.56,,0.5km,", orb.Point{106.55, 29.56}, 500},
		{"buffer thousands", `106.55,29.56,,"1,000",`, orb.Point{106.55, 29.56}, 1000},
		{"buffer max", "106.55,29.56,,50000 米,", orb.Point{106.55, 29.56}, 50000},
		{"crs cgcs2000", "106.55,29.56,,,CGCS2000", orb.Point{106.55, 29.56}, 0},
		{"crs epsg:4326", "106.55,29.56,,,epsg:4326", orb.Point{106.55, 29.56}, 0},
		{"crs wgs-84", "106.55,29.56,,,WGS-84", orb.Point{106.55, 29.56}, 0},
		{"crs 4490", "106.55,29.56,,,4490", orb.Point{106.55, 29.56}, 0},
		{"edge of range", "73,3,,,", orb.Point{73, 3}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rows := mustReadListFile(t, "a.csv", []byte("经度,纬度,坐标串,缓冲距离（米）,坐标系\n"+tc.row+"\n"))
			require.Len(t, rows, 1)
			require.Nil(t, rows[0].Error)
			assert.True(t, near(tc.want, rows[0].Geometry), "got %v, want %v", rows[0].Geometry, tc.want)
			assert.Equal(t, tc.buf, rows[0].BufferM)
		})
	}
}

func TestProjectListRowErrors(t *testing.T) {
	const header = "项目名称,经度,纬度,坐标串,缓冲距离（米）,坐标系"
	tests := []struct {
		name, row      string
		code, column   string
		messageContain string
	}{
		{"missing site", "甲,,,,,", batch.ErrCodeMissingSite, "site", "第 3 行：没有项目位置：请填写「经度」「纬度」或「坐标串」"},
		{"latitude missing", "甲,106.55,,,,", batch.ErrCodeBadCoordinates, "lat", "第 3 行「纬度」列：没有填写"},
		{"longitude missing", "甲,,29.56,,,", batch.ErrCodeBadCoordinates, "lon", "第 3 行「经度」列：没有填写"},
		{"unreadable longitude", "甲,106.5x,29.56,,,", batch.ErrCodeBadCoordinates, "lon", `第 3 行「经度」列：无法识别的坐标 "106.5x"`},
		{"unreadable latitude", "甲,106.55,二十九,,,", batch.ErrCodeBadCoordinates, "lat", `第 3 行「纬度」列：无法识别的坐标 "二十九"`},
		{"minutes over 60", `甲,106°75'00",29.56,,,`, batch.ErrCodeBadCoordinates, "lon", "无法识别的坐标"},
		{"NaN", "甲,NaN,29.56,,,", batch.ErrCodeBadCoordinates, "lon", "无法识别的坐标"},
		{"longitude out of China", "甲,150.2,29.56,,,", batch.ErrCodeBadCoordinates, "lon", "第 3 行「经度」列：经度 150.2 超出中国范围"},
		{"latitude out of China", "甲,106.55,60,,,", batch.ErrCodeBadCoordinates, "lat", "第 3 行「纬度」列：纬度 60 超出中国范围"},
		{"projected metres", "甲,36361306.1,3271418.4,,,", batch.ErrCodeBadCoordinates, "lon", "数值像是投影坐标（米）：请把坐标填在「X」（北坐标）「Y」（东坐标）两列，并在「坐标系」列填写或上传时选择对应的投影坐标系"},
		{"projected metres with a zone", "甲,36361306.1,3271418.4,,,", batch.ErrCodeBadCoordinates, "lon", "东坐标以带号 36 开头，可能是 CGCS2000 / 3度带高斯-克吕格投影 第 36 带 CM 108°E（EPSG:4524）"},
		{"swapped", "甲,29.56,106.55,,,", batch.ErrCodeBadCoordinates, "site", "第 3 行：经纬度可能填反了"},
		{"swapped by hemisphere", `甲,29°33'N,106°33'E,,,`, batch.ErrCodeBadCoordinates, "site", "经纬度可能填反了"},
		{"bad wkt", `甲,,,"POLYGON((107 29.8, 107.001))",,`, batch.ErrCodeBadCoordinates, "wkt", "第 3 行「坐标串」列：WKT"},
		{"wkt 3D", `甲,,,"POINT Z (107 29.8 3)",,`, batch.ErrCodeBadCoordinates, "wkt", "第 3 行「坐标串」列：WKT"},
		{"wkt swapped", `甲,,,"POINT(29.8 107)",,`, batch.ErrCodeBadCoordinates, "wkt", "经纬度可能填反了"},
		{"wkt out of China", `甲,,,"POINT(2.35 48.85)",,`, batch.ErrCodeBadCoordinates, "wkt", "超出中国范围"},
		{"wkt other SRID", `甲,,,"SRID=4214;POINT(106.55 29.56)",,`, CodeUnsupportedCRS, "wkt", "SRID=4214"},
		{"vertex list unreadable", `甲,,,"J1,107.0,29.8` + "\n" + `J2,abc",,`, batch.ErrCodeBadCoordinates, "wkt", "第 3 行「坐标串」列：单元格内第 2 行"},
		{"negative buffer", "甲,106.55,29.56,,-5,", batch.ErrCodeBadBuffer, "buffer", `第 3 行「缓冲距离（米）」列："-5" 不是 0 到 50000 米之间的距离`},
		{"buffer too large", "甲,106.55,29.56,,60km,", batch.ErrCodeBadBuffer, "buffer", "不是 0 到 50000 米"},
		{"buffer text", "甲,106.55,29.56,,很近,", batch.ErrCodeBadBuffer, "buffer", "很近"},
		{"unsupported crs", "甲,106.55,29.56,,,西安80", CodeUnsupportedCRS, "crs", `第 3 行「坐标系」列：不支持的坐标系 "西安80"：西安 80 坐标系，请先转换为 CGCS2000。可用的坐标系：EPSG:4490`},
		{"unknown EPSG code", "甲,106.55,29.56,,,EPSG:3857", CodeUnsupportedCRS, "crs", "Web 墨卡托"},
		{"crs checked before the site", "甲,106.5x,29.56,,,EPSG:9999", CodeUnsupportedCRS, "crs", "EPSG:9999"},
		{"projected crs for 经度/纬度", "甲,106.55,29.56,,,EPSG:4547", batch.ErrCodeBadCoordinates, "crs", "第 3 行「坐标系」列：坐标系 CGCS2000 / 3度带高斯-克吕格投影 CM 114°E（EPSG:4547）是投影坐标（米），而「经度」「纬度」是经纬度（度）"},
		{"wkt swapped in a projected crs", `甲,,,"POINT(3271418.41 361306.10)",,EPSG:4545`, batch.ErrCodeBadCoordinates, "wkt", "x、y 似乎颠倒了"},
		{"wkt unknown SRID", `甲,,,"SRID=2383;POINT(106.55 29.56)",,`, CodeUnsupportedCRS, "wkt", "西安 80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			content := header + "\n乙,106.55,29.56,,,\n" + tc.row + "\n"
			_, rows := mustReadListFile(t, "a.csv", []byte(content))
			require.Len(t, rows, 2)
			assert.Nil(t, rows[0].Error)
			r := rows[1]
			require.NotNil(t, r.Error)
			assert.Equal(t, 3, r.Line)
			assert.Equal(t, 1, r.Seq)
			assert.Equal(t, "甲", r.Name)
			assert.Nil(t, r.Geometry)
			assert.Equal(t, tc.code, r.Error.Code)
			assert.Equal(t, tc.column, r.Error.Column)
			assert.Contains(t, r.Error.Message, tc.messageContain)
		})
	}
}

// Only one of 经度/纬度 in the header is allowed beside a 坐标串 column;
// a row that fills it instead of the 坐标串 is told so.
func TestProjectListHalfPairColumn(t *testing.T) {
	_, rows := mustReadListFile(t, "a.csv", []byte("项目名称,经度,坐标串\n甲,106.55,\n乙,,\"106.55,29.56\"\n丙,,\n"))
	require.Len(t, rows, 3)
	require.NotNil(t, rows[0].Error)
	assert.Equal(t, batch.ErrCodeBadCoordinates, rows[0].Error.Code)
	assert.Equal(t, "第 2 行：表头中没有纬度列，只有「经度」无法定位：请填写「坐标串」。", rows[0].Error.Message)
	assert.Nil(t, rows[1].Error)
	require.NotNil(t, rows[2].Error)
	assert.Equal(t, "第 4 行：没有项目位置：请填写「坐标串」。", rows[2].Error.Message)
}

func TestProjectListUnknownColumnsKept(t *testing.T) {
	content := "序号,项目名称,经度,纬度,备注\n1,甲,106.55,29.56,说明文字,多出的一格,\n2,乙,106.56,29.57\n"
	l, rows := mustReadListFile(t, "a.csv", []byte(content))
	assert.Equal(t, []string{"序号", "项目名称", "经度", "纬度", "备注"}, l.Header.Columns)
	assert.Equal(t, map[string]int{"name": 1, "lon": 2, "lat": 3}, l.Header.Roles)
	require.Len(t, rows, 2)
	assert.Equal(t, []string{"1", "甲", "106.55", "29.56", "说明文字", "多出的一格", ""}, rows[0].Cells)
	assert.Equal(t, []string{"2", "乙", "106.56", "29.57"}, rows[1].Cells, "short rows are kept as they are")
	assert.Nil(t, rows[1].Error)
}

// A quoted cell over several lines: Line is where the record starts and
// the lines after it count the cell's line breaks.
func TestProjectListCSVMultilineCell(t *testing.T) {
	content := "项目名称,坐标串\n甲,\"J1,107.0,29.8\nJ2,107.001,29.8\nJ3,107.001,29.801\"\n乙,\"106.55,29.56\"\n"
	_, rows := mustReadListFile(t, "a.csv", []byte(content))
	require.Len(t, rows, 2)
	assert.Equal(t, 2, rows[0].Line)
	assert.IsType(t, orb.LineString{}, rows[0].Geometry)
	assert.Equal(t, 5, rows[1].Line)
}

// A failing reader is reported as such, not as a *ListError.
func TestProjectListReadError(t *testing.T) {
	boom := errors.New("connection reset")
	var b bytes.Buffer
	b.WriteString("经度,纬度\n")
	for b.Len() < 3*listSniffBytes {
		b.WriteString("106.55,29.56\n")
	}
	r := io.MultiReader(bytes.NewReader(b.Bytes()), iotest.ErrReader(boom))
	l, err := OpenProjectList("a.csv", r, ListOptions{})
	require.NoError(t, err)
	defer l.Close()
	var last error
	for _, err := range l.Rows() {
		last = err
	}
	assert.ErrorIs(t, last, boom)
	assert.Empty(t, listCode(last))

	_, err = OpenProjectList("a.xlsx", iotest.ErrReader(boom), ListOptions{})
	assert.ErrorIs(t, err, boom)
}

func TestProjectListXLSX(t *testing.T) {
	notes := listSheet{"说明", map[int][]any{1: {"说明"}, 2: {"经度、纬度为 CGCS2000 经纬度"}}}
	data := listSheet{"项目清单", map[int][]any{
		2: {"项目名称", "行业代码", "经度", "纬度", "备注"},
		3: {"甲", "C3011", 106.55, 29.56, "第一行"},
		// row 4 is not in the file at all
		5: {"乙", "2614", "106°33'06\"E", "29°33'47\"N", nil},
		6: {nil, nil, nil, nil, " "}, // blank: skipped
		7: {"丙", nil, 106.5516, 29.563, 12.5},
	}}
	content := listXLSX(t, notes, data)
	// Make sure the fixture really leaves rows out of the XML.
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	require.NoError(t, err)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet2.xml" {
			rc, err := f.Open()
			require.NoError(t, err)
			var b bytes.Buffer
			_, _ = b.ReadFrom(rc)
			rc.Close()
			require.NotContains(t, b.String(), `<row r="4"`)
			require.NotContains(t, b.String(), `<row r="1"`)
		}
	}
	l, rows := mustReadListFile(t, "清单.XLSX", content)
	assert.Equal(t, "项目清单", l.Header.Sheet)
	assert.Equal(t, []string{"项目名称", "行业代码", "经度", "纬度", "备注"}, l.Header.Columns)
	require.Len(t, rows, 3)
	assert.Equal(t, []int{3, 5, 7}, []int{rows[0].Line, rows[1].Line, rows[2].Line})
	assert.Equal(t, []int{0, 1, 2}, []int{rows[0].Seq, rows[1].Seq, rows[2].Seq})
	assert.Equal(t, []string{"甲", "C3011", "106.55", "29.56", "第一行"}, rows[0].Cells)
	assertListNear(t, orb.Point{106.55, 29.56}, listPoint(t, rows[0]))
	assertListNear(t, orb.Point{106 + 33.0/60 + 6.0/3600, 29 + 33.0/60 + 47.0/3600}, listPoint(t, rows[1]))
	assert.Equal(t, "2614", rows[1].Industry)
	assert.Equal(t, []string{"丙", "", "106.5516", "29.563", "12.5"}, rows[2].Cells)
}

// Numbers are read as displayed for Cells, but coordinates and buffers
// from the stored value: a "0.00" format does not round a longitude, and
// Excel's 17-digit "106.55000000000001" reads as 106.55.
func TestProjectListXLSXNumberFormats(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	s := "Sheet1"
	require.NoError(t, f.SetSheetRow(s, "A1", &[]any{"name", "industry", "lon", "lat", "buffer", "date"}))
	require.NoError(t, f.SetSheetRow(s, "A2", &[]any{"a", 111, 106.5516, 29.5630, 1234.5, 45292}))
	twoDecimals, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	require.NoError(t, err)
	zeros, err := f.NewStyle(&excelize.Style{CustomNumFmt: listPtr("0000")})
	require.NoError(t, err)
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	require.NoError(t, err)
	thousands, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle(s, "B2", "B2", zeros))
	require.NoError(t, f.SetCellStyle(s, "C2", "D2", twoDecimals))
	require.NoError(t, f.SetCellStyle(s, "E2", "E2", thousands))
	require.NoError(t, f.SetCellStyle(s, "F2", "F2", date))
	buf, err := f.WriteToBuffer()
	require.NoError(t, err)
	_, rows := mustReadListFile(t, "a.xlsx", buf.Bytes())
	require.Len(t, rows, 1)
	r := rows[0]
	assert.Equal(t, "0111", r.Industry, "as displayed")
	assert.Equal(t, "106.55", r.Cells[2], "Cells are as displayed")
	assertListNear(t, orb.Point{106.5516, 29.5630}, listPoint(t, r))
	assert.Equal(t, 1234.5, r.BufferM)
	assert.Equal(t, "01-01-24", r.Cells[5])
}

func listPtr[T any](v T) *T { return &v }

// The stored values are read alongside the displayed ones while they
// matter: to the end when a format rounds, for the first rows only when
// the format shows them as stored, not at all without a number column.
func TestProjectListXLSXRawProbe(t *testing.T) {
	const n = listRawProbeRows + 100
	for _, tc := range []struct {
		numFmt  string
		rawLeft bool
	}{{"0.00", true}, {"0.000000", false}, {"", false}} {
		t.Run(tc.numFmt, func(t *testing.T) {
			content := benchListXLSX(t, n, tc.numFmt)
			l, err := OpenProjectList("a.xlsx", bytes.NewReader(content), ListOptions{})
			require.NoError(t, err)
			defer l.Close()
			i := 0
			for r, err := range l.Rows() {
				require.NoError(t, err)
				assertListNear(t, orb.Point{106 + float64(i%1000)/1000, 29 + float64(i%997)/1000}, listPoint(t, r))
				i++
			}
			assert.Equal(t, n, i)
			assert.Equal(t, tc.rawLeft, l.src.(*xlsxListSource).raw != nil)
		})
	}
	t.Run("no number column", func(t *testing.T) {
		f := excelize.NewFile()
		defer f.Close()
		require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"坐标串", "日期"}))
		require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{"POINT(106.55 29.56)", 45292}))
		date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		require.NoError(t, err)
		require.NoError(t, f.SetCellStyle("Sheet1", "B2", "B2", date))
		buf, err := f.WriteToBuffer()
		require.NoError(t, err)
		l, err := OpenProjectList("a.xlsx", buf, ListOptions{})
		require.NoError(t, err)
		defer l.Close()
		assert.Nil(t, l.src.(*xlsxListSource).raw)
	})
}

// Excel stores some decimals with 17 significant digits; they come back
// as written.
func TestProjectListXLSXLongDecimals(t *testing.T) {
	content := listXLSX(t, listSheet{"Sheet1", map[int][]any{1: {"经度", "纬度"}, 2: {106.55, 29.56}}})
	content = rewriteListPart(t, content, "xl/worksheets/sheet1.xml", func(s string) string {
		return strings.Replace(strings.Replace(s, ">106.55<", ">106.55000000000001<", 1), ">29.56<", ">29.560000000000002<", 1)
	})
	_, rows := mustReadListFile(t, "a.xlsx", content)
	require.Len(t, rows, 1)
	assert.Equal(t, []string{"106.55", "29.56"}, rows[0].Cells)
	assertListNear(t, orb.Point{106.55, 29.56}, listPoint(t, rows[0]))
}

// rewriteListPart rewrites one part of an xlsx.
func rewriteListPart(t testing.TB, content []byte, name string, edit func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		var b bytes.Buffer
		_, err = b.ReadFrom(rc)
		require.NoError(t, err)
		rc.Close()
		w, err := zw.Create(f.Name)
		require.NoError(t, err)
		data := b.Bytes()
		if f.Name == name {
			found = true
			data = []byte(edit(string(data)))
		}
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.True(t, found, name)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

func TestProjectListXLSXSheetChoice(t *testing.T) {
	t.Run("header below blank rows", func(t *testing.T) {
		content := listXLSX(t, listSheet{"Sheet1", map[int][]any{3: {"lon", "lat"}, 4: {106.55, 29.56}}})
		l, rows := mustReadListFile(t, "a.xlsx", content)
		assert.Equal(t, map[string]int{"lon": 0, "lat": 1}, l.Header.Roles)
		require.Len(t, rows, 1)
		assert.Equal(t, 4, rows[0].Line)
	})
	t.Run("sheet with a partial header before the list", func(t *testing.T) {
		content := listXLSX(t,
			listSheet{"汇总", map[int][]any{1: {"项目名称", "数量"}, 2: {"合计", 3}}},
			listSheet{"清单", map[int][]any{1: {"项目名称", "坐标"}, 2: {"甲", "106.55,29.56"}}})
		l, rows := mustReadListFile(t, "a.xlsx", content)
		assert.Equal(t, "清单", l.Header.Sheet)
		require.Len(t, rows, 1)
		assert.Equal(t, "甲", rows[0].Name)
	})
	t.Run("no site sheet: the first with a recognised column is reported", func(t *testing.T) {
		content := listXLSX(t,
			listSheet{"封面", map[int][]any{1: {"某区项目清单"}}},
			listSheet{"汇总", map[int][]any{1: {"项目名称", "数量", "X"}, 2: {"合计", 3}}})
		_, _, err := readListFile(t, "a.xlsx", content, ListOptions{})
		assert.Equal(t, CodeNoSiteColumns, listCode(err))
		assert.Contains(t, err.Error(), "工作表「汇总」")
		assert.Contains(t, err.Error(), "有「X」列（北坐标）但没有东坐标（Y）列")
	})
	t.Run("X and Y locate a sheet", func(t *testing.T) {
		content := listXLSX(t,
			listSheet{"说明", map[int][]any{1: {"项目名称", "备注"}}},
			listSheet{"测量坐标", map[int][]any{1: {"项目名称", "X", "Y"}, 2: {"甲", 3271418.41, 361306.10}}})
		l, rows, err := readListFile(t, "a.xlsx", content, ListOptions{CRS: mustCRS(t, "EPSG:4545")})
		require.NoError(t, err)
		assert.Equal(t, "测量坐标", l.Header.Sheet)
		require.Len(t, rows, 1)
		assertListNearM(t, orb.Point{106.569, 29.553}, listPoint(t, rows[0]), 0.01)
	})
	t.Run("all sheets empty", func(t *testing.T) {
		content := listXLSX(t, listSheet{"Sheet1", nil}, listSheet{"Sheet2", map[int][]any{3: {" "}}})
		_, _, err := readListFile(t, "a.xlsx", content, ListOptions{})
		assert.Equal(t, CodeEmptyList, listCode(err))
	})
}

// listTempDir points the temporary directory at a fresh one and returns
// it, so that a test can check that Close leaves nothing behind.
func listTempDir(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func listDirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// Worksheets and shared strings over excelize's in-memory limit are read
// from temporary files; Close removes them.
func TestProjectListXLSXTempFiles(t *testing.T) {
	tmp := listTempDir(t)
	old := listXMLInMemory
	listXMLInMemory = 512
	defer func() { listXMLInMemory = old }()

	rows := map[int][]any{1: {"项目名称", "经度", "纬度"}}
	for i := 2; i <= 200; i++ {
		rows[i] = []any{fmt.Sprintf("项目%d", i), 106 + float64(i)/1000, 29.5}
	}
	content := listXLSX(t, listSheet{"Sheet1", rows})
	l, err := OpenProjectList("a.xlsx", bytes.NewReader(content), ListOptions{})
	require.NoError(t, err)
	require.Len(t, listDirEntries(t, tmp), 1)
	inner := listDirEntries(t, filepath.Join(tmp, listDirEntries(t, tmp)[0]))
	assert.GreaterOrEqual(t, len(inner), 2, "sheet and shared strings extracted: %v", inner)
	n := 0
	for r, err := range l.Rows() {
		require.NoError(t, err)
		require.Nil(t, r.Error)
		assert.Equal(t, fmt.Sprintf("项目%d", r.Line), r.Name)
		n++
	}
	assert.Equal(t, 199, n)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "twice")
	assert.Empty(t, listDirEntries(t, tmp))
}

func TestProjectListCloseEarly(t *testing.T) {
	tmp := listTempDir(t)
	content := listXLSX(t, listSheet{"Sheet1", map[int][]any{1: {"经度", "纬度"}, 2: {106.55, 29.56}, 3: {106.56, 29.56}}})
	l, err := OpenProjectList("a.xlsx", bytes.NewReader(content), ListOptions{})
	require.NoError(t, err)
	for range l.Rows() {
		break
	}
	for _, err := range l.Rows() {
		assert.ErrorIs(t, err, errListRowsTwice)
	}
	require.NoError(t, l.Close())
	assert.Empty(t, listDirEntries(t, tmp))
	_, err = OpenProjectList("a.xlsx", bytes.NewReader([]byte("not a zip")), ListOptions{})
	assert.Equal(t, CodeCorruptList, listCode(err))
	assert.Empty(t, listDirEntries(t, tmp), "nothing left after a failed open")
}

func TestProjectListFileErrors(t *testing.T) {
	sheetXML := func(n int) []byte {
		rows := map[int][]any{1: {"经度", "纬度", "备注"}}
		for i := 2; i < n; i++ {
			rows[i] = []any{106.55, 29.56, strings.Repeat("长文本", 20)}
		}
		return listXLSX(t, listSheet{"Sheet1", rows})
	}
	valid := listXLSX(t, listSheet{"Sheet1", map[int][]any{1: {"经度", "纬度"}, 2: {106.55, 29.56}}})
	tests := []struct {
		name, file string
		content    []byte
		opts       ListOptions
		code       string
		line       int
		contains   string
	}{
		{"unsupported extension", "a.shp", []byte("x"), ListOptions{}, CodeUnsupportedList, 0, ".shp"},
		{"xls", "a.xls", []byte("x"), ListOptions{}, CodeUnsupportedList, 0, "另存为"},
		{"xlsx named csv", "a.csv", valid, ListOptions{}, CodeUnsupportedList, 0, "扩展名改为 .xlsx"},
		{"ole named xlsx", "a.xlsx", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), ListOptions{}, CodeUnsupportedList, 0, ".xls"},
		{"empty csv", "a.csv", nil, ListOptions{}, CodeEmptyList, 0, "空"},
		{"bom only", "a.csv", []byte("\ufeff"), ListOptions{}, CodeEmptyList, 0, "空"},
		{"blank lines", "a.csv", []byte("\n\n , ,\n"), ListOptions{}, CodeEmptyList, 0, "空"},
		{"header only", "a.csv", []byte("经度,纬度\n,\n"), ListOptions{}, CodeEmptyList, 1, "没有数据行"},
		{"empty xlsx file", "a.xlsx", nil, ListOptions{}, CodeEmptyList, 0, "空"},
		{"binary", "a.csv", []byte("a\x00b\x00c"), ListOptions{}, CodeBadEncoding, 0, "不是文本"},
		{"not gbk either", "a.csv", []byte("经度,纬度\n\x80\xff,1\n"), ListOptions{}, CodeBadEncoding, 0, "编码"},
		{"duplicate role", "a.csv", []byte("项目名称,经度,名称,纬度\n"), ListOptions{}, CodeDuplicateColumn, 1, "「项目名称」（第 1 列）和「名称」（第 3 列）都是项目名称列"},
		{"duplicate longitude", "a.csv", []byte("\n经度,东经,纬度\n"), ListOptions{}, CodeDuplicateColumn, 2, "「经度」（第 1 列）和「东经」（第 2 列）"},
		{"no site columns", "a.csv", []byte("项目名称,备注\n甲,1\n"), ListOptions{}, CodeNoSiteColumns, 1, "经度（经度、东经、lon"},
		{"no site columns names X and Y", "a.csv", []byte("项目名称,备注\n甲,1\n"), ListOptions{}, CodeNoSiteColumns, 1, "北坐标（北坐标、X、X坐标、纵坐标、N、northing）；东坐标（东坐标、Y、Y坐标、横坐标、E、easting）"},
		{"X without Y", "a.csv", []byte("项目名称,X\n甲,1\n"), ListOptions{}, CodeNoSiteColumns, 1, "有「X」列（北坐标）但没有东坐标（Y）列"},
		{"duplicate northing", "a.csv", []byte("X,北坐标,Y\n"), ListOptions{}, CodeDuplicateColumn, 1, "「X」（第 1 列）和「北坐标」（第 2 列）都是北坐标列"},
		{"latitude only", "a.csv", []byte("项目名称,纬度\n甲,1\n"), ListOptions{}, CodeNoSiteColumns, 1, "有「纬度」列但没有经度列"},
		{"corrupt xlsx", "a.xlsx", []byte("PK\x03\x04 this is not really a zip"), ListOptions{}, CodeCorruptList, 0, "不是有效的 .xlsx"},
		{"truncated xlsx", "a.xlsx", valid[:len(valid)/2], ListOptions{}, CodeCorruptList, 0, "不是有效的 .xlsx"},
		{"csv as xlsx", "a.xlsx", []byte(listCSVChinese), ListOptions{}, CodeCorruptList, 0, "不是有效的 .xlsx"},
		{"unzips over the limit", "a.xlsx", sheetXML(300), ListOptions{MaxUnzipBytes: 32 << 10}, CodeListTooLarge, 0, "解压后超过"},
		{"unclosed quote", "a.csv", append([]byte("经度,纬度\n\"106.55,29.56\n"), bytes.Repeat([]byte("x,y\n"), (listMaxRecordBytes>>2)+1024)...), ListOptions{}, CodeCorruptList, 2, "未闭合的引号"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readListFile(t, tc.file, tc.content, tc.opts)
			require.Error(t, err)
			var le *ListError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.code, le.Code, le.Message)
			assert.Equal(t, tc.line, le.Line)
			assert.Contains(t, le.Message, tc.contains)
		})
	}
}

func TestProjectListTooManyRows(t *testing.T) {
	content := "经度,纬度\n106.1,29.5\n\n106.2,29.5\n106.3,29.5\n"
	_, rows, err := readListFile(t, "a.csv", []byte(content), ListOptions{MaxRows: 2})
	require.Error(t, err)
	assert.Equal(t, CodeTooManyRows, listCode(err))
	assert.ErrorIs(t, err, batch.ErrTooManyRows)
	assert.Equal(t, 5, err.(*ListError).Line)
	assert.Len(t, rows, 2)

	_, rows, err = readListFile(t, "a.csv", []byte(content), ListOptions{MaxRows: 3})
	require.NoError(t, err, "exactly MaxRows is fine")
	assert.Len(t, rows, 3)

	xl := listXLSX(t, listSheet{"Sheet1", map[int][]any{1: {"经度", "纬度"}, 2: {106.1, 29.5}, 3: {106.2, 29.5}, 9: {106.3, 29.5}}})
	_, rows, err = readListFile(t, "a.xlsx", xl, ListOptions{MaxRows: 2})
	assert.Equal(t, CodeTooManyRows, listCode(err))
	assert.Equal(t, 9, err.(*ListError).Line)
	assert.Len(t, rows, 2)
}

// A zip whose directory promises little but whose data inflates to much
// more is stopped by archive/zip (the promised size is enforced), so the
// limit cannot be dodged by lying.
func TestProjectListXLSXLyingZip(t *testing.T) {
	valid := listXLSX(t, listSheet{"Sheet1", map[int][]any{1: {"经度", "纬度"}, 2: {106.55, 29.56}}})
	// Declare a smaller size for sheet1.xml in both the local header and
	// the central directory.
	zr, err := zip.NewReader(bytes.NewReader(valid), int64(len(valid)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		raw, err := f.OpenRaw()
		require.NoError(t, err)
		h := f.FileHeader
		if f.Name == "xl/worksheets/sheet1.xml" {
			h.UncompressedSize64 = 10
		}
		w, err := zw.CreateRaw(&h)
		require.NoError(t, err)
		var b bytes.Buffer
		_, err = b.ReadFrom(raw)
		require.NoError(t, err)
		_, err = w.Write(b.Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	done := make(chan error, 1)
	go func() {
		_, _, err := readListFile(t, "a.xlsx", out.Bytes(), ListOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		assert.Equal(t, CodeCorruptList, listCode(err), "%v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("hang")
	}
}

// A real bomb: a part of 300 MB of zeros (300 KB compressed) beside the
// sheet, under the default limits, is refused from the zip directory
// without decompressing it.
func TestProjectListXLSXBomb(t *testing.T) {
	valid := listXLSX(t, listSheet{"Sheet1", map[int][]any{1: {"经度", "纬度"}, 2: {106.55, 29.56}}})
	zr, err := zip.NewReader(bytes.NewReader(valid), int64(len(valid)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		raw, err := f.OpenRaw()
		require.NoError(t, err)
		h := f.FileHeader
		w, err := zw.CreateRaw(&h)
		require.NoError(t, err)
		_, err = io.Copy(w, raw)
		require.NoError(t, err)
	}
	// Deflate 1 MiB of zeros once, ending with a sync flush (byte-aligned,
	// not final), repeat it 300 times and close with an empty final block.
	zeros := make([]byte, 1<<20)
	var chunk bytes.Buffer
	fw, err := flate.NewWriter(&chunk, flate.BestCompression)
	require.NoError(t, err)
	_, err = fw.Write(zeros)
	require.NoError(t, err)
	require.NoError(t, fw.Flush())
	var data bytes.Buffer
	crc := crc32.NewIEEE()
	for range 300 {
		data.Write(chunk.Bytes())
		crc.Write(zeros)
	}
	data.Write([]byte{1, 0, 0, 0xff, 0xff})
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/media/image1.png", Method: zip.Deflate, CRC32: crc.Sum32(),
		CompressedSize64: uint64(data.Len()), UncompressedSize64: 300 << 20})
	require.NoError(t, err)
	_, err = w.Write(data.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.Less(t, out.Len(), 1<<20)

	start := time.Now()
	_, _, err = readListFile(t, "a.xlsx", out.Bytes(), ListOptions{})
	assert.Equal(t, CodeListTooLarge, listCode(err), "%v", err)
	assert.Less(t, time.Since(start), 2*time.Second)
	_, _, err = readListFile(t, "a.xlsx", out.Bytes(), ListOptions{MaxUnzipBytes: 100 << 20})
	assert.Equal(t, CodeListTooLarge, listCode(err), "%v", err)
	assert.Contains(t, err.Error(), "解压后超过 100 MB")
}

// ---- benchmarks ----

const benchListRows = 100_000

func benchListCSV(b *testing.B) []byte {
	var buf bytes.Buffer
	buf.WriteString("项目名称,行业代码,行业名称,建设性质,经度,纬度,缓冲距离（米）,备注\n")
	for i := range benchListRows {
		fmt.Fprintf(&buf, "重庆市某项目%d,C3011,水泥制造,新建,%.6f,%.6f,%d,备注%d\n", i, 106+float64(i%1000)/1000, 29+float64(i%997)/1000, i%500, i)
	}
	return buf.Bytes()
}

// benchListXLSX writes n point rows with excelize's StreamWriter;
// numFmt, when not empty, is the number format of longitude and latitude.
func benchListXLSX(b testing.TB, n int, numFmt string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	style := 0
	if numFmt != "" {
		var err error
		style, err = f.NewStyle(&excelize.Style{CustomNumFmt: &numFmt})
		require.NoError(b, err)
	}
	sw, err := f.NewStreamWriter("Sheet1")
	require.NoError(b, err)
	require.NoError(b, sw.SetRow("A1", []any{"项目名称", "行业代码", "行业名称", "建设性质", "经度", "纬度", "缓冲距离（米）", "备注"}))
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		require.NoError(b, sw.SetRow(cell, []any{fmt.Sprintf("重庆市某项目%d", i), "C3011", "水泥制造", "新建",
			excelize.Cell{StyleID: style, Value: 106 + float64(i%1000)/1000}, excelize.Cell{StyleID: style, Value: 29 + float64(i%997)/1000},
			i % 500, fmt.Sprintf("备注%d", i)}))
	}
	require.NoError(b, sw.Flush())
	buf, err := f.WriteToBuffer()
	require.NoError(b, err)
	return buf.Bytes()
}

// listCPUTime is the process's user and system CPU time: on a shared machine
// it says more than the wall time.
func listCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// listPeakHeap samples HeapInuse while fn runs and returns the peak above the
// level before.
func listPeakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

func benchReadList(b *testing.B, name string, content []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(content)))
	var peak uint64
	cpu0 := listCPUTime()
	for b.Loop() {
		p := listPeakHeap(func() {
			l, err := OpenProjectList(name, bytes.NewReader(content), ListOptions{})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for r, err := range l.Rows() {
				if err != nil {
					b.Fatal(err)
				}
				if r.Error != nil {
					b.Fatal(r.Error)
				}
				n++
			}
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
			if n != benchListRows {
				b.Fatalf("got %d rows, want %d", n, benchListRows)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64((listCPUTime()-cpu0).Nanoseconds())/float64(b.N)/benchListRows, "cpu-ns/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchListRows, "ns/row")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkProjectListCSV reads 100,000 point rows from CSV.
func BenchmarkProjectListCSV(b *testing.B) {
	benchReadList(b, "a.csv", benchListCSV(b))
}

// BenchmarkProjectListXLSX reads 100,000 point rows from an xlsx written
// with excelize's StreamWriter (inline strings, like other streaming
// writers; Excel itself writes shared strings).
func BenchmarkProjectListXLSX(b *testing.B) {
	benchReadList(b, "a.xlsx", benchListXLSX(b, benchListRows, ""))
}

// BenchmarkProjectListXLSXFormatted reads the rows with a "0.000000"
// number format on longitude and latitude: the stored values are read
// alongside for the first 1,000 rows only.
func BenchmarkProjectListXLSXFormatted(b *testing.B) {
	benchReadList(b, "a.xlsx", benchListXLSX(b, benchListRows, "0.000000"))
}

// BenchmarkProjectListXLSXRounded reads the rows with a "0.00" number
// format on longitude and latitude, which rounds what is displayed: the
// rows are read twice to the end (the worst case).
func BenchmarkProjectListXLSXRounded(b *testing.B) {
	benchReadList(b, "a.xlsx", benchListXLSX(b, benchListRows, "0.00"))
}

// BenchmarkProjectListXLSXSharedStrings reads the same rows saved with a
// shared-string table, as Excel and WPS write them.
func BenchmarkProjectListXLSXSharedStrings(b *testing.B) {
	f, err := excelize.OpenReader(bytes.NewReader(benchListXLSX(b, benchListRows, "")))
	require.NoError(b, err)
	// Reading every row into a normal worksheet and saving converts the
	// inline strings into the shared-string table.
	rows, err := f.GetRows("Sheet1")
	require.NoError(b, err)
	g := excelize.NewFile()
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
			if i > 0 && (j == 4 || j == 5 || j == 6) {
				var x float64
				_, _ = fmt.Sscan(v, &x)
				vals[j] = x
			}
		}
		require.NoError(b, g.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &vals))
	}
	buf, err := g.WriteToBuffer()
	require.NoError(b, err)
	_ = f.Close()
	_ = g.Close()
	benchReadList(b, "a.xlsx", buf.Bytes())
}

// ---- coordinate systems ----

func mustCRS(t testing.TB, name string) crs.CRS {
	t.Helper()
	c, err := crs.Parse(name)
	require.NoError(t, err)
	return c
}

// assertListNearM compares positions within tol metres.
func assertListNearM(t *testing.T, want, got orb.Point, tol float64) {
	t.Helper()
	dx := (got[0] - want[0]) * 111_320 * math.Cos(want[1]*math.Pi/180)
	dy := (got[1] - want[1]) * 110_574
	assert.LessOrEqual(t, math.Hypot(dx, dy), tol, "got %v, want %v (%.3f m apart)", got, want, math.Hypot(dx, dy))
}

// assertListNearDeg compares every position of two geometries of the
// same shape within tol degrees.
func assertListNearDeg(t *testing.T, want, got orb.Geometry, tol float64) {
	t.Helper()
	require.NotNil(t, got)
	require.Equal(t, want.GeoJSONType(), got.GeoJSONType())
	var w, g []orb.Point
	geo.EachPoint(want, func(p orb.Point) { w = append(w, p) })
	geo.EachPoint(got, func(p orb.Point) { g = append(g, p) })
	require.Len(t, g, len(w))
	for i := range w {
		assert.InDelta(t, w[i][0], g[i][0], tol, "point %d lon: got %v, want %v", i, g[i], w[i])
		assert.InDelta(t, w[i][1], g[i][1], tol, "point %d lat: got %v, want %v", i, g[i], w[i])
	}
}

// PROJ 9.1.1 (crs/testdata/gk_proj.csv): CGCS2000 106.5°E 29.56°N is
// easting 354627.802645230258, northing 3272278.861192751676 in
// EPSG:4545 (3° zone, central meridian 108°E) and easting
// 36354627.802645230258 in EPSG:4524 (the same zone, number 36 in front).
const (
	gkLon, gkLat = 106.5, 29.56
	gkE, gkN     = "354627.802645230258", "3272278.861192751676"
	gkEZone      = "36354627.802645230258"
)

// yuzhong is the seat of 渝中区 in CGCS2000.
var yuzhong = orb.Point{106.569, 29.553}

// forward converts a CGCS2000 point to c, for fixtures.
func forward(t testing.TB, c crs.CRS, p orb.Point) orb.Point {
	t.Helper()
	q, err := c.FromCGCS2000(p)
	require.NoError(t, err)
	return q
}

// Sites given in other coordinate systems come back in CGCS2000.
//
//	X (北坐标, northing) ↑
//	                     │   • (Y 354627.80, X 3272278.86) in EPSG:4545
//	                     └──────→ Y (东坐标, easting)
func TestProjectListCRS(t *testing.T) {
	gcj := forward(t, crs.GCJ02, yuzhong)
	bd := forward(t, crs.BD09, yuzhong)
	want := orb.Point{gkLon, gkLat}
	tests := []struct {
		name    string
		fileCRS string // ListOptions.CRS; "" leaves it zero
		csv     string
		want    orb.Point
		tol     float64 // metres
	}{
		{"X and Y in the list's EPSG:4545", "EPSG:4545", "项目名称,X,Y\n甲," + gkN + "," + gkE + "\n", want, 1e-6},
		{"X坐标 and Y坐标 with units", "EPSG:4545", "Y坐标（米）,X坐标（米）\n" + gkE + "," + gkN + "\n", want, 1e-6},
		{"东坐标 and 北坐标", "EPSG:4545", "东坐标,北坐标\n" + gkE + "," + gkN + "\n", want, 1e-6},
		{"E and N", "EPSG:4545", "E,N\n" + gkE + "," + gkN + "\n", want, 1e-6},
		{"easting and northing, metres and thousands", "EPSG:4545", "easting,northing\n\"354,627.802645 m\",3272278.861192751676米\n", want, 1e-3},
		{"zone number in the easting", "EPSG:4524", "X,Y\n" + gkN + "," + gkEZone + "\n", want, 1e-6},
		{"row 坐标系 overrides the list's", "", "X,Y,坐标系\n" + gkN + "," + gkE + ",EPSG:4545\n", want, 1e-6},
		{"row 坐标系 by ESRI name", "EPSG:4490", "X,Y,坐标系\n" + gkN + "," + gkE + ",CGCS2000_3_Degree_GK_CM_108E\n", want, 1e-6},
		{"both pairs filled: X/Y in a projected system", "EPSG:4545", "经度,纬度,X,Y\n1,2," + gkN + "," + gkE + "\n", want, 1e-6},
		{"both pairs filled: 经度/纬度 otherwise", "", "经度,纬度,X,Y\n106.5,29.56,1,2\n", want, 0},
		{"WGS84 is taken as CGCS2000", "EPSG:4326", "经度,纬度\n106.5,29.56\n", want, 0},
		{"GCJ-02 longitude and latitude", "GCJ02", fmt.Sprintf("经度,纬度\n%.9f,%.9f\n", gcj[0], gcj[1]), yuzhong, 0.5},
		{"GCJ-02 in the row", "", fmt.Sprintf("经度,纬度,坐标系\n%.9f,%.9f,火星坐标\n", gcj[0], gcj[1]), yuzhong, 0.5},
		{"GCJ-02 in 度分秒", "GCJ02", fmt.Sprintf("经度,纬度\n\"%s\",\"%s\"\n", dms(gcj[0], "E"), dms(gcj[1], "N")), yuzhong, 0.5},
		{"BD-09 in the row", "EPSG:4545", fmt.Sprintf("经度,纬度,坐标系\n%.9f,%.9f,BD-09\n", bd[0], bd[1]), yuzhong, 0.5},
		{"GCJ-02 coordinate text", "GCJ02", fmt.Sprintf("坐标串\n\"%.9f,%.9f\"\n", gcj[0], gcj[1]), yuzhong, 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := ListOptions{}
			if tc.fileCRS != "" {
				opts.CRS = mustCRS(t, tc.fileCRS)
			}
			_, rows, err := readListFile(t, "a.csv", []byte(tc.csv), opts)
			require.NoError(t, err)
			require.Len(t, rows, 1)
			got := listPoint(t, rows[0])
			if tc.tol == 0 {
				assert.Equal(t, tc.want, got)
				return
			}
			assertListNearM(t, tc.want, got, tc.tol)
			if tc.tol <= 1e-6 {
				assertListNear(t, tc.want, got)
			}
		})
	}
}

// dms writes v in 度分秒 with a hemisphere mark, seconds to 1e-4″.
func dms(v float64, hemi string) string {
	d := math.Floor(v)
	m := math.Floor((v - d) * 60)
	s := ((v-d)*60 - m) * 60
	return fmt.Sprintf("%.0f°%.0f'%.4f\"\"%s", d, m, s, hemi)
}

// Points over Chongqing in each of its Gauss-Krüger zones, given as X/Y
// (northing first, as surveyors write them), come back within 1e-7°.
func TestProjectListGaussKrugerZones(t *testing.T) {
	for _, name := range []string{"EPSG:4544", "EPSG:4545", "EPSG:4546", "EPSG:4523", "EPSG:4524", "EPSG:4525", "EPSG:4507"} {
		t.Run(name, func(t *testing.T) {
			c := mustCRS(t, name)
			var b strings.Builder
			b.WriteString("项目名称,X,Y\n")
			var want []orb.Point
			for lon := c.CentralMeridian - 1.4; lon <= c.CentralMeridian+1.4; lon += 0.7 {
				for lat := 28.2; lat <= 32.2; lat += 1 {
					p := orb.Point{lon, lat}
					q := forward(t, c, p)
					fmt.Fprintf(&b, "点,%.4f,%.4f\n", q[1], q[0])
					want = append(want, p)
				}
			}
			_, rows, err := readListFile(t, "a.csv", []byte(b.String()), ListOptions{CRS: c})
			require.NoError(t, err)
			require.Len(t, rows, len(want))
			for i, r := range rows {
				got := listPoint(t, r)
				assert.InDelta(t, want[i][0], got[0], 1e-7, "line %d lon", r.Line)
				assert.InDelta(t, want[i][1], got[1], 1e-7, "line %d lat", r.Line)
			}
		})
	}
}

// 坐标串 cells in a projected system: WKT and vertex lists, x the
// easting and y the northing (the WKT order), whatever the EPSG axis
// order.
func TestProjectListCRSCoordinateText(t *testing.T) {
	c := mustCRS(t, "EPSG:4545")
	square := orb.Polygon{{{106.5, 29.56}, {106.503, 29.56}, {106.503, 29.563}, {106.5, 29.563}, {106.5, 29.56}}}
	var wktText, list strings.Builder
	wktText.WriteString("POLYGON((")
	for i, p := range square[0] {
		q := forward(t, c, p)
		if i > 0 {
			wktText.WriteString(", ")
			list.WriteString(";")
		}
		fmt.Fprintf(&wktText, "%.4f %.4f", q[0], q[1])
		fmt.Fprintf(&list, "J%d,%.4f,%.4f", i+1, q[0], q[1])
	}
	wktText.WriteString("))")
	line := orb.LineString{{106.5, 29.56}, {106.6, 29.6}}
	lq0, lq1 := forward(t, c, line[0]), forward(t, c, line[1])
	tests := []struct {
		name, fileCRS, row string
		want               orb.Geometry
	}{
		{"WKT polygon in the list's system", "EPSG:4545", `"` + wktText.String() + `",`, square},
		{"WKT in the row's system", "", `"` + wktText.String() + `",EPSG:4545`, square},
		{"EWKT SRID names the system", "", `"SRID=4545;` + wktText.String() + `",`, square},
		{"EWKT SRID agrees with the row", "", `"SRID=4545;` + wktText.String() + `",EPSG:4545`, square},
		{"vertex list", "EPSG:4545", `"` + list.String() + `",`, square},
		{"WKT line", "EPSG:4545", fmt.Sprintf(`"LINESTRING(%.4f %.4f, %.4f %.4f)",`, lq0[0], lq0[1], lq1[0], lq1[1]), line},
		{"WKT point in GCJ-02", "", fmt.Sprintf(`"POINT(%.9f %.9f)",GCJ02`, forward(t, crs.GCJ02, yuzhong)[0], forward(t, crs.GCJ02, yuzhong)[1]), yuzhong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := ListOptions{}
			if tc.fileCRS != "" {
				opts.CRS = mustCRS(t, tc.fileCRS)
			}
			_, rows, err := readListFile(t, "a.csv", []byte("坐标串,坐标系\n"+tc.row+"\n"), opts)
			require.NoError(t, err)
			require.Len(t, rows, 1)
			require.Nil(t, rows[0].Error, "%v", rows[0].Error)
			tol := 1e-7
			if tc.want == yuzhong {
				tol = 5e-6 // GCJ-02 written to 1e-9°, within 0.5 m
			}
			assertListNearDeg(t, tc.want, rows[0].Geometry, tol)
		})
	}
}

func TestProjectListCRSRowErrors(t *testing.T) {
	const header = "项目名称,经度,纬度,X,Y,坐标串,坐标系"
	tests := []struct {
		name, fileCRS, row string
		code, column       string
		contains           []string
	}{
		{"X and Y swapped", "EPSG:4545", "甲,,," + gkE + "," + gkN + ",,", batch.ErrCodeBadCoordinates, "site",
			[]string{"第 3 行：「X」354627.802645230258、「Y」3272278.861192751676 无法按 EPSG:4545 换算为经纬度：「X」与「Y」的数值似乎填反了：「X」应为北坐标（X，纵坐标），「Y」应为东坐标（Y，横坐标）。", "x、y 似乎颠倒了"}},
		{"X and Y with the default CGCS2000", "", "甲,,," + gkN + "," + gkE + ",,", batch.ErrCodeBadCoordinates, "site",
			[]string{"第 3 行：「X」「Y」是投影坐标（米，X 为北坐标、Y 为东坐标），需要高斯-克吕格投影坐标系，而本清单的坐标系 CGCS2000 经纬度（EPSG:4490）是经纬度", "EPSG:4544、4545、4546"}},
		{"X and Y with a geographic row 坐标系", "EPSG:4545", "甲,,," + gkN + "," + gkE + ",,WGS84", batch.ErrCodeBadCoordinates, "crs",
			[]string{"第 3 行「坐标系」列：「X」「Y」是投影坐标", "而坐标系 WGS84 经纬度（EPSG:4326）是经纬度"}},
		{"X and Y in GCJ-02", "GCJ02", "甲,,," + gkN + "," + gkE + ",,", batch.ErrCodeBadCoordinates, "site", []string{"GCJ-02"}},
		{"X and Y that look like degrees", "", "甲,,,106.5,29.56,,", batch.ErrCodeBadCoordinates, "site", []string{"若「X」「Y」是经度和纬度，请把表头改为「经度」「纬度」"}},
		{"X and Y with a zone number, no projection", "", "甲,,," + gkN + "," + gkEZone + ",,", batch.ErrCodeBadCoordinates, "site", []string{"东坐标以带号 36 开头，可能是 CGCS2000 / 3度带高斯-克吕格投影 第 36 带 CM 108°E（EPSG:4524）"}},
		{"zone number in the wrong projection", "EPSG:4545", "甲,,," + gkN + "," + gkEZone + ",,", batch.ErrCodeBadCoordinates, "site", []string{"东坐标以带号 36 开头，应选择 EPSG:4524"}},
		{"out of zone", "EPSG:4545", "甲,,,3272278.86,1200000,,", batch.ErrCodeBadCoordinates, "site", []string{"不在 EPSG:4545 的投影带内"}},
		{"converted outside China", "EPSG:4545", "甲,,,100000,500000,,", batch.ErrCodeBadCoordinates, "site", []string{"超出中国范围", "请检查坐标系是否选对"}},
		{"X without Y", "EPSG:4545", "甲,,," + gkN + ",,,", batch.ErrCodeBadCoordinates, "easting", []string{"第 3 行「Y」列：没有填写；「X」与「Y」需同时填写。"}},
		{"X unreadable", "EPSG:4545", "甲,,,三百万," + gkE + ",,", batch.ErrCodeBadCoordinates, "northing", []string{`第 3 行「X」列：无法识别的坐标 "三百万"：北坐标 是投影坐标`}},
		{"unknown row 坐标系", "", "甲,106.5,29.56,,,,EPSG:2383", CodeUnsupportedCRS, "crs", []string{`第 3 行「坐标系」列：不支持的坐标系 "EPSG:2383"：EPSG:2383 是西安 80 坐标系的高斯-克吕格投影`, "可用的坐标系：", "GCJ02"}},
		{"经度/纬度 in the list's projection", "EPSG:4545", "甲,106.5,29.56,,,,", batch.ErrCodeBadCoordinates, "site",
			[]string{"第 3 行：本清单的坐标系 CGCS2000 / 3度带高斯-克吕格投影 CM 108°E（EPSG:4545）是投影坐标（米），而「经度」「纬度」是经纬度（度），两者不符：投影坐标请填在「X」（北坐标）「Y」（东坐标）列"}},
		{"GCJ-02 swapped", "GCJ02", "甲,29.553,106.569,,,,", batch.ErrCodeBadCoordinates, "site", []string{"经纬度可能填反了"}},
		{"metres in 经度 with GCJ-02", "GCJ02", "甲,354627.8,3272278.9,,,,", batch.ErrCodeBadCoordinates, "lon", []string{"数值像是投影坐标（米）"}},
		{"WKT out of zone", "EPSG:4545", `甲,,,,,"POLYGON((354627.8 3272278.9, 1354627.8 3272278.9, 354627.8 3273278.9, 354627.8 3272278.9))",`, batch.ErrCodeBadCoordinates, "wkt",
			[]string{"第 3 行「坐标串」列：坐标串（多边形第 1 个环第 2 个点）无法按 EPSG:4545 换算为经纬度"}},
		{"WKT degrees in a projection", "EPSG:4545", `甲,,,,,"POINT(106.5 29.56)",`, batch.ErrCodeBadCoordinates, "wkt", []string{"无法按 EPSG:4545 换算为经纬度"}},
		{"WKT metres without a projection", "", `甲,,,,,"POINT(354627.8 3272278.9)",`, batch.ErrCodeBadCoordinates, "wkt", []string{"数值像是投影坐标（米）", "东坐标在前、北坐标在后"}},
		{"WKT SRID against the row 坐标系", "", `甲,,,,,"SRID=4545;POINT(354627.8 3272278.9)",GCJ02`, batch.ErrCodeBadCoordinates, "wkt", []string{"SRID=4545", "不一致"}},
		{"vertex list out of zone", "EPSG:4545", `甲,,,,,"1200000,3272278.9",`, batch.ErrCodeBadCoordinates, "wkt", []string{"单元格内第 1 行", "EPSG:4545"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := ListOptions{}
			if tc.fileCRS != "" {
				opts.CRS = mustCRS(t, tc.fileCRS)
			}
			_, rows, err := readListFile(t, "a.csv", []byte(header+"\n乙,106.55,29.56,,,,EPSG:4490\n"+tc.row+"\n"), opts)
			require.NoError(t, err)
			require.Len(t, rows, 2)
			r := rows[1]
			require.NotNil(t, r.Error)
			assert.Nil(t, r.Geometry)
			assert.Equal(t, tc.code, r.Error.Code, r.Error.Message)
			assert.Equal(t, tc.column, r.Error.Column, r.Error.Message)
			for _, s := range tc.contains {
				assert.Contains(t, r.Error.Message, s)
			}
		})
	}
}

func TestProjectListCRSOption(t *testing.T) {
	l, err := OpenProjectList("a.csv", strings.NewReader("经度,纬度\n106.5,29.5\n"), ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, crs.CGCS2000, l.CRS, "the zero CRS is CGCS2000")
	require.NoError(t, l.Close())
	l, err = OpenProjectList("a.csv", strings.NewReader("X,Y\n1,2\n"), ListOptions{CRS: crs.GCJ02})
	require.NoError(t, err)
	assert.Equal(t, crs.GCJ02, l.CRS)
	require.NoError(t, l.Close())
}

// X and Y in an xlsx are read from the stored value: a number format
// showing whole metres does not round them.
func TestProjectListXLSXProjectedNumbers(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	s := "Sheet1"
	n, e := 3272278.861192751676, 354627.802645230258
	require.NoError(t, f.SetSheetRow(s, "A1", &[]any{"项目名称", "X", "Y"}))
	require.NoError(t, f.SetSheetRow(s, "A2", &[]any{"甲", n, e}))
	whole, err := f.NewStyle(&excelize.Style{NumFmt: 1}) // 0
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle(s, "B2", "C2", whole))
	buf, err := f.WriteToBuffer()
	require.NoError(t, err)
	_, rows, err := readListFile(t, "a.xlsx", buf.Bytes(), ListOptions{CRS: mustCRS(t, "EPSG:4545")})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, "3272279", rows[0].Cells[1], "Cells are as displayed")
	assertListNear(t, orb.Point{gkLon, gkLat}, listPoint(t, rows[0]))
}
