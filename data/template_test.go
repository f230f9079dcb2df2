package data

import (
	"bytes"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/sanxian/sanxian/admission"
)

func TestTemplateReadsBack(t *testing.T) {
	ind, err := admission.NewIndustries()
	require.NoError(t, err)
	for _, format := range []string{"xlsx", "csv"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, WriteTemplate(&buf, format))
			l, rows := mustReadListFile(t, "模板."+format, buf.Bytes())
			assert.Equal(t, templateHeader, l.Header.Columns)
			assert.Equal(t, map[string]int{"name": 0, "industry": 1, "industry_name": 2, "construction": 3, "lon": 4, "lat": 5, "wkt": 6, "buffer": 7}, l.Header.Roles)
			require.Len(t, rows, 3)
			for i, r := range rows {
				require.Nil(t, r.Error, "row %d: %v", i, r.Error)
				assert.Equal(t, i+2, r.Line)
				assert.True(t, strings.HasPrefix(r.Name, "示例"))
				code, err := admission.NormalizeIndustryCode(r.Industry)
				require.NoError(t, err)
				it, ok := ind.Lookup(code)
				require.True(t, ok, code)
				assert.Equal(t, r.IndustryName, it.Name)
				assert.Contains(t, admission.ConstructionTypes, r.Construction)
				assert.Equal(t, "示例行，请删除后填写", r.Cells[8], "备注 is kept")
			}
			assert.Equal(t, orb.Point{106.5516, 29.5630}, rows[0].Geometry)
			assertListNear(t, orb.Point{106 + 27.0/60 + 30.0/3600, 29 + 34.0/60 + 12.0/3600}, listPoint(t, rows[1]))
			assert.Equal(t, 500.0, rows[1].BufferM)
			poly, ok := rows[2].Geometry.(orb.Polygon)
			require.True(t, ok, "%T", rows[2].Geometry)
			// About 100 m × 100 m at 29.8°N.
			b := poly.Bound()
			assert.InDelta(t, 100, (b.Max[0]-b.Min[0])*111_320*0.8678, 5)
			assert.InDelta(t, 100, (b.Max[1]-b.Min[1])*111_320, 5)
			if format == "xlsx" {
				assert.Equal(t, TemplateSheet, l.Header.Sheet)
			}
		})
	}
}

func TestTemplateXLSXSheets(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTemplate(&buf, "xlsx"))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, []string{TemplateSheet, TemplateNotesSheet}, f.GetSheetList())
	notes, err := f.GetRows(TemplateNotesSheet)
	require.NoError(t, err)
	var text strings.Builder
	documented := map[string]bool{}
	for _, r := range notes {
		if len(r) > 0 {
			documented[r[0]] = true
		}
		text.WriteString(strings.Join(r, " ") + "\n")
	}
	for _, h := range append(templateHeader, "活动类型", "坐标系", "X（北坐标）", "Y（东坐标）") {
		assert.True(t, documented[h], "说明 lacks %s", h)
	}
	for _, want := range []string{"CGCS2000", "WGS84", "50 MB", "200,000 行", "新建、改建、扩建、迁建、技术改造", "度分秒", "界址点", "是否必填",
		// The surveying convention, said plainly, and the WKT order.
		"X 为北坐标（纵坐标），Y 为东坐标（横坐标）", "“东坐标 北坐标”，即测量上的 Y 在前、X 在后", "X 为北坐标、Y 为东坐标",
		"GCJ-02", "BD-09", "EPSG:4545", "EPSG:4534–4554", "EPSG:4524"} {
		assert.Contains(t, text.String(), want)
	}
	// The column names the notes use are headers the reader recognises.
	for name, role := range map[string]string{"X（北坐标）": RoleNorthing, "Y（东坐标）": RoleEasting, "坐标系": RoleCRS, "活动类型": RoleActivity, "坐标串(WKT)": RoleWKT} {
		assert.Equal(t, role, roleOfHeader(name), name)
	}
	// 行业代码 is a text column, so that 0111 keeps its zero.
	style, err := f.GetCellStyle(TemplateSheet, "B2")
	require.NoError(t, err)
	st, err := f.GetStyle(style)
	require.NoError(t, err)
	assert.Equal(t, 49, st.NumFmt)
}

func TestTemplateCSV(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTemplate(&buf, "csv"))
	assert.True(t, bytes.HasPrefix(buf.Bytes(), []byte("\ufeff项目名称,行业代码,")), "UTF-8 with BOM")
	assert.Contains(t, buf.String(), "\r\n")
}

func TestTemplateUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	assert.Error(t, WriteTemplate(&buf, "xls"))
	assert.Zero(t, buf.Len())
}
