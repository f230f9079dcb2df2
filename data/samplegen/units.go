package samplegen

import (
	"fmt"
	"math"
	"slices"
)

// cellsNear lists the cells whose centres lie within r km of (x, y).
func (g *gen) cellsNear(x, y, r float64) []int {
	l := &g.lat
	j0 := max(0, int(math.Floor((y-r-l.y0)/l.h)))
	j1 := min(l.ht-1, int(math.Ceil((y+r-l.y0)/l.h)))
	c0 := max(0, int(math.Floor((x-r-l.x0)/l.d))-1)
	c1 := min(l.w-1, int(math.Ceil((x+r-l.x0)/l.d))+1)
	var out []int
	for j := j0; j <= j1; j++ {
		for c := c0; c <= c1; c++ {
			cell := j*l.w + c
			cx, cy := l.center(cell)
			if math.Hypot(cx-x, cy-y) <= r {
				out = append(out, cell)
			}
		}
	}
	return out
}

// Categories of cells.
const (
	catNone = iota
	catPriority
	catKey
	catGeneral
)

func (g *gen) makeCategories() error {
	n := g.lat.n()
	g.category = make([]int8, n)
	fixed := func(c int) bool { return g.redRange[c] >= 0 || g.reserveOf[c] >= 0 || g.parkOf[c] >= 0 }
	parkArea := 0.0
	for c := 0; c < n; c++ {
		switch {
		case !g.inside[c]:
		case g.redRange[c] >= 0 || g.reserveOf[c] >= 0:
			g.category[c] = catPriority
		case g.parkOf[c] >= 0:
			g.category[c] = catKey
			parkArea += g.cellArea[c]
		}
	}
	// Urban score: distance to seats and to a few towns per district.
	key := make([]float32, n)
	for c := 0; c < n; c++ {
		key[c] = float32(math.Inf(1))
		if !g.inside[c] {
			continue
		}
		x, y := g.cellCenter(c)
		wx, wy := warp(nsKey, x, y, 3, 8)
		best := math.Inf(1)
		for _, d := range districts {
			sx, sy := toPlane(d.seat)
			best = math.Min(best, math.Hypot(wx-sx, wy-sy)/d.urban)
		}
		key[c] = float32(best + 0.45*fbm(nsKey, x, y, 3, 4))
	}
	byDistrict := make([][]int, len(districts))
	for c := 0; c < n; c++ {
		if g.inside[c] && g.category[c] == catNone {
			byDistrict[g.district[c]] = append(byDistrict[g.district[c]], c)
		}
	}
	r := rng(nsTown)
	for di, d := range districts {
		towns := int(math.Round(d.area / 350))
		sx, sy := toPlane(d.seat)
		for t, tries := 0, 0; t < towns && tries < 200 && len(byDistrict[di]) > 0; tries++ {
			c := byDistrict[di][r.IntN(len(byDistrict[di]))]
			x, y := g.cellCenter(c)
			if math.Hypot(x-sx, y-sy) < 8 {
				continue
			}
			t++
			rad := 1.6 + 1.4*r.Float64()
			for _, m := range g.cellsNear(x, y, 3*rad) {
				if g.inside[m] {
					mx, my := g.cellCenter(m)
					wx, wy := warp(nsKey, mx, my, 3, 8)
					v := float32(math.Hypot(wx-x, wy-y)/rad + 0.45*fbm(nsKey, mx, my, 3, 4))
					key[m] = min(key[m], v)
				}
			}
		}
	}
	var cands []int
	for c := 0; c < n; c++ {
		if g.inside[c] && g.category[c] == catNone {
			cands = append(cands, c)
		}
	}
	for _, c := range g.quantileCells(cands, func(c int) float32 { return key[c] }, shareKey*g.total-parkArea) {
		g.category[c] = catKey
	}
	// Priority: red line and reserves (already), river corridors, then the
	// most valuable remaining ecological space.
	prio := 0.0
	cands = cands[:0]
	for c := 0; c < n; c++ {
		if g.inside[c] && g.category[c] == catNone && g.riverDist[c] <= 1.0 {
			g.category[c] = catPriority
		}
		if g.category[c] == catPriority {
			prio += g.cellArea[c]
		}
	}
	// Half of the remaining priority area is spread over all districts in
	// proportion to their size (every district has some ecological space),
	// the other half goes to the most valuable cells anywhere.
	remaining := sharePriority*g.total - prio
	ecoScore := func(c int) float32 { return g.eco[c] }
	perDistrict := make([][]int, len(districts))
	distArea := make([]float64, len(districts))
	for c := 0; c < n; c++ {
		if g.inside[c] {
			distArea[g.district[c]] += g.cellArea[c]
			if g.category[c] == catNone {
				perDistrict[g.district[c]] = append(perDistrict[g.district[c]], c)
			}
		}
	}
	for di, cs := range perDistrict {
		for _, c := range g.quantileCells(cs, ecoScore, 0.5*remaining*distArea[di]/g.total) {
			g.category[c] = catPriority
			prio += g.cellArea[c]
		}
	}
	cands = cands[:0]
	for c := 0; c < n; c++ {
		if g.inside[c] && g.category[c] == catNone {
			cands = append(cands, c)
		}
	}
	for _, c := range g.quantileCells(cands, ecoScore, sharePriority*g.total-prio) {
		g.category[c] = catPriority
	}
	for c := 0; c < n; c++ {
		if g.inside[c] && g.category[c] == catNone {
			g.category[c] = catGeneral
		}
	}
	// Merge small pieces into the surrounding category of their district.
	const minPiece = 2.5 // km²
	for pass := 0; pass < 3; pass++ {
		comp := g.components(func(c int) int {
			if !g.inside[c] {
				return -1
			}
			return int(g.district[c])*4 + int(g.category[c])
		})
		for _, cs := range comp.cells {
			if g.areaOf(cs) >= minPiece || slices.ContainsFunc(cs, fixed) {
				continue
			}
			cat := g.category[cs[0]]
			var count [4]int
			for _, c := range cs {
				for k := 0; k < 6; k++ {
					m := g.lat.neighbor(c, k)
					if m >= 0 && g.inside[m] && g.district[m] == g.district[c] && g.category[m] != cat {
						count[g.category[m]]++
					}
				}
			}
			best := 0
			for k := 1; k < 4; k++ {
				if count[k] > count[best] {
					best = k
				}
			}
			if best != 0 {
				for _, c := range cs {
					g.category[c] = int8(best)
				}
			}
		}
	}
	return nil
}

// allocate splits total among weights by largest remainder, giving at least
// one to every positive weight while the total allows.
func allocate(total int, w []float64) []int {
	out := make([]int, len(w))
	var pos []int
	sum := 0.0
	for i, v := range w {
		if v > 0 {
			pos = append(pos, i)
			sum += v
		}
	}
	slices.SortStableFunc(pos, func(a, b int) int {
		switch {
		case w[a] > w[b]:
			return -1
		case w[a] < w[b]:
			return 1
		}
		return 0
	})
	if len(pos) >= total {
		for _, i := range pos[:total] {
			out[i] = 1
		}
		return out
	}
	rest := total - len(pos)
	type rem struct {
		i int
		f float64
	}
	var rems []rem
	given := 0
	for _, i := range pos {
		q := float64(rest) * w[i] / sum
		out[i] = 1 + int(q)
		given += int(q)
		rems = append(rems, rem{i, q - math.Floor(q)})
	}
	slices.SortStableFunc(rems, func(a, b rem) int {
		switch {
		case a.f > b.f:
			return -1
		case a.f < b.f:
			return 1
		}
		return 0
	})
	for k := 0; k < rest-given; k++ {
		out[rems[k].i]++
	}
	return out
}

// group numbers: district*3 + (category-1) for ordinary units, then one
// group per park.
func (g *gen) groupOf(c int) int {
	if !g.inside[c] {
		return -1
	}
	if p := g.parkOf[c]; p >= 0 && g.category[c] == catKey {
		return 3*len(districts) + int(p)
	}
	return int(g.district[c])*3 + int(g.category[c]) - 1
}

func (g *gen) makeUnits() error {
	n := g.lat.n()
	nd := len(districts)
	ngroups := 3*nd + len(parks)
	comp := g.components(g.groupOf)
	groupArea := make([]float64, ngroups)
	compsOf := make([][]int, ngroups)
	for i, cs := range comp.cells {
		groupArea[comp.label[i]] += g.areaOf(cs)
		compsOf[comp.label[i]] = append(compsOf[comp.label[i]], i)
	}
	// Unit counts per group.
	count := make([]int, ngroups)
	parksPresent := 0
	for p := range parks {
		if groupArea[3*nd+p] > 0 {
			count[3*nd+p] = 1
			parksPresent++
		}
	}
	s := g.scale
	for cat, total := range []int{targetPriority * s, targetKey*s - parksPresent, targetGeneral * s} {
		// Counts grow less than linearly with area, as in the real lists.
		w := make([]float64, nd)
		for di := range districts {
			w[di] = math.Pow(groupArea[di*3+cat], 0.7)
		}
		for di, k := range allocate(total, w) {
			count[di*3+cat] = k
		}
	}
	// Seeds: spread over the group's components, farthest-point sampling
	// inside each.
	owner := make([]int32, n)
	for c := range owner {
		owner[c] = -1
	}
	type seedRec struct {
		group, cell int
	}
	var seeds []seedRec
	seedsOf := make([][]int, ngroups) // unit indexes per group
	for gi := 0; gi < ngroups; gi++ {
		k := count[gi]
		if k == 0 {
			if groupArea[gi] > 0 {
				return fmt.Errorf("samplegen: group %d has cells but no unit", gi)
			}
			continue
		}
		cidx := slices.Clone(compsOf[gi])
		slices.SortStableFunc(cidx, func(a, b int) int {
			return len(comp.cells[b]) - len(comp.cells[a])
		})
		var big []int
		var w []float64
		for _, ci := range cidx {
			if a := g.areaOf(comp.cells[ci]); a >= 1 || len(big) == 0 {
				big = append(big, ci)
				w = append(w, a)
			}
		}
		per := allocate(k, w)
		for bi, ci := range big {
			for _, c := range g.farthestPoints(comp.cells[ci], per[bi]) {
				seedsOf[gi] = append(seedsOf[gi], len(seeds))
				seeds = append(seeds, seedRec{gi, c})
			}
		}
	}
	// Order units: district, category (parks first among key units).
	order := make([]int, 0, len(seeds))
	for di := range districts {
		order = append(order, seedsOf[di*3]...)
		for p := range parks {
			if g.districtIndex(parks[p].county) == di {
				order = append(order, seedsOf[3*nd+p]...)
			}
		}
		order = append(order, seedsOf[di*3+1]...)
		order = append(order, seedsOf[di*3+2]...)
	}
	unitOfSeed := make([]int32, len(seeds))
	g.units = make([]unitInfo, len(order))
	for ui, si := range order {
		unitOfSeed[si] = int32(ui)
		sd := seeds[si]
		u := unitInfo{seed: sd.cell, park: -1, district: int(g.district[sd.cell])}
		if sd.group >= 3*nd {
			u.park = sd.group - 3*nd
			u.category = catKey
		} else {
			u.category = sd.group%3 + 1
		}
		g.units[ui] = u
		owner[sd.cell] = int32(ui)
	}
	cost := make([]float32, n)
	for c := 0; c < n; c++ {
		x, y := g.cellCenter(c)
		cost[c] = float32(math.Exp(1.4 * fbm(nsUnit, x, y, 8, 4)))
	}
	speed := make([]float64, len(g.units))
	for i := range speed {
		speed[i] = 1
	}
	grp := make([]int32, n)
	for c := 0; c < n; c++ {
		grp[c] = int32(g.groupOf(c))
	}
	g.grow(owner, func(a, b int) bool { return grp[a] == grp[b] }, cost, speed)
	// Components without a seed join the unit of the nearest seed of their
	// group.
	for i, cs := range comp.cells {
		if owner[cs[0]] >= 0 {
			continue
		}
		gi := comp.label[i]
		sx, sy := 0.0, 0.0
		for _, c := range cs {
			x, y := g.cellCenter(c)
			sx, sy = sx+x, sy+y
		}
		sx, sy = sx/float64(len(cs)), sy/float64(len(cs))
		best, bu := math.Inf(1), int32(-1)
		for _, si := range seedsOf[gi] {
			x, y := g.cellCenter(seeds[si].cell)
			if d := math.Hypot(x-sx, y-sy); d < best {
				best, bu = d, unitOfSeed[si]
			}
		}
		for _, c := range cs {
			owner[c] = bu
		}
	}
	for c := 0; c < n; c++ {
		if g.inside[c] && owner[c] < 0 {
			return fmt.Errorf("samplegen: cell %d has no unit", c)
		}
	}
	g.unitOf = owner
	return nil
}

// farthestPoints picks k spread-out cells: the one nearest the centroid,
// then repeatedly the one farthest from those already picked.
func (g *gen) farthestPoints(cells []int, k int) []int {
	if k <= 0 {
		return nil
	}
	xs := make([]float64, len(cells))
	ys := make([]float64, len(cells))
	mx, my := 0.0, 0.0
	for i, c := range cells {
		xs[i], ys[i] = g.cellCenter(c)
		mx, my = mx+xs[i], my+ys[i]
	}
	mx, my = mx/float64(len(cells)), my/float64(len(cells))
	first, best := 0, math.Inf(1)
	for i := range cells {
		if d := math.Hypot(xs[i]-mx, ys[i]-my); d < best {
			first, best = i, d
		}
	}
	out := []int{cells[first]}
	dmin := make([]float64, len(cells))
	for i := range cells {
		dmin[i] = math.Hypot(xs[i]-xs[first], ys[i]-ys[first])
	}
	for len(out) < k && len(out) < len(cells) {
		far, fd := -1, -1.0
		for i := range cells {
			if dmin[i] > fd {
				far, fd = i, dmin[i]
			}
		}
		out = append(out, cells[far])
		for i := range cells {
			dmin[i] = math.Min(dmin[i], math.Hypot(xs[i]-xs[far], ys[i]-ys[far]))
		}
	}
	return out
}
