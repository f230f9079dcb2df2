package data

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/twpayne/go-geom"
	shapefile "github.com/twpayne/go-shapefile"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
)

// ParseSiteFile reads a site from an uploaded file, chosen by the
// extension of name (case-insensitive):
//
//   - .geojson, .json: a geometry, a Feature or a FeatureCollection; several
//     features are merged into a MultiPolygon, MultiLineString or MultiPoint
//     when they are all of one dimension (mixed dimensions are an error);
//   - .kml: Placemark Point, LineString, Polygon (outerBoundaryIs,
//     innerBoundaryIs) and MultiGeometry, merged the same way;
//   - .kmz: a zip holding doc.kml or else its first .kml;
//   - .zip: a zipped shapefile (.shp with optional .shx, .dbf, .prj, .cpg);
//     the .prj says its coordinate system (CGCS2000 or WGS84 geographic, a
//     CGCS2000 Gauss-Krüger zone: see crs.FromPRJ; another datum such as
//     Xian 80 is unsupported_crs); a .cpg of 936/CP936 means GBK;
//   - .csv, .txt: a vertex list as in ParseCoordinateText (kind auto),
//     UTF-8 or else GBK.
//
// Zip archives may hold at most 1,000 entries and 50 MB uncompressed;
// sites at most 100,000 vertices (too_large). Every failure is a
// *SiteFileError. The geometry is not validated (see geo.ValidateSite).
// Z and M values are dropped.
func ParseSiteFile(name string, content []byte) (orb.Geometry, error) {
	return ParseSiteFileIn(name, content, crs.CGCS2000)
}

// ParseSiteFileIn is ParseSiteFile for a file whose coordinates are in c
// unless it says otherwise: a shapefile's .prj wins over c; GeoJSON, KML
// and coordinate lists (see ParseCoordinateTextIn) are read in c. The
// result is in CGCS2000 lon/lat.
func ParseSiteFileIn(name string, content []byte, c crs.CRS) (orb.Geometry, error) {
	if len(bytes.TrimSpace(content)) == 0 {
		return nil, siteErr(CodeEmptyFile, 0, "文件 %s 是空的。", name)
	}
	if len(content) > MaxSiteUncompressed {
		return nil, siteErr(CodeTooLarge, 0, "文件超过 %d MB。", MaxSiteUncompressed>>20)
	}
	var (
		g   orb.Geometry
		err error
	)
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".geojson", ".json":
		g, err = convertSite(parseGeoJSONFile(content))(c)
	case ".kml":
		g, err = convertSite(parseKML(content))(c)
	case ".kmz":
		g, err = convertSite(parseKMZ(content))(c)
	case ".zip":
		g, err = parseZippedShapefile(content, c)
	case ".csv", ".txt":
		g, err = ParseCoordinateTextIn(decodeText(content), "auto", c)
		if errors.Is(err, ErrWKT) {
			err = siteErr(CodeUnsupportedFile, 0, "文件内容是 WKT：请把它粘贴到“输入坐标”框中。")
		}
	default:
		return nil, siteErr(CodeUnsupportedFile, 0, "不支持的文件类型“%s”：请上传 GeoJSON（.geojson/.json）、KML/KMZ、zip 压缩的 shapefile 或 CSV/TXT 坐标表。", ext)
	}
	if err != nil {
		return nil, err
	}
	if n := geo.CountVertices(g); n > MaxSiteVertices {
		return nil, siteErr(CodeTooLarge, 0, "场址有 %d 个顶点，超过上限 %d。", n, MaxSiteVertices)
	}
	return g, nil
}

// decodeText reads UTF-8 (with or without BOM), else GBK.
func decodeText(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf8.Valid(b) {
		return string(b)
	}
	if s, err := simplifiedchinese.GBK.NewDecoder().Bytes(b); err == nil {
		return string(s)
	}
	return string(b)
}

// merge combines the geometries of a file into one site.
func merge(gs []orb.Geometry, what string) (orb.Geometry, error) {
	var (
		pts   orb.MultiPoint
		lines orb.MultiLineString
		polys orb.MultiPolygon
	)
	for _, g := range gs {
		switch g := g.(type) {
		case orb.Point:
			pts = append(pts, g)
		case orb.MultiPoint:
			pts = append(pts, g...)
		case orb.LineString:
			lines = append(lines, g)
		case orb.MultiLineString:
			lines = append(lines, g...)
		case orb.Polygon:
			polys = append(polys, g)
		case orb.MultiPolygon:
			polys = append(polys, g...)
		case nil:
		default:
			return nil, siteErr(CodeMalformedFile, 0, "%s中有不支持的几何类型 %s。", what, g.GeoJSONType())
		}
	}
	kinds := 0
	for _, n := range []int{len(pts), len(lines), len(polys)} {
		if n > 0 {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		return nil, siteErr(CodeEmptyFile, 0, "%s中没有几何要素。", what)
	case kinds > 1:
		return nil, siteErr(CodeMalformedFile, 0, "%s中同时有点、线、面（%d 点、%d 线、%d 面）：一个场址只能是一种，请只保留一种后再上传。", what, len(pts), len(lines), len(polys))
	case len(polys) == 1:
		return polys[0], nil
	case len(polys) > 0:
		return polys, nil
	case len(lines) == 1:
		return lines[0], nil
	case len(lines) > 0:
		return lines, nil
	case len(pts) == 1:
		return pts[0], nil
	}
	return pts, nil
}

// ---- GeoJSON ----

func parseGeoJSONFile(b []byte) (g orb.Geometry, err error) {
	defer func() {
		if r := recover(); r != nil { // guard against decoder panics on odd input
			g, err = nil, siteErr(CodeMalformedFile, 0, "GeoJSON 文件无法解析。")
		}
	}()
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, siteErr(CodeMalformedFile, 0, "GeoJSON 文件不是合法的 JSON：%s。", jsonReason(err))
	}
	var gs []orb.Geometry
	switch head.Type {
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			return nil, siteErr(CodeMalformedFile, 0, "GeoJSON FeatureCollection 无法解析：%s。", jsonReason(err))
		}
		for _, f := range fc.Features {
			gs = append(gs, flattenCollection(f.Geometry)...)
		}
	case "Feature":
		f, err := geojson.UnmarshalFeature(b)
		if err != nil {
			return nil, siteErr(CodeMalformedFile, 0, "GeoJSON Feature 无法解析：%s。", jsonReason(err))
		}
		gs = flattenCollection(f.Geometry)
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		gg, err := geojson.UnmarshalGeometry(b)
		if err != nil {
			return nil, siteErr(CodeMalformedFile, 0, "GeoJSON 几何无法解析：%s。", jsonReason(err))
		}
		gs = flattenCollection(gg.Geometry())
	case "":
		return nil, siteErr(CodeMalformedFile, 0, "GeoJSON 缺少 type 成员。")
	default:
		return nil, siteErr(CodeMalformedFile, 0, "GeoJSON 类型“%s”不是几何、Feature 或 FeatureCollection。", clip(head.Type))
	}
	return merge(gs, "GeoJSON 文件")
}

func flattenCollection(g orb.Geometry) []orb.Geometry {
	if c, ok := g.(orb.Collection); ok {
		var out []orb.Geometry
		for _, x := range c {
			out = append(out, flattenCollection(x)...)
		}
		return out
	}
	if g == nil {
		return nil
	}
	return []orb.Geometry{g}
}

func jsonReason(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("第 %d 个字节附近有语法错误", syn.Offset)
	}
	return clip(err.Error())
}

// ---- KML / KMZ ----

// xnode is a generic XML element.
type xnode struct {
	XMLName xml.Name
	Nodes   []xnode `xml:",any"`
	Text    string  `xml:",chardata"`
}

func (n *xnode) child(local string) *xnode {
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Local == local {
			return &n.Nodes[i]
		}
	}
	return nil
}

func parseKML(b []byte) (orb.Geometry, error) {
	var root xnode
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "gbk", "gb2312", "gb18030", "cp936", "936":
			return simplifiedchinese.GB18030.NewDecoder().Reader(r), nil
		}
		return nil, fmt.Errorf("unsupported charset %q", label)
	}
	if err := dec.Decode(&root); err != nil {
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			return nil, siteErr(CodeMalformedFile, syn.Line, "KML 文件不是合法的 XML：第 %d 行有语法错误。", syn.Line)
		}
		return nil, siteErr(CodeMalformedFile, 0, "KML 文件不是合法的 XML，无法读取。")
	}
	if root.XMLName.Local != "kml" && root.XMLName.Local != "Document" && root.XMLName.Local != "Placemark" {
		return nil, siteErr(CodeMalformedFile, 0, "不是 KML 文件：根元素是 <%s>。", clip(root.XMLName.Local))
	}
	var gs []orb.Geometry
	if err := kmlWalk(&root, &gs); err != nil {
		return nil, err
	}
	return merge(gs, "KML 文件")
}

func kmlWalk(n *xnode, gs *[]orb.Geometry) error {
	switch n.XMLName.Local {
	case "Point":
		pts, err := kmlCoords(n, "Point")
		if err != nil {
			return err
		}
		if len(pts) != 1 {
			return siteErr(CodeMalformedFile, 0, "KML Point 应有一个坐标，有 %d 个。", len(pts))
		}
		*gs = append(*gs, pts[0])
		return nil
	case "LineString":
		pts, err := kmlCoords(n, "LineString")
		if err != nil {
			return err
		}
		*gs = append(*gs, orb.LineString(pts))
		return nil
	case "LinearRing":
		pts, err := kmlCoords(n, "LinearRing")
		if err != nil {
			return err
		}
		*gs = append(*gs, orb.Polygon{orb.Ring(pts)})
		return nil
	case "Polygon":
		var poly orb.Polygon
		for _, part := range []string{"outerBoundaryIs", "innerBoundaryIs"} {
			for i := range n.Nodes {
				b := &n.Nodes[i]
				if b.XMLName.Local != part {
					continue
				}
				ring := b.child("LinearRing")
				if ring == nil {
					return siteErr(CodeMalformedFile, 0, "KML Polygon 的 %s 中没有 LinearRing。", part)
				}
				pts, err := kmlCoords(ring, "LinearRing")
				if err != nil {
					return err
				}
				if part == "outerBoundaryIs" && len(poly) > 0 {
					return siteErr(CodeMalformedFile, 0, "KML Polygon 有多个 outerBoundaryIs。")
				}
				if part == "innerBoundaryIs" && len(poly) == 0 {
					return siteErr(CodeMalformedFile, 0, "KML Polygon 缺少 outerBoundaryIs。")
				}
				poly = append(poly, orb.Ring(pts))
			}
		}
		if len(poly) == 0 {
			return siteErr(CodeMalformedFile, 0, "KML Polygon 缺少 outerBoundaryIs。")
		}
		*gs = append(*gs, poly)
		return nil
	}
	for i := range n.Nodes {
		if err := kmlWalk(&n.Nodes[i], gs); err != nil {
			return err
		}
	}
	return nil
}

// kmlCoords reads a <coordinates> child: "lon,lat[,alt]" tuples separated
// by white space.
func kmlCoords(n *xnode, what string) ([]orb.Point, error) {
	c := n.child("coordinates")
	if c == nil {
		return nil, siteErr(CodeMalformedFile, 0, "KML %s 缺少 coordinates。", what)
	}
	var pts []orb.Point
	for _, tuple := range strings.Fields(c.Text) {
		parts := strings.Split(tuple, ",")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, siteErr(CodeMalformedFile, 0, "KML %s 的坐标“%s”应为“经度,纬度[,高程]”。", what, clip(tuple))
		}
		x, err1 := strconv.ParseFloat(parts[0], 64)
		y, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil {
			return nil, siteErr(CodeMalformedFile, 0, "KML %s 的坐标“%s”不是数字。", what, clip(tuple))
		}
		if len(pts) >= MaxSiteVertices {
			return nil, siteErr(CodeTooLarge, 0, "顶点超过 %d 个。", MaxSiteVertices)
		}
		pts = append(pts, orb.Point{x, y})
	}
	if len(pts) == 0 {
		return nil, siteErr(CodeMalformedFile, 0, "KML %s 的 coordinates 是空的。", what)
	}
	return pts, nil
}

// zipFiles reads every entry of a zip within the size bounds, keyed by
// its path; folders, __MACOSX and hidden files are skipped.
func zipFiles(b []byte, what string) (map[string][]byte, []string, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, siteErr(CodeMalformedFile, 0, "%s不是有效的 zip 压缩包。", what)
	}
	if len(zr.File) > maxZipEntries {
		return nil, nil, siteErr(CodeTooLarge, 0, "%s中有 %d 个文件，超过上限 %d。", what, len(zr.File), maxZipEntries)
	}
	files := map[string][]byte{}
	var names []string
	var total int64
	for _, f := range zr.File {
		base := path.Base(f.Name)
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(base, ".") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, nil, siteErr(CodeMalformedFile, 0, "%s中的 %s 无法解压。", what, clip(f.Name))
		}
		data, err := io.ReadAll(io.LimitReader(rc, MaxSiteUncompressed-total+1))
		rc.Close()
		if err != nil {
			return nil, nil, siteErr(CodeMalformedFile, 0, "%s中的 %s 无法解压。", what, clip(f.Name))
		}
		total += int64(len(data))
		if total > MaxSiteUncompressed {
			return nil, nil, siteErr(CodeTooLarge, 0, "%s解压后超过 %d MB。", what, MaxSiteUncompressed>>20)
		}
		files[f.Name] = data
		names = append(names, f.Name)
	}
	return files, names, nil
}

func parseKMZ(b []byte) (orb.Geometry, error) {
	files, names, err := zipFiles(b, "KMZ 文件")
	if err != nil {
		return nil, err
	}
	pick := ""
	for _, n := range names {
		if strings.EqualFold(n, "doc.kml") {
			pick = n
			break
		}
		if pick == "" && strings.EqualFold(path.Ext(n), ".kml") {
			pick = n
		}
	}
	if pick == "" {
		return nil, siteErr(CodeMalformedFile, 0, "KMZ 文件中没有 .kml 文件。")
	}
	return parseKML(files[pick])
}

// ---- zipped shapefile ----

// convertSite converts a parsed site from c to CGCS2000; it reads
// convertSite(parse(…))(c).
func convertSite(g orb.Geometry, err error) func(crs.CRS) (orb.Geometry, error) {
	return func(c crs.CRS) (orb.Geometry, error) {
		if err != nil || c == crs.CGCS2000 || c == crs.WGS84 {
			return g, err
		}
		out, cerr := c.Geometry(g)
		if cerr != nil {
			return nil, crsSiteError(c, cerr)
		}
		return out, nil
	}
}

// crsSiteError is a conversion failure as a *SiteFileError.
func crsSiteError(c crs.CRS, err error) error {
	var pe *crs.PointError
	if errors.As(err, &pe) {
		where := ""
		if pe.Where != "" {
			where = pe.Where + "："
		}
		return siteErr(CodeMalformedCoords, 0, "%s%s", where, pe.Message)
	}
	return siteErr(CodeMalformedCoords, 0, "坐标无法从 %s 转换：%s", c.Title, clip(err.Error()))
}

func parseZippedShapefile(b []byte, c crs.CRS) (orb.Geometry, error) {
	files, names, err := zipFiles(b, "zip 文件")
	if err != nil {
		return nil, err
	}
	lower := map[string]string{}
	var shps []string
	for _, n := range names {
		lower[strings.ToLower(n)] = n
		if strings.EqualFold(path.Ext(n), ".shp") {
			shps = append(shps, n)
		}
	}
	if len(shps) == 0 {
		return nil, siteErr(CodeMalformedFile, 0, "zip 文件中没有 .shp 文件：请把 shapefile 的 .shp、.shx、.dbf、.prj（及 .cpg）一起压缩上传。")
	}
	sort.Strings(shps)
	if len(shps) > 1 {
		return nil, siteErr(CodeMalformedFile, 0, "zip 文件中有 %d 个 shapefile（%s）：请只上传场址这一个。", len(shps), clip(strings.Join(shps, "、")))
	}
	base := strings.ToLower(strings.TrimSuffix(shps[0], path.Ext(shps[0])))
	sibling := func(ext string) []byte {
		if n, ok := lower[base+ext]; ok {
			return files[n]
		}
		return nil
	}
	prj := sibling(".prj")
	if text := strings.TrimSpace(decodeText(prj)); text != "" {
		pc, err := crs.FromPRJ(text)
		if err != nil {
			var ue *crs.UnsupportedPRJError
			if errors.As(err, &ue) {
				return nil, siteErr(CodeUnsupportedCRS, 0, "%s", ue.Error())
			}
			return nil, siteErr(CodeMalformedFile, 0, "shapefile 的 .prj 无法识别：%s", clip(err.Error()))
		}
		c = pc
	}
	if dbf := sibling(".dbf"); dbf != nil {
		// The importer's reader first: it checks the header's record
		// count and field lengths against the file without allocating
		// for them, which go-shapefile does not (a 106-byte .dbf
		// claiming billions of records, or a few thousand zero-length
		// fields over many one-byte records, would exhaust memory).
		if _, err := impParseDBF(dbf); err != nil {
			return nil, siteErr(CodeMalformedFile, 0, "shapefile 的属性表（.dbf）已损坏：%s。", clip(err.Error()))
		}
		opts := &shapefile.ReadDBFOptions{SkipBrokenFields: true, Charset: cpgCharset(sibling(".cpg"))}
		if _, err := shapefile.ReadDBF(bytes.NewReader(dbf), int64(len(dbf)), opts); err != nil {
			return nil, siteErr(CodeMalformedFile, 0, "shapefile 的属性表（.dbf）无法读取：%s。", clip(err.Error()))
		}
	}
	shp := files[shps[0]]
	s, err := readSHP(shp)
	if err != nil {
		return nil, siteErr(CodeMalformedFile, 0, "shapefile 的 .shp 无法读取：%s。", clip(err.Error()))
	}
	var gs []orb.Geometry
	for _, r := range s.Records {
		if r == nil || r.Geom == nil {
			continue
		}
		g, err := fromGeom(r.Geom)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	g, err := merge(gs, "shapefile ")
	if err != nil {
		return nil, err
	}
	if c.Kind != crs.KindGaussKruger && !inLonLatRange(g) {
		return nil, siteErr(CodeProjectedCRS, 0, "shapefile 没有 .prj，且坐标超出经纬度范围，像是投影坐标（米）：请附上 .prj 文件，或选择对应的投影坐标系（如 EPSG:4545）后重新上传。")
	}
	return convertSite(g, nil)(c)
}

// readSHP reads a .shp with go-shapefile; a record may not claim more
// bytes than the file has (the library allocates the claimed length
// before reading it), and a panic in the library is an error.
func readSHP(b []byte) (s *shapefile.SHP, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return shapefile.ReadSHP(bytes.NewReader(b), int64(len(b)), &shapefile.ReadSHPOptions{
		MaxParts: 10_000, MaxPoints: MaxSiteVertices, MaxRecordSize: max(min(MaxSiteUncompressed, len(b)), 4),
	})
}

// cpgCharset normalises a .cpg: 936/CP936 (which go-shapefile does not
// know) mean GBK; empty means ISO-8859-1 (the library's default).
func cpgCharset(b []byte) string {
	s := strings.ToUpper(strings.TrimSpace(string(b)))
	switch s {
	case "":
		return ""
	case "936", "CP936", "MS936", "WINDOWS-936", "ANSI 936", "GB2312", "GBK":
		return "gbk"
	case "UTF8", "UTF-8", "65001":
		return "utf-8"
	case "GB18030", "54936":
		return "gb18030"
	}
	return strings.ToLower(s)
}

func inLonLatRange(g orb.Geometry) bool {
	b := g.Bound()
	return b.Min[0] >= -180 && b.Max[0] <= 180 && b.Min[1] >= -90 && b.Max[1] <= 90
}

// fromGeom converts a go-geom geometry to orb, dropping Z and M.
func fromGeom(g geom.T) (orb.Geometry, error) {
	pt := func(c geom.Coord) orb.Point { return orb.Point{c.X(), c.Y()} }
	line := func(cs []geom.Coord) orb.LineString {
		l := make(orb.LineString, len(cs))
		for i, c := range cs {
			l[i] = pt(c)
		}
		return l
	}
	poly := func(css [][]geom.Coord) orb.Polygon {
		p := make(orb.Polygon, len(css))
		for i, cs := range css {
			p[i] = orb.Ring(line(cs))
		}
		return p
	}
	switch g := g.(type) {
	case *geom.Point:
		if g.Empty() {
			return nil, nil
		}
		return pt(g.Coords()), nil
	case *geom.MultiPoint:
		return orb.MultiPoint(line(g.Coords())), nil
	case *geom.LineString:
		return line(g.Coords()), nil
	case *geom.MultiLineString:
		var ml orb.MultiLineString
		for _, cs := range g.Coords() {
			ml = append(ml, line(cs))
		}
		return ml, nil
	case *geom.Polygon:
		return poly(g.Coords()), nil
	case *geom.MultiPolygon:
		var mp orb.MultiPolygon
		for _, css := range g.Coords() {
			mp = append(mp, poly(css))
		}
		return mp, nil
	}
	return nil, siteErr(CodeMalformedFile, 0, "shapefile 的几何类型 %T 不受支持。", g)
}
