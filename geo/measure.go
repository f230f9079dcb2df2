package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// ellipsoid is CGCS2000's: a = 6378137 m, 1/f = 298.257222101. It differs
// from WGS84 only in the flattening's ninth digit; the constant is shared
// and immutable.
var ellipsoid = geodesic.NewEllipsoid(6378137, 1/298.257222101)

// Area returns the geodesic area in m² of a Polygon, MultiPolygon, Ring or
// Bound on the CGCS2000 ellipsoid; holes are subtracted, ring orientation
// does not matter. Other geometries have area 0.
func Area(g orb.Geometry) float64 {
	switch g := g.(type) {
	case orb.Ring:
		return ringArea(g)
	case orb.Polygon:
		return polygonArea(g)
	case orb.MultiPolygon:
		a := 0.0
		for _, p := range g {
			a += polygonArea(p)
		}
		return a
	case orb.Bound:
		return polygonArea(g.ToPolygon())
	case orb.Collection:
		a := 0.0
		for _, x := range g {
			a += Area(x)
		}
		return a
	}
	return 0
}

func polygonArea(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := ringArea(p[0])
	for _, h := range p[1:] {
		a -= ringArea(h)
	}
	return math.Max(a, 0)
}

// ringArea is the unsigned geodesic area enclosed by r; the closing
// position may be present or not.
func ringArea(r orb.Ring) float64 {
	a, _ := ringAreaPerimeter(r)
	return a
}

// ringAreaPerimeter returns the unsigned geodesic area and the perimeter
// of r, computed in one pass.
func ringAreaPerimeter(r orb.Ring) (area, perimeter float64) {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	if n < 2 {
		return 0, 0
	}
	poly := ellipsoid.PolygonInit(false)
	for _, pt := range r[:n] {
		poly.AddPoint(pt[1], pt[0])
	}
	poly.Compute(false, true, &area, &perimeter)
	return math.Abs(area), perimeter
}

// AreaPerimeter returns Area(g) and Length(g) of a Polygon or
// MultiPolygon in one pass (half the work of calling both).
func AreaPerimeter(g orb.Geometry) (area, perimeter float64) {
	var polys orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		return Area(g), Length(g)
	}
	for _, p := range polys {
		pa := 0.0
		for i, r := range p {
			a, l := ringAreaPerimeter(r)
			perimeter += l
			if i == 0 {
				pa += a
			} else {
				pa -= a
			}
		}
		area += math.Max(pa, 0)
	}
	return area, perimeter
}

// Length returns the geodesic length in m of a LineString or
// MultiLineString, or the perimeter of a Ring, Polygon or MultiPolygon
// (holes included); collections add up their members. Points have
// length 0.
func Length(g orb.Geometry) float64 {
	s := 0.0
	EachPath(g, func(pts []orb.Point) { s += lineLength(pts) })
	return s
}

// EachPath calls fn with every line and every ring of g, in order (the
// members of a collection included); points give nothing. fn may change
// the positions in place.
func EachPath(g orb.Geometry, fn func(pts []orb.Point)) {
	switch g := g.(type) {
	case orb.LineString:
		fn(g)
	case orb.Ring:
		fn(g)
	case orb.MultiLineString:
		for _, l := range g {
			fn(l)
		}
	case orb.Polygon:
		for _, r := range g {
			fn(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				fn(r)
			}
		}
	case orb.Collection:
		for _, x := range g {
			EachPath(x, fn)
		}
	}
}

func lineLength(l []orb.Point) float64 {
	s := 0.0
	for i := 1; i < len(l); i++ {
		s += Distance(l[i-1], l[i])
	}
	return s
}

// Distance returns the geodesic distance in m between two lon/lat points.
func Distance(a, b orb.Point) float64 {
	if a == b {
		return 0
	}
	var s float64
	ellipsoid.Inverse(a[1], a[0], b[1], b[0], &s, nil, nil)
	return s
}

// cutStep is the longest stretch (in degrees, about 200 m) left between
// positions along a clip-box side before measuring a piece. A long edge
// between two positions is a geodesic, which bows away from the straight
// box side; pieces on either side of a cut would then not add up to the
// whole. Densified, both follow the straight side to well under 1 mm.
const cutStep = 0.002

// cutArea is the geodesic area of mp, a part of the piece (the piece
// itself, or its overlay with a site), with edges along the piece's cut
// sides densified (see cutStep). Other edges stay geodesics, as in PostGIS
// geography.
func (p *piece) cutArea(mp orb.MultiPolygon) float64 {
	total := 0.0
	for _, poly := range mp {
		for i, r := range poly {
			if p.cuts.any() {
				r = densifyCuts(r, p.box, p.cuts)
			}
			a := ringArea(r)
			if i == 0 {
				total += a
			} else {
				total -= a
			}
		}
	}
	return math.Max(total, 0)
}

func densifyCuts(r orb.Ring, box orb.Bound, cuts cutSides) orb.Ring {
	var out orb.Ring
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		d := math.Max(math.Abs(b[0]-a[0]), math.Abs(b[1]-a[1]))
		if d <= cutStep || !cuts.onCut(a, b, box) {
			if out != nil {
				out = append(out, b)
			}
			continue
		}
		if out == nil {
			out = append(make(orb.Ring, 0, len(r)+16), r[:i]...)
		}
		n := int(math.Ceil(d / cutStep))
		for k := 1; k < n; k++ {
			out = append(out, lerp(a, b, float64(k)/float64(n)))
		}
		out = append(out, b)
	}
	if out == nil {
		return r
	}
	return out
}

// siteStep is the longest site edge (m) left undivided: longer edges get
// positions inserted along their geodesic. The engine then treats every
// site edge as a geodesic, as PostGIS geography does for distances and as
// the geodesic area already does: a 15 km east–west edge otherwise bows
// 2.3 m away from the straight line between its ends at 30° N. Between
// positions 500 m apart the difference is under 3 mm.
const siteStep = 500.0

// maxDensified bounds the positions densification may add to one site.
const maxDensified = 200_000

// densifier inserts positions along long geodesic edges.
type densifier struct {
	step float64
	m    metric
}

// newDensifier picks the step for a site whose edges total about
// approxLen metres: siteStep, or coarser when that would add more than
// maxDensified positions.
func newDensifier(approxLen, lat float64) densifier {
	return densifier{step: math.Max(siteStep, approxLen/maxDensified), m: newMetric(lat)}
}

func (d densifier) approxLen(a, b orb.Point) float64 {
	return math.Hypot((b[0]-a[0])*d.m.kx, (b[1]-a[1])*d.m.ky)
}

// points returns pts with positions inserted on every edge longer than
// the step; short edges and the given positions stay as they are.
func (d densifier) points(pts []orb.Point) []orb.Point {
	var out []orb.Point
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if d.approxLen(a, b) < d.step*0.9 {
			if out != nil {
				out = append(out, b)
			}
			continue
		}
		var s float64
		ellipsoid.Inverse(a[1], a[0], b[1], b[0], &s, nil, nil)
		n := int(math.Ceil(s / d.step))
		if n <= 1 {
			if out != nil {
				out = append(out, b)
			}
			continue
		}
		if out == nil {
			out = append(make([]orb.Point, 0, len(pts)+n), pts[:i]...)
		}
		line := ellipsoid.InverseLine(a[1], a[0], b[1], b[0], geodesic.Latitude|geodesic.Longitude|geodesic.DistanceIn)
		for k := 1; k < n; k++ {
			var lat, lon float64
			line.Position(s*float64(k)/float64(n), &lat, &lon, nil)
			out = append(out, orb.Point{lon, lat})
		}
		out = append(out, b)
	}
	if out == nil {
		return pts
	}
	return out
}

// EachPoint calls fn with every position of g in order: a point, the
// points of a multipoint, the vertices of lines and rings (a ring's
// closing vertex included), the members of a collection, a bound's two
// corners. Other types give nothing.
func EachPoint(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		fn(g)
	case orb.MultiPoint:
		for _, p := range g {
			fn(p)
		}
	case orb.Bound:
		fn(g.Min)
		fn(g.Max)
	case orb.Collection:
		for _, x := range g {
			EachPoint(x, fn)
		}
	default:
		EachPath(g, func(pts []orb.Point) {
			for _, p := range pts {
				fn(p)
			}
		})
	}
}

// AsMultiPolygon returns a polygon as a multipolygon of one, a
// multipolygon as is, and nil for anything else.
func AsMultiPolygon(g orb.Geometry) orb.MultiPolygon {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}
