package data

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/report"
)

// batchOutJobID is a job id as the batch store makes them (24 hex
// digits), so that rows get report ids.
const batchOutJobID = "0a1b2c3d4e5f60718293a4b5"

var updateBatchOut = flag.Bool("update", false, "rewrite the batchOutGolden files under testdata/batchout/")

func batchOutShare(f float64) *float64 { return &f }

// batchOutFixture is a job of 11 rows, one per case: every outcome, a
// polygon over two units and two districts with red-line overlap, a line
// crossing the red line, an error row whose column maps to a header (and
// one whose column is the site), a row not done yet, a row with two cells
// past the header and one with fewer cells than the header.
//
//	seq  outcome       site                       red line
//	 0   prohibited    point                      inside
//	 1   insufficient  point, water source 320 m  —
//	 2   restricted    polygon, 2 units/districts 1.23 ha (12.5%)
//	 3   review        line                       850 m (42%)
//	 4   compatible    point, nothing within 5 km —
//	 5   none          point outside the data     — (fewer cells)
//	 6   error         lon unreadable → 「经度」
//	 7   (not done)    point
//	 8   review        tiny polygon               56 m²  (two extra cells)
//	 9   error         site invalid (no column name)
//	10   compatible    point, in the water source (distance 0)
func batchOutFixture() (batch.Job, []batch.Row, []*batch.Result, []batch.Clause) {
	const ds = "chongqing@2024.1"
	job := batch.Job{
		ID:       batchOutJobID,
		Name:     "2025年一季度重点项目",
		FileName: "项目清单.xlsx",
		Status:   batch.StatusRunning,
		Total:    11,
		Done:     10,
		Header: batch.Header{
			Columns: []string{"项目名称", "经度", "纬度", "行业代码"},
			Roles:   map[string]int{"name": 0, "lon": 1, "lat": 2, "industry": 3},
			Sheet:   "Sheet1",
		},
		CreatedAt: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC),
		Dataset:   ds,
	}
	square := func(x, y, d float64) orb.Polygon {
		return orb.Polygon{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}
	}
	rows := []batch.Row{
		{Cells: []string{"化工厂扩建", "106.55", "29.56", "C2614"}, Geometry: orb.Point{106.55, 29.56}},
		{Cells: []string{"仓储物流中心", "106.58", "29.60", "G5960"}, Geometry: orb.Point{106.58, 29.6}},
		{Cells: []string{"产业园区", "", "", "C3011"}, Geometry: square(106.6, 29.6, 0.01)},
		{Cells: []string{"输水管线", "", "", "D4610"}, Geometry: orb.LineString{{106.5, 29.5}, {106.52, 29.51}}},
		{Cells: []string{"便利店", "106.56", "29.55", "F5211"}, Geometry: orb.Point{106.56, 29.55}},
		{Cells: []string{"远郊农场", "108.9", "28.1"}, Geometry: orb.Point{108.9, 28.1}},
		{Cells: []string{"数据中心", "abc", "29.5", "I6531"}, Error: &batch.RowError{Code: batch.ErrCodeBadCoordinates, Column: "lon", Message: "第 8 行：经度 \"abc\" 不是数字。"}},
		{Cells: []string{"待建项目", "106.57", "29.57", "E4710"}, Geometry: orb.Point{106.57, 29.57}},
		{Cells: []string{"带备注的项目", "", "", "C1340", "备注甲", "备注,乙"}, Geometry: square(106.61, 29.61, 0.0001)},
		{Cells: []string{"无效地块", "", "", "C1340"}, Error: &batch.RowError{Code: batch.ErrCodeInvalidSite, Column: "site", Message: "第 11 行：项目位置无效：多边形自相交。"}},
		{Cells: []string{"取水泵站", "106.53", "29.54", "D4620"}, Geometry: orb.Point{106.53, 29.54}},
	}
	for i := range rows {
		rows[i].Seq, rows[i].Line = i, i+2
	}
	unit := func(id, name, cat string, share *float64) batch.UnitPart {
		return batch.UnitPart{ID: id, Name: name, Category: cat, Share: share}
	}
	water := &batch.Nearby{Layer: "water_sources", LayerTitle: "饮用水水源保护区", ID: "WS-3", Name: "长江某水源保护区"}
	near := func(d float64) *batch.Nearby { n := *water; n.DistanceM = d; return &n }
	res := func(seq int, outcome string, r batch.Result) *batch.Result {
		r.Seq, r.Outcome, r.Label, r.Dataset = seq, outcome, batch.OutcomeLabel(outcome), ds
		return &r
	}
	results := []*batch.Result{
		res(0, admission.VerdictProhibited, batch.Result{
			Districts: []string{"渝中区"},
			Units:     []batch.UnitPart{unit("ZH50010320001", "渝中区生态保护红线", admission.CategoryPriority, batchOutShare(1))},
			RedLine:   &batch.Overlap{Share: 1},
			Nearest:   near(150),
			Clauses:   []string{"CQ-SX-001", "CQ-YZ-002"},
			Evidence:  []string{"位于生态保护红线内", "禁止新建、扩建化工项目"},
		}),
		res(1, admission.VerdictInsufficient, batch.Result{
			Districts: []string{"江北区"},
			Units:     []batch.UnitPart{unit("ZH50010520002", "江北区重点管控单元", admission.CategoryKey, nil)},
			Nearest:   near(320.4),
			Clauses:   []string{"CQ-JB-010"},
			Evidence:  []string{"需说明污水接管情况"},
		}),
		res(2, admission.VerdictRestricted, batch.Result{
			Districts: []string{"江北区", "渝北区"},
			Units: []batch.UnitPart{
				unit("ZH50010520002", "江北区重点管控单元", admission.CategoryKey, batchOutShare(0.625)),
				unit("ZH50011230001", "渝北区一般管控单元", admission.CategoryGeneral, batchOutShare(0.375)),
			},
			RedLine:  &batch.Overlap{AreaM2: 12345.6, Share: 0.125},
			Nearest:  near(1234.5),
			Clauses:  []string{"CQ-JB-011"},
			Evidence: []string{"严格控制新增挥发性有机物排放"},
		}),
		res(3, admission.VerdictReview, batch.Result{
			Districts: []string{"九龙坡区"},
			Units:     []batch.UnitPart{unit("ZH50010710001", "九龙坡区优先保护单元", admission.CategoryPriority, batchOutShare(1))},
			RedLine:   &batch.Overlap{LengthM: 850.2, Share: 0.42},
			Clauses:   []string{"CQ-SX-003"},
			Evidence:  []string{"线性工程穿越生态保护红线，需论证不可避让性"},
		}),
		res(4, admission.VerdictCompatible, batch.Result{
			Districts: []string{"渝中区"},
			Units:     []batch.UnitPart{unit("ZH50010330002", "渝中区一般管控单元", admission.CategoryGeneral, nil)},
		}),
		res(5, batch.OutcomeNone, batch.Result{Reason: "项目不在数据覆盖范围内"}),
		res(6, batch.OutcomeError, batch.Result{Error: rows[6].Error}),
		nil,
		res(8, admission.VerdictReview, batch.Result{
			Districts: []string{"渝北区"},
			Units:     []batch.UnitPart{unit("ZH50011230001", "渝北区一般管控单元", admission.CategoryGeneral, batchOutShare(1))},
			RedLine:   &batch.Overlap{AreaM2: 56.4, Share: 0.003},
			Clauses:   []string{"CQ-SX-003"},
			Evidence:  []string{"占用生态保护红线，需人工研判"},
		}),
		res(9, batch.OutcomeError, batch.Result{Error: rows[9].Error}),
		res(10, admission.VerdictCompatible, batch.Result{
			Districts: []string{"九龙坡区"},
			Units:     []batch.UnitPart{unit("ZH50010730002", "九龙坡区一般管控单元", admission.CategoryGeneral, nil)},
			Nearest:   near(0),
		}),
	}
	clauses := []batch.Clause{
		{ID: "CQ-SX-001", Level: admission.LevelZone, Dimension: "空间布局约束", Effect: admission.EffectProhibit, Text: "生态保护红线内，禁止开发性、生产性建设活动。"},
		{ID: "CQ-SX-003", Level: admission.LevelCity, Dimension: "空间布局约束", Effect: admission.EffectRequire, Text: "确需穿越生态保护红线的线性基础设施，应论证不可避让性。"},
		{ID: "CQ-YZ-002", Level: admission.LevelUnit, Dimension: "污染物排放管控", Effect: admission.EffectRestrict, Text: "严格控制化工项目扩建。"},
		{ID: "CQ-JB-010", Level: admission.LevelDistrict, Dimension: "环境风险防控", Effect: admission.EffectEncourage, Text: "鼓励入园发展。"},
		{ID: "CQ-JB-011", Level: "province", Dimension: "资源利用效率", Effect: admission.EffectInfo, Text: "说明性条款。"},
	}
	return job, rows, results, clauses
}

// batchOutSource is a ResultSource over rows and results in memory.
func batchOutSource(rows []batch.Row, results []*batch.Result) ResultSource {
	return func(fn func(batch.Row, *batch.Result) error) error {
		for i, r := range rows {
			if err := fn(r, results[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

func batchOutWrite(t *testing.T, format string) []byte {
	t.Helper()
	job, rows, results, clauses := batchOutFixture()
	var buf bytes.Buffer
	require.NoError(t, WriteResults(&buf, format, job, batchOutSource(rows, results), clauses))
	return buf.Bytes()
}

// batchOutGolden compares got with testdata/batchout/name (rewritten with -update).
func batchOutGolden(t *testing.T, name string, got []byte, equal func(want, got []byte)) {
	t.Helper()
	path := filepath.Join("testdata", "batchout", name)
	if *updateBatchOut {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./data -run BatchOut -update to create it")
	equal(want, got)
}

func TestBatchOutCSV(t *testing.T) {
	got := batchOutWrite(t, ResultsCSV)
	assert.True(t, bytes.HasPrefix(got, []byte("\xEF\xBB\xBF项目名称,经度,纬度,行业代码,列5,列6,行号,筛查结论,")), "got %.80q", got)
	batchOutGolden(t, "results.csv", got, func(want, got []byte) {
		assert.Equal(t, string(want), string(got))
	})
}

func TestBatchOutGeoJSON(t *testing.T) {
	got := batchOutWrite(t, ResultsGeoJSON)
	batchOutGolden(t, "results.geojson", got, func(want, got []byte) {
		assert.JSONEq(t, string(want), string(got))
	})
	fc, err := geojson.UnmarshalFeatureCollection(got)
	require.NoError(t, err)
	require.Len(t, fc.Features, 11)
	assert.Nil(t, fc.Features[6].Geometry, "error row")
	assert.Equal(t, orb.Point{106.55, 29.56}, fc.Features[0].Geometry)
	assert.Equal(t, "化工厂扩建", fc.Features[0].Properties["项目名称"])
	assert.Equal(t, "备注,乙", fc.Features[8].Properties["列6"])
	assert.Equal(t, nil, fc.Features[7].Properties["outcome"], "not done")
	assert.Equal(t, "未完成", fc.Features[7].Properties["label"])
	assert.Contains(t, fc.ExtraMembers, "job")
	assert.Contains(t, fc.ExtraMembers, "clauses")
}

// TestBatchOutGeoJSONKeys: headers that collide with a result key, with
// each other, or are empty still give distinct property keys.
func TestBatchOutGeoJSONKeys(t *testing.T) {
	k := newPropertyKeys([]string{"label", "名称", "名称", "", "列5"})
	assert.Equal(t, []string{"label（列1）", "名称", "名称（列3）", "列4", "列5"}, k.header)
	assert.Equal(t, "列6", k.key(5))
}

func TestBatchOutXLSX(t *testing.T) {
	b := batchOutWrite(t, ResultsXLSX)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	require.NoError(t, err)
	defer f.Close()

	assert.Equal(t, []string{SheetSummary, SheetResults, SheetClauses}, f.GetSheetList())
	assert.Equal(t, 0, f.GetActiveSheetIndex())

	rows, err := f.GetRows(SheetResults)
	require.NoError(t, err)
	require.Len(t, rows, 12)
	assert.Equal(t, []string{"项目名称", "经度", "纬度", "行业代码", "列5", "列6", "行号", "筛查结论", "所在区县", "所在管控单元", "生态保护红线", "最近敏感区", "依据条款", "关键证据", "错误", "数据版本", "报告编号"}, rows[0])
	cell := func(ref string) string {
		t.Helper()
		v, err := f.GetCellValue(SheetResults, ref)
		require.NoError(t, err)
		return v
	}
	// Columns: A-F original, G 行号, H 筛查结论, I 区县, J 单元, K 红线,
	// L 最近敏感区, M 条款, N 证据, O 错误, P 数据版本, Q 报告编号.
	assert.Equal(t, "化工厂扩建", cell("A2"))
	assert.Equal(t, "2", cell("G2"))
	assert.Equal(t, "禁止准入", cell("H2"))
	assert.Equal(t, "位于红线内", cell("K2"))
	assert.Equal(t, "江北区、渝北区", cell("I4"))
	assert.Equal(t, "ZH50010520002 江北区重点管控单元（重点管控单元）占 62.5%；ZH50011230001 渝北区一般管控单元（一般管控单元）占 37.5%", cell("J4"))
	assert.Equal(t, "占用 1.23 公顷（12.5%）", cell("K4"))
	assert.Equal(t, "穿越 850 m（42.0%）", cell("K5"))
	assert.Equal(t, "5 km 内无", cell("L6"))
	assert.Equal(t, "第 8 行「经度」列：经度 \"abc\" 不是数字。", cell("O8"))
	assert.Equal(t, "未完成", cell("H9"))
	assert.Equal(t, "", cell("I9"))
	assert.Equal(t, "备注,乙", cell("F10"))
	assert.Equal(t, "第 11 行：项目位置无效：多边形自相交。", cell("O11"))
	assert.Equal(t, "chongqing@2024.1", cell("P12"))
	// Each done row's report id names the job and the row (seq = line-2
	// here); a row not done has none.
	for _, line := range []int{2, 8, 12} {
		id, err := report.ParseID(cell(fmt.Sprintf("Q%d", line)))
		require.NoError(t, err, "Q%d", line)
		assert.Equal(t, batchOutJobID, id.JobID)
		assert.Equal(t, line-2, id.Seq)
	}
	assert.Equal(t, "", cell("Q9"))

	fill := func(sheet, ref string) string {
		t.Helper()
		id, err := f.GetCellStyle(sheet, ref)
		require.NoError(t, err)
		st, err := f.GetStyle(id)
		require.NoError(t, err)
		if len(st.Fill.Color) == 0 {
			return ""
		}
		return strings.ToUpper(st.Fill.Color[0])
	}
	for ref, outcome := range map[string]string{
		"H2": admission.VerdictProhibited, "H3": admission.VerdictInsufficient, "H4": admission.VerdictRestricted,
		"H5": admission.VerdictReview, "H6": admission.VerdictCompatible, "H7": batch.OutcomeNone, "H8": batch.OutcomeError,
	} {
		assert.Equal(t, outcomeFill[outcome].Fill, fill(SheetResults, ref), "%s (%s)", ref, outcome)
	}
	assert.Equal(t, "", fill(SheetResults, "H9"), "not done: no fill")
	seen := map[string]bool{}
	for _, c := range outcomeFill {
		assert.False(t, seen[c.Fill], "fill %s used twice", c.Fill)
		seen[c.Fill] = true
	}

	panes, err := f.GetPanes(SheetResults)
	require.NoError(t, err)
	assert.True(t, panes.Freeze)
	assert.Equal(t, 1, panes.YSplit)
	var filter string
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			filter = dn.RefersTo
		}
	}
	assert.Equal(t, "'筛查结果'!$A$1:$Q$12", filter)
	// excelize writes the filter's range absolute, in the sheet as in the
	// defined name.
	assert.Contains(t, batchOutZipEntry(t, b, "xl/worksheets/sheet2.xml"), `<autoFilter ref="$A$1:$Q$12">`)
	for _, sheet := range []string{"sheet1", "sheet2", "sheet3"} {
		xml := batchOutZipEntry(t, b, "xl/worksheets/"+sheet+".xml")
		var mins []int
		for _, m := range regexp.MustCompile(`<col min="(\d+)"`).FindAllStringSubmatch(xml, -1) {
			n, _ := strconv.Atoi(m[1])
			mins = append(mins, n)
		}
		assert.NotEmpty(t, mins, sheet)
		assert.True(t, slices.IsSorted(mins), "%s: <col> not in column order: %v", sheet, mins)
	}
	w, err := f.GetColWidth(SheetResults, "N")
	require.NoError(t, err)
	assert.Equal(t, 50.0, w, "关键证据 width")
	w, err = f.GetColWidth(SheetResults, "A")
	require.NoError(t, err)
	assert.Equal(t, 14.0, w, "项目名称 width: 带备注的项目 (12) + 2")

	summary, err := f.GetRows(SheetSummary)
	require.NoError(t, err)
	byLabel := map[string][]string{}
	for _, r := range summary {
		if len(r) > 1 {
			byLabel[r[0]] = r[1:]
		}
	}
	assert.Equal(t, []string{"2025年一季度重点项目"}, byLabel["任务名称"])
	assert.Equal(t, []string{"项目清单.xlsx"}, byLabel["文件名"])
	assert.Equal(t, []string{"2025-03-01 10:00:00"}, byLabel["创建时间（北京时间）"])
	assert.Equal(t, []string{"未完成"}, byLabel["完成时间（北京时间）"])
	assert.Equal(t, []string{"chongqing@2024.1"}, byLabel["数据版本"])
	assert.Equal(t, []string{"11"}, byLabel["总行数"])
	assert.Equal(t, []string{"10"}, byLabel["已完成行数"])
	assert.Equal(t, []string{"1", "9.1%"}, byLabel["禁止准入"])
	assert.Equal(t, []string{"2", "18.2%"}, byLabel["需人工研判"])
	assert.Equal(t, []string{"2", "18.2%"}, byLabel["无法筛查"])
	assert.Equal(t, []string{"1", "9.1%"}, byLabel["未完成"])
	assert.Equal(t, []string{"11", "100.0%"}, byLabel["合计"])
	var labels []string
	for _, o := range batch.Outcomes {
		labels = append(labels, batch.OutcomeLabel(o))
	}
	assert.Equal(t, append(append([]string{}, labels...), "合计"), byLabel["区县"], "district table header")
	//                                  禁止 待补 限制 研判 符合 无结论 无法 合计
	assert.Equal(t, []string{"0", "1", "1", "0", "0", "0", "0", "2"}, byLabel["江北区"])
	assert.Equal(t, []string{"0", "0", "1", "1", "0", "0", "0", "2"}, byLabel["渝北区"])
	assert.Equal(t, []string{"1", "0", "0", "0", "1", "0", "0", "2"}, byLabel["渝中区"])
	assert.Equal(t, []string{"0", "0", "0", "0", "0", "1", "2", "3"}, byLabel["未落在任何区县"])
	var districts []string
	for _, r := range summary[slices.IndexFunc(summary, func(r []string) bool { return len(r) > 0 && r[0] == "区县" })+1:] {
		districts = append(districts, r[0])
	}
	assert.Equal(t, []string{"江北区", "九龙坡区", "渝北区", "渝中区", "未落在任何区县"}, districts, "pinyin order, no district last")
	assert.Equal(t, outcomeFill[admission.VerdictProhibited].Fill, fill(SheetSummary, batchOutCellOf(t, summary, "禁止准入")))

	clauses, err := f.GetRows(SheetClauses)
	require.NoError(t, err)
	require.Len(t, clauses, 6)
	assert.Equal(t, []string{"条款编号", "层级", "管控维度", "效力", "条款内容"}, clauses[0])
	assert.Equal(t, []string{"CQ-SX-001", "要素分区", "空间布局约束", "禁止", "生态保护红线内，禁止开发性、生产性建设活动。"}, clauses[1])
	var effects, levels []string
	for _, r := range clauses[1:] {
		levels, effects = append(levels, r[1]), append(effects, r[3])
	}
	assert.Equal(t, []string{"要素分区", "全市总体", "管控单元", "区县", "province"}, levels)
	assert.Equal(t, []string{"禁止", "要求", "限制", "鼓励", "说明"}, effects)
	id, err := f.GetCellStyle(SheetClauses, "E2")
	require.NoError(t, err)
	st, err := f.GetStyle(id)
	require.NoError(t, err)
	assert.True(t, st.Alignment != nil && st.Alignment.WrapText, "条款内容 wraps")
}

// batchOutCellOf is the reference of the first cell of rows whose text is v.
func batchOutCellOf(t *testing.T, rows [][]string, v string) string {
	t.Helper()
	for i, r := range rows {
		for j, c := range r {
			if c == v {
				ref, err := excelize.CoordinatesToCellName(j+1, i+1)
				require.NoError(t, err)
				return ref
			}
		}
	}
	t.Fatalf("no cell %q", v)
	return ""
}

func batchOutZipEntry(t *testing.T, b []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	rc, err := zr.Open(name)
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(data)
}

func TestBatchOutTexts(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"area in ha", formatArea(12345.6), "1.23 公顷"},
		{"area at 0.01 ha", formatArea(100), "0.01 公顷"},
		{"area in m²", formatArea(99.4), "99 m²"},
		{"area under 1 m²", formatArea(0.2), "不足 1 m²"},
		{"distance", formatDistance(319.5), "320 m"},
		{"radius km", formatRadius(5000), "5 km"},
		{"radius 2.5 km", formatRadius(2500), "2.5 km"},
		{"radius m", formatRadius(800), "800 m"},
		{"percent", formatPercent(0.12345), "12.3%"},
		{"red line nil", redLineText(nil), "不涉及"},
		{"red line point", redLineText(&batch.Overlap{Share: 1}), "位于红线内"},
		{"red line line", redLineText(&batch.Overlap{LengthM: 850, Share: 0.42}), "穿越 850 m（42.0%）"},
		{"red line area", redLineText(&batch.Overlap{AreaM2: 56, Share: 0.003}), "占用 56 m²（0.3%）"},
		{"nearby inside", nearbyText(&batch.Nearby{Name: "甲水源", LayerTitle: "饮用水水源保护区"}), "甲水源（饮用水水源保护区） 位于其中"},
		{"nearby no name", nearbyText(&batch.Nearby{ID: "WS-9", DistanceM: 12.4}), "WS-9 距 12 m"},
		{"one unit, share left out", unitsText([]batch.UnitPart{{ID: "U1", Name: "甲", Category: "优先保护单元", Share: batchOutShare(1)}}), "U1 甲（优先保护单元）"},
		{"two units, one without share", unitsText([]batch.UnitPart{{ID: "U1", Name: "甲", Share: batchOutShare(0.5)}, {ID: "U2", Name: "乙"}}), "U1 甲 占 50.0%；U2 乙"},
		{"short text kept", truncateRunes("生态", 2), "生态"},
		{"long text cut", truncateRunes("生态保护红线", 3), "生态…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
	long := strings.Repeat("证据", 600)
	cut := truncateRunes(long, evidenceMaxRunes)
	assert.Equal(t, evidenceMaxRunes, len([]rune(cut)))
	assert.True(t, strings.HasSuffix(cut, "…"))
}

func TestBatchOutNearbyRadius(t *testing.T) {
	j, rows, results, clauses := batchOutFixture()
	j.Options.NearbyM = 2000
	var buf bytes.Buffer
	require.NoError(t, WriteResults(&buf, ResultsCSV, j, batchOutSource(rows, results), clauses))
	assert.Contains(t, buf.String(), ",2 km 内无,")
	assert.NotContains(t, buf.String(), "5 km 内无")
}

// TestBatchOutSourceError: the source's error comes back, whichever pass
// it fails on, and a row wider on the second pass than on the first is
// an error, not a misaligned table.
func TestBatchOutSourceError(t *testing.T) {
	j, rows, results, clauses := batchOutFixture()
	errBoom := errors.New("store: connection reset")
	failing := func(failOnCall, afterRows int) ResultSource {
		calls := 0
		return func(fn func(batch.Row, *batch.Result) error) error {
			calls++
			for i, r := range rows {
				if calls == failOnCall && i == afterRows {
					return errBoom
				}
				if err := fn(r, results[i]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	for _, format := range []string{ResultsXLSX, ResultsCSV, ResultsGeoJSON} {
		for _, call := range []int{1, 2} {
			if format == ResultsGeoJSON && call == 2 {
				continue // one pass only
			}
			t.Run(fmt.Sprintf("%s pass %d", format, call), func(t *testing.T) {
				err := WriteResults(io.Discard, format, j, failing(call, 3), clauses)
				assert.ErrorIs(t, err, errBoom)
			})
		}
	}
	t.Run("wider on the second pass", func(t *testing.T) {
		calls := 0
		src := func(fn func(batch.Row, *batch.Result) error) error {
			calls++
			r := rows[0]
			if calls == 2 {
				r.Cells = append(r.Cells, "x", "y", "z")
			}
			return fn(r, results[0])
		}
		err := WriteResults(io.Discard, ResultsCSV, j, src, clauses)
		assert.ErrorContains(t, err, "more than the 4 of the first pass")
	})
}

type batchOutFailingWriter struct{ after int }

func (w *batchOutFailingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestBatchOutWriterError(t *testing.T) {
	j, rows, results, clauses := batchOutFixture()
	for _, format := range []string{ResultsXLSX, ResultsCSV, ResultsGeoJSON} {
		t.Run(format, func(t *testing.T) {
			err := WriteResults(&batchOutFailingWriter{after: 100}, format, j, batchOutSource(rows, results), clauses)
			assert.ErrorContains(t, err, "disk full")
		})
	}
}

func TestBatchOutUnknownFormat(t *testing.T) {
	j, rows, results, clauses := batchOutFixture()
	var buf bytes.Buffer
	err := WriteResults(&buf, "pdf", j, batchOutSource(rows, results), clauses)
	assert.ErrorIs(t, err, ErrResultsFormat)
	assert.Zero(t, buf.Len())
}

// BenchmarkBatchOut writes n rows made on the fly (the source holds none)
// and reports the peak heap, sampled every 1,000 rows read and every 16
// writes to the output, and the output's size. The naive twin builds
// the same sheet with excelize's in-memory SetSheetRow, to show what the
// stream writer saves.
func BenchmarkBatchOut(b *testing.B) {
	const n = 100_000
	j, rows, results, clauses := batchOutFixture()
	j.Total = n
	src := func(peak *uint64) ResultSource {
		return func(fn func(batch.Row, *batch.Result) error) error {
			var ms runtime.MemStats
			for i := range n {
				k := i % len(rows)
				if k == 7 {
					k = 4 // every row done
				}
				r := rows[k]
				r.Seq, r.Line = i, i+2
				if i%1000 == 0 {
					runtime.ReadMemStats(&ms)
					*peak = max(*peak, ms.HeapAlloc)
				}
				if err := fn(r, results[k]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	run := func(b *testing.B, write func(io.Writer, ResultSource) error) {
		b.ReportAllocs()
		var peak uint64
		var size int64
		for b.Loop() {
			cw := &batchOutCounter{peak: &peak}
			if err := write(cw, src(&peak)); err != nil {
				b.Fatal(err)
			}
			size = cw.n
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(size)/(1<<20), "out-MB")
	}
	for _, format := range []string{ResultsXLSX, ResultsCSV, ResultsGeoJSON} {
		b.Run(format, func(b *testing.B) {
			run(b, func(w io.Writer, s ResultSource) error { return WriteResults(w, format, j, s, clauses) })
		})
	}
	b.Run("xlsx-naive", func(b *testing.B) {
		run(b, func(w io.Writer, s ResultSource) error { return writeResultsXLSXNaive(w, j, s) })
	})
}

// writeResultsXLSXNaive is the main sheet written without streaming.
func writeResultsXLSXNaive(w io.Writer, job batch.Job, rows ResultSource) error {
	t := newResultTable(job)
	if err := t.measure(rows); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	header := t.header()
	vals := make([]any, len(header))
	for i, h := range header {
		vals[i] = h
	}
	if err := f.SetSheetRow("Sheet1", "A1", &vals); err != nil {
		return err
	}
	line := 1
	var orig []string
	err := rows(func(r batch.Row, res *batch.Result) error {
		line++
		var err error
		if orig, err = t.original(r, orig); err != nil {
			return err
		}
		for i, c := range orig {
			vals[i] = c
		}
		x := t.texts(r, res)
		copy(vals[t.width:], []any{x.Line, x.Label, x.Districts, x.Units, x.RedLine, x.Nearest, x.Clauses, x.Evidence, x.Error, x.Dataset})
		cell, _ := excelize.CoordinatesToCellName(1, line)
		return f.SetSheetRow("Sheet1", cell, &vals)
	})
	if err != nil {
		return err
	}
	return f.Write(w)
}

// batchOutCounter counts the bytes written and samples the heap every 16
// writes into *peak (the workbook's zip is written after the source).
type batchOutCounter struct {
	n, writes int64
	peak      *uint64
}

func (w *batchOutCounter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	if w.writes++; w.writes%16 == 0 && w.peak != nil {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		*w.peak = max(*w.peak, ms.HeapAlloc)
	}
	return len(p), nil
}

// TestBatchOutEmpty: a job without rows still gives a header, a summary
// and an empty FeatureCollection.
func TestBatchOutEmpty(t *testing.T) {
	j, _, _, _ := batchOutFixture()
	empty := batchOutSource(nil, nil)
	for _, format := range []string{ResultsXLSX, ResultsCSV, ResultsGeoJSON} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteResults(&buf, format, j, empty, nil))
			switch format {
			case ResultsCSV:
				assert.Equal(t, "\uFEFF项目名称,经度,纬度,行业代码,行号,筛查结论,所在区县,所在管控单元,生态保护红线,最近敏感区,依据条款,关键证据,错误,数据版本,报告编号\r\n", buf.String())
			case ResultsGeoJSON:
				fc, err := geojson.UnmarshalFeatureCollection(buf.Bytes())
				require.NoError(t, err)
				assert.Empty(t, fc.Features)
				assert.JSONEq(t, `{"id":"`+batchOutJobID+`","name":"2025年一季度重点项目","file_name":"项目清单.xlsx","dataset":"chongqing@2024.1","total":0,"done":0,
					"counts":{"prohibited":0,"insufficient":0,"restricted":0,"review":0,"compatible":0,"none":0,"error":0}}`, string(batchOutJSON(t, fc.ExtraMembers["job"])))
			case ResultsXLSX:
				f, err := excelize.OpenReader(&buf)
				require.NoError(t, err)
				defer f.Close()
				rows, err := f.GetRows(SheetResults)
				require.NoError(t, err)
				assert.Len(t, rows, 1)
				v, err := f.GetCellValue(SheetSummary, "B9")
				require.NoError(t, err)
				assert.Equal(t, "0", v, "总行数")
			}
		})
	}
}

func batchOutJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestBatchOutWithColumn(t *testing.T) {
	for _, tc := range []struct{ msg, header, want string }{
		{"第 8 行：经度 \"abc\" 不是数字。", "经度", "第 8 行「经度」列：经度 \"abc\" 不是数字。"},
		{"第 11 行「经度」列：无法识别的坐标", "经度", "第 11 行「经度」列：无法识别的坐标"},
		{"第 12 行：经纬度可能填反了", "", "第 12 行：经纬度可能填反了"},
		{"无法识别", "坐标串", "「坐标串」无法识别"},
	} {
		assert.Equal(t, tc.want, withColumn(tc.msg, tc.header), tc.msg)
	}
}

// A job that started over after a version switch says so on its summary
// sheet, next to the version; one that did not has no such row.
func TestBatchOutXLSXRestart(t *testing.T) {
	summary := func(job batch.Job) map[string][]string {
		t.Helper()
		_, rows, results, clauses := batchOutFixture()
		var buf bytes.Buffer
		require.NoError(t, WriteResults(&buf, ResultsXLSX, job, batchOutSource(rows, results), clauses))
		f, err := excelize.OpenReader(&buf)
		require.NoError(t, err)
		defer f.Close()
		got, err := f.GetRows(SheetSummary)
		require.NoError(t, err)
		byLabel := map[string][]string{}
		for _, r := range got {
			if len(r) > 1 {
				byLabel[r[0]] = r[1:]
			}
		}
		return byLabel
	}
	job, _, _, _ := batchOutFixture()
	assert.NotContains(t, summary(job), "数据版本更新")
	job.Restarts, job.PreviousDataset = 1, "chongqing@2020.1"
	assert.Equal(t, []string{"筛查过程中数据版本由 chongqing@2020.1 更新为 chongqing@2024.1，已按新版本从头重新筛查，全部结果为同一版本（共重新筛查 1 次）"},
		summary(job)["数据版本更新"])
}
