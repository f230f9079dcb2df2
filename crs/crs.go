// Package crs converts the coordinate systems sanxian accepts into
// CGCS2000 geographic coordinates (EPSG:4490, longitude and latitude in
// degrees) and back: CGCS2000 and WGS84 longitude/latitude, the CGCS2000
// Gauss-Krüger projections (3° and 6° zones, with or without the zone
// number in the easting: EPSG:4491–4554), and the offset coordinates of
// Chinese web maps, GCJ-02 (高德, 腾讯) and BD-09 (百度).
//
// Axis order: a point is always orb.Point{x, y} with x the easting or
// longitude and y the northing or latitude, whatever order the EPSG
// database gives (EPSG:4490 is latitude-first and EPSG:4545 is
// northing-first there). Chinese surveying calls the northing X and the
// easting Y; here x is that Y and y is that X.
//
// Datums: WGS84 and CGCS2000 differ by a few centimetres in China, far
// below what siting can tell, so WGS84 (EPSG:4326) is treated as equal to
// CGCS2000, and GCJ-02, which is defined on WGS84, is taken to be an
// offset of CGCS2000.
//
// Accuracy: the Gauss-Krüger projections (Krüger's series to sixth order,
// after Karney 2011) agree with PROJ 9.1 to about 1e-5 mm forward and
// 1e-12° back, across their zones and beyond, latitudes 18°–54°
// (testdata/gk_proj*.csv). GCJ-02 and BD-09 are converted back by
// iteration until the published forward formulas reproduce the input to
// 1e-12°.
//
// The package is pure Go, has no state and is safe for concurrent use.
// It reads no files and does no logging.
package crs

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is the family of a CRS.
type Kind string

// Kinds of CRS.
const (
	// KindGeographic: longitude and latitude in degrees on CGCS2000 or
	// WGS84 (taken as equal).
	KindGeographic Kind = "geographic"
	// KindGaussKruger: a transverse Mercator projection of CGCS2000 with
	// scale 1 on the central meridian, easting and northing in metres.
	KindGaussKruger Kind = "gauss_kruger"
	// KindGCJ02: the offset longitude and latitude of 高德 and 腾讯 maps.
	KindGCJ02 Kind = "gcj02"
	// KindBD09: the offset longitude and latitude of 百度 maps.
	KindBD09 Kind = "bd09"
)

// CRS is a coordinate system sanxian accepts. Obtain one from Parse,
// FromPRJ, All or the package variables; the zero CRS is not valid and
// its conversions return an error. A CRS is a small value, comparable
// with ==.
type CRS struct {
	// Name is the canonical name: "EPSG:4490", "EPSG:4326",
	// "EPSG:4491" … "EPSG:4554", "GCJ02" or "BD09". Parse(c.Name)
	// returns c.
	Name string
	// EPSG is the EPSG code, 0 for GCJ02 and BD09.
	EPSG int
	// Kind is the family.
	Kind Kind
	// Title is a Chinese description for people, e.g.
	// "CGCS2000 / 3度带高斯-克吕格投影 CM 108°E（EPSG:4545）".
	Title string

	// The fields below are set for KindGaussKruger only.

	// CentralMeridian is the longitude of the central meridian in degrees
	// east.
	CentralMeridian float64
	// ZoneWidth is 3 or 6 (degrees). Conversions accept points up to one
	// zone width from the central meridian (±3° for a 3° zone, ±6° for a
	// 6° zone), which covers the overlap surveys use at zone edges.
	ZoneWidth int
	// Zone is the zone number: 25–45 for 3° zones (central meridian
	// 3·Zone), 13–23 for 6° zones (central meridian 6·Zone−3).
	Zone int
	// ZoneInEasting says the easting carries the zone number in front of
	// the 6-digit easting (e.g. 36 500 000 m on the central meridian of
	// zone 36), as in EPSG:4491–4501 and 4513–4533.
	ZoneInEasting bool
	// FalseEasting in metres: 500 000, or Zone·1 000 000 + 500 000 when
	// ZoneInEasting. The false northing is 0 and the latitude of origin
	// the equator.
	FalseEasting float64
}

// String returns the canonical name.
func (c CRS) String() string { return c.Name }

// The CRSs that are not Gauss-Krüger projections.
var (
	// CGCS2000 is longitude and latitude on the China Geodetic Coordinate
	// System 2000 (EPSG:4490): what sanxian computes in, and the default.
	CGCS2000 = CRS{Name: "EPSG:4490", EPSG: 4490, Kind: KindGeographic, Title: "CGCS2000 经纬度（EPSG:4490）"}
	// WGS84 is longitude and latitude on WGS84 (EPSG:4326), treated as
	// CGCS2000: the two differ by centimetres in China.
	WGS84 = CRS{Name: "EPSG:4326", EPSG: 4326, Kind: KindGeographic, Title: "WGS84 经纬度（EPSG:4326）"}
	// GCJ02 is the offset coordinate system of 高德 and 腾讯 maps.
	GCJ02 = CRS{Name: "GCJ02", Kind: KindGCJ02, Title: "GCJ-02（高德、腾讯地图）"}
	// BD09 is the offset coordinate system of 百度 maps (longitude and
	// latitude, not Baidu's Mercator metres).
	BD09 = CRS{Name: "BD09", Kind: KindBD09, Title: "BD-09（百度地图）"}
)

// The EPSG code blocks of the CGCS2000 Gauss-Krüger projections, as PROJ
// 9.1's database has them (checked by TestEPSGTableMatchesPROJ against
// testdata/epsg_proj.txt, written by projinfo):
//
//	4491–4501  CGCS2000 / Gauss-Kruger zone 13–23          6°, zone in easting
//	4502–4512  CGCS2000 / Gauss-Kruger CM 75E–135E         6°
//	4513–4533  CGCS2000 / 3-degree Gauss-Kruger zone 25–45 3°, zone in easting
//	4534–4554  CGCS2000 / 3-degree Gauss-Kruger CM 75E–135E 3°
const (
	firstGK6Zone, firstZone6, lastZone6 = 4491, 13, 23
	firstGK6CM                          = 4502
	firstGK3Zone, firstZone3, lastZone3 = 4513, 25, 45
	firstGK3CM                          = 4534
	lastGK                              = 4554
)

// byEPSG returns the CRS with an EPSG code sanxian supports.
func byEPSG(code int) (CRS, bool) {
	switch {
	case code == 4490:
		return CGCS2000, true
	case code == 4326:
		return WGS84, true
	case code >= firstGK6Zone && code < firstGK6CM:
		return gaussKruger(code, 6, firstZone6+code-firstGK6Zone, true), true
	case code >= firstGK6CM && code < firstGK3Zone:
		return gaussKruger(code, 6, firstZone6+code-firstGK6CM, false), true
	case code >= firstGK3Zone && code < firstGK3CM:
		return gaussKruger(code, 3, firstZone3+code-firstGK3Zone, true), true
	case code >= firstGK3CM && code <= lastGK:
		return gaussKruger(code, 3, firstZone3+code-firstGK3CM, false), true
	}
	return CRS{}, false
}

// gkCode is the EPSG code of a CGCS2000 Gauss-Krüger zone, 0 if none.
func gkCode(width, zone int, inEasting bool) int {
	switch {
	case width == 3 && zone >= firstZone3 && zone <= lastZone3:
		if inEasting {
			return firstGK3Zone + zone - firstZone3
		}
		return firstGK3CM + zone - firstZone3
	case width == 6 && zone >= firstZone6 && zone <= lastZone6:
		if inEasting {
			return firstGK6Zone + zone - firstZone6
		}
		return firstGK6CM + zone - firstZone6
	}
	return 0
}

func gaussKruger(code, width, zone int, inEasting bool) CRS {
	cm := width * zone
	if width == 6 {
		cm -= 3
	}
	fe := 500000.0
	title := fmt.Sprintf("CGCS2000 / %d度带高斯-克吕格投影 CM %d°E（EPSG:%d）", width, cm, code)
	if inEasting {
		fe += float64(zone) * 1e6
		title = fmt.Sprintf("CGCS2000 / %d度带高斯-克吕格投影 第 %d 带 CM %d°E（EPSG:%d）", width, zone, cm, code)
	}
	return CRS{
		Name: "EPSG:" + strconv.Itoa(code), EPSG: code, Kind: KindGaussKruger, Title: title,
		CentralMeridian: float64(cm), ZoneWidth: width, Zone: zone, ZoneInEasting: inEasting, FalseEasting: fe,
	}
}

// All returns every CRS sanxian accepts: CGCS2000, WGS84, the 64
// Gauss-Krüger projections in EPSG order, GCJ02 and BD09. The slice is
// new on each call.
func All() []CRS {
	out := []CRS{CGCS2000, WGS84}
	for code := firstGK6Zone; code <= lastGK; code++ {
		c, _ := byEPSG(code)
		out = append(out, c)
	}
	return append(out, GCJ02, BD09)
}

// Accepted describes, in Chinese, the names Parse accepts: one entry per
// CRS or EPSG range, for error messages and the OpenAPI document. The
// slice is new on each call.
func Accepted() []string {
	return []string{
		"EPSG:4490（CGCS2000 经纬度，默认；也可写 CGCS2000 或留空）",
		"EPSG:4326（WGS84 经纬度，也可写 WGS84；与 CGCS2000 相差厘米级，按 CGCS2000 处理）",
		fmt.Sprintf("EPSG:%d–%d（CGCS2000 3度带高斯-克吕格投影，中央经线 75°E–135°E，东坐标不含带号）", firstGK3CM, lastGK),
		fmt.Sprintf("EPSG:%d–%d（CGCS2000 3度带高斯-克吕格投影，第 %d–%d 带，东坐标含带号）", firstGK3Zone, firstGK3CM-1, firstZone3, lastZone3),
		fmt.Sprintf("EPSG:%d–%d（CGCS2000 6度带高斯-克吕格投影，中央经线 75°E–135°E，东坐标不含带号）", firstGK6CM, firstGK3Zone-1),
		fmt.Sprintf("EPSG:%d–%d（CGCS2000 6度带高斯-克吕格投影，第 %d–%d 带，东坐标含带号）", firstGK6Zone, firstGK6CM-1, firstZone6, lastZone6),
		"GCJ02（GCJ-02，高德、腾讯地图坐标）",
		"BD09（BD-09，百度地图经纬度）",
	}
}

// UnknownError is returned by Parse for a name it does not accept.
type UnknownError struct {
	// Name is the name as given.
	Name string
	// Known says in Chinese what the name is when it is a coordinate
	// system sanxian recognises but does not accept, e.g. "西安 80 坐标系
	// 的高斯-克吕格投影"; empty otherwise.
	Known string
	// Accepted is Accepted().
	Accepted []string
}

// Error is in Chinese and lists the accepted names.
func (e *UnknownError) Error() string {
	name := e.Name
	if utf8.RuneCountInString(name) > 60 {
		name = string([]rune(name)[:60]) + "…"
	}
	what := ""
	if e.Known != "" {
		what = "：" + e.Known + "，请先转换为 CGCS2000"
	}
	return fmt.Sprintf("crs: 不支持的坐标系 %q%s。可用的坐标系：%s", name, what, strings.Join(e.Accepted, "；"))
}

var (
	epsgName = regexp.MustCompile(`^(?:EPSG\s*:{0,2}\s*|URN:OGC:DEF:CRS:EPSG:[0-9.]*:|HTTPS?://WWW\.OPENGIS\.NET/DEF/CRS/EPSG/[0-9.]+/)?(\d{1,9})$`)
	// gkName matches the ESRI and EPSG names of the CGCS2000 Gauss-Krüger
	// projections after normalizeName: "CGCS2000_3_DEGREE_GK_CM_108E",
	// "CGCS2000_3_DEGREE_GK_ZONE_36", "CGCS2000_GK_CM_105E",
	// "CGCS2000_GK_ZONE_18", and EPSG's "CGCS2000 / 3-degree
	// Gauss-Kruger CM 108E" alike.
	gkName = regexp.MustCompile(`^CGCS_?2000_(3_DEGREE_|6_DEGREE_)?GK_(?:CM_(\d{2,3})E|ZONE_(\d{1,2}))$`)
	// nameDropper removes what spellings of the other names differ by.
	nameDropper = strings.NewReplacer(" ", "", "-", "", "_", "", "·", "")
)

// aliases maps the other names, after nameDropper and upper-casing.
var aliases = map[string]CRS{
	"CGCS2000": CGCS2000, "CGCS2000GEOGRAPHIC": CGCS2000, "GCSCGCS2000": CGCS2000,
	"CHINAGEODETICCOORDINATESYSTEM2000": CGCS2000, "GCSCHINAGEODETICCOORDINATESYSTEM2000": CGCS2000,
	"国家2000": CGCS2000, "2000国家大地": CGCS2000, "2000国家大地坐标系": CGCS2000, "国家2000坐标系": CGCS2000,
	"WGS84": WGS84, "WGS1984": WGS84, "GCSWGS1984": WGS84, "CRS84": WGS84, "URN:OGC:DEF:CRS:OGC:1.3:CRS84": WGS84, "URN:OGC:DEF:CRS:OGC::CRS84": WGS84,
	"GCJ02": GCJ02, "火星坐标": GCJ02, "火星坐标系": GCJ02,
	"BD09": BD09, "BD09LL": BD09,
}

// Parse returns the CRS named by name. It trims spaces, ignores case and
// folds full-width characters, and accepts:
//
//   - "" (CGCS2000, the default);
//   - an EPSG code: "EPSG:4545", "epsg:4545", "EPSG 4545", "4545",
//     "urn:ogc:def:crs:EPSG::4545", "http://www.opengis.net/def/crs/EPSG/0/4545";
//   - "CGCS2000", "2000国家大地坐标系", "国家2000",
//     "GCS_China_Geodetic_Coordinate_System_2000" (EPSG:4490);
//   - "WGS84", "WGS 84", "WGS-84", "GCS_WGS_1984", "CRS84" (EPSG:4326);
//   - "GCJ02", "GCJ-02", "火星坐标"; "BD09", "BD-09", "BD09LL";
//   - the ESRI and EPSG names of the Gauss-Krüger projections, e.g.
//     "CGCS2000_3_Degree_GK_CM_108E", "CGCS2000_3_Degree_GK_Zone_36",
//     "CGCS2000 / Gauss-Kruger CM 105E".
//
// Anything else, including EPSG codes outside the supported ranges
// (EPSG:3857, the Xian 1980 and Beijing 1954 projections …), returns a
// *UnknownError.
func Parse(name string) (CRS, error) {
	s := strings.ToUpper(strings.TrimSpace(narrow(name)))
	if s == "" {
		return CGCS2000, nil
	}
	if m := epsgName.FindStringSubmatch(s); m != nil {
		code, err := strconv.Atoi(m[1])
		if err == nil {
			if c, ok := byEPSG(code); ok {
				return c, nil
			}
		}
		return CRS{}, &UnknownError{Name: name, Known: knownEPSG(code), Accepted: Accepted()}
	}
	if c, ok := aliases[nameDropper.Replace(s)]; ok {
		return c, nil
	}
	if c, ok := aliases[strings.TrimSuffix(nameDropper.Replace(s), "坐标系")]; ok {
		return c, nil
	}
	if c, ok := byGKName(s); ok {
		return c, nil
	}
	return CRS{}, &UnknownError{Name: name, Known: knownName(s), Accepted: Accepted()}
}

// byGKName recognises the name of a CGCS2000 Gauss-Krüger projection.
// As in the EPSG and ESRI names, a name without "3 degree"
// ("CGCS2000_GK_CM_105E", "CGCS2000 / Gauss-Kruger zone 18") is a 6°
// zone.
func byGKName(s string) (CRS, bool) {
	m := gkName.FindStringSubmatch(normalizeName(s))
	if m == nil {
		return CRS{}, false
	}
	width := 6
	if m[1] == "3_DEGREE_" {
		width = 3
	}
	if m[2] != "" {
		cm, _ := strconv.Atoi(m[2])
		zone, ok := zoneOfCM(float64(cm), width)
		if !ok {
			return CRS{}, false
		}
		return byEPSG(gkCode(width, zone, false))
	}
	zone, _ := strconv.Atoi(m[3])
	return byEPSG(gkCode(width, zone, true))
}

// zoneOfCM is the zone number of a central meridian in a zone width, for
// the zones sanxian supports.
func zoneOfCM(cm float64, width int) (int, bool) {
	z := cm / float64(width)
	if width == 6 {
		z = (cm + 3) / 6
	}
	if !(z >= 0 && z <= 100) {
		return 0, false
	}
	zi := math.Round(z)
	if math.Abs(z-zi) > 1e-9 || gkCode(width, int(zi), false) == 0 {
		return 0, false
	}
	return int(zi), true
}

// normalizeName upper-cases a CRS name and reduces it to letters, digits
// and single underscores, spelling Gauss-Krüger as GK: "CGCS2000 /
// 3-degree Gauss-Kruger CM 108E" becomes "CGCS2000_3_DEGREE_GK_CM_108E".
func normalizeName(s string) string {
	s = strings.ToUpper(s)
	var b strings.Builder
	under := false
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r >= utf8.RuneSelf:
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		default:
			under = true
		}
	}
	out := b.String()
	for _, gk := range []string{"GAUSS_KRUGER", "GAUSS_KRÜGER", "GAUSS_KRUEGER", "GAUSSKRUGER"} {
		out = strings.ReplaceAll(out, gk, "GK")
	}
	return out
}

// knownEPSG names some EPSG codes people try that sanxian does not
// accept (names as in PROJ 9.1's database).
func knownEPSG(code int) string {
	switch {
	case code == 4214:
		return "EPSG:4214 是北京 54 经纬度"
	case code == 4555:
		return "EPSG:4555 是新北京 54 经纬度"
	case code == 4610:
		return "EPSG:4610 是西安 80 经纬度"
	case code >= 2327 && code <= 2390:
		return fmt.Sprintf("EPSG:%d 是西安 80 坐标系的高斯-克吕格投影", code)
	case code >= 2401 && code <= 2442, code >= 21413 && code <= 21423, code >= 21453 && code <= 21463, code >= 21473 && code <= 21483:
		return fmt.Sprintf("EPSG:%d 是北京 54 坐标系的高斯-克吕格投影", code)
	case code == 4479 || code == 4480:
		return fmt.Sprintf("EPSG:%d 是 CGCS2000 的地心或三维坐标，请使用经纬度 EPSG:4490", code)
	case code == 3857 || code == 900913:
		return fmt.Sprintf("EPSG:%d 是 Web 墨卡托投影（米）", code)
	case code == 3395:
		return "EPSG:3395 是 WGS84 墨卡托投影（米）"
	case code >= 32601 && code <= 32660, code >= 32701 && code <= 32760:
		return fmt.Sprintf("EPSG:%d 是 WGS84 UTM 投影", code)
	}
	return ""
}

// knownName recognises a few names of CRSs that sanxian does not accept.
func knownName(s string) string {
	n := normalizeName(s)
	switch {
	case strings.Contains(n, "XIAN") || strings.Contains(n, "XI_AN") || strings.Contains(n, "西安"):
		return "西安 80 坐标系"
	case strings.Contains(n, "NEW_BEIJING") || strings.Contains(n, "新北京"):
		return "新北京 54 坐标系"
	case strings.Contains(n, "BEIJING") || strings.Contains(n, "北京"):
		return "北京 54 坐标系"
	case strings.Contains(n, "MERCATOR") || strings.Contains(n, "墨卡托"):
		return "墨卡托投影"
	case strings.Contains(n, "UTM"):
		return "UTM 投影"
	}
	return ""
}

// narrow folds full-width ASCII and the ideographic space to ASCII.
func narrow(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r >= '\uff01' && r <= '\uff5e':
			return r - 0xfee0
		}
		return r
	}, s)
}
