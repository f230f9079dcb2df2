package data

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

func items(pairs ...string) []ClauseItem {
	var out []ClauseItem
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, ClauseItem{Number: pairs[i], Text: pairs[i+1]})
	}
	return out
}

func TestSplitClauses(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []ClauseItem
	}{
		{"dash with space", "1-1 禁止甲。\n1-2 限制乙。", items("1-1", "禁止甲。", "1-2", "限制乙。")},
		{"dash with full stop", "1-1．禁止甲。\n1-2．限制乙。", items("1-1", "禁止甲。", "1-2", "限制乙。")},
		{"dash full-width digits", "１－１．禁止甲\n１－２\u3000限制乙", items("1-1", "禁止甲", "1-2", "限制乙")},
		{"dash em and en", "2—1禁止甲\n2–2限制乙", items("2-1", "禁止甲", "2-2", "限制乙")},
		{"dash three parts", "1-1-1 禁止甲\n1-1-2 限制乙", items("1-1-1", "禁止甲", "1-1-2", "限制乙")},
		{"dash inline after sentence end", "1-1禁止甲。1-2限制乙；1-3应当丙", items("1-1", "禁止甲。", "1-2", "限制乙；", "1-3", "应当丙")},
		{"dotted at line starts", "1.1 禁止甲\n1.2 限制乙", items("1.1", "禁止甲", "1.2", "限制乙")},
		{"arabic dot", "1.禁止甲。\n2.限制乙。", items("1", "禁止甲。", "2", "限制乙。")},
		{"arabic full-width dot", "1．禁止甲。2．限制乙。", items("1", "禁止甲。", "2", "限制乙。")},
		{"arabic 、", "1、禁止甲；2、限制乙；", items("1", "禁止甲；", "2", "限制乙；")},
		{"arabic )", "1）禁止甲\n2)限制乙", items("1", "禁止甲", "2", "限制乙")},
		{"arabic ⒈", "⒈禁止甲。⒉限制乙。", items("⒈", "禁止甲。", "⒉", "限制乙。")},
		{"paren", "(1)禁止甲；(2)限制乙", items("1", "禁止甲；", "2", "限制乙")},
		{"paren full-width", "（1）禁止甲；（2）限制乙", items("1", "禁止甲；", "2", "限制乙")},
		{"paren ⑴", "⑴禁止甲\n⑵限制乙", items("⑴", "禁止甲", "⑵", "限制乙")},
		{"circled", "①禁止甲。②限制乙。", items("①", "禁止甲。", "②", "限制乙。")},
		{"chinese", "一、禁止甲。\n二、限制乙。\n十一、鼓励丙。", items("一", "禁止甲。", "二", "限制乙。", "十一", "鼓励丙。")},
		{"chinese in parens", "（一）禁止甲；（二）限制乙", items("一", "禁止甲；", "二", "限制乙")},
		{"chinese 一般 is text", "一、一般管控单元执行总体要求。", items("一", "一般管控单元执行总体要求。")},
		{"sub-items stay in their item", "1-1 禁止下列行为：（1）甲；（2）乙。\n1-2 限制丙。",
			items("1-1", "禁止下列行为：（1）甲；（2）乙。", "1-2", "限制丙。")},
		{"sub-items on lines stay in their item", "1. 禁止下列行为：\n（1）甲；\n（2）乙。\n2. 限制丙。",
			items("1", "禁止下列行为：\n（1）甲；\n（2）乙。", "2", "限制丙。")},
		{"inline sub-list is one item", "禁止下列行为：（1）甲；（2）乙。", items("", "禁止下列行为：（1）甲；（2）乙。")},
		{"colon lead-in keeps the cell whole", "禁止下列行为：\n（1）甲；\n（2）乙。", items("", "禁止下列行为：\n（1）甲；\n（2）乙。")},
		{"unnumbered lead sentence", "执行全市总体管控要求。\n1-1 禁止甲\n1-2 限制乙", items("", "执行全市总体管控要求。", "1-1", "禁止甲", "1-2", "限制乙")},
		{"inline numbering starts at 1", "执行全市总体管控要求。1.禁止甲。2.限制乙。", items("", "执行全市总体管控要求。", "1", "禁止甲。", "2", "限制乙。")},
		{"inline sequence must continue", "1.禁止甲。3.限制乙。", items("1", "禁止甲。3.限制乙。")},
		{"chinese headings over arabic items", "一、禁止类\n1. 禁止甲\n2. 禁止乙\n二、限制类\n1. 限制丙",
			items("一", "禁止类\n1. 禁止甲\n2. 禁止乙", "二", "限制类\n1. 限制丙")},
		{"repeated number kept", "2-1禁止甲\n2-2限制乙\n2-2应当丙", items("2-1", "禁止甲", "2-2", "限制乙", "2-2", "应当丙")},
		{"unnumbered one line", "禁止甲。限制乙。", items("", "禁止甲。限制乙。")},
		{"unnumbered lines after sentence ends", "禁止甲。\n限制乙。", items("", "禁止甲。", "", "限制乙。")},
		{"hand-wrapped line stays whole", "禁止新建、\n扩建化工项目。", items("", "禁止新建、\n扩建化工项目。")},
		{"CRLF", "1-1 禁止甲\r\n1-2 限制乙\r", items("1-1", "禁止甲", "1-2", "限制乙")},
		{"trimmed", " \u3000 1-1  禁止甲 \n\n  1-2 限制乙\t ", items("1-1", "禁止甲", "1-2", "限制乙")},
		{"number without text", "1-1\n1-2 限制乙", items("1-1", "", "1-2", "限制乙")},
		{"grade list is not numbering", "一、二级保护区内禁止甲。", items("", "一、二级保护区内禁止甲。")},
		{"decimal distance is not numbering", "1.5公里范围内禁止甲。", items("", "1.5公里范围内禁止甲。")},
		{"range is not numbering", "10-15公里范围内限制乙。", items("", "10-15公里范围内限制乙。")},
		{"quantities are not numbering", "回用率不低于60%。3、5 号机组除外", items("", "回用率不低于60%。3、5 号机组除外")},
		{"year is not numbering", "2025年前完成整治。", items("", "2025年前完成整治。")},
		{"blank", " \n\t ", nil},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitClauses(tc.in)
			assert.Equal(t, tc.want, got, "got %q", got)
			assertNothingLost(t, tc.in, got)
		})
	}
}

// significant keeps the runes SplitClauses must not drop: not white space,
// punctuation or a format character; full-width ASCII folded.
func significant(s string) []rune {
	var out []rune
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		out = append(out, r)
	}
	return out
}

func assertNothingLost(t testing.TB, in string, got []ClauseItem) {
	t.Helper()
	var b strings.Builder
	for _, it := range got {
		b.WriteString(it.Number + it.Text)
	}
	want, have := string(significant(in)), string(significant(b.String()))
	if want != have {
		t.Fatalf("text lost or changed:\n in  %q\n out %q\n items %q", want, have, got)
	}
}

// FuzzSplitClauses: SplitClauses never panics; the items' numbers and
// texts, in order, hold exactly the input's runes other than white space,
// punctuation and format characters (full-width ASCII folded); texts are
// trimmed; no item is empty in both number and text; a blank input has
// no items and an input with no line break and no numbering is one item.
func FuzzSplitClauses(f *testing.F) {
	for _, s := range []string{
		"1-1 禁止新建化工项目。\n1-2．严格控制造纸项目。",
		"１－１．禁止甲\n１－２　限制乙",
		"1.禁止甲。2.限制乙。3、应当丙",
		"（1）禁止甲；（2）限制乙",
		"禁止下列行为：\n（1）甲；\n（2）乙。",
		"①禁止甲。②限制乙。㉑丙",
		"一、禁止类\n1. 禁止甲\n二、限制类\n十一、丙",
		"1.1 禁止甲\n1.2 限制乙\n1.5公里",
		"⑴甲\r\n⑵乙\r⒈丙",
		"执行全市总体管控要求。1.禁止甲。2.限制乙。",
		"\xff1-1\xfe禁止",
		"1-1",
		"",
	} {
		f.Add(s)
	}
	ind := testIndustries(f)
	f.Fuzz(func(t *testing.T, in string) {
		defer fuzzkit.Guard(t)()
		got := SplitClauses(in)
		assertNothingLost(t, in, got)
		for _, it := range got {
			if it.Number == "" && it.Text == "" {
				t.Fatalf("empty item in %q", got)
			}
			if it.Text != strings.TrimFunc(it.Text, isClauseTrim) {
				t.Fatalf("untrimmed text %q", it.Text)
			}
			// The readers of an item never panic, and only a sure
			// prohibition or restriction is machine-readable.
			effect := ClassifyEffect(it.Text)
			if _, ok := clauseEffectRank[effect]; !ok {
				t.Fatalf("effect %q", effect)
			}
			if f, _, ok := machineClause(it.Text, effect, ind); ok {
				if effect != admission.EffectProhibit && effect != admission.EffectRestrict || f == nil || len(f.Include) == 0 {
					t.Fatalf("machine clause %q: %s %v", it.Text, effect, f)
				}
				for _, c := range f.Include {
					if _, ok := ind.Lookup(c); !ok {
						t.Fatalf("machine clause %q: unknown code %s", it.Text, c)
					}
				}
			}
		}
		if strings.TrimFunc(clauseBreaks(in), isClauseTrim) == "" {
			if got != nil {
				t.Fatalf("blank input gave %q", got)
			}
			return
		}
		if !strings.ContainsAny(in, "\n\r\u2028\u2029") && len(got) == 1 && got[0].Number == "" && utf8.ValidString(in) {
			if got[0].Text != strings.TrimFunc(in, isClauseTrim) {
				t.Fatalf("one-line unnumbered input changed: %q", got[0].Text)
			}
		}
	})
}

func TestClauseClassifyEffect(t *testing.T) {
	const (
		P = admission.EffectProhibit
		R = admission.EffectRestrict
		Q = admission.EffectRequire
		E = admission.EffectEncourage
		I = admission.EffectInfo
	)
	for _, tc := range []struct{ in, want string }{
		{"禁止新建化工项目。", P},
		{"严禁在本单元内新建危险废物填埋场。", P},
		{"严格禁止围湖造田。", P},
		{"区域内不得新设工业排污口。", P},
		{"对不符合要求的项目不予审批。", P},
		{"不允许新建燃煤锅炉。", P},
		{"禁止新建化工项目，鼓励发展生态旅游。", P},
		{"鼓励发展生态旅游，禁止新建化工项目。", P},
		{"严格控制旅游开发强度。", R},
		{"从严控制高耗水项目。", R},
		{"限制大规模、高强度的工业化开发。", R},
		{"原则上不得新建工业项目。", R},
		{"原则上不再新增工业用地。", R},
		{"控制畜禽养殖规模。", R},
		{"合理控制开发建设强度，应当同步实施生态修复。", R},
		{"实行区域限批。", R},
		{"不宜布局大型工业项目。", R},
		{"应当安装油烟净化设施。", Q},
		{"新建项目须配套建设污水处理设施。", Q},
		{"企业必须落实风险防范措施。", Q},
		{"新建项目应符合园区规划。", Q},
		{"工业用水重复利用率不得低于90%。", Q},
		{"排放浓度不得超过排放标准。", Q},
		{"执行全市总体管控要求。", Q},
		{"严格执行污染物排放标准。", Q},
		{"加强森林火灾监测预警。", Q},
		{"推进雨污分流改造。", Q},
		{"鼓励秸秆综合利用。", E},
		{"引导工业项目向园区集聚。", E},
		{"支持发展新能源产业。", E},
		{"优先发展绿色建筑。", E},
		{"推广高效节水灌溉。", E},
		{"本单元为城镇开发边界内区域。", I},
		{"环境风险应急预案。", I},
		{"相应设施。", I},
		{"本单元属于优先保护单元。", I},
		{"不限制现有居民生活。", I},
		{"无须审批的项目。", I},
		{"", I},
		// Found by FuzzSplitClauses: an invalid byte after 控制 made the
		// scale window run past the end of the text (a panic).
		{"控制\xe7", I},
		{"控制\xff规模", R},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, ClassifyEffect(tc.in), "ClassifyEffect(%q)", tc.in)
		})
	}
}

func testIndustries(t testing.TB) *admission.Industries {
	t.Helper()
	ind, err := admission.NewIndustries()
	require.NoError(t, err)
	return ind
}

// Every code of the keyword table exists in GB/T 4754-2017, no word is
// listed twice, and every sure word is found by DetectIndustries on its
// own.
func TestClauseIndustryKeywordTable(t *testing.T) {
	ind := testIndustries(t)
	seen := map[string]bool{}
	for _, kw := range industryKeywords {
		assert.NotEmpty(t, kw.why, "%v", kw.words)
		for _, c := range kw.codes {
			it, ok := ind.Lookup(c)
			if assert.True(t, ok, "%s (%v) not in GB/T 4754-2017", c, kw.words) {
				assert.Equal(t, c, it.Code, "code %s not canonical", c)
			}
		}
		for _, w := range kw.words {
			assert.False(t, seen[w], "word %s listed twice", w)
			seen[w] = true
			f, ok := DetectIndustries("禁止新建"+w+"项目", ind)
			if kw.codes == nil {
				assert.False(t, ok, "unsure word %s detected as %v", w, f)
				continue
			}
			if assert.True(t, ok, "sure word %s not detected", w) {
				assert.Equal(t, kw.codes, f.Include, w)
			}
		}
	}
}

func TestClauseDetectIndustries(t *testing.T) {
	ind := testIndustries(t)
	for _, tc := range []struct {
		name, in string
		want     []string // nil: ok is false
	}{
		{"paper", "禁止新建造纸项目。", []string{"C221", "C222"}},
		{"pulp and paper with dyeing", "严格控制新建制浆造纸、印染和制革企业。", []string{"C221", "C222", "C1713", "C1723", "C1733", "C1743", "C1752", "C1762", "C1910"}},
		{"cement", "禁止新建水泥项目", []string{"C3011"}},
		{"iron and steel making by name", "限制炼铁、炼钢产能", nil}, // 产能 is not a suffix
		{"steel making", "限制新建炼铁、炼钢项目", []string{"C311", "C312"}},
		{"official name", "禁止新建化学原料和化学制品制造业项目", []string{"C26"}},
		{"lead batteries", "禁止新建铅蓄电池生产企业", []string{"C3843"}},
		{"repeat once", "禁止新建造纸项目，现有造纸企业应当搬迁。", []string{"C221", "C222"}},
		{"encourage", "鼓励发展陶瓷产业", []string{"C307"}},

		{"chemical is unsure", "禁止新建化工项目", nil},
		{"sure and unsure", "禁止新建化工、造纸项目", nil},
		{"steel is unsure", "禁止新建钢铁项目", nil},
		{"electroplating is unsure", "禁止新建电镀项目", nil},
		{"clinker is unsure", "禁止新建水泥熟料项目", nil},
		{"small hydro is unsure", "禁止新建小水电", nil},
		{"livestock is unsure", "禁止新建规模化畜禽养殖场", nil},
		{"heavy polluters", "严格控制重污染项目", nil},
		{"cement products are another class", "禁止新建水泥制品项目", nil},
		{"paper machinery is another class", "鼓励造纸专用设备制造", nil},
		{"chemical park is a place", "禁止在化工园区外新建造纸项目", nil},
		{"negation", "本单元只允许非造纸项目", nil},
		{"exception", "禁止新建造纸项目（废纸造纸除外）", nil},
		{"except clause", "除造纸外，禁止新建工业项目", nil},
		{"refractory ceramics", "禁止新建耐火陶瓷项目", nil},
		{"nothing named", "禁止在本单元内新建工业项目", nil},
		{"empty", "", nil},
		{"removal is not an exception", "拆除现有造纸企业", []string{"C221", "C222"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := DetectIndustries(tc.in, ind)
			if tc.want == nil {
				assert.False(t, ok, "got %v", f)
				assert.Nil(t, f)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, f.Include)
			assert.Empty(t, f.Exclude)
		})
	}
	_, ok := DetectIndustries("禁止新建造纸项目", nil)
	assert.False(t, ok, "nil table")
}

func TestMachineClause(t *testing.T) {
	ind := testIndustries(t)
	for _, tc := range []struct {
		name, in     string
		codes, types []string
		ok           bool
	}{
		{"prohibit new", "禁止新建造纸项目。", []string{"C221", "C222"}, []string{"新建"}, true},
		{"scope and two types", "本单元内禁止新建、扩建印染和制革项目。", append(append([]string{}, clauseDyeingClasses...), "C1910"), []string{"新建", "扩建"}, true},
		{"restrict", "严格控制新建水泥项目", []string{"C3011"}, []string{"新建"}, true},
		{"改扩建", "严禁改扩建炼焦项目", []string{"C2521"}, []string{"改建", "扩建"}, true},
		{"建设 means every type", "禁止建设造纸厂", []string{"C221", "C222"}, nil, true},
		{"no construction word", "禁止农药制造", []string{"C263"}, nil, true},
		{"suffix per industry", "不得新建炼铁项目和炼钢项目；", []string{"C311", "C312"}, []string{"新建"}, true},

		{"等 may go further", "禁止新建造纸、制革等项目", nil, nil, false},
		{"second sentence", "禁止新建造纸项目，现有企业应当搬迁。", nil, nil, false},
		{"place", "长江岸线一公里范围内禁止新建造纸项目", nil, nil, false},
		{"size", "禁止新建年产10万吨以下造纸项目", nil, nil, false},
		{"condition", "禁止新建不符合规划的造纸项目", nil, nil, false},
		{"unsure industry", "禁止新建化工、造纸项目", nil, nil, false},
		{"unknown industry", "禁止新建造纸、玩具项目", nil, nil, false},
		{"require is not judged", "造纸项目应当进入园区", nil, nil, false},
		{"encourage is not judged", "鼓励发展陶瓷产业", nil, nil, false},
		{"原则上", "原则上不得新建造纸项目", nil, nil, false},
		{"two construction shapes", "禁止新建和建设造纸项目", nil, nil, false},
		{"no industry", "禁止新建工业项目", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, types, ok := machineClause(tc.in, ClassifyEffect(tc.in), ind)
			require.Equal(t, tc.ok, ok)
			if !ok {
				assert.Nil(t, f)
				return
			}
			assert.Equal(t, tc.codes, f.Include)
			assert.Equal(t, tc.types, types)
		})
	}
	// The effect given must be the verb's.
	_, _, ok := machineClause("禁止新建造纸项目", admission.EffectRestrict, ind)
	assert.False(t, ok)
}
