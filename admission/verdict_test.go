package admission

import (
	"context"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Verdict fixture, around 106.5–106.7 E, 29.5–29.6 N:
//
//	29.60 +---------+---------+-------------------+
//	      | U1 一般  | U2 园区  | U3 优先 (500102)   |
//	      | [W1][W2]|         |   +----+          |
//	      |         |         |   |红线 |          |
//	29.51 |=========|=========|===+====+==========|  长江 (y = 29.51)
//	29.50 +---------+---------+-------------------+
//	   106.50    106.55    106.60              106.70
//
// W1 is a 一级 water-source zone, W2 a 二级 zone; D1 = 500101 holds U1
// and U2, D2 = 500102 holds U3.
func verdictFixture(t testing.TB) *Dataset {
	t.Helper()
	layers := []Layer{
		{ID: LayerDistricts, Title: "区县", Role: RolePartition, Kind: KindPolygon, Features: []Feature{
			{ID: "500101", Name: "万州区", Category: "区", Geometry: sq(106.50, 29.50, 106.60, 29.60)},
			{ID: "500102", Name: "涪陵区", Category: "区", Geometry: sq(106.60, 29.50, 106.70, 29.60)},
		}},
		{ID: LayerControlUnits, Title: "环境管控单元", Role: RolePartition, Kind: KindPolygon, Features: []Feature{
			{ID: "ZH50010130001", Name: "万州区一般管控单元1", Category: CategoryGeneral, Geometry: sq(106.50, 29.50, 106.55, 29.60)},
			{ID: "ZH50010120001", Name: "万州经开区重点管控单元", Category: CategoryKey, Geometry: sq(106.55, 29.50, 106.60, 29.60)},
			{ID: "ZH50010210001", Name: "涪陵区优先保护单元1", Category: CategoryPriority, Geometry: sq(106.60, 29.50, 106.70, 29.60)},
		}},
		{ID: LayerEcoRedline, Title: "生态保护红线", Role: RoleSensitive, Kind: KindPolygon, Features: []Feature{
			{ID: "HX500000-0001", Name: "武陵山生态保护红线", Category: "生态保护红线", Geometry: sq(106.62, 29.52, 106.64, 29.54)},
		}},
		{ID: LayerWaterSources, Title: "饮用水水源保护区", Role: RoleSensitive, Kind: KindPolygon, Features: []Feature{
			{ID: "SYD-500101-01-1", Name: "万州区一级保护区", Category: "一级保护区", Geometry: sq(106.51, 29.58, 106.515, 29.585)},
			{ID: "SYD-500101-01-2", Name: "万州区二级保护区", Category: "二级保护区", Geometry: sq(106.52, 29.58, 106.53, 29.59)},
		}},
		{ID: LayerRivers, Title: "主要河流", Role: RoleReference, Kind: KindLine, Features: []Feature{
			{ID: "HL-CJ", Name: "长江", Category: "干流", Geometry: orb.LineString{{106.50, 29.51}, {106.70, 29.51}}},
		}},
	}
	rules := Rules{Clauses: []Clause{
		{ID: "CQ-1-01", Level: LevelCity, Dimension: "空间布局约束", Number: "1-1", Effect: EffectProhibit, Machine: true,
			Text:         "禁止在长江干支流岸线一公里范围内新建、扩建化工园区和化工项目。",
			Industries:   &IndustryFilter{Include: []string{"C25", "C26"}},
			Construction: []string{"新建", "扩建"},
			Spatial:      &SpatialCondition{Layer: LayerRivers, Attr: "name", Values: []string{"长江", "嘉陵江", "乌江"}, WithinM: 1000, Describe: "长江干流及主要支流岸线"}},
		{ID: "CQ-1-02", Level: LevelZone, Scope: Scope{Layer: LayerEcoRedline}, Dimension: "空间布局约束", Number: "1-2", Effect: EffectProhibit, Machine: true,
			Text:       "生态保护红线内，自然保护地核心保护区原则上禁止人为活动；其他区域严格禁止开发性、生产性建设活动。",
			Exceptions: []Exception{{Activities: []string{"linear_infrastructure", "patrol_monitoring"}, Note: "在符合法律法规的前提下，仅允许对生态功能不造成破坏的有限人为活动，须逐项论证"}}},
		{ID: "CQ-1-03", Level: LevelZone, Scope: Scope{Layer: LayerWaterSources, Category: "一级保护区"}, Dimension: "空间布局约束", Number: "1-3", Effect: EffectProhibit, Machine: true,
			Text: "饮用水水源一级保护区内禁止新建、改建、扩建与供水设施和保护水源无关的建设项目。"},
		{ID: "CQ-1-04", Level: LevelZone, Scope: Scope{Layer: LayerWaterSources, Category: "二级保护区"}, Dimension: "空间布局约束", Number: "1-4", Effect: EffectRestrict, Machine: true,
			Text: "饮用水水源二级保护区内禁止新建、改建、扩建排放污染物的建设项目。"},
		{ID: "CQ-2-01", Level: LevelCity, Dimension: "污染物排放管控", Number: "2-1", Effect: EffectRequire, Machine: true,
			Text: "新建、改建、扩建项目应当执行国家和地方污染物排放标准。"},
		{ID: "WZ-3-01", Level: LevelDistrict, Scope: Scope{County: "500101"}, Dimension: "环境风险防控", Number: "3-1", Effect: EffectRequire, Machine: false,
			Text: "加强三峡库区消落带环境风险防控。"},
		{ID: "ZH50010120001-1-1", Level: LevelUnit, Scope: Scope{Unit: "ZH50010120001"}, Dimension: "空间布局约束", Number: "1-1", Effect: EffectProhibit, Machine: true,
			Text: "园区禁止引入纺织印染、制革等项目。", Industries: &IndustryFilter{Include: []string{"C17", "C19"}}},
		{ID: "ZH50010210001-1-1", Level: LevelUnit, Scope: Scope{Unit: "ZH50010210001"}, Dimension: "空间布局约束", Number: "1-1", Effect: EffectProhibit, Machine: true,
			Text: "优先保护单元内禁止新建工业、矿产开发项目。", Industries: &IndustryFilter{Include: []string{"B", "C"}}},
	}}
	d, err := NewDataset(testInfo, layers, Options{Rules: rules})
	require.NoError(t, err)
	return d
}

// north returns the point m metres north of (lon, lat) near 29.5° N.
func north(lon, lat, m float64) orb.Point { return orb.Point{lon, lat + m/110_800} }

func assess(t *testing.T, d *Dataset, g orb.Geometry, p Project) *Assessment {
	t.Helper()
	res, err := d.Check(context.Background(), CheckRequest{Geometry: g, Project: p})
	require.NoError(t, err)
	require.NotNil(t, res.Assessment)
	return res.Assessment
}

func clause(a *Assessment, id string) *ClauseResult {
	for i := range a.Clauses {
		if a.Clauses[i].ID == id {
			return &a.Clauses[i]
		}
	}
	return nil
}

func TestVerdictMatrix(t *testing.T) {
	d := verdictFixture(t)
	chem := Project{Industry: "C2614", Construction: "新建"}
	dataCentre := Project{Industry: "I6450", Construction: "新建"}

	t.Run("chemical 600 m from the Yangtze is prohibited", func(t *testing.T) {
		a := assess(t, d, north(106.52, 29.51, 600), chem)
		assert.Equal(t, VerdictProhibited, a.Verdict)
		c := clause(a, "CQ-1-01")
		require.NotNil(t, c)
		assert.Equal(t, OutcomeTriggered, c.Outcome)
		assert.Equal(t, "C26", c.MatchedPrefix)
		require.Len(t, c.Places, 1)
		assert.InDelta(t, 600, *c.Places[0].DistanceM, 1)
		assert.Contains(t, c.Evidence, "项目距长江干流及主要支流岸线（长江）最近 600 m，小于 1000 m")
		assert.Contains(t, a.Reason, "CQ-1-01")
	})
	t.Run("chemical 1.5 km away: the 1 km clause does not apply", func(t *testing.T) {
		a := assess(t, d, north(106.52, 29.51, 1500), chem)
		assert.Nil(t, clause(a, "CQ-1-01"))
		assert.Equal(t, VerdictCompatible, a.Verdict)
	})
	t.Run("a technical upgrade 600 m away is not a new build", func(t *testing.T) {
		a := assess(t, d, north(106.52, 29.51, 600), Project{Industry: "C2614", Construction: "技术改造"})
		c := clause(a, "CQ-1-01")
		require.NotNil(t, c)
		assert.Equal(t, OutcomeNotApplicable, c.Outcome)
		assert.Equal(t, VerdictCompatible, a.Verdict)
	})
	t.Run("inside the red line is prohibited", func(t *testing.T) {
		a := assess(t, d, orb.Point{106.63, 29.53}, dataCentre)
		assert.Equal(t, VerdictProhibited, a.Verdict)
		c := clause(a, "CQ-1-02")
		require.NotNil(t, c)
		assert.Equal(t, OutcomeTriggered, c.Outcome)
		assert.Equal(t, "HX500000-0001", c.Places[0].ID)
	})
	t.Run("an allowed activity in the red line needs review", func(t *testing.T) {
		a := assess(t, d, orb.Point{106.63, 29.53}, Project{Industry: "N7810", Construction: "新建", Activity: "linear_infrastructure"})
		assert.Equal(t, VerdictReview, a.Verdict)
		assert.Equal(t, OutcomeNeedsReview, clause(a, "CQ-1-02").Outcome)
	})
	t.Run("a 一级 water-source zone is prohibited, 二级 restricted", func(t *testing.T) {
		a := assess(t, d, orb.Point{106.512, 29.582}, dataCentre)
		assert.Equal(t, VerdictProhibited, a.Verdict)
		assert.Equal(t, OutcomeTriggered, clause(a, "CQ-1-03").Outcome)
		a = assess(t, d, orb.Point{106.525, 29.585}, dataCentre)
		assert.Equal(t, VerdictRestricted, a.Verdict)
		assert.Equal(t, OutcomeTriggered, clause(a, "CQ-1-04").Outcome)
	})
	t.Run("a data centre in a general unit is compatible", func(t *testing.T) {
		a := assess(t, d, orb.Point{106.52, 29.55}, dataCentre)
		assert.Equal(t, VerdictCompatible, a.Verdict)
		// The free-text district obligation is listed for review but does
		// not decide.
		assert.Equal(t, OutcomeNeedsReview, clause(a, "WZ-3-01").Outcome)
		assert.Equal(t, OutcomeTriggered, clause(a, "CQ-2-01").Outcome)
	})
	t.Run("textiles in a park that excludes them are prohibited", func(t *testing.T) {
		a := assess(t, d, orb.Point{106.57, 29.55}, Project{Industry: "C1713", Construction: "新建"})
		assert.Equal(t, VerdictProhibited, a.Verdict)
		c := clause(a, "ZH50010120001-1-1")
		require.NotNil(t, c)
		assert.Equal(t, "C17", c.MatchedPrefix)
	})
	t.Run("a site straddling two units takes the strictest, with both shares", func(t *testing.T) {
		site := sq(106.545, 29.55, 106.555, 29.56)
		a := assess(t, d, site, Project{Industry: "C1713", Construction: "新建"})
		assert.Equal(t, VerdictProhibited, a.Verdict)
		require.Len(t, a.Units, 2)
		byID := map[string]UnitVerdict{}
		for _, u := range a.Units {
			byID[u.ID] = u
		}
		assert.Equal(t, VerdictCompatible, byID["ZH50010130001"].Verdict)
		assert.Equal(t, VerdictProhibited, byID["ZH50010120001"].Verdict)
		assert.Equal(t, []string{"ZH50010120001-1-1"}, byID["ZH50010120001"].Clauses)
		assert.InDelta(t, 0.5, *byID["ZH50010130001"].ShareOfSite, 1e-3)
		assert.InDelta(t, 0.5, *byID["ZH50010120001"].ShareOfSite, 1e-3)
	})
	t.Run("no industry is insufficient where clauses depend on it", func(t *testing.T) {
		a := assess(t, d, orb.Point{106.57, 29.55}, Project{})
		assert.Equal(t, VerdictInsufficient, a.Verdict)
		assert.Equal(t, []string{"industry"}, a.Missing)
		assert.Equal(t, OutcomeNeedsInfo, clause(a, "ZH50010120001-1-1").Outcome)
		assert.Contains(t, a.Reason, "行业代码")
	})
	t.Run("a chemical project near the river without construction type is insufficient", func(t *testing.T) {
		a := assess(t, d, north(106.52, 29.51, 600), Project{Industry: "C2614"})
		assert.Equal(t, VerdictInsufficient, a.Verdict)
		assert.Equal(t, []string{"construction"}, a.Missing)
	})
	t.Run("red line beats missing information", func(t *testing.T) {
		a := assess(t, d, orb.Point{106.63, 29.53}, Project{})
		assert.Equal(t, VerdictProhibited, a.Verdict)
	})
}

func TestClausesAreValidated(t *testing.T) {
	layers := fixture()
	bad := Rules{Clauses: []Clause{
		{ID: "a", Level: LevelUnit, Scope: Scope{Unit: "ZH50099910001"}, Dimension: "空间布局约束", Effect: EffectProhibit, Text: "x", Machine: true},
		{ID: "a", Level: "province", Dimension: "空气", Effect: "ban", Text: "", Machine: true,
			Industries: &IndustryFilter{Include: []string{"Z99"}}, Construction: []string{"翻新"},
			Spatial: &SpatialCondition{Layer: "nope", WithinM: 0}, Exceptions: []Exception{{Activities: []string{"fishing"}}}},
	}}
	_, err := NewDataset(testInfo, layers, Options{Rules: bad})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.GreaterOrEqual(t, len(ve.Problems), 10, "%v", ve)
}

func TestNoVerdictOutsideCoverage(t *testing.T) {
	d := verdictFixture(t)
	res, err := d.Check(context.Background(), CheckRequest{Geometry: orb.Point{107, 30}, Project: Project{Industry: "C2614"}})
	require.NoError(t, err)
	assert.Nil(t, res.Assessment)
	require.Len(t, res.Notes, 1)
	assert.Contains(t, res.Notes[0], "覆盖范围")
	// Half outside: a verdict for the covered half, and a note.
	res, err = d.Check(context.Background(), CheckRequest{Geometry: sq(106.49, 29.55, 106.51, 29.56), Project: Project{Industry: "I6450"}})
	require.NoError(t, err)
	require.NotNil(t, res.Assessment)
	require.NotEmpty(t, res.Notes)
	assert.Contains(t, res.Notes[len(res.Notes)-1], "覆盖范围外")
}
