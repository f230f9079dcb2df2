package compare

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/geodesic"
)

// cgcs2000 is the CGCS2000 ellipsoid (GRS80's a and f).
var cgcs2000 = geodesic.NewEllipsoid(6378137, 1/298.257222101)

func geodesicDist(a, b orb.Point) float64 {
	var s float64
	cgcs2000.Inverse(a[1], a[0], b[1], b[0], &s, nil, nil)
	return s
}

// refStep is the spacing in m of the positions put along site edges for
// the reference distance.
const refStep = 50.0

// ReferenceDistance is an independent, brute-force measure of the
// geodesic distance on the CGCS2000 ellipsoid between a site and a
// feature that do not meet: site edges are geodesics (sampled every 50 m,
// as both engines treat them), feature edges straight in lon/lat (the
// topology both engines intersect with); each candidate pair of a
// position and an edge is minimised by golden-section search along the
// edge. hint (an engine's answer, in m) bounds the search; the result is
// +Inf when nothing lies within about hint.
func ReferenceDistance(site, feature orb.Geometry, hint float64) float64 {
	sp, ss := samplePaths(site)
	fp, fs := featurePaths(feature)
	b := site.Bound()
	lat := (b.Min[1] + b.Max[1]) / 2
	kx, ky := 111320*math.Cos(lat*math.Pi/180), 110574.0
	local := func(a, b, p orb.Point) float64 {
		ax, ay, bx, by, px, py := a[0]*kx, a[1]*ky, b[0]*kx, b[1]*ky, p[0]*kx, p[1]*ky
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
		}
		return math.Hypot(px-ax-t*dx, py-ay-t*dy)
	}
	type pair struct {
		p    orb.Point
		a, b orb.Point
		d    float64
	}
	limit := hint*1.02 + 50
	var cands []pair
	minLocal := math.Inf(1)
	add := func(p, a, b orb.Point) {
		if d := local(a, b, p); d <= limit {
			cands = append(cands, pair{p, a, b, d})
			minLocal = math.Min(minLocal, d)
		}
	}
	for _, e := range fs {
		for _, p := range sp {
			add(p, e[0], e[1])
		}
	}
	for _, e := range ss {
		for _, p := range fp {
			add(p, e[0], e[1])
		}
	}
	best := math.Inf(1)
	for _, c := range cands {
		// The local metric is within a few parts in a thousand of the
		// geodesic over these distances.
		if c.d > minLocal*1.01+1 {
			continue
		}
		best = math.Min(best, nearestOnEdge(c.p, c.a, c.b))
	}
	return best
}

// nearestOnEdge minimises the geodesic distance from p to the straight
// lon/lat edge ab.
func nearestOnEdge(p, a, b orb.Point) float64 {
	f := func(t float64) float64 {
		return geodesicDist(p, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
	}
	const g = 0.6180339887498949
	lo, hi := 0.0, 1.0
	x1, x2 := hi-g*(hi-lo), lo+g*(hi-lo)
	f1, f2 := f(x1), f(x2)
	for range 70 {
		if f1 < f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - g*(hi-lo)
			f1 = f(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + g*(hi-lo)
			f2 = f(x2)
		}
	}
	return math.Min(math.Min(f1, f2), math.Min(f(0), f(1)))
}

// samplePaths returns positions along the site's edges (geodesics,
// sampled every refStep) and the short edges between them.
func samplePaths(g orb.Geometry) ([]orb.Point, [][2]orb.Point) {
	var pts []orb.Point
	var segs [][2]orb.Point
	path := func(ps []orb.Point) {
		var prev orb.Point
		for i, p := range ps {
			if i == 0 {
				pts, prev = append(pts, p), p
				continue
			}
			var s float64
			cgcs2000.Inverse(prev[1], prev[0], p[1], p[0], &s, nil, nil)
			n := int(math.Ceil(s / refStep))
			if n > 1 {
				line := cgcs2000.InverseLine(prev[1], prev[0], p[1], p[0], geodesic.Latitude|geodesic.Longitude|geodesic.DistanceIn)
				last := prev
				for k := 1; k < n; k++ {
					var lat, lon float64
					line.Position(s*float64(k)/float64(n), &lat, &lon, nil)
					q := orb.Point{lon, lat}
					pts, segs = append(pts, q), append(segs, [2]orb.Point{last, q})
					last = q
				}
				prev = last
			}
			pts, segs = append(pts, p), append(segs, [2]orb.Point{prev, p})
			prev = p
		}
	}
	eachPath(g, path)
	return pts, segs
}

// featurePaths returns the feature's vertices and edges as they are (a
// lone point as an edge of length zero).
func featurePaths(g orb.Geometry) ([]orb.Point, [][2]orb.Point) {
	var pts []orb.Point
	var segs [][2]orb.Point
	eachPath(g, func(ps []orb.Point) {
		pts = append(pts, ps...)
		if len(ps) == 1 {
			segs = append(segs, [2]orb.Point{ps[0], ps[0]}) // a point feature
		}
		for i := 1; i < len(ps); i++ {
			segs = append(segs, [2]orb.Point{ps[i-1], ps[i]})
		}
	})
	return pts, segs
}

// eachPath calls fn with every path of g, a point as a path of one. It is
// geo's walker written again on purpose: the reference shares no code
// with the engine it checks.
func eachPath(g orb.Geometry, fn func([]orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		fn([]orb.Point{g})
	case orb.MultiPoint:
		for _, p := range g {
			fn([]orb.Point{p})
		}
	case orb.LineString:
		fn(g)
	case orb.MultiLineString:
		for _, l := range g {
			fn(l)
		}
	case orb.Ring:
		fn(g)
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
	}
}
