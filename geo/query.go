package geo

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// query evaluates every feature of the layer that has a piece within
// buffer of the site.
func (li *layerIndex) query(ctx context.Context, s *site, buffer float64, tol Tolerance) ([]Hit, error) {
	dLon, dLat := s.degreesFor(buffer)
	box := orb.Bound{
		Min: orb.Point{s.bound.Min[0] - dLon, s.bound.Min[1] - dLat},
		Max: orb.Point{s.bound.Max[0] + dLon, s.bound.Max[1] + dLat},
	}
	cand := map[int32][]int32{}
	var feats []int32
	li.pieceIdx.Search(box.Min, box.Max, func(_, _ [2]float64, pi int32) bool {
		f := li.pieces[pi].feat
		if _, seen := cand[f]; !seen {
			feats = append(feats, f)
		}
		cand[f] = append(cand[f], pi)
		return true
	})
	sort.Slice(feats, func(i, j int) bool { return feats[i] < feats[j] })
	var hits []Hit
	for _, f := range feats {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, ok, err := li.evaluate(s, f, cand[f], buffer, tol)
		if err != nil {
			return nil, fmt.Errorf("feature %d: %w", f, err)
		}
		if ok {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

// evaluate relates the site to one feature, given the feature's pieces
// near the site.
func (li *layerIndex) evaluate(s *site, f int32, pcs []int32, buffer float64, tol Tolerance) (Hit, bool, error) {
	h := Hit{Layer: li.id, Feature: int(f)}
	contact := false
	switch {
	case li.dim == dimArea && s.dim == dimPoint:
		nIn, nOn := 0, 0
		for _, pt := range s.points {
			switch li.locatePoint(f, pcs, pt) {
			case inside:
				nIn++
			case onBoundary:
				nOn++
			}
		}
		switch {
		case nIn == len(s.points):
			h.Relation = Within
		case nIn > 0:
			h.Relation = Intersects
		case nOn > 0:
			h.Relation = Touches
		}
		h.OnBoundary = nOn > 0
		contact = nIn+nOn > 0
	case li.dim == dimArea && s.dim == dimLine:
		ivs, inner := li.lineIntervals(s, f, pcs)
		total := 0.0
		for _, iv := range ivs {
			total += iv[1] - iv[0]
		}
		if len(ivs) > 0 {
			l := round2(total)
			h.OverlapLengthM = &l
			for _, iv := range ivs {
				h.ChainageM = append(h.ChainageM, [2]float64{round2(iv[0]), round2(iv[1])})
			}
			switch {
			// As ST_Within: all of the line in the feature (its boundary
			// included) and some of it in the interior.
			case total >= s.length-tol.EffectiveM && inner >= tol.EffectiveM:
				h.Relation = Within
			case inner >= tol.EffectiveM:
				h.Relation = Intersects
			default:
				h.Relation = Touches
			}
			contact = true
		}
	case li.dim == dimArea && s.dim == dimArea:
		a, err := li.overlapArea(s, f, pcs)
		if err != nil {
			return h, false, err
		}
		if a > 0 {
			ar, ratio := round2(a), 0.0
			if s.area > 0 {
				ratio = math.Round(a/s.area*1e6) / 1e6
			}
			h.OverlapAreaM2, h.OverlapRatio = &ar, &ratio
		}
		switch {
		case a >= tol.EffectiveM2 && s.area-a < slack(tol.EffectiveM2, s.area):
			h.Relation = Within
		case a >= tol.EffectiveM2 && li.areas[f]-a < slack(tol.EffectiveM2, li.areas[f]):
			h.Relation = Contains
		case a >= tol.EffectiveM2:
			h.Relation = Intersects
		case a > 0:
			h.Relation = Touches
		}
		contact = h.Relation != ""
	default:
		// Linear or point features, or any site against them: contact is
		// distance zero, or the feature inside an areal site.
		if s.dim == dimArea && li.featureInsideSite(s, pcs) {
			h.Relation = Intersects
			contact = true
		}
	}
	if contact {
		if h.Relation == "" {
			h.Relation = Intersects
		}
		return h, true, nil
	}
	d, ok := li.distance(s, pcs, buffer)
	if !ok {
		return h, false, nil
	}
	switch {
	case d == 0 && li.dim == dimArea:
		h.Relation = Touches
	case d == 0 && s.dim == dimPoint:
		h.Relation = Within // a point on a line feature, or on a point feature
	case d == 0 && li.dim == dimPoint:
		h.Relation = Contains // a point feature on a line site
	case d == 0:
		h.Relation = Intersects
	case d <= buffer:
		h.Relation = Nearby
		h.DistanceM = round2(d)
	default:
		return h, false, nil
	}
	return h, true, nil
}

// areaPrecision is the relative precision of overlap areas: pieces and
// overlays add up to the whole within about 1e-10 (densified cuts, float
// sums); 1e-8 leaves a margin.
const areaPrecision = 1e-8

// slack is how much of an area may lie outside and still count as none:
// a sliver, or less than the arithmetic's precision.
func slack(sliver, area float64) float64 { return math.Max(sliver, areaPrecision*area) }

// locatePoint finds where pt lies relative to areal feature f.
func (li *layerIndex) locatePoint(f int32, pcs []int32, pt orb.Point) location {
	best, exact := outside, false
	for _, pi := range pcs {
		p := &li.pieces[pi]
		if !p.bound.Contains(pt) {
			continue
		}
		if !p.reliable(pt) {
			exact = true
			continue
		}
		switch locateInPolygon(p.poly, pt, p.real) {
		case inside:
			return inside
		case onBoundary:
			best = onBoundary
		}
	}
	if exact && best == outside {
		return locate(li.geoms[f], pt)
	}
	return best
}

// lineIntervals returns the chainage ranges [from, to] in m of the line
// site that lie in areal feature f (boundary included, as PostGIS's
// ST_Intersection does), merged, and the length of those that lie in its
// interior.
func (li *layerIndex) lineIntervals(s *site, f int32, pcs []int32) ([][2]float64, float64) {
	type span struct {
		k      int
		t0, t1 float64
		inner  bool
	}
	var spans []span
	var ts []float64
	for _, pi := range pcs {
		p := &li.pieces[pi]
		s.segmentsNear(p.box, func(k int) bool {
			sg := s.segs[k]
			t0, t1, ok := clipParams(sg.a, sg.b, p.box)
			if !ok {
				return true
			}
			ts = append(ts[:0], t0, t1)
			sb := segBound(sg.a, sg.b)
			for _, r := range p.poly {
				for i := 1; i < len(r); i++ {
					if !segBound(r[i-1], r[i]).Intersects(sb) {
						continue
					}
					ts = segmentParams(sg.a, sg.b, r[i-1], r[i], ts)
				}
			}
			sort.Float64s(ts)
			for i := 1; i < len(ts); i++ {
				u, v := math.Max(ts[i-1], t0), math.Min(ts[i], t1)
				if v-u <= 1e-12 {
					continue
				}
				mid := lerp(sg.a, sg.b, (u+v)/2)
				var loc location
				if p.reliable(mid) {
					loc = locateInPolygon(p.poly, mid, p.real)
				} else {
					loc = locate(li.geoms[f], mid)
				}
				if loc != outside {
					spans = append(spans, span{k: k, t0: u, t1: v, inner: loc == inside})
				}
			}
			return true
		})
	}
	if len(spans) == 0 {
		return nil, 0
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].k != spans[j].k {
			return spans[i].k < spans[j].k
		}
		return spans[i].t0 < spans[j].t0
	})
	var out [][2]float64
	inner := 0.0
	curK, curT := -1, 0.0
	for _, sp := range spans {
		from, to := s.chainage(sp.k, sp.t0), s.chainage(sp.k, sp.t1)
		if sp.inner {
			inner += to - from
		}
		contiguous := len(out) > 0 && ((sp.k == curK && sp.t0 <= curT+1e-12) ||
			(sp.k == curK+1 && curT >= 1-1e-12 && sp.t0 <= 1e-12 && s.segs[sp.k].part == s.segs[curK].part))
		if contiguous {
			out[len(out)-1][1] = math.Max(out[len(out)-1][1], to)
		} else {
			out = append(out, [2]float64{from, to})
		}
		if sp.k != curK || sp.t1 > curT {
			curK, curT = sp.k, sp.t1
		}
	}
	return out, inner
}

// clipParams returns the parameter range of segment ab inside box b
// (Liang–Barsky); ok is false when the segment misses the box.
func clipParams(a, b orb.Point, box orb.Bound) (t0, t1 float64, ok bool) {
	t0, t1 = 0, 1
	d := [2]float64{b[0] - a[0], b[1] - a[1]}
	for axis := 0; axis < 2; axis++ {
		if d[axis] == 0 {
			if a[axis] < box.Min[axis] || a[axis] > box.Max[axis] {
				return 0, 0, false
			}
			continue
		}
		u0 := (box.Min[axis] - a[axis]) / d[axis]
		u1 := (box.Max[axis] - a[axis]) / d[axis]
		if u0 > u1 {
			u0, u1 = u1, u0
		}
		t0, t1 = math.Max(t0, u0), math.Min(t1, u1)
		if t0 > t1 {
			return 0, 0, false
		}
	}
	return t0, t1, true
}

// overlapArea returns the geodesic area in m² of the site ∩ feature f. A
// piece whose box no site edge meets lies wholly inside or outside the
// site; the others are overlaid with polygol (Martínez–Rueda–Feito), which
// accepts the clip artefacts of both operands.
func (li *layerIndex) overlapArea(s *site, f int32, pcs []int32) (area float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("overlay failed: %v", r)
		}
	}()
	for _, pi := range pcs {
		p := &li.pieces[pi]
		if !p.bound.Intersects(s.bound) {
			continue
		}
		if !s.boundaryTouches(p.box) {
			c := p.box.Center()
			if locate(s.polys, c) == inside {
				area += p.area
			}
			continue
		}
		sc := clip.MultiPolygon(p.box, s.polys.Clone())
		if len(sc) == 0 {
			continue
		}
		if p.full {
			// The piece is its box: the clipped site is the overlay.
			area += s.areaIn(p, sc)
			continue
		}
		if in, ok := p.settles(s.bound); ok {
			// No edge of the piece crosses the site's part of the box:
			// that part is wholly in the piece or wholly out of it.
			if in {
				area += s.areaIn(p, sc)
			}
			continue
		}
		res, err := Overlay(Intersection, sc, orb.MultiPolygon{p.poly})
		if err != nil {
			return 0, fmt.Errorf("overlay: %w", err)
		}
		area += p.cutArea(res)
	}
	return area, nil
}

// settles decides a polygon piece's overlap with a site bounded by sb
// without an overlay when it can: when no edge of the piece, other than
// those along its box's sides, comes near the rectangle r = sb ∩ box,
// the piece covers all of r or none of it (the box's sides bound r and
// nothing else of the piece's boundary enters it), and in says which. ok
// is false when an edge's bound meets r (the edge may cross the site) or
// r is degenerate; the caller then overlays. Most small parcels lie
// inside one unit and away from its edges: they settle here, in a pass
// over the piece's edges instead of an overlay.
func (p *piece) settles(sb orb.Bound) (in, ok bool) {
	r := orb.Bound{
		Min: orb.Point{math.Max(sb.Min[0], p.box.Min[0]), math.Max(sb.Min[1], p.box.Min[1])},
		Max: orb.Point{math.Min(sb.Max[0], p.box.Max[0]), math.Min(sb.Max[1], p.box.Max[1])},
	}
	if !(r.Min[0] < r.Max[0] && r.Min[1] < r.Max[1]) {
		return false, false
	}
	onSide := func(a, b orb.Point) bool {
		return a[0] == b[0] && (a[0] == p.box.Min[0] || a[0] == p.box.Max[0]) ||
			a[1] == b[1] && (a[1] == p.box.Min[1] || a[1] == p.box.Max[1])
	}
	for _, ring := range p.poly {
		for i := 1; i < len(ring); i++ {
			a, b := ring[i-1], ring[i]
			if math.Max(a[0], b[0]) < r.Min[0] || math.Min(a[0], b[0]) > r.Max[0] ||
				math.Max(a[1], b[1]) < r.Min[1] || math.Min(a[1], b[1]) > r.Max[1] {
				continue
			}
			if !onSide(a, b) {
				return false, false
			}
		}
	}
	switch locateInPolygon(p.poly, r.Center(), nil) {
	case inside:
		return true, true
	case outside:
		return false, true
	}
	return false, false
}

// featureInsideSite reports whether some vertex of the feature's pieces
// lies inside an areal site (a river crossing a parcel without touching
// any site edge near a piece end, a point feature in a polygon).
func (li *layerIndex) featureInsideSite(s *site, pcs []int32) bool {
	for _, pi := range pcs {
		p := &li.pieces[pi]
		var v orb.Point
		switch {
		case len(p.line) > 0:
			v = p.line[0]
		case li.dim == dimPoint:
			v = p.point
		default:
			continue
		}
		if s.bound.Contains(v) && locate(s.polys, v) != outside {
			return true
		}
	}
	return false
}

// distance returns the geodesic distance in m from the site to the nearest
// real edge (or vertex, for point features) among pcs, looking no further
// than limit metres; ok is false when nothing is that near. Pieces are
// visited nearest bound first and the search stops once a piece's bound
// is farther than the best edge found. The local metric only ranks: every
// pair of points within its margin of the best is measured geodesically
// and the shortest geodesic wins, so that two parts of a feature almost
// equally far cannot be mistaken for each other.
func (li *layerIndex) distance(s *site, pcs []int32, limit float64) (float64, bool) {
	dLon, dLat := s.degreesFor(limit)
	type cand struct {
		pi int32
		lb float64 // squared local distance between the bounds
	}
	order := make([]cand, 0, len(pcs))
	for _, pi := range pcs {
		order = append(order, cand{pi, s.m.boundDist2(s.bound, li.pieces[pi].bound)})
	}
	sort.Slice(order, func(i, j int) bool { return order[i].lb < order[j].lb })
	// metricMargin bounds, squared, how much farther than the best a pair
	// can look in the local metric and still be the geodesic nearest.
	const metricMargin = 1.01 * 1.01
	type pair struct {
		s, f orb.Point
		d    float64 // squared local distance
	}
	best := math.Inf(1)
	var buf [16]pair
	near := buf[:0]
	record := func(sp, fp orb.Point, d float64) {
		if d > best*metricMargin+1e-6 {
			return
		}
		if d < best {
			best = d
			if len(near) == cap(near) {
				// Drop the pairs the new best has put out of reach
				// before growing: walking along a ring towards its
				// nearest point improves the best at almost every edge.
				kept := near[:0]
				for _, pr := range near {
					if pr.d <= best*metricMargin+1e-6 {
						kept = append(kept, pr)
					}
				}
				near = kept
			}
		}
		if n := len(near); n > 0 && near[n-1].s == sp && near[n-1].f == fp {
			return // the vertex two adjacent edges share
		}
		near = append(near, pair{sp, fp, d})
	}
	consider := func(a, b orb.Point) {
		if s.dim == dimPoint {
			for _, pt := range s.points {
				if onSegment(a, b, pt) {
					record(pt, pt, 0)
					return
				}
				n, d := s.m.nearestOnSegment(a, b, pt)
				record(pt, n, d)
			}
			return
		}
		eb := segBound(a, b)
		eb = orb.Bound{Min: orb.Point{eb.Min[0] - dLon, eb.Min[1] - dLat}, Max: orb.Point{eb.Max[0] + dLon, eb.Max[1] + dLat}}
		if !eb.Intersects(s.bound) {
			return
		}
		s.segmentsNear(eb, func(k int) bool {
			sp, fp, d := s.m.nearestSegments(s.segs[k].a, s.segs[k].b, a, b)
			record(sp, fp, d)
			return best > 0
		})
	}
	for _, c := range order {
		if c.lb > best*metricMargin+1e-6 {
			break
		}
		p := &li.pieces[c.pi]
		switch {
		case li.dim == dimPoint:
			consider(p.point, p.point)
		case len(p.line) > 0:
			for i := 1; i < len(p.line); i++ {
				consider(p.line[i-1], p.line[i])
			}
		default:
			for _, r := range p.poly {
				for i := 1; i < len(r); i++ {
					if p.real(r[i-1], r[i]) {
						consider(r[i-1], r[i])
					}
				}
			}
		}
		if best == 0 {
			return 0, true
		}
	}
	if math.IsInf(best, 1) {
		return 0, false
	}
	d := math.Inf(1)
	for _, pr := range near {
		if pr.d <= best*metricMargin+1e-6 {
			d = math.Min(d, Distance(pr.s, pr.f))
		}
	}
	return d, d <= limit
}
