package samplegen_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data/samplegen"
)

// openSample validates the generated layers together with their rules.
func openSample(t *testing.T, res *samplegen.Result) *admission.Dataset {
	t.Helper()
	d, err := admission.NewDataset(res.Info, res.Layers, admission.Options{Rules: res.Rules})
	require.NoError(t, err)
	return d
}

func TestRulesLoad(t *testing.T) {
	res := sample(t)
	openSample(t, res)
	t.Logf("%d clauses", len(res.Rules.Clauses))
}

func TestRuleCounts(t *testing.T) {
	res := sample(t)
	byLevel := map[string]int{}
	cityDims := map[string]int{}
	perDistrict := map[string]int{}
	structuredDistrict := map[string]int{}
	perUnit := map[string][]admission.Clause{}
	machine := 0
	idRe := regexp.MustCompile(`^(CQ|50\d{4}|ZH50\d{4}[123]\d{4})-([1-4])-(\d{2})$`)
	for _, c := range res.Rules.Clauses {
		byLevel[c.Level]++
		m := idRe.FindStringSubmatch(c.ID)
		require.NotNilf(t, m, "clause id %q", c.ID)
		di := slices.Index(admission.Dimensions, c.Dimension)
		require.Equal(t, fmt.Sprint(di+1), m[2], c.ID)
		var item int
		fmt.Sscan(strings.TrimLeft(m[3], "0"), &item)
		require.Equal(t, fmt.Sprintf("%d-%d", di+1, item), c.Number, c.ID)
		if c.Machine {
			machine++
		}
		switch c.Level {
		case admission.LevelCity, admission.LevelZone:
			require.Equal(t, "CQ", m[1], c.ID)
			cityDims[c.Dimension]++
		case admission.LevelDistrict:
			require.Equal(t, c.Scope.County, m[1], c.ID)
			perDistrict[c.Scope.County]++
			if c.Industries != nil && c.Machine {
				structuredDistrict[c.Scope.County]++
			}
		case admission.LevelUnit:
			require.Equal(t, c.Scope.Unit, m[1], c.ID)
			perUnit[c.Scope.Unit] = append(perUnit[c.Scope.Unit], c)
		}
	}
	t.Logf("clauses by level %v, %d machine-readable of %d", byLevel, machine, len(res.Rules.Clauses))
	require.GreaterOrEqual(t, byLevel[admission.LevelCity]+byLevel[admission.LevelZone], 20)
	for _, d := range admission.Dimensions {
		require.GreaterOrEqualf(t, cityDims[d], 3, "city clauses of %s", d)
	}
	// Some clauses are free text, as in real lists.
	require.Less(t, machine, len(res.Rules.Clauses))

	districts := layer(t, res, admission.LayerDistricts).Features
	require.Len(t, districts, 38)
	for _, f := range districts {
		require.GreaterOrEqualf(t, perDistrict[f.ID], 3, "district %s %s", f.ID, f.Name)
		require.GreaterOrEqualf(t, structuredDistrict[f.ID], 1, "district %s %s has no structured clause", f.ID, f.Name)
	}

	parks := 0
	for _, f := range layer(t, res, admission.LayerControlUnits).Features {
		cs := perUnit[f.ID]
		require.NotEmptyf(t, cs, "unit %s has no clause", f.ID)
		name, ok := f.Properties["park_name"].(string)
		if !ok {
			continue
		}
		parks++
		var encourage, exclude *admission.Clause
		for i := range cs {
			c := &cs[i]
			switch {
			case c.Effect == admission.EffectEncourage && c.Industries != nil && strings.Contains(c.Text, "主导产业"):
				encourage = c
			case c.Effect == admission.EffectProhibit && c.Industries != nil && strings.Contains(c.Text, "禁止引入"):
				exclude = c
			}
		}
		require.NotNilf(t, encourage, "park %s: no leading-industries clause", name)
		require.NotNilf(t, exclude, "park %s: no excluded-industries clause", name)
		require.True(t, encourage.Machine)
		require.True(t, exclude.Machine)
		for _, ind := range f.Properties["leading_industries"].([]string) {
			require.Containsf(t, encourage.Text, ind, "park %s", name)
		}
		require.NotEmpty(t, exclude.Industries.Include, name)
	}
	require.GreaterOrEqual(t, parks, 30)
}

// TestParkExclusionsAreConsistent checks that no district or unit clause
// prohibits, everywhere in the district or unit, an industry a park there
// leads in.
func TestParkExclusionsAreConsistent(t *testing.T) {
	res := sample(t)
	units := layer(t, res, admission.LayerControlUnits).Features
	leadingOf := map[string][]string{} // unit → leading prefixes
	county := map[string]string{}
	for _, c := range res.Rules.Clauses {
		if c.Level == admission.LevelUnit && c.Effect == admission.EffectEncourage && strings.Contains(c.Text, "主导产业") {
			leadingOf[c.Scope.Unit] = c.Industries.Include
		}
	}
	for _, f := range units {
		county[f.ID] = f.Properties["county_code"].(string)
	}
	covers := func(f *admission.IndustryFilter, code string) bool {
		for _, x := range f.Exclude {
			if strings.HasPrefix(code, x) {
				return false
			}
		}
		for _, p := range f.Include {
			if strings.HasPrefix(code, p) {
				return true
			}
		}
		return false
	}
	checked := 0
	for unit, leading := range leadingOf {
		for _, c := range res.Rules.Clauses {
			if c.Effect != admission.EffectProhibit || c.Industries == nil || c.Spatial != nil {
				continue
			}
			if !(c.Level == admission.LevelUnit && c.Scope.Unit == unit) && !(c.Level == admission.LevelDistrict && c.Scope.County == county[unit]) {
				continue
			}
			for _, l := range leading {
				require.Falsef(t, covers(c.Industries, l), "%s prohibits %s, a leading industry of %s", c.ID, l, unit)
				checked++
			}
		}
	}
	require.Greater(t, checked, 50)
}

func TestRuleSpotChecks(t *testing.T) {
	res := sample(t)
	byID := map[string]admission.Clause{}
	for _, c := range res.Rules.Clauses {
		byID[c.ID] = c
	}

	// The Yangtze 1 km rule.
	var km admission.Clause
	for _, c := range res.Rules.Clauses {
		if c.Level == admission.LevelCity && c.Spatial != nil && c.Spatial.WithinM == 1000 && c.Spatial.Layer == admission.LayerRivers {
			km = c
		}
	}
	require.NotEmpty(t, km.ID, "no 1 km shoreline rule")
	assert.Equal(t, "CQ-1-06", km.ID)
	assert.Equal(t, admission.EffectProhibit, km.Effect)
	assert.True(t, km.Machine)
	assert.Subset(t, km.Industries.Include, []string{"C25", "C26"})
	assert.Equal(t, []string{"新建", "扩建"}, km.Construction)
	assert.Equal(t, "name", km.Spatial.Attr)
	assert.Equal(t, []string{"长江", "嘉陵江", "乌江"}, km.Spatial.Values)
	assert.Equal(t, "长江干流及主要支流岸线", km.Spatial.Describe)

	// The red line: every development prohibited, the limited activities
	// let through for review.
	red := byID["CQ-1-01"]
	assert.Equal(t, admission.LevelZone, red.Level)
	assert.Equal(t, admission.Scope{Layer: admission.LayerEcoRedline}, red.Scope)
	assert.Equal(t, admission.EffectProhibit, red.Effect)
	assert.Nil(t, red.Industries)
	require.Len(t, red.Exceptions, 1)
	var keys []string
	for k := range admission.Activities {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	got := slices.Clone(red.Exceptions[0].Activities)
	slices.Sort(got)
	assert.Equal(t, keys, got)

	// Water sources by zone level.
	levels := map[string]string{}
	for _, c := range res.Rules.Clauses {
		if c.Level == admission.LevelZone && c.Scope.Layer == admission.LayerWaterSources {
			levels[c.Scope.Category] = c.Effect
			if c.Scope.Category == "准保护区" {
				assert.NotNil(t, c.Industries)
			}
		}
	}
	assert.Equal(t, map[string]string{"一级保护区": "prohibit", "二级保护区": "restrict", "准保护区": "restrict"}, levels)

	// Spatial conditions name features that exist.
	names := map[string]map[string]bool{}
	for _, l := range res.Layers {
		names[l.ID] = map[string]bool{}
		for _, f := range l.Features {
			names[l.ID][f.Name] = true
		}
	}
	for _, c := range res.Rules.Clauses {
		if s := c.Spatial; s != nil && s.Attr == "name" {
			require.NotEmpty(t, s.Values, c.ID)
			for _, v := range s.Values {
				require.Truef(t, names[s.Layer][v], "%s: no %s feature named %q", c.ID, s.Layer, v)
			}
		}
	}
}

// TestSampleVerdicts runs a few assessments on the sample.
func TestSampleVerdicts(t *testing.T) {
	res := sample(t)
	d := openSample(t, res)
	check := func(g orb.Geometry, p admission.Project) *admission.Assessment {
		t.Helper()
		r, err := d.Check(context.Background(), admission.CheckRequest{Geometry: g, Project: p})
		require.NoError(t, err)
		require.NotNil(t, r.Assessment)
		return r.Assessment
	}
	// A new chemical plant on the Yangtze is prohibited by the 1 km rule.
	var yangtze orb.LineString
	for _, f := range layer(t, res, admission.LayerRivers).Features {
		if f.Name == "长江" {
			yangtze = f.Geometry.(orb.LineString)
		}
	}
	a := check(yangtze[len(yangtze)/2], admission.Project{Industry: "C2614", Construction: "新建"})
	assert.Equal(t, admission.VerdictProhibited, a.Verdict)
	found := false
	for _, c := range a.Clauses {
		if c.ID == "CQ-1-06" {
			found = true
			assert.Equal(t, admission.OutcomeTriggered, c.Outcome)
			assert.Equal(t, "C26", c.MatchedPrefix)
		}
	}
	assert.True(t, found)

	// A data centre at 渝中's seat is not prohibited.
	a = check(orb.Point{106.569, 29.553}, admission.Project{Industry: "I6450", Construction: "新建"})
	assert.NotEqual(t, admission.VerdictProhibited, a.Verdict, a.Reason)
	assert.NotEmpty(t, a.Clauses)
}
