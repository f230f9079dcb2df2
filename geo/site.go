package geo

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// segment is one edge of a site: a line segment, or a ring edge of a
// polygon site.
type segment struct {
	a, b orb.Point
	part int // line part for line sites; -1 for polygon edges
}

// site is a query geometry prepared for testing.
type site struct {
	g      orb.Geometry
	dim    dim
	points []orb.Point
	polys  orb.MultiPolygon
	segs   []segment
	// cum[k] is the chainage in m at the start of segment k of a line site;
	// cum has one more entry than segs (the total length).
	cum      []float64
	segIdx   rtree.RTreeG[int32]
	bound    orb.Bound
	area     float64
	length   float64
	vertices int
	m        metric
	// polysArea caches the geodesic area of polys (see areaIn); < 0
	// until computed.
	polysArea float64
}

// areaIn is the geodesic area of sc, the site clipped to piece p's box:
// p.cutArea(sc), or, when the site lies strictly inside the box (so that
// clipping left it whole and none of its edges is on a cut side), the
// area of the site's polygons, computed once per site however many
// pieces and layers ask. A site is not shared between goroutines.
func (s *site) areaIn(p *piece, sc orb.MultiPolygon) float64 {
	b := s.bound
	if !(p.box.Min[0] < b.Min[0] && b.Max[0] < p.box.Max[0] && p.box.Min[1] < b.Min[1] && b.Max[1] < p.box.Max[1]) {
		return p.cutArea(sc)
	}
	if s.polysArea < 0 {
		s.polysArea, _ = AreaPerimeter(s.polys)
	}
	return s.polysArea
}

// ErrUnsupportedSite reports a site geometry the engine cannot query.
var ErrUnsupportedSite = errors.New("geo: unsupported site geometry")

func newSite(g orb.Geometry) (*site, error) {
	if g == nil {
		return nil, fmt.Errorf("%w: nil", ErrUnsupportedSite)
	}
	s := &site{g: g, bound: g.Bound(), vertices: CountVertices(g), polysArea: -1}
	s.m = newMetric((s.bound.Min[1] + s.bound.Max[1]) / 2)
	// Long edges are densified along their geodesic (see siteStep); the
	// site's area, length and vertex count are those of the input.
	dz := newDensifier(planarLength(g, s.m), (s.bound.Min[1]+s.bound.Max[1])/2)
	switch g := g.(type) {
	case orb.Point:
		s.dim, s.points = dimPoint, []orb.Point{g}
	case orb.MultiPoint:
		s.dim, s.points = dimPoint, g
	case orb.LineString:
		s.dim = dimLine
		s.addLine(orb.LineString(dz.points(g)), 0)
	case orb.MultiLineString:
		s.dim = dimLine
		for i, l := range g {
			s.addLine(orb.LineString(dz.points(l)), i)
		}
	case orb.Polygon:
		s.dim, s.polys = dimArea, orb.MultiPolygon{densifyPolygon(dz, g)}
	case orb.MultiPolygon:
		s.dim = dimArea
		for _, p := range g {
			s.polys = append(s.polys, densifyPolygon(dz, p))
		}
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedSite, g)
	}
	for _, p := range s.polys {
		for _, r := range p {
			for i := 1; i < len(r); i++ {
				s.segs = append(s.segs, segment{a: r[i-1], b: r[i], part: -1})
			}
		}
	}
	if len(s.segs) == 0 && len(s.points) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrUnsupportedSite)
	}
	if s.dim == dimLine {
		s.cum = make([]float64, len(s.segs)+1)
		for k, sg := range s.segs {
			s.cum[k+1] = s.cum[k] + Distance(sg.a, sg.b)
		}
		s.length = s.cum[len(s.segs)]
	}
	if s.dim == dimArea {
		s.area, s.length = AreaPerimeter(g)
	}
	for i, sg := range s.segs {
		b := segBound(sg.a, sg.b)
		s.segIdx.Insert(b.Min, b.Max, int32(i))
	}
	return s, nil
}

func densifyPolygon(dz densifier, p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = orb.Ring(dz.points(r))
	}
	return out
}

// planarLength is the approximate total edge length of g in metres.
func planarLength(g orb.Geometry, m metric) float64 {
	d := densifier{m: m}
	total := 0.0
	EachPath(g, func(pts []orb.Point) {
		for i := 1; i < len(pts); i++ {
			total += d.approxLen(pts[i-1], pts[i])
		}
	})
	return total
}

func (s *site) addLine(l orb.LineString, part int) {
	for i := 1; i < len(l); i++ {
		s.segs = append(s.segs, segment{a: l[i-1], b: l[i], part: part})
	}
}

func segBound(a, b orb.Point) orb.Bound {
	return orb.Bound{
		Min: orb.Point{math.Min(a[0], b[0]), math.Min(a[1], b[1])},
		Max: orb.Point{math.Max(a[0], b[0]), math.Max(a[1], b[1])},
	}
}

func (s *site) info() SiteInfo {
	return SiteInfo{
		Type:     s.g.GeoJSONType(),
		AreaM2:   round2(s.area),
		LengthM:  round2(s.length),
		BBox:     [4]float64{s.bound.Min[0], s.bound.Min[1], s.bound.Max[0], s.bound.Max[1]},
		Vertices: s.vertices,
	}
}

// segmentsNear calls fn with the index of every site segment whose bound
// meets b; fn returns false to stop.
func (s *site) segmentsNear(b orb.Bound, fn func(k int) bool) {
	s.segIdx.Search(b.Min, b.Max, func(_, _ [2]float64, k int32) bool { return fn(int(k)) })
}

// boundaryTouches reports whether any edge of the site meets the closed box b.
func (s *site) boundaryTouches(b orb.Bound) bool {
	found := false
	s.segmentsNear(b, func(k int) bool {
		if segmentTouchesBound(s.segs[k].a, s.segs[k].b, b) {
			found = true
			return false
		}
		return true
	})
	return found
}

// chainage returns the distance in m along a line site from its start to
// the point at parameter t of segment k.
func (s *site) chainage(k int, t float64) float64 {
	switch {
	case t <= 0:
		return s.cum[k]
	case t >= 1:
		return s.cum[k+1]
	}
	sg := s.segs[k]
	return s.cum[k] + Distance(sg.a, lerp(sg.a, sg.b, t))
}

func lerp(a, b orb.Point, t float64) orb.Point {
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

// degreesFor returns how many degrees of longitude and latitude surely
// cover m metres around the site (a generous bound; exact tests follow).
func (s *site) degreesFor(m float64) (dLon, dLat float64) {
	if m <= 0 {
		return 1e-9, 1e-9
	}
	lat := math.Min(89, math.Max(math.Abs(s.bound.Min[1]), math.Abs(s.bound.Max[1]))+m/110000)
	return m/(111000*math.Cos(lat*math.Pi/180))*1.02 + 1e-9, m/110000*1.02 + 1e-9
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
