package samplegen

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/admission"
)

// makePositions displaces the lattice vertices that lie on any boundary:
// a small deterministic jitter of each vertex, then two passes of
// smoothing along the boundary lines (nodes where three regions meet stay
// fixed). All layers use these positions, so shared edges stay identical.
func (g *gen) makePositions() error {
	l := &g.lat
	n := l.n()
	label := func(c int) [3]int32 {
		if !g.inside[c] {
			return [3]int32{-1, -1, -1}
		}
		return [3]int32{g.unitOf[c], g.redRange[c], g.reserveOf[c]}
	}
	index := make([]int32, l.nVertices())
	for i := range index {
		index[i] = -1
	}
	var verts []int32
	var nb [][3]int32
	var cnt []uint8
	add := func(a, b int32) {
		for _, v := range [2]int32{a, b} {
			if index[v] < 0 {
				index[v] = int32(len(verts))
				verts = append(verts, v)
				nb = append(nb, [3]int32{})
				cnt = append(cnt, 0)
			}
		}
		ia, ib := index[a], index[b]
		nb[ia][cnt[ia]] = ib
		cnt[ia]++
		nb[ib][cnt[ib]] = ia
		cnt[ib]++
	}
	for c := 0; c < n; c++ {
		lc := label(c)
		for k := 0; k < 3; k++ {
			m := l.neighbor(c, k)
			if m < 0 || label(m) == lc {
				continue
			}
			add(l.corner(c, (k+5)%6), l.corner(c, k))
		}
	}
	a := l.d / math.Sqrt(3) // edge length
	px := make([]float64, len(verts))
	py := make([]float64, len(verts))
	for i, v := range verts {
		x, y := l.vertexPos(v)
		h := hash2(nsJitter, int64(v), 0)
		ang := 2 * math.Pi * float64(h>>40) / float64(1<<24)
		r := 0.22 * a * float64(h&0xffffff) / float64(1<<24)
		px[i], py[i] = x+r*math.Cos(ang), y+r*math.Sin(ang)
	}
	nx := make([]float64, len(verts))
	ny := make([]float64, len(verts))
	for pass := 0; pass < 2; pass++ {
		for i := range verts {
			if cnt[i] != 2 {
				nx[i], ny[i] = px[i], py[i]
				continue
			}
			u, w := nb[i][0], nb[i][1]
			nx[i] = (px[u] + 2*px[i] + px[w]) / 4
			ny[i] = (py[u] + 2*py[i] + py[w]) / 4
		}
		px, nx = nx, px
		py, ny = ny, py
	}
	g.vindex, g.px, g.py = index, px, py
	return nil
}

// point returns the output coordinates of lattice vertex v.
func (g *gen) point(v int32) orb.Point {
	i := g.vindex[v]
	ll := toLonLat(g.px[i], g.py[i])
	return orb.Point{round6(ll[0]), round6(ll[1])}
}

func (g *gen) geometry(polys []vpoly) orb.Geometry {
	mp := make(orb.MultiPolygon, len(polys))
	for i, p := range polys {
		poly := make(orb.Polygon, len(p))
		for j, ring := range p {
			r := make(orb.Ring, 0, len(ring)+1)
			for _, v := range ring {
				r = append(r, g.point(v))
			}
			r = append(r, r[0])
			poly[j] = r
		}
		mp[i] = poly
	}
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

func int32s[T ~int16 | ~int8 | ~int32](s []T) []int32 {
	out := make([]int32, len(s))
	for i, v := range s {
		out[i] = int32(v)
	}
	return out
}

func (g *gen) assemble() (*Result, error) {
	res := &Result{}
	for _, p := range outline {
		res.Outline = append(res.Outline, orb.Point{p[0], p[1]})
	}
	res.Outline = append(res.Outline, res.Outline[0])
	terr := make([]int32, g.lat.n())
	for c := range terr {
		terr[c] = int32(boolInt(g.inside[c])) - 1
	}
	tp := g.tr.trace(terr, 1)[0]
	if len(tp) != 1 {
		return nil, fmt.Errorf("samplegen: territory has %d pieces", len(tp))
	}
	res.Territory = g.geometry(tp).(orb.Polygon)

	distPolys := g.tr.trace(int32s(g.district), len(districts))
	dl := admission.Layer{ID: admission.LayerDistricts, Title: "区县", Role: admission.RolePartition, Kind: admission.KindPolygon}
	for i, d := range districts {
		dl.Features = append(dl.Features, admission.Feature{
			ID: d.code, Name: d.name, Category: d.kind,
			Properties: map[string]any{"seat": []float64{d.seat[0], d.seat[1]}},
			Geometry:   g.geometry(distPolys[i]),
		})
	}

	ul, uc, err := g.unitLayer()
	if err != nil {
		return nil, err
	}
	res.Rules, err = g.makeRules(uc)
	if err != nil {
		return nil, err
	}

	redPolys := g.tr.trace(g.redRange, len(ranges))
	rl := admission.Layer{ID: admission.LayerEcoRedline, Title: "生态保护红线", Role: admission.RoleSensitive, Kind: admission.KindPolygon}
	for i, r := range ranges {
		if len(redPolys[i]) == 0 {
			continue
		}
		rl.Features = append(rl.Features, admission.Feature{
			ID: fmt.Sprintf("HX500000-%04d", len(rl.Features)+1), Name: r.name + "生态保护红线", Category: "生态保护红线",
			Properties: map[string]any{"range": r.name},
			Geometry:   g.geometry(redPolys[i]),
		})
	}

	resPolys := g.tr.trace(g.reserveOf, len(g.resKept))
	nl := admission.Layer{ID: admission.LayerNatureReserves, Title: "自然保护区", Role: admission.RoleSensitive, Kind: admission.KindPolygon}
	for i, ri := range g.resKept {
		r := reserves[ri]
		nl.Features = append(nl.Features, admission.Feature{
			ID: fmt.Sprintf("ZRBHD-%04d", i+1), Name: r.name, Category: r.level + "自然保护区",
			Properties: map[string]any{"level": r.level},
			Geometry:   g.geometry(resPolys[i]),
		})
	}

	wl := g.waterLayer()
	rv := g.riverLayer()

	res.Layers = []admission.Layer{dl, ul, rl, nl, wl, rv}
	res.Info = admission.Info{
		Name:      Name,
		Version:   Version,
		Published: Published,
		CRS:       "EPSG:4490",
		Source: fmt.Sprintf("sanxian 样例生成器（data/samplegen，go run ./cmd/samplegen），math/rand/v2 PCG 固定种子 %#x/%#x，规模 %d，格网间距 %.3f km",
			Seed1, Seed2, g.scale, g.lat.d),
		Synthetic: true,
		Notice:    Notice,
	}
	if g.scale > 1 {
		res.Info.Version = fmt.Sprintf("%s-x%d", Version, g.scale)
	}
	return res, nil
}

// unitLayer names the units, writes their clauses and traces them.
func (g *gen) unitLayer() (admission.Layer, []unitClauses, error) {
	nu := len(g.units)
	type stats struct {
		area, red float64
		rangeA    []float64
		resA      map[int32]float64
		riverA    []float64
	}
	st := make([]stats, nu)
	for i := range st {
		st[i].rangeA = make([]float64, len(ranges))
		st[i].riverA = make([]float64, len(rivers))
		st[i].resA = map[int32]float64{}
	}
	for c, u := range g.unitOf {
		if u < 0 || !g.inside[c] {
			continue
		}
		a := g.cellArea[c]
		s := &st[u]
		s.area += a
		if r := g.redRange[c]; r >= 0 {
			s.red += a
			s.rangeA[r] += a
		}
		if r := g.reserveOf[c]; r >= 0 {
			s.resA[r] += a
		}
		if r := g.riverCell[c]; r >= 0 {
			s.riverA[r] += a
		}
	}
	argmax := func(v []float64) int {
		b := 0
		for i := range v {
			if v[i] > v[b] {
				b = i
			}
		}
		return b
	}
	polys := g.tr.trace(g.unitOf, nu)
	layer := admission.Layer{ID: admission.LayerControlUnits, Title: "环境管控单元", Role: admission.RolePartition, Kind: admission.KindPolygon}
	serial := map[string]int{} // per county+digit; looked up only, never iterated
	stemSeen := map[string]int{}
	stems := make([]string, nu)
	for i, u := range g.units {
		d := districts[u.district]
		s := st[i]
		var stem string
		switch {
		case u.park >= 0:
			stem = parks[u.park].name
		case u.category == catPriority && s.red >= 0.5*s.area:
			stem = d.name + ranges[argmax(s.rangeA)].name + "生态保护红线"
		case u.category == catPriority:
			stem = d.name + rivers[argmax(s.riverA)].name + "流域"
		case u.category == catKey:
			stem = d.name + "城镇"
		default:
			stem = d.name
		}
		stems[i] = stem
	}
	catNames := []string{"", admission.CategoryPriority, admission.CategoryKey, admission.CategoryGeneral}
	industries, err := admission.NewIndustries()
	if err != nil {
		return layer, nil, err
	}
	clauses := make([]unitClauses, 0, nu)
	for i, u := range g.units {
		d := districts[u.district]
		s := st[i]
		key := fmt.Sprintf("%s%d", d.code, u.category)
		serial[key]++
		id := fmt.Sprintf("ZH%s%d%04d", d.code, u.category, serial[key])
		if serial[key] > 9999 {
			return layer, nil, fmt.Errorf("samplegen: more than 9999 units in %s", key)
		}
		name := stems[i] + catNames[u.category]
		if u.park < 0 {
			stemSeen[stems[i]]++
			name += fmt.Sprint(stemSeen[stems[i]])
		}
		ctx := unitContext{
			county:  d.name,
			river:   rivers[argmax(s.riverA)].name,
			redline: s.red > 0,
		}
		bestRes, bestA := int32(-1), 0.0
		for r := int32(0); r < int32(len(g.resKept)); r++ {
			if a := s.resA[r]; a > bestA {
				bestRes, bestA = r, a
			}
		}
		if bestRes >= 0 {
			ctx.reserve = reserves[g.resKept[bestRes]].name
		}
		props := map[string]any{
			"county_code": d.code,
			"county_name": d.name,
		}
		if u.park >= 0 {
			p := &parks[u.park]
			ctx.park = p
			props["park_name"] = p.name
			props["leading_industries"] = append([]string(nil), p.industries...)
		}
		uc, err := makeUnitClauses(id, u.category, ctx, industries, rng(nsClause^mix64(uint64(i)+1)))
		if err != nil {
			return layer, nil, err
		}
		clauses = append(clauses, uc)
		layer.Features = append(layer.Features, admission.Feature{
			ID: id, Name: name, Category: catNames[u.category], Properties: props,
			Geometry: g.geometry(polys[i]),
		})
	}
	return layer, clauses, nil
}
