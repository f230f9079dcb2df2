package compare

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// Query classes, in report order.
const (
	ClassPoint         = "point"
	ClassPointBuffer   = "point+buffer"
	ClassLine          = "line"
	ClassLineBuffer    = "line+buffer"
	ClassPolygon       = "polygon"
	ClassPolygonBuffer = "polygon+buffer"
	ClassBatch         = "batch"
)

// Classes lists the query classes in report order.
var Classes = []string{ClassPoint, ClassPointBuffer, ClassLine, ClassLineBuffer, ClassPolygon, ClassPolygonBuffer, ClassBatch}

// Query is one comparison query: a site, a buffer and a stable id.
type Query struct {
	ID      string
	Class   string
	Kind    string // how the site was made: uniform, outside, vertex, edge, line, parcel
	Site    orb.Geometry
	BufferM float64
}

// Counts is how many queries of each class to generate.
type Counts map[string]int

// DefaultCounts is the query set of `make compare`.
func DefaultCounts() Counts {
	return Counts{
		ClassPoint: 2000, ClassPointBuffer: 600,
		ClassLine: 300, ClassLineBuffer: 200,
		ClassPolygon: 600, ClassPolygonBuffer: 200,
		ClassBatch: 2000,
	}
}

// Scaled returns c with every count multiplied by f (at least 1 each).
func (c Counts) Scaled(f float64) Counts {
	out := Counts{}
	for k, v := range c {
		out[k] = max(1, int(math.Round(float64(v)*f)))
	}
	return out
}

// Total is the number of queries.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// buffers used by the +buffer classes, alternating.
var buffers = []float64{500, 2000}

// Generate makes the deterministic query set for d: the same seed, counts
// and dataset give the same queries. Points fall anywhere in the
// districts' extent and up to 5 % beyond it (outside the coverage), a
// fifth of them exactly on a vertex of a control unit or of a district
// (shared by neighbours: a boundary probe) and a tenth at the middle of
// such an edge. Lines are 1–30 km roads or pipelines of 10–200 vertices
// wandering from a point in the extent; polygons are star-shaped parcels
// of 0.5–200 ha with 8–256 vertices. Every site passes geo.ValidateSite.
func Generate(d *admission.Dataset, seed uint64, counts Counts) ([]Query, error) {
	g, err := newGenerator(d, seed)
	if err != nil {
		return nil, err
	}
	var qs []Query
	for _, class := range Classes {
		for i := range counts[class] {
			q := Query{ID: fmt.Sprintf("%s-%04d", classCode(class), i), Class: class}
			if class == ClassPointBuffer || class == ClassLineBuffer || class == ClassPolygonBuffer {
				q.BufferM = buffers[i%len(buffers)]
			}
			for attempt := 0; ; attempt++ {
				switch class {
				case ClassPoint, ClassPointBuffer, ClassBatch:
					q.Kind, q.Site = g.point(class == ClassBatch)
				case ClassLine, ClassLineBuffer:
					q.Kind, q.Site = "line", g.line()
				case ClassPolygon, ClassPolygonBuffer:
					q.Kind, q.Site = "parcel", g.parcel()
				}
				if geo.ValidateSite(q.Site, geo.Limits{}) == nil {
					break
				}
				if attempt > 100 {
					return nil, fmt.Errorf("compare: no valid %s site after 100 attempts", class)
				}
			}
			qs = append(qs, q)
		}
	}
	return qs, nil
}

func classCode(class string) string {
	switch class {
	case ClassPoint:
		return "pt"
	case ClassPointBuffer:
		return "ptb"
	case ClassLine:
		return "ln"
	case ClassLineBuffer:
		return "lnb"
	case ClassPolygon:
		return "pg"
	case ClassPolygonBuffer:
		return "pgb"
	default:
		return "bt"
	}
}

type generator struct {
	rng    *rand.Rand
	extent orb.Bound
	// rings of partition features (control units and districts), for
	// boundary probes.
	rings []orb.Ring
}

func newGenerator(d *admission.Dataset, seed uint64) (*generator, error) {
	g := &generator{rng: rand.New(rand.NewPCG(seed, seed^0x636f6d70617265))}
	first := true
	for _, id := range []string{admission.LayerDistricts, admission.LayerControlUnits} {
		l, ok := d.Layer(id)
		if !ok {
			continue
		}
		for _, f := range l.Features {
			b := f.Geometry.Bound()
			if first {
				g.extent, first = b, false
			} else {
				g.extent = g.extent.Union(b)
			}
			switch gm := f.Geometry.(type) {
			case orb.Polygon:
				g.rings = append(g.rings, gm...)
			case orb.MultiPolygon:
				for _, p := range gm {
					g.rings = append(g.rings, p...)
				}
			}
		}
	}
	if first || len(g.rings) == 0 {
		return nil, fmt.Errorf("compare: the dataset has no %s or %s polygons to draw queries from", admission.LayerDistricts, admission.LayerControlUnits)
	}
	return g, nil
}

// uniform is a position in the extent grown by margin (a share of its
// size on each side).
func (g *generator) uniform(margin float64) orb.Point {
	w, h := g.extent.Max[0]-g.extent.Min[0], g.extent.Max[1]-g.extent.Min[1]
	return orb.Point{
		g.extent.Min[0] - margin*w + g.rng.Float64()*w*(1+2*margin),
		g.extent.Min[1] - margin*h + g.rng.Float64()*h*(1+2*margin),
	}
}

// point draws a point site. Batch points are uniform only (a screening
// list); the others include boundary probes.
func (g *generator) point(batch bool) (string, orb.Geometry) {
	r := g.rng.Float64()
	switch {
	case batch || r < 0.7:
		p := g.uniform(0.05)
		if !g.extent.Contains(p) {
			return "outside", p
		}
		return "uniform", p
	case r < 0.9:
		ring := g.rings[g.rng.IntN(len(g.rings))]
		return "vertex", ring[g.rng.IntN(len(ring)-1)]
	default:
		ring := g.rings[g.rng.IntN(len(g.rings))]
		k := g.rng.IntN(len(ring) - 1)
		a, b := ring[k], ring[k+1]
		return "edge", orb.Point{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
	}
}

// metres per degree at latitude lat (spherical approximation, enough to
// size generated sites).
func degPerM(lat float64) (dLon, dLat float64) {
	const m = 111_320.0
	return 1 / (m * math.Cos(lat*math.Pi/180)), 1 / m
}

// logUniform draws from [lo, hi] uniformly in log scale.
func (g *generator) logUniform(lo, hi float64) float64 {
	return lo * math.Exp(g.rng.Float64()*math.Log(hi/lo))
}

// line is a road or pipeline: 1–30 km, 10–200 vertices, a heading that
// wanders smoothly, starting inside the extent.
func (g *generator) line() orb.Geometry {
	length := g.logUniform(1000, 30000)
	n := 10 + g.rng.IntN(191)
	step := length / float64(n-1)
	p := g.uniform(0)
	dLon, dLat := degPerM(p[1])
	heading := g.rng.Float64() * 2 * math.Pi
	turn := 0.0
	ls := make(orb.LineString, 0, n)
	ls = append(ls, p)
	for range n - 1 {
		turn = 0.7*turn + (g.rng.Float64()-0.5)*0.3
		heading += turn
		p = orb.Point{p[0] + math.Cos(heading)*step*dLon, p[1] + math.Sin(heading)*step*dLat}
		ls = append(ls, p)
	}
	return ls
}

// parcel is a star-shaped polygon of 0.5–200 ha with 8–256 vertices
// around a centre in the extent (counter-clockwise, so simple).
func (g *generator) parcel() orb.Geometry {
	area := g.logUniform(5_000, 2_000_000)
	n := 8 + g.rng.IntN(249)
	c := g.uniform(0)
	dLon, dLat := degPerM(c[1])
	// Radii vary by up to ±35 % with a few smooth harmonics; the mean
	// radius is scaled so that the polygon has about the wanted area.
	amp := [3]float64{g.rng.Float64() * 0.2, g.rng.Float64() * 0.1, g.rng.Float64() * 0.05}
	ph := [3]float64{g.rng.Float64() * 6.3, g.rng.Float64() * 6.3, g.rng.Float64() * 6.3}
	radii := make([]float64, n)
	sum2 := 0.0
	for k := range n {
		t := 2 * math.Pi * float64(k) / float64(n)
		r := 1 + amp[0]*math.Sin(2*t+ph[0]) + amp[1]*math.Sin(3*t+ph[1]) + amp[2]*math.Sin(5*t+ph[2])
		r *= 1 + (g.rng.Float64()-0.5)*0.1
		radii[k] = r
		sum2 += r * r
	}
	// Area of the star polygon ≈ ½ Σ r_k r_{k+1} sin(2π/n) ≈ ½ n sin(2π/n) mean(r²).
	scale := math.Sqrt(area / (0.5 * float64(n) * math.Sin(2*math.Pi/float64(n)) * sum2 / float64(n)))
	ring := make(orb.Ring, 0, n+1)
	for k := range n {
		t := 2 * math.Pi * float64(k) / float64(n)
		r := radii[k] * scale
		ring = append(ring, orb.Point{c[0] + math.Cos(t)*r*dLon, c[1] + math.Sin(t)*r*dLat})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}
