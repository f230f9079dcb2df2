package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

var updateAccessList = flag.Bool("update-accesslist", false, "rewrite the golden files under testdata/accesslist/")

// accessSheet is a worksheet for accessXLSX: rows from row 1 (a nil row
// is left blank) and merged ranges ("B3:B4").
type accessSheet struct {
	name   string
	rows   [][]any
	merges []string
}

func accessXLSX(t testing.TB, sheets ...accessSheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			require.NoError(t, f.SetSheetName("Sheet1", s.name))
		} else {
			_, err := f.NewSheet(s.name)
			require.NoError(t, err)
		}
		for n, row := range s.rows {
			if row == nil {
				continue
			}
			v := row
			require.NoError(t, f.SetSheetRow(s.name, fmt.Sprintf("A%d", n+1), &v))
		}
		for _, m := range s.merges {
			from, to, _ := strings.Cut(m, ":")
			require.NoError(t, f.MergeCell(s.name, from, to))
		}
	}
	buf, err := f.WriteToBuffer()
	require.NoError(t, err)
	return buf.Bytes()
}

// The workbook in the usual layout: an explanation sheet, the city-wide
// list as rows of 管控维度 + 条款内容 (dimension cells merged), the district
// list and the unit list (title row, two-row header under a merged
// 管控要求), with the problems an agency's file tends to have.
func accessWorkbook(t testing.TB) []byte {
	return accessXLSX(t,
		accessSheet{name: "说明", rows: [][]any{
			{"本工作簿为测试用准入清单，内容虚构。"},
			{"数据来源：无"},
		}},
		accessSheet{name: "全市总体管控要求", rows: [][]any{
			{"重庆市生态环境准入清单（全市总体管控要求）"},
			nil,
			{"序号", "管控维度", "条款编号", "条款内容"},
			{1, "空间布局约束", "1-1", "禁止新建造纸项目。"},
			{2, nil, "1-2", "长江干流及主要支流岸线一公里范围内禁止新建、扩建化工园区和化工项目。"},
			{3, "污染物排放管控", nil, "2-1 严格执行污染物排放标准。\n2-2 鼓励企业开展清洁生产审核。"},
			{4, "环境风险防控", nil, "（1）加强环境风险应急预案管理；（2）严格控制新建铅蓄电池项目。"},
			{5, "资源开发效率要求", "4-1", "工业用水重复利用率不得低于90%。"},
			{6, "生态保护", nil, "加强生态保护。"},
		}, merges: []string{"B4:B5"}},
		accessSheet{name: "区县准入清单", rows: [][]any{
			{"区县代码", "区县名称", "空间布局约束（KJBJYS）", "污染物排放管控（PWWPFGK）", "环境风险防控（HJFXFK）", "资源利用效率（ZYKFXLYQ）", "联系人"},
			{500103, "渝中区", "①禁止新建工业项目。②严格控制餐饮服务业油烟排放。", nil, "无", "一、推进节水型社会建设。\n二、鼓励使用再生水。", "张三"},
			{"50010", "错误区", "禁止甲。", "乙", "丙", "丁"},
			{nil, "大渡口区", "1.禁止新建印染项目。\n2.限制新建炼钢项目。", "应当落实排放总量控制要求。", "严禁在集中式饮用水水源地上游新建涉重金属项目。", "/"},
			{nil, "未知区", "禁止甲。", nil, nil, nil},
		}},
		accessSheet{name: "环境管控单元准入清单", rows: [][]any{
			{"附表3 环境管控单元生态环境准入清单"},
			{"序号", "环境管控单元编码", "环境管控单元名称", "管控单元类别", "管控要求"},
			{nil, nil, nil, nil, "空间布局约束", "污染物排放管控", "环境风险防控", "资源开发效率要求"},
			{1, "ZH50010320001", "渝中区重点管控单元1", "重点管控单元",
				"1-1 禁止新建造纸项目。\n1-2．严格控制新建水泥项目。\n1-3、禁止下列行为：（1）新建燃煤锅炉；（2）露天焚烧垃圾。",
				"2-1 餐饮服务单位应当安装油烟净化设施。", "3-1 新建加油站应当同步建设油气回收设施。", "4-1 执行全市总体管控要求。"},
			{2, "ZH50010320001", "渝中区重点管控单元1", "重点管控单元",
				"1-1 禁止新建造纸项目。\n1-2．严格控制新建水泥项目。\n1-3、禁止下列行为：（1）新建燃煤锅炉；（2）露天焚烧垃圾。",
				"2-1 餐饮服务单位应当安装油烟净化设施。", "3-1 新建加油站应当同步建设油气回收设施。", "4-1 执行全市总体管控要求。"},
			{3, "ZH50010310001", "渝中区优先保护单元1", "重点管控单元",
				"1.本单元内禁止新建、扩建工业项目和矿产资源开发项目。\n2.鼓励发展生态旅游。", nil, nil, nil},
			{4, "zh 50010330001", "渝中区一般管控单元1", "一般管控单元",
				"1-1 本单元内禁止新建下列项目：\n1-2 严禁新建炼焦项目。", "执行全市总体管控要求和渝中区总体管控要求。",
				"严格控制在耕地集中区域新建、扩建有色金属冶炼、电镀等行业企业。", "推广高效节水灌溉。"},
			{5, "ZH5001032001", "短码单元", "重点管控单元", "禁止甲。", "乙", "丙", "丁"},
			{6, "ZH50010320001", "渝中区重点管控单元1", "重点管控单元", "1-1 不得新建制革项目。\n1-4 禁止新建农药制造项目。", nil, nil, nil},
		}, merges: []string{"E2:H2"}},
	)
}

// accessDistricts maps the names of the workbook's districts without a
// code column.
var accessDistricts = map[string]string{"大渡口区": "500104"}

// A unit list saved as CSV in GBK, the way Excel on Chinese Windows saves
// it, with the field names of a deployed unit layer.
const accessUnitCSV = "HJZHGKDYBM,HJZHGKDYMC,ZHGKDYFL,KJBJYS,PWWPFGK,HJFXFK,ZYKFXLYQ\n" +
	"ZH50010320001,渝中区重点管控单元1,2,\"1-1禁止新建造纸项目。1-2严格控制新建水泥项目。\",\"2-1．餐饮服务单位应当安装油烟净化设施。\",,\n" +
	"ZH50010310001,渝中区优先保护单元1,1,\"本单元内禁止新建、\n扩建工业项目。\",,\"(1)加强森林火灾监测预警；(2)严禁新建危险化学品仓储项目。\",\n"

// A city-wide list as one row of the four dimension columns.
const accessCityCSV = "空间布局约束,污染物排放管控,环境风险防控,资源利用效率\n" +
	"\"1-1 禁止新建制浆造纸项目。\n1-2 原则上不得新建工业项目。\",2-1 严格控制新建农药项目。,3-1 推进危险废物规范化管理。,4-1 鼓励发展循环经济。\n"

func gbkBytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

type accessGolden struct {
	Clauses  []admission.Clause  `json:"clauses"`
	Problems []AccessListProblem `json:"problems"`
}

func checkAccessGolden(t *testing.T, name string, rules admission.Rules, probs []AccessListProblem) {
	t.Helper()
	if probs == nil {
		probs = []AccessListProblem{}
	}
	got, err := json.MarshalIndent(accessGolden{rules.Clauses, probs}, "", "  ")
	require.NoError(t, err)
	file := filepath.Join("testdata", "accesslist", name+".golden.json")
	if *updateAccessList {
		require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
		require.NoError(t, os.WriteFile(file, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "run go test ./data -run AccessList -update-accesslist")
	assert.JSONEq(t, string(want), string(got))
}

func readAccess(t *testing.T, name string, content []byte, opts AccessListOptions) (admission.Rules, []AccessListProblem) {
	t.Helper()
	rules, probs, err := ReadAccessList(name, bytes.NewReader(content), nil, opts)
	require.NoError(t, err)
	return rules, probs
}

func TestReadAccessListGolden(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		content    func(testing.TB) []byte
	}{
		{"workbook", "清单.xlsx", accessWorkbook},
		{"unit_csv_gbk", "单元清单.csv", func(t testing.TB) []byte { return gbkBytes(t, accessUnitCSV) }},
		{"city_csv", "全市总体.csv", func(testing.TB) []byte { return []byte(accessCityCSV) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules, probs := readAccess(t, tc.file, tc.content(t), AccessListOptions{Counties: accessDistricts})
			checkAccessGolden(t, tc.name, rules, probs)
			// Deterministic.
			again, probs2 := readAccess(t, tc.file, tc.content(t), AccessListOptions{Counties: accessDistricts})
			assert.Equal(t, rules, again)
			assert.Equal(t, probs, probs2)
		})
	}
}

func clauseByID(t *testing.T, rules admission.Rules, id string) admission.Clause {
	t.Helper()
	for _, c := range rules.Clauses {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no clause %s", id)
	return admission.Clause{}
}

// The points the golden files are about, spelled out.
func TestReadAccessListWorkbook(t *testing.T) {
	rules, probs := readAccess(t, "清单.xlsx", accessWorkbook(t), AccessListOptions{Counties: accessDistricts})

	city := clauseByID(t, rules, "C-KJ-1-1")
	assert.Equal(t, admission.LevelCity, city.Level)
	assert.Equal(t, admission.Scope{}, city.Scope)
	assert.Equal(t, "禁止新建造纸项目。", city.Text)
	assert.True(t, city.Machine)
	assert.Equal(t, &admission.IndustryFilter{Include: []string{"C221", "C222"}}, city.Industries)
	assert.Equal(t, []string{"新建"}, city.Construction)

	shore := clauseByID(t, rules, "C-KJ-1-2") // dimension from the merged cell above
	assert.Equal(t, "空间布局约束", shore.Dimension)
	assert.Equal(t, admission.EffectProhibit, shore.Effect)
	assert.False(t, shore.Machine, "a distance condition is left to a person")
	assert.Nil(t, shore.Industries)

	assert.Equal(t, admission.EffectEncourage, clauseByID(t, rules, "C-PW-2-2").Effect)
	lead := clauseByID(t, rules, "C-HJ-2")
	assert.Equal(t, admission.EffectRestrict, lead.Effect)
	assert.True(t, lead.Machine)
	assert.Equal(t, []string{"C3843"}, lead.Industries.Include)
	water := clauseByID(t, rules, "C-ZY-4-1")
	assert.Equal(t, "资源利用效率", water.Dimension, "资源开发效率要求 is stored under the canonical name")
	assert.Equal(t, admission.EffectRequire, water.Effect)

	d := clauseByID(t, rules, "D-500103-KJ-1")
	assert.Equal(t, admission.LevelDistrict, d.Level)
	assert.Equal(t, admission.Scope{County: "500103"}, d.Scope)
	assert.Equal(t, "①", d.Number)
	assert.Equal(t, "500104", clauseByID(t, rules, "D-500104-KJ-1").Scope.County, "name looked up in Counties")
	assert.Equal(t, "二", clauseByID(t, rules, "D-500103-ZY-2").Number)

	u := clauseByID(t, rules, "U-ZH50010320001-KJ-1-2")
	assert.Equal(t, admission.Scope{Unit: "ZH50010320001"}, u.Scope)
	assert.Equal(t, "1-2", u.Number)
	assert.Equal(t, "严格控制新建水泥项目。", u.Text)
	assert.Equal(t, []string{"C3011"}, u.Industries.Include)
	sub := clauseByID(t, rules, "U-ZH50010320001-KJ-1-3")
	assert.Equal(t, "禁止下列行为：（1）新建燃煤锅炉；（2）露天焚烧垃圾。", sub.Text, "sub-items stay in their clause")
	assert.False(t, sub.Machine)
	// The second, different row of the same unit: its 1-1 gets _2.
	tan := clauseByID(t, rules, "U-ZH50010320001-KJ-1-1_2")
	assert.Equal(t, []string{"C1910"}, tan.Industries.Include)
	assert.Equal(t, admission.LevelUnit, clauseByID(t, rules, "U-ZH50010330001-KJ-1-2").Level, "lower case and spaces in the code are folded")

	ids := map[string]bool{}
	for _, c := range rules.Clauses {
		assert.False(t, ids[c.ID], "id %s twice", c.ID)
		ids[c.ID] = true
		if c.Machine {
			assert.Contains(t, []string{admission.EffectProhibit, admission.EffectRestrict}, c.Effect, c.ID)
			assert.NotNil(t, c.Industries, c.ID)
		} else {
			assert.Nil(t, c.Industries, c.ID)
			assert.Nil(t, c.Construction, c.ID)
		}
	}

	codes := map[string][]string{}
	for _, p := range probs {
		codes[p.Code] = append(codes[p.Code], p.String())
	}
	for code, want := range map[string][]string{
		AccessListSkippedSheet:    {"工作表「说明」：未识别为准入清单"},
		AccessListBadDimension:    {"工作表「全市总体管控要求」第 9 行「管控维度」列：管控维度“生态保护”无法识别"},
		AccessListUnknownColumn:   {"工作表「区县准入清单」第 1 行「联系人」列：未识别的列"},
		AccessListEmptyCell:       {"工作表「区县准入清单」第 2 行「污染物排放管控（PWWPFGK）」列：单元格为空"},
		AccessListBadCountyCode:   {"第 3 行「区县代码」列：区县代码“50010”不是 6 位数字", "第 5 行「区县名称」列：区县“未知区”没有区县代码"},
		AccessListDuplicateUnit:   {"第 5 行：单元 ZH50010320001 已在第 4 行出现，内容相同，本行已忽略", "第 9 行：单元 ZH50010320001 已在第 4 行出现，内容不同"},
		AccessListCategory:        {"第 6 行「管控单元类别」列：单元类别“重点管控单元”与编码 ZH50010310001 的类别位 1 不符"},
		AccessListBadUnitCode:     {"第 8 行「环境管控单元编码」列：环境管控单元编码“ZH5001032001”不是 13 位编码"},
		AccessListHeadingItem:     {"第 7 行「空间布局约束」列：条款“本单元内禁止新建下列项目：”以冒号结尾"},
		AccessListDuplicateNumber: {"第 9 行「空间布局约束」列：编号 1-1 在同一单元的本维度中重复出现"},
	} {
		for _, w := range want {
			found := false
			for _, got := range codes[code] {
				found = found || strings.Contains(got, w)
			}
			assert.True(t, found, "%s: want %q in %q", code, w, codes[code])
		}
	}
}

// accessFixture is a dataset the test lists apply to: two districts and
// the three units of 渝中区 named in them.
//
//	29.57 +--------+--------+--------+--------+
//	      | 优先1  | 重点1  | 一般1  | 500104 |
//	29.55 +--------+--------+--------+--------+
//	    106.55  106.56   106.57   106.58   106.59
//	      \_________ 500103 ________/
func accessFixture() []admission.Layer {
	sq := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	return []admission.Layer{
		{ID: admission.LayerDistricts, Title: "区县", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "500103", Name: "渝中区", Category: "区", Geometry: sq(106.55, 29.55, 106.58, 29.57)},
			{ID: "500104", Name: "大渡口区", Category: "区", Geometry: sq(106.58, 29.55, 106.59, 29.57)},
		}},
		{ID: admission.LayerControlUnits, Title: "环境管控单元", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "ZH50010310001", Name: "渝中区优先保护单元1", Category: admission.CategoryPriority, Geometry: sq(106.55, 29.55, 106.56, 29.57)},
			{ID: "ZH50010320001", Name: "渝中区重点管控单元1", Category: admission.CategoryKey, Geometry: sq(106.56, 29.55, 106.57, 29.57)},
			{ID: "ZH50010330001", Name: "渝中区一般管控单元1", Category: admission.CategoryGeneral, Geometry: sq(106.57, 29.55, 106.58, 29.57)},
		}},
	}
}

// The imported rules pass the dataset's validation and decide: a new
// paper mill in the key unit is prohibited by the machine-readable clause.
func TestReadAccessListRulesValidate(t *testing.T) {
	for _, tc := range []struct {
		file    string
		content []byte
	}{
		{"清单.xlsx", accessWorkbook(t)},
		{"单元清单.csv", gbkBytes(t, accessUnitCSV)},
		{"全市总体.csv", []byte(accessCityCSV)},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rules, _ := readAccess(t, tc.file, tc.content, AccessListOptions{Counties: accessDistricts})
			d, err := admission.NewDataset(admission.Info{Name: "测试", Version: "1", CRS: "EPSG:4490"}, accessFixture(), admission.Options{Rules: rules})
			require.NoError(t, err)
			res, err := d.Check(context.Background(), admission.CheckRequest{
				Geometry: orb.Point{106.565, 29.56},
				Project:  admission.Project{Industry: "C2221", Construction: "新建"},
			})
			require.NoError(t, err)
			require.NotNil(t, res.Assessment)
			assert.Equal(t, admission.VerdictProhibited, res.Assessment.Verdict)
		})
	}
}

func accessErrCode(t *testing.T, err error) string {
	t.Helper()
	var le *ListError
	require.True(t, errors.As(err, &le), "%v is not a *ListError", err)
	return le.Code
}

func TestReadAccessListFileErrors(t *testing.T) {
	unitOnlyHeader := accessXLSX(t, accessSheet{name: "单元", rows: [][]any{{"单元编码", "空间布局约束"}, {"ZH50010320001", nil}}})
	noScope := accessXLSX(t, accessSheet{name: "环境管控单元清单", rows: [][]any{{"单元名称", "空间布局约束"}, {"某单元", "禁止甲。"}}})
	var big strings.Builder
	big.WriteString("单元编码,空间布局约束\n")
	for big.Len() < 4096 {
		big.WriteString("ZH50010320001,禁止新建造纸项目。\n")
	}
	for _, tc := range []struct {
		name, file string
		content    []byte
		opts       AccessListOptions
		code       string
	}{
		{"xls", "清单.xls", []byte("\xd0\xcf\x11\xe0"), AccessListOptions{}, CodeUnsupportedList},
		{"pdf", "清单.pdf", []byte("%PDF"), AccessListOptions{}, CodeUnsupportedList},
		{"no extension", "清单", []byte("x"), AccessListOptions{}, CodeUnsupportedList},
		{"not a zip", "清单.xlsx", []byte("this is not a workbook"), AccessListOptions{}, CodeCorruptList},
		{"xls renamed", "清单.xlsx", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), AccessListOptions{}, CodeUnsupportedList},
		{"empty xlsx", "清单.xlsx", nil, AccessListOptions{}, CodeEmptyList},
		{"xlsx given as csv", "清单.csv", accessWorkbook(t), AccessListOptions{}, CodeUnsupportedList},
		{"no list sheet", "清单.xlsx", accessXLSX(t, accessSheet{name: "说明", rows: [][]any{{"说明文字"}}}), AccessListOptions{}, CodeNoAccessList},
		{"unit sheet without its code column", "清单.xlsx", noScope, AccessListOptions{}, CodeNoAccessList},
		{"no clause", "清单.xlsx", unitOnlyHeader, AccessListOptions{}, CodeEmptyList},
		{"too many rows", "清单.xlsx", accessWorkbook(t), AccessListOptions{MaxRows: 5}, CodeTooManyRows},
		{"xlsx too large", "清单.xlsx", accessWorkbook(t), AccessListOptions{MaxBytes: 2000}, CodeListTooLarge},
		{"csv too large", "清单.csv", []byte(big.String()), AccessListOptions{MaxBytes: 1024}, CodeListTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules, probs, err := ReadAccessList(tc.file, bytes.NewReader(tc.content), nil, tc.opts)
			require.Error(t, err)
			assert.Equal(t, tc.code, accessErrCode(t, err), "%v", err)
			assert.Empty(t, rules.Clauses)
			assert.Empty(t, probs)
		})
	}
}

func TestReadAccessListRemovesTempFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	_, _ = readAccess(t, "清单.xlsx", accessWorkbook(t), AccessListOptions{})
	_, _, err := ReadAccessList("清单.xlsx", bytes.NewReader([]byte("broken")), nil, AccessListOptions{})
	require.Error(t, err)
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left)
}

func TestReadAccessListProblemsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("单元编码,空间布局约束,污染物排放管控\n")
	b.WriteString("ZH50010320001,禁止新建造纸项目。,应当甲。\n")
	for i := 0; i < 1200; i++ {
		fmt.Fprintf(&b, "ZH5001032%04d,,\n", i+2)
	}
	rules, probs := readAccess(t, "单元.csv", []byte(b.String()), AccessListOptions{})
	assert.Len(t, rules.Clauses, 2)
	require.Len(t, probs, maxAccessListProblems+1)
	last := probs[len(probs)-1]
	assert.Equal(t, AccessListTooManyProblems, last.Code)
	assert.Equal(t, "另有 1400 个问题未列出。", last.Message)
}

func TestAccessListProblemString(t *testing.T) {
	p := AccessListProblem{Sheet: "单元", Row: 3, Column: "空间布局约束", Code: AccessListEmptyCell, Message: "单元格为空。"}
	assert.Equal(t, "工作表「单元」第 3 行「空间布局约束」列：单元格为空。", p.String())
	assert.Equal(t, "单元格为空。", AccessListProblem{Message: "单元格为空。"}.String())
}

// FuzzReadAccessListCSV reads arbitrary bytes as a CSV access list: it
// never panics, fails only with a *ListError, and what it returns has
// unique ids, a canonical dimension, a level with its scope and text.
func FuzzReadAccessListCSV(f *testing.F) {
	for _, s := range []string{
		accessUnitCSV,
		accessCityCSV,
		"区县代码,区县名称,空间布局约束\n500103,渝中区,①禁止甲。②限制乙。\n",
		"管控维度,条款内容\n空间布局约束,1-1 禁止新建造纸项目。\n,1-2 限制乙\n生态,x\n",
		"单元编码,KJBJYS\nZH50010320001,\"1.禁止甲\n1.重复\"\nZH50010320001,x\n",
		"",
	} {
		f.Add([]byte(s))
	}
	ind := testIndustries(f)
	f.Fuzz(func(t *testing.T, content []byte) {
		defer fuzzkit.Guard(t)()
		rules, probs, err := ReadAccessList("fuzz.csv", bytes.NewReader(content), ind, AccessListOptions{MaxRows: 50, MaxBytes: 1 << 16})
		if err != nil {
			var le *ListError
			if !errors.As(err, &le) {
				t.Fatalf("%v is not a *ListError", err)
			}
			return
		}
		if len(probs) > maxAccessListProblems+1 {
			t.Fatalf("%d problems", len(probs))
		}
		requireAccessRules(t, rules)
	})
}
