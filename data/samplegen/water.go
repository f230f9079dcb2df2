package samplegen

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/admission"
)

// Semi-axes (along the river, across it) of the three nested zones, km.
var zoneAxes = [3][2]float64{{0.7, 0.18}, {2.2, 0.6}, {3.6, 1.1}}

var zoneNames = [3]string{"一级保护区", "二级保护区", "准保护区"}

// waterLayer places one drinking-water intake per district on a river that
// crosses it (near the seat, keeping intakes apart) and draws three nested
// zones around it as noisy ellipses sampled at the same angles, so each
// zone strictly contains the previous one and the rings never touch.
func (g *gen) waterLayer() admission.Layer {
	layer := admission.Layer{ID: admission.LayerWaterSources, Title: "饮用水水源保护区", Role: admission.RoleSensitive, Kind: admission.KindPolygon}
	minSep := 2*zoneAxes[2][0]*1.1 + 0.5
	var intakes []xy
	nAng := int(96 * math.Sqrt(float64(g.scale)))
	for di, d := range districts {
		sx, sy := toPlane(d.seat)
		type cand struct {
			river, pos int
			dist       float64
		}
		var cands []cand
		for ri, line := range g.riverLines {
			for pi := 4; pi+4 < len(line); pi++ {
				p := line[pi]
				c := g.lat.cellAt(p.x, p.y)
				if c < 0 || int(g.district[c]) != di {
					continue
				}
				if dd := math.Hypot(p.x-sx, p.y-sy); dd <= 25 && g.farFromSeats(p, 2.5) {
					if ri >= 3 {
						dd += 6 // prefer the main rivers
					}
					cands = append(cands, cand{ri, pi, dd})
				}
			}
		}
		slices.SortStableFunc(cands, func(a, b cand) int {
			switch {
			case a.dist < b.dist:
				return -1
			case a.dist > b.dist:
				return 1
			}
			return 0
		})
		found := -1
		for i, cd := range cands {
			p := g.riverLines[cd.river][cd.pos]
			ok := true
			for _, q := range intakes {
				if math.Hypot(p.x-q.x, p.y-q.y) < minSep {
					ok = false
					break
				}
			}
			if ok {
				found = i
				break
			}
		}
		if found < 0 {
			continue
		}
		cd := cands[found]
		line := g.riverLines[cd.river]
		p := line[cd.pos]
		intakes = append(intakes, p)
		a, b := line[cd.pos-4], line[cd.pos+4]
		theta := math.Atan2(b.y-a.y, b.x-a.x)
		rings := make([]orb.Ring, 3)
		for z := 0; z < 3; z++ {
			ax, bx := zoneAxes[z][0], zoneAxes[z][1]
			r := make(orb.Ring, 0, nAng+1)
			for k := 0; k < nAng; k++ {
				phi := 2 * math.Pi * float64(k) / float64(nAng)
				cs, sn := math.Cos(phi), math.Sin(phi)
				rad := ax * bx / math.Hypot(bx*cs, ax*sn)
				f := 1 + 0.06*valueNoise(nsWater+uint64(di)*31+uint64(z), 1.7*cs+5, 1.7*sn+5)
				x := p.x + rad*f*math.Cos(theta+phi)
				y := p.y + rad*f*math.Sin(theta+phi)
				ll := toLonLat(x, y)
				r = append(r, orb.Point{round6(ll[0]), round6(ll[1])})
			}
			rings[z] = append(r, r[0])
		}
		source := d.name + rivers[cd.river].name + "城区饮用水水源地"
		for z := 0; z < 3; z++ {
			poly := orb.Polygon{rings[z]}
			if z > 0 {
				hole := slices.Clone(rings[z-1])
				slices.Reverse(hole)
				poly = append(poly, hole)
			}
			layer.Features = append(layer.Features, admission.Feature{
				ID:       fmt.Sprintf("SYD-%s-01-%d", d.code, z+1),
				Name:     source + zoneNames[z],
				Category: zoneNames[z],
				Properties: map[string]any{
					"source_name": source,
					"level":       z + 1,
					"river":       rivers[cd.river].name,
					"county_code": d.code,
				},
				Geometry: poly,
			})
		}
	}
	return layer
}

// riverLayer writes the meandered river courses.
func (g *gen) riverLayer() admission.Layer {
	layer := admission.Layer{ID: admission.LayerRivers, Title: "主要河流", Role: admission.RoleReference, Kind: admission.KindLine}
	for ri, r := range rivers {
		var ls orb.LineString
		for _, p := range g.riverLines[ri] {
			ll := toLonLat(p.x, p.y)
			pt := orb.Point{round6(ll[0]), round6(ll[1])}
			if len(ls) > 0 && ls[len(ls)-1] == pt {
				continue
			}
			ls = append(ls, pt)
		}
		layer.Features = append(layer.Features, admission.Feature{
			ID: r.id, Name: r.name, Category: r.category, Properties: map[string]any{},
			Geometry: ls,
		})
	}
	return layer
}

// farFromSeats reports whether p lies at least r km from every seat.
func (g *gen) farFromSeats(p xy, r float64) bool {
	for _, d := range districts {
		x, y := toPlane(d.seat)
		if math.Hypot(p.x-x, p.y-y) < r {
			return false
		}
	}
	return true
}
