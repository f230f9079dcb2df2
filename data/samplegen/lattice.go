package samplegen

import "math"

// The generator works on a hexagonal lattice laid over a local plane in
// kilometres (equirectangular around lon0/lat0). Every region (district,
// unit, red-line part …) is a set of cells, and its boundary is traced along
// cell edges, so neighbours share their edges exactly. Each lattice vertex
// touches exactly three cells, which rules out pinch points: a traced ring
// never touches itself or another ring of the same region.

const (
	lon0 = 107.75
	lat0 = 30.2
)

var (
	kx = 111.32 * math.Cos(lat0*math.Pi/180) // km per degree of longitude at lat0
	ky = 110.6                               // km per degree of latitude
)

// toPlane projects a longitude/latitude to the local plane (km).
func toPlane(p lonLat) (x, y float64) {
	return (p[0] - lon0) * kx, (p[1] - lat0) * ky
}

// toLonLat is the inverse of toPlane.
func toLonLat(x, y float64) lonLat {
	return lonLat{lon0 + x/kx, lat0 + y/ky}
}

// round6 rounds a coordinate to 6 decimals (about 0.1 m).
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// lattice is a hexagonal lattice in "odd-r" offset layout: cell (c, j) has
// its centre at (x0 + (c + (j&1)/2)·d, y0 + j·h) with h = d·√3/2.
type lattice struct {
	d, h   float64
	x0, y0 float64
	w, ht  int // columns and rows
}

func newLattice(d, xmin, ymin, xmax, ymax float64) lattice {
	h := d * math.Sqrt(3) / 2
	const margin = 3
	l := lattice{d: d, h: h, x0: xmin - margin*d, y0: ymin - margin*h}
	l.w = int((xmax-l.x0)/d) + 2*margin
	l.ht = int((ymax-l.y0)/h) + 2*margin
	return l
}

func (l *lattice) n() int { return l.w * l.ht }

func (l *lattice) center(cell int) (x, y float64) {
	c, j := cell%l.w, cell/l.w
	return l.x0 + (float64(c)+0.5*float64(j&1))*l.d, l.y0 + float64(j)*l.h
}

// cellAt returns the cell containing the plane point (x, y), or -1.
func (l *lattice) cellAt(x, y float64) int {
	jf := (y - l.y0) / l.h
	qf := (x-l.x0)/l.d - jf/2
	rf := jf
	sf := -qf - rf
	q, r, s := math.Round(qf), math.Round(rf), math.Round(sf)
	dq, dr, ds := math.Abs(q-qf), math.Abs(r-rf), math.Abs(s-sf)
	if dq > dr && dq > ds {
		q = -r - s
	} else if dr > ds {
		r = -q - s
	}
	j := int(r)
	c := int(q) + (j >> 1)
	if j < 0 || j >= l.ht || c < 0 || c >= l.w {
		return -1
	}
	return j*l.w + c
}

// neighbor returns the k-th neighbour (k = 0..5, counter-clockwise from
// east) of cell, or -1 at the lattice border.
func (l *lattice) neighbor(cell, k int) int {
	c, j := cell%l.w, cell/l.w
	p := j & 1
	switch k {
	case 0:
		c++
	case 1:
		c, j = c+p, j+1
	case 2:
		c, j = c-1+p, j+1
	case 3:
		c--
	case 4:
		c, j = c+p-1, j-1
	case 5:
		c, j = c+p, j-1
	}
	if j < 0 || j >= l.ht || c < 0 || c >= l.w {
		return -1
	}
	return j*l.w + c
}

// corner returns the id of the k-th corner of cell (k = 0..5, at angles
// 30° + 60°·k). The edge from corner k-1 to corner k borders neighbour k.
// Vertex ids are shared by the three cells around a vertex.
func (l *lattice) corner(cell, k int) int32 {
	c, j := cell%l.w, cell/l.w
	p := j & 1
	var col, b, t int
	switch k {
	case 0:
		col, b, t = c, j, 0
	case 1:
		col, b, t = c-1, j, 1
	case 2:
		col, b, t = c-1, j, 0
	case 3:
		col, b, t = c+p-2, j-1, 1
	case 4:
		col, b, t = c+p-1, j-1, 0
	case 5:
		col, b, t = c+p-1, j-1, 1
	}
	return int32(((b+1)*(l.w+4)+(col+2))*2 + t)
}

func (l *lattice) nVertices() int { return (l.ht + 2) * (l.w + 4) * 2 }

// vertexPos is the undisplaced plane position of vertex v.
func (l *lattice) vertexPos(v int32) (x, y float64) {
	t := int(v & 1)
	rest := int(v >> 1)
	col := rest%(l.w+4) - 2
	b := rest/(l.w+4) - 1
	base := float64(col) + 0.5*float64(b&1)
	if t == 0 {
		return l.x0 + (base+0.5)*l.d, l.y0 + float64(b)*l.h + l.d/(2*math.Sqrt(3))
	}
	return l.x0 + (base+1)*l.d, l.y0 + float64(b)*l.h + l.d/math.Sqrt(3)
}

// hexLine returns the cells on the lattice line from cell a to cell b; any
// two consecutive cells are neighbours.
func (l *lattice) hexLine(a, b int) []int {
	ax, ay := l.center(a)
	bx, by := l.center(b)
	dist := math.Hypot(bx-ax, by-ay)
	n := int(math.Ceil(dist/l.d*1.2)) + 1
	out := []int{a}
	for i := 1; i <= n; i++ {
		t := float64(i) / float64(n)
		// A tiny offset keeps the path off exact vertices.
		c := l.cellAt(ax+(bx-ax)*t+1e-7*l.d, ay+(by-ay)*t+2e-7*l.d)
		if c < 0 || c == out[len(out)-1] {
			continue
		}
		prev := out[len(out)-1]
		if !l.adjacent(prev, c) {
			// Step through a common neighbour.
			for k := 0; k < 6; k++ {
				m := l.neighbor(prev, k)
				if m >= 0 && l.adjacent(m, c) {
					out = append(out, m)
					break
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func (l *lattice) adjacent(a, b int) bool {
	for k := 0; k < 6; k++ {
		if l.neighbor(a, k) == b {
			return true
		}
	}
	return false
}
