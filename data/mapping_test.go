package data

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

func TestDetectLayer(t *testing.T) {
	poly, line := admission.KindPolygon, admission.KindLine
	tests := []struct {
		name   string
		source string
		fields []string
		kind   admission.Kind
		rows   [][]any
		want   string // layer, or "?a,b" for candidates
	}{
		{"unit code", "a.shp", []string{"HJZHGKDYBM", "NAME"}, poly, nil, "control_units"},
		{"unit category only", "a.shp", []string{"OBJECTID", "zhgkdyfl"}, poly, nil, "control_units"},
		{"unit Chinese", "a.shp", []string{"单元编码", "单元名称"}, poly, nil, "control_units"},
		{"unit full-width", "a.shp", []string{"ＨＪＺＨＧＫＤＹＢＭ"}, poly, nil, "control_units"},
		{"unit but lines", "a.shp", []string{"HJZHGKDYBM"}, line, nil, "?control_units"},
		{"red line code", "a.shp", []string{"STHJYSGKFQBM", "STHJYSGKFQMC", "YSXL"}, poly, nil, "eco_redline"},
		{"red line file name", "生态保护红线.shp", []string{"BSM", "MC"}, poly, nil, "eco_redline"},
		{"water field word", "a.geojson", []string{"水源地名称", "级别"}, poly, nil, "water_sources"},
		{"reserve file name", "自然保护地2023.shp", []string{"MC"}, poly, nil, "nature_reserves"},
		{"reserve names", "layer1.shp", []string{"名称"}, poly, [][]any{{"缙云山国家级自然保护区"}, {"金佛山国家级自然保护区"}, {"某地块"}}, "nature_reserves"},
		{"names not a majority", "layer1.shp", []string{"名称"}, poly, [][]any{{"缙云山国家级自然保护区"}, {"甲"}, {"乙"}}, "?"},
		{"rivers by field", "a.shp", []string{"HLMC"}, line, nil, "rivers"},
		{"any lines", "a.shp", []string{"ID"}, line, nil, "rivers"},
		{"districts", "xzq.shp", []string{"XZQDM", "XZQMC"}, poly, [][]any{{"500101", "万州区"}, {500102, "涪陵区"}}, "districts"},
		{"12-digit codes", "xzq.shp", []string{"行政区划代码"}, poly, [][]any{{"500101000000"}}, "districts"},
		{"AREA in m²", "a.shp", []string{"AREA"}, poly, [][]any{{123456.7}}, "?"},
		{"province code", "a.shp", []string{"CODE"}, poly, [][]any{{"500000"}}, "?"},
		{"two element layers", "a.shp", []string{"STHJYSGKFQBM", "SYDBM"}, poly, nil, "?eco_redline,water_sources"},
		{"nothing", "a.shp", []string{"A", "B"}, poly, [][]any{{"x", 1}}, "?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DetectLayer(tt.source, tt.fields, tt.kind, tt.rows)
			got := d.Layer
			if got == "" {
				got = "?" + strings.Join(d.Candidates, ",")
			}
			assert.Equal(t, tt.want, got, d.Reason)
			assert.NotEmpty(t, d.Reason)
		})
	}
}

func TestCategories(t *testing.T) {
	for raw, want := range map[string]string{
		"1": admission.CategoryPriority, "1.0": admission.CategoryPriority, "１": admission.CategoryPriority,
		"优先保护单元": admission.CategoryPriority, "优先保护类": admission.CategoryPriority, "优先": admission.CategoryPriority,
		"2": admission.CategoryKey, "重点管控单元": admission.CategoryKey, "重点管控区": admission.CategoryKey,
		"3": admission.CategoryGeneral, "一般管控": admission.CategoryGeneral,
	} {
		got, ok := impUnitCategory(raw)
		assert.True(t, ok, raw)
		assert.Equal(t, want, got, raw)
	}
	for _, raw := range []string{"4", "", "城镇"} {
		got, ok := impUnitCategory(raw)
		assert.False(t, ok, raw)
		assert.Equal(t, raw, got)
	}
	for raw, want := range map[string]int{"一级": 1, "一级保护区": 1, "1": 1, "二级保护区": 2, "准保护区": 3, "3": 3} {
		_, level, ok := impWaterCategory(raw)
		assert.True(t, ok, raw)
		assert.Equal(t, want, level, raw)
	}
	assert.Equal(t, "自治县", impDistrictCategory("石柱土家族自治县"))
	assert.Equal(t, "区", impDistrictCategory("万州区"))
	assert.Equal(t, "500101", impCountyCode(500101))
	assert.Equal(t, "500101", impCountyCode(500101.0))
	assert.Equal(t, "500101", impCountyCode(" 500101000000 "))
	assert.Equal(t, "", impCountyCode("500100"))
	assert.Equal(t, "", impCountyCode("5001"))
}

func TestImportString(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {" a ", "a"}, {3, "3"}, {3.0, "3"}, {3.25, "3.25"}, {int64(500101), "500101"}, {true, "是"},
	} {
		assert.Equal(t, tt.want, importString(tt.v), "%#v", tt.v)
	}
}

func TestMappingMatch(t *testing.T) {
	m, err := ParseMapping("m.yaml", []byte(`
files:
  - {file: "units.zip/shp/单元.shp", layer: control_units}
  - {file: "区县*", layer: districts}
  - {file: "red.zip", layer: eco_redline}
`))
	require.NoError(t, err)
	for _, tt := range []struct {
		keys []string
		want string
	}{
		{[]string{"units.zip/shp/单元.shp", "units.zip", "shp/单元.shp", "单元.shp", "单元"}, "control_units"},
		{[]string{"UNITS.ZIP/shp/单元.SHP"}, "control_units"},
		{[]string{"区县2024.shp", "区县2024"}, "districts"},
		{[]string{"red.zip/a.shp", "red.zip", "a.shp", "a"}, "eco_redline"},
		{[]string{"other.shp"}, ""},
	} {
		got := ""
		if fm := m.match(tt.keys); fm != nil {
			got = fm.Layer
		}
		assert.Equal(t, tt.want, got, "%v", tt.keys)
	}
	var nilMapping *Mapping
	assert.Nil(t, nilMapping.match([]string{"a"}))
}

func TestMappingTemplateParses(t *testing.T) {
	tpl := MappingTemplate([]TemplateLayer{
		{Name: "a: b.shp", Fields: []string{"HJZHGKDYBM", "HJZHGKDYMC", "KJBJYS"}, Kind: admission.KindPolygon, Count: 3,
			Detection: Detection{Layer: admission.LayerControlUnits, Reason: "字段「HJZHGKDYBM」"}},
		{Name: "rivers.shp", Fields: []string{"HLMC"}, Kind: admission.KindLine, Count: 1,
			Detection: Detection{Layer: admission.LayerRivers, Reason: "字段「HLMC」"}},
	})
	m, err := ParseMapping("t.yaml", []byte(tpl))
	require.NoError(t, err, tpl)
	require.Len(t, m.Files, 2)
	assert.Equal(t, "a: b.shp", m.Files[0].File, "names with YAML syntax are quoted")
	assert.Equal(t, "HJZHGKDYBM", m.Files[0].ID)
	assert.Equal(t, Columns{"KJBJYS"}, m.Files[0].Clauses[admission.Dimensions[0]])
	assert.Equal(t, "", m.Files[0].Category, "no category column: left empty (taken from the code)")
	assert.Equal(t, "HLMC", m.Files[1].Name)
}

// FuzzParseMapping: any bytes as a YAML or JSON mapping file give a
// mapping or an error in Chinese, never a panic or a hang (YAML aliases
// included); an accepted mapping passes its own check again and matches
// input names (shell patterns included) without panicking.
func FuzzParseMapping(f *testing.F) {
	f.Add("m.yaml", []byte("files:\n  - file: a.shp\n    layer: control_units\n    clauses: {空间布局约束: [A, B]}\n"))
	f.Add("m.json", []byte(`{"dataset":{"crs":"EPSG:4545"},"files":[{"file":"*","layer":"skip"}]}`))
	f.Add("m.yml", []byte("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"))
	if b, err := os.ReadFile("testdata/import/mapping.yaml"); err == nil {
		f.Add("mapping.yaml", b)
	}
	f.Fuzz(func(t *testing.T, name string, b []byte) {
		defer fuzzkit.Guard(t)()
		m, err := ParseMapping(name, b)
		if err != nil {
			if !hasHan(err.Error()) {
				t.Fatalf("error %q is not Chinese", err)
			}
			return
		}
		if err := m.check(); err != nil {
			t.Fatalf("accepted mapping fails its check: %v", err)
		}
		for _, keys := range [][]string{{"a.shp"}, {"units.zip/shp/管控单元.shp", "units.zip", "shp/管控单元.shp", "管控单元.shp", "管控单元"}, {"[", "*", ""}} {
			m.match(keys)
		}
	})
}

// TestMappingExample keeps the documented example readable.
func TestMappingExample(t *testing.T) {
	b, err := os.ReadFile("testdata/import/mapping.yaml")
	require.NoError(t, err)
	m, err := ParseMapping("mapping.yaml", b)
	require.NoError(t, err)
	assert.Equal(t, "EPSG:4545", m.Dataset.CRS)
	require.Len(t, m.Files, 5)
	assert.Equal(t, Columns{"KJBJ1", "KJBJ2"}, m.Files[0].Clauses["空间布局约束"])
	assert.Equal(t, Columns{"ZYXL"}, m.Files[0].Clauses["资源利用效率"])
	assert.Equal(t, "eco_redline", m.match([]string{"万州区_生态保护红线.shp"}).Layer)
}
