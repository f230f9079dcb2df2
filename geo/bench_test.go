package geo

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/engelsjk/polygol"
	"github.com/paulmach/orb"
)

// benchCells builds an n×n partition of cells 0.1° wide around Chongqing
// whose shared edges carry k wiggly vertices each (exactly shared), so
// that 28×28 cells with k=100 give ≈ 320,000 vertices: the size of the
// sample dataset.
func benchCells(n, k int) []orb.Geometry {
	node := func(i, j int) orb.Point { return orb.Point{105.5 + float64(i)*0.1, 28.5 + float64(j)*0.1} }
	edge := func(p, q orb.Point) []orb.Point { // canonical direction p < q
		pts := make([]orb.Point, 0, k)
		pts = append(pts, p)
		for s := 1; s < k; s++ {
			t := float64(s) / float64(k)
			x, y := p[0]+(q[0]-p[0])*t, p[1]+(q[1]-p[1])*t
			w := 0.004 * math.Sin(math.Pi*t) * math.Sin(97*x+61*y+float64(s))
			pts = append(pts, orb.Point{x + w*(q[1]-p[1])*10, y - w*(q[0]-p[0])*10})
		}
		return pts
	}
	var cells []orb.Geometry
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			corners := []orb.Point{node(i, j), node(i+1, j), node(i+1, j+1), node(i, j+1), node(i, j)}
			var ring orb.Ring
			for c := 0; c < 4; c++ {
				p, q := corners[c], corners[c+1]
				if p[0] > q[0] || (p[0] == q[0] && p[1] > q[1]) {
					e := append(edge(q, p), p)
					for l, r := 0, len(e)-1; l < r; l, r = l+1, r-1 {
						e[l], e[r] = e[r], e[l]
					}
					ring = append(ring, e[:len(e)-1]...)
				} else {
					ring = append(ring, edge(p, q)...)
				}
			}
			cells = append(cells, orb.Polygon{append(ring, ring[0])})
		}
	}
	return cells
}

var benchSink int

// runQueries runs the sites round-robin against x, b.N times.
func runQueries[G orb.Geometry](b *testing.B, x *Index, sites []G) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := x.Query(ctx, Query{Geometry: sites[i%len(sites)]})
		if err != nil {
			b.Fatal(err)
		}
		benchSink += len(r.Hits)
	}
}

func benchIndex(b *testing.B, maxV int) (*Index, []orb.Geometry) {
	cells := benchCells(28, 100)
	x, err := NewIndex([]LayerSpec{{ID: "cells", Geometries: cells}}, IndexOptions{MaxPieceVertices: maxV})
	if err != nil {
		b.Fatal(err)
	}
	return x, cells
}

func randomPoints(n int) []orb.Point {
	rng := rand.New(rand.NewPCG(7, 7))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{105.6 + rng.Float64()*2.6, 28.6 + rng.Float64()*2.6}
	}
	return pts
}

func BenchmarkIndexBuild(b *testing.B) {
	cells := benchCells(28, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NewIndex([]LayerSpec{{ID: "cells", Geometries: cells}}, IndexOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPointCheck(b *testing.B) {
	x, _ := benchIndex(b, 0)
	pts := randomPoints(1024)
	runQueries(b, x, pts)
}

// BenchmarkPointCheckNaive scans every feature: bound test, then the exact
// test on the whole polygon.
func BenchmarkPointCheckNaive(b *testing.B) {
	_, cells := benchIndex(b, 0)
	bounds := make([]orb.Bound, len(cells))
	for i, c := range cells {
		bounds[i] = c.Bound()
	}
	pts := randomPoints(1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pts[i%len(pts)]
		for j, c := range cells {
			if bounds[j].Contains(p) && locate(c, p) != outside {
				benchSink++
			}
		}
	}
}

func benchSites(n int) []orb.Polygon {
	rng := rand.New(rand.NewPCG(9, 9))
	sites := make([]orb.Polygon, n)
	for i := range sites {
		// A 1,000-vertex parcel about 2–3 km across.
		sites[i] = wavy(999, 105.7+rng.Float64()*2.5, 28.7+rng.Float64()*2.5, 0.012)
	}
	return sites
}

func BenchmarkPolygon1000Check(b *testing.B) {
	x, _ := benchIndex(b, 0)
	sites := benchSites(64)
	runQueries(b, x, sites)
}

// BenchmarkPolygon1000CheckNaive overlays the site with every feature
// whose bound meets it, whole, without pieces.
func BenchmarkPolygon1000CheckNaive(b *testing.B) {
	_, cells := benchIndex(b, 0)
	sites := benchSites(64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := sites[i%len(sites)]
		sb := s.Bound()
		for _, c := range cells {
			if !c.Bound().Intersects(sb) {
				continue
			}
			res, err := polygol.Intersection(toPolygol(orb.MultiPolygon{s}), toPolygol(orb.MultiPolygon{c.(orb.Polygon)}))
			if err != nil {
				b.Fatal(err)
			}
			benchSink += int(Area(fromPolygol(res)))
		}
	}
}

func benchLines(n int) []orb.LineString {
	rng := rand.New(rand.NewPCG(11, 11))
	lines := make([]orb.LineString, n)
	for i := range lines {
		// About 50 km: 200 vertices, 250 m apart, heading east-north-east.
		l := make(orb.LineString, 200)
		p := orb.Point{105.7 + rng.Float64()*1.5, 28.7 + rng.Float64()*1.5}
		for j := range l {
			l[j] = p
			a := 0.4 + 0.3*math.Sin(float64(j)/15)
			p = orb.Point{p[0] + 0.0026*math.Cos(a), p[1] + 0.0022*math.Sin(a)}
		}
		lines[i] = l
	}
	return lines
}

func BenchmarkLine50kmCheck(b *testing.B) {
	x, _ := benchIndex(b, 0)
	lines := benchLines(64)
	runQueries(b, x, lines)
}

// BenchmarkLine50kmCheckUnsplit is the same query on an index whose
// polygons are not cut into pieces.
func BenchmarkLine50kmCheckUnsplit(b *testing.B) {
	x, _ := benchIndex(b, 1<<30)
	lines := benchLines(64)
	runQueries(b, x, lines)
}
