package samplegen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/sanxian/sanxian/admission"
)

// Clause templates of the access list, written for this sample (they
// imitate the style of published lists but are not copied from any).
// Placeholders: {县} county, {园区} park, {产业} leading industries, {河}
// river, {山} mountain range, {保护区} nature reserve.

type clausePool struct {
	fixed []string // always included first
	pool  []string // a random subset is added, in order
}

var priorityClauses = [4]clausePool{
	{ // 空间布局约束
		fixed: []string{"{红线条款}"},
		pool: []string{
			"禁止在{县}{山}区域新建、扩建工业项目和矿产资源开发项目，现有不符合管控要求的项目应当依法有序退出。",
			"严格控制{河}岸线开发利用，干流及主要支流岸线一公里范围内禁止新建、扩建化工园区和化工项目。",
			"一般生态空间内限制大规模、高强度的工业化和城镇化开发，原则上按照限制开发区域管理。",
			"禁止毁林开垦、采石、采砂、取土等破坏植被和地形地貌的活动。",
			"{保护区条款}",
			"严格控制新建旅游设施的规模和强度，不得影响主要保护对象及其生境。",
		},
	},
	{ // 污染物排放管控
		pool: []string{
			"区域内不得新设工业排污口，现有排污口应当按照相关规定清理整治。",
			"农村生活污水应当收集处理，到规划期末生活污水处理设施实现行政村全覆盖。",
			"严格控制化肥、农药施用量，推广测土配方施肥和病虫害绿色防控。",
			"禁养区内不得新建规模化畜禽养殖场，现有养殖场应当依法关闭或者搬迁。",
			"旅游服务设施产生的污水、垃圾应当集中收集处置，不得直接排入{河}及其支流。",
		},
	},
	{ // 环境风险防控
		pool: []string{
			"禁止新建、扩建涉及有毒有害物质排放的项目，防范生态系统退化风险。",
			"加强森林火灾、地质灾害和外来物种入侵的监测预警，健全应急处置机制。",
			"穿越本单元的线性基础设施应当采取防渗、截留等措施，防范危险化学品运输泄漏风险。",
			"严禁在本单元内设置危险废物贮存、处置场所和生活垃圾填埋场。",
		},
	},
	{ // 资源利用效率
		pool: []string{
			"严格保护林地、湿地资源，林地保有量和湿地面积不得减少。",
			"合理控制水资源开发强度，保障{河}生态基流。",
			"禁止新建以发电为主要目的的小水电项目，已建电站应当落实生态流量泄放措施。",
			"鼓励发展生态旅游、林下经济等绿色产业，提高资源利用效率。",
		},
	},
}

var parkClauses = [4]clausePool{
	{
		fixed: []string{"{园区}重点发展{产业}等主导产业，新建项目应当符合园区规划及规划环境影响评价要求。"},
		pool: []string{
			"禁止引入与园区主导产业不相符、污染物排放量大的项目。",
			"园区内居住用地与工业用地之间应当设置防护隔离带，防护距离内不得新建学校、医院、居民区等环境敏感目标。",
			"{化工布局}",
			"严格控制新增钢铁、水泥、平板玻璃等产能过剩行业产能。",
		},
	},
	{
		fixed: []string{"园区实行主要污染物排放总量控制，新建项目新增排放量实行等量或者倍量削减替代。"},
		pool: []string{
			"园区污水应当全部收集，经集中式污水处理设施处理达标后排放，工业废水不得直排{河}。",
			"涉挥发性有机物排放的企业应当优先使用低挥发性原辅材料，配套建设高效收集治理设施。",
			"{化工排放}",
			"一般工业固体废物应当分类贮存和综合利用，危险废物应当交由有资质单位处置。",
		},
	},
	{
		fixed: []string{"园区应当编制突发环境事件应急预案，建立企业、园区、水体三级环境风险防控体系。"},
		pool: []string{
			"涉及危险化学品的企业应当设置事故应急池，事故废水不得进入外环境。",
			"{化工风险}",
			"定期开展园区土壤和地下水环境质量监测，发现污染及时开展风险管控。",
		},
	},
	{
		pool: []string{
			"新建项目单位产品能耗、水耗和污染物排放强度应当达到国内先进水平。",
			"园区工业用水重复利用率不低于{回用率}%，鼓励企业开展中水回用。",
			"禁止新建燃煤锅炉，推进园区集中供热和清洁能源替代。",
			"提高土地集约利用水平，工业项目投资强度和容积率应当符合园区准入标准。",
		},
	},
}

var urbanClauses = [4]clausePool{
	{
		pool: []string{
			"{县}城镇开发边界内禁止新建、扩建工业项目（符合规划的都市工业除外），现有污染企业应当逐步搬迁入园。",
			"严格控制在城市上风向和{河}沿岸布局大气、水污染严重的项目。",
			"禁止在居民区、学校、医院等环境敏感目标周边新建产生恶臭、噪声污染的项目。",
			"新建化工项目应当进入合规化工园区，单元内不得新建化工项目。",
		},
	},
	{
		pool: []string{
			"城镇生活污水应当全部收集处理，新建污水处理厂出水执行一级A及以上排放标准。",
			"加强建筑工地、道路扬尘控制，餐饮服务单位应当安装并正常使用油烟净化设施。",
			"高污染燃料禁燃区内禁止销售、燃用高污染燃料。",
			"推进雨污分流改造，消除城市黑臭水体。",
		},
	},
	{
		pool: []string{
			"加强加油站、危险化学品储存场所等风险源管理，防范土壤和地下水污染。",
			"关停搬迁的工业企业原址再开发利用前，应当依法开展土壤污染状况调查和风险评估。",
			"完善城市排水防涝和突发水污染事件应急处置能力。",
		},
	},
	{
		pool: []string{
			"推进节水型城市建设，公共建筑应当采用节水器具。",
			"新建民用建筑全面执行绿色建筑标准，推广可再生能源建筑应用。",
			"严格控制城镇建设用地规模，盘活存量建设用地。",
		},
	},
}

var generalClauses = [4]clausePool{
	{
		fixed: []string{"执行全市总体管控要求和{县}总体管控要求。"},
		pool: []string{
			"新建工业项目原则上应当进入工业园区，园区外不得新建化工、造纸、印染、制革等项目。",
			"优化农业生产布局，{河}沿岸控制发展规模化畜禽养殖。",
			"严格控制在耕地集中区域新建有色金属冶炼、化工、电镀等行业企业。",
		},
	},
	{
		fixed: []string{"执行全市总体管控要求。"},
		pool: []string{
			"推进农村生活污水和生活垃圾治理，提高乡镇污水处理设施运行负荷率。",
			"加强农业面源污染防治，畜禽养殖粪污综合利用率达到市级考核要求。",
			"采砂、采石场应当落实粉尘和废水治理措施。",
		},
	},
	{
		fixed: []string{"执行全市总体管控要求。"},
		pool: []string{
			"加强受污染耕地安全利用，严格管控类耕地禁止种植食用农产品。",
			"加强尾矿库、废弃矿山等风险源排查和整治。",
			"加强{河}沿线危险化学品运输和装卸环节的风险防控。",
		},
	},
	{
		fixed: []string{"执行全市总体管控要求。"},
		pool: []string{
			"推广高效节水灌溉，提高农田灌溉水有效利用系数。",
			"鼓励利用农村可再生能源，推进秸秆综合利用。",
			"严格执行用水定额，控制高耗水项目建设。",
		},
	},
}

// clauseContext carries what the templates refer to.
type clauseContext struct {
	county, park, industries, river, rangeName, reserve string
	redline, chemical                                   bool
}

// makeClauses writes the access-list clauses of one unit: for each of the
// four dimensions 2–4 texts numbered "1-1", "1-2", …
func makeClauses(category int, park bool, ctx clauseContext, r *rand.Rand) map[string][]string {
	pools := &generalClauses
	switch {
	case category == catPriority:
		pools = &priorityClauses
	case category == catKey && park:
		pools = &parkClauses
	case category == catKey:
		pools = &urbanClauses
	}
	repl := strings.NewReplacer(
		"{县}", ctx.county, "{园区}", ctx.park, "{产业}", ctx.industries,
		"{河}", ctx.river, "{山}", ctx.rangeName, "{保护区}", ctx.reserve,
		"{回用率}", fmt.Sprint(75+5*r.IntN(4)),
	)
	special := map[string]string{
		"{红线条款}":  "本单元生态保护红线内，除国家规定的有限人为活动外，严格禁止开发性、生产性建设活动。",
		"{保护区条款}": "{保护区}核心保护区内原则上禁止人为活动，一般控制区内限制人为活动。",
		"{化工布局}":  "园区化工项目应当布局在化工集中区内，与长江干流及主要支流岸线保持一公里以上距离。",
		"{化工排放}":  "化工、医药企业特征污染物排放执行特别排放限值，重点企业安装自动监测设备并联网。",
		"{化工风险}":  "建立园区有毒有害气体环境风险预警体系，化工企业应当开展环境风险隐患排查治理。",
	}
	if !ctx.redline {
		special["{红线条款}"] = "本单元以一般生态空间为主，原则上按照限制开发区域管理，不得降低生态功能。"
	}
	if ctx.reserve == "" {
		special["{保护区条款}"] = ""
	}
	if !ctx.chemical {
		special["{化工布局}"], special["{化工排放}"], special["{化工风险}"] = "", "", ""
	}
	expand := func(t string) string {
		if s, ok := special[t]; ok {
			t = s
		}
		return repl.Replace(t)
	}
	out := make(map[string][]string, len(admission.Dimensions))
	for di, dim := range admission.Dimensions {
		p := pools[di]
		var texts []string
		for _, t := range p.fixed {
			if s := expand(t); s != "" {
				texts = append(texts, s)
			}
		}
		var avail []string
		for _, t := range p.pool {
			if s := expand(t); s != "" {
				avail = append(avail, s)
			}
		}
		want := 2 + r.IntN(3) // 2–4 in all
		// Chemical parks always carry their chemical clauses.
		for _, t := range avail {
			if ctx.chemical && strings.Contains(t, "化工") && category == catKey && park && len(texts) < 4 {
				texts = append(texts, t)
			}
		}
		perm := r.Perm(len(avail))
		var pick []int
		for _, i := range perm {
			if len(texts)+len(pick) >= want {
				break
			}
			if !slices.Contains(texts, avail[i]) {
				pick = append(pick, i)
			}
		}
		slices.Sort(pick)
		for _, i := range pick {
			texts = append(texts, avail[i])
		}
		for j := range texts {
			texts[j] = fmt.Sprintf("%d-%d %s", di+1, j+1, texts[j])
		}
		out[dim] = texts
	}
	return out
}
