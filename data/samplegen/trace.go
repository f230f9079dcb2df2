package samplegen

import "slices"

// vpoly is a polygon as rings of lattice vertex ids: the outer ring
// (counter-clockwise) first, then holes (clockwise). Rings are not closed.
type vpoly [][]int32

// tracer turns labelled cells into polygons.
type tracer struct {
	l    *lattice
	next []int32 // scratch: next vertex of a boundary edge, -1 when unused
	comp []int32 // scratch: component id per cell
}

func newTracer(l *lattice) *tracer {
	t := &tracer{l: l, next: make([]int32, l.nVertices()), comp: make([]int32, l.n())}
	for i := range t.next {
		t.next[i] = -1
	}
	return t
}

// trace returns, for each label 0..nLabels-1, one polygon per connected
// component of the cells carrying that label (labels < 0 are ignored).
// Components come in the order of their lowest cell index, holes in the
// order they are met, so the result is deterministic.
func (t *tracer) trace(labels []int32, nLabels int) [][]vpoly {
	l := t.l
	out := make([][]vpoly, nLabels)
	for i := range t.comp {
		t.comp[i] = -1
	}
	var queue, cells []int
	var starts []int32
	ncomp := int32(0)
	for c0, lab := range labels {
		if lab < 0 || t.comp[c0] >= 0 {
			continue
		}
		// Flood-fill the component.
		cells = cells[:0]
		queue = append(queue[:0], c0)
		t.comp[c0] = ncomp
		for len(queue) > 0 {
			c := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			cells = append(cells, c)
			for k := 0; k < 6; k++ {
				n := l.neighbor(c, k)
				if n >= 0 && labels[n] == lab && t.comp[n] < 0 {
					t.comp[n] = ncomp
					queue = append(queue, n)
				}
			}
		}
		ncomp++
		slices.Sort(cells)
		// Boundary edges, region on the left.
		starts = starts[:0]
		for _, c := range cells {
			for k := 0; k < 6; k++ {
				n := l.neighbor(c, k)
				if n >= 0 && labels[n] == lab {
					continue
				}
				from := l.corner(c, (k+5)%6)
				t.next[from] = l.corner(c, k)
				starts = append(starts, from)
			}
		}
		var rings [][]int32
		outer, best := -1, 0.0
		for _, s := range starts {
			if t.next[s] < 0 {
				continue
			}
			ring := []int32{}
			v := s
			for {
				ring = append(ring, v)
				nv := t.next[v]
				t.next[v] = -1
				v = nv
				if v == s {
					break
				}
			}
			a := t.ringArea(ring)
			if a > best {
				outer, best = len(rings), a
			}
			rings = append(rings, ring)
		}
		p := vpoly{rings[outer]}
		for i, r := range rings {
			if i != outer {
				p = append(p, r)
			}
		}
		out[lab] = append(out[lab], p)
	}
	return out
}

// ringArea is the signed shoelace area of a ring on the undisplaced lattice.
func (t *tracer) ringArea(ring []int32) float64 {
	s := 0.0
	x0, y0 := t.l.vertexPos(ring[0])
	px, py := 0.0, 0.0
	for i := 1; i < len(ring); i++ {
		x, y := t.l.vertexPos(ring[i])
		x, y = x-x0, y-y0
		s += px*y - x*py
		px, py = x, y
	}
	return s / 2
}
