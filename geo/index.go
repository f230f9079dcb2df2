package geo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"

	"github.com/sanxian/sanxian/internal/parallel"
)

// LayerSpec is one layer handed to NewIndex: its id and the geometry of
// each feature (Polygon, MultiPolygon, LineString, MultiLineString, Point
// or MultiPoint), already validated. All features of a layer must be of
// one dimension.
type LayerSpec struct {
	ID         string
	Geometries []orb.Geometry
}

// IndexOptions tune NewIndex.
type IndexOptions struct {
	// Tolerance for slivers; the zero value means DefaultTolerance.
	Tolerance Tolerance
	// MaxPieceVertices bounds the pieces large polygons and lines are split
	// into; zero means 64 (measured best on the sample: see docs/architecture.md).
	MaxPieceVertices int
	// Workers bounds the goroutines that cut features into pieces; zero
	// or negative means GOMAXPROCS. One does all the work on the calling
	// goroutine (and so on its OS thread, whatever priority that has).
	Workers int
}

// ErrMixedLayer reports a layer whose features are not all of one
// dimension (areal, linear or point).
var ErrMixedLayer = errors.New("geo: layer mixes geometry dimensions")

type dim uint8

const (
	dimPoint dim = iota
	dimLine
	dimArea
)

func dimOf(g orb.Geometry) (dim, bool) {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return dimPoint, true
	case orb.LineString, orb.MultiLineString:
		return dimLine, true
	case orb.Polygon, orb.MultiPolygon:
		return dimArea, true
	}
	return 0, false
}

// piece is a part of a feature small enough to test quickly. A polygon
// piece is the feature clipped to box (Sutherland–Hodgman, so it may carry
// zero-width artefacts along box sides, which every algorithm here
// tolerates); a line piece is a run of consecutive vertices; a point piece
// is one point.
type piece struct {
	feat  int32
	poly  orb.Polygon
	line  orb.LineString
	point orb.Point
	box   orb.Bound // clip box for polygon pieces, else bound
	bound orb.Bound // bound of the piece's geometry
	cuts  cutSides  // which sides of box are cuts through the feature
	area  float64   // geodesic area of a polygon piece
	// full is true when the piece covers its whole box (the inside of a
	// large zone): its overlay with a site is the site clipped to the box.
	full bool
}

// cutSides flags the sides of a piece's box that cut through its feature
// (min x, max x, min y, max y). Only along those can clipping leave
// artificial edges; a side on the feature's own bound adds none.
type cutSides [4]bool

func (c cutSides) any() bool { return c[0] || c[1] || c[2] || c[3] }

// onCut reports whether edge ab lies along a cut side of box.
func (c cutSides) onCut(a, b orb.Point, box orb.Bound) bool {
	if a[0] == b[0] && ((c[0] && a[0] == box.Min[0]) || (c[1] && a[0] == box.Max[0])) {
		return true
	}
	return a[1] == b[1] && ((c[2] && a[1] == box.Min[1]) || (c[3] && a[1] == box.Max[1]))
}

// real reports whether edge ab of the piece is an edge of the feature and
// not an artefact of clipping to the piece's box.
func (p *piece) real(a, b orb.Point) bool {
	return !p.cuts.any() || !p.cuts.onCut(a, b, p.box)
}

// reliable reports whether pt is off every cut side of the piece's box,
// where the piece alone answers for the feature.
func (p *piece) reliable(pt orb.Point) bool {
	c := p.cuts
	return !(c[0] && pt[0] <= p.box.Min[0] || c[1] && pt[0] >= p.box.Max[0] ||
		c[2] && pt[1] <= p.box.Min[1] || c[3] && pt[1] >= p.box.Max[1])
}

type layerIndex struct {
	id       string
	dim      dim
	geoms    []orb.Geometry
	bounds   []orb.Bound
	areas    []float64
	pieces   []piece
	pieceIdx rtree.RTreeG[int32]
	featIdx  rtree.RTreeG[int32]
}

// Index is an immutable spatial index over layers: an R-tree of feature
// pieces per layer, then exact tests on the pieces. It is safe for
// concurrent use.
type Index struct {
	layers    []*layerIndex
	byID      map[string]*layerIndex
	tolerance Tolerance
}

// NewIndex builds an index. Large polygons are split into pieces of at
// most opts.MaxPieceVertices vertices (as PostGIS's ST_Subdivide does), so
// that a query costs what the site needs, not what the zone weighs. Work
// is spread over the machine's cores.
func NewIndex(layers []LayerSpec, opts IndexOptions) (*Index, error) {
	maxV := opts.MaxPieceVertices
	if maxV <= 0 {
		maxV = 64
	}
	if maxV < 8 {
		maxV = 64
	}
	tol := opts.Tolerance
	if tol == (Tolerance{}) {
		tol = DefaultTolerance
	}
	x := &Index{byID: make(map[string]*layerIndex, len(layers)), tolerance: tol}
	for _, spec := range layers {
		if _, dup := x.byID[spec.ID]; dup {
			return nil, fmt.Errorf("geo: duplicate layer %q", spec.ID)
		}
		li := &layerIndex{id: spec.ID, geoms: spec.Geometries}
		for i, g := range spec.Geometries {
			d, ok := dimOf(g)
			if !ok {
				return nil, fmt.Errorf("geo: layer %q feature %d: unsupported geometry %T", spec.ID, i, g)
			}
			if i == 0 {
				li.dim = d
			} else if d != li.dim {
				return nil, fmt.Errorf("%w: layer %q feature %d", ErrMixedLayer, spec.ID, i)
			}
		}
		x.layers = append(x.layers, li)
		x.byID[spec.ID] = li
	}
	for _, li := range x.layers {
		li.build(maxV, opts.Workers)
	}
	return x, nil
}

func (li *layerIndex) build(maxV, workers int) {
	n := len(li.geoms)
	li.bounds = make([]orb.Bound, n)
	li.areas = make([]float64, n)
	perFeat := make([][]piece, n)
	parallel.For(workers, n, func(i int) {
		g := li.geoms[i]
		li.bounds[i] = g.Bound()
		perFeat[i] = splitFeature(int32(i), g, maxV)
		for _, p := range perFeat[i] {
			li.areas[i] += p.area
		}
	})
	for i, ps := range perFeat {
		li.featIdx.Insert(li.bounds[i].Min, li.bounds[i].Max, int32(i))
		li.pieces = append(li.pieces, ps...)
	}
	for i := range li.pieces {
		b := li.pieces[i].bound
		li.pieceIdx.Insert(b.Min, b.Max, int32(i))
	}
}

// splitFeature cuts one feature into pieces.
func splitFeature(feat int32, g orb.Geometry, maxV int) []piece {
	var out []piece
	switch g := g.(type) {
	case orb.Point:
		out = append(out, piece{feat: feat, point: g, box: g.Bound(), bound: g.Bound()})
	case orb.MultiPoint:
		for _, p := range g {
			out = append(out, piece{feat: feat, point: p, box: p.Bound(), bound: p.Bound()})
		}
	case orb.LineString:
		out = splitLine(feat, g, maxV, out)
	case orb.MultiLineString:
		for _, l := range g {
			out = splitLine(feat, l, maxV, out)
		}
	case orb.Polygon:
		out = splitPolygon(feat, g, g.Bound(), g.Bound(), maxV, out)
	case orb.MultiPolygon:
		for _, p := range g {
			out = splitPolygon(feat, p, p.Bound(), p.Bound(), maxV, out)
		}
	}
	return out
}

func splitLine(feat int32, l orb.LineString, maxV int, out []piece) []piece {
	for start := 0; start < len(l)-1; start += maxV - 1 {
		end := min(start+maxV, len(l))
		run := l[start:end]
		out = append(out, piece{feat: feat, line: run, box: run.Bound(), bound: run.Bound()})
	}
	return out
}

// splitFraction is where a box is cut: near the middle, but not at a round
// fraction, so that a cut practically never runs along a real edge of
// survey data.
const splitFraction = 0.4999937

// splitPolygon cuts p, already clipped to box, into pieces; whole is the
// bound of the polygon before any cut.
func splitPolygon(feat int32, p orb.Polygon, box, whole orb.Bound, maxV int, out []piece) []piece {
	nv := 0
	for _, r := range p {
		nv += len(r)
	}
	if nv <= maxV || box.Max[0]-box.Min[0] < 1e-6 && box.Max[1]-box.Min[1] < 1e-6 {
		pc := piece{feat: feat, poly: p, box: box, bound: p.Bound()}
		pc.cuts = cutSides{box.Min[0] > whole.Min[0], box.Max[0] < whole.Max[0], box.Min[1] > whole.Min[1], box.Max[1] < whole.Max[1]}
		pc.area = pc.cutArea(orb.MultiPolygon{p})
		pc.full = len(p) == 1 && planar.Area(p[0]) >= (box.Max[0]-box.Min[0])*(box.Max[1]-box.Min[1])*(1-1e-12)
		return append(out, pc)
	}
	var halves [2]orb.Bound
	if box.Max[0]-box.Min[0] >= box.Max[1]-box.Min[1] {
		c := box.Min[0] + (box.Max[0]-box.Min[0])*splitFraction
		halves[0] = orb.Bound{Min: box.Min, Max: orb.Point{c, box.Max[1]}}
		halves[1] = orb.Bound{Min: orb.Point{c, box.Min[1]}, Max: box.Max}
	} else {
		c := box.Min[1] + (box.Max[1]-box.Min[1])*splitFraction
		halves[0] = orb.Bound{Min: box.Min, Max: orb.Point{box.Max[0], c}}
		halves[1] = orb.Bound{Min: orb.Point{box.Min[0], c}, Max: box.Max}
	}
	for _, h := range halves {
		part := clipPolygon(h, p)
		if part != nil {
			out = splitPolygon(feat, part, h, whole, maxV, out)
		}
	}
	return out
}

// clipPolygon clips p to b (Sutherland–Hodgman via orb/clip) and drops
// rings that vanish; nil when nothing is left.
func clipPolygon(b orb.Bound, p orb.Polygon) orb.Polygon {
	c := clip.Polygon(b, p.Clone())
	if len(c) == 0 || len(c[0]) < 4 {
		return nil
	}
	out := orb.Polygon{c[0]}
	for _, r := range c[1:] {
		if len(r) >= 4 {
			out = append(out, r)
		}
	}
	return out
}

// FeaturesIn returns, in ascending order, the indexes of the features of
// layer whose bounds intersect b; nil for an unknown layer.
func (x *Index) FeaturesIn(layer string, b orb.Bound) []int {
	li, ok := x.byID[layer]
	if !ok {
		return nil
	}
	var out []int
	li.featIdx.Search(b.Min, b.Max, func(_, _ [2]float64, i int32) bool {
		out = append(out, int(i))
		return true
	})
	sort.Ints(out)
	return out
}

// FeatureArea returns the geodesic area in m² of feature i of layer (0 for
// lines, points, unknown layers or indexes).
func (x *Index) FeatureArea(layer string, i int) float64 {
	li, ok := x.byID[layer]
	if !ok || i < 0 || i >= len(li.areas) {
		return 0
	}
	return li.areas[i]
}

// Tolerance returns the sliver tolerance the index applies.
func (x *Index) Tolerance() Tolerance { return x.tolerance }

// Query answers q: every feature of the selected layers that the site
// lies in, overlaps, touches or comes within q.BufferM of. A failed
// computation (an overlay error, a cancelled context) returns an error,
// never a partial or empty result.
func (x *Index) Query(ctx context.Context, q Query) (*Result, error) {
	if q.BufferM < 0 || math.IsNaN(q.BufferM) || math.IsInf(q.BufferM, 0) {
		return nil, fmt.Errorf("geo: buffer %v must be a finite number ≥ 0", q.BufferM)
	}
	s, err := newSite(q.Geometry)
	if err != nil {
		return nil, err
	}
	layers := x.layers
	if len(q.Layers) > 0 {
		layers = layers[:0:0]
		want := make(map[string]bool, len(q.Layers))
		for _, id := range q.Layers {
			want[id] = true
		}
		for _, li := range x.layers {
			if want[li.id] {
				layers = append(layers, li)
			}
		}
	}
	tol := x.tolerance
	tol.EffectiveM2 = tol.effectiveArea(s.area)
	tol.EffectiveM = tol.MinLengthM
	res := &Result{Site: s.info(), Tolerance: tol, Hits: []Hit{}}
	for _, li := range layers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("geo: query: %w", err)
		}
		hits, err := li.query(ctx, s, q.BufferM, tol)
		if err != nil {
			return nil, fmt.Errorf("geo: layer %s: %w", li.id, err)
		}
		res.Hits = append(res.Hits, hits...)
	}
	return res, nil
}
