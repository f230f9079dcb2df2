package admission

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/geo"
)

// rect is the polygon lon x0–x1 × lat y0–y1.
func rect(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

var validateInfo = Info{Name: "校验测试", Version: "1", CRS: "EPSG:4490"}

// unitAt is a control unit whose category follows its code's digit.
func unitAt(code string, g orb.Geometry) Feature {
	cat := map[byte]string{'1': CategoryPriority, '2': CategoryKey, '3': CategoryGeneral}[code[8]]
	return Feature{ID: code, Category: cat, Geometry: g}
}

func unitLayer(fs ...Feature) Layer {
	return Layer{ID: LayerControlUnits, Title: "环境管控单元", Role: RolePartition, Kind: KindPolygon, Features: fs}
}

func districtLayer(fs ...Feature) Layer {
	return Layer{ID: LayerDistricts, Title: "区县", Role: RolePartition, Kind: KindPolygon, Features: fs}
}

// yuzhong is 渝中区 in the fixtures: lon 106.55–106.57 × lat 29.55–29.57.
var yuzhong = Feature{ID: "500103", Name: "渝中区", Category: "区", Geometry: rect(106.55, 29.55, 106.57, 29.57)}

func withCode(ps []Problem, code string) []Problem {
	var out []Problem
	for _, p := range ps {
		if p.Code == code {
			out = append(out, p)
		}
	}
	return out
}

func problemCodes(ps []Problem) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Code+" "+p.Feature)
	}
	return out
}

// assertInside asserts that a problem's location lies inside g.
func assertInside(t *testing.T, p Problem, g orb.Polygon) {
	t.Helper()
	require.NotNil(t, p.Location, "%v", p)
	assert.True(t, planar.PolygonContains(g, orb.Point(*p.Location)), "location %v not inside %v", *p.Location, g)
}

// Two units of 渝中区 overlap on a strip 0.002° wide:
//
//	29.57 +-------+---+-------+
//	      |   A   |A∩B|   B   |
//	29.55 +-------+---+-------+
//	   106.55  106.56 106.562 106.57
func TestValidateDatasetOverlapIsAnError(t *testing.T) {
	layers := []Layer{
		districtLayer(yuzhong),
		unitLayer(
			unitAt("ZH50010310001", rect(106.55, 29.55, 106.562, 29.57)),
			unitAt("ZH50010320001", rect(106.56, 29.55, 106.57, 29.57)),
		),
	}
	r := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{})
	require.Len(t, r.Errors, 1, "%v", r.Errors)
	p := r.Errors[0]
	assert.Equal(t, CodeOverlap, p.Code)
	assert.Equal(t, SeverityError, p.Severity)
	assert.Equal(t, LayerControlUnits, p.Layer)
	assert.Equal(t, "ZH50010310001", p.Feature)
	assert.Equal(t, []string{"ZH50010320001"}, p.Related)
	strip := rect(106.56, 29.55, 106.562, 29.57)
	want := geo.Area(strip) // about 429,700 m²
	assert.InDelta(t, want, p.AreaM2, 0.01, "got %v m², want %v m²", p.AreaM2, want)
	assertInside(t, p, strip)
	assert.Contains(t, p.Message, "与单元 ZH50010320001 重叠 429,676 平方米")
	assert.Empty(t, r.Warnings, "%v", r.Warnings)
	assert.False(t, r.OK())
	var ve *ValidationError
	require.ErrorAs(t, r.Err(), &ve)
	assert.Len(t, ve.Problems, 1)

	units := r.Stats.Partitions[1]
	assert.Equal(t, LayerControlUnits, units.Layer)
	assert.Equal(t, 1, units.CandidatePairs)
	assert.Equal(t, 1, units.Overlaps)
	assert.InDelta(t, want, units.OverlapAreaM2, 0.01)
	assert.Equal(t, GapRefDistricts, units.GapReference)
}

// A strip of 渝中区 belongs to no unit:
//
//	29.57 +-------+--+-------+
//	      |   A   |  |   B   |
//	29.55 +-------+--+-------+
//	   106.55  .558 .56   106.57
func TestValidateDatasetGapIsAWarning(t *testing.T) {
	layers := []Layer{
		districtLayer(yuzhong),
		unitLayer(
			unitAt("ZH50010310001", rect(106.55, 29.55, 106.558, 29.57)),
			unitAt("ZH50010320001", rect(106.56, 29.55, 106.57, 29.57)),
		),
	}
	r := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{})
	assert.Empty(t, r.Errors, "%v", r.Errors)
	assert.True(t, r.OK())
	assert.NoError(t, r.Err())
	require.Len(t, r.Warnings, 1, "%v", r.Warnings)
	p := r.Warnings[0]
	assert.Equal(t, CodeGap, p.Code)
	assert.Equal(t, SeverityWarning, p.Severity)
	assert.Equal(t, []string{"500103"}, p.Related)
	gap := rect(106.558, 29.55, 106.56, 29.57)
	assert.InDelta(t, geo.Area(gap), p.AreaM2, 0.01)
	assertInside(t, p, gap)
	assert.Contains(t, p.Message, "500103（渝中区）")
	st := r.Stats.Partitions[1]
	assert.Equal(t, 1, st.Gaps)
	assert.Equal(t, 0, st.CandidatePairs, "bounds that do not overlap make no pair")
}

// Without a districts layer, gaps are the holes of the units' union: a
// 3×3 grid of 0.01° cells with the centre missing.
//
//	29.58 +---+---+---+
//	      | 7 | 8 | 9 |
//	29.57 +---+---+---+
//	      | 4 |gap| 6 |
//	29.56 +---+---+---+
//	      | 1 | 2 | 3 |
//	29.55 +---+---+---+
//	   106.55 .56 .57 .58
func TestValidateDatasetHoleWithoutDistricts(t *testing.T) {
	xs := []float64{106.55, 106.56, 106.57, 106.58}
	ys := []float64{29.55, 29.56, 29.57, 29.58}
	var units []Feature
	n := 0
	for row := 0; row < 3; row++ {
		for col := 0; col < 3; col++ {
			n++
			if row == 1 && col == 1 {
				continue
			}
			units = append(units, unitAt(fmt.Sprintf("ZH5001033%04d", n), rect(xs[col], ys[row], xs[col+1], ys[row+1])))
		}
	}
	r := ValidateDataset(validateInfo, []Layer{unitLayer(units...)}, Rules{}, ValidateOptions{})
	assert.Empty(t, r.Errors, "%v", r.Errors)
	require.Len(t, r.Warnings, 1, "%v", problemCodes(r.Warnings))
	p := r.Warnings[0]
	assert.Equal(t, CodeGap, p.Code)
	hole := rect(106.56, 29.56, 106.57, 29.57)
	assert.InDelta(t, geo.Area(hole), p.AreaM2, 0.01)
	assertInside(t, p, hole)
	require.Len(t, r.Stats.Partitions, 1)
	st := r.Stats.Partitions[0]
	assert.Equal(t, GapRefHull, st.GapReference)
	assert.Equal(t, 0, st.Overlaps)
	// Neighbours sharing an edge or a corner are candidates, but only the
	// pairs whose bounds share area are overlaid: none here.
	assert.Equal(t, 0, st.CandidatePairs)
}

// B pokes a thin triangle (11 m long, 0.1 m wide: about 0.54 m²) into A:
//
//	29.57 +-------+-------+
//	      |   A   |   B   |
//	      |      <|       |   tip at 106.559999, 29.56005
//	29.55 +-------+-------+
//	   106.55  106.56   106.57
func TestValidateDatasetSliverTolerance(t *testing.T) {
	tip := orb.Point{106.559999, 29.56005}
	b := orb.Polygon{{{106.56, 29.55}, {106.57, 29.55}, {106.57, 29.57}, {106.56, 29.57}, {106.56, 29.5601}, tip, {106.56, 29.56}, {106.56, 29.55}}}
	spike := orb.Polygon{{{106.56, 29.56}, {106.56, 29.5601}, tip, {106.56, 29.56}}}
	layers := []Layer{districtLayer(yuzhong), unitLayer(
		unitAt("ZH50010310001", rect(106.55, 29.55, 106.56, 29.57)),
		unitAt("ZH50010320001", b),
	)}
	want := geo.Area(spike)
	require.InDelta(t, 0.54, want, 0.02)

	r := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{})
	assert.Empty(t, r.Errors, "a 0.54 m² overlap is a sliver under the 1 m² default: %v", r.Errors)
	assert.Empty(t, r.Warnings)
	st := r.Stats.Partitions[1]
	assert.Equal(t, 1.0, r.Stats.SliverM2)
	assert.Equal(t, 1, st.Slivers)
	assert.InDelta(t, want, st.SliverAreaM2, 1e-3)

	r = ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{SliverM2: 0.1})
	require.Len(t, r.Errors, 1, "%v", r.Errors)
	assert.Equal(t, CodeOverlap, r.Errors[0].Code)
	assert.InDelta(t, want, r.Errors[0].AreaM2, 0.01)
	assertInside(t, r.Errors[0], spike)
	assert.Equal(t, 0, r.Stats.Partitions[1].Slivers)
}

// Units that leave 渝中区 (106.55–106.57 × 29.55–29.57):
//
//	29.57 +-------+-------+-+       +------+
//	      |   E   |       | |       |  C   |  C: wholly outside
//	29.56 +-------+   B   | |       |      |
//	      |   A   |       | |B sticks out by 0.001°
//	29.55 +-------+-------+-+       +------+
//	   106.55  106.56  106.57 .571  106.60 106.61
//
// E's code names county 500199, which the districts layer lacks.
func TestValidateDatasetUnitsOutsideDistricts(t *testing.T) {
	layers := []Layer{districtLayer(yuzhong), unitLayer(
		unitAt("ZH50010310001", rect(106.55, 29.55, 106.56, 29.56)),
		unitAt("ZH50019930001", rect(106.55, 29.56, 106.56, 29.57)),
		unitAt("ZH50010320001", rect(106.56, 29.55, 106.571, 29.57)),
		unitAt("ZH50010330002", rect(106.60, 29.55, 106.61, 29.57)),
	)}
	r := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{})
	assert.Empty(t, r.Errors, "%v", r.Errors)

	outside := withCode(r.Warnings, CodeUnitOutside)
	require.Len(t, outside, 2, "%v", problemCodes(r.Warnings))
	c := outside[0]
	assert.Equal(t, "ZH50010330002", c.Feature)
	assert.InDelta(t, geo.Area(rect(106.60, 29.55, 106.61, 29.57)), c.AreaM2, 0.01)
	assert.Contains(t, c.Message, "仅有 0.0% 的面积位于区县图层内")
	e := outside[1]
	assert.Equal(t, "ZH50019930001", e.Feature)
	assert.Equal(t, []string{"500199"}, e.Related)
	assert.Contains(t, e.Message, "500199 不是区县图层中的要素")

	partly := withCode(r.Warnings, CodeUnitPartlyOutside)
	require.Len(t, partly, 1, "%v", problemCodes(r.Warnings))
	assert.Equal(t, "ZH50010320001", partly[0].Feature)
	stray := rect(106.57, 29.55, 106.571, 29.57)
	assert.InDelta(t, geo.Area(stray), partly[0].AreaM2, 0.01)
	assertInside(t, partly[0], stray)

	assert.Empty(t, withCode(r.Warnings, CodeGap), "the units cover 渝中区")
	assert.Len(t, r.Warnings, 3, "%v", problemCodes(r.Warnings))
}

// An old dataset: 梁平区 is a district of the current code 500155 but its
// unit still carries 梁平县's 500228; 武隆 keeps its retired code 500232
// everywhere; a district clause is scoped to 500228.
func TestValidateDatasetRetiredCountyCodes(t *testing.T) {
	layers := []Layer{
		districtLayer(
			Feature{ID: "500155", Name: "梁平区", Category: "区", Geometry: rect(107.70, 30.60, 107.72, 30.62)},
			Feature{ID: "500232", Name: "武隆县", Category: "县", Geometry: rect(107.72, 30.60, 107.74, 30.62)},
		),
		unitLayer(
			unitAt("ZH50022810001", rect(107.70, 30.60, 107.72, 30.62)),
			unitAt("ZH50023210001", rect(107.72, 30.60, 107.74, 30.62)),
		),
	}
	rules := Rules{Clauses: []Clause{
		{ID: "500228-1-01", Level: LevelDistrict, Scope: Scope{County: "500228"}, Dimension: Dimensions[0], Text: "禁止新建化工项目。", Effect: EffectProhibit},
		{ID: "U1", Level: LevelUnit, Scope: Scope{Unit: "ZH50022810001"}, Dimension: Dimensions[0], Text: "严格控制开发强度。", Effect: EffectRestrict},
		{ID: "U2", Level: LevelUnit, Scope: Scope{Unit: "ZH50023210001"}, Dimension: Dimensions[0], Text: "严格控制开发强度。", Effect: EffectRestrict},
	}}
	r := ValidateDataset(validateInfo, layers, rules, ValidateOptions{})

	require.Len(t, r.Errors, 1, "%v", r.Errors)
	assert.Equal(t, CodeInvalidClause, r.Errors[0].Code, "a clause scoped to a county the districts lack stays an error")
	assert.Equal(t, "500228-1-01", r.Errors[0].Feature)

	retired := withCode(r.Warnings, CodeRetiredCounty)
	assert.Len(t, r.Warnings, len(retired), "no other warning (no unit outside the districts): %v", problemCodes(r.Warnings))
	got := map[string]Problem{}
	for _, p := range retired {
		got[p.Layer+"/"+p.Feature] = p
	}
	require.Len(t, got, 4, "%v", problemCodes(retired))

	d := got["districts/500232"]
	assert.Equal(t, []string{"500156"}, d.Related)
	assert.Contains(t, d.Message, "500232（武隆县）已撤销，现为 500156（武隆区）")

	u := got["control_units/ZH50022810001"]
	assert.Equal(t, []string{"500155"}, u.Related)
	assert.Contains(t, u.Message, "500228（梁平县）已撤销，现为 500155（梁平区）")
	assert.Contains(t, u.Message, "编码应改为 ZH50015510001")
	assert.Contains(t, u.Message, "1 条单元条款")

	assert.Contains(t, got["control_units/ZH50023210001"].Message, "编码应改为 ZH50015610001")

	c := got["rules/"]
	assert.Equal(t, []string{"500228-1-01"}, c.Related)
	assert.Contains(t, c.Message, "1 条条款")
	assert.Contains(t, c.Message, "现为 500155（梁平区）")
}

func TestValidateDatasetClauses(t *testing.T) {
	layers := []Layer{districtLayer(yuzhong), unitLayer(
		unitAt("ZH50010310001", rect(106.55, 29.55, 106.56, 29.57)),
		unitAt("ZH50010320001", rect(106.56, 29.55, 106.57, 29.57)),
	)}
	clause := func(id, unit string) Clause {
		return Clause{ID: id, Level: LevelUnit, Scope: Scope{Unit: unit}, Dimension: Dimensions[0], Text: "禁止新建化工项目。", Effect: EffectProhibit}
	}

	t.Run("unit without clauses is a warning", func(t *testing.T) {
		r := ValidateDataset(validateInfo, layers, Rules{Clauses: []Clause{clause("A-1", "ZH50010310001")}}, ValidateOptions{})
		assert.Empty(t, r.Errors)
		require.Len(t, r.Warnings, 1, "%v", problemCodes(r.Warnings))
		assert.Equal(t, CodeUnitWithoutClauses, r.Warnings[0].Code)
		assert.Equal(t, "ZH50010320001", r.Warnings[0].Feature)
		assert.Equal(t, 1, r.Stats.Clauses)
	})
	t.Run("clause without unit stays an error", func(t *testing.T) {
		r := ValidateDataset(validateInfo, layers, Rules{Clauses: []Clause{
			clause("A-1", "ZH50010310001"), clause("B-1", "ZH50010320001"), clause("X-1", "ZH50010320009"),
		}}, ValidateOptions{})
		require.Len(t, r.Errors, 1, "%v", r.Errors)
		assert.Equal(t, CodeInvalidClause, r.Errors[0].Code)
		assert.Equal(t, "X-1", r.Errors[0].Feature)
		assert.Contains(t, r.Errors[0].Message, "ZH50010320009")
		assert.Empty(t, r.Warnings)
	})
	t.Run("a dataset without rules has no clause warnings", func(t *testing.T) {
		r := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{})
		assert.Empty(t, r.Errors)
		assert.Empty(t, r.Warnings)
	})
}

// Validate's errors come first and a unit with an invalid geometry is
// left out of the overlay checks instead of failing them.
func TestValidateDatasetKeepsValidateErrors(t *testing.T) {
	bowTie := orb.Polygon{{{106.56, 29.55}, {106.57, 29.57}, {106.57, 29.55}, {106.56, 29.57}, {106.56, 29.55}}}
	layers := []Layer{districtLayer(yuzhong), unitLayer(
		unitAt("ZH50010310001", rect(106.55, 29.55, 106.56, 29.57)),
		unitAt("ZH50010320001", bowTie),
		unitAt("ZH5001032001", rect(106.60, 29.55, 106.61, 29.57)),
	)}
	info := validateInfo
	info.CRS = "EPSG:4326"
	r := ValidateDataset(info, layers, Rules{}, ValidateOptions{})
	var ve *ValidationError
	require.ErrorAs(t, Validate(info, layers), &ve)
	require.GreaterOrEqual(t, len(r.Errors), len(ve.Problems))
	for i, p := range ve.Problems {
		want := p
		want.Severity = SeverityError
		assert.Equal(t, want, r.Errors[i])
	}
	assert.Equal(t, []string{"manifest ", "malformed_unit_code ZH5001032001", "self_intersection ZH50010320001"}, problemCodes(r.Errors))
	st := r.Stats.Partitions[1]
	assert.Equal(t, 2, st.Features)
	assert.Equal(t, 1, st.Skipped)
	assert.Equal(t, 0, st.Failed)
	// The bow tie's half of 渝中区 is a gap once the bow tie is left out;
	// the unit with the malformed code lies outside.
	assert.ElementsMatch(t, []string{"partition_gap ", "unit_outside_districts ZH5001032001"}, problemCodes(r.Warnings))
}

// A unit without id is missing_id only (not also malformed_unit_code of
// an empty code); a geometry without any position has no location (its
// bound's centre would be the point 0, 0); the location of other
// geometry problems without a position of their own is the feature's
// middle.
func TestValidateDatasetMissingIDAndEmptyGeometry(t *testing.T) {
	layers := []Layer{unitLayer(
		Feature{Category: CategoryPriority, Geometry: rect(106.55, 29.55, 106.56, 29.57)},
		unitAt("ZH50010320001", orb.Polygon{}),
		unitAt("ZH50010320002", orb.MultiPolygon{{}}),
		unitAt("ZH50010320003", orb.Polygon{{{106.57, 29.55}, {106.58, 29.55}, {106.57, 29.55}}}),
	)}
	r := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{})
	assert.Equal(t, []string{"missing_id #1", "empty_geometry ZH50010320001", "empty_geometry ZH50010320002", "too_few_points ZH50010320003"}, problemCodes(r.Errors))
	assert.Nil(t, r.Errors[0].Location)
	assert.Nil(t, r.Errors[1].Location)
	assert.Nil(t, r.Errors[2].Location)
	require.NotNil(t, r.Errors[3].Location)
	assert.InDelta(t, 106.575, r.Errors[3].Location[0], 1e-9)
	assert.InDelta(t, 29.55, r.Errors[3].Location[1], 1e-9)
	_, err := json.Marshal(r)
	require.NoError(t, err)
}

// A districts layer with an invalid geometry cannot stand for the
// territory: the units' gaps are then looked for as holes of their own
// union, which cannot see the strip between A and B (it reaches the
// outer edge), and the check says so.
//
//	29.57 +-------+--+-------+----+
//	      |   A   |  |   B   | ⋈  |   ⋈: district 500104, a bow tie
//	29.55 +-------+--+-------+----+
//	   106.55  .558 .56   106.57 106.58
func TestValidateDatasetUnusableDistricts(t *testing.T) {
	bowTie := orb.Polygon{{{106.57, 29.55}, {106.58, 29.57}, {106.58, 29.55}, {106.57, 29.57}, {106.57, 29.55}}}
	layers := []Layer{
		districtLayer(yuzhong, Feature{ID: "500104", Name: "大渡口区", Category: "区", Geometry: bowTie}),
		unitLayer(
			unitAt("ZH50010310001", rect(106.55, 29.55, 106.558, 29.57)),
			unitAt("ZH50010320001", rect(106.56, 29.55, 106.57, 29.57)),
		),
	}
	r := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{})
	assert.Equal(t, []string{"self_intersection 500104"}, problemCodes(r.Errors))
	assert.Equal(t, []string{"check_failed "}, problemCodes(r.Warnings))
	assert.Contains(t, r.Warnings[0].Message, "区县图层有无效几何")
	require.Len(t, r.Stats.Partitions, 2)
	assert.Equal(t, 1, r.Stats.Partitions[0].Skipped)
	assert.Equal(t, GapRefHull, r.Stats.Partitions[1].GapReference)
	assert.Zero(t, r.Stats.Partitions[1].Gaps)
}

func TestReportJSONFieldNames(t *testing.T) {
	layers := []Layer{districtLayer(yuzhong), unitLayer(
		unitAt("ZH50010310001", rect(106.55, 29.55, 106.562, 29.57)),
		unitAt("ZH50010320001", rect(106.56, 29.55, 106.57, 29.57)),
	)}
	b, err := json.Marshal(ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{}))
	require.NoError(t, err)
	s := string(b)
	for _, key := range []string{`"errors":[{`, `"warnings":[]`, `"severity":"error"`, `"area_m2":`, `"related":["ZH50010320001"]`, `"location":[`,
		`"candidate_pairs":1`, `"gap_reference":"districts"`, `"sliver_m2":1`, `"overlap_area_m2":`} {
		assert.Contains(t, s, key)
	}
	for _, key := range []string{`"Errors"`, `"AreaM2"`, `"CandidatePairs"`} {
		assert.NotContains(t, s, key)
	}
}

// The location of a piece lies inside it even where its centroid does
// not:
//
//	+--+     +--+
//	|  |     |  |
//	|  +-----+  |   a U: the centroid is in the notch
//	+-----------+
func TestInteriorPoint(t *testing.T) {
	u := orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	c, _ := planar.CentroidArea(u)
	require.False(t, planar.PolygonContains(u, c), "the fixture's centroid should lie outside")
	for name, p := range map[string]orb.Polygon{
		"U":                u,
		"square":           rect(0, 0, 1, 1),
		"thin diagonal":    {{{0, 0}, {10, 10}, {10, 10.001}, {0, 0}}},
		"square with hole": {{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}},
	} {
		t.Run(name, func(t *testing.T) {
			pt := interiorPoint(p)
			assert.True(t, planar.PolygonContains(p, pt), "got %v", pt)
		})
	}
}
