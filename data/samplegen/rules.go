package samplegen

import (
	"fmt"
	"strings"

	"github.com/sanxian/sanxian/admission"
)

// The sample's access list (生态环境准入清单) as structured clauses:
// city-wide and element-zone clauses (全市总体), district clauses (区县)
// and unit clauses (单元). Every text was written for this sample in the
// style of published lists; none is copied from a publication. Industry
// prefixes are GB/T 4754-2017 codes (admission/gbt4754-2017.csv).
//
// Clause ids: "CQ-<dimension>-<item>" for city and zone clauses,
// "<county code>-<dimension>-<item>" for district clauses and
// "<unit code>-<dimension>-<item>" for unit clauses; Number is
// "<dimension>-<item>" as a published list would print it.

// clauseOpt sets one optional part of a clause.
type clauseOpt func(*admission.Clause)

// mk writes a machine-readable clause of dimension dim (1–4).
func mk(dim int, effect, text string, opts ...clauseOpt) admission.Clause {
	c := admission.Clause{Dimension: admission.Dimensions[dim-1], Effect: effect, Text: text, Machine: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// ind limits the clause to industries (GB/T 4754-2017 prefixes).
func ind(prefixes ...string) clauseOpt {
	return func(c *admission.Clause) {
		if c.Industries == nil {
			c.Industries = &admission.IndustryFilter{}
		}
		c.Industries.Include = append(c.Industries.Include, prefixes...)
	}
}

// except removes industries from the clause's filter.
func except(prefixes ...string) clauseOpt {
	return func(c *admission.Clause) { c.Industries.Exclude = append(c.Industries.Exclude, prefixes...) }
}

// build limits the clause to construction types.
func build(types ...string) clauseOpt {
	return func(c *admission.Clause) { c.Construction = append(c.Construction, types...) }
}

// near limits the clause to sites within m metres of the layer's features
// whose attr takes one of values.
func near(layer, attr string, values []string, m float64, describe string) clauseOpt {
	return func(c *admission.Clause) {
		c.Spatial = &admission.SpatialCondition{Layer: layer, Attr: attr, Values: values, WithinM: m, Describe: describe}
	}
}

// allow lets the listed red-line activities through, for case review.
func allow(note string, activities ...string) clauseOpt {
	return func(c *admission.Clause) {
		c.Exceptions = append(c.Exceptions, admission.Exception{Activities: activities, Note: note})
	}
}

// freeText marks a clause that no rule can judge (Machine=false).
func freeText(c *admission.Clause) { c.Machine = false }

// Prefix sets used by several clauses.
var (
	// dyeing is 印染/染整 across the textile groups.
	dyeing = []string{"C1713", "C1723", "C1733", "C1743", "C1752", "C1762"}
	// mainRivers are the features of the 1 km and 3 km shoreline rules.
	mainRivers = []string{"长江", "嘉陵江", "乌江"}
	// allActivities are the red line's limited activities, in a fixed order.
	allActivities = []string{"patrol_monitoring", "existing_livelihood", "linear_infrastructure", "ecological_restoration", "tourism_infrastructure"}
)

func cat(sets ...[]string) []string {
	var out []string
	for _, s := range sets {
		out = append(out, s...)
	}
	return out
}

// cityClauses are the city-wide (全市总体) and element-zone clauses, in
// published order within each dimension.
func cityClauses() []admission.Clause {
	const (
		P, R, Q, E = admission.EffectProhibit, admission.EffectRestrict, admission.EffectRequire, admission.EffectEncourage
	)
	zone := func(c admission.Clause, layer, category string) admission.Clause {
		c.Level, c.Scope = admission.LevelZone, admission.Scope{Layer: layer, Category: category}
		return c
	}
	return []admission.Clause{
		// 1 空间布局约束
		zone(mk(1, P, "生态保护红线内，自然保护地核心保护区原则上禁止人为活动；其他区域严格禁止开发性、生产性建设活动，在符合现行法律法规的前提下，仅允许对生态功能不造成破坏的有限人为活动。",
			allow("属于国家规定的有限人为活动的，须提供不可避让性论证和生态影响分析，按规定逐项审核后方可实施", allActivities...)), admission.LayerEcoRedline, ""),
		zone(mk(1, P, "自然保护区核心保护区内原则上禁止人为活动；一般控制区内禁止开发性、生产性建设活动，仅允许法律法规规定的有限人为活动。",
			allow("核心保护区内仅限管护巡护、科学研究和调查监测；一般控制区内的有限人为活动须征求自然保护地管理机构意见", allActivities...)), admission.LayerNatureReserves, ""),
		zone(mk(1, P, "饮用水水源一级保护区内禁止新建、改建、扩建与供水设施和保护水源无关的建设项目；已建成的，由区县人民政府依法责令拆除或者关闭。禁止在一级保护区内从事网箱养殖、旅游、游泳、垂钓等可能污染饮用水水体的活动。"),
			admission.LayerWaterSources, "一级保护区"),
		zone(mk(1, R, "饮用水水源二级保护区内禁止新建、改建、扩建排放污染物的建设项目；已建成的排放污染物的建设项目，由区县人民政府依法责令拆除或者关闭。从事网箱养殖、旅游等活动的，应当按照规定采取措施，防止污染饮用水水体。"),
			admission.LayerWaterSources, "二级保护区"),
		zone(mk(1, R, "饮用水水源准保护区内禁止新建、扩建化工、造纸、印染、制革、电镀、冶炼等对水体污染严重的建设项目；改建建设项目不得增加排污量。",
			ind(cat([]string{"C25", "C26", "C22"}, dyeing, []string{"C1910", "C3360", "C31", "C321", "C322"})...)), admission.LayerWaterSources, "准保护区"),
		mk(1, P, "禁止在长江干流及嘉陵江、乌江等主要支流岸线一公里范围内新建、扩建化工园区和化工项目。",
			ind("C25", "C26", "C271", "C28"), build("新建", "扩建"),
			near(admission.LayerRivers, "name", mainRivers, 1000, "长江干流及主要支流岸线")),
		mk(1, R, "饮用水水源保护区及其外延五百米范围划为畜禽养殖禁养区，禁养区内不得新建、扩建规模化畜禽养殖场（小区），现有养殖场应当依法关闭或者搬迁。",
			ind("A03"), build("新建", "扩建"),
			near(admission.LayerWaterSources, "", nil, 500, "饮用水水源保护区（畜禽养殖禁养区）")),
		mk(1, R, "新建、扩建化工项目应当进入依法合规设立、环境保护基础设施齐全的化工园区或者化工集中区；园区外现有化工企业原则上只允许在原址实施安全、环保和节能降耗改造。",
			ind("C26"), build("新建", "扩建")),
		mk(1, R, "新建纸浆、制革、印染、电镀等重污染项目应当进入依法设立的工业园区并实行集中治污，园区外不得新建此类项目。",
			ind(cat([]string{"C221", "C1910"}, dyeing, []string{"C3360"})...), build("新建")),
		mk(1, Q, "各类开发建设活动应当符合国土空间规划和“三区三线”管控要求，严格控制在环境敏感区周边布局环境风险大、污染物排放量大的项目。", freeText),

		// 2 污染物排放管控
		mk(2, Q, "新建、改建、扩建项目应当执行国家和本市污染物排放标准；化学需氧量、氨氮、氮氧化物、挥发性有机物等主要污染物实行排放总量控制，新增排放量按规定实行等量或者倍量削减替代。"),
		mk(2, Q, "火电、钢铁、水泥、平板玻璃、有色金属冶炼、石化、化工等重点行业新建项目执行大气污染物特别排放限值，现有企业按期完成超低排放改造或者深度治理。",
			ind("D4411", "D4412", "C31", "C3011", "C3041", "C32", "C25", "C26")),
		mk(2, Q, "石化、化工、橡胶和塑料制品、包装印刷、汽车制造等涉挥发性有机物排放的项目应当优先使用低挥发性原辅材料，采用密闭生产工艺，并配套建设高效收集治理设施。",
			ind("C25", "C26", "C29", "C231", "C36")),
		mk(2, R, "重有色金属矿采选和冶炼、铅蓄电池制造、电镀、皮革鞣制等涉重金属重点行业新建、改建、扩建项目，应当落实重点重金属污染物排放等量或者减量替代，无替代来源的不得建设。",
			ind("B091", "C321", "C3843", "C3360", "C1910"), build("新建", "改建", "扩建")),
		mk(2, R, "长江、嘉陵江、乌江干流及主要支流岸线五公里范围内严格控制新建、扩建磷化工项目，新建项目总磷排放实行减量替代。",
			ind("C2622", "C2613", "B102"), build("新建", "扩建"),
			near(admission.LayerRivers, "name", mainRivers, 5000, "长江干流及主要支流岸线")),
		mk(2, Q, "城镇污水处理厂出水执行一级A及以上排放标准；三峡库区及长江干流沿线新建、扩建污水处理设施应当配套建设脱氮除磷设施。",
			ind("D462")),
		mk(2, Q, "加强工业园区污水集中处理设施及配套管网建设，推进初期雨水收集处理，园区污水应当做到应收尽收、达标排放。", freeText),

		// 3 环境风险防控
		mk(3, Q, "生产、使用、储存危险化学品的企业应当依法编制突发环境事件应急预案，设置事故应急池和截流设施，防止事故废水进入长江及其支流。",
			ind("C25", "C26", "C27", "C28", "G5942")),
		mk(3, P, "禁止在长江干流及嘉陵江、乌江等主要支流岸线三公里范围内新建、改建、扩建尾矿库、冶炼渣库和磷石膏库，以提升安全、生态环境保护水平为目的的改建除外。",
			ind("B08", "B09", "C31", "C32", "C2622"), build("新建", "扩建"),
			near(admission.LayerRivers, "name", mainRivers, 3000, "长江干流及主要支流岸线")),
		mk(3, P, "禁止在饮用水水源保护区外延一千米范围内新建危险化学品仓储设施和危险化学品码头。",
			ind("G5942"), build("新建"),
			near(admission.LayerWaterSources, "", nil, 1000, "饮用水水源保护区")),
		mk(3, Q, "土壤污染重点监管单位新建、改建、扩建项目应当开展土壤和地下水环境现状调查，落实防腐蚀、防渗漏、防遗撒措施，并纳入排污许可管理。",
			ind("C25", "C26", "C31", "C32", "C3360", "C384", "N7724")),
		mk(3, Q, "用途变更为住宅、公共管理与公共服务用地的地块，变更前应当依法开展土壤污染状况调查；未达到土壤污染风险管控、修复目标的地块，禁止开工建设与风险管控、修复无关的项目。",
			ind("K70")),
		mk(3, R, "新建、扩建危险废物集中利用处置设施应当符合全市危险废物利用处置设施布局规划，并与居住区等环境敏感目标保持足够的防护距离。",
			ind("N7724"), build("新建", "扩建")),
		mk(3, Q, "建立健全长江、嘉陵江、乌江等跨界河流上下游突发水污染事件联防联控机制，加强环境应急物资储备和应急监测能力建设。", freeText),

		// 4 资源利用效率
		mk(4, Q, "城市建成区划定为高污染燃料禁燃区，禁燃区内禁止销售、燃用高污染燃料，禁止新建、扩建燃用高污染燃料的设施；禁燃区外新建燃煤发电机组应当采用高效清洁发电技术，燃煤锅炉应当达到超低排放水平。",
			ind("D4411", "D4412", "D4430")),
		mk(4, R, "严格控制“两高”项目盲目发展，新建、扩建钢铁、焦化、水泥熟料、平板玻璃、电解铝、炼油等高耗能、高排放项目应当符合能耗和碳排放控制要求，落实产能、煤炭消费等量或者减量替代。",
			ind("C311", "C312", "C252", "C3011", "C3041", "C3216", "C251"), build("新建", "扩建")),
		mk(4, Q, "火电、钢铁、造纸、印染、化工等高耗水行业新建、改建、扩建项目应当开展节水评价，单位产品取水量达到国内先进水平，工业用水重复利用率不低于90%。",
			ind(cat([]string{"D4411", "D4412", "C31", "C22"}, dyeing, []string{"C26"})...)),
		mk(4, R, "严格控制新建小水电项目，珍稀特有鱼类重要生境河段禁止新建；已建电站应当落实生态流量泄放措施并安装在线监测设施。",
			ind("D4413"), build("新建", "扩建")),
		mk(4, Q, "新建、改扩建矿山应当按照绿色矿山标准建设，开采回采率、选矿回收率和综合利用率达到国家规定要求，同步编制矿山地质环境保护与土地复垦方案。",
			ind("B06", "B08", "B09", "B10")),
		mk(4, E, "鼓励发展风电、光伏发电等可再生能源，推进工业园区和公共建筑屋顶分布式光伏建设，项目选址不得占用生态保护红线和永久基本农田。",
			ind("D4415", "D4416")),
		mk(4, E, "鼓励工业园区开展循环化改造，推进余热余压利用和废弃资源综合利用。",
			ind("C42")),
		mk(4, Q, "实行最严格水资源管理制度，严格控制用水总量；地下水超采区内禁止新增地下水开采，严格限制开采深层承压水。", freeText),
	}
}

// districtGroup is the kind of district a clause template fits.
type districtGroup int

const (
	groupUrban     districtGroup = iota // 中心城区
	groupReservoir                      // 三峡库区沿江区县
	groupMountain                       // 渝东北、渝东南山区区县
	groupPlain                          // 主城新区及渝西丘陵区县
)

// districtFacts are what the district templates refer to.
type districtFacts struct {
	code   string
	group  districtGroup
	river  string   // the river the texts name
	rivers []string // river features of the spatial clauses (names in the rivers layer)
	hills  string   // mountains named in mining clauses
	scenic string   // scenic areas named in tourism clauses
}

// districtTable lists every district with its group and named places.
var districtTable = []districtFacts{
	{"500101", groupReservoir, "长江", []string{"长江"}, "", "万州大瀑布、青龙瀑布"},
	{"500102", groupReservoir, "乌江", []string{"长江", "乌江"}, "", "白鹤梁、武陵山大裂谷"},
	{"500103", groupUrban, "嘉陵江", nil, "", ""},
	{"500104", groupUrban, "长江", nil, "", ""},
	{"500105", groupUrban, "嘉陵江", nil, "", ""},
	{"500106", groupUrban, "嘉陵江", nil, "", ""},
	{"500107", groupUrban, "长江", nil, "", ""},
	{"500108", groupUrban, "长江", nil, "", ""},
	{"500109", groupUrban, "嘉陵江", nil, "", ""},
	{"500110", groupMountain, "綦江", nil, "大娄山", "古剑山、老瀛山"},
	{"500111", groupPlain, "濑溪河", []string{"濑溪河"}, "", ""},
	{"500112", groupUrban, "嘉陵江", nil, "", ""},
	{"500113", groupUrban, "长江", nil, "", ""},
	{"500114", groupMountain, "阿蓬江", nil, "武陵山", "小南海、濯水古镇"},
	{"500115", groupPlain, "龙溪河", []string{"龙溪河"}, "", ""},
	{"500116", groupPlain, "长江", []string{"长江"}, "", ""},
	{"500117", groupPlain, "嘉陵江", []string{"嘉陵江", "涪江"}, "", ""},
	{"500118", groupPlain, "临江河", []string{"临江河"}, "", ""},
	{"500119", groupMountain, "凤嘴江", nil, "金佛山", "金佛山"},
	{"500120", groupPlain, "璧南河", []string{"璧南河"}, "", ""},
	{"500151", groupPlain, "小安溪", []string{"小安溪"}, "", ""},
	{"500152", groupPlain, "涪江", []string{"涪江"}, "", ""},
	{"500153", groupPlain, "濑溪河", []string{"濑溪河"}, "", ""},
	{"500154", groupReservoir, "小江", []string{"小江"}, "", "汉丰湖"},
	{"500155", groupPlain, "龙溪河", []string{"龙溪河"}, "", ""},
	{"500156", groupMountain, "乌江", nil, "白马山", "武隆喀斯特"},
	{"500229", groupMountain, "任河", nil, "大巴山", "九重山、亢谷"},
	{"500230", groupReservoir, "龙河", []string{"长江", "龙河"}, "", "名山、南天湖"},
	{"500231", groupPlain, "龙溪河", []string{"龙溪河"}, "", ""},
	{"500233", groupReservoir, "长江", []string{"长江"}, "", "石宝寨"},
	{"500235", groupReservoir, "小江", []string{"长江", "小江"}, "", "龙缸"},
	{"500236", groupReservoir, "长江", []string{"长江"}, "", "白帝城、瞿塘峡"},
	{"500237", groupReservoir, "大宁河", []string{"长江", "大宁河"}, "", "小三峡、神女峰"},
	{"500238", groupMountain, "大宁河", nil, "大巴山", "红池坝"},
	{"500240", groupReservoir, "龙河", []string{"长江", "龙河"}, "", "黄水、大风堡"},
	{"500241", groupMountain, "梅江河", nil, "武陵山", "洪安边城、川河盖"},
	{"500242", groupMountain, "酉水", nil, "武陵山", "桃花源、龚滩古镇"},
	{"500243", groupMountain, "乌江", nil, "武陵山", "摩围山、阿依河"},
}

func districtFactsOf(code string) (districtFacts, error) {
	for _, f := range districtTable {
		if f.code == code {
			return f, nil
		}
	}
	return districtFacts{}, fmt.Errorf("samplegen: no clause facts for county %s", code)
}

// districtTemplates are the clauses of each group; {县} is the district,
// {河} its river, {山} its mountains and {景区} its scenic areas.
func districtTemplates(g districtGroup, f districtFacts) []admission.Clause {
	const (
		P, R, Q, E = admission.EffectProhibit, admission.EffectRestrict, admission.EffectRequire, admission.EffectEncourage
	)
	switch g {
	case groupUrban:
		return []admission.Clause{
			mk(1, P, "{县}城市建成区内禁止新建、扩建钢铁冶炼、常用有色金属冶炼、水泥熟料、化学原料制造、化学制浆、纺织印染、皮革鞣制等重污染工业项目，现有企业应当实施环保搬迁或者转型升级。",
				ind(cat([]string{"C311", "C312", "C321", "C3011", "C261", "C262", "C263", "C221"}, dyeing, []string{"C1910"})...), build("新建", "扩建")),
			mk(1, Q, "有序推进{县}城市更新，老旧工业区、老旧厂区腾退土地再开发利用前应当完成土壤污染状况调查；“两江四岸”沿线严格控制高强度开发，保护自然岸线和山水城市风貌。", freeText),
			mk(2, R, "居民住宅楼、未配套设立专用烟道的商住综合楼以及商住综合楼内与居住层相邻的商业楼层内，不得新建、改建、扩建产生油烟、异味、废气的餐饮服务项目；其他餐饮服务单位应当安装油烟净化设施并保持正常使用。",
				ind("H62"), build("新建", "改建", "扩建")),
			mk(2, Q, "{县}建筑施工应当执行建筑施工场界环境噪声排放标准，噪声敏感建筑物集中区域内禁止夜间进行产生环境噪声污染的施工作业，因抢修、抢险或者生产工艺要求必须连续作业的除外。",
				ind("E")),
			mk(2, Q, "新建歌舞厅、酒吧等娱乐场所应当采取隔声减振措施，边界噪声不得超过所在声环境功能区标准。",
				ind("R90")),
			mk(3, Q, "加油站、危险化学品仓储等风险源应当落实防渗和油气回收措施，并与学校、医院、居住区保持安全防护距离。",
				ind("F5265", "G5942")),
		}
	case groupReservoir:
		return []admission.Clause{
			mk(1, P, "三峡水库消落带内禁止新建永久性建筑物、构筑物，禁止开垦种植、堆放固体废物和建设畜禽养殖场；防洪、航运、取水等必需设施和生态修复工程除外。",
				near(admission.LayerRivers, "name", f.rivers, 500, "三峡水库消落带（"+strings.Join(f.rivers, "、")+"岸线）"),
				allow("防洪、航运、取水等必需设施和生态修复工程须论证对消落带生态环境的影响并落实保护措施", "linear_infrastructure", "ecological_restoration")),
			mk(1, Q, "{县}依托{景区}发展生态旅游，旅游设施建设应当与自然景观和生态保护要求相协调，不得占用生态保护红线和消落带，景区污水、垃圾应当集中收集处理，不得直排入江。",
				ind("N786", "H61")),
			mk(2, R, "库区支流回水区及{县}境内{河}流域严格控制新建、扩建排放总磷的工业项目，新建项目总磷排放实行倍量削减替代。",
				ind("C2622", "C2613", "B102", "C268"), build("新建", "扩建")),
			mk(2, R, "三峡库区干流及支流回水区禁止投饵网箱养殖，水库渔业应当以保水净水为主。",
				ind("A0412")),
			mk(3, Q, "加强三峡库区长江干流航运危险化学品运输风险防控，完善港口码头船舶污染物接收、转运和处置设施。", freeText),
			mk(4, Q, "严格控制库区岸线开发利用，港口、码头等岸线利用项目应当符合岸线保护和利用规划，集约节约利用岸线资源。",
				ind("G553")),
		}
	case groupMountain:
		return []admission.Clause{
			mk(1, R, "严格控制{县}{山}区域矿产资源开发，新建、扩建矿山应当符合矿产资源规划和生态环境分区管控要求，生态保护红线和自然保护地内不得新设采矿权。",
				ind("B"), build("新建", "扩建")),
			mk(1, P, "{河}及其支流禁止新建以发电为主要目的的小水电项目，已建电站应当保障下泄生态流量，不符合生态保护要求的依法有序退出。",
				ind("D4413"), build("新建")),
			mk(1, E, "鼓励{县}依托{景区}发展生态旅游、森林康养和特色生态农业，旅游开发强度应当控制在生态承载力范围内。",
				ind("N786", "H61", "A02")),
			mk(2, Q, "矿山开采和选矿废水应当处理后循环利用，矿井涌水、尾矿库渗滤液不得直排{河}及其支流。",
				ind("B")),
			mk(3, Q, "加强{县}尾矿库、废弃矿山和历史遗留矿渣堆场的风险排查和综合整治，防范暴雨等极端天气引发的突发环境事件。", freeText),
			mk(4, Q, "已建水电站应当设置生态流量泄放设施并安装在线监控，保障{河}及其支流生态基流。",
				ind("D4413")),
		}
	default: // groupPlain
		return []admission.Clause{
			mk(1, R, "{县}新建工业项目原则上应当进入工业园区，园区外不得新建化学原料制造、农药、纺织印染、皮革鞣制、电镀等项目。",
				ind(cat([]string{"C261", "C262", "C263"}, dyeing, []string{"C1910", "C3360"})...), build("新建")),
			mk(1, R, strings.Join(f.rivers, "、")+"干流岸线五百米范围内不得新建、扩建规模化畜禽养殖场，现有养殖场应当配套建设粪污处理设施。",
				ind("A03"), build("新建", "扩建"),
				near(admission.LayerRivers, "name", f.rivers, 500, strings.Join(f.rivers, "、")+"干流岸线")),
			mk(2, Q, "加强农业面源污染防治，推进化肥农药减量增效，规模化畜禽养殖场粪污综合利用率不低于90%。",
				ind("A01", "A03")),
			mk(2, Q, "{河}流域水质未稳定达标前，新建项目新增化学需氧量、氨氮、总磷排放实行倍量削减替代。", freeText),
			mk(3, R, "严格控制在耕地集中区域周边新建、扩建有色金属冶炼、化工、电镀、铅蓄电池制造等土壤污染风险较大的项目。",
				ind("C321", "C322", "C26", "C3360", "C3843"), build("新建", "扩建")),
			mk(4, E, "推广高效节水灌溉和农业废弃物资源化利用，鼓励发展生态循环农业。",
				ind("A01", "A03")),
		}
	}
}

// districtExtras are clauses written for one district only.
func districtExtras(code string) []admission.Clause {
	const (
		P, R, Q = admission.EffectProhibit, admission.EffectRestrict, admission.EffectRequire
	)
	switch code {
	case "500103":
		return []admission.Clause{mk(1, P, "渝中区不再新增工业用地，禁止新建、扩建工业项目，工艺美术、文化创意等无污染的都市型小微项目除外。",
			ind("C"), except("C243"), build("新建", "扩建"))}
	case "500111":
		return []admission.Clause{
			mk(1, Q, "大足石刻世界文化遗产保护范围和建设控制地带内的建设项目应当符合文物保护规划，不得破坏历史风貌和周边山水环境。", freeText),
			mk(2, R, "五金产业涉电镀、酸洗工序应当进入集中表面处理中心，园区外不得新建电镀项目。", ind("C3360"), build("新建")),
		}
	case "500115":
		return []admission.Clause{
			mk(2, R, "长寿湖汇水区内禁止投饵养殖，严格控制畜禽养殖规模。", ind("A0412", "A03")),
			mk(3, Q, "化工企业应当建设有毒有害气体监测预警系统并与园区环境风险防控平台联网。", ind("C26")),
		}
	case "500153":
		return []admission.Clause{mk(2, Q, "规模化生猪养殖场应当配套建设粪污贮存、处理和利用设施，粪污综合利用率达到95%以上，濑溪河沿岸严格控制养殖总量。",
			ind("A031"))}
	case "500241":
		return []admission.Clause{mk(3, R, "严格控制电解锰等锰产业新增产能，现有企业应当完成锰渣库规范化整治和渗滤液收集处理，不得新建锰渣库。",
			ind("C3140", "B0820"), build("新建", "扩建"))}
	case "500229":
		return []admission.Clause{mk(3, R, "锰矿开采应当落实尾矿和废石的安全处置措施，任河流域严格控制新增锰矿采选产能。",
			ind("B0820"), build("新建", "扩建"))}
	case "500243":
		return []admission.Clause{mk(2, Q, "页岩气开发应当落实钻井废水、压裂返排液和钻井岩屑的收集处置要求，井场选址应当避让饮用水水源保护区和生态保护红线。",
			ind("B072"))}
	case "500110":
		return []admission.Clause{mk(3, Q, "关闭退出的煤矿应当开展矿山生态修复和酸性矿井水治理，防止污染綦江及其支流。",
			ind("B06"))}
	case "500156":
		return []admission.Clause{mk(1, Q, "武隆喀斯特世界自然遗产地及其缓冲区内的建设活动应当符合遗产地保护管理规划，不得破坏喀斯特地貌景观。", freeText)}
	}
	return nil
}

// ruleBuilder numbers clauses per scope and dimension.
type ruleBuilder struct {
	rules admission.Rules
	repl  *strings.Replacer
}

// add appends clauses under the id prefix (CQ, a county code or a unit
// code), numbering them in order within each dimension.
func (b *ruleBuilder) add(prefix, level string, scope admission.Scope, cs []admission.Clause) {
	var n [4]int
	for _, c := range cs {
		di := dimIndex(c.Dimension)
		n[di]++
		c.ID = fmt.Sprintf("%s-%d-%02d", prefix, di+1, n[di])
		c.Number = fmt.Sprintf("%d-%d", di+1, n[di])
		if c.Level == "" {
			c.Level, c.Scope = level, scope
		}
		if b.repl != nil {
			c.Text = b.repl.Replace(c.Text)
		}
		b.rules.Clauses = append(b.rules.Clauses, c)
	}
}

func dimIndex(d string) int {
	for i, x := range admission.Dimensions {
		if x == d {
			return i
		}
	}
	panic("samplegen: unknown dimension " + d)
}

// sortByDimension orders clauses by dimension, keeping their order within
// one (stable, without sort's reflection).
func sortByDimension(cs []admission.Clause) []admission.Clause {
	out := make([]admission.Clause, 0, len(cs))
	for _, d := range admission.Dimensions {
		for _, c := range cs {
			if c.Dimension == d {
				out = append(out, c)
			}
		}
	}
	return out
}

// makeRules assembles the access list: city and zone clauses, then the
// districts in code order, then the units in layer order.
func (g *gen) makeRules(units []unitClauses) (admission.Rules, error) {
	var b ruleBuilder
	b.add("CQ", admission.LevelCity, admission.Scope{}, cityClauses())
	for _, d := range districts {
		f, err := districtFactsOf(d.code)
		if err != nil {
			return admission.Rules{}, err
		}
		b.repl = strings.NewReplacer("{县}", d.name, "{河}", f.river, "{山}", f.hills, "{景区}", f.scenic)
		cs := sortByDimension(append(districtTemplates(f.group, f), districtExtras(d.code)...))
		b.add(d.code, admission.LevelDistrict, admission.Scope{County: d.code}, cs)
	}
	b.repl = nil
	for _, u := range units {
		b.add(u.unit, admission.LevelUnit, admission.Scope{Unit: u.unit}, u.clauses)
	}
	return b.rules, nil
}
