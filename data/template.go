package data

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
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
		{"经度", "经度+纬度、X+Y 或坐标串，三选一", fmt.Sprintf("经度（度），十进制度如 106.5516，或度分秒如 106°33'06\"E、106度33分6秒。中国境内约 %g～%g。默认为 CGCS2000 经纬度；WGS84、GCJ-02（高德、腾讯地图）、BD-09（百度地图）经纬度请在上传时选择坐标系，或填写「坐标系」列。", chinaMinLon, chinaMaxLon) + aliases(RoleLon)},
		{"纬度", "同上", fmt.Sprintf("纬度（度），写法同经度，如 29.5630、29°33'47\"N。中国境内约 %g～%g。经度、纬度请勿填反；投影坐标（米）请填在 X、Y 列，X、Y 列不会被当作经纬度。", chinaMinLat, chinaMaxLat) + aliases(RoleLat)},
		{"坐标串(WKT)", "同上", "项目用地范围或线路：WKT，如 POLYGON((107.0 29.8, 107.001 29.8, 107.001 29.801, 107.0 29.8))；或界址点坐标，每行（或用分号隔开）一个点，可带点号，如 J1,107.0,29.8；首尾点相同即为面，否则为线。坐标按本行的坐标系读取，每个点 x 在前、y 在后（与 WKT 一致）：经纬度为“经度 纬度”，投影坐标为“东坐标 北坐标”，即测量上的 Y 在前、X 在后。也可在 WKT 前加 SRID=4545; 指明坐标系。填写后优先于经度、纬度和 X、Y。" + aliases(RoleWKT)},
		{"缓冲距离（米）", "选填", fmt.Sprintf("0～%d 米，也可写 500m、0.5km、1,000；空或 0 表示使用本次筛查设置的缓冲距离。", MaxListBufferM) + aliases(RoleBuffer)},
		{"备注", "选填", "其他列（如备注、项目编号）原样保留到筛查结果中。"},
		{"活动类型", "选填（可自行添加此列）", "项目拟在生态保护红线内开展的有限人为活动，填以下代码之一：" + strings.Join(actList, "；") + "。" + aliases(RoleActivity)},
		{"X（北坐标）", "选填（可自行添加此列）", "投影坐标（CGCS2000 高斯-克吕格投影）的北坐标，单位米，如 3272278.86。按测量习惯，X 为北坐标（纵坐标），Y 为东坐标（横坐标），与数学和 GIS 软件中 x 指向东的习惯相反；为免混淆，也可用列名“北坐标”“东坐标”（或 N、E）。X、Y 须同时填写，并选择投影坐标系，如 EPSG:4545（上传时选择，或填写「坐标系」列）。" + aliases(RoleNorthing)},
		{"Y（东坐标）", "同上", "投影坐标的东坐标（横坐标），单位米，如 354627.80；3度带东坐标前带有带号时（如 36354627.80，第 36 带）应选择“东坐标含带号”的坐标系（如 EPSG:4524）。X、Y 填反时会提示。" + aliases(RoleEasting)},
		{"坐标系", "选填（可自行添加此列）", "本行坐标（经度纬度、X/Y、坐标串）所用的坐标系，覆盖上传时为整份清单选择的坐标系；空则使用上传时选择的坐标系（默认 CGCS2000 经纬度 EPSG:4490）。经度、纬度须用经纬度坐标系，X、Y 须用投影坐标系。可填 EPSG 代码或名称：" + strings.Join(crs.Accepted(), "；") + "。重庆常用 3度带 EPSG:4544、4545、4546（中央经线 105°E、108°E、111°E），东坐标含带号时为 EPSG:4523、4524、4525。北京54、西安80 等请先转换为 CGCS2000。" + aliases(RoleCRS)},
		{},
		{"文件要求", "", fmt.Sprintf("Excel 工作簿（.xlsx）或 CSV（UTF-8 或 GBK 编码，逗号、制表符或分号分隔）；文件不超过 %d MB，数据不超过 %d,%03d 行。", templateMaxMB, templateMaxRows/1000, templateMaxRows%1000)},
		{"表头", "", "读取第一个表头中含有经纬度、X/Y 或坐标串列的工作表（本说明页会被跳过）；表头为第一个非空行，列的顺序不限，列名不区分大小写、全角半角，括号中的单位可省略。空行会被跳过。"},
		{"坐标约定", "", "X 为北坐标、Y 为东坐标（测量习惯）；坐标串（WKT、界址点）中每个点为“x y”，即“经度 纬度”或“东坐标 北坐标”。所有坐标换算为 CGCS2000 经纬度后筛查；WGS84 与 CGCS2000 相差仅厘米级，按同一坐标系处理。"},
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
