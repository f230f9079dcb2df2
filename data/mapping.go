package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
	"golang.org/x/text/width"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
)

// Mapping tells Import how an agency's files become dataset layers: for
// each input (matched by file name), the layer id and which columns hold
// the feature id, name, category, the access-list clauses and the
// properties to keep. Inputs no entry matches are recognised from their
// columns (see DetectLayer). A mapping is read from YAML or JSON with
// ParseMapping; the format is described in docs/dataset.md.
type Mapping struct {
	// Dataset fills the manifest fields the command line leaves empty.
	Dataset MappingDataset `json:"dataset,omitzero" yaml:"dataset,omitempty"`
	// Files are tried in order; the first entry that matches an input
	// layer is used.
	Files []FileMapping `json:"files" yaml:"files"`
}

// MappingDataset holds manifest fields of a mapping file.
type MappingDataset struct {
	Name      string `json:"name,omitempty" yaml:"name,omitempty"`
	Version   string `json:"version,omitempty" yaml:"version,omitempty"`
	Published string `json:"published,omitempty" yaml:"published,omitempty"`
	Source    string `json:"source,omitempty" yaml:"source,omitempty"`
	Notice    string `json:"notice,omitempty" yaml:"notice,omitempty"`
	// CRS is the coordinate system of inputs that do not declare one (a
	// shapefile without a readable .prj, GeoJSON without "crs").
	CRS string `json:"crs,omitempty" yaml:"crs,omitempty"`
}

// FileMapping maps one input layer. Column names are matched ignoring
// case, surrounding spaces and full-width forms.
type FileMapping struct {
	// File matches an input layer by name: the input's file name
	// ("units.zip", "红线.geojson"), the path of a shapefile inside a zip
	// ("shp/管控单元.shp"), that shapefile's name with or without ".shp",
	// or "units.zip/shp/管控单元.shp". Shell patterns (*, ?, [...]) are
	// allowed. A zip's name matches every layer in it.
	File string `json:"file" yaml:"file"`
	// Layer is the layer id: districts, control_units, eco_redline,
	// nature_reserves, water_sources, rivers, another id (then Role and
	// Kind are required), or "skip" to leave the input out.
	Layer string `json:"layer" yaml:"layer"`
	// Title, Role and Kind default to those of the well-known layer ids.
	Title string         `json:"title,omitempty" yaml:"title,omitempty"`
	Role  admission.Role `json:"role,omitempty" yaml:"role,omitempty"`
	Kind  admission.Kind `json:"kind,omitempty" yaml:"kind,omitempty"`
	// Encoding overrides the text encoding of a shapefile's .dbf:
	// UTF-8, GBK, GB18030 (936, CP936, GB2312 mean GBK).
	Encoding string `json:"encoding,omitempty" yaml:"encoding,omitempty"`
	// CRS overrides the coordinate system of the input, .prj included.
	CRS string `json:"crs,omitempty" yaml:"crs,omitempty"`
	// ID, Name and Category name columns; empty means the standard
	// columns of the layer (see StandardColumns).
	ID       string `json:"id,omitempty" yaml:"id,omitempty"`
	Name     string `json:"name,omitempty" yaml:"name,omitempty"`
	Category string `json:"category,omitempty" yaml:"category,omitempty"`
	// IDPrefix builds ids for layers without an id column: the prefix
	// and a 4-digit serial ("HL-0001"). Default: per layer (HX-, ZRBHD-,
	// SYD-, HL-); districts and control units need an id column.
	IDPrefix string `json:"id_prefix,omitempty" yaml:"id_prefix,omitempty"`
	// FixedCategory gives every feature this category (e.g. 生态保护红线)
	// instead of reading a column; eco_redline defaults to 生态保护红线.
	FixedCategory string `json:"fixed_category,omitempty" yaml:"fixed_category,omitempty"`
	// Categories maps raw category values to the dataset's categories,
	// e.g. {"1": "优先保护单元"}; unlisted values go through the default
	// recognition.
	Categories map[string]string `json:"categories,omitempty" yaml:"categories,omitempty"`
	// Clauses maps an access-list dimension (空间布局约束, 污染物排放管控,
	// 环境风险防控, 资源利用效率; 资源开发效率要求 is taken for the last) to
	// the column or columns holding its clause text (several columns are
	// joined in order: long texts are often split over DBF columns).
	// Empty means the standard columns (KJBJYS, PWWPFGK, HJFXFK,
	// ZYKFXLYQ and their Chinese names). Only control_units features
	// carry clauses.
	Clauses map[string]Columns `json:"clauses,omitempty" yaml:"clauses,omitempty"`
	// Properties maps property names to columns. Absent: every column not
	// used above is kept under its own name; {} keeps none.
	Properties map[string]string `json:"properties,omitempty" yaml:"properties,omitempty"`
}

// Columns is one column name or a list of them; in YAML and JSON a single
// string is accepted for a one-element list.
type Columns []string

// UnmarshalJSON accepts a string or an array of strings.
func (c *Columns) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Columns{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return errors.New("应为列名或列名列表")
	}
	*c = l
	return nil
}

// UnmarshalYAML accepts a string or a sequence of strings.
func (c *Columns) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*c = Columns{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return fmt.Errorf("第 %d 行：应为列名或列名列表", n.Line)
	}
	*c = l
	return nil
}

// LayerSkip as a FileMapping.Layer leaves the input out of the dataset.
const LayerSkip = "skip"

// impLayerDefault is what a well-known layer id implies.
type impLayerDefault struct {
	Title    string
	Role     admission.Role
	Kind     admission.Kind
	IDPrefix string
}

var importLayerDefaults = map[string]impLayerDefault{
	admission.LayerDistricts:      {"区县", admission.RolePartition, admission.KindPolygon, ""},
	admission.LayerControlUnits:   {"环境管控单元", admission.RolePartition, admission.KindPolygon, ""},
	admission.LayerEcoRedline:     {"生态保护红线", admission.RoleSensitive, admission.KindPolygon, "HX-"},
	admission.LayerNatureReserves: {"自然保护地", admission.RoleSensitive, admission.KindPolygon, "ZRBHD-"},
	admission.LayerWaterSources:   {"饮用水水源保护区", admission.RoleSensitive, admission.KindPolygon, "SYD-"},
	admission.LayerRivers:         {"河流", admission.RoleReference, admission.KindLine, "HL-"},
}

// importLayerOrder is the order of well-known layers in a written
// dataset; other layers follow in the order they were met.
var importLayerOrder = []string{
	admission.LayerDistricts, admission.LayerControlUnits, admission.LayerEcoRedline,
	admission.LayerNatureReserves, admission.LayerWaterSources, admission.LayerRivers,
}

// importDimensionAliases maps the accepted names of the access-list
// dimensions to admission.Dimensions.
var importDimensionAliases = map[string]string{
	"空间布局约束": admission.Dimensions[0], "空间布局": admission.Dimensions[0],
	"污染物排放管控": admission.Dimensions[1], "污染物排放": admission.Dimensions[1],
	"环境风险防控": admission.Dimensions[2], "环境风险": admission.Dimensions[2],
	"资源利用效率": admission.Dimensions[3], "资源开发效率要求": admission.Dimensions[3],
	"资源利用效率要求": admission.Dimensions[3], "资源开发效率": admission.Dimensions[3],
}

// StandardColumns are the column names recognised without a mapping, per
// layer and role ("id", "name", "category"), most specific first; the
// clause columns are in StandardClauseColumns.
var StandardColumns = map[string]map[string][]string{
	admission.LayerControlUnits: {
		"id":       {"HJZHGKDYBM", "环境管控单元编码", "管控单元编码", "环境管控单元代码", "管控单元代码", "单元编码", "ZHGKDYBM", "GKDYBM", "DYBM"},
		"name":     {"HJZHGKDYMC", "环境管控单元名称", "管控单元名称", "单元名称", "ZHGKDYMC", "GKDYMC", "DYMC", "名称", "NAME", "MC"},
		"category": {"ZHGKDYFL", "环境管控单元类别", "CATEGORY", "管控单元类别", "环境管控单元分类", "管控单元分类", "单元类别", "单元分类", "管控类别", "GKDYFL", "DYFL", "GKLB"},
	},
	admission.LayerDistricts: {
		"category": {"CATEGORY"},
		"id":       {"XZQDM", "XZQHDM", "行政区代码", "行政区划代码", "区县代码", "区县编码", "县级代码", "QXDM", "PAC", "ADCODE", "AREA_CODE", "AREACODE", "AREA", "CODE", "代码"},
		"name":     {"XZQMC", "XZQHMC", "行政区名称", "行政区划名称", "区县名称", "区县", "QXMC", "NAME", "名称", "MC"},
	},
	admission.LayerEcoRedline: {
		"category": {"CATEGORY"},
		"id":       {"STHJYSGKFQBM", "生态保护红线编码", "红线编码", "STBHHXBM", "HXBM", "编码", "BM"},
		"name":     {"STHJYSGKFQMC", "生态保护红线名称", "红线名称", "STBHHXMC", "HXMC", "名称", "NAME", "MC"},
	},
	admission.LayerNatureReserves: {
		"id":       {"自然保护地编码", "保护地编码", "自然保护区编码", "ZRBHDBM", "BHDBM", "BHQBM", "编码", "BM"},
		"name":     {"自然保护地名称", "保护地名称", "自然保护区名称", "保护区名称", "ZRBHDMC", "BHDMC", "BHQMC", "名称", "NAME", "MC"},
		"category": {"保护地类型", "保护区级别", "保护地级别", "级别", "类型", "BHDLX", "BHDJB", "JB", "LX", "CATEGORY", "LEVEL"},
	},
	admission.LayerWaterSources: {
		"id":       {"水源保护区编码", "水源地编码", "保护区编码", "SYDBM", "SYBHQBM", "BHQBM", "编码", "BM"},
		"name":     {"水源保护区名称", "水源地名称", "保护区名称", "SYDMC", "SYBHQMC", "BHQMC", "名称", "NAME", "MC"},
		"category": {"保护区级别", "保护级别", "保护区类别", "级别", "类别", "BHQJB", "BHJB", "JB", "CATEGORY", "LEVEL"},
	},
	admission.LayerRivers: {
		"id":       {"河流编码", "河段编码", "HLBM", "HDBM", "编码", "BM"},
		"name":     {"河流名称", "河段名称", "HLMC", "HDMC", "LYMC", "名称", "NAME", "MC"},
		"category": {"河流等级", "等级", "HLDJ", "DJ", "CATEGORY"},
	},
}

// StandardClauseColumns are the clause columns of control units per
// dimension, in admission.Dimensions order.
var StandardClauseColumns = map[string][]string{
	admission.Dimensions[0]: {"KJBJYS", "空间布局约束", "空间布局"},
	admission.Dimensions[1]: {"PWWPFGK", "WRWPFGK", "污染物排放管控", "污染物排放", "污染排放", "排放管控"},
	admission.Dimensions[2]: {"HJFXFK", "环境风险防控", "环境风险", "风险防控"},
	admission.Dimensions[3]: {"ZYKFXLYQ", "ZYLYXL", "ZYLYXLYQ", "资源开发效率要求", "资源利用效率", "资源利用效率要求", "资源开发效率", "资源利用", "资源开发", "资源效率"},
}

// impNormColumn folds a column name for matching: trimmed, full-width forms
// narrowed, ASCII upper-cased.
func impNormColumn(s string) string {
	return strings.ToUpper(width.Narrow.String(strings.TrimSpace(s)))
}

// impFindColumn returns the index of the first of names among fields, or -1.
func impFindColumn(fields []string, names ...string) int {
	for _, n := range names {
		want := impNormColumn(n)
		for i, f := range fields {
			if impNormColumn(f) == want {
				return i
			}
		}
	}
	return -1
}

// ParseMapping reads a mapping file: YAML (.yaml, .yml) or JSON (.json),
// chosen by the extension of name. Unknown keys are errors. It checks
// layer ids, roles, kinds and dimension names; whether the columns exist
// is checked against each input when importing.
func ParseMapping(name string, content []byte) (*Mapping, error) {
	var m Mapping
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(content))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("映射文件 %s 无法解析：%v", name, err)
		}
	case ".json":
		dec := json.NewDecoder(bytes.NewReader(content))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("映射文件 %s 无法解析：%v", name, err)
		}
	default:
		return nil, fmt.Errorf("映射文件 %s 应为 .yaml、.yml 或 .json", name)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("映射文件 %s：%w", name, err)
	}
	return &m, nil
}

var impLayerIDRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// check validates the entries; clause dimension names are normalised.
func (m *Mapping) check() error {
	var errs []string
	if m.Dataset.CRS != "" {
		if _, err := crs.Parse(m.Dataset.CRS); err != nil {
			errs = append(errs, "dataset 的 crs："+strings.TrimPrefix(err.Error(), "crs: "))
		}
	}
	if m.Dataset.Published != "" {
		if _, err := time.Parse("2006-01-02", m.Dataset.Published); err != nil {
			errs = append(errs, fmt.Sprintf("dataset 的 published %q 不是 YYYY-MM-DD 格式的日期", m.Dataset.Published))
		}
	}
	for i := range m.Files {
		f := &m.Files[i]
		at := fmt.Sprintf("files[%d]", i)
		if strings.TrimSpace(f.File) == "" {
			errs = append(errs, at+" 缺少 file（输入文件名）")
		} else if _, err := path.Match(f.File, ""); err != nil {
			errs = append(errs, fmt.Sprintf("%s 的 file %q 不是有效的匹配模式", at, f.File))
		}
		if f.Layer == LayerSkip {
			continue
		}
		if _, ok := importLayerDefaults[f.Layer]; !ok {
			switch {
			case f.Layer == "":
				errs = append(errs, at+" 缺少 layer（图层 id："+strings.Join(importLayerOrder, "、")+" 或 skip）")
			case !impLayerIDRe.MatchString(f.Layer):
				errs = append(errs, fmt.Sprintf("%s 的 layer %q 应为小写字母、数字和下划线", at, f.Layer))
			case !f.Role.Valid() || (f.Kind != admission.KindPolygon && f.Kind != admission.KindLine && f.Kind != admission.KindPoint):
				errs = append(errs, fmt.Sprintf("%s 的 layer %q 不是内置图层（%s）：需同时给出 role（partition、sensitive、reference）和 kind（polygon、line、point）", at, f.Layer, strings.Join(importLayerOrder, "、")))
			}
		}
		if f.Role != "" && !f.Role.Valid() {
			errs = append(errs, fmt.Sprintf("%s 的 role %q 无效，应为 partition、sensitive 或 reference", at, f.Role))
		}
		if f.Kind != "" && f.Kind != admission.KindPolygon && f.Kind != admission.KindLine && f.Kind != admission.KindPoint {
			errs = append(errs, fmt.Sprintf("%s 的 kind %q 无效，应为 polygon、line 或 point", at, f.Kind))
		}
		if f.Encoding != "" {
			if _, _, err := importEncoding(f.Encoding); err != nil {
				errs = append(errs, fmt.Sprintf("%s 的 encoding %q 无法识别（可用 UTF-8、GBK、GB18030）", at, f.Encoding))
			}
		}
		if f.CRS != "" {
			if _, err := crs.Parse(f.CRS); err != nil {
				errs = append(errs, fmt.Sprintf("%s 的 crs：%s", at, strings.TrimPrefix(err.Error(), "crs: ")))
			}
		}
		for prop := range f.Properties {
			if prop == "name" || prop == "category" || strings.TrimSpace(prop) == "" {
				errs = append(errs, fmt.Sprintf("%s 的 properties 不能用 %q 作属性名（name、category 由 name、category 列给出）", at, prop))
			}
		}
		if f.Category != "" && f.FixedCategory != "" {
			errs = append(errs, at+" 的 category（列）与 fixed_category（固定值）只能给出一个")
		}
		if len(f.Clauses) > 0 {
			norm := make(map[string]Columns, len(f.Clauses))
			for dim, cols := range f.Clauses {
				d, ok := importDimensionAliases[strings.TrimSpace(dim)]
				switch {
				case !ok:
					errs = append(errs, fmt.Sprintf("%s 的 clauses 中维度 %q 无效，应为 %s 之一", at, dim, strings.Join(admission.Dimensions, "、")))
				case norm[d] != nil:
					errs = append(errs, fmt.Sprintf("%s 的 clauses 中维度 %s 出现了两次", at, d))
				case len(cols) == 0:
					errs = append(errs, fmt.Sprintf("%s 的 clauses 中维度 %s 没有列名", at, d))
				default:
					norm[d] = cols
				}
			}
			f.Clauses = norm
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "；"))
	}
	return nil
}

// match returns the first entry matching an input layer with the given
// names (see FileMapping.File), or nil.
func (m *Mapping) match(names []string) *FileMapping {
	if m == nil {
		return nil
	}
	for i := range m.Files {
		pat := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(m.Files[i].File), `\`, "/"))
		for _, n := range names {
			n = strings.ToLower(n)
			if ok, _ := path.Match(pat, n); ok || pat == n {
				return &m.Files[i]
			}
		}
	}
	return nil
}

// ---- layer detection ----

// Detection describes what DetectLayer found for an input layer.
type Detection struct {
	// Layer is the detected layer id, empty when unsure.
	Layer string
	// Reason says in Chinese why, e.g. "字段「HJZHGKDYBM」".
	Reason string
	// Candidates are the layers that fit equally well when unsure.
	Candidates []string
	// KindOnly is set when nothing but the geometry kind decided (lines
	// → rivers): enough for a file given on purpose, not for a table
	// found in a database.
	KindOnly bool
}

// strong field names: any of them decides the layer.
var importFieldHints = []struct {
	layer  string
	fields []string
}{
	{admission.LayerEcoRedline, []string{"STHJYSGKFQBM", "STHJYSGKFQMC", "生态保护红线编码", "生态保护红线名称", "红线编码", "红线名称", "STBHHXBM", "STBHHXMC", "HXBM", "HXMC"}},
	{admission.LayerWaterSources, []string{"SYDBM", "SYDMC", "SYBHQBM", "SYBHQMC"}},
	{admission.LayerNatureReserves, []string{"ZRBHDBM", "ZRBHDMC", "BHDBM", "BHDMC", "BHDLX"}},
	{admission.LayerRivers, []string{"HLBM", "HLMC", "HDBM", "HDMC", "河流名称", "河段名称", "河流编码"}},
}

// substrings of field names, file names and feature names.
var importNameHints = []struct {
	layer string
	words []string
}{
	{admission.LayerEcoRedline, []string{"生态保护红线", "红线"}},
	{admission.LayerWaterSources, []string{"水源"}},
	{admission.LayerNatureReserves, []string{"自然保护区", "自然保护地", "保护地", "自然公园", "森林公园", "湿地公园", "地质公园", "风景名胜区"}},
	{admission.LayerRivers, []string{"河流", "水系"}},
}

// unitFields decide control_units on their own.
var importUnitFields = []string{
	"HJZHGKDYBM", "HJZHGKDYMC", "ZHGKDYFL", "环境管控单元编码", "环境管控单元名称", "环境管控单元类别",
	"管控单元编码", "管控单元名称", "管控单元类别", "环境管控单元代码", "管控单元代码",
	// DBF field names hold at most 10 bytes: five Chinese characters in GBK.
	"单元编码", "单元名称", "单元类别", "单元分类", "管控类别",
}

var impCountyCodeRe = regexp.MustCompile(`^[1-8]\d{5}$`)

// impCountyCode reads a GB/T 2260 county code from a value: six digits, or
// twelve with six trailing zeros (统计用区划代码); "" otherwise.
func impCountyCode(v any) string {
	s := importString(v)
	if len(s) == 12 && strings.HasSuffix(s, "000000") {
		s = s[:6]
	}
	if impCountyCodeRe.MatchString(s) && !strings.HasSuffix(s, "00") {
		return s
	}
	return ""
}

// DetectLayer guesses the layer of an input from its field names, its
// file name, the values of its name column and its geometry kind, in
// this order of trust:
//
//  1. control-unit columns (HJZHGKDYBM, HJZHGKDYMC, ZHGKDYFL or their
//     Chinese names) → control_units; a file named after a layer id
//     (rivers.geojson, a layer of a sanxian dataset) → that layer;
//  2. the standard columns of one element layer (STHJYSGKFQBM → eco_redline,
//     SYDBM → water_sources, …), then words in the field names (水源,
//     保护地, …), then in the file name, then in most feature names;
//  3. lines → rivers; polygons with a county-code column holding 6-digit
//     codes → districts.
//
// The first step that names exactly one layer decides, provided the
// geometry kind fits; a step naming several layers, or none at all, leaves
// Layer empty.
func DetectLayer(source string, fields []string, kind admission.Kind, sample [][]any) Detection {
	if i := impFindColumn(fields, importUnitFields...); i >= 0 {
		return impFitKind(Detection{Layer: admission.LayerControlUnits, Reason: "字段「" + fields[i] + "」"}, kind)
	}
	// A layer file of a sanxian dataset, e.g. control_units.geojson.
	base := path.Base(strings.ReplaceAll(source, `\`, "/"))
	if stem := strings.ToLower(strings.TrimSuffix(base, path.Ext(base))); importLayerDefaults[stem] != (impLayerDefault{}) {
		return impFitKind(Detection{Layer: stem, Reason: "文件名「" + stem + "」"}, kind)
	}
	var tiers []map[string]string // layer → reason
	t := map[string]string{}
	for _, h := range importFieldHints {
		if i := impFindColumn(fields, h.fields...); i >= 0 {
			t[h.layer] = "字段「" + fields[i] + "」"
		}
	}
	tiers = append(tiers, t)
	words := func(texts []string, what string) map[string]string {
		t := map[string]string{}
		for _, h := range importNameHints {
			for _, s := range texts {
				for _, w := range h.words {
					if _, done := t[h.layer]; !done && strings.Contains(s, w) {
						t[h.layer] = fmt.Sprintf("%s「%s」含“%s”", what, s, w)
					}
				}
			}
		}
		return t
	}
	tiers = append(tiers, words(fields, "字段"))
	tiers = append(tiers, words([]string{source}, "文件名"))
	// Feature names: a layer word in more than half of them.
	if ni := impFindColumn(fields, "名称", "NAME", "MC"); ni >= 0 && len(sample) > 0 {
		counts := map[string]int{}
		for _, row := range sample {
			name := importString(row[ni])
			for _, h := range importNameHints {
				for _, w := range h.words {
					if strings.Contains(name, w) {
						counts[h.layer]++
						break
					}
				}
			}
		}
		t := map[string]string{}
		for l, n := range counts {
			if 2*n > len(sample) {
				t[l] = fmt.Sprintf("%d/%d 个要素名称含%s类词语", n, len(sample), importDefaultTitle(l))
			}
		}
		tiers = append(tiers, t)
	}
	for _, t := range tiers {
		switch len(t) {
		case 0:
			continue
		case 1:
			for l, why := range t {
				return impFitKind(Detection{Layer: l, Reason: why}, kind)
			}
		default:
			var c []string
			for _, l := range importLayerOrder {
				if _, ok := t[l]; ok {
					c = append(c, l)
				}
			}
			return Detection{Candidates: c, Reason: "可能是多个图层"}
		}
	}
	switch kind {
	case admission.KindLine:
		return Detection{Layer: admission.LayerRivers, Reason: "线要素", KindOnly: true}
	case admission.KindPolygon:
		for _, name := range StandardColumns[admission.LayerDistricts]["id"] {
			i := impFindColumn(fields, name)
			if i < 0 {
				continue
			}
			n := 0
			for _, row := range sample {
				if impCountyCode(row[i]) != "" {
					n++
				}
			}
			if n > 0 && n == len(sample) {
				return Detection{Layer: admission.LayerDistricts, Reason: "字段「" + fields[i] + "」为 6 位区县代码"}
			}
		}
	}
	return Detection{Reason: "没有可识别的字段"}
}

func impFitKind(d Detection, kind admission.Kind) Detection {
	want := importLayerDefaults[d.Layer].Kind
	if kind != "" && want != kind {
		return Detection{Candidates: []string{d.Layer}, Reason: fmt.Sprintf("%s，但几何为%s而该图层应为%s", d.Reason, impKindName(kind), impKindName(want))}
	}
	return d
}

func impKindName(k admission.Kind) string {
	switch k {
	case admission.KindPolygon:
		return "面"
	case admission.KindLine:
		return "线"
	case admission.KindPoint:
		return "点"
	}
	return "未知"
}

func importDefaultTitle(layer string) string {
	if d, ok := importLayerDefaults[layer]; ok {
		return d.Title
	}
	return layer
}

// ---- mapping template ----

// TemplateLayer is one input layer of a mapping template.
type TemplateLayer struct {
	// Name is the input layer's name (FileMapping.File).
	Name   string
	Fields []string
	Kind   admission.Kind
	Count  int
	// Detection is what DetectLayer found.
	Detection Detection
}

// MappingTemplate writes a commented YAML mapping for the given input
// layers: the detected layer and the standard columns found are filled
// in; what could not be detected is left for people to fill, with the
// fields of the input listed.
func MappingTemplate(layers []TemplateLayer) string {
	var b strings.Builder
	b.WriteString("# sanxian import 映射文件（YAML）。用法：sanxian import --mapping 本文件 --out 目录 输入…\n")
	b.WriteString("# 图层 id：" + strings.Join(importLayerOrder, "、") + "；不导入的输入写 layer: skip。\n")
	b.WriteString("# 维度：" + strings.Join(admission.Dimensions, "、") + "（资源开发效率要求 视同 资源利用效率）。\n")
	b.WriteString("dataset:\n  name: \"\"        # 数据集名称，如 重庆市生态环境分区管控\n  version: \"\"     # 版本号，如 2024.1\n  published: \"\"   # 发布日期 YYYY-MM-DD\n  source: \"\"      # 来源，如 重庆市生态环境局\n  # crs: EPSG:4545 # 没有 .prj 的输入所用坐标系\n")
	b.WriteString("files:\n")
	for _, l := range layers {
		fmt.Fprintf(&b, "  - file: %s\n", impYAMLString(l.Name))
		fmt.Fprintf(&b, "    # 字段：%s；几何：%s；%d 个要素\n", strings.Join(l.Fields, "、"), impKindName(l.Kind), l.Count)
		layer := l.Detection.Layer
		if layer == "" {
			cands := l.Detection.Candidates
			if len(cands) == 0 {
				cands = importLayerOrder
			}
			fmt.Fprintf(&b, "    layer: \"\"   # 未能识别（%s）：请填写 %s 之一，或 skip\n", l.Detection.Reason, strings.Join(cands, "、"))
			fmt.Fprintf(&b, "    id: \"\"      # 要素编码所在列\n    name: \"\"    # 名称所在列\n    # category: \"\" # 类别所在列\n")
			continue
		}
		fmt.Fprintf(&b, "    layer: %s   # %s（%s）\n", layer, importDefaultTitle(layer), l.Detection.Reason)
		for _, role := range []string{"id", "name", "category"} {
			if i := impFindColumn(l.Fields, StandardColumns[layer][role]...); i >= 0 {
				fmt.Fprintf(&b, "    %s: %s\n", role, impYAMLString(l.Fields[i]))
			} else if role != "category" || layer == admission.LayerControlUnits {
				fmt.Fprintf(&b, "    %s: \"\"   # 未找到标准列，请填写\n", role)
			}
		}
		if layer == admission.LayerControlUnits {
			b.WriteString("    clauses:\n")
			for _, d := range admission.Dimensions {
				if i := impFindColumn(l.Fields, StandardClauseColumns[d]...); i >= 0 {
					fmt.Fprintf(&b, "      %s: %s\n", d, impYAMLString(l.Fields[i]))
				} else {
					fmt.Fprintf(&b, "      # %s: 列名\n", d)
				}
			}
		}
		b.WriteString("    # properties: {county_name: AREA}   # 保留的属性（省略则保留其余全部列）\n")
	}
	return b.String()
}

// impYAMLString quotes s when YAML would not read it back as the same
// string.
func impYAMLString(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// importString renders an attribute value as text: integers without a
// decimal point, floats in shortest form, strings trimmed.
func importString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "是"
		}
		return "否"
	case json.Number:
		return x.String()
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

// ---- categories ----

// impUnitCategory recognises a control-unit category: the code digit 1/2/3
// (also "1.0"), or 优先保护/重点管控/一般管控 with or without 单元/类/区.
func impUnitCategory(raw string) (string, bool) {
	s := strings.TrimSpace(width.Narrow.String(raw))
	switch s {
	case "1", "1.0", "01":
		return admission.CategoryPriority, true
	case "2", "2.0", "02":
		return admission.CategoryKey, true
	case "3", "3.0", "03":
		return admission.CategoryGeneral, true
	}
	for _, c := range []struct{ word, cat string }{
		{"优先保护", admission.CategoryPriority}, {"重点管控", admission.CategoryKey}, {"一般管控", admission.CategoryGeneral},
	} {
		if strings.HasPrefix(s, c.word) {
			return c.cat, true
		}
	}
	switch s {
	case "优先", "优先类":
		return admission.CategoryPriority, true
	case "重点", "重点类":
		return admission.CategoryKey, true
	case "一般", "一般类":
		return admission.CategoryGeneral, true
	}
	return s, false
}

// impWaterCategory recognises a water-source zone level: 一级/二级/准 (with
// or without 保护区) and 1/2/3; it returns the category and the level.
func impWaterCategory(raw string) (string, int, bool) {
	s := strings.TrimSpace(width.Narrow.String(raw))
	switch {
	case s == "1" || strings.HasPrefix(s, "一级"):
		return "一级保护区", 1, true
	case s == "2" || strings.HasPrefix(s, "二级"):
		return "二级保护区", 2, true
	case s == "3" || strings.HasPrefix(s, "准"):
		return "准保护区", 3, true
	}
	return s, 0, false
}

// impDistrictCategory derives 区 / 县 / 自治县 / 市 from a county's name.
func impDistrictCategory(name string) string {
	for _, suf := range []string{"自治县", "自治旗", "县", "区", "市", "旗"} {
		if strings.HasSuffix(name, suf) {
			return suf
		}
	}
	return ""
}

// impSortedKeys returns the keys of m in order.
func impSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
