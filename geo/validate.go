package geo

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
	sf "github.com/peterstace/simplefeatures/geom"
	"github.com/tidwall/rtree"
)

// Limits bound what a site may be.
type Limits struct {
	// MaxVertices is the largest number of positions a site may have;
	// zero means 100,000.
	MaxVertices int
}

// Error codes of GeometryError, stable for programs.
const (
	CodeEmpty           = "empty_geometry"
	CodeUnsupportedType = "unsupported_geometry_type"
	CodeOutOfRange      = "coordinate_out_of_range"
	CodeNotFinite       = "coordinate_not_finite"
	CodeUnclosedRing    = "unclosed_ring"
	CodeTooFewPoints    = "too_few_points"
	CodeSelfIntersect   = "self_intersection"
	CodeInvalidPolygon  = "invalid_polygon"
	CodeTooManyVertices = "too_many_vertices"
)

// GeometryError says what is wrong with a geometry and where. Message is
// in Chinese for people; Code is stable for programs; Path locates the
// problem, e.g. "polygon[0].ring[1].point[5]"; Point is the offending or
// nearest position when known.
type GeometryError struct {
	Code    string
	Message string
	Path    string
	Point   *orb.Point
}

func (e *GeometryError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("geo: %s at %s: %s", e.Code, e.Path, e.Message)
	}
	return fmt.Sprintf("geo: %s: %s", e.Code, e.Message)
}

// CountVertices returns the number of positions in g.
func CountVertices(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.Collection:
		n := 0
		for _, x := range g {
			n += CountVertices(x)
		}
		return n
	}
	n := 0
	EachPath(g, func(pts []orb.Point) { n += len(pts) })
	return n
}

// ValidateSite checks a site geometry: supported type (Point, MultiPoint,
// LineString, MultiLineString, Polygon, MultiPolygon), not empty, at most
// lim.MaxVertices positions, finite coordinates within longitude
// [-180, 180] and latitude [-90, 90], lines of at least 2 positions,
// closed rings of at least 4 positions, and valid polygons (no
// self-intersection, holes inside shells, parts of a MultiPolygon not
// overlapping). It returns a *GeometryError for the first problem found.
func ValidateSite(g orb.Geometry, lim Limits) error {
	maxV := lim.MaxVertices
	if maxV <= 0 {
		maxV = 100_000
	}
	if g == nil {
		return &GeometryError{Code: CodeEmpty, Message: "几何为空"}
	}
	if _, ok := dimOf(g); !ok {
		return &GeometryError{Code: CodeUnsupportedType, Message: fmt.Sprintf("不支持的几何类型 %s：仅支持 Point、MultiPoint、LineString、MultiLineString、Polygon、MultiPolygon", g.GeoJSONType())}
	}
	n := CountVertices(g)
	if n == 0 {
		return &GeometryError{Code: CodeEmpty, Message: "几何不含任何坐标"}
	}
	if n > maxV {
		return &GeometryError{Code: CodeTooManyVertices, Message: fmt.Sprintf("几何共有 %d 个顶点，超过上限 %d；请简化后再提交", n, maxV)}
	}
	if err := checkStructure(g); err != nil {
		return err
	}
	return checkValidity(g)
}

func checkCoords(pts []orb.Point, path string) error {
	for i, p := range pts {
		at := fmt.Sprintf("%s.point[%d]", path, i)
		if path == "" {
			at = fmt.Sprintf("point[%d]", i)
		}
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			return &GeometryError{Code: CodeNotFinite, Message: fmt.Sprintf("第 %d 个坐标不是有限数值", i+1), Path: at}
		}
		if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
			pt := p
			return &GeometryError{Code: CodeOutOfRange, Message: fmt.Sprintf("第 %d 个坐标 (%g, %g) 超出经纬度范围（经度 -180～180，纬度 -90～90）；坐标顺序应为经度在前、纬度在后", i+1, p[0], p[1]), Path: at, Point: &pt}
		}
	}
	return nil
}

func checkLine(l orb.LineString, path string) error {
	if err := checkCoords(l, path); err != nil {
		return err
	}
	if len(l) < 2 {
		return &GeometryError{Code: CodeTooFewPoints, Message: "线至少需要 2 个坐标", Path: path}
	}
	for i := 1; i < len(l); i++ {
		if l[i] != l[0] {
			return nil
		}
	}
	return &GeometryError{Code: CodeTooFewPoints, Message: "线的所有坐标重合，长度为零", Path: path}
}

func checkPolygon(p orb.Polygon, path string) error {
	if len(p) == 0 {
		return &GeometryError{Code: CodeEmpty, Message: "多边形没有环", Path: path}
	}
	for i, r := range p {
		rp := fmt.Sprintf("%s.ring[%d]", path, i)
		if err := checkCoords(r, rp); err != nil {
			return err
		}
		if len(r) < 4 {
			return &GeometryError{Code: CodeTooFewPoints, Message: fmt.Sprintf("第 %d 个环只有 %d 个坐标，闭合环至少需要 4 个（首尾相同）", i+1, len(r)), Path: rp}
		}
		if r[0] != r[len(r)-1] {
			first, last := r[0], r[len(r)-1]
			return &GeometryError{Code: CodeUnclosedRing, Message: fmt.Sprintf("第 %d 个环未闭合：首点 (%g, %g) 与末点 (%g, %g) 不同", i+1, first[0], first[1], last[0], last[1]), Path: rp, Point: &last}
		}
	}
	return nil
}

func checkStructure(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Point:
		return checkCoords([]orb.Point{g}, "")
	case orb.MultiPoint:
		return checkCoords(g, "")
	case orb.LineString:
		return checkLine(g, "line")
	case orb.MultiLineString:
		for i, l := range g {
			if err := checkLine(l, fmt.Sprintf("line[%d]", i)); err != nil {
				return err
			}
		}
	case orb.Polygon:
		return checkPolygon(g, "polygon[0]")
	case orb.MultiPolygon:
		for i, p := range g {
			if err := checkPolygon(p, fmt.Sprintf("polygon[%d]", i)); err != nil {
				return err
			}
		}
	}
	return nil
}

var (
	nearRe  = regexp.MustCompile(`near \{?(-?[0-9.eE+-]+) (-?[0-9.eE+-]+)\}?`)
	ringRe  = regexp.MustCompile(`ring at index (\d+)`)
	polyRe  = regexp.MustCompile(`polygon at index (\d+)`)
	simpleR = regexp.MustCompile(`not simple|self-intersect|intersect`)
)

// checkValidity runs simplefeatures' OGC validity rules on polygons and
// turns their findings into a GeometryError with a location.
func checkValidity(g orb.Geometry) error {
	var err error
	switch g := g.(type) {
	case orb.Polygon:
		err = toSF(orb.MultiPolygon{g}).Validate()
	case orb.MultiPolygon:
		err = toSF(g).Validate()
	default:
		return nil
	}
	if err == nil {
		return nil
	}
	e := describeValidity(err.Error())
	if e.Code == CodeSelfIntersect {
		locateSelfIntersection(g, e)
	}
	return e
}

// locateSelfIntersection refines e with the first crossing of two
// non-adjacent edges of one ring: the library only says "at or near" a
// vertex, while a person needs the crossing and the edges' numbers.
func locateSelfIntersection(g orb.Geometry, e *GeometryError) {
	var polys orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	}
	for pi, p := range polys {
		for ri, r := range p {
			i, j, x, ok := firstCrossing(r)
			if !ok {
				continue
			}
			e.Path = fmt.Sprintf("polygon[%d].ring[%d]", pi, ri)
			e.Point = &x
			e.Message = fmt.Sprintf("多边形第 %d 个环自相交：第 %d 条边（第 %d→%d 个顶点）与第 %d 条边（第 %d→%d 个顶点）相交于 (%.6f, %.6f)；请检查顶点顺序",
				ri+1, i+1, i+1, i+2, j+1, j+1, j+2, x[0], x[1])
			return
		}
	}
}

// firstCrossing finds two non-adjacent edges i < j of ring r that meet,
// and a point they share, using an R-tree of the edges.
func firstCrossing(r orb.Ring) (int, int, orb.Point, bool) {
	n := len(r) - 1 // edges
	var tree rtree.RTreeG[int]
	for k := 0; k < n; k++ {
		b := segBound(r[k], r[k+1])
		tree.Insert(b.Min, b.Max, k)
	}
	for i := 0; i < n; i++ {
		b := segBound(r[i], r[i+1])
		found, fi, fj := false, 0, 0
		tree.Search(b.Min, b.Max, func(_, _ [2]float64, j int) bool {
			if j <= i+1 || (i == 0 && j == n-1) {
				return true // the edge itself or a neighbour sharing a vertex
			}
			if segmentsIntersect(r[i], r[i+1], r[j], r[j+1]) {
				found, fi, fj = true, i, j
				return false
			}
			return true
		})
		if found {
			ts := segmentParams(r[fi], r[fi+1], r[fj], r[fj+1], nil)
			t := 0.0
			if len(ts) > 0 {
				t = ts[0]
			}
			return fi, fj, lerp(r[fi], r[fi+1], t), true
		}
	}
	return 0, 0, orb.Point{}, false
}

func describeValidity(msg string) *GeometryError {
	e := &GeometryError{Code: CodeInvalidPolygon, Message: "多边形无效：" + msg}
	path := ""
	if m := polyRe.FindStringSubmatch(msg); m != nil {
		path = "polygon[" + m[1] + "]"
	} else {
		path = "polygon[0]"
	}
	if m := ringRe.FindStringSubmatch(msg); m != nil {
		path += ".ring[" + m[1] + "]"
	}
	e.Path = path
	var where string
	if m := nearRe.FindStringSubmatch(msg); m != nil {
		x, err1 := strconv.ParseFloat(m[1], 64)
		y, err2 := strconv.ParseFloat(m[2], 64)
		if err1 == nil && err2 == nil {
			e.Point = &orb.Point{x, y}
			where = fmt.Sprintf("，位置约在 (%g, %g)", x, y)
		}
	}
	switch {
	case simpleR.MatchString(msg):
		e.Code = CodeSelfIntersect
		e.Message = "多边形边界自相交" + where + "；请检查顶点顺序"
	case strings.Contains(msg, "not inside") || strings.Contains(msg, "outside"):
		e.Message = "多边形的内环（洞）不在外环之内" + where
	case strings.Contains(msg, "interior") && strings.Contains(msg, "connected"):
		e.Message = "多边形内部不连通（内环将多边形分割开）" + where
	case strings.Contains(msg, "multipolygon") || strings.Contains(msg, "polygons"):
		e.Message = "多面中的多边形相互重叠或共边" + where + "；请合并为一个多边形"
	default:
		e.Message = "多边形无效" + where + "（" + msg + "）"
	}
	return e
}

func toSF(mp orb.MultiPolygon) sf.MultiPolygon {
	polys := make([]sf.Polygon, len(mp))
	for i, p := range mp {
		polys[i] = toSFPolygon(p)
	}
	return sf.NewMultiPolygon(polys)
}

func toSFPolygon(p orb.Polygon) sf.Polygon {
	rings := make([]sf.LineString, len(p))
	for i, r := range p {
		c := make([]float64, 0, 2*len(r))
		for _, pt := range r {
			c = append(c, pt[0], pt[1])
		}
		rings[i] = sf.NewLineString(sf.NewSequence(c, sf.DimXY))
	}
	return sf.NewPolygon(rings)
}

// ValidatePolygon checks one polygon of a dataset feature with the same
// rules as ValidateSite (closed rings, finite in-range coordinates, OGC
// validity) and returns a *GeometryError or nil.
func ValidatePolygon(p orb.Polygon) error {
	if err := checkPolygon(p, "polygon[0]"); err != nil {
		return err
	}
	return checkValidity(p)
}

// SimplifyForZoom returns a copy of g simplified for display at a web-map
// zoom level (Douglas–Peucker with a quarter of a pixel's width in
// degrees). A ring or line is never dropped: where simplification would
// leave too few positions, the original is kept. Zoom is clamped to
// [0, 24]; at 24 and over nothing is removed in practice.
func SimplifyForZoom(g orb.Geometry, zoom int) orb.Geometry {
	zoom = max(0, min(zoom, 24))
	th := 360.0 / (256 * math.Exp2(float64(zoom))) / 4
	dp := simplify.DouglasPeucker(th)
	switch g := g.(type) {
	case orb.LineString:
		return simplifyLine(dp, g)
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = simplifyLine(dp, l)
		}
		return out
	case orb.Polygon:
		return simplifyPolygon(dp, g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = simplifyPolygon(dp, p)
		}
		return out
	}
	return orb.Clone(g)
}

func simplifyLine(dp *simplify.DouglasPeuckerSimplifier, l orb.LineString) orb.LineString {
	s := dp.LineString(l.Clone())
	if len(s) < 2 {
		return l.Clone()
	}
	return s
}

func simplifyPolygon(dp *simplify.DouglasPeuckerSimplifier, p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		s := dp.Ring(r.Clone())
		if len(s) < 4 {
			s = r.Clone()
		}
		out[i] = s
	}
	return out
}
