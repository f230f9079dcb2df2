package admission

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/tidwall/rtree"

	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/parallel"
)

// Gap references: what the gaps of a partition layer are measured against.
const (
	// GapRefDistricts: gaps are the parts of the districts layer that no
	// feature covers; the features must tile the districts.
	GapRefDistricts = "districts"
	// GapRefHull: gaps are the holes of the union of the layer's own
	// features. Gaps along the outer edge cannot be seen this way, and a
	// genuine enclave (another province's land) would be reported.
	GapRefHull = "hull"
)

// MinInsideShare is the share of a control unit's area that must lie in
// the districts layer; below it the unit is reported as outside every
// district (CodeUnitOutside), above it any piece outside is reported as
// CodeUnitPartlyOutside.
const MinInsideShare = 0.5

// PartitionStats sums up the overlay checks of one partition layer.
type PartitionStats struct {
	Layer string `json:"layer"`
	// Features is the number of features checked; Skipped those left out
	// because their geometry is invalid (reported as errors already).
	Features int `json:"features"`
	Skipped  int `json:"skipped"`
	// CandidatePairs is the number of feature pairs whose bounds overlap
	// (found with an R-tree); only these are overlaid.
	CandidatePairs int     `json:"candidate_pairs"`
	Overlaps       int     `json:"overlaps"`
	OverlapAreaM2  float64 `json:"overlap_area_m2"`
	Gaps           int     `json:"gaps"`
	GapAreaM2      float64 `json:"gap_area_m2"`
	// GapReference is GapRefDistricts or GapRefHull.
	GapReference string `json:"gap_reference"`
	// OutsideAreaM2 is the area of the features outside the districts
	// layer (with GapRefDistricts only).
	OutsideAreaM2 float64 `json:"outside_area_m2"`
	// Slivers counts the gap, overlap and outside pieces smaller than the
	// tolerance, which are ignored; SliverAreaM2 is their total area.
	Slivers      int     `json:"slivers"`
	SliverAreaM2 float64 `json:"sliver_area_m2"`
	// Failed counts overlays the geometry library could not compute
	// (reported as CodeCheckFailed warnings).
	Failed int `json:"failed"`
}

// CheckPartition runs the overlay checks of ValidateDataset on the polygon
// layer l, which should tile the territory (role partition):
//
//   - overlaps between two features, one problem per pair, are errors;
//   - gaps, one problem per connected piece, are warnings: measured
//     against districts when it is not nil (the parts of districts that no
//     feature covers, split along district boundaries), else as the holes
//     of the union of l's features (GapRefHull);
//   - with districts, a feature less than MinInsideShare inside them is
//     CodeUnitOutside, one with pieces outside them CodeUnitPartlyOutside
//     (warnings).
//
// Pieces smaller than opts' sliver tolerance are ignored and only counted.
// Areas are geodesic (m², CGCS2000); a problem's Location is a point
// inside its largest piece. Features that are not polygons are skipped;
// geometries must have passed Validate (an invalid ring may make the
// overlay fail, which is reported as CodeCheckFailed). Candidate pairs
// come from an R-tree of feature bounds and both sides are clipped to the
// common box before the overlay (polygol), so the cost follows the shared
// boundaries, not the size of the layer. Work is spread over the cores;
// the result is deterministic. The report's Dataset is left empty and its
// Stats.Partitions has the one entry of l.
func CheckPartition(l Layer, districts *Layer, opts ValidateOptions) Report {
	var dl *partitionLayer
	if districts != nil {
		dl = newPartitionLayer(districts, nil, opts.Workers)
	}
	r := newReport(opts)
	st := newPartitionLayer(&l, nil, opts.Workers).check(dl, opts.sliver(), &r)
	r.Stats.Partitions = append(r.Stats.Partitions, st)
	return r
}

// partitionLayer is a polygon layer prepared for overlay checks.
type partitionLayer struct {
	l      *Layer
	polys  []orb.MultiPolygon // nil for features left out
	bounds []orb.Bound
	areas  []float64
	// county is the county code of each feature: the id of a district,
	// digits 3–8 of a unit code ("" when malformed).
	county []string
	tree   rtree.RTreeG[int]
	kept   int
	// workers bounds the goroutines of the overlays (parallel.For).
	workers int
}

// newPartitionLayer prepares l; ok, when not nil, marks the features with
// a sound geometry (the others are left out); workers bounds the
// goroutines of its overlays (parallel.For).
func newPartitionLayer(l *Layer, ok []bool, workers int) *partitionLayer {
	n := len(l.Features)
	p := &partitionLayer{l: l, polys: make([]orb.MultiPolygon, n), bounds: make([]orb.Bound, n), areas: make([]float64, n), county: make([]string, n), workers: workers}
	for i, f := range l.Features {
		if m := unitCodeRe.FindStringSubmatch(f.ID); m != nil {
			p.county[i] = m[1]
		} else {
			p.county[i] = f.ID
		}
		if ok != nil && !ok[i] {
			continue
		}
		mp := geo.AsMultiPolygon(f.Geometry)
		if len(mp) == 0 {
			continue
		}
		b := mp.Bound()
		if !finiteBound(b) {
			continue
		}
		p.polys[i], p.bounds[i] = mp, b
		p.tree.Insert(b.Min, b.Max, i)
		p.kept++
	}
	parallel.For(p.workers, len(p.polys), func(i int) {
		if p.polys[i] != nil {
			p.areas[i] = geo.Area(p.polys[i])
		}
	})
	return p
}

// overlapping reports whether two bounds share some area (not just an
// edge).
func overlapping(a, b orb.Bound) bool {
	return a.Min[0] < b.Max[0] && b.Min[0] < a.Max[0] && a.Min[1] < b.Max[1] && b.Min[1] < a.Max[1]
}

func finiteBound(b orb.Bound) bool {
	for _, v := range [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// candidates returns the features whose bounds meet b, ascending.
func (p *partitionLayer) candidates(b orb.Bound) []int {
	var out []int
	p.tree.Search(b.Min, b.Max, func(_, _ [2]float64, i int) bool {
		out = append(out, i)
		return true
	})
	sort.Ints(out)
	return out
}

// clipped returns feature i clipped to box (itself when it lies inside).
// Clipping leaves zero-width artefacts along the box sides, which add no
// area and which polygol accepts.
func (p *partitionLayer) clipped(i int, box orb.Bound) orb.MultiPolygon {
	b := p.bounds[i]
	if b.Min[0] >= box.Min[0] && b.Min[1] >= box.Min[1] && b.Max[0] <= box.Max[0] && b.Max[1] <= box.Max[1] {
		return p.polys[i]
	}
	return clip.MultiPolygon(box, p.polys[i].Clone())
}

func (p *partitionLayer) id(i int) string {
	if id := p.l.Features[i].ID; id != "" {
		return id
	}
	return fmt.Sprintf("#%d", i+1) // counted from 1, as people count records
}

// label is the feature's id and name, e.g. "500103（渝中区）".
func (p *partitionLayer) label(i int) string {
	f := p.l.Features[i]
	if f.Name != "" {
		return p.id(i) + "（" + f.Name + "）"
	}
	return p.id(i)
}

// noun is what the layer's features are called in messages.
func (p *partitionLayer) noun() string {
	switch p.l.ID {
	case LayerControlUnits:
		return "单元"
	case LayerDistricts:
		return "区县"
	}
	return "要素"
}

// overlayResult sums up one overlay: the pieces at or above the sliver
// tolerance (count, total and largest area, a point in the largest) and
// the ignored ones.
type overlayResult struct {
	count      int
	area       float64
	largest    float64
	at         orb.Point
	slivers    int
	sliverArea float64
	err        error
	each       []piece // every piece, when each is its own problem
}

type piece struct {
	area float64
	at   orb.Point
}

// measurePieces measures the polygons of mp; keepEach keeps every piece.
func measurePieces(mp orb.MultiPolygon, sliver float64, keepEach bool) overlayResult {
	var ps overlayResult
	for _, poly := range mp {
		a := geo.Area(poly)
		if a <= 0 {
			continue
		}
		if a < sliver {
			ps.slivers++
			ps.sliverArea += a
			continue
		}
		ps.count++
		ps.area += a
		var at orb.Point
		if keepEach || a > ps.largest {
			at = interiorPoint(poly)
		}
		if a > ps.largest {
			ps.largest, ps.at = a, at
		}
		if keepEach {
			ps.each = append(ps.each, piece{area: a, at: at})
		}
	}
	return ps
}

func (st *PartitionStats) addSlivers(ps overlayResult) {
	st.Slivers += ps.slivers
	st.SliverAreaM2 += ps.sliverArea
}

// check runs every overlay check of the layer and adds its problems to r.
func (p *partitionLayer) check(districts *partitionLayer, sliver float64, r *Report) PartitionStats {
	st := PartitionStats{Layer: p.l.ID, Features: p.kept, Skipped: len(p.l.Features) - p.kept}
	p.overlaps(sliver, r, &st)
	if districts != nil {
		st.GapReference = GapRefDistricts
		p.gapsIn(districts, sliver, r, &st)
		p.outside(districts, sliver, r, &st)
	} else {
		st.GapReference = GapRefHull
		p.holes(sliver, r, &st)
	}
	return st
}

// overlaps overlays every pair of features whose bounds overlap.
func (p *partitionLayer) overlaps(sliver float64, r *Report, st *PartitionStats) {
	type pair struct{ i, j int }
	var pairs []pair
	for i, mp := range p.polys {
		if mp == nil {
			continue
		}
		for _, j := range p.candidates(p.bounds[i]) {
			if j <= i {
				continue
			}
			if !overlapping(p.bounds[i], p.bounds[j]) {
				continue // the bounds only touch: no common area
			}
			pairs = append(pairs, pair{i, j})
		}
	}
	st.CandidatePairs = len(pairs)
	res := make([]overlayResult, len(pairs))
	parallel.For(p.workers, len(pairs), func(k int) {
		i, j := pairs[k].i, pairs[k].j
		box := clip.Bound(p.bounds[i], p.bounds[j])
		a, b := p.clipped(i, box), p.clipped(j, box)
		if len(a) == 0 || len(b) == 0 || !overlapping(a.Bound(), b.Bound()) {
			return // e.g. two units of the same district far apart
		}
		mp, err := geo.Overlay(geo.Intersection, a, b)
		if err != nil {
			res[k].err = err
			return
		}
		res[k] = measurePieces(mp, sliver, false)
	})
	var probs []Problem
	for k, ps := range res {
		i, j := pairs[k].i, pairs[k].j
		st.addSlivers(ps)
		if ps.err != nil {
			st.Failed++
			r.warn(Problem{Layer: p.l.ID, Feature: p.id(i), Related: []string{p.id(j)}, Code: CodeCheckFailed, Location: pointAt(p.bounds[i].Center()),
				Message: fmt.Sprintf("无法计算%s %s 与 %s 的叠加（%v），两者是否重叠未能核查", p.noun(), p.id(i), p.id(j), ps.err)})
			continue
		}
		if ps.count == 0 {
			continue
		}
		st.Overlaps++
		st.OverlapAreaM2 += ps.area
		msg := fmt.Sprintf("与%s %s重叠 %s", p.noun(), spaced(p.label(j)), formatArea(ps.area))
		if ps.count > 1 {
			msg += fmt.Sprintf("（共 %d 处，最大一处 %s，位置为最大一处）", ps.count, formatArea(ps.largest))
		}
		probs = append(probs, Problem{Layer: p.l.ID, Feature: p.id(i), Related: []string{p.id(j)}, Code: CodeOverlap, AreaM2: roundArea(ps.area), Location: pointAt(ps.at), Message: msg + "；分区图层的要素不应重叠"})
	}
	sortByArea(probs)
	r.fail(probs...)
}

// gapsIn reports the parts of each district that no feature covers.
func (p *partitionLayer) gapsIn(d *partitionLayer, sliver float64, r *Report, st *PartitionStats) {
	res := make([]overlayResult, len(d.polys))
	parallel.For(p.workers, len(d.polys), func(k int) {
		if d.polys[k] == nil {
			return
		}
		box := d.bounds[k]
		own := func(i int) bool { return p.county[i] == d.l.Features[k].ID }
		mp, err := subtract(d.polys[k], box, p, p.candidates(box), own)
		if err != nil {
			res[k].err = err
			return
		}
		res[k] = measurePieces(mp, sliver, true)
	})
	var probs []Problem
	for k, ps := range res {
		st.addSlivers(ps)
		if ps.err != nil {
			st.Failed++
			r.warn(Problem{Layer: p.l.ID, Related: []string{d.id(k)}, Code: CodeCheckFailed, Location: pointAt(d.bounds[k].Center()),
				Message: fmt.Sprintf("无法计算区县 %s内的空隙（%v），该区县是否被%s完整覆盖未能核查", spaced(d.label(k)), ps.err, p.noun())})
			continue
		}
		for _, pc := range ps.each {
			st.Gaps++
			st.GapAreaM2 += pc.area
			probs = append(probs, Problem{Layer: p.l.ID, Related: []string{d.id(k)}, Code: CodeGap, AreaM2: roundArea(pc.area), Location: pointAt(pc.at),
				Message: fmt.Sprintf("区县 %s内有 %s不属于任何%s（空隙）", spaced(d.label(k)), formatArea(pc.area), p.noun())})
		}
	}
	sortByArea(probs)
	r.warn(probs...)
}

// outside reports the features lying wholly or partly outside the
// districts.
func (p *partitionLayer) outside(d *partitionLayer, sliver float64, r *Report, st *PartitionStats) {
	res := make([]overlayResult, len(p.polys))
	parallel.For(p.workers, len(p.polys), func(i int) {
		if p.polys[i] == nil {
			return
		}
		box := p.bounds[i]
		own := func(k int) bool { return d.l.Features[k].ID == p.county[i] }
		mp, err := subtract(p.polys[i], box, d, d.candidates(box), own)
		if err != nil {
			res[i].err = err
			return
		}
		res[i] = measurePieces(mp, sliver, false)
	})
	var wholly, partly []Problem
	for i, ps := range res {
		st.addSlivers(ps)
		if ps.err != nil {
			st.Failed++
			r.warn(Problem{Layer: p.l.ID, Feature: p.id(i), Code: CodeCheckFailed, Location: pointAt(p.bounds[i].Center()),
				Message: fmt.Sprintf("无法计算%s %s 与区县图层的叠加（%v），是否位于区县内未能核查", p.noun(), p.id(i), ps.err)})
			continue
		}
		if ps.count == 0 {
			continue
		}
		st.OutsideAreaM2 += ps.area
		total := p.areas[i]
		inside := 0.0
		if total > 0 {
			inside = math.Max(0, 1-ps.area/total)
		}
		if inside < MinInsideShare {
			wholly = append(wholly, Problem{Layer: p.l.ID, Feature: p.id(i), Code: CodeUnitOutside, AreaM2: roundArea(ps.area), Location: pointAt(ps.at),
				Message: fmt.Sprintf("%s仅有 %.1f%% 的面积位于区县图层内（区县外 %s，共 %s）", p.noun(), inside*100, formatArea(ps.area), formatArea(total))})
			continue
		}
		msg := fmt.Sprintf("%s有 %s位于区县图层之外", p.noun(), formatArea(ps.area))
		if ps.count > 1 {
			msg += fmt.Sprintf("（共 %d 处，最大一处 %s，位置为最大一处）", ps.count, formatArea(ps.largest))
		}
		partly = append(partly, Problem{Layer: p.l.ID, Feature: p.id(i), Code: CodeUnitPartlyOutside, AreaM2: roundArea(ps.area), Location: pointAt(ps.at), Message: msg})
	}
	sortByArea(partly)
	r.warn(wholly...)
	r.warn(partly...)
}

// subtract returns subject (whose bound is box) minus the features idx
// of src. It subtracts the features for which first is true before the
// others (a district's own units, a unit's own district by its code): in
// a sound partition they cover the subject alone and the neighbours,
// which only add work, are never overlaid. The result does not depend on
// first.
func subtract(subject orb.MultiPolygon, box orb.Bound, src *partitionLayer, idx []int, first func(int) bool) (orb.MultiPolygon, error) {
	var head, rest []int
	for _, i := range idx {
		if first(i) {
			head = append(head, i)
		} else {
			rest = append(rest, i)
		}
	}
	if len(head) == 0 {
		head, rest = rest, nil
	}
	res, err := geo.Overlay(geo.Difference, subject, src.clippedAll(head, box)...)
	if err != nil || len(res) == 0 || len(rest) == 0 {
		return res, err
	}
	rb := res.Bound()
	var near []int
	for _, i := range rest {
		if overlapping(src.bounds[i], rb) {
			near = append(near, i)
		}
	}
	if len(near) == 0 {
		return res, nil
	}
	return geo.Overlay(geo.Difference, res, src.clippedAll(near, rb)...)
}

func (p *partitionLayer) clippedAll(idx []int, box orb.Bound) []orb.MultiPolygon {
	var out []orb.MultiPolygon
	for _, i := range idx {
		if c := p.clipped(i, box); len(c) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// holes reports the holes of the union of the layer's features.
func (p *partitionLayer) holes(sliver float64, r *Report, st *PartitionStats) {
	var all []orb.MultiPolygon
	for _, mp := range p.polys {
		if mp != nil {
			all = append(all, mp)
		}
	}
	if len(all) == 0 {
		return
	}
	union, err := geo.Overlay(geo.Union, all[0], all[1:]...)
	if err != nil {
		st.Failed++
		r.warn(Problem{Layer: p.l.ID, Code: CodeCheckFailed, Message: fmt.Sprintf("无法计算图层的并集（%v），空隙未能核查", err)})
		return
	}
	var probs []Problem
	for pi, poly := range union {
		for _, h := range poly[1:] {
			// A hole may hold islands of the union: the gap is the hole
			// minus them.
			hole := orb.MultiPolygon{{h}}
			hb := h.Bound()
			var islands []orb.MultiPolygon
			for oi, other := range union {
				if ob := other[0].Bound(); oi != pi && ob.Min[0] >= hb.Min[0] && ob.Max[0] <= hb.Max[0] && ob.Min[1] >= hb.Min[1] && ob.Max[1] <= hb.Max[1] {
					islands = append(islands, orb.MultiPolygon{other})
				}
			}
			gap := hole
			if len(islands) > 0 {
				if gap, err = geo.Overlay(geo.Difference, hole, islands...); err != nil {
					st.Failed++
					continue
				}
			}
			ps := measurePieces(gap, sliver, true)
			st.addSlivers(ps)
			for _, pc := range ps.each {
				st.Gaps++
				st.GapAreaM2 += pc.area
				probs = append(probs, Problem{Layer: p.l.ID, Code: CodeGap, AreaM2: roundArea(pc.area), Location: pointAt(pc.at),
					Message: fmt.Sprintf("%s之间有 %s的空洞，不属于任何%s（空隙）", p.noun(), formatArea(pc.area), p.noun())})
			}
		}
	}
	sortByArea(probs)
	r.warn(probs...)
}

// sortByArea orders problems by decreasing area, then feature id, for a
// stable report.
func sortByArea(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].AreaM2 != ps[j].AreaM2 {
			return ps[i].AreaM2 > ps[j].AreaM2
		}
		return ps[i].Feature < ps[j].Feature
	})
}

// interiorPoint returns a point inside polygon p, away from its boundary
// when p has positive area: the middle of the widest stretch of p along a
// horizontal line near the middle of its bound that passes through no
// vertex (as JTS's InteriorPointArea does). The centroid would not do: it
// can lie outside a bent sliver.
func interiorPoint(p orb.Polygon) orb.Point {
	if len(p) == 0 {
		return orb.Point{}
	}
	b := p.Bound()
	mid := (b.Min[1] + b.Max[1]) / 2
	lo, hi := b.Min[1], b.Max[1]
	for _, r := range p {
		for _, v := range r {
			if v[1] <= mid && v[1] > lo {
				lo = v[1]
			}
			if v[1] > mid && v[1] < hi {
				hi = v[1]
			}
		}
	}
	y := (lo + hi) / 2
	var xs []float64
	for _, r := range p {
		n := len(r)
		for i := 0; i < n; i++ {
			a, c := r[i], r[(i+1)%n]
			if (a[1] > y) != (c[1] > y) {
				xs = append(xs, a[0]+(y-a[1])*(c[0]-a[0])/(c[1]-a[1]))
			}
		}
	}
	sort.Float64s(xs)
	best, at := -1.0, b.Center()
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > best {
			best, at = w, orb.Point{(xs[i] + xs[i+1]) / 2, y}
		}
	}
	return at
}

// pointAt rounds a location to 1e-7° (about 1 cm).
func pointAt(p orb.Point) *[2]float64 {
	return &[2]float64{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
}

func roundArea(x float64) float64 { return math.Round(x*100) / 100 }

// formatArea writes an area for people: m² with thousands separators
// below 1 km², km² above, e.g. "429,676 平方米", "0.54 平方米",
// "2.346 平方公里".
func formatArea(m2 float64) string {
	switch {
	case m2 >= 1e6:
		return strconv.FormatFloat(m2/1e6, 'f', 3, 64) + " 平方公里"
	case m2 >= 100:
		s := strconv.FormatFloat(m2, 'f', 0, 64)
		var b strings.Builder
		for i, ch := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(ch)
		}
		return b.String() + " 平方米"
	}
	return strconv.FormatFloat(m2, 'f', 2, 64) + " 平方米"
}

// spaced puts a space after a code, none after a closing parenthesis:
// "与单元 ZH50010320001 重叠", "与单元 ZH50010320001（名称）重叠".
func spaced(label string) string {
	if strings.HasSuffix(label, "）") {
		return label
	}
	return label + " "
}
