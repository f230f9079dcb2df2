package crs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// UnsupportedPRJError is returned by FromPRJ for a .prj that is not one of
// the coordinate systems sanxian accepts, or is not a WKT coordinate
// system at all.
type UnsupportedPRJError struct {
	// Found is the name the .prj gives its coordinate system, e.g.
	// "Xian_1980_3_Degree_GK_CM_108E"; empty when it has none.
	Found string
	// System says in Chinese what was found, e.g. "西安 80 坐标系的高斯-克吕格投影";
	// empty when the .prj could not be read.
	System string
	// Reason says in Chinese why it is refused.
	Reason string
}

// Error is in Chinese: what was found and that it must be converted to
// CGCS2000 first.
func (e *UnsupportedPRJError) Error() string {
	what := ""
	switch {
	case e.Found != "" && e.System != "":
		what = fmt.Sprintf("「%s」（%s）", clip(e.Found), e.System)
	case e.Found != "":
		what = "「" + clip(e.Found) + "」"
	case e.System != "":
		what = e.System
	}
	if what == "" {
		return fmt.Sprintf("crs: 无法识别 .prj 中的坐标系：%s；请先在 GIS 软件中将数据转换为 CGCS2000（EPSG:4490 经纬度或 CGCS2000 高斯-克吕格投影）后再上传", e.Reason)
	}
	return fmt.Sprintf("crs: .prj 中的坐标系是%s：%s；请先在 GIS 软件中将数据转换为 CGCS2000（EPSG:4490 经纬度或 CGCS2000 高斯-克吕格投影）后再上传", what, e.Reason)
}

func clip(s string) string {
	if utf8.RuneCountInString(s) > 80 {
		return string([]rune(s)[:80]) + "…"
	}
	return s
}

// maxPRJ bounds the .prj text FromPRJ reads; real ones are under 1 KB.
const maxPRJ = 64 << 10

// FromPRJ returns the CRS of an ESRI .prj file (WKT1, as ArcGIS and QGIS
// write it; OGC WKT1 with AUTHORITY nodes and WKT2 are read too):
//
//   - GEOGCS on CGCS2000 (GCS_China_Geodetic_Coordinate_System_2000,
//     China_2000, CGCS2000 …) gives EPSG:4490, on WGS84 EPSG:4326, if the
//     prime meridian is Greenwich and the unit degrees;
//   - PROJCS with a Gauss_Kruger or Transverse_Mercator projection on
//     CGCS2000, scale factor 1, latitude of origin 0, false northing 0,
//     metres, and a standard zone — false easting 500000 with central
//     meridian 75°E–135°E (EPSG:4534–4554 for 3° zones, 4502–4512 for 6°),
//     or zone·1000000+500000 with the zone's central meridian (4513–4533,
//     4491–4501) — gives that projection. A 3° zone and a 6° zone with
//     the same central meridian have the same parameters; the EPSG code or
//     the name ("3_Degree" or not) decides, else the 3° zone is taken;
//   - a PROJCS without complete parameters is recognised by its
//     AUTHORITY["EPSG",…] or its name, e.g. "CGCS2000_3_Degree_GK_CM_108E",
//     "CGCS2000_3_Degree_GK_Zone_36"; parameters that contradict the
//     EPSG code are refused.
//
// Anything else — Xian 1980, Beijing 1954, UTM, Web Mercator, a local
// central meridian, feet, text that is not WKT — returns an
// *UnsupportedPRJError naming what was found. A COMPD_CS is read by its
// horizontal part.
func FromPRJ(prj string) (CRS, error) {
	if len(prj) > maxPRJ {
		return CRS{}, &UnsupportedPRJError{Reason: "内容过长，不像 .prj 文件"}
	}
	s := strings.TrimSpace(strings.TrimPrefix(prj, "\ufeff"))
	root, err := parseWKT(s)
	if err != nil {
		return CRS{}, &UnsupportedPRJError{Reason: "内容不是 WKT 坐标系定义（" + err.Error() + "）"}
	}
	for root.kw == "COMPD_CS" || root.kw == "COMPOUNDCRS" {
		h := root.child("PROJCS", "PROJCRS", "GEOGCS", "GEOGCRS", "GEODCRS", "COMPD_CS", "COMPOUNDCRS")
		if h == nil {
			return CRS{}, &UnsupportedPRJError{Found: root.name(), Reason: "复合坐标系中没有平面坐标系"}
		}
		root = h
	}
	switch root.kw {
	case "GEOGCS", "GEOGCRS", "GEODCRS":
		return fromGeog(root)
	case "PROJCS", "PROJCRS":
		return fromProj(root)
	case "GEOCCS":
		return CRS{}, &UnsupportedPRJError{Found: root.name(), System: "地心坐标系", Reason: "不是经纬度或平面坐标"}
	}
	return CRS{}, &UnsupportedPRJError{Found: root.name(), Reason: root.kw + " 不是可识别的坐标系类型"}
}

// datum is what identifyDatum finds.
type datum int

const (
	datumUnknown datum = iota
	datumCGCS2000
	datumWGS84
	datumXian80
	datumBeijing54
	datumNewBeijing
)

var datumNames = map[datum]string{
	datumCGCS2000: "CGCS2000 ", datumWGS84: "WGS84 ", datumXian80: "西安 80 坐标系",
	datumBeijing54: "北京 54 坐标系", datumNewBeijing: "新北京 54 坐标系",
}

// identifyDatum names the datum of a GEOGCS (or BASEGEOGCRS), from its
// EPSG code, its names and those of its DATUM and SPHEROID.
func identifyDatum(g *wktNode) datum {
	if g == nil {
		return datumUnknown
	}
	switch g.epsg() {
	case 4490:
		return datumCGCS2000
	case 4326:
		return datumWGS84
	case 4610:
		return datumXian80
	case 4214:
		return datumBeijing54
	case 4555:
		return datumNewBeijing
	}
	names := g.name()
	if d := g.child("DATUM", "GEODETICDATUM", "TRF"); d != nil {
		names += " " + d.name()
		if e := d.child("SPHEROID", "ELLIPSOID"); e != nil {
			names += " " + e.name()
		}
	}
	return datumFromNames(normalizeName(names))
}

func datumFromNames(n string) datum {
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(n, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("CGCS_2000", "CGCS2000", "CHINA_2000", "CHINA_GEODETIC_COORDINATE_SYSTEM_2000", "国家2000", "2000国家"):
		return datumCGCS2000
	case has("XIAN", "XI_AN", "IAG_1975", "西安"):
		return datumXian80
	case has("NEW_BEIJING", "新北京"):
		return datumNewBeijing
	case has("BEIJING", "KRASOVSKY", "KRASSOWSKY", "北京"):
		return datumBeijing54
	case has("WGS_1984", "WGS_84", "WGS84"):
		return datumWGS84
	}
	return datumUnknown
}

func fromGeog(g *wktNode) (CRS, error) {
	d := identifyDatum(g)
	refuse := func(reason string) (CRS, error) {
		sys := datumNames[d] + "经纬度"
		if d == datumUnknown {
			sys = "非 CGCS2000、WGS84 基准的经纬度"
		}
		return CRS{}, &UnsupportedPRJError{Found: g.name(), System: sys, Reason: reason}
	}
	if d != datumCGCS2000 && d != datumWGS84 {
		return refuse("sanxian 只接受 CGCS2000 或 WGS84 的坐标")
	}
	if pm := g.child("PRIMEM"); pm != nil {
		if v, ok := pm.num(1); ok && v != 0 {
			return refuse("本初子午线不是格林尼治")
		}
	}
	if u := g.child("UNIT", "ANGLEUNIT"); u != nil {
		if v, ok := u.num(1); ok && math.Abs(v-math.Pi/180) > 1e-12 {
			return refuse("角度单位不是度")
		}
	}
	if d == datumWGS84 {
		return WGS84, nil
	}
	return CGCS2000, nil
}

// tmParams are the parameters of a transverse Mercator projection.
type tmParams struct {
	cm, fe, fn, k, lat0 float64
	have                int // bit set of the parameters found
}

const (
	haveCM = 1 << iota
	haveFE
	haveFN
	haveK
	haveLat0
	haveAll = haveCM | haveFE | haveFN | haveK | haveLat0
)

// paramKeys maps normalised parameter names (lower case, letters and
// digits only) of WKT1 (ESRI and OGC) and WKT2 to the tmParams field.
var paramKeys = map[string]int{
	"centralmeridian": haveCM, "longitudeofnaturalorigin": haveCM, "longitudeoforigin": haveCM, "longitudeofcenter": haveCM,
	"falseeasting": haveFE, "falsenorthing": haveFN,
	"scalefactor": haveK, "scalefactoratnaturalorigin": haveK,
	"latitudeoforigin": haveLat0, "latitudeofnaturalorigin": haveLat0, "latitudeofcenter": haveLat0,
}

func lowerAlnum(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func fromProj(p *wktNode) (CRS, error) {
	name := p.name()
	geog := p.child("GEOGCS", "BASEGEOGCRS", "BASEGEODCRS", "GEOGCRS")
	d := identifyDatum(geog)
	if d == datumUnknown {
		d = datumFromNames(normalizeName(name))
	}
	// WKT1 has PROJECTION and PARAMETER in PROJCS; WKT2 has them as
	// METHOD and PARAMETER in CONVERSION.
	holder := p
	method := ""
	if conv := p.child("CONVERSION"); conv != nil {
		holder = conv
		if m := conv.child("METHOD"); m != nil {
			method = m.name()
		}
	} else if m := p.child("PROJECTION"); m != nil {
		method = m.name()
	}
	method = lowerAlnum(method)
	isTM := method == "gausskruger" || method == "transversemercator" || method == ""

	system := datumNames[d]
	if d == datumUnknown {
		system = "非 CGCS2000 基准"
	}
	switch n := normalizeName(name); {
	case !isTM:
		pn := projectionName(method)
		if pn[0] < utf8.RuneSelf {
			pn = " " + pn
		}
		system += "的" + pn
	case strings.Contains(n, "UTM"):
		system += "的 UTM 投影"
	case method == "gausskruger" || strings.Contains(n, "GK"):
		system += "的高斯-克吕格投影"
	default:
		system += "的横轴墨卡托投影"
	}
	refuse := func(reason string) (CRS, error) {
		return CRS{}, &UnsupportedPRJError{Found: name, System: strings.TrimSpace(system), Reason: reason}
	}
	if d != datumCGCS2000 {
		if d == datumWGS84 && isTM {
			return refuse("sanxian 只接受 CGCS2000 的高斯-克吕格投影（WGS84 的 UTM 等投影不支持）")
		}
		return refuse("sanxian 只接受 CGCS2000 或 WGS84 经纬度，以及 CGCS2000 高斯-克吕格投影")
	}
	if !isTM {
		return refuse("sanxian 只接受 CGCS2000 的高斯-克吕格投影")
	}

	byCode, codeOK := byEPSG(p.epsg())
	if codeOK && byCode.Kind != KindGaussKruger {
		codeOK = false
	}
	byName, nameOK := byGKName(name)

	var tp tmParams
	for _, n := range holder.children("PARAMETER") {
		bit, ok := paramKeys[lowerAlnum(n.name())]
		if !ok {
			continue
		}
		v, ok := n.num(1)
		if !ok {
			return refuse("参数 " + n.name() + " 不是数值")
		}
		// WKT2 gives each parameter its unit; convert all but degrees,
		// metres and unity, which would only add rounding.
		if u := n.child("ANGLEUNIT", "LENGTHUNIT", "SCALEUNIT", "UNIT"); u != nil {
			if f, ok := u.num(1); ok && f > 0 {
				if u.kw == "ANGLEUNIT" && math.Abs(f*deg-1) > 1e-12 {
					v *= f * deg
				} else if u.kw != "ANGLEUNIT" && f != 1 {
					v *= f
				}
			}
		}
		tp.have |= bit
		switch bit {
		case haveCM:
			tp.cm = v
		case haveFE:
			tp.fe = v
		case haveFN:
			tp.fn = v
		case haveK:
			tp.k = v
		case haveLat0:
			tp.lat0 = v
		}
	}
	if u := p.child("UNIT", "LENGTHUNIT"); u != nil {
		if f, ok := u.num(1); ok && f != 1 {
			return refuse("长度单位是「" + u.name() + "」，不是米")
		}
	} else if cs := p.child("CS"); cs != nil {
		for _, ax := range p.children("AXIS") {
			if u := ax.child("LENGTHUNIT", "UNIT"); u != nil {
				if f, ok := u.num(1); ok && f != 1 {
					return refuse("长度单位是「" + u.name() + "」，不是米")
				}
			}
		}
	}

	if tp.have != haveAll {
		switch {
		case codeOK:
			return byCode, nil
		case nameOK:
			return byName, nil
		case tp.have == 0:
			return refuse("没有投影参数，也不是可识别的 EPSG 代码或名称")
		}
		return refuse("投影参数不全")
	}
	candidates, err := gkFromParams(tp)
	if err != nil {
		return refuse(err.Error())
	}
	for _, c := range candidates {
		if codeOK && c == byCode {
			return c, nil
		}
	}
	if codeOK {
		return refuse(fmt.Sprintf("投影参数与其 EPSG 代码 %d 不一致", p.epsg()))
	}
	for _, c := range candidates {
		if nameOK && c == byName {
			return c, nil
		}
	}
	return candidates[0], nil
}

// gkFromParams returns the CGCS2000 Gauss-Krüger CRSs with parameters tp:
// the 3° one first when a 3° and a 6° zone share them.
func gkFromParams(tp tmParams) ([]CRS, error) {
	switch {
	case math.Abs(tp.k-1) > 1e-12:
		return nil, fmt.Errorf("比例因子是 %s，不是 1（如 UTM 的 0.9996）", num(tp.k))
	case tp.lat0 != 0:
		return nil, fmt.Errorf("起始纬度是 %s°，不是赤道", num(tp.lat0))
	case tp.fn != 0:
		return nil, fmt.Errorf("北向偏移是 %s 米，不是 0", num(tp.fn))
	case !(tp.cm >= 0 && tp.cm <= 180) || !(tp.fe >= 0 && tp.fe < 1e8):
		return nil, fmt.Errorf("中央经线 %s°、东向偏移 %s 米不是标准的 CGCS2000 投影带", num(tp.cm), num(tp.fe))
	}
	var out []CRS
	if math.Abs(tp.fe-500000) < 1e-6 {
		for _, w := range []int{3, 6} {
			if z, ok := zoneOfCM(tp.cm, w); ok {
				c, _ := byEPSG(gkCode(w, z, false))
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("中央经线 %s° 不是标准 3 度带或 6 度带的中央经线（75°E–135°E；任意中央经线的地方坐标系不支持）", num(tp.cm))
		}
		return out, nil
	}
	zone := math.Round((tp.fe - 500000) / 1e6)
	if math.Abs(tp.fe-500000-zone*1e6) > 1e-6 {
		return nil, fmt.Errorf("东向偏移 %s 米既不是 500000，也不是“带号×1000000+500000”", num(tp.fe))
	}
	for _, w := range []int{3, 6} {
		if code := gkCode(w, int(zone), true); code != 0 {
			if c, _ := byEPSG(code); math.Abs(c.CentralMeridian-tp.cm) < 1e-9 {
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("东向偏移中的带号 %d 与中央经线 %s° 不相符", int(zone), num(tp.cm))
	}
	return out, nil
}

func projectionName(method string) string {
	switch {
	case strings.Contains(method, "mercatorauxiliarysphere"), strings.Contains(method, "pseudomercator"), strings.Contains(method, "popularvisualisation"):
		return "Web 墨卡托投影"
	case strings.Contains(method, "mercator"):
		return "墨卡托投影"
	case strings.Contains(method, "albers"):
		return "阿尔伯斯等积圆锥投影"
	case strings.Contains(method, "lambert"):
		return "兰勃特投影"
	}
	return clip(method) + " 投影"
}

// wktNode is a WKT keyword with its bracketed arguments: quoted strings,
// numbers, bare words (as in AXIS["X",NORTH]) and nested nodes.
type wktNode struct {
	kw   string // upper case
	args []wktArg
}

type wktArg struct {
	node *wktNode
	str  string // quoted string, or bare word
	num  float64
	isNum,
	isStr bool
}

// name is the first argument when it is a string.
func (n *wktNode) name() string {
	if n != nil && len(n.args) > 0 && n.args[0].isStr {
		return n.args[0].str
	}
	return ""
}

// num is argument i as a number.
func (n *wktNode) num(i int) (float64, bool) {
	if i < len(n.args) && n.args[i].isNum {
		return n.args[i].num, true
	}
	return 0, false
}

func (n *wktNode) child(kws ...string) *wktNode {
	for _, a := range n.args {
		if a.node != nil {
			for _, kw := range kws {
				if a.node.kw == kw {
					return a.node
				}
			}
		}
	}
	return nil
}

func (n *wktNode) children(kw string) []*wktNode {
	var out []*wktNode
	for _, a := range n.args {
		if a.node != nil && a.node.kw == kw {
			out = append(out, a.node)
		}
	}
	return out
}

// epsg is the code of the node's own AUTHORITY["EPSG","4545"] or
// ID["EPSG",4545], 0 if none.
func (n *wktNode) epsg() int {
	a := n.child("AUTHORITY", "ID")
	if a == nil || !strings.EqualFold(a.name(), "EPSG") || len(a.args) < 2 {
		return 0
	}
	v := a.args[1]
	if v.isNum && v.num == math.Trunc(v.num) && math.Abs(v.num) < 1e9 {
		return int(v.num)
	}
	if v.isStr {
		if code, err := strconv.Atoi(strings.TrimSpace(v.str)); err == nil {
			return code
		}
	}
	return 0
}

// maxWKTDepth bounds nesting; real WKT nests about five deep.
const maxWKTDepth = 16

var errWKT = errors.New("WKT 语法错误")

// parseWKT parses one WKT node and nothing after it.
func parseWKT(s string) (*wktNode, error) {
	p := &wktParser{s: s}
	n, err := p.node(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("%w：第 %d 个字符之后还有多余内容", errWKT, p.i)
	}
	return n, nil
}

type wktParser struct {
	s string
	i int
}

func (p *wktParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}

func (p *wktParser) word() string {
	start := p.i
	for p.i < len(p.s) && isWordByte(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *wktParser) node(depth int) (*wktNode, error) {
	if depth > maxWKTDepth {
		return nil, fmt.Errorf("%w：嵌套过深", errWKT)
	}
	p.space()
	kw := p.word()
	if kw == "" || !(kw[0] >= 'A' && kw[0] <= 'Z' || kw[0] >= 'a' && kw[0] <= 'z') {
		return nil, fmt.Errorf("%w：第 %d 个字符处应为关键字", errWKT, p.i+1)
	}
	n := &wktNode{kw: strings.ToUpper(kw)}
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '[' && p.s[p.i] != '(') {
		return nil, fmt.Errorf("%w：%s 之后缺少“[”", errWKT, kw)
	}
	closer := byte(']')
	if p.s[p.i] == '(' {
		closer = ')'
	}
	p.i++
	for {
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("%w：%s 缺少“%c”", errWKT, kw, closer)
		}
		c := p.s[p.i]
		switch {
		case c == closer && len(n.args) == 0:
			p.i++
			return n, nil
		case c == '"':
			str, err := p.quoted()
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, wktArg{str: str, isStr: true})
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
			start := p.i
			p.i++
			for p.i < len(p.s) && (isWordByte(p.s[p.i]) || p.s[p.i] == '.' || ((p.s[p.i] == '-' || p.s[p.i] == '+') && (p.s[p.i-1] == 'e' || p.s[p.i-1] == 'E'))) {
				p.i++
			}
			v, err := strconv.ParseFloat(p.s[start:p.i], 64)
			if err != nil {
				return nil, fmt.Errorf("%w：数值 %q 无效", errWKT, clip(p.s[start:p.i]))
			}
			n.args = append(n.args, wktArg{num: v, isNum: true})
		case isWordByte(c):
			save := p.i
			w := p.word()
			p.space()
			if p.i < len(p.s) && (p.s[p.i] == '[' || p.s[p.i] == '(') {
				p.i = save
				child, err := p.node(depth + 1)
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, wktArg{node: child})
			} else {
				n.args = append(n.args, wktArg{str: w})
			}
		default:
			return nil, fmt.Errorf("%w：第 %d 个字符 %q 无法识别", errWKT, p.i+1, clip(string(c)))
		}
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("%w：%s 缺少“%c”", errWKT, kw, closer)
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case closer:
			p.i++
			return n, nil
		default:
			return nil, fmt.Errorf("%w：第 %d 个字符处应为“,”或“%c”", errWKT, p.i+1, closer)
		}
	}
}

// quoted reads a "…" string; "" inside is a quote, as WKT2 has it.
func (p *wktParser) quoted() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		if c == '"' {
			if p.i < len(p.s) && p.s[p.i] == '"' {
				b.WriteByte('"')
				p.i++
				continue
			}
			return b.String(), nil
		}
		b.WriteByte(c)
	}
	return "", fmt.Errorf("%w：引号未闭合", errWKT)
}
