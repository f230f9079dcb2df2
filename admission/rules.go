package admission

import (
	"fmt"
	"sort"
	"strings"
)

// Clause levels: who issued the clause and where it applies.
const (
	LevelCity     = "city"     // 全市总体：the whole territory
	LevelDistrict = "district" // 区县：one county-level division
	LevelUnit     = "unit"     // 单元：one environmental control unit
	LevelZone     = "zone"     // 要素分区：features of a layer (e.g. water-source 一级保护区)
)

// Clause effects, from the strictest.
const (
	EffectProhibit  = "prohibit"  // 禁止、严禁、不得
	EffectRestrict  = "restrict"  // 严格控制、限制
	EffectRequire   = "require"   // 应当、须
	EffectEncourage = "encourage" // 鼓励、引导
	EffectInfo      = "info"      // 说明
)

// Construction types (建设性质) a clause may be limited to.
var ConstructionTypes = []string{"新建", "改建", "扩建", "迁建", "技术改造"}

// Activities are the limited human activities a red-line clause may
// allow (2022 national notice); a project declares at most one.
var Activities = map[string]string{
	"patrol_monitoring":      "管护巡护、保护执法、科学研究、调查监测、测绘导航、防灾减灾救灾、军事国防、疫情防控等活动及相关必要设施",
	"existing_livelihood":    "原住居民和其他合法权益主体在不扩大现有建设用地、用海用岛、耕地、水产养殖规模和放牧强度的前提下的生产生活",
	"linear_infrastructure":  "必须且无法避让、符合县级以上国土空间规划的线性基础设施、通讯和防洪、供水设施建设和船舶航行、航道疏浚清淤",
	"ecological_restoration": "依法批准的生态修复、文物保护、地质勘查等活动",
	"tourism_infrastructure": "不破坏生态功能的适度参观旅游、科普宣教及相关必要的公共设施建设",
}

// Scope says where a clause applies. Exactly the fields of its level
// are set: none for city, County for district, Unit for unit, Layer (and
// optionally Category) for zone.
type Scope struct {
	County   string `json:"county,omitempty"`
	Unit     string `json:"unit,omitempty"`
	Layer    string `json:"layer,omitempty"`
	Category string `json:"category,omitempty"`
}

// IndustryFilter lists the industries a clause concerns as GB/T
// 4754-2017 code prefixes (a section letter "C", a division "C26", a
// group "C261" or a class "C2614"), minus exclusions. An empty Include
// with a nil filter means every industry.
type IndustryFilter struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude,omitempty"`
}

// SpatialCondition limits a clause to sites within WithinM metres of the
// features of Layer whose attribute Attr takes one of Values (all
// features when Attr is empty); e.g. within 1,000 m of the shoreline of
// the Yangtze main stream and main tributaries.
type SpatialCondition struct {
	Layer   string   `json:"layer"`
	Attr    string   `json:"attr,omitempty"` // "name", "category", "id" or a property key
	Values  []string `json:"values,omitempty"`
	WithinM float64  `json:"within_m"`
	// Describe is the Chinese phrase for the features, e.g. "长江干流及主要支流".
	Describe string `json:"describe"`
}

// Exception lets declared activities through a clause: the clause then
// needs case review instead of deciding.
type Exception struct {
	Activities []string `json:"activities"`
	Note       string   `json:"note"`
}

// Clause is one item of an access list (生态环境准入清单).
type Clause struct {
	ID        string `json:"id"`
	Level     string `json:"level"`
	Scope     Scope  `json:"scope"`
	Dimension string `json:"dimension"`
	// Number is the published numbering within the dimension, e.g. "1-3".
	Number string `json:"number,omitempty"`
	// Text is the clause as published, in Chinese.
	Text         string            `json:"text"`
	Effect       string            `json:"effect"`
	Industries   *IndustryFilter   `json:"industries,omitempty"`
	Construction []string          `json:"construction,omitempty"`
	Spatial      *SpatialCondition `json:"spatial,omitempty"`
	Exceptions   []Exception       `json:"exceptions,omitempty"`
	// Machine is false for free-text clauses that no rule can judge: they
	// are reported as needing manual review, never silently passed.
	Machine bool `json:"machine"`
}

// Rules is the content of a dataset's rules file.
type Rules struct {
	Clauses []Clause `json:"clauses"`
}

// validateClauses checks clause ids, levels, scopes against the
// dataset's layers and features, dimensions, effects, industry prefixes,
// construction types, spatial layers and exception activities.
func validateClauses(rules Rules, layers []Layer, ind *Industries) []Problem {
	var probs []Problem
	add := func(c Clause, msg string) {
		probs = append(probs, Problem{Layer: "rules", Feature: c.ID, Code: "invalid_clause", Message: msg})
	}
	features := map[string]map[string]bool{}
	for _, l := range layers {
		ids := make(map[string]bool, len(l.Features))
		for _, f := range l.Features {
			ids[f.ID] = true
		}
		features[l.ID] = ids
	}
	dims := map[string]bool{}
	for _, d := range Dimensions {
		dims[d] = true
	}
	seen := map[string]bool{}
	for _, c := range rules.Clauses {
		switch {
		case c.ID == "":
			add(c, "条款缺少 id")
		case seen[c.ID]:
			add(c, "条款 id 重复")
		}
		seen[c.ID] = true
		switch c.Level {
		case LevelCity:
			if c.Scope != (Scope{}) {
				add(c, "全市条款不应有 scope")
			}
		case LevelDistrict:
			if !features[LayerDistricts][c.Scope.County] {
				add(c, fmt.Sprintf("区县条款的 scope.county=%q 不是区县图层中的要素", c.Scope.County))
			}
		case LevelUnit:
			if !features[LayerControlUnits][c.Scope.Unit] {
				add(c, fmt.Sprintf("单元条款的 scope.unit=%q 不是管控单元图层中的要素", c.Scope.Unit))
			}
		case LevelZone:
			if _, ok := features[c.Scope.Layer]; !ok {
				add(c, fmt.Sprintf("要素分区条款的 scope.layer=%q 不存在", c.Scope.Layer))
			}
		default:
			add(c, fmt.Sprintf("level=%q 无效，应为 city、district、unit 或 zone", c.Level))
		}
		if !dims[c.Dimension] {
			add(c, fmt.Sprintf("dimension=%q 无效，应为 %s 之一", c.Dimension, strings.Join(Dimensions, "、")))
		}
		switch c.Effect {
		case EffectProhibit, EffectRestrict, EffectRequire, EffectEncourage, EffectInfo:
		default:
			add(c, fmt.Sprintf("effect=%q 无效，应为 prohibit、restrict、require、encourage 或 info", c.Effect))
		}
		if strings.TrimSpace(c.Text) == "" {
			add(c, "条款缺少原文 text")
		}
		if c.Industries != nil {
			for _, p := range append(append([]string{}, c.Industries.Include...), c.Industries.Exclude...) {
				code, err := NormalizeIndustryCode(p)
				if err == nil {
					if _, ok := ind.Lookup(code); !ok {
						err = fmt.Errorf("标准中没有 %s", code)
					}
				}
				if err != nil {
					add(c, fmt.Sprintf("行业代码前缀 %q 无效：%v", p, err))
				}
			}
		}
		for _, ct := range c.Construction {
			if !containsString(ConstructionTypes, ct) {
				add(c, fmt.Sprintf("建设性质 %q 无效，应为 %s 之一", ct, strings.Join(ConstructionTypes, "、")))
			}
		}
		if s := c.Spatial; s != nil {
			if _, ok := features[s.Layer]; !ok {
				add(c, fmt.Sprintf("空间条件的图层 %q 不存在", s.Layer))
			}
			if !(s.WithinM > 0) {
				add(c, "空间条件的 within_m 应为正数（米）")
			}
		}
		for _, e := range c.Exceptions {
			for _, a := range e.Activities {
				if _, ok := Activities[a]; !ok {
					add(c, fmt.Sprintf("例外活动 %q 无效", a))
				}
			}
		}
	}
	return probs
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ClausesFor returns, in rules order, the clauses scoped to feature f of
// layer: a unit's own clauses, a district's, or the element-zone clauses
// of the layer (and of f's category when the clause names one). City-wide
// clauses are not included; nil when there are none.
func (d *Dataset) ClausesFor(layer string, f *Feature) []Clause {
	var out []Clause
	for _, c := range d.rules.Clauses {
		switch {
		case c.Level == LevelUnit && layer == LayerControlUnits && c.Scope.Unit == f.ID,
			c.Level == LevelDistrict && layer == LayerDistricts && c.Scope.County == f.ID,
			c.Level == LevelZone && c.Scope.Layer == layer && (c.Scope.Category == "" || c.Scope.Category == f.Category):
			out = append(out, c)
		}
	}
	return out
}

// clauseIndex finds the clauses that may apply at a site without scanning
// the whole access list: by level and scope, as indexes into the rules in
// their order.
type clauseIndex struct {
	city     []int
	district map[string][]int // county code →
	unit     map[string][]int // unit code →
	zone     map[string][]int // layer →
}

func newClauseIndex(r Rules) clauseIndex {
	x := clauseIndex{district: map[string][]int{}, unit: map[string][]int{}, zone: map[string][]int{}}
	for i, c := range r.Clauses {
		switch c.Level {
		case LevelCity:
			x.city = append(x.city, i)
		case LevelDistrict:
			x.district[c.Scope.County] = append(x.district[c.Scope.County], i)
		case LevelUnit:
			x.unit[c.Scope.Unit] = append(x.unit[c.Scope.Unit], i)
		case LevelZone:
			x.zone[c.Scope.Layer] = append(x.zone[c.Scope.Layer], i)
		}
	}
	return x
}

// relevant returns, in rules order, the clauses of the city and of the
// districts, units and zone layers among hits (layer → hits that put the
// site in the feature). Zone clauses are filtered by category later.
func (x clauseIndex) relevant(hits map[string][]Hit) []int {
	out := append([]int(nil), x.city...)
	for _, h := range hits[LayerDistricts] {
		out = append(out, x.district[h.ID]...)
	}
	for _, h := range hits[LayerControlUnits] {
		out = append(out, x.unit[h.ID]...)
	}
	for layer := range hits {
		out = append(out, x.zone[layer]...)
	}
	sort.Ints(out)
	// A clause is listed once even when two hits select it.
	uniq := out[:0]
	for i, v := range out {
		if i == 0 || v != out[i-1] {
			uniq = append(uniq, v)
		}
	}
	return uniq
}

// normalizeRules returns a copy of r whose industry prefixes are in
// normal form ("26" → "C26"), so that matching is a string prefix test.
// The prefixes were validated before.
func normalizeRules(r Rules) Rules {
	out := Rules{Clauses: make([]Clause, len(r.Clauses))}
	norm := func(ps []string) []string {
		if ps == nil {
			return nil
		}
		n := make([]string, len(ps))
		for i, p := range ps {
			n[i], _ = NormalizeIndustryCode(p)
		}
		return n
	}
	for i, c := range r.Clauses {
		if c.Industries != nil {
			c.Industries = &IndustryFilter{Include: norm(c.Industries.Include), Exclude: norm(c.Industries.Exclude)}
		}
		out.Clauses[i] = c
	}
	return out
}
