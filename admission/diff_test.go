package admission

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/geo"
)

// diffFixture builds the two versions compared below:
//
//	from                                     to
//	29.60 +--------+--------+                29.60 +---------+-------+
//	      | A 优先 | B 重点 |                      | A 优先  | B 重点 |  A grows east to 106.56,
//	      |        |        |                      | (+0.01°)| 改名   |  B shrinks, is renamed
//	29.52 |        |        +----+           29.54 |         |       +----+
//	      |        |        | C  |                 |         |       | D  |  C removed, D added
//	29.50 +--------+--------+----+           29.52 |         |       +----+
//	   106.50   106.55   106.60 106.62       29.50 +---------+-------+
//
// The district 500101 turns from 县 into 区 (its geometry is the same,
// written from another start vertex and the other way round, with
// sub-tolerance noise); the red line part R1 is unchanged, R2 moves by
// 1e-5° (about 1 m). Clauses: A's text is revised, B's effect goes from
// restrict to prohibit, C's clause goes with C, D gets one, the city
// clause is unchanged (its industry prefix "26" written "C26" the second
// time), a district clause is added.
func diffFixture(t *testing.T) (from, to *Dataset) {
	t.Helper()
	district := sq(106.50, 29.50, 106.62, 29.60)
	// Same ring: start at another corner, clockwise, noise below 1e-6°.
	districtAgain := orb.Polygon{{{106.62, 29.60 + 3e-7}, {106.62, 29.50}, {106.50, 29.50}, {106.50 - 2e-7, 29.60}, {106.62, 29.60 + 3e-7}}}
	mk := func(v string, districtCat string, dg orb.Polygon, units []Feature, r2 orb.Polygon, clauses []Clause) *Dataset {
		layers := []Layer{
			{ID: LayerDistricts, Title: "区县", Role: RolePartition, Kind: KindPolygon, Features: []Feature{
				{ID: "500101", Name: "万州区", Category: districtCat, Geometry: dg},
			}},
			{ID: LayerControlUnits, Title: "环境管控单元", Role: RolePartition, Kind: KindPolygon, Features: units},
			{ID: LayerEcoRedline, Title: "生态保护红线", Role: RoleSensitive, Kind: KindPolygon, Features: []Feature{
				{ID: "HX500000-0001", Name: "铁峰山", Category: "生态保护红线", Geometry: sq(106.52, 29.52, 106.53, 29.53)},
				{ID: "HX500000-0002", Name: "铁峰山二", Category: "生态保护红线", Geometry: r2},
			}},
		}
		d, err := NewDataset(Info{Name: "测试", Version: v, CRS: "EPSG:4490", Checksum: "sha256:" + v}, layers, Options{Rules: Rules{Clauses: clauses}})
		require.NoError(t, err)
		return d
	}
	unit := func(id, name, cat string, g orb.Polygon) Feature {
		return Feature{ID: id, Name: name, Category: cat, Geometry: g}
	}
	city := Clause{ID: "CQ-1-01", Level: LevelCity, Dimension: "空间布局约束", Number: "1-1", Effect: EffectProhibit, Machine: true,
		Text: "禁止新建化工项目。", Industries: &IndustryFilter{Include: []string{"26"}}}
	cityAgain := city
	cityAgain.Industries = &IndustryFilter{Include: []string{"C26"}}
	uc := func(id, unit, text, effect string) Clause {
		return Clause{ID: id, Level: LevelUnit, Scope: Scope{Unit: unit}, Dimension: "空间布局约束", Number: "1-1", Effect: effect, Text: text}
	}
	from = mk("v1", "县", district, []Feature{
		unit("ZH50010110001", "万州区优先保护单元", CategoryPriority, sq(106.50, 29.50, 106.55, 29.60)),
		unit("ZH50010120001", "万州区重点管控单元", CategoryKey, sq(106.55, 29.50, 106.60, 29.60)),
		unit("ZH50010130001", "万州区一般管控单元1", CategoryGeneral, sq(106.60, 29.50, 106.62, 29.52)),
	}, sq(106.54, 29.54, 106.545, 29.545), []Clause{
		city,
		uc("ZH50010110001-1-01", "ZH50010110001", "禁止新建工业项目。", EffectProhibit),
		uc("ZH50010120001-1-01", "ZH50010120001", "严格控制新增排放。", EffectRestrict),
		uc("ZH50010130001-1-01", "ZH50010130001", "一般管控。", EffectInfo),
	})
	to = mk("v2", "区", districtAgain, []Feature{
		unit("ZH50010110001", "万州区优先保护单元", CategoryPriority, sq(106.50, 29.50, 106.56, 29.60)),
		unit("ZH50010120001", "万州区重点管控单元（经开区）", CategoryKey, sq(106.56, 29.50, 106.60, 29.60)),
		unit("ZH50010130002", "万州区一般管控单元2", CategoryGeneral, sq(106.60, 29.52, 106.62, 29.54)),
	}, sq(106.54+1e-5, 29.54, 106.545+1e-5, 29.545), []Clause{
		uc("ZH50010130002-1-01", "ZH50010130002", "一般管控。", EffectInfo),
		uc("ZH50010120001-1-01", "ZH50010120001", "严格控制新增排放。", EffectProhibit),
		uc("ZH50010110001-1-01", "ZH50010110001", "禁止新建、扩建工业项目。", EffectProhibit),
		{ID: "500101-1-01", Level: LevelDistrict, Scope: Scope{County: "500101"}, Dimension: "污染物排放管控", Effect: EffectRequire, Text: "应当实施总量控制。"},
		cityAgain,
	})
	return from, to
}

func TestDiff(t *testing.T) {
	from, to := diffFixture(t)
	d := Diff(from, to)

	assert.Equal(t, "v1", d.From.Version)
	assert.Equal(t, "v2", d.To.Version)
	assert.Equal(t, DiffCounts{FeaturesAdded: 1, FeaturesRemoved: 1, GeometryChanged: 3, CategoryChanged: 1, NameChanged: 1,
		ClausesAdded: 2, ClausesRemoved: 1, ClausesChanged: 2}, d.Counts)
	assert.Empty(t, d.Layers)

	type row struct{ layer, id, change string }
	var got []row
	byID := map[string]FeatureChange{}
	for _, c := range d.Features {
		got = append(got, row{c.Layer, c.ID, c.Change})
		byID[c.ID] = c
	}
	assert.Equal(t, []row{
		{LayerDistricts, "500101", ChangeModified},
		{LayerControlUnits, "ZH50010110001", ChangeModified},
		{LayerControlUnits, "ZH50010120001", ChangeModified},
		{LayerControlUnits, "ZH50010130001", ChangeRemoved},
		{LayerControlUnits, "ZH50010130002", ChangeAdded},
		{LayerEcoRedline, "HX500000-0002", ChangeModified},
	}, got, "order: layers as in to, then id")

	t.Run("district: category only, geometry the same within tolerance", func(t *testing.T) {
		c := byID["500101"]
		assert.Equal(t, []string{FieldCategory}, c.Fields)
		assert.Equal(t, "县", c.Before.Category)
		assert.Equal(t, "区", c.After.Category)
		assert.Nil(t, c.AreaChangeM2, "no area change without a geometry change")
		assert.Contains(t, c.Summary, "类别 县 → 区")
	})

	t.Run("unit A reshaped: area change", func(t *testing.T) {
		c := byID["ZH50010110001"]
		assert.Equal(t, []string{FieldGeometry}, c.Fields)
		before := geo.Area(sq(106.50, 29.50, 106.55, 29.60))
		after := geo.Area(sq(106.50, 29.50, 106.56, 29.60))
		assert.InDelta(t, before, *c.Before.AreaM2, 0.01)
		assert.InDelta(t, after, *c.After.AreaM2, 0.01)
		assert.InDelta(t, after-before, *c.AreaChangeM2, 0.02)
		assert.InDelta(t, (after-before)/1e4, *c.AreaChangeHa, 0.006)
		// By hand: a strip 0.01° of longitude by 0.1° of latitude at
		// 29.55°N is about 111,320 m × cos(29.55°) × 0.01 ≈ 968.6 m wide
		// and 110,860 m × 0.1 ≈ 11,086 m tall: about 1,074 公顷.
		assert.InEpsilon(t, 968.6*11086, *c.AreaChangeM2, 0.005)
		assert.Contains(t, c.Summary, "边界调整")
		assert.Contains(t, c.Summary, "公顷")
		assert.Contains(t, c.Summary, "+1,07")
	})

	t.Run("unit B: reshaped and renamed", func(t *testing.T) {
		c := byID["ZH50010120001"]
		assert.Equal(t, []string{FieldGeometry, FieldName}, c.Fields)
		assert.Less(t, *c.AreaChangeM2, 0.0)
		assert.Contains(t, c.Summary, "−1,07")
		assert.Contains(t, c.Summary, "名称「万州区重点管控单元」→「万州区重点管控单元（经开区）」")
	})

	t.Run("added and removed units carry their areas", func(t *testing.T) {
		rm, add := byID["ZH50010130001"], byID["ZH50010130002"]
		assert.Nil(t, rm.After)
		assert.Nil(t, add.Before)
		assert.InDelta(t, -geo.Area(sq(106.60, 29.50, 106.62, 29.52)), *rm.AreaChangeM2, 0.02)
		assert.InDelta(t, geo.Area(sq(106.60, 29.52, 106.62, 29.54)), *add.AreaChangeM2, 0.02)
		assert.Contains(t, rm.Summary, "删除环境管控单元 ZH50010130001")
		assert.Contains(t, add.Summary, "新增环境管控单元 ZH50010130002")
	})

	t.Run("clauses", func(t *testing.T) {
		type crow struct{ id, change string }
		var got []crow
		byID := map[string]ClauseChange{}
		for _, c := range d.Clauses {
			got = append(got, crow{c.ID, c.Change})
			byID[c.ID] = c
		}
		assert.Equal(t, []crow{
			{"500101-1-01", ChangeAdded},
			{"ZH50010110001-1-01", ChangeModified},
			{"ZH50010120001-1-01", ChangeModified},
			{"ZH50010130001-1-01", ChangeRemoved},
			{"ZH50010130002-1-01", ChangeAdded},
		}, got, "order: level (city, district, zone, unit), scope, dimension, id; CQ-1-01 unchanged")
		a := byID["ZH50010110001-1-01"]
		assert.Equal(t, []string{"text"}, a.Fields)
		assert.Equal(t, "单元 万州区优先保护单元（ZH50010110001）", a.ScopeName)
		assert.Contains(t, a.Summary, "原文「禁止新建工业项目。」→「禁止新建、扩建工业项目。」")
		b := byID["ZH50010120001-1-01"]
		assert.Equal(t, []string{"effect"}, b.Fields)
		assert.Contains(t, b.Summary, "效力 限制 → 禁止")
		assert.Equal(t, "区县 万州区（500101）", byID["500101-1-01"].ScopeName)
		assert.Equal(t, "单元 万州区一般管控单元1（ZH50010130001）", byID["ZH50010130001-1-01"].ScopeName, "a removed unit is named from the older dataset")
	})

	t.Run("deterministic", func(t *testing.T) {
		a, _ := json.Marshal(d)
		for range 5 {
			b, _ := json.Marshal(Diff(from, to))
			require.JSONEq(t, string(a), string(b))
		}
	})

	t.Run("reverse", func(t *testing.T) {
		r := Diff(to, from)
		assert.Equal(t, DiffCounts{FeaturesAdded: 1, FeaturesRemoved: 1, GeometryChanged: 3, CategoryChanged: 1, NameChanged: 1,
			ClausesAdded: 1, ClausesRemoved: 2, ClausesChanged: 2}, r.Counts)
	})
}

func TestDiffIdentical(t *testing.T) {
	from, _ := diffFixture(t)
	d := Diff(from, from)
	assert.True(t, d.Identical())
	assert.NotNil(t, d.Features, "empty lists, not null, in JSON")
	assert.NotNil(t, d.Clauses)

	// The same content under another checksum is compared, and equal.
	again, err := NewDataset(Info{Name: "测试", Version: "v1b", CRS: "EPSG:4490", Checksum: "sha256:other"}, from.Layers(), Options{Rules: from.Rules()})
	require.NoError(t, err)
	assert.True(t, Diff(from, again).Identical())
}

func TestDiffLayers(t *testing.T) {
	from, err := NewDataset(testInfo, fixture(), Options{})
	require.NoError(t, err)
	layers := append([]Layer{}, fixture()[0])
	layers = append(layers, Layer{ID: LayerRivers, Title: "河流", Role: RoleReference, Kind: KindLine, Features: []Feature{
		{ID: "HL-CJ", Name: "长江", Category: "干流", Geometry: orb.LineString{{106.5, 29.5}, {106.6, 29.6}}},
	}})
	to, err := NewDataset(Info{Name: "测试", Version: "2", CRS: "EPSG:4490"}, layers, Options{})
	require.NoError(t, err)
	d := Diff(from, to)
	require.Len(t, d.Layers, 2)
	assert.Equal(t, LayerChange{ID: LayerRivers, Title: "河流", Change: ChangeAdded, Features: 1, Summary: "新增图层「河流」（rivers），1 个要素"}, d.Layers[0])
	assert.Equal(t, ChangeRemoved, d.Layers[1].Change)
	assert.Equal(t, LayerEcoRedline, d.Layers[1].ID)
	assert.Empty(t, d.Features)
}

func TestSameGeometry(t *testing.T) {
	const tol = DiffTolerance
	square := sq(0, 0, 1, 1)
	tests := []struct {
		name string
		a, b orb.Geometry
		want bool
	}{
		{"identical", square, sq(0, 0, 1, 1), true},
		{"other start vertex", square, orb.Polygon{{{1, 0}, {1, 1}, {0, 1}, {0, 0}, {1, 0}}}, true},
		{"reversed", square, orb.Polygon{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}}, true},
		{"noise below tolerance", square, orb.Polygon{{{0, 5e-7}, {1, 0}, {1, 1}, {0, 1}, {0, 5e-7}}}, true},
		{"repeated vertex", square, orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, true},
		{"moved beyond tolerance", square, orb.Polygon{{{0, 0}, {1, 0}, {1, 1.00001}, {0, 1}, {0, 0}}}, false},
		{"extra vertex", square, orb.Polygon{{{0, 0}, {0.5, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, false},
		{"polygon = multipolygon of it", square, orb.MultiPolygon{square}, true},
		{"parts in another order", orb.MultiPolygon{square, sq(2, 2, 3, 3)}, orb.MultiPolygon{sq(2, 2, 3, 3), square}, true},
		{"holes in another order", orb.Polygon{square[0], sq(0.1, 0.1, 0.2, 0.2)[0], sq(0.5, 0.5, 0.6, 0.6)[0]},
			orb.Polygon{square[0], sq(0.5, 0.5, 0.6, 0.6)[0], sq(0.1, 0.1, 0.2, 0.2)[0]}, true},
		{"hole added", square, orb.Polygon{square[0], sq(0.1, 0.1, 0.2, 0.2)[0]}, false},
		{"line reversed", orb.LineString{{0, 0}, {1, 1}, {2, 0}}, orb.LineString{{2, 0}, {1, 1}, {0, 0}}, true},
		{"line moved", orb.LineString{{0, 0}, {1, 1}}, orb.LineString{{0, 0}, {1, 1.1}}, false},
		{"points in another order", orb.MultiPoint{{0, 0}, {1, 1}}, orb.MultiPoint{{1, 1}, {0, 0}}, true},
		{"polygon vs line", square, orb.LineString(square[0]), false},
		{"nil", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, SameGeometry(tt.a, tt.b, tol), "got %v, want %v", !tt.want, tt.want)
			assert.Equal(t, tt.want, SameGeometry(tt.b, tt.a, tol), "symmetric")
		})
	}
}

func TestGroupDigits(t *testing.T) {
	assert.Equal(t, "1,074.31", diffGroupDigits(1074.3149, 2))
	assert.Equal(t, "0.00", diffGroupDigits(-0.001, 2))
	assert.Equal(t, "+0.00", diffSigned(-0.001, 2))
	assert.Equal(t, "−1,338,500.0", diffSigned(-1338500, 1))
	assert.Equal(t, "12.00 公顷", diffHectares(120000))
	assert.False(t, math.Signbit(diffRound2(0.001)))
}
