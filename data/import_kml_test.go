package data

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
)

// arcgisPlacemark is a Placemark as ArcGIS's Layer To KML writes it: no
// ExtendedData, the attributes in an HTML table (nested in a layout
// table) inside the description, nulls as <Null>.
func arcgisPlacemark(code, name, category, kjbjys, coords string) string {
	return `<Placemark><name>` + name + `</name><styleUrl>#PolyStyle00</styleUrl>
<description><![CDATA[<html xmlns:fo="http://www.w3.org/1999/XSL/Format" xmlns:msxsl="urn:schemas-microsoft-com:xslt">
<head><META http-equiv="Content-Type" content="text/html"><meta http-equiv="content-type" content="text/html; charset=UTF-8"></head>
<body style="margin:0px 0px 0px 0px;overflow:auto;background:#FFFFFF;">
<table style="font-family:Arial,Verdana,Times;font-size:12px;text-align:left;width:100%;border-collapse:collapse;padding:3px 3px 3px 3px">
<tr style="text-align:center;font-weight:bold;background:#9CBCE2"><td>` + name + `</td></tr>
<tr><td><table style="font-family:Arial,Verdana,Times;font-size:12px;text-align:left;width:100%;border-spacing:0px; padding:3px 3px 3px 3px">
<tr><td>FID</td><td>0</td></tr>
<tr bgcolor="#D4E4F3"><td>HJZHGKDYBM</td><td>` + code + `</td></tr>
<tr><td>HJZHGKDYMC</td><td>` + name + `</td></tr>
<tr bgcolor="#D4E4F3"><td>ZHGKDYFL</td><td>` + category + `</td></tr>
<tr><td>KJBJYS</td><td>` + kjbjys + `</td></tr>
<tr bgcolor="#D4E4F3"><td>REMARK</td><td>&lt;Null&gt;</td></tr>
<tr><td>Shape_Area</td><td>0.005</td></tr>
</table></td></tr></table></body></html>]]></description>
<Polygon><outerBoundaryIs><LinearRing><coordinates>` + coords + `</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>`
}

// TestImportKMLDescriptionTable: a KML exported from ArcGIS carries its
// attributes only in the descriptions' HTML tables; they are read as
// columns, so the layer is recognised and the clauses imported.
func TestImportKMLDescriptionTable(t *testing.T) {
	kml := `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>环境管控单元</name>` +
		arcgisPlacemark("ZH50010110001", "万州区优先保护单元", "1", "1-1 禁止新建造纸项目。<br>1-2 严格控制畜禽养殖规模。", "106.50,29.50,0 106.55,29.50,0 106.55,29.60,0 106.50,29.60,0 106.50,29.50,0") +
		arcgisPlacemark("ZH50010130001", "万州区一般管控单元", "3", "&lt;Null&gt;", "106.55,29.50,0 106.60,29.50,0 106.60,29.60,0 106.55,29.60,0 106.55,29.50,0") +
		`</Folder></Document></kml>`
	in := filepath.Join(t.TempDir(), "环境管控单元.kml")
	require.NoError(t, os.WriteFile(in, []byte(kml), 0o644))
	im, rep := importAndValidate(t, []string{in}, ImportOptions{})
	assert.Empty(t, rep.Errors)
	require.Len(t, im.Sources, 1)
	assert.Equal(t, admission.LayerControlUnits, im.Sources[0].Layer)
	assert.Equal(t, "HJZHGKDYBM", im.Sources[0].Columns["id"])

	u1 := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010110001")
	assert.Equal(t, "万州区优先保护单元", u1.Name)
	assert.Equal(t, admission.CategoryPriority, u1.Category)
	u2 := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010130001")
	assert.Equal(t, admission.CategoryGeneral, u2.Category)
	assert.NotContains(t, u2.Properties, "REMARK", "<Null> is no value")

	var texts []string
	for _, c := range im.Contents.Rules.Clauses {
		assert.Equal(t, "ZH50010110001", c.Scope.Unit, "the <Null> cell gives no clause")
		texts = append(texts, c.Number+" "+c.Text)
	}
	assert.Equal(t, []string{"1-1 禁止新建造纸项目。", "1-2 严格控制畜禽养殖规模。"}, texts, "<br> separates items")
}

func TestKMLDescriptionFields(t *testing.T) {
	for _, tt := range []struct {
		name, desc string
		want       [][2]string
	}{
		{"plain text", "万州区水厂一级保护区", nil},
		{"empty", "", nil},
		{"one table", `<table><tr><th>编码</th><td>A&amp;B</td></tr><tr><td>名称</td><td> 甲 </td></tr></table>`, [][2]string{{"编码", "A&B"}, {"名称", "甲"}}},
		{"rows of other shapes", `<table><tr><td>标题</td></tr><tr><td>a</td><td>b</td><td>c</td></tr><tr><td></td><td>x</td></tr></table>`, nil},
		{"repeated field keeps the first", `<table><tr><td>A</td><td>1</td></tr><tr><td>A</td><td>2</td></tr></table>`, [][2]string{{"A", "1"}}},
		{"unclosed tags", `<table><tr><td>A</td><td>1`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, kmlDescriptionFields(tt.desc))
		})
	}
}
