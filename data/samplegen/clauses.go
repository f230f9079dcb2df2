package samplegen

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/sanxian/sanxian/admission"
)

// Unit clauses (单元, "一单元一策略"): templates per unit category,
// written for this sample in the style of published lists (not copied
// from any), plus the park-specific leading and excluded industries.
// Placeholders: {县} county, {河} the unit's river, {保护区} the nature
// reserve it holds, {园区} park, {产业} leading industries, {回用率} a
// water-reuse rate.

// unitClauses are the clauses of one unit, numbered later.
type unitClauses struct {
	unit    string
	clauses []admission.Clause
}

// unitTemplate is one clause of a category; optional ones are drawn at
// random per unit (half of them on average).
type unitTemplate struct {
	optional bool
	clause   admission.Clause
}

// unitContext carries what the templates refer to.
type unitContext struct {
	county, river, reserve string
	redline                bool
	park                   *park
}

const (
	effP, effR, effQ, effE, effI = admission.EffectProhibit, admission.EffectRestrict, admission.EffectRequire, admission.EffectEncourage, admission.EffectInfo
)

func priorityTemplates(u unitContext) []unitTemplate {
	var ts []unitTemplate
	ts = append(ts, unitTemplate{false, mk(1, effP, "本单元内禁止新建、扩建工业项目和矿产资源开发项目，现有不符合管控要求的项目应当依法有序退出。",
		ind("B", "C"), build("新建", "扩建"),
		allow("原住居民在不扩大现有规模前提下的生产生活设施，以及依法批准的地质勘查、生态修复活动，须逐项论证对生态功能的影响",
			"existing_livelihood", "ecological_restoration"))})
	if !u.redline {
		ts = append(ts, unitTemplate{false, mk(1, effR, "本单元以一般生态空间为主，原则上按照限制开发区域管理，限制大规模、高强度的工业化和城镇化开发，不得降低生态功能。", freeText)})
	}
	where := "本单元"
	if u.reserve != "" {
		where = u.reserve + "周边"
	}
	ts = append(ts,
		unitTemplate{true, mk(1, effR, "严格控制"+where+"旅游开发强度，新建旅游设施不得影响主要保护对象及其生境。",
			ind("N786", "H61"), build("新建", "扩建"))},
		unitTemplate{true, mk(1, effR, "交通、水利等线性基础设施确需穿越本单元的，应当优化选址选线，减少对生态空间的占用和分割，并同步实施生态修复。",
			ind("E48"), build("新建", "扩建"))},
		unitTemplate{true, mk(2, effQ, "区域内不得新设工业排污口，现有排污口应当按照相关规定清理整治；旅游服务设施产生的污水应当收集处理，不得直排{河}及其支流。", freeText)},
		unitTemplate{true, mk(2, effR, "本单元内不得新建、扩建规模化畜禽养殖场，现有养殖场应当依法关闭或者搬迁。",
			ind("A03"), build("新建", "扩建"))},
		unitTemplate{true, mk(3, effP, "严禁在本单元内新建、扩建危险废物贮存处置场所、一般工业固体废物填埋场和生活垃圾填埋场。",
			ind("N7723", "N7724", "N7820"), build("新建", "扩建"))},
		unitTemplate{true, mk(3, effQ, "加强森林火灾、地质灾害和外来物种入侵的监测预警，健全生态风险应急处置机制。", freeText)},
		unitTemplate{true, mk(4, effP, "禁止新建以发电为主要目的的小水电项目，已建电站应当落实生态流量泄放措施。",
			ind("D4413"), build("新建"))},
		unitTemplate{true, mk(4, effE, "鼓励发展生态旅游、林下经济等绿色产业，严格保护林地、湿地资源。",
			ind("A02", "N786"))},
	)
	return ts
}

func urbanTemplates(unitContext) []unitTemplate {
	return []unitTemplate{
		{false, mk(1, effR, "{县}城镇开发边界内严格限制新建、扩建钢铁冶炼、有色金属冶炼、化工、水泥熟料、造纸、印染、制革等重污染工业项目（符合规划的都市工业除外），现有污染企业应当逐步搬迁入园。",
			ind(cat([]string{"C31", "C321", "C322", "C26", "C3011", "C221", "C222"}, dyeing, []string{"C1910"})...), build("新建", "扩建"))},
		{true, mk(1, effQ, "新建产生恶臭、噪声的项目应当与居住区、学校、医院等环境敏感目标保持足够的防护距离。", freeText)},
		{false, mk(2, effQ, "餐饮服务单位应当安装并正常使用油烟净化设施，油烟排放执行餐饮业大气污染物排放标准。",
			ind("H62"))},
		{true, mk(2, effQ, "推进雨污分流改造，城镇生活污水应当全部收集处理，消除{河}沿岸城市黑臭水体。", freeText)},
		{true, mk(3, effQ, "关停搬迁的工业企业原址再开发利用前，应当依法开展土壤污染状况调查和风险评估。",
			ind("K70"))},
		{true, mk(3, effQ, "新建加油站应当同步建设油气回收设施，并采用双层罐或者设置防渗池等防渗措施。",
			ind("F5265"), build("新建"))},
		{false, mk(4, effR, "本单元位于高污染燃料禁燃区，禁止新建、扩建燃用高污染燃料的锅炉和发电、供热设施，已建成的应当改用天然气、电等清洁能源。",
			ind("D4411", "D4412", "D4430"), build("新建", "扩建"))},
		{true, mk(4, effQ, "新建民用建筑全面执行绿色建筑标准，推广可再生能源建筑应用。",
			ind("E47"), build("新建"))},
	}
}

func generalTemplates(u unitContext) []unitTemplate {
	return []unitTemplate{
		{false, mk(1, effI, "执行全市总体管控要求和{县}总体管控要求。")},
		{false, mk(1, effR, "新建工业项目原则上应当进入工业园区，园区外不得新建化工、造纸、印染、制革等项目。",
			ind(cat([]string{"C26", "C221", "C222"}, dyeing, []string{"C1910"})...), build("新建"))},
		{true, mk(1, effR, "{河}岸线二百米范围内不得新建、扩建规模化畜禽养殖场。",
			ind("A03"), build("新建", "扩建"),
			near(admission.LayerRivers, "name", []string{u.river}, 200, u.river+"岸线"))},
		{true, mk(2, effQ, "推进农村生活污水和生活垃圾治理，提高乡镇污水处理设施运行负荷率。", freeText)},
		{true, mk(2, effQ, "畜禽养殖场应当配套建设粪污贮存和资源化利用设施，粪污不得直排{河}及其支流。",
			ind("A03"))},
		{true, mk(3, effR, "严格控制在耕地集中区域新建、扩建有色金属冶炼、电镀、铅蓄电池制造等行业企业。",
			ind("C321", "C322", "C3360", "C3843"), build("新建", "扩建"))},
		{true, mk(3, effQ, "加强尾矿库、废弃矿山等风险源排查和整治，防范{河}沿线突发环境事件。", freeText)},
		{true, mk(4, effE, "推广高效节水灌溉，提高农田灌溉水有效利用系数，鼓励秸秆综合利用。",
			ind("A01"))},
	}
}

// leadingCodes maps the parks' leading industries to GB/T 4754-2017
// prefixes.
var leadingCodes = map[string][]string{
	"化工":    {"C26"},
	"新材料":   {"C265", "C3091", "C3985"},
	"钢铁":    {"C31"},
	"装备制造":  {"C34", "C35"},
	"汽车":    {"C36"},
	"电子信息":  {"C39"},
	"航空物流":  {"G56", "G59"},
	"盐化工":   {"C261", "B103"},
	"食品":    {"C13", "C14", "C15"},
	"能源":    {"D441"},
	"智能装备":  {"C34", "C35", "C38"},
	"医药":    {"C27"},
	"陶瓷":    {"C307"},
	"兽药":    {"C275"},
	"五金":    {"C332", "C335", "C338"},
	"汽车零部件": {"C367"},
	"化工新材料": {"C265", "C266"},
	"齿轮":    {"C345"},
	"煤电":    {"D4411", "D4412", "B06"},
	"铝加工":   {"C3252"},
	"生物医药":  {"C27"},
	"环保装备":  {"C3591"},
	"仪器仪表":  {"C40"},
	"物流":    {"G58", "G59"},
	"塑料制品":  {"C292"},
	"建材":    {"C30"},
	"盐气化工":  {"C261", "B103", "B072"},
	"锰产业":   {"B0820", "C3140"},
	"页岩气":   {"B072"},
	"新型建材":  {"C302", "C303"},
	"锰深加工":  {"C3140", "C2613"},
}

// exclusion is a group of industries parks exclude unless they lead in it.
type exclusion struct {
	name     string
	prefixes []string
	chemical bool // a chemical park does not exclude it
}

var exclusions = []exclusion{
	{"化学原料和化学制品制造", []string{"C26"}, true},
	{"纺织印染", dyeing, false},
	{"皮革鞣制", []string{"C1910"}, false},
	{"制浆造纸", []string{"C221", "C222"}, false},
	{"钢铁冶炼", []string{"C311", "C312"}, false},
	{"常用有色金属冶炼", []string{"C321"}, false},
	{"水泥熟料", []string{"C3011"}, false},
	{"焦化", []string{"C252"}, false},
}

// parkLeading returns the leading industries' prefixes, without repeats
// and without a prefix another one already covers (化工 C26 covers 新材料's
// C265).
func parkLeading(p *park) ([]string, error) {
	var all []string
	for _, name := range p.industries {
		codes, ok := leadingCodes[name]
		if !ok {
			return nil, fmt.Errorf("samplegen: park %s: no industry codes for leading industry %q", p.name, name)
		}
		all = append(all, codes...)
	}
	var out []string
	for i, c := range all {
		covered := false
		for j, o := range all {
			if j != i && strings.HasPrefix(c, o) && (o != c || j < i) {
				covered = true
			}
		}
		if !covered {
			out = append(out, c)
		}
	}
	return out, nil
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// parkExcluded works out the park's excluded industries: every exclusion
// group except those the park leads in. A leading industry under an
// excluded prefix (新材料 C265 under 化工 C26) is carved out of the
// filter and named in the text; an excluded prefix under a leading one is
// dropped.
func parkExcluded(p *park, leading []string, table *admission.Industries) (include, carve []string, text string) {
	var names []string
	for _, g := range exclusions {
		if g.chemical && p.chemical {
			continue
		}
		var kept, carved []string
		for _, x := range g.prefixes {
			dropped := false
			for _, l := range leading {
				switch {
				case strings.HasPrefix(x, l):
					dropped = true
				case strings.HasPrefix(l, x) && !contains(carved, l):
					carved = append(carved, l)
				}
			}
			if !dropped {
				kept = append(kept, x)
			}
		}
		if len(kept) == 0 {
			continue
		}
		name := g.name
		if len(carved) > 0 {
			var cn []string
			for _, c := range carved {
				it, _ := table.Lookup(c)
				cn = append(cn, it.Name)
			}
			name += "（" + strings.Join(cn, "、") + "除外）"
		}
		names = append(names, name)
		include = append(include, kept...)
		carve = append(carve, carved...)
	}
	return include, carve, strings.Join(names, "、")
}

func parkTemplates(u unitContext, table *admission.Industries) ([]unitTemplate, error) {
	p := u.park
	leading, err := parkLeading(p)
	if err != nil {
		return nil, err
	}
	excl, carve, exclText := parkExcluded(p, leading, table)
	prohibit := mk(1, effP, "{园区}禁止引入"+exclText+"等与园区主导产业不符、污染物排放量大的项目。",
		func(c *admission.Clause) {
			c.Industries = &admission.IndustryFilter{Include: excl, Exclude: carve}
		}, build("新建", "扩建", "迁建"))
	ts := []unitTemplate{
		{false, mk(1, effE, "{园区}重点发展{产业}等主导产业，鼓励引进符合园区规划及规划环境影响评价要求的主导产业项目。",
			func(c *admission.Clause) { c.Industries = &admission.IndustryFilter{Include: leading} })},
		{false, prohibit},
	}
	if p.chemical {
		ts = append(ts, unitTemplate{false, mk(1, effQ, "园区化工项目应当布局在化工集中区内，与居住区、学校、医院等环境敏感目标之间设置足够的防护距离。",
			ind("C26"))})
	}
	ts = append(ts,
		unitTemplate{true, mk(1, effQ, "园区内居住用地与工业用地之间应当设置防护隔离带，防护距离内不得新建学校、医院、居民区等环境敏感目标。", freeText)},
		unitTemplate{false, mk(2, effQ, "园区实行主要污染物排放总量控制，新建项目新增排放量实行等量或者倍量削减替代。")},
		unitTemplate{true, mk(2, effQ, "园区污水应当全部收集，经集中式污水处理设施处理达标后排放，工业废水不得直排{河}。")},
		unitTemplate{false, mk(3, effQ, "园区应当编制突发环境事件应急预案，建立企业、园区、水体三级环境风险防控体系。", freeText)},
	)
	if p.chemical {
		ts = append(ts, unitTemplate{false, mk(3, effQ, "涉及危险化学品的企业应当设置事故应急池，建立有毒有害气体环境风险预警体系并与园区平台联网。",
			ind("C25", "C26", "C27", "C28"))})
	}
	ts = append(ts,
		unitTemplate{true, mk(4, effQ, "园区工业用水重复利用率不低于{回用率}%，鼓励企业开展中水回用。")},
		unitTemplate{true, mk(4, effQ, "新建项目单位产品能耗、水耗和污染物排放强度应当达到国内先进水平。", ind("C"))},
	)
	return ts, nil
}

// makeUnitClauses writes one unit's clauses: the fixed templates of its
// category and about half of the optional ones, drawn with r.
func makeUnitClauses(id string, category int, u unitContext, table *admission.Industries, r *rand.Rand) (unitClauses, error) {
	var ts []unitTemplate
	switch {
	case u.park != nil:
		var err error
		if ts, err = parkTemplates(u, table); err != nil {
			return unitClauses{}, err
		}
	case category == catPriority:
		ts = priorityTemplates(u)
	case category == catKey:
		ts = urbanTemplates(u)
	default:
		ts = generalTemplates(u)
	}
	pairs := []string{"{县}", u.county, "{河}", u.river, "{保护区}", u.reserve, "{回用率}", fmt.Sprint(75 + 5*r.IntN(4))}
	if u.park != nil {
		pairs = append(pairs, "{园区}", u.park.name, "{产业}", strings.Join(u.park.industries, "、"))
	}
	repl := strings.NewReplacer(pairs...)
	out := unitClauses{unit: id}
	for _, t := range ts {
		if t.optional && r.IntN(2) == 1 {
			continue
		}
		c := t.clause
		c.Text = repl.Replace(c.Text)
		out.clauses = append(out.clauses, c)
	}
	out.clauses = sortByDimension(out.clauses)
	return out, nil
}
