package admission

import (
	"context"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/geo"
)

func sq(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

var testInfo = Info{Name: "测试", Version: "1", CRS: "EPSG:4490"}

// Two units of 渝中区 sharing the edge x = 106.56, and a red-line patch:
//
//	29.57 +--------+--------+
//	      | 优先1  | 重点1  |   red line: 106.555–106.558 × 29.555–29.558
//	29.55 +--------+--------+
//	    106.55  106.56   106.57
func fixture() []Layer {
	return []Layer{
		{ID: LayerControlUnits, Title: "环境管控单元", Role: RolePartition, Kind: KindPolygon, Features: []Feature{
			{ID: "ZH50010310001", Name: "渝中区优先保护单元1", Category: CategoryPriority, Geometry: sq(106.55, 29.55, 106.56, 29.57)},
			{ID: "ZH50010320001", Name: "渝中区重点管控单元1", Category: CategoryKey, Geometry: sq(106.56, 29.55, 106.57, 29.57)},
		}},
		{ID: LayerEcoRedline, Title: "生态保护红线", Role: RoleSensitive, Kind: KindPolygon, Features: []Feature{
			{ID: "HX500000-0001", Name: "缙云山", Category: "生态保护红线", Geometry: sq(106.555, 29.555, 106.558, 29.558)},
		}},
	}
}

func TestCheckPointOnSharedEdgeBelongsToBoth(t *testing.T) {
	d, err := NewDataset(testInfo, fixture(), Options{})
	require.NoError(t, err)
	res, err := d.Check(context.Background(), CheckRequest{Geometry: orb.Point{106.56, 29.56}})
	require.NoError(t, err)
	require.Len(t, res.Hits, 2)
	for _, h := range res.Hits {
		assert.Equal(t, geo.Touches, h.Relation)
		assert.True(t, h.OnBoundary)
		assert.Equal(t, "环境管控单元", h.LayerTitle)
		assert.Contains(t, []string{"ZH50010310001", "ZH50010320001"}, h.ID)
	}
	require.Len(t, res.Notes, 1)
	assert.Contains(t, res.Notes[0], "共有边界")
	assert.Contains(t, res.Notes[0], "ZH50010310001")
	assert.Equal(t, "测试", res.Dataset.Name)
}

func TestCheckReportsNothingFoundAsEmptyHits(t *testing.T) {
	d, err := NewDataset(testInfo, fixture(), Options{})
	require.NoError(t, err)
	res, err := d.Check(context.Background(), CheckRequest{Geometry: orb.Point{100, 20}})
	require.NoError(t, err)
	assert.NotNil(t, res.Hits)
	assert.Empty(t, res.Hits)
	assert.NotNil(t, res.Notes)
}

func TestCheckPolygonInRedLine(t *testing.T) {
	d, err := NewDataset(testInfo, fixture(), Options{})
	require.NoError(t, err)
	site := sq(106.556, 29.556, 106.557, 29.557)
	res, err := d.Check(context.Background(), CheckRequest{Geometry: site, Layers: []string{LayerEcoRedline}})
	require.NoError(t, err)
	require.Len(t, res.Hits, 1)
	assert.Equal(t, geo.Within, res.Hits[0].Relation)
	assert.InDelta(t, geo.Area(site), *res.Hits[0].OverlapAreaM2, 0.01)
	f, area, ok := d.Feature(LayerEcoRedline, "HX500000-0001")
	require.True(t, ok)
	assert.Equal(t, "缙云山", f.Name)
	assert.InDelta(t, geo.Area(f.Geometry), area, 1e-3)

	_, err = d.Check(context.Background(), CheckRequest{Geometry: site, Layers: []string{"nope"}})
	var ul *UnknownLayerError
	require.ErrorAs(t, err, &ul)
	assert.Equal(t, []string{"nope"}, ul.Layers)
}

func TestValidateFindsEveryProblem(t *testing.T) {
	layers := fixture()
	units := layers[0].Features
	units = append(units,
		Feature{ID: "ZH5001032001", Name: "短码", Category: CategoryKey, Geometry: sq(106.57, 29.55, 106.58, 29.57)},
		Feature{ID: "ZH50010330002", Name: "类别不符", Category: CategoryKey, Geometry: sq(106.58, 29.55, 106.59, 29.57)},
		Feature{ID: "ZH50010310001", Name: "重复", Category: CategoryPriority, Geometry: sq(106.59, 29.55, 106.6, 29.57)},
		Feature{ID: "ZH50010320009", Name: "自相交", Category: CategoryKey, Geometry: orb.Polygon{{{106.6, 29.55}, {106.61, 29.57}, {106.61, 29.55}, {106.6, 29.57}, {106.6, 29.55}}}},
		Feature{ID: "ZH50010320010", Name: "未闭合", Category: CategoryKey, Geometry: orb.Polygon{{{106.6, 29.55}, {106.61, 29.55}, {106.61, 29.57}, {106.6, 29.57}}}},
		Feature{ID: "ZH50010320011", Name: "越界", Category: CategoryKey, Geometry: sq(29.55, 106.6, 29.57, 106.61)},
		Feature{ID: "ZH50010320012", Name: "线", Category: CategoryKey, Geometry: orb.LineString{{106, 29}, {106.1, 29}}},
	)
	layers[0].Features = units
	_, err := NewDataset(Info{Name: "x", Version: "1", CRS: "EPSG:4326"}, layers, Options{})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	codes := map[string]string{}
	for _, p := range ve.Problems {
		codes[p.Feature+"|"+p.Code] = p.Message
	}
	for _, want := range []string{
		"|" + CodeManifest,
		"ZH5001032001|" + CodeUnitCode,
		"ZH50010330002|" + CodeUnitCategory,
		"ZH50010310001|" + CodeDuplicateID,
		"ZH50010320009|" + geo.CodeSelfIntersect,
		"ZH50010320010|" + geo.CodeUnclosedRing,
		"ZH50010320011|" + geo.CodeOutOfRange,
		"ZH50010320012|" + CodeKindMismatch,
	} {
		assert.Contains(t, codes, want)
	}
	assert.Len(t, ve.Problems, 8, "%v", ve)
	for _, p := range ve.Problems {
		if p.Code == geo.CodeSelfIntersect {
			require.NotNil(t, p.Location)
			assert.InDelta(t, 106.605, p.Location[0], 0.006)
		}
	}
	assert.True(t, strings.HasPrefix(err.Error(), "数据集校验未通过，共 8 个问题"))
}

func TestStoreReplaceIsAtomic(t *testing.T) {
	var s Store
	assert.Nil(t, s.Current())
	d, err := NewDataset(testInfo, fixture(), Options{})
	require.NoError(t, err)
	assert.Nil(t, s.Replace(d))
	assert.Same(t, d, s.Current())
}
