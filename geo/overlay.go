package geo

import (
	"fmt"

	"github.com/engelsjk/polygol"
	"github.com/paulmach/orb"
)

// OverlayOp is a polygon boolean operation.
type OverlayOp int

// The operations of Overlay.
const (
	Intersection OverlayOp = iota
	Difference
	Union
)

// Overlay computes subject op others (planar, in the coordinates given)
// with polygol (Martínez–Rueda–Feito), which accepts touching rings and
// the artefacts of clipping. Rings with fewer than 4 positions are
// dropped, a polygon whose shell is one of them entirely. An empty subject
// gives nil; so does an intersection with nothing; a difference with
// nothing gives subject. A failure of the library, a panic included, is
// an error and never a partial result.
func Overlay(op OverlayOp, subject orb.MultiPolygon, others ...orb.MultiPolygon) (res orb.MultiPolygon, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			res, err = nil, fmt.Errorf("几何运算失败：%v", rec)
		}
	}()
	s := toPolygol(subject)
	if len(s) == 0 {
		return nil, nil
	}
	var more []polygol.Geom
	for _, o := range others {
		if g := toPolygol(o); len(g) > 0 {
			more = append(more, g)
		}
	}
	var out polygol.Geom
	switch op {
	case Intersection:
		if len(more) == 0 {
			return nil, nil
		}
		out, err = polygol.Intersection(s, more...)
	case Difference:
		if len(more) == 0 {
			return subject, nil
		}
		out, err = polygol.Difference(s, more...)
	case Union:
		out, err = polygol.Union(s, more...)
	default:
		return nil, fmt.Errorf("geo: unknown overlay operation %d", op)
	}
	if err != nil {
		return nil, fmt.Errorf("几何运算失败：%w", err)
	}
	return fromPolygol(out), nil
}

func toPolygol(mp orb.MultiPolygon) polygol.Geom {
	g := make(polygol.Geom, 0, len(mp))
	for _, p := range mp {
		poly := make([][][]float64, 0, len(p))
		for k, r := range p {
			if len(r) < 4 {
				if k == 0 {
					break // no shell: the holes mean nothing
				}
				continue
			}
			ring := make([][]float64, len(r))
			flat := make([]float64, 2*len(r))
			for i, pt := range r {
				flat[2*i], flat[2*i+1] = pt[0], pt[1]
				ring[i] = flat[2*i : 2*i+2 : 2*i+2]
			}
			poly = append(poly, ring)
		}
		if len(poly) > 0 {
			g = append(g, poly)
		}
	}
	return g
}

func fromPolygol(g polygol.Geom) orb.MultiPolygon {
	mp := make(orb.MultiPolygon, 0, len(g))
	for _, p := range g {
		poly := make(orb.Polygon, 0, len(p))
		for _, r := range p {
			ring := make(orb.Ring, len(r))
			for i, c := range r {
				ring[i] = orb.Point{c[0], c[1]}
			}
			poly = append(poly, ring)
		}
		mp = append(mp, poly)
	}
	return mp
}
