// Package samplegen generates the synthetic Chongqing sample dataset in
// data/sample/chongqing: districts, environmental control units, ecological
// red line, nature reserves, drinking-water source zones and rivers.
//
// The output is honest about what it is: county names, codes and seat
// positions are real (approximately), every boundary is invented. The
// generator is deterministic: fixed seeds, no map iteration, no
// concurrency, so the same options give the same bytes (on the same
// architecture; see the package tests).
//
// Method: a hexagonal lattice of cells (0.46 km apart) covers a
// hand-drawn outline of Chongqing. Districts grow from their seats by a
// weighted multi-source Dijkstra whose weights are tuned to the real areas;
// rivers slow the growth so that boundaries often follow them. The red line
// is the set of cells closest (in a noisy, range-scaled distance) to the
// mountain ranges; key units surround district seats and industrial parks;
// priority units hold the red line, reserves, river corridors and other
// ecological space; the rest is general. Units grow inside each district
// and category from spread-out seeds. Every region is traced along cell
// edges, and the lattice vertices are jittered and smoothed once for all
// layers, so neighbouring polygons share their edges exactly.
package samplegen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

// Seeds of the generator's pseudo-random streams (math/rand/v2 PCG) and
// noise fields.
const (
	Seed1 uint64 = 0x53414e5849414e01 // "SANXIAN\x01"
	Seed2 uint64 = 0x2020078504790188 // 2020, 785 units, 479/188/118
)

// Dataset metadata of the sample.
const (
	Name      = "重庆市生态环境分区管控（合成样例）"
	Version   = "2020.1-sample.1"
	Published = "2026-11-29"
	Notice    = "合成数据：区县名称、代码与驻地位置取自公开常识（近似），所有边界、管控单元、生态保护红线、自然保护区范围、水源保护区和准入清单条文均为程序生成，并非官方数据，不得用于实际选址或审批。"
)

// Targets taken from Chongqing's 2020 result (see docs/dataset.md).
const (
	targetPriority = 479
	targetKey      = 188
	targetGeneral  = 118
	sharePriority  = 0.374
	shareKey       = 0.182
	shareRedline   = 0.233
)

// baseSpacing is the distance between cell centres at scale 1, in km.
const baseSpacing = 0.46

// Options configures the generator.
type Options struct {
	// Scale multiplies the number of cells and of control units (0 means
	// 1). Scale 1 is the committed sample; a larger scale gives a bigger
	// dataset for benchmarks, with about Scale times the features and
	// vertices.
	Scale int
}

func (o Options) scale() int {
	if o.Scale < 1 {
		return 1
	}
	return o.Scale
}

// Result is a generated dataset.
type Result struct {
	Info   admission.Info
	Layers []admission.Layer
	// Rules is the access list: city, zone, district and unit clauses.
	Rules admission.Rules
	// Territory is the outer boundary of all cells: the union of the
	// districts, with the same vertices.
	Territory orb.Polygon
	// Outline is the hand-drawn outline the cells were cut from.
	Outline orb.Ring
}

// Write generates the dataset and writes it to dir with data.WriteDataset,
// returning the checksum.
func Write(dir string, opt Options) (string, error) {
	res, err := Generate(opt)
	if err != nil {
		return "", err
	}
	return data.WriteDataset(dir, data.Contents{Info: res.Info, Layers: res.Layers, Rules: res.Rules})
}

// Generate builds the dataset in memory.
func Generate(opt Options) (*Result, error) {
	g := &gen{scale: opt.scale()}
	steps := []func() error{
		g.makeTerritory,
		g.makeRivers,
		g.makeRanges,
		g.makeDistricts,
		g.makeEcology,
		g.makeReserves,
		g.makeParks,
		g.makeCategories,
		g.makeUnits,
		g.makePositions,
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	return g.assemble()
}

// xy is a point in the local plane (km).
type xy struct{ x, y float64 }

// gen holds the state of one generation run.
type gen struct {
	scale int
	lat   lattice
	tr    *tracer

	inside   []bool
	cellArea []float64 // true area of each cell, km²
	total    float64   // territory area, km²

	riverLines [][]xy    // meandered courses
	riverCell  []int16   // nearest river index per cell (by lattice distance)
	riverDist  []float32 // distance to the nearest main river (长江/嘉陵江/乌江), km
	barrier    []float32 // extra growth cost on river cells

	district []int16 // district per cell, -1 outside
	seatCell []int

	rangeDist []float32 // distance to the nearest range line / its width
	rangeOf   []int8    // nearest mountain range per cell
	eco       []float32 // ecological score: low = more valuable
	redRange  []int32   // red-line range per cell, -1 when not red line
	redCut    float32   // eco score at the red-line quantile
	reserveOf []int32   // nature reserve per cell, -1
	resKept   []int     // indexes into reserves of the reserves kept
	parkOf    []int32   // park per cell, -1
	parkAt    []lonLat  // park centres after moving them into their county
	category  []int8    // 0 outside, 1 priority, 2 key, 3 general

	units  []unitInfo
	unitOf []int32

	vindex []int32   // lattice vertex → index into px/py, -1 off boundaries
	px, py []float64 // displaced positions of boundary vertices
}

type unitInfo struct {
	district int
	category int // 1, 2, 3
	park     int // index into parks, or -1
	seed     int // seed cell
	id, name string
}

func (g *gen) cellCenter(c int) (float64, float64) { return g.lat.center(c) }

// rng returns a PCG stream for one purpose.
func rng(purpose uint64) *rand.Rand {
	return rand.New(rand.NewPCG(Seed1^mix64(purpose), Seed2))
}

// noise seeds for the different fields.
const (
	nsCost uint64 = iota + 101
	nsEco
	nsReserve
	nsPark
	nsKey
	nsUnit
	nsJitter
	nsRiver
	nsWater
	nsTown
	nsClause
)

func (g *gen) makeTerritory() error {
	spacing := baseSpacing / math.Sqrt(float64(g.scale))
	poly := make([]xy, len(outline))
	xmin, ymin, xmax, ymax := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, p := range outline {
		x, y := toPlane(p)
		poly[i] = xy{x, y}
		xmin, ymin = math.Min(xmin, x), math.Min(ymin, y)
		xmax, ymax = math.Max(xmax, x), math.Max(ymax, y)
	}
	g.lat = newLattice(spacing, xmin, ymin, xmax, ymax)
	n := g.lat.n()
	g.tr = newTracer(&g.lat)
	g.inside = make([]bool, n)
	g.cellArea = make([]float64, n)
	a0 := spacing * spacing * math.Sqrt(3) / 2
	cos0 := math.Cos(lat0 * math.Pi / 180)
	for c := 0; c < n; c++ {
		x, y := g.cellCenter(c)
		g.inside[c] = pointInRing(poly, x, y)
		lat := lat0 + y/ky
		g.cellArea[c] = a0 * math.Cos(lat*math.Pi/180) / cos0
	}
	// Keep the largest connected piece only.
	comp := g.components(func(c int) int { return boolInt(g.inside[c]) - 1 })
	best, bestN := -1, 0
	for i, cs := range comp.cells {
		if len(cs) > bestN {
			best, bestN = i, len(cs)
		}
	}
	for i, cs := range comp.cells {
		if i != best {
			for _, c := range cs {
				g.inside[c] = false
			}
		}
	}
	// Fill holes (cells outside the outline surrounded by cells inside).
	comp = g.components(func(c int) int { return boolInt(!g.inside[c]) - 1 })
	for _, cs := range comp.cells {
		if !g.touchesBorder(cs) {
			for _, c := range cs {
				g.inside[c] = true
			}
		}
	}
	for c := 0; c < n; c++ {
		if g.inside[c] {
			g.total += g.cellArea[c]
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (g *gen) touchesBorder(cells []int) bool {
	for _, c := range cells {
		for k := 0; k < 6; k++ {
			if g.lat.neighbor(c, k) < 0 {
				return true
			}
		}
	}
	return false
}

// pointInRing is the even-odd rule on a plane ring.
func pointInRing(ring []xy, x, y float64) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a.y > y) != (b.y > y) && x < (b.x-a.x)*(y-a.y)/(b.y-a.y)+a.x {
			in = !in
		}
	}
	return in
}

// compSet is a partition of labelled cells into connected components.
type compSet struct {
	label []int   // label of each component
	cells [][]int // cells of each component, ascending
}

// components groups cells with equal non-negative labels into connected
// components, in order of their lowest cell.
func (g *gen) components(label func(c int) int) compSet {
	n := g.lat.n()
	seen := make([]bool, n)
	var cs compSet
	var stack []int
	for c0 := 0; c0 < n; c0++ {
		lab := label(c0)
		if lab < 0 || seen[c0] {
			continue
		}
		seen[c0] = true
		stack = append(stack[:0], c0)
		var cells []int
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cells = append(cells, c)
			for k := 0; k < 6; k++ {
				m := g.lat.neighbor(c, k)
				if m >= 0 && !seen[m] && label(m) == lab {
					seen[m] = true
					stack = append(stack, m)
				}
			}
		}
		slices.Sort(cells)
		cs.label = append(cs.label, lab)
		cs.cells = append(cs.cells, cells)
	}
	return cs
}

func (g *gen) areaOf(cells []int) float64 {
	s := 0.0
	for _, c := range cells {
		s += g.cellArea[c]
	}
	return s
}

// ---------------------------------------------------------------- rivers

// meander densifies a course given by control points with deterministic
// midpoint displacement; control points stay where they are.
func meander(ctrl []xy, seed uint64, minLen float64) []xy {
	out := []xy{ctrl[0]}
	var rec func(a, b xy, seg, level int, pos int64)
	rec = func(a, b xy, seg, level int, pos int64) {
		dx, dy := b.x-a.x, b.y-a.y
		l := math.Hypot(dx, dy)
		if l < minLen {
			out = append(out, b)
			return
		}
		amp := 0.17
		if level >= 3 {
			amp = 0.07
		}
		off := amp * unit(hash2(seed+uint64(seg), int64(level), pos))
		m := xy{(a.x+b.x)/2 - dy*off, (a.y+b.y)/2 + dx*off}
		rec(a, m, seg, level+1, 2*pos)
		rec(m, b, seg, level+1, 2*pos+1)
	}
	for i := 0; i+1 < len(ctrl); i++ {
		rec(ctrl[i], ctrl[i+1], i, 0, 0)
	}
	return out
}

func (g *gen) makeRivers() error {
	minLen := 0.08 / float64(g.scale) // rivers get scale× the vertices
	n := g.lat.n()
	g.barrier = make([]float32, n)
	g.riverLines = make([][]xy, len(rivers))
	for ri, r := range rivers {
		ctrl := make([]xy, len(r.points))
		for i, p := range r.points {
			x, y := toPlane(p)
			ctrl[i] = xy{x, y}
		}
		g.riverLines[ri] = meander(ctrl, mix64(nsRiver+uint64(ri)*7919), minLen)
	}
	// Multi-source BFS from river cells: nearest river and distance to the
	// main rivers.
	g.riverCell = make([]int16, n)
	g.riverDist = make([]float32, n)
	for c := range g.riverCell {
		g.riverCell[c] = -1
		g.riverDist[c] = float32(math.Inf(1))
	}
	var queue []int
	var mainQueue []int
	for ri, line := range g.riverLines {
		for _, p := range line {
			c := g.lat.cellAt(p.x, p.y)
			if c < 0 {
				continue
			}
			if g.riverCell[c] < 0 {
				g.riverCell[c] = int16(ri)
				queue = append(queue, c)
			}
			if ri < 3 && g.riverDist[c] != 0 {
				g.riverDist[c] = 0
				mainQueue = append(mainQueue, c)
			}
			if b := float32(rivers[ri].barrier); b > g.barrier[c] {
				g.barrier[c] = b
			}
		}
	}
	for i := 0; i < len(queue); i++ {
		c := queue[i]
		for k := 0; k < 6; k++ {
			m := g.lat.neighbor(c, k)
			if m >= 0 && g.riverCell[m] < 0 {
				g.riverCell[m] = g.riverCell[c]
				queue = append(queue, m)
			}
		}
	}
	step := float32(g.lat.d)
	for i := 0; i < len(mainQueue); i++ {
		c := mainQueue[i]
		for k := 0; k < 6; k++ {
			m := g.lat.neighbor(c, k)
			if m >= 0 && g.riverDist[m] > g.riverDist[c]+step {
				g.riverDist[m] = g.riverDist[c] + step
				mainQueue = append(mainQueue, m)
			}
		}
	}
	return nil
}

// ---------------------------------------------------------------- growth

type hitem struct {
	d float64
	c int32
}

// minHeap is a binary heap of cells by distance (ties by cell index).
type minHeap []hitem

func (h *minHeap) less(i, j int) bool {
	a, b := (*h)[i], (*h)[j]
	return a.d < b.d || (a.d == b.d && a.c < b.c)
}

func (h *minHeap) push(it hitem) {
	*h = append(*h, it)
	i := len(*h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		(*h)[i], (*h)[p] = (*h)[p], (*h)[i]
		i = p
	}
}

func (h *minHeap) pop() hitem {
	old := *h
	top := old[0]
	last := old[len(old)-1]
	*h = old[:len(old)-1]
	if len(*h) > 0 {
		(*h)[0] = last
		i := 0
		for {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(*h) && h.less(l, m) {
				m = l
			}
			if r < len(*h) && h.less(r, m) {
				m = r
			}
			if m == i {
				break
			}
			(*h)[i], (*h)[m] = (*h)[m], (*h)[i]
			i = m
		}
	}
	return top
}

// grow runs a multi-source Dijkstra: owner holds the seeds (>= 0) and gets
// the owner of every cell reached; allowed says whether growth may pass
// from one cell to a neighbour; speed scales each owner's distances.
func (g *gen) grow(owner []int32, allowed func(from, to int) bool, cost []float32, speed []float64) {
	n := len(owner)
	dist := make([]float64, n)
	h := minHeap{}
	for c := 0; c < n; c++ {
		dist[c] = math.Inf(1)
		if owner[c] >= 0 {
			dist[c] = 0
			h.push(hitem{0, int32(c)})
		}
	}
	for len(h) > 0 {
		it := h.pop()
		c := int(it.c)
		if it.d > dist[c] {
			continue
		}
		o := owner[c]
		for k := 0; k < 6; k++ {
			m := g.lat.neighbor(c, k)
			if m < 0 || !allowed(c, m) {
				continue
			}
			nd := it.d + float64(cost[c]+cost[m])/2/speed[o]
			if nd < dist[m] {
				dist[m] = nd
				owner[m] = o
				h.push(hitem{nd, int32(m)})
			}
		}
	}
}

// ---------------------------------------------------------------- districts

func (g *gen) makeDistricts() error {
	n := g.lat.n()
	seeds := make([]int32, n)
	for c := range seeds {
		seeds[c] = -1
	}
	claim := func(c int, di int) error {
		if c < 0 || !g.inside[c] {
			return nil
		}
		if seeds[c] >= 0 && int(seeds[c]) != di {
			return fmt.Errorf("samplegen: seed cells of %s and %s collide", districts[seeds[c]].name, districts[di].name)
		}
		seeds[c] = int32(di)
		return nil
	}
	g.seatCell = make([]int, len(districts))
	for di, d := range districts {
		x, y := toPlane(d.seat)
		sc := g.lat.cellAt(x, y)
		if sc < 0 || !g.inside[sc] {
			return fmt.Errorf("samplegen: seat of %s lies outside the outline", d.name)
		}
		g.seatCell[di] = sc
		if err := claim(sc, di); err != nil {
			return err
		}
		// The seat's neighbours too, so the seat point lies well inside.
		for k := 0; k < 6; k++ {
			if err := claim(g.lat.neighbor(sc, k), di); err != nil {
				return err
			}
		}
	}
	for di, d := range districts {
		prev := g.seatCell[di]
		for _, p := range d.chain {
			x, y := toPlane(p)
			pc := g.lat.cellAt(x, y)
			for _, c := range g.lat.hexLine(prev, pc) {
				if err := claim(c, di); err != nil {
					return err
				}
			}
			prev = pc
		}
	}
	cost := make([]float32, n)
	for c := 0; c < n; c++ {
		x, y := g.cellCenter(c)
		v := math.Exp(1.6 * fbm(nsCost, x, y, 12, 5))
		// Ridges slow growth too, so boundaries tend to follow them.
		v *= 1 + 1.5*math.Max(0, 1-2*float64(g.rangeDist[c]))
		cost[c] = float32(v) * (1 + g.barrier[c])
	}
	target := make([]float64, len(districts))
	sum := 0.0
	for _, d := range districts {
		sum += d.area
	}
	speed := make([]float64, len(districts))
	for i, d := range districts {
		target[i] = d.area / sum * g.total
		speed[i] = math.Sqrt(target[i])
	}
	owner := make([]int32, n)
	allowed := func(_, to int) bool { return g.inside[to] }
	areas := make([]float64, len(districts))
	// Tune the speeds towards the target areas; the iteration does not
	// converge exactly (small districts oscillate), so keep the best.
	best, bestErr := slices.Clone(speed), math.Inf(1)
	for iter := 0; iter < 14; iter++ {
		copy(owner, seeds)
		g.grow(owner, allowed, cost, speed)
		clear(areas)
		for c := 0; c < n; c++ {
			if owner[c] >= 0 {
				areas[owner[c]] += g.cellArea[c]
			}
		}
		errSum := 0.0
		for i := range speed {
			errSum += math.Abs(areas[i] - target[i])
		}
		if errSum < bestErr {
			copy(best, speed)
			bestErr = errSum
		}
		for i := range speed {
			r := target[i] / math.Max(areas[i], 1e-9)
			speed[i] *= math.Pow(r, 0.4)
		}
	}
	copy(owner, seeds)
	g.grow(owner, allowed, cost, best)
	g.district = make([]int16, n)
	for c := 0; c < n; c++ {
		g.district[c] = -1
		if g.inside[c] {
			if owner[c] < 0 {
				return errors.New("samplegen: a territory cell was not reached by any district")
			}
			g.district[c] = int16(owner[c])
		}
	}
	// Every district must be one piece.
	comp := g.components(func(c int) int { return int(g.district[c]) })
	count := make([]int, len(districts))
	for _, lab := range comp.label {
		count[lab]++
	}
	for i, k := range count {
		if k != 1 {
			return fmt.Errorf("samplegen: district %s has %d pieces", districts[i].name, k)
		}
	}
	return nil
}

// ---------------------------------------------------------------- ecology

// distToPolyline is the plane distance from (x, y) to a polyline.
func distToPolyline(line []xy, x, y float64) float64 {
	best := math.Inf(1)
	for i := 0; i+1 < len(line); i++ {
		a, b := line[i], line[i+1]
		dx, dy := b.x-a.x, b.y-a.y
		t := ((x-a.x)*dx + (y-a.y)*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		d := math.Hypot(a.x+t*dx-x, a.y+t*dy-y)
		best = math.Min(best, d)
	}
	return best
}

func planeLine(pts []lonLat) []xy {
	out := make([]xy, len(pts))
	for i, p := range pts {
		x, y := toPlane(p)
		out[i] = xy{x, y}
	}
	return out
}

// quantileCells returns the candidate cells with the lowest score whose
// area adds up to target (ties broken by cell index).
func (g *gen) quantileCells(cands []int, score func(c int) float32, target float64) []int {
	slices.SortFunc(cands, func(a, b int) int {
		sa, sb := score(a), score(b)
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return a - b
	})
	acc := 0.0
	for i, c := range cands {
		if acc >= target {
			return cands[:i]
		}
		acc += g.cellArea[c]
	}
	return cands
}

// makeRanges computes, per cell, the nearest mountain range and the
// distance to it in units of the range's half-width.
func (g *gen) makeRanges() error {
	n := g.lat.n()
	rl := make([][]xy, len(ranges))
	for i, r := range ranges {
		rl[i] = planeLine(r.line)
	}
	g.rangeDist = make([]float32, n)
	g.rangeOf = make([]int8, n)
	for c := 0; c < n; c++ {
		if !g.inside[c] {
			continue
		}
		x, y := g.cellCenter(c)
		best, bi := math.Inf(1), 0
		for i, line := range rl {
			s := distToPolyline(line, x, y) / ranges[i].width
			if s < best {
				best, bi = s, i
			}
		}
		g.rangeDist[c] = float32(best)
		g.rangeOf[c] = int8(bi)
	}
	return nil
}

func (g *gen) makeEcology() error {
	n := g.lat.n()
	type center struct {
		x, y, r float64
	}
	var urban []center
	for _, d := range districts {
		x, y := toPlane(d.seat)
		urban = append(urban, center{x, y, d.urban * 1.3})
	}
	for _, p := range parks {
		x, y := toPlane(p.at)
		urban = append(urban, center{x, y, p.radius * 1.6})
	}
	g.eco = make([]float32, n)
	var cands []int
	for c := 0; c < n; c++ {
		if !g.inside[c] {
			continue
		}
		x, y := g.cellCenter(c)
		pen := 0.0
		for _, u := range urban {
			if d := math.Hypot(x-u.x, y-u.y); d < u.r {
				pen = math.Max(pen, 2.5*(1-d/u.r))
			}
		}
		wx, wy := warp(nsEco, x, y, 4, 12)
		g.eco[c] = float32(0.7*float64(g.rangeDist[c]) + 0.55*fbm(nsEco, wx, wy, 10, 3) + 0.6*fbm(nsEco+1, wx, wy, 3, 4) + pen)
		cands = append(cands, c)
	}
	red := make([]bool, n)
	sel := g.quantileCells(cands, func(c int) float32 { return g.eco[c] }, shareRedline*g.total)
	for _, c := range sel {
		red[c] = true
	}
	g.redCut = g.eco[sel[len(sel)-1]]
	// Drop specks, fill pinholes.
	minPart, minHole := 3.0, 1.5
	comp := g.components(func(c int) int {
		if !g.inside[c] {
			return -1
		}
		return boolInt(red[c])
	})
	for i, cs := range comp.cells {
		a := g.areaOf(cs)
		if comp.label[i] == 1 && a < minPart {
			for _, c := range cs {
				red[c] = false
			}
		}
		if comp.label[i] == 0 && a < minHole && !g.touchesOutside(cs) {
			for _, c := range cs {
				red[c] = true
			}
		}
	}
	g.redRange = make([]int32, n)
	for c := 0; c < n; c++ {
		g.redRange[c] = -1
		if red[c] {
			g.redRange[c] = int32(g.rangeOf[c])
		}
	}
	return nil
}

func (g *gen) touchesOutside(cells []int) bool {
	for _, c := range cells {
		for k := 0; k < 6; k++ {
			m := g.lat.neighbor(c, k)
			if m < 0 || !g.inside[m] {
				return true
			}
		}
	}
	return false
}

// ---------------------------------------------------------------- reserves

func (g *gen) makeReserves() error {
	n := g.lat.n()
	g.reserveOf = make([]int32, n)
	cen := make([]xy, len(reserves))
	for i, r := range reserves {
		x, y := toPlane(r.at)
		cen[i] = xy{x, y}
	}
	for c := 0; c < n; c++ {
		g.reserveOf[c] = -1
		if !g.inside[c] {
			continue
		}
		x, y := g.cellCenter(c)
		x, y = warp(nsReserve, x, y, 3, 6)
		best, bi := math.Inf(1), -1
		for i, r := range reserves {
			q := math.Hypot(x-cen[i].x, y-cen[i].y) / r.radius
			if q < 1.4 && q < best {
				best, bi = q, i
			}
		}
		// Mostly ecological land; the core of a reserve is kept anyway.
		if bi >= 0 && (g.eco[c] <= g.redCut+0.3 || best < 0.55) && best+0.4*fbm(nsReserve, x, y, 3, 4) < 1 {
			g.reserveOf[c] = int32(bi)
		}
	}
	comp := g.components(func(c int) int { return int(g.reserveOf[c]) })
	total := make([]float64, len(reserves))
	for i, cs := range comp.cells {
		a := g.areaOf(cs)
		if a < 0.8 {
			for _, c := range cs {
				g.reserveOf[c] = -1
			}
			continue
		}
		total[comp.label[i]] += a
	}
	remap := make([]int32, len(reserves))
	for i := range reserves {
		remap[i] = -1
		if total[i] >= 2 {
			remap[i] = int32(len(g.resKept))
			g.resKept = append(g.resKept, i)
		}
	}
	for c := 0; c < n; c++ {
		if r := g.reserveOf[c]; r >= 0 {
			g.reserveOf[c] = remap[r]
		}
	}
	return nil
}

// ---------------------------------------------------------------- parks

func (g *gen) districtIndex(code string) int {
	for i, d := range districts {
		if d.code == code {
			return i
		}
	}
	panic("samplegen: unknown county " + code)
}

func (g *gen) makeParks() error {
	n := g.lat.n()
	g.parkOf = make([]int32, n)
	for c := range g.parkOf {
		g.parkOf[c] = -1
	}
	g.parkAt = make([]lonLat, len(parks))
	cen := make([]xy, len(parks))
	for i, p := range parks {
		di := g.districtIndex(p.county)
		seat := districts[di].seat
		at := p.at
		// Pull the park towards its seat until it lies in its county.
		for f := 1.0; f >= 0; f -= 0.1 {
			at = lonLat{seat[0] + (p.at[0]-seat[0])*f, seat[1] + (p.at[1]-seat[1])*f}
			x, y := toPlane(at)
			if c := g.lat.cellAt(x, y); c >= 0 && int(g.district[c]) == di {
				break
			}
		}
		g.parkAt[i] = at
		x, y := toPlane(at)
		cen[i] = xy{x, y}
	}
	for c := 0; c < n; c++ {
		if !g.inside[c] || g.redRange[c] >= 0 || g.reserveOf[c] >= 0 {
			continue
		}
		x, y := g.cellCenter(c)
		x, y = warp(nsPark, x, y, 1.5, 5)
		best, bi := math.Inf(1), -1
		for i, p := range parks {
			q := math.Hypot(x-cen[i].x, y-cen[i].y) / p.radius
			if q < 1.4 && q < best && int(g.district[c]) == g.districtIndex(p.county) {
				best, bi = q, i
			}
		}
		if bi >= 0 && best+0.35*fbm(nsPark, x, y, 2.5, 4) < 1 {
			g.parkOf[c] = int32(bi)
		}
	}
	// Keep only the piece of each park that holds its centre; the rest of
	// its cells become ordinary urban land.
	comp := g.components(func(c int) int { return int(g.parkOf[c]) })
	for i, cs := range comp.cells {
		p := comp.label[i]
		x, y := toPlane(g.parkAt[p])
		cc := g.lat.cellAt(x, y)
		if _, found := slices.BinarySearch(cs, cc); !found && g.areaOf(cs) < 0.3*math.Pi*parks[p].radius*parks[p].radius {
			for _, c := range cs {
				g.parkOf[c] = -1
			}
		}
	}
	return nil
}
