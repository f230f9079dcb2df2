package data

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/crs"
)

// ErrWKT is returned by ParseCoordinateText when the text starts with a
// WKT keyword (POINT, LINESTRING, POLYGON, MULTI…): the caller parses it
// with its own WKT parser.
var ErrWKT = errors.New("data: text is WKT")

// Site input error codes (SiteFileError.Code), stable for programs.
const (
	CodeUnsupportedFile  = "unsupported_file"
	CodeMalformedFile    = "malformed_file"
	CodeTooLarge         = "too_large"
	CodeEmptyFile        = "empty_file"
	CodeProjectedCRS     = "projected_crs"
	CodeUnsupportedCRS   = "unsupported_crs"
	CodeMalformedCoords  = "malformed_coordinates"
	CodeInvalidKind      = "invalid_kind"
	MaxSiteVertices      = 100_000
	MaxSiteUncompressed  = 50 << 20
	maxZipEntries        = 1000
	maxCoordinateTextLen = 10 << 20
)

// SiteFileError is a site upload or typed-coordinate input that cannot be
// read: a stable Code (Code… constants), a Chinese Message for people and,
// for text input, the 1-based Line it concerns (0 when not tied to a line).
type SiteFileError struct {
	Code    string
	Message string
	Line    int
}

func (e *SiteFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("data: %s: line %d: %s", e.Code, e.Line, e.Message)
	}
	return fmt.Sprintf("data: %s: %s", e.Code, e.Message)
}

func siteErr(code string, line int, format string, args ...any) *SiteFileError {
	return &SiteFileError{Code: code, Message: fmt.Sprintf(format, args...), Line: line}
}

var wktKeyword = regexp.MustCompile(`(?i)^\s*(SRID\s*=\s*\d+\s*;\s*)?(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)\b`)

// ParseCoordinateText parses typed coordinates (CGCS2000/WGS84 degrees,
// longitude first unless the values carry N/S and E/W marks):
//
//   - one point: "106.55, 29.56", "106.55 29.56";
//   - 度分秒: "106°33'12.5\"E 29°33'36\"N", "106度33分12.5秒 29度33分36秒",
//     "E106°33′12.5″, N29°33′36″", or latitude first when marked
//     ("N29°33′36″ E106°33′12.5″", swapped to lon, lat);
//   - a vertex list, one vertex per line (";" also separates vertices, and
//     so do spaces between "lon,lat" pairs: "106.55,29.80 106.56,29.80"),
//     with an optional leading point-number column ("J1,106.55,29.56",
//     "1 106.55 29.56") and an optional header line without digits;
//     a third number after lon, lat (altitude) is ignored.
//
// kind is "auto" (or ""), "point", "line" or "polygon". auto gives a Point
// for one vertex, a Polygon for a closed list (first vertex == last, at
// least four) and a LineString otherwise; "polygon" closes an open list of
// at least three vertices. Text starting with a WKT keyword gives ErrWKT.
// Other failures are a *SiteFileError naming the line. The result is not
// validated beyond coordinate ranges (see geo.ValidateSite).
func ParseCoordinateText(text, kind string) (orb.Geometry, error) {
	return ParseCoordinateTextIn(text, kind, crs.CGCS2000)
}

// ParseCoordinateTextIn is ParseCoordinateText for coordinates given in
// c, converted to CGCS2000 lon/lat. With a projected c (Gauss-Krüger) the
// numbers are metres, easting first — except under a header line naming
// the columns X and Y (or 北坐标 and 东坐标) in that order: the Chinese
// surveying convention X = northing, Y = easting, so such lists are read
// northing first. 度分秒 is refused in a projected c. GCJ-02 and BD-09
// lists are degrees, as for CGCS2000. A vertex c cannot convert (outside
// its zone, say) is a *SiteFileError naming its line, with crs's hint.
func ParseCoordinateTextIn(text, kind string, c crs.CRS) (orb.Geometry, error) {
	switch kind {
	case "", "auto", "point", "line", "polygon":
	default:
		return nil, siteErr(CodeInvalidKind, 0, "几何类型 %q 无效：应为 auto（自动）、point（点）、line（线）或 polygon（面）。", kind)
	}
	if len(text) > maxCoordinateTextLen {
		return nil, siteErr(CodeTooLarge, 0, "坐标文本超过 %d MB。", maxCoordinateTextLen>>20)
	}
	text = strings.TrimPrefix(text, "\ufeff")
	if strings.TrimSpace(text) == "" {
		return nil, siteErr(CodeEmptyFile, 0, "没有输入坐标。")
	}
	if wktKeyword.MatchString(text) {
		return nil, ErrWKT
	}
	projected := c.Kind == crs.KindGaussKruger
	var pts []orb.Point
	var lines []int
	sawData := false
	northingFirst := false
	for i, line := range splitLines(text) {
		n := i + 1
		split := func(r rune) bool { return r == ';' || r == '；' }
		if commaPairs(line) {
			split = func(r rune) bool { return r == ';' || r == '；' || unicode.IsSpace(r) }
		}
		for _, part := range strings.FieldsFunc(line, split) {
			part = strings.TrimSpace(part)
			if part == "" || strings.HasPrefix(part, "#") {
				continue
			}
			if !sawData && !strings.ContainsAny(part, "0123456789") {
				northingFirst = northingFirst || surveyHeader(part)
				continue // a header line such as 点号,经度,纬度
			}
			sawData = true
			p, err := parseVertex(part, n, projected)
			if err != nil {
				return nil, err
			}
			if len(pts) >= MaxSiteVertices {
				return nil, siteErr(CodeTooLarge, n, "顶点超过 %d 个。", MaxSiteVertices)
			}
			pts = append(pts, p)
			lines = append(lines, n)
		}
	}
	if len(pts) == 0 {
		return nil, siteErr(CodeEmptyFile, 0, "没有找到坐标：每行应有一个顶点，如 106.55,29.56。")
	}
	if err := toCGCS2000(pts, lines, c, projected && northingFirst); err != nil {
		return nil, err
	}
	return shapeOf(pts, lines, kind)
}

// surveyHeader reports whether a header line names the columns X and Y
// (or 北坐标 and 东坐标) with X first: the surveying order, northing first.
func surveyHeader(h string) bool {
	x, y := -1, -1
	for i, f := range strings.FieldsFunc(strings.ToUpper(h), func(r rune) bool {
		return r == ',' || r == '，' || r == ';' || r == '；' || unicode.IsSpace(r)
	}) {
		switch strings.Trim(f, "()（）坐标") {
		case "X", "北", "N", "NORTHING":
			if x < 0 {
				x = i
			}
		case "Y", "东", "E", "EASTING":
			if y < 0 {
				y = i
			}
		}
	}
	return x >= 0 && y >= 0 && x < y
}

// toCGCS2000 converts vertices given in c in place, swapping each
// (northing, easting) pair first when northingFirst.
func toCGCS2000(pts []orb.Point, lines []int, c crs.CRS, northingFirst bool) error {
	if c == crs.CGCS2000 || c == crs.WGS84 {
		return nil // the same to centimetres
	}
	for i, p := range pts {
		if northingFirst {
			p = orb.Point{p[1], p[0]}
		}
		q, err := c.ToCGCS2000(p)
		if err != nil {
			msg := err.Error()
			var pe *crs.PointError
			if errors.As(err, &pe) {
				msg = pe.Message
			}
			return siteErr(CodeMalformedCoords, lines[i], "第 %d 行：%s", lines[i], msg)
		}
		pts[i] = q
	}
	return nil
}

// commaPair is one "lon,lat" pair written without spaces.
var commaPair = regexp.MustCompile(`^[-+]?\d+(\.\d+)?,[-+]?\d+(\.\d+)?$`)

// commaPairs reports whether a line is two or more "lon,lat" pairs
// separated by spaces (a 坐标串 as many systems write it). A line such as
// "1 106.55 29.56" (point number, lon, lat) is not.
func commaPairs(line string) bool {
	fields := strings.FieldsFunc(line, func(r rune) bool { return r == ';' || r == '；' || unicode.IsSpace(r) })
	if len(fields) < 2 {
		return false
	}
	for _, f := range fields {
		if !commaPair.MatchString(f) {
			return false
		}
	}
	return true
}

func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	return strings.Split(text, "\n")
}

// shapeOf turns the vertices into the geometry kind asks for.
func shapeOf(pts []orb.Point, lines []int, kind string) (orb.Geometry, error) {
	last := lines[len(lines)-1]
	closed := len(pts) >= 4 && pts[0] == pts[len(pts)-1]
	switch kind {
	case "point":
		if len(pts) != 1 {
			return nil, siteErr(CodeMalformedCoords, lines[1], "选择了“点”，但输入了 %d 个顶点：点只能有一个坐标。", len(pts))
		}
		return pts[0], nil
	case "line":
		if len(pts) < 2 {
			return nil, siteErr(CodeMalformedCoords, last, "选择了“线”，至少需要 2 个顶点，只有 %d 个。", len(pts))
		}
		return orb.LineString(pts), nil
	case "polygon":
		if !closed {
			if len(pts) < 3 {
				return nil, siteErr(CodeMalformedCoords, last, "选择了“面”，至少需要 3 个顶点，只有 %d 个。", len(pts))
			}
			if pts[0] != pts[len(pts)-1] {
				pts = append(pts, pts[0])
			}
			if len(pts) < 4 {
				return nil, siteErr(CodeMalformedCoords, last, "选择了“面”，至少需要 3 个不同的顶点。")
			}
		}
		return orb.Polygon{orb.Ring(pts)}, nil
	}
	switch {
	case len(pts) == 1:
		return pts[0], nil
	case closed:
		return orb.Polygon{orb.Ring(pts)}, nil
	}
	return orb.LineString(pts), nil
}

var (
	dmsReplacer = strings.NewReplacer(
		"东经", "E", "西经", "W", "北纬", "N", "南纬", "S",
		"度", "°", "º", "°", "˚", "°", "分", "'", "秒", `"`,
		"′′", `"`, "''", `"`, "′", "'", "’", "'", "‘", "'", "″", `"`, "”", `"`, "“", `"`,
		"，", ",", "\t", " ", "　", " ", "－", "-",
	)
	hemiNextToNumber = regexp.MustCompile(`[NSEW]\s*-?\d|\d\s*[NSEW]`)
	dmsToken         = regexp.MustCompile(`([NSEW])?\s*(-)?(\d+(?:\.\d+)?)\s*(°)?(?:\s*(\d+(?:\.\d+)?)\s*')?(?:\s*(\d+(?:\.\d+)?)\s*")?([NSEW])?`)
	fieldSep         = regexp.MustCompile(`[,\s]+`)
)

// parseVertex reads one vertex from a line (decimal degrees with an
// optional point number, or 度分秒 / hemisphere-marked values).
// parseVertex reads one vertex; projected vertices are metres (no range
// check here, no 度分秒).
func parseVertex(s string, line int, projected bool) (orb.Point, error) {
	s = strings.ToUpper(dmsReplacer.Replace(s))
	if strings.ContainsAny(s, `°'"`) || hemiNextToNumber.MatchString(s) {
		if projected {
			return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行“%s”是度分秒，但所选坐标系是投影坐标（米）：请改选经纬度坐标系，或填写平面坐标。", line, clip(s))
		}
		return parseDMSVertex(s, line)
	}
	fields := fieldSep.Split(strings.Trim(s, ", "), -1)
	var lon, lat string
	switch len(fields) {
	case 2:
		lon, lat = fields[0], fields[1]
	case 3:
		// "J1 106.55 29.56" or "1 106.55 29.56" (point number), else
		// "106.55 29.56 300" (altitude).
		if isPointNumber(fields[0]) {
			lon, lat = fields[1], fields[2]
		} else {
			lon, lat = fields[0], fields[1]
		}
	case 4:
		lon, lat = fields[1], fields[2]
	default:
		return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行“%s”无法识别：应为“经度,纬度”，可在前面加点号，如 J1,106.55,29.56。", line, clip(s))
	}
	x, err1 := strconv.ParseFloat(lon, 64)
	y, err2 := strconv.ParseFloat(lat, 64)
	if err1 != nil || err2 != nil {
		return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行“%s”中的坐标不是数字。", line, clip(s))
	}
	if projected {
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：坐标不是有限的数。", line)
		}
		return orb.Point{x, y}, nil
	}
	return checkLonLat(x, y, line)
}

func isPointNumber(f string) bool {
	if _, err := strconv.ParseFloat(f, 64); err != nil {
		return true
	}
	return !strings.ContainsAny(f, ".eE")
}

type dmsValue struct {
	v    float64
	hemi byte // 0, 'N', 'S', 'E' or 'W'
}

func parseDMSVertex(s string, line int) (orb.Point, error) {
	var vals []dmsValue
	for _, m := range dmsToken.FindAllStringSubmatch(s, -1) {
		lead, neg, deg, degMark, min, sec, trail := m[1], m[2], m[3], m[4], m[5], m[6], m[7]
		if degMark == "" && lead == "" && trail == "" {
			continue // a point number such as J1
		}
		if lead != "" && trail != "" && lead != trail {
			return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：同一个坐标前后标了不同的方位（%s 与 %s）。", line, lead, trail)
		}
		if degMark == "" && (min != "" || sec != "") {
			return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：度分秒缺少“°”或“度”。", line)
		}
		d, _ := strconv.ParseFloat(deg, 64)
		v := d
		if min != "" {
			mv, _ := strconv.ParseFloat(min, 64)
			if mv >= 60 {
				return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：分应小于 60，收到 %s。", line, min)
			}
			v += mv / 60
		}
		if sec != "" {
			sv, _ := strconv.ParseFloat(sec, 64)
			if sv >= 60 {
				return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：秒应小于 60，收到 %s。", line, sec)
			}
			v += sv / 3600
		}
		h := lead + trail
		var hemi byte
		if h != "" {
			hemi = h[0]
		}
		if neg != "" {
			v = -v
		}
		if hemi == 'S' || hemi == 'W' {
			if neg != "" {
				return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：负号与 %c 不能同时使用。", line, hemi)
			}
			v = -v
		}
		vals = append(vals, dmsValue{v, hemi})
	}
	if len(vals) != 2 {
		return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行“%s”无法识别：应有经度和纬度两个值，如 106°33'12.5\"E 29°33'36\"N。", line, clip(s))
	}
	a, b := vals[0], vals[1]
	isLat := func(h byte) bool { return h == 'N' || h == 'S' }
	isLon := func(h byte) bool { return h == 'E' || h == 'W' }
	switch {
	case (isLat(a.hemi) && isLat(b.hemi)) || (isLon(a.hemi) && isLon(b.hemi)):
		return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：两个值都标成了%s，应一个经度（E/W）一个纬度（N/S）。", line, map[bool]string{true: "纬度", false: "经度"}[isLat(a.hemi)])
	case isLat(a.hemi) || isLon(b.hemi):
		a, b = b, a // latitude first: swap to lon, lat
	}
	return checkLonLat(a.v, b.v, line)
}

func checkLonLat(x, y float64, line int) (orb.Point, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
		return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：坐标不是有限的数。", line)
	}
	if x < -180 || x > 180 {
		return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：经度 %g 超出 -180 到 180；若是投影坐标（米），请选择对应的坐标系（如 CGCS2000 3 度带 EPSG:4545）。", line, x)
	}
	if y < -90 || y > 90 {
		hint := ""
		if x >= -90 && x <= 90 && y >= -180 && y <= 180 {
			hint = "是否把经纬度写反了？应经度在前。"
		}
		return orb.Point{}, siteErr(CodeMalformedCoords, line, "第 %d 行：纬度 %g 超出 -90 到 90。%s", line, y, hint)
	}
	return orb.Point{x, y}, nil
}

// clip shortens s for a message.
func clip(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
