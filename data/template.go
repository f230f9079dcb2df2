package data

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/sanxian/sanxian/admission"
)

// Sheet names of the xlsx template.
const (
	TemplateSheet      = "项目清单"
	TemplateNotesSheet = "说明"
)

// templateHeader is the template's header row; every column but 备注 has
// a role (备注 shows that other columns are kept).
var templateHeader = []string{"项目名称", "行业代码", "行业名称", "建设性质", "经度", "纬度", "坐标串(WKT)", "缓冲距离（米）", "备注"}

// templateRows are the example rows: a point in decimal degrees in 渝中区,
// a point in 度分秒 in 沙坪坝区, and a polygon of about 100 m × 100 m as
// WKT near 107.0°E 29.8°N. Longitude and latitude of the first row are
// numbers in the xlsx.
var templateRows = [][]any{
	{"示例：渝中区某住宅项目（十进制度）", "E4710", "住宅房屋建筑", "新建", 106.5516, 29.5630, "", "", "示例行，请删除后填写"},
	{"示例：沙坪坝区某水泥厂技术改造（度分秒）", "C3011", "水泥制造", "技术改造", `106°27'30"E`, `29°34'12"N`, "", 500, "示例行，请删除后填写"},
	{"示例：某化工项目用地（WKT 面）", "C2614", "有机化学原料制造", "扩建", "", "",
		"POLYGON((107.0 29.8, 107.00104 29.8, 107.00104 29.8009, 107.0 29.8009, 107.0 29.8))", 1000, "示例行，请删除后填写"},
}

// templateLimits are the upload limits the notes state (the web layer
// enforces the file size).
const (
	templateMaxMB   = 50
	templateMaxRows = DefaultMaxListRows
)

// templateNotes are the rows of the 说明 sheet: column, whether required,
// what it takes.
func templateNotes() [][]string {
	acts := make([]string, 0, len(admission.Activities))
	for k := range admission.Activities {
		acts = append(acts, k)
	}
	sort.Strings(acts)
	actList := make([]string, len(acts))
	for i, k := range acts {
		actList[i] = k + "（" + admission.Activities[k] + "）"
	}
	aliases := func(role string) string {
		for _, r := range listRoleTable {
			if r.role == role {
				return "也可写作：" + strings.Join(r.names, "、") + "。"
			}
		}
		return ""
	}
	return [][]string{
		{"列名", "是否必填", "说明"},
		{"项目名称", "建议填写", "项目名称，原样写入筛查结果。" + aliases(RoleName)},
		{"行业代码", "行业代码与行业名称至少填一项", "《国民经济行业分类》（GB/T 4754-2017）代码，如 C3011（水泥制造）、E4710；可只写数字，如 3011。请把本列设为“文本”格式，以免丢失开头的 0。" + aliases(RoleIndustry)},
		{"行业名称", "同上", "行业代码为空时按名称匹配，如 水泥制造。" + aliases(RoleIndustryName)},
		{"建设性质", "选填", strings.Join(admission.ConstructionTypes, "、") + " 之一。" + aliases(RoleConstruction)},
		{"经度", "经度+纬度，或坐标串，二选一", fmt.Sprintf("CGCS2000（或 WGS84）经度，十进制度如 106.5516，或度分秒如 106°33'06\"E、106度33分6秒。中国境内约 %g～%g。", chinaMinLon, chinaMaxLon) + aliases(RoleLon)},
		{"纬度", "同上", fmt.Sprintf("CGCS2000（或 WGS84）纬度，写法同经度，如 29.5630、29°33'47\"N。中国境内约 %g～%g。经度、纬度请勿填反；不接受 X/Y 投影坐标（米），X/Y 列也不会被当作经纬度。", chinaMinLat, chinaMaxLat) + aliases(RoleLat)},
		{"坐标串(WKT)", "同上", "项目用地范围或线路：WKT，如 POLYGON((107.0 29.8, 107.001 29.8, 107.001 29.801, 107.0 29.8))，坐标为“经度 纬度”；或界址点坐标，每行（或用分号隔开）一个点“经度,纬度”，可带点号，如 J1,107.0,29.8；首尾点相同即为面，否则为线。填写后优先于经度、纬度。" + aliases(RoleWKT)},
		{"缓冲距离（米）", "选填", fmt.Sprintf("0～%d 米，也可写 500m、0.5km、1,000；空或 0 表示使用本次筛查设置的缓冲距离。", MaxListBufferM) + aliases(RoleBuffer)},
		{"备注", "选填", "其他列（如备注、项目编号）原样保留到筛查结果中。"},
		{"活动类型", "选填（可自行添加此列）", "项目拟在生态保护红线内开展的有限人为活动，填以下代码之一：" + strings.Join(actList, "；") + "。" + aliases(RoleActivity)},
		{"坐标系", "选填（可自行添加此列）", "空、CGCS2000（EPSG:4490）或 WGS84（EPSG:4326），均为经纬度（度）；两者在此相差仅厘米级。北京54、西安80、GCJ-02（火星坐标）等暂不支持。" + aliases(RoleCRS)},
		{},
		{"文件要求", "", fmt.Sprintf("Excel 工作簿（.xlsx）或 CSV（UTF-8 或 GBK 编码，逗号、制表符或分号分隔）；文件不超过 %d MB，数据不超过 %d,%03d 行。", templateMaxMB, templateMaxRows/1000, templateMaxRows%1000)},
		{"表头", "", "读取第一个表头中含有经纬度或坐标串列的工作表（本说明页会被跳过）；表头为第一个非空行，列的顺序不限，列名不区分大小写、全角半角，括号中的单位可省略。空行会被跳过。"},
		{"示例行", "", "“项目清单”中的三行为示例：十进制度的点、度分秒的点、WKT 的面（约 100 米见方）。请删除后填写自己的项目。"},
	}
}

// WriteTemplate writes the project list template in format "xlsx" or
// "csv". The xlsx has the sheet 项目清单 (header, three example rows,
// 行业代码 formatted as text, a 建设性质 drop-down) first and a 说明 sheet
// explaining each column second; the CSV is UTF-8 with a BOM (so that
// Excel opens it as UTF-8) and CRLF line ends. Both read back through
// OpenProjectList without row errors. Another format is an error.
func WriteTemplate(w io.Writer, format string) error {
	switch format {
	case "xlsx":
		return writeTemplateXLSX(w)
	case "csv":
		return writeTemplateCSV(w)
	}
	return fmt.Errorf("data: template format %q: want xlsx or csv", format)
}

func writeTemplateCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("data: write template: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	_ = cw.Write(templateHeader)
	for _, r := range templateRows {
		rec := make([]string, len(r))
		for i, v := range r {
			rec[i] = fmt.Sprint(v)
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("data: write template: %w", err)
	}
	return nil
}

func writeTemplateXLSX(w io.Writer) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("data: write template: %w", cerr)
		}
	}()
	if err := fillTemplateXLSX(f); err != nil {
		return fmt.Errorf("data: write template: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("data: write template: %w", err)
	}
	return nil
}

func fillTemplateXLSX(f *excelize.File) error {
	if err := f.SetSheetName("Sheet1", TemplateSheet); err != nil {
		return err
	}
	if _, err := f.NewSheet(TemplateNotesSheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keeps 行业代码 such as 0111
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}

	s := TemplateSheet
	for i, width := range []float64{36, 10, 18, 10, 14, 14, 48, 14, 22} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(s, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetColStyle(s, "B", text); err != nil {
		return err
	}
	header := make([]any, len(templateHeader))
	for i, h := range templateHeader {
		header[i] = h
	}
	if err := f.SetSheetRow(s, "A1", &header); err != nil {
		return err
	}
	if err := f.SetRowStyle(s, 1, 1, bold); err != nil {
		return err
	}
	for i, r := range templateRows {
		row := append([]any(nil), r...)
		for j, v := range row {
			if v == "" {
				row[j] = nil
			}
		}
		if err := f.SetSheetRow(s, fmt.Sprintf("A%d", i+2), &row); err != nil {
			return err
		}
		// SetSheetRow resets the style of the cells it writes.
		if err := f.SetCellStyle(s, fmt.Sprintf("B%d", i+2), fmt.Sprintf("B%d", i+2), text); err != nil {
			return err
		}
	}
	if err := f.SetPanes(s, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(fmt.Sprintf("D2:D%d", templateMaxRows+1))
	if err := dv.SetDropList(admission.ConstructionTypes); err != nil {
		return err
	}
	if err := f.AddDataValidation(s, dv); err != nil {
		return err
	}

	n := TemplateNotesSheet
	for i, width := range []float64{16, 26, 100} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(n, col, col, width); err != nil {
			return err
		}
	}
	for i, r := range templateNotes() {
		row := make([]any, len(r))
		for j, v := range r {
			row[j] = v
		}
		cell := fmt.Sprintf("A%d", i+1)
		if err := f.SetSheetRow(n, cell, &row); err != nil {
			return err
		}
		if len(r) > 0 {
			if err := f.SetCellStyle(n, cell, fmt.Sprintf("C%d", i+1), wrap); err != nil {
				return err
			}
		}
	}
	if err := f.SetRowStyle(n, 1, 1, bold); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return nil
}
