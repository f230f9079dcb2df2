package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Planar predicates on lon/lat coordinates. They decide topology (which
// side, whether segments meet); metric answers are always geodesic.

// boundaryEps is how close (in degrees, about 0.1 mm) a point must be to an
// edge to count as lying on it: input typed from a shared vertex or an
// edge's midpoint must land on the edge despite floating-point rounding.
const boundaryEps = 1e-9

// onSegment reports whether p lies on segment ab within boundaryEps.
func onSegment(a, b, p orb.Point) bool {
	if p[0] < math.Min(a[0], b[0])-boundaryEps || p[0] > math.Max(a[0], b[0])+boundaryEps ||
		p[1] < math.Min(a[1], b[1])-boundaryEps || p[1] > math.Max(a[1], b[1])+boundaryEps {
		return false
	}
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return math.Abs(p[0]-a[0]) <= boundaryEps && math.Abs(p[1]-a[1]) <= boundaryEps
	}
	cross := dx*(p[1]-a[1]) - dy*(p[0]-a[0])
	return cross*cross <= boundaryEps*boundaryEps*l2
}

// crossesRay counts whether edge ab crosses the horizontal ray going right
// from p (half-open rule, so a vertex on the ray is counted once).
func crossesRay(a, b, p orb.Point) bool {
	if (a[1] > p[1]) == (b[1] > p[1]) {
		return false
	}
	x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
	return x > p[0]
}

// location of a point relative to an areal geometry.
type location uint8

const (
	outside location = iota
	inside
	onBoundary
)

// edgeFilter tells whether edge ab is a real edge of the feature (true) or
// an artificial one made by clipping a piece to its box (false).
type edgeFilter func(a, b orb.Point) bool

// locateInRing returns the location of p relative to ring r. Edges for
// which real returns false do not make a boundary but still count for the
// crossing number (clip artefacts along a box side cancel out).
func locateInRing(r orb.Ring, p orb.Point, real edgeFilter) location {
	in := false
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		if onSegment(a, b, p) && (real == nil || real(a, b)) {
			return onBoundary
		}
		if crossesRay(a, b, p) {
			in = !in
		}
	}
	if in {
		return inside
	}
	return outside
}

// locateInPolygon returns the location of p relative to polygon poly
// (holes are outside; a hole's edge is boundary).
func locateInPolygon(poly orb.Polygon, p orb.Point, real edgeFilter) location {
	if len(poly) == 0 {
		return outside
	}
	switch locateInRing(poly[0], p, real) {
	case outside:
		return outside
	case onBoundary:
		return onBoundary
	}
	for _, h := range poly[1:] {
		switch locateInRing(h, p, real) {
		case inside:
			return outside
		case onBoundary:
			return onBoundary
		}
	}
	return inside
}

// locate returns the location of p relative to a Polygon or MultiPolygon.
func locate(g orb.Geometry, p orb.Point) location {
	switch g := g.(type) {
	case orb.Polygon:
		return locateInPolygon(g, p, nil)
	case orb.MultiPolygon:
		best := outside
		for _, poly := range g {
			switch locateInPolygon(poly, p, nil) {
			case inside:
				return inside
			case onBoundary:
				best = onBoundary
			}
		}
		return best
	}
	return outside
}

// segmentParams returns the parameters t in [0,1] along segment pq where
// it meets segment ab (both ends of a collinear overlap).
func segmentParams(p, q, a, b orb.Point, out []float64) []float64 {
	rx, ry := q[0]-p[0], q[1]-p[1]
	sx, sy := b[0]-a[0], b[1]-a[1]
	den := rx*sy - ry*sx
	qpx, qpy := a[0]-p[0], a[1]-p[1]
	if den == 0 {
		// Parallel: only a collinear overlap matters.
		if qpx*ry-qpy*rx != 0 {
			return out
		}
		rr := rx*rx + ry*ry
		if rr == 0 {
			return out
		}
		t0 := (qpx*rx + qpy*ry) / rr
		t1 := ((b[0]-p[0])*rx + (b[1]-p[1])*ry) / rr
		for _, t := range [2]float64{t0, t1} {
			if t >= 0 && t <= 1 {
				out = append(out, t)
			}
		}
		return out
	}
	t := (qpx*sy - qpy*sx) / den
	u := (qpx*ry - qpy*rx) / den
	if t >= 0 && t <= 1 && u >= 0 && u <= 1 {
		out = append(out, t)
	}
	return out
}

// segmentsIntersect reports whether closed segments pq and ab share a point.
func segmentsIntersect(p, q, a, b orb.Point) bool {
	d1 := orient(a, b, p)
	d2 := orient(a, b, q)
	d3 := orient(p, q, a)
	d4 := orient(p, q, b)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && inBox(a, b, p)) || (d2 == 0 && inBox(a, b, q)) ||
		(d3 == 0 && inBox(p, q, a)) || (d4 == 0 && inBox(p, q, b))
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func inBox(a, b, p orb.Point) bool {
	return p[0] >= math.Min(a[0], b[0]) && p[0] <= math.Max(a[0], b[0]) &&
		p[1] >= math.Min(a[1], b[1]) && p[1] <= math.Max(a[1], b[1])
}

// segmentTouchesBound reports whether segment pq meets the closed box b.
func segmentTouchesBound(p, q orb.Point, b orb.Bound) bool {
	if b.Contains(p) || b.Contains(q) {
		return true
	}
	sb := orb.Bound{Min: orb.Point{math.Min(p[0], q[0]), math.Min(p[1], q[1])}, Max: orb.Point{math.Max(p[0], q[0]), math.Max(p[1], q[1])}}
	if !sb.Intersects(b) {
		return false
	}
	c := [4]orb.Point{b.Min, {b.Max[0], b.Min[1]}, b.Max, {b.Min[0], b.Max[1]}}
	for i := 0; i < 4; i++ {
		if segmentsIntersect(p, q, c[i], c[(i+1)%4]) {
			return true
		}
	}
	return false
}

// metric is a local equirectangular scaling (metres per degree) used only
// to pick the nearest pairs of points; the distance reported is then the
// geodesic one between them.
type metric struct{ kx, ky float64 }

// newMetric scales by the CGCS2000 ellipsoid's radii of curvature at lat:
// the meridian's (M) north–south and the parallel's (N cos φ) east–west,
// so that the scaling is exact at lat and off by well under 1 % within
// the tens of kilometres a site and its buffer span.
func newMetric(lat float64) metric {
	const a, f = 6378137.0, 1 / 298.257222101
	e2 := f * (2 - f)
	phi := lat * math.Pi / 180
	sin := math.Sin(phi)
	w := 1 - e2*sin*sin
	n := a / math.Sqrt(w) // prime vertical
	m := n * (1 - e2) / w // meridian
	deg := math.Pi / 180
	return metric{kx: n * math.Cos(phi) * deg, ky: m * deg}
}

// nearestOnSegment returns the point of segment ab nearest to p and the
// squared local distance.
func (m metric) nearestOnSegment(a, b, p orb.Point) (orb.Point, float64) {
	ax, ay := a[0]*m.kx, a[1]*m.ky
	bx, by := b[0]*m.kx, b[1]*m.ky
	px, py := p[0]*m.kx, p[1]*m.ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = ((px-ax)*dx + (py-ay)*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	nx, ny := ax+t*dx, ay+t*dy
	q := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	return q, (px-nx)*(px-nx) + (py-ny)*(py-ny)
}

// nearestSegments returns the nearest points of segments pq (site) and ab
// (feature) and their squared local distance (0 when they meet).
func (m metric) nearestSegments(p, q, a, b orb.Point) (orb.Point, orb.Point, float64) {
	if segmentsIntersect(p, q, a, b) {
		ts := segmentParams(p, q, a, b, nil)
		t := 0.0
		if len(ts) > 0 {
			t = ts[0]
		}
		x := orb.Point{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])}
		return x, x, 0
	}
	bestS, bestF, best := p, a, math.Inf(1)
	if n, d := m.nearestOnSegment(a, b, p); d < best {
		bestS, bestF, best = p, n, d
	}
	if n, d := m.nearestOnSegment(a, b, q); d < best {
		bestS, bestF, best = q, n, d
	}
	if n, d := m.nearestOnSegment(p, q, a); d < best {
		bestS, bestF, best = n, a, d
	}
	if n, d := m.nearestOnSegment(p, q, b); d < best {
		bestS, bestF, best = n, b, d
	}
	return bestS, bestF, best
}

// boundDist2 is the squared local distance between two bounds (0 when
// they meet).
func (m metric) boundDist2(a, b orb.Bound) float64 {
	dx := math.Max(0, math.Max(a.Min[0]-b.Max[0], b.Min[0]-a.Max[0])) * m.kx
	dy := math.Max(0, math.Max(a.Min[1]-b.Max[1], b.Min[1]-a.Max[1])) * m.ky
	return dx*dx + dy*dy
}
