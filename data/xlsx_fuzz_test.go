package data

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// The parts of an xlsx the XLSX fuzz targets vary; the rest of the
// package (content types, workbook, relationships) comes from a workbook
// excelize wrote, so that mutations reach the sheet parser instead of
// breaking the zip's checksums.
const (
	xlsxSheetPart   = "xl/worksheets/sheet1.xml"
	xlsxSharedPart  = "xl/sharedStrings.xml"
	xlsxStylesPart  = "xl/styles.xml"
	xlsxContentPart = "[Content_Types].xml"
)

// xlsxParts reads the parts of an xlsx.
func xlsxParts(t testing.TB, content []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	require.NoError(t, err)
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		parts[f.Name], err = io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
	}
	return parts
}

// xlsxWith is skeleton with its first sheet, shared strings and styles
// replaced (an empty one is left out); the content types always declare
// shared strings, as Excel's do.
func xlsxWith(t testing.TB, skeleton map[string][]byte, sheet, shared, styles []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	write := func(name string, b []byte) {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(b)
		require.NoError(t, err)
	}
	for _, name := range []string{xlsxContentPart, "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "docProps/app.xml", "docProps/core.xml", "xl/theme/theme1.xml"} {
		if b, ok := skeleton[name]; ok {
			write(name, b)
		}
	}
	for name, b := range map[string][]byte{xlsxSheetPart: sheet, xlsxSharedPart: shared, xlsxStylesPart: styles} {
		if len(b) > 0 {
			write(name, b)
		}
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// xlsxSkeleton is a one-sheet workbook excelize wrote, with shared
// strings and styles, whose first sheet the fuzz targets replace.
func xlsxSkeleton(t testing.TB) map[string][]byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"经度", "纬度"}))
	st, err := f.NewStyle(&excelize.Style{NumFmt: 2})
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle("Sheet1", "A1", "A1", st))
	buf, err := f.WriteToBuffer()
	require.NoError(t, err)
	parts := xlsxParts(t, buf.Bytes())
	ct := string(parts[xlsxContentPart])
	if !strings.Contains(ct, "sharedStrings") {
		t.Fatalf("skeleton content types without shared strings: %s", ct)
	}
	return parts
}

// listXLSXSeeds are realistic project lists as (sheet, shared strings,
// styles) parts.
func listXLSXSeeds(t testing.TB) [][3][]byte {
	t.Helper()
	var seeds [][3][]byte
	add := func(content []byte) {
		p := xlsxParts(t, content)
		seeds = append(seeds, [3][]byte{p[xlsxSheetPart], p[xlsxSharedPart], p[xlsxStylesPart]})
	}
	add(listXLSX(t, listSheet{"项目清单", map[int][]any{
		2: {"项目名称", "行业代码", "经度", "纬度", "备注"},
		3: {"甲", "C3011", 106.55, 29.56, "第一行"},
		5: {"乙", "2614", "106°33'06\"E", "29°33'47\"N", nil},
		6: {nil, nil, nil, nil, " "},
		7: {"丙", nil, 106.5516, 29.563, 12.5},
	}}))
	add(listXLSX(t, listSheet{"Sheet1", map[int][]any{
		1: {"项目名称", "坐标串(WKT)", "缓冲距离（米）", "坐标系"},
		2: {"某化工项目用地", "POLYGON((107.0 29.8, 107.00104 29.8, 107.00104 29.8009, 107.0 29.8009, 107.0 29.8))", 1000, ""},
		3: {"测绘地块", "J1,3272278.86,354627.80\nJ2,3272278.86,355627.80\nJ3,3273278.86,355627.80", "", "EPSG:4545"},
		4: {"点", "SRID=4545;POINT(354627.8 3272278.9)", "0.5km", ""},
	}}))
	add(listXLSX(t, listSheet{"Sheet1", map[int][]any{
		1: {"点号", "X", "Y", "坐标系"},
		2: {"J1", 3272278.86, 354627.80, "EPSG:4545"},
		3: {"J2", 3272278.86, 36354627.80, "EPSG:4524"},
	}}))
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"name", "industry", "lon", "lat", "buffer", "date"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &[]any{"a", 111, 106.5516, 29.5630, 1234.5, 45292}))
	zeros, err := f.NewStyle(&excelize.Style{CustomNumFmt: listPtr("0000")})
	require.NoError(t, err)
	two, err := f.NewStyle(&excelize.Style{NumFmt: 2})
	require.NoError(t, err)
	require.NoError(t, f.SetCellStyle("Sheet1", "B2", "B2", zeros))
	require.NoError(t, f.SetCellStyle("Sheet1", "C2", "D2", two))
	buf, err := f.WriteToBuffer()
	require.NoError(t, err)
	add(buf.Bytes())
	return seeds
}

// FuzzProjectListXLSX reads a workbook whose first sheet, shared strings
// and styles are arbitrary XML: it never panics, fails only with a
// *ListError, rows as in FuzzProjectListCSV. One seed claims the sheet
// A1:XFD1048576 and has a cell there: read as a grid it would need some
// 17 billion cells and the process would die out of memory.
func FuzzProjectListXLSX(f *testing.F) {
	skeleton := xlsxSkeleton(f)
	for _, s := range listXLSXSeeds(f) {
		f.Add(s[0], s[1], s[2])
	}
	f.Add([]byte(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>经度</t></is></c><c r="B1" t="inlineStr"><is><t>纬度</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>`), []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, sheet, shared, styles []byte) {
		defer fuzzkit.Guard(t)()
		content := xlsxWith(t, skeleton, sheet, shared, styles)
		l, err := OpenProjectList("fuzz.xlsx", bytes.NewReader(content), ListOptions{MaxRows: 50, MaxUnzipBytes: 1 << 20})
		if err != nil {
			requireListError(t, err)
			return
		}
		defer l.Close()
		checkFuzzRows(t, l)
	})
}

// requireListError fails unless err is a *ListError with a code and a
// Chinese message.
func requireListError(t *testing.T, err error) {
	t.Helper()
	var le *ListError
	if !errors.As(err, &le) {
		t.Fatalf("%v is not a *ListError", err)
	}
	if le.Code == "" || !hasHan(le.Message) || le.Line < 0 {
		t.Fatalf("bad list error %+v", le)
	}
}

// FuzzReadAccessListXLSX reads an access-list workbook whose first
// sheet, shared strings and styles are arbitrary XML: the properties of
// FuzzReadAccessListCSV.
func FuzzReadAccessListXLSX(f *testing.F) {
	skeleton := xlsxSkeleton(f)
	for _, content := range [][]byte{
		accessXLSX(f, accessSheet{name: "单元", rows: [][]any{
			{"重庆市环境管控单元生态环境准入清单"},
			{"环境管控单元编码", "环境管控单元名称", "管控单元类别", "空间布局约束", "污染物排放管控", "环境风险防控", "资源开发效率要求"},
			{"ZH50010320001", "渝中区重点管控单元", "重点管控单元", "1-1 禁止新建造纸项目。\n1-2 限制新建化工项目。", "执行全市总体管控要求。", "无", ""},
		}}),
		accessXLSX(f, accessSheet{name: "区县", rows: [][]any{
			{"区县代码", "区县名称", "管控维度", "条款编号", "条款内容"},
			{"500103", "渝中区", "空间布局约束", "1", "①禁止甲。②限制乙。"},
			{nil, nil, "污染物排放管控", "2", "执行标准。"},
		}, merges: []string{"A2:A3", "B2:B3"}}),
	} {
		p := xlsxParts(f, content)
		f.Add(p[xlsxSheetPart], p[xlsxSharedPart], p[xlsxStylesPart])
	}
	ind := testIndustries(f)
	f.Fuzz(func(t *testing.T, sheet, shared, styles []byte) {
		defer fuzzkit.Guard(t)()
		content := xlsxWith(t, skeleton, sheet, shared, styles)
		rules, _, err := ReadAccessList("fuzz.xlsx", bytes.NewReader(content), ind, AccessListOptions{MaxRows: 50, MaxBytes: 1 << 20})
		if err != nil {
			requireListError(t, err)
			return
		}
		requireAccessRules(t, rules)
	})
}

// requireAccessRules checks the clauses of an access list: unique ids, a
// canonical dimension, text, and a level with its scope.
func requireAccessRules(t *testing.T, rules admission.Rules) {
	t.Helper()
	if len(rules.Clauses) == 0 {
		t.Fatal("no clause and no error")
	}
	dims := map[string]bool{}
	for _, d := range admission.Dimensions {
		dims[d] = true
	}
	ids := map[string]bool{}
	for _, c := range rules.Clauses {
		if ids[c.ID] {
			t.Fatalf("id %s twice", c.ID)
		}
		ids[c.ID] = true
		if !dims[c.Dimension] || strings.TrimSpace(c.Text) == "" {
			t.Fatalf("clause %+v", c)
		}
		switch c.Level {
		case admission.LevelCity:
			if c.Scope != (admission.Scope{}) {
				t.Fatalf("clause %+v", c)
			}
		case admission.LevelDistrict:
			if len(c.Scope.County) != 6 {
				t.Fatalf("clause %+v", c)
			}
		case admission.LevelUnit:
			if !accessUnitCodeRe.MatchString(c.Scope.Unit) {
				t.Fatalf("clause %+v", c)
			}
		default:
			t.Fatalf("clause %+v", c)
		}
	}
}
