package geo

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Equatorial radius: along the equator a geodesic is the equator itself,
// so lengths there are a·Δλ exactly.
const a = 6378137.0

func degEq(d float64) float64 { return a * d * math.Pi / 180 }

func square(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func mustIndex(t testing.TB, opts IndexOptions, layers ...LayerSpec) *Index {
	t.Helper()
	x, err := NewIndex(layers, opts)
	require.NoError(t, err)
	return x
}

func query(t testing.TB, x *Index, g orb.Geometry, buffer float64) *Result {
	t.Helper()
	require.NoError(t, ValidateSite(g, Limits{}))
	r, err := x.Query(context.Background(), Query{Geometry: g, BufferM: buffer})
	require.NoError(t, err)
	return r
}

func hitByID(r *Result, layer string, feat int) *Hit {
	for i := range r.Hits {
		if r.Hits[i].Layer == layer && r.Hits[i].Feature == feat {
			return &r.Hits[i]
		}
	}
	return nil
}

func TestDistanceKnownAnswers(t *testing.T) {
	// One degree along the equator is a·π/180.
	assert.InDelta(t, 111319.4908, Distance(orb.Point{0, 0}, orb.Point{1, 0}), 1e-3)
	// One degree of meridian from the equator on the GRS80/CGCS2000
	// ellipsoid: 110574.389 m (the WGS84 value agrees to the millimetre).
	assert.InDelta(t, 110574.389, Distance(orb.Point{0, 0}, orb.Point{0, 1}), 2e-3)
	assert.Equal(t, 0.0, Distance(orb.Point{106.5, 29.5}, orb.Point{106.5, 29.5}))
}

// zoneArea is the exact area of the ellipsoidal quadrangle between two
// parallels and two meridians (authalic formula).
func zoneArea(lat0, lat1, dLon float64) float64 {
	f := 1 / 298.257222101
	e2 := f * (2 - f)
	e := math.Sqrt(e2)
	b2 := a * a * (1 - e2)
	q := func(lat float64) float64 {
		s := math.Sin(lat * math.Pi / 180)
		return s/(1-e2*s*s)/2 + math.Log((1+e*s)/(1-e*s))/(4*e)
	}
	return b2 * (q(lat1) - q(lat0)) * dLon * math.Pi / 180
}

func TestAreaKnownAnswers(t *testing.T) {
	// A 0.01° cell at 30°N: its top and bottom edges are so short that the
	// geodesic and the parallel differ by micrometres.
	cell := square(106, 30, 106.01, 30.01)
	want := zoneArea(30, 30.01, 0.01)
	assert.InDelta(t, want, Area(cell), want*1e-7)
	// Orientation does not matter.
	rev := orb.Polygon{cell[0].Clone()}
	rev[0].Reverse()
	assert.InDelta(t, Area(cell), Area(rev), 1e-6)
	// A hole is subtracted.
	holed := orb.Polygon{cell[0], square(106.004, 30.004, 106.006, 30.006)[0]}
	assert.InDelta(t, want-zoneArea(30.004, 30.006, 0.002), Area(holed), want*1e-7)
	// Multipolygons add.
	assert.InDelta(t, 2*Area(cell), Area(orb.MultiPolygon{cell, square(107, 30, 107.01, 30.01)}), 1e-3)
	assert.Equal(t, 0.0, Area(orb.LineString{{0, 0}, {1, 1}}))
}

// Two units sharing the edge x = 1, and a unit with a hole:
//
//	y=1 +-----+-----+   +-----------+ y=1
//	    |  A  |  B  |   |  C  +--+  |
//	    |     |     |   |     |H |  |
//	y=0 +-----+-----+   |     +--+  |
//	    0     1     2   3           5
func partitionFixture(t testing.TB, maxV int) *Index {
	c := square(3, 0, 5, 1)
	c = append(c, square(4, 0.25, 4.5, 0.75)[0])
	return mustIndex(t, IndexOptions{MaxPieceVertices: maxV},
		LayerSpec{ID: "units", Geometries: []orb.Geometry{square(0, 0, 1, 1), square(1, 0, 2, 1), c}})
}

func TestPointRelations(t *testing.T) {
	x := partitionFixture(t, 0)
	cases := []struct {
		name     string
		pt       orb.Point
		want     map[int]Relation
		boundary bool
	}{
		{"inside A", orb.Point{0.5, 0.5}, map[int]Relation{0: Within}, false},
		{"on the shared edge", orb.Point{1, 0.5}, map[int]Relation{0: Touches, 1: Touches}, true},
		{"on the shared vertex", orb.Point{1, 1}, map[int]Relation{0: Touches, 1: Touches}, true},
		{"in the hole", orb.Point{4.25, 0.5}, map[int]Relation{}, false},
		{"on the hole's edge", orb.Point{4, 0.5}, map[int]Relation{2: Touches}, true},
		{"outside everything", orb.Point{2.5, 0.5}, map[int]Relation{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := query(t, x, tc.pt, 0)
			got := map[int]Relation{}
			for _, h := range r.Hits {
				got[h.Feature] = h.Relation
				assert.Equal(t, tc.boundary, h.OnBoundary, "feature %d on boundary", h.Feature)
				assert.Equal(t, 0.0, h.DistanceM)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPointNearbyDistance(t *testing.T) {
	x := mustIndex(t, IndexOptions{}, LayerSpec{ID: "z", Geometries: []orb.Geometry{square(1, -1, 2, 1)}})
	pt := orb.Point{0.99, 0}
	r := query(t, x, pt, 2000)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, Nearby, r.Hits[0].Relation)
	// Along the equator to the edge x = 1: a·0.01°.
	assert.InDelta(t, degEq(0.01), r.Hits[0].DistanceM, 0.01)
	assert.Empty(t, query(t, x, pt, 1000).Hits, "1 km buffer does not reach 1.11 km away")
}

func TestPolygonOverlapsAddUpToSite(t *testing.T) {
	x := partitionFixture(t, 0)
	// Straddles A and B: x from 0.99 to 1.01. (Edges stay short: a long
	// geodesic edge split in two no longer bounds the same area.)
	site := square(0.99, 0.25, 1.01, 0.26)
	r := query(t, x, site, 0)
	require.Len(t, r.Hits, 2)
	wantA := Area(square(0.99, 0.25, 1, 0.26))
	wantB := Area(square(1, 0.25, 1.01, 0.26))
	for _, h := range r.Hits {
		assert.Equal(t, Intersects, h.Relation)
		require.NotNil(t, h.OverlapAreaM2)
		want := wantA
		if h.Feature == 1 {
			want = wantB
		}
		assert.InDelta(t, want, *h.OverlapAreaM2, 0.02)
		assert.InDelta(t, 0.5, *h.OverlapRatio, 1e-4)
	}
	assert.InDelta(t, Area(site), *r.Hits[0].OverlapAreaM2+*r.Hits[1].OverlapAreaM2, 0.05)
	assert.InDelta(t, Area(site), r.Site.AreaM2, 0.01)
}

func TestPolygonWithinContainsHole(t *testing.T) {
	x := partitionFixture(t, 0)
	within := query(t, x, square(0.1, 0.1, 0.2, 0.2), 0)
	require.Len(t, within.Hits, 1)
	assert.Equal(t, Within, within.Hits[0].Relation)
	assert.InDelta(t, 1.0, *within.Hits[0].OverlapRatio, 1e-6)

	contains := query(t, x, square(-0.5, -0.5, 1.5, 1.5), 0)
	a := hitByID(contains, "units", 0)
	require.NotNil(t, a)
	assert.Equal(t, Contains, a.Relation)
	assert.InDelta(t, Area(square(0, 0, 1, 1)), *a.OverlapAreaM2, 0.05)

	// A site over C's hole: only the ring around the hole counts.
	site := square(3.9, 0.2, 4.6, 0.8)
	r := query(t, x, site, 0)
	require.Len(t, r.Hits, 1)
	want := Area(site) - Area(square(4, 0.25, 4.5, 0.75))
	assert.InDelta(t, want, *r.Hits[0].OverlapAreaM2, 0.05)

	// Entirely inside the hole: nothing.
	assert.Empty(t, query(t, x, square(4.1, 0.3, 4.2, 0.4), 0).Hits)
}

func TestPolygonSharingAnEdgeTouches(t *testing.T) {
	x := partitionFixture(t, 0)
	// Lies in B, its left edge on A's right edge.
	r := query(t, x, square(1, 0.2, 1.2, 0.4), 0)
	require.Len(t, r.Hits, 2)
	assert.Equal(t, Touches, hitByID(r, "units", 0).Relation)
	assert.Equal(t, Within, hitByID(r, "units", 1).Relation)
}

func TestSliverIsTouch(t *testing.T) {
	x := partitionFixture(t, 0)
	// Inside B but crossing into A by 5e-8° (about 5 mm) over 0.001°
	// (about 110 m): an overlap of about 0.6 m², under 1 m² and under 0.01 %
	// of the site.
	site := square(1-5e-8, 0.2, 1.2, 0.201)
	r := query(t, x, site, 0)
	h := hitByID(r, "units", 0)
	require.NotNil(t, h)
	assert.Equal(t, Touches, h.Relation)
	require.NotNil(t, h.OverlapAreaM2)
	assert.Less(t, *h.OverlapAreaM2, r.Tolerance.EffectiveM2)
	assert.Equal(t, Within, hitByID(r, "units", 1).Relation)
}

// A U-shaped zone whose arms cross the equator at x∈[0.5,1] and
// x∈[2,2.5]; a line along the equator enters it twice.
//
//	y=2  +-----------------+
//	     |                 |
//	y=1  |    +-------+    |
//	     | A  |       | A  |
//	y=0 -|----|-------|----|-  line from x=0 to x=3
//	y=-1 +----+       +----+
//	    0.5   1       2   2.5
func TestLineCrossingTwiceGivesTwoChainages(t *testing.T) {
	u := orb.Polygon{{{0.5, -1}, {1, -1}, {1, 1}, {2, 1}, {2, -1}, {2.5, -1}, {2.5, 2}, {0.5, 2}, {0.5, -1}}}
	for _, maxV := range []int{0, 8} {
		x := mustIndex(t, IndexOptions{MaxPieceVertices: maxV}, LayerSpec{ID: "z", Geometries: []orb.Geometry{u}})
		r := query(t, x, orb.LineString{{0, 0}, {3, 0}}, 0)
		require.Len(t, r.Hits, 1)
		h := r.Hits[0]
		assert.Equal(t, Intersects, h.Relation)
		require.Len(t, h.ChainageM, 2)
		assert.InDelta(t, degEq(0.5), h.ChainageM[0][0], 0.01)
		assert.InDelta(t, degEq(1), h.ChainageM[0][1], 0.01)
		assert.InDelta(t, degEq(2), h.ChainageM[1][0], 0.01)
		assert.InDelta(t, degEq(2.5), h.ChainageM[1][1], 0.01)
		assert.InDelta(t, degEq(1), *h.OverlapLengthM, 0.02)
		assert.InDelta(t, degEq(3), r.Site.LengthM, 0.01)
	}
}

func TestLineInsideAndAlongBoundary(t *testing.T) {
	x := partitionFixture(t, 0)
	r := query(t, x, orb.LineString{{0.2, 0.5}, {0.8, 0.5}}, 0)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, Within, r.Hits[0].Relation)
	// Along the shared edge: touches both, boundary length reported.
	r = query(t, x, orb.LineString{{1, 0.2}, {1, 0.4}}, 0)
	require.Len(t, r.Hits, 2)
	for _, h := range r.Hits {
		assert.Equal(t, Touches, h.Relation)
	}
	// Crossing a vertex only.
	r = query(t, x, orb.LineString{{2.5, 1.5}, {1.5, 0.5}}, 0)
	require.NotNil(t, hitByID(r, "units", 1))
	assert.Equal(t, Intersects, hitByID(r, "units", 1).Relation)
}

func TestLineFeatures(t *testing.T) {
	river := orb.LineString{{0, 0}, {1, 0}, {2, 0}}
	x := mustIndex(t, IndexOptions{}, LayerSpec{ID: "rivers", Geometries: []orb.Geometry{river}})
	r := query(t, x, orb.Point{1.5, 0.01}, 2000)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, Nearby, r.Hits[0].Relation)
	assert.InDelta(t, Distance(orb.Point{1.5, 0}, orb.Point{1.5, 0.01}), r.Hits[0].DistanceM, 0.01)
	r = query(t, x, orb.LineString{{1.5, -1}, {1.5, 1}}, 0)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, Intersects, r.Hits[0].Relation)
	// A parcel across the river without its edges touching any vertex.
	r = query(t, x, square(0.2, -0.1, 0.4, 0.1), 0)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, Intersects, r.Hits[0].Relation)
	// A parcel holding a short river entirely.
	x = mustIndex(t, IndexOptions{}, LayerSpec{ID: "rivers", Geometries: []orb.Geometry{orb.LineString{{0.25, 0}, {0.3, 0}}}})
	r = query(t, x, square(0.2, -0.1, 0.4, 0.1), 0)
	require.Len(t, r.Hits, 1)
}

func TestLayerFilterAndCancel(t *testing.T) {
	x := mustIndex(t, IndexOptions{},
		LayerSpec{ID: "a", Geometries: []orb.Geometry{square(0, 0, 1, 1)}},
		LayerSpec{ID: "b", Geometries: []orb.Geometry{square(0, 0, 1, 1)}})
	r, err := x.Query(context.Background(), Query{Geometry: orb.Point{0.5, 0.5}, Layers: []string{"b"}})
	require.NoError(t, err)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, "b", r.Hits[0].Layer)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = x.Query(ctx, Query{Geometry: orb.Point{0.5, 0.5}})
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	_, err = x.Query(context.Background(), Query{Geometry: orb.Point{0.5, 0.5}, BufferM: -1})
	assert.Error(t, err)
}

// wavy is a star-like polygon with n vertices around (cx, cy).
func wavy(n int, cx, cy, r float64) orb.Polygon {
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		t := 2 * math.Pi * float64(i) / float64(n)
		rr := r * (1 + 0.3*math.Sin(7*t) + 0.1*math.Sin(31*t))
		ring = append(ring, orb.Point{cx + rr*math.Cos(t), cy + rr*math.Sin(t)})
	}
	return orb.Polygon{append(ring, ring[0])}
}

// Splitting a zone into pieces must not change any answer.
func TestSubdivisionDoesNotChangeAnswers(t *testing.T) {
	zone := wavy(3000, 106.5, 29.5, 0.2)
	hole := wavy(300, 106.5, 29.5, 0.03)
	hole[0].Reverse()
	zone = append(zone, hole[0])
	require.NoError(t, ValidatePolygon(zone))
	whole := mustIndex(t, IndexOptions{MaxPieceVertices: 1 << 20}, LayerSpec{ID: "z", Geometries: []orb.Geometry{zone}})
	split := mustIndex(t, IndexOptions{MaxPieceVertices: 32}, LayerSpec{ID: "z", Geometries: []orb.Geometry{zone}})
	require.Greater(t, len(split.byID["z"].pieces), 50)
	assert.InDelta(t, Area(zone), whole.FeatureArea("z", 0), Area(zone)*1e-12)
	assert.InDelta(t, Area(zone), split.FeatureArea("z", 0), Area(zone)*1e-8)

	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		c := orb.Point{106.5 + (rng.Float64()-0.5)*0.6, 29.5 + (rng.Float64()-0.5)*0.6}
		var g orb.Geometry
		switch i % 3 {
		case 0:
			g = c
		case 1:
			g = orb.LineString{c, {c[0] + (rng.Float64()-0.5)*0.3, c[1] + (rng.Float64()-0.5)*0.3}, {c[0] + (rng.Float64()-0.5)*0.3, c[1]}}
		case 2:
			// Edges of 100–200 m, as drawn parcels have: a long geodesic
			// edge cut in two at a piece side bounds a slightly different
			// area (about 7 m² for a 1 km edge at this latitude).
			g = wavy(300, c[0], c[1], 0.01+rng.Float64()*0.05)
		}
		rw, rs := query(t, whole, g, 500), query(t, split, g, 500)
		require.Equal(t, len(rw.Hits), len(rs.Hits), "query %d %v", i, g.GeoJSONType())
		for j := range rw.Hits {
			hw, hs := rw.Hits[j], rs.Hits[j]
			assert.Equal(t, hw.Relation, hs.Relation, "query %d", i)
			assert.InDelta(t, hw.DistanceM, hs.DistanceM, 0.02, "query %d", i)
			if hw.OverlapAreaM2 != nil {
				require.NotNil(t, hs.OverlapAreaM2, "query %d", i)
				assert.InDelta(t, *hw.OverlapAreaM2, *hs.OverlapAreaM2, math.Max(0.5, *hw.OverlapAreaM2*1e-6), "query %d", i)
			}
			if hw.OverlapLengthM != nil {
				require.NotNil(t, hs.OverlapLengthM, "query %d", i)
				assert.InDelta(t, *hw.OverlapLengthM, *hs.OverlapLengthM, 0.05, "query %d", i)
				assert.Equal(t, len(hw.ChainageM), len(hs.ChainageM), "query %d", i)
			}
		}
	}
}

// Parcels settled without an overlay (piece.settles: no edge of the piece
// near the parcel) get the area the overlay of the parcel with the whole
// feature gives, as do those that need the overlay; both kinds occur.
func TestSettledOverlapsMatchOverlay(t *testing.T) {
	zone := wavy(3000, 106.5, 29.5, 0.2)
	hole := wavy(300, 106.5, 29.5, 0.03)
	hole[0].Reverse()
	zone = append(zone, hole[0])
	x := mustIndex(t, IndexOptions{MaxPieceVertices: 32}, LayerSpec{ID: "z", Geometries: []orb.Geometry{zone}})
	li := x.byID["z"]
	rng := rand.New(rand.NewPCG(5, 6))
	settledIn, settledOut, overlaid := 0, 0, 0
	for i := 0; i < 200; i++ {
		c := orb.Point{106.5 + (rng.Float64()-0.5)*0.5, 29.5 + (rng.Float64()-0.5)*0.5}
		site := wavy(64, c[0], c[1], 0.002+rng.Float64()*0.02)
		for pi := range li.pieces {
			p := &li.pieces[pi]
			if p.full || !p.bound.Intersects(site.Bound()) {
				continue
			}
			switch in, ok := p.settles(site.Bound()); {
			case ok && in:
				settledIn++
			case ok:
				settledOut++
			default:
				overlaid++
			}
		}
		want := 0.0
		if ov, err := Overlay(Intersection, orb.MultiPolygon{site}, orb.MultiPolygon{zone}); assert.NoError(t, err) {
			want = Area(ov)
		}
		got := 0.0
		for _, h := range query(t, x, site, 0).Hits {
			if h.OverlapAreaM2 != nil {
				got += *h.OverlapAreaM2
			}
		}
		assert.InDelta(t, want, got, math.Max(0.5, want*1e-6), "site %d at %v", i, c)
	}
	t.Logf("pieces settled inside %d, outside %d, overlaid %d", settledIn, settledOut, overlaid)
	assert.Greater(t, settledIn, 20)
	assert.Greater(t, settledOut, 5)
	assert.Greater(t, overlaid, 20)
}

// The overlaps of any site with a partition add up to the site's area.
func TestPartitionOverlapsSumToSiteArea(t *testing.T) {
	// A 6×6 grid of wavy-edged cells sharing edges exactly: cell edges
	// are built from one function of the lattice so neighbours agree.
	const n = 6
	edge := func(p, q orb.Point) []orb.Point {
		pts := []orb.Point{p}
		for k := 1; k < 20; k++ {
			t := float64(k) / 20
			x, y := p[0]+(q[0]-p[0])*t, p[1]+(q[1]-p[1])*t
			w := 0.003 * math.Sin(math.Pi*t) * math.Sin(37*x+53*y)
			pts = append(pts, orb.Point{x + w*(q[1]-p[1])*10, y - w*(q[0]-p[0])*10})
		}
		return pts
	}
	node := func(i, j int) orb.Point { return orb.Point{106 + float64(i)*0.1, 29 + float64(j)*0.1} }
	var cells []orb.Geometry
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var ring orb.Ring
			corners := []orb.Point{node(i, j), node(i+1, j), node(i+1, j+1), node(i, j+1), node(i, j)}
			for k := 0; k < 4; k++ {
				p, q := corners[k], corners[k+1]
				// Walk every edge in canonical direction so both
				// neighbours get identical vertices.
				if p[0] > q[0] || (p[0] == q[0] && p[1] > q[1]) {
					e := edge(q, p)
					e = append(e, p)
					for l, r := 0, len(e)-1; l < r; l, r = l+1, r-1 {
						e[l], e[r] = e[r], e[l]
					}
					ring = append(ring, e[:len(e)-1]...)
				} else {
					ring = append(ring, edge(p, q)...)
				}
			}
			ring = append(ring, ring[0])
			poly := orb.Polygon{ring}
			require.NoError(t, ValidatePolygon(poly))
			cells = append(cells, poly)
		}
	}
	x := mustIndex(t, IndexOptions{MaxPieceVertices: 16}, LayerSpec{ID: "cells", Geometries: cells})
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ {
		// Sites stay inside the grid: radius ≤ 0.08 × 1.4 around centres
		// at least 0.15 from its sides.
		c := orb.Point{106.15 + rng.Float64()*0.3, 29.15 + rng.Float64()*0.3}
		site := wavy(200, c[0], c[1], 0.02+rng.Float64()*0.06)
		r := query(t, x, site, 0)
		sum := 0.0
		for _, h := range r.Hits {
			if h.OverlapAreaM2 != nil {
				sum += *h.OverlapAreaM2
			}
		}
		assert.InDelta(t, r.Site.AreaM2, sum, r.Site.AreaM2*1e-4, "site %d", i)
		// A random point lies in exactly one cell unless on an edge.
		pt := orb.Point{106.05 + rng.Float64()*0.5, 29.05 + rng.Float64()*0.5}
		pr := query(t, x, pt, 0)
		require.Len(t, pr.Hits, 1, "point %v", pt)
		assert.Equal(t, Within, pr.Hits[0].Relation)
	}
}

func TestValidateSite(t *testing.T) {
	cases := []struct {
		name string
		g    orb.Geometry
		code string
		path string
	}{
		{"unclosed ring", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}, CodeUnclosedRing, "polygon[0].ring[0]"},
		{"bow tie", orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}, CodeSelfIntersect, "polygon[0].ring[0]"},
		{"latitude out of range", orb.Point{29.5, 106.5}, CodeOutOfRange, "point[0]"},
		{"NaN", orb.LineString{{0, 0}, {math.NaN(), 1}}, CodeNotFinite, "line.point[1]"},
		{"short ring", orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}, CodeTooFewPoints, "polygon[0].ring[0]"},
		{"one-point line", orb.LineString{{0, 0}}, CodeTooFewPoints, "line"},
		{"empty", orb.MultiPoint{}, CodeEmpty, ""},
		{"collection", orb.Collection{orb.Point{1, 1}}, CodeUnsupportedType, ""},
		{"overlapping multipolygon", orb.MultiPolygon{square(0, 0, 1, 1), square(0.5, 0.5, 1.5, 1.5)}, CodeInvalidPolygon, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSite(tc.g, Limits{})
			var ge *GeometryError
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, tc.code, ge.Code, ge.Message)
			if tc.path != "" {
				assert.Contains(t, ge.Path, tc.path)
			}
			assert.NotEmpty(t, ge.Message)
		})
	}
	// The bow tie's message names the crossing, not just a vertex.
	var bt *GeometryError
	require.ErrorAs(t, ValidateSite(orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}, Limits{}), &bt)
	require.NotNil(t, bt.Point)
	assert.InDelta(t, 0.5, bt.Point[0], 1e-12)
	assert.InDelta(t, 0.5, bt.Point[1], 1e-12)
	assert.Contains(t, bt.Message, "第 1 条边")
	assert.Contains(t, bt.Message, "第 3 条边")

	big := wavy(500, 0, 0, 1)
	var ge *GeometryError
	require.ErrorAs(t, ValidateSite(big, Limits{MaxVertices: 100}), &ge)
	assert.Equal(t, CodeTooManyVertices, ge.Code)
	assert.NoError(t, ValidateSite(big, Limits{}))
	assert.NoError(t, ValidateSite(orb.Point{106.5, 29.5}, Limits{}))
}

func TestSimplifyForZoomKeepsRings(t *testing.T) {
	zone := wavy(3000, 106.5, 29.5, 0.2)
	low := SimplifyForZoom(zone, 5).(orb.Polygon)
	assert.GreaterOrEqual(t, len(low[0]), 4)
	assert.Less(t, len(low[0]), 300)
	high := SimplifyForZoom(zone, 18).(orb.Polygon)
	assert.Greater(t, len(high[0]), 2000)
	assert.Equal(t, 3001, len(zone[0]), "input untouched")
	tiny := square(106, 29, 106.00001, 29.00001)
	assert.Len(t, SimplifyForZoom(tiny, 0).(orb.Polygon)[0], 5)
}

// A large site does not hide a real overlap: the sliver rule needs both
// 1 m² and 0.01 % of the site.
func TestLargeSiteDoesNotHideRealOverlap(t *testing.T) {
	// A zone 0.001° wide crossed by a 0.5°×0.5° site (≈ 2,600 km²): the
	// overlap is ≈ 5 km² … reduce it to a strip 2 m wide (≈ 100,000 m²
	// over 50 km) that 0.01 % of the site (≈ 26 ha) would swallow.
	strip := square(106.25, 29.0, 106.25002, 30.0)
	x := mustIndex(t, IndexOptions{}, LayerSpec{ID: "redline", Geometries: []orb.Geometry{strip}})
	r := query(t, x, square(106.0, 29.2, 106.5, 29.7), 0)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, Intersects, r.Hits[0].Relation)
	assert.Equal(t, 1.0, r.Tolerance.EffectiveM2)
}

// Long site edges are geodesics: the overlaps of a 15 km square parcel
// with a partition add up to its geodesic area, and distances from a long
// edge are measured to the geodesic, not to the straight lon/lat line.
func TestLongSiteEdgesAreGeodesics(t *testing.T) {
	x := partitionFixture(t, 16)
	site := square(0.9, 0.3, 1.035, 0.435) // ≈ 15 km sides across A and B
	r := query(t, x, site, 0)
	sum := 0.0
	for _, h := range r.Hits {
		sum += *h.OverlapAreaM2
	}
	assert.InDelta(t, Area(site), sum, Area(site)*1e-9)

	// A square feature just north of the middle of a 15 km east–west
	// line at 30° N. The geodesic bows north (towards the pole) by about
	// 2.3 m there; the distance must follow it.
	feat := square(106.0675, 30.0063, 106.0685, 30.0073)
	y := mustIndex(t, IndexOptions{}, LayerSpec{ID: "f", Geometries: []orb.Geometry{feat}})
	line := orb.LineString{{106.0, 30.0}, {106.156, 30.0}}
	got := query(t, y, line, 2000)
	require.Len(t, got.Hits, 1)
	// Independent answer: sample the geodesic every metre.
	gl := ellipsoid.InverseLine(30, 106, 30, 106.156, 0x7F80|0x1F)
	best := math.Inf(1)
	for s := 0.0; s <= gl.S13(); s++ {
		var lat, lon float64
		gl.Position(s, &lat, &lon, nil)
		for _, c := range []orb.Point{{106.0675, 30.0063}, {106.068, 30.0063}, {106.0685, 30.0063}} {
			best = math.Min(best, Distance(orb.Point{lon, lat}, c))
		}
	}
	assert.InDelta(t, best, got.Hits[0].DistanceM, 0.3)
	// The straight lon/lat line would be ≈ 2.3 m farther.
	assert.Greater(t, Distance(orb.Point{106.068, 30.0}, orb.Point{106.068, 30.0063})-got.Hits[0].DistanceM, 1.5)
}

// A line inside a feature that runs partly along its boundary is within
// it, as ST_Within says.
func TestLinePartlyAlongBoundaryIsWithin(t *testing.T) {
	x := partitionFixture(t, 0)
	r := query(t, x, orb.LineString{{0, 0.5}, {0, 0.8}, {0.5, 0.8}}, 0) // starts on A's west edge
	h := hitByID(r, "units", 0)
	require.NotNil(t, h)
	assert.Equal(t, Within, h.Relation)
}
