package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/sanxian/sanxian/admission"
)

// Limits of an access-list workbook.
const (
	// DefaultMaxAccessListRows is AccessListOptions.MaxRows when zero.
	DefaultMaxAccessListRows = 200_000
	// DefaultMaxAccessListBytes is AccessListOptions.MaxBytes when zero.
	DefaultMaxAccessListBytes = 100 << 20
	// maxAccessListProblems bounds the problems listed; one more problem
	// of code AccessListTooManyProblems counts the rest.
	maxAccessListProblems = 1000
	// accessHeaderRows is how many non-blank rows of a sheet are searched
	// for the header (title rows come first in published tables).
	accessHeaderRows = 12
)

// CodeNoAccessList is the ListError code of a workbook none of whose
// sheets is an access list.
const CodeNoAccessList = "no_access_list"

// Access list problem codes (AccessListProblem.Code), stable for programs.
const (
	AccessListSkippedSheet    = "skipped_sheet"     // a sheet that is not an access list, or one without the scope column its name promises
	AccessListUnknownColumn   = "unknown_column"    // a header that names nothing known: the column is ignored
	AccessListDuplicateColumn = "duplicate_column"  // a second column for the same thing: ignored
	AccessListEmptyCell       = "empty_cell"        // a clause cell, or a row's scope cell, left empty
	AccessListBadUnitCode     = "bad_unit_code"     // not ZH + 6-digit county + 1/2/3 + 4 digits: row skipped
	AccessListBadCountyCode   = "bad_county_code"   // not 6 digits, or a name without a code: row skipped
	AccessListCategory        = "category_mismatch" // the unit's category contradicts its code's category digit
	AccessListDuplicateUnit   = "duplicate_unit"    // a unit (or district) on two rows of a wide sheet
	AccessListBadDimension    = "bad_dimension"     // a 管控维度 value that is none of the four: row skipped
	AccessListDuplicateNumber = "duplicate_number"  // one item number twice in a unit and dimension
	AccessListEmptyItem       = "empty_item"        // a number without text: skipped
	AccessListHeadingItem     = "heading_item"      // an item ending with a colon, followed by other items
	AccessListTooManyProblems = "too_many_problems" // the count of problems not listed
)

// AccessListOptions bound and guide ReadAccessList; zero values mean the
// defaults.
type AccessListOptions struct {
	// MaxRows is the most non-blank data rows over all sheets,
	// DefaultMaxAccessListRows by default; more is a *ListError of code
	// CodeTooManyRows.
	MaxRows int
	// MaxBytes bounds an xlsx unzipped (checked before anything is
	// decompressed) and a CSV as read, DefaultMaxAccessListBytes (100 MB)
	// by default; more is CodeListTooLarge.
	MaxBytes int64
	// Counties maps 区县名称 to 6-digit county codes, for district sheets
	// that name their districts without a code column.
	Counties map[string]string
}

// AccessListProblem is a warning about one place of the workbook: a sheet,
// a row (1-based, as the spreadsheet numbers it; 0 for the sheet) and a
// column (its header as written; empty for the row). The Message is in
// Simplified Chinese, for people.
type AccessListProblem struct {
	Sheet   string `json:"sheet,omitempty"`
	Row     int    `json:"row,omitempty"`
	Column  string `json:"column,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p AccessListProblem) String() string {
	var b strings.Builder
	if p.Sheet != "" {
		b.WriteString("工作表「" + p.Sheet + "」")
	}
	if p.Row > 0 {
		fmt.Fprintf(&b, "第 %d 行", p.Row)
	}
	if p.Column != "" {
		b.WriteString("「" + p.Column + "」列")
	}
	if b.Len() > 0 {
		b.WriteString("：")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ReadAccessList imports an agency's access list (生态环境准入清单) from a
// workbook in the usual layouts, chosen by the extension of name: .xlsx
// (every sheet), or .csv/.tsv/.txt (one sheet; UTF-8, UTF-16 with BOM or
// GBK, as OpenProjectList reads them).
//
// Each sheet is recognised by its header, the first of its first 12
// non-blank rows that names a unit code, a county, a dimension, or both a
// 管控维度 and a 条款内容 column (title rows above it are skipped; a header
// whose dimension columns sit on the next row under a merged 管控要求 cell
// is read as one). Headers compare as OpenProjectList's do (case, width,
// spaces and a trailing bracket ignored), and the field names of deployed
// layers are accepted too:
//
//   - unit sheet (单元): 环境管控单元编码 / 单元编码 / HJZHGKDYBM, optionally
//     单元名称 / HJZHGKDYMC and 管控单元类别 / ZHGKDYFL;
//   - district sheet (区县、片区): 区县代码 (6 digits) and/or 区县名称, the name
//     being looked up in opts.Counties when there is no code;
//   - city sheet (全市总体、市级): neither; taken as city-wide only when its
//     name does not say 单元 or 区县/片区 (a sheet named so without its
//     scope column is skipped, never widened to the whole city).
//
// Clauses are either in the four dimension columns 空间布局约束 / KJBJYS,
// 污染物排放管控 / PWWPFGK, 环境风险防控 / HJFXFK and 资源开发效率要求 / 资源利用效率
// / ZYKFXLYQ (one row per unit, district or the city: "wide"), or in rows
// of 管控维度 + 条款内容 with an optional 条款编号 ("long"); in a long sheet an
// empty scope or dimension cell repeats the one above (merged cells). The
// dimension is stored under its canonical name (admission.Dimensions:
// 资源开发效率要求 becomes 资源利用效率).
//
// Every cell is split by SplitClauses; every item becomes one clause, in
// row order and, within a row, in dimension order. Its id is
// "U-<unit>-<dim>-<n>", "D-<county>-<dim>-<n>" or "C-<dim>-<n>", dim being
// KJ, PW, HJ or ZY and n the item's number ("1-3"; circled and Chinese
// numerals as digits) or, for an unnumbered item, its position among the
// scope's items of that dimension; a repeated id gets "_2", "_3". Ids are
// therefore deterministic and stay the same when the publisher keeps its
// numbering. The effect is ClassifyEffect's. A clause is machine-readable
// (Machine true, with Industries and Construction) only when its whole
// text is one prohibition or restriction of industries that
// DetectIndustries is sure of (see machineClause); every other clause is
// kept as free text for manual review (需人工研判). No spatial condition,
// exception or zone-level clause is produced.
//
// Problems are warnings: the rows and cells they name are skipped or read
// as described by the AccessList… codes; at most 1,000 are listed. A file
// that cannot be read at all is a *ListError: CodeUnsupportedList (not
// .xlsx/.csv, an .xls), CodeCorruptList, CodeListTooLarge (over
// opts.MaxBytes), CodeTooManyRows (over opts.MaxRows data rows in all),
// CodeEmptyList (no clause at all) or CodeNoAccessList (no sheet
// recognised); an error reading r is returned wrapped. A nil ind means
// the embedded GB/T 4754-2017 table. Temporary files are removed before it
// returns.
func ReadAccessList(name string, r io.Reader, ind *admission.Industries, opts AccessListOptions) (admission.Rules, []AccessListProblem, error) {
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxAccessListRows
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxAccessListBytes
	}
	if ind == nil {
		var err error
		if ind, err = admission.NewIndustries(); err != nil {
			return admission.Rules{}, nil, fmt.Errorf("data: access list: %w", err)
		}
	}
	b := &accessBuilder{ind: ind, opts: opts, ids: map[string]bool{}, ordinals: map[string]int{}, seen: map[string]accessSeen{}}
	var err error
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".xlsx":
		err = b.readXLSX(r)
	case ".csv", ".tsv", ".txt":
		err = b.readCSV(r, ext, strings.TrimSuffix(path.Base(name), path.Ext(name)))
	default:
		err = unsupportedTable(ext)
	}
	if err != nil {
		return admission.Rules{}, nil, err
	}
	switch {
	case b.sheets == 0:
		return admission.Rules{}, nil, listErr(CodeNoAccessList, 0, "没有可识别的准入清单工作表：表头应含 环境管控单元编码（单元清单）、区县代码或区县名称（区县清单），以及 空间布局约束、污染物排放管控、环境风险防控、资源利用效率 四列或 管控维度 + 条款内容 两列。%s", b.skippedText())
	case len(b.rules.Clauses) == 0:
		return admission.Rules{}, nil, listErr(CodeEmptyList, 0, "准入清单中没有条款：所有条款单元格都是空的。")
	}
	if b.dropped > 0 {
		b.probs = append(b.probs, AccessListProblem{Code: AccessListTooManyProblems, Message: fmt.Sprintf("另有 %d 个问题未列出。", b.dropped)})
	}
	return b.rules, b.probs, nil
}

// ---- reading ----

// accessRow is one row of a sheet: its cells and 1-based number.
type accessRow struct {
	cells []string
	line  int
}

// errAccessStop ends a sheet's iteration early (not an error).
var errAccessStop = errors.New("stop")

func (b *accessBuilder) readXLSX(r io.Reader) (err error) {
	dir, err := os.MkdirTemp("", "sanxian-accesslist-")
	if err != nil {
		return fmt.Errorf("data: access list: %w", err)
	}
	defer os.RemoveAll(dir)
	spool := filepath.Join(dir, "list.xlsx")
	fh, err := os.Create(spool)
	if err != nil {
		return fmt.Errorf("data: access list: %w", err)
	}
	limit := b.opts.MaxBytes + 1<<20
	n, err := io.Copy(fh, io.LimitReader(r, limit+1))
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return fmt.Errorf("data: read access list: %w", err)
	case n == 0:
		return listErr(CodeEmptyList, 0, "文件是空的。")
	case n > limit:
		return listErr(CodeListTooLarge, 0, "xlsx 文件超过 %s。", sizeCN(b.opts.MaxBytes))
	}
	if err := checkListZip(spool, b.opts.MaxBytes); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			// excelize is not hardened against every malformed workbook.
			err = listErr(CodeCorruptList, 0, "xlsx 文件无法读取（文件损坏）。")
		}
	}()
	f, err := excelize.OpenFile(spool, excelize.Options{
		UnzipSizeLimit:    b.opts.MaxBytes,
		UnzipXMLSizeLimit: min(b.opts.MaxBytes, listXMLInMemory),
		TmpDir:            dir,
	})
	if f == nil && err == nil {
		err = errors.New("no workbook")
	}
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return listErr(CodeListTooLarge, 0, "xlsx 文件解压后超过 %s。", sizeCN(b.opts.MaxBytes))
		}
		return listErr(CodeCorruptList, 0, "不是有效的 .xlsx 文件（可能已损坏，或是改了扩展名的其他格式）：%v。", err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		if err := b.readSheet(sheet, sheet, func(yield func(accessRow) error) error {
			return accessXLSXRows(f, sheet, yield)
		}); err != nil {
			return err
		}
	}
	return nil
}

// accessXLSXRows streams the rows of a sheet, stored values rather than
// formatted ones (codes stay "500103" whatever their number format).
func accessXLSXRows(f *excelize.File, sheet string, yield func(accessRow) error) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return listErr(CodeCorruptList, 0, "无法读取工作表「%s」：%v。", sheet, err)
	}
	defer rows.Close()
	for line := 1; rows.Next(); line++ {
		cells, err := rows.Columns(rawCellValue)
		if err != nil {
			return listErr(CodeCorruptList, line, "工作表「%s」第 %d 行无法读取：%v。", sheet, line, err)
		}
		if err := yield(accessRow{cells, line}); err != nil {
			if err == errAccessStop {
				return nil
			}
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return listErr(CodeCorruptList, 0, "工作表「%s」无法读取：%v。", sheet, err)
	}
	return nil
}

// errAccessTooLarge is a CSV longer than MaxBytes.
var errAccessTooLarge = errors.New("data: access list too large")

// accessByteBudget fails a read once more than max bytes were read.
type accessByteBudget struct {
	r      io.Reader
	n, max int64
}

func (l *accessByteBudget) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, errAccessTooLarge
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

func (b *accessBuilder) readCSV(r io.Reader, ext, hint string) error {
	tooLarge := func(err error) error {
		if errors.Is(err, errAccessTooLarge) {
			return listErr(CodeListTooLarge, 0, "文件超过 %s。", sizeCN(b.opts.MaxBytes))
		}
		return err
	}
	src, err := openListCSV(&accessByteBudget{r: r, max: b.opts.MaxBytes}, ext)
	if err != nil {
		return tooLarge(err)
	}
	err = b.readSheet("", hint, func(yield func(accessRow) error) error {
		for {
			rec, err := src.next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := yield(accessRow{rec.cells, rec.line}); err != nil {
				if err == errAccessStop {
					return nil
				}
				return err
			}
		}
	})
	return tooLarge(err)
}

// ---- headers ----

// Column roles of an access-list sheet; a dimension column's role is its
// canonical dimension name.
const (
	alRoleUnitCode   = "unit_code"
	alRoleUnitName   = "unit_name"
	alRoleCategory   = "category"
	alRoleCountyCode = "county_code"
	alRoleCountyName = "county_name"
	alRoleDimension  = "dimension"
	alRoleText       = "text"
	alRoleNumber     = "number"
	alRoleIgnored    = "ignored"
)

// accessHeaderNames lists the headers accepted per role, compared after
// normHeader. The dimension names double as the values of a 管控维度
// column.
var accessHeaderNames = []struct {
	role  string
	names []string
}{
	{alRoleUnitCode, []string{"环境管控单元编码", "环境管控单元代码", "管控单元编码", "管控单元代码", "综合管控单元编码", "单元编码", "单元代码", "管控单元编号", "HJZHGKDYBM"}},
	{alRoleUnitName, []string{"环境管控单元名称", "管控单元名称", "综合管控单元名称", "单元名称", "HJZHGKDYMC"}},
	{alRoleCategory, []string{"环境管控单元类别", "管控单元类别", "单元类别", "管控单元分类", "单元分类", "管控类别", "环境管控单元类型", "管控单元类型", "单元类型", "ZHGKDYFL"}},
	{alRoleCountyCode, []string{"区县代码", "区县编码", "县区代码", "行政区划代码", "区划代码", "县级行政区划代码", "区县行政区划代码", "片区代码", "片区编码", "XZQHDM", "county_code", "area_code"}},
	{alRoleCountyName, []string{"区县名称", "区县", "县区", "所属区县", "行政区", "行政区名称", "行政区划名称", "片区", "片区名称", "AREA", "county"}},
	{alRoleDimension, []string{"管控维度", "维度", "管控要求类别", "要求类别", "清单类别", "准入要求类别", "管控方面"}},
	{alRoleText, []string{"条款内容", "条款", "管控要求", "准入要求", "管控内容", "清单内容", "要求", "内容", "具体要求", "生态环境准入要求", "生态环境准入清单", "准入清单"}},
	{alRoleNumber, []string{"条款编号", "编号", "条款序号"}},
	{alRoleIgnored, []string{"序号", "备注", "REMARK", "省", "省份", "PROV", "province", "市", "地市", "城市", "CITY", "面积", "管控单元面积", "单元面积",
		"涉及乡镇", "涉及乡镇街道", "涉及街镇", "乡镇", "乡镇街道", "街道", "OBJECTID", "FID"}},
	{admission.Dimensions[0], []string{"空间布局约束", "空间布局", "空间布局要求", "KJBJYS"}},
	{admission.Dimensions[1], []string{"污染物排放管控", "污染物排放", "污染排放管控", "污染物排放管控要求", "PWWPFGK"}},
	{admission.Dimensions[2], []string{"环境风险防控", "环境风险", "环境风险管控", "环境风险防控要求", "HJFXFK"}},
	{admission.Dimensions[3], []string{"资源开发效率要求", "资源利用效率", "资源利用效率要求", "资源开发利用效率", "资源开发效率", "资源开发利用要求", "资源利用要求", "资源利用", "ZYKFXLYQ"}},
}

var accessRoleByHeader = func() map[string]string {
	m := map[string]string{}
	for _, r := range accessHeaderNames {
		for _, n := range r.names {
			m[normHeader(n)] = r.role
		}
	}
	return m
}()

// dimensionAbbrev names the dimensions in clause ids.
var dimensionAbbrev = map[string]string{
	admission.Dimensions[0]: "KJ", admission.Dimensions[1]: "PW", admission.Dimensions[2]: "HJ", admission.Dimensions[3]: "ZY",
}

func isAccessDimension(role string) bool { _, ok := dimensionAbbrev[role]; return ok }

var accessHeaderParts = regexp.MustCompile(`[\n/／|｜]`)

// accessRole is the role a header (or a 管控维度 value) names, "" when
// none. A header of two lines or parts ("空间布局约束\nKJBJYS") is read part
// by part.
func accessRole(h string) string {
	if role := accessRoleByHeader[normHeader(h)]; role != "" {
		return role
	}
	for _, part := range accessHeaderParts.Split(h, -1) {
		if role := accessRoleByHeader[normHeader(part)]; role != "" {
			return role
		}
	}
	return ""
}

// accessHeader is a recognised header.
type accessHeader struct {
	line   int            // the last header row
	cols   map[string]int // role → column
	labels map[int]string // column → header as written
}

func (h *accessHeader) has(role string) bool { _, ok := h.cols[role]; return ok }

func (h *accessHeader) cell(r accessRow, role string) string {
	i, ok := h.cols[role]
	if !ok {
		return ""
	}
	return cellAt(r.cells, i)
}

func (h *accessHeader) wide() bool {
	for _, d := range admission.Dimensions {
		if h.has(d) {
			return true
		}
	}
	return false
}

func (h *accessHeader) long() bool { return !h.wide() && h.has(alRoleDimension) && h.has(alRoleText) }

// accessRowRoles recognises the cells of a row.
func accessRowRoles(cells []string) map[int]string {
	roles := map[int]string{}
	for i, c := range cells {
		if role := accessRole(c); role != "" {
			roles[i] = role
		}
	}
	return roles
}

// isAccessHeaderRow reports whether roles make a header: a scope or dimension
// column, or 管控维度 with 条款内容.
func isAccessHeaderRow(roles map[int]string) bool {
	for _, role := range roles {
		switch {
		case role == alRoleUnitCode, role == alRoleCountyCode, role == alRoleCountyName, isAccessDimension(role):
			return true
		}
	}
	return isLongHeader(roles)
}

// ---- sheets ----

// Sheet kinds.
const (
	accessUnit     = admission.LevelUnit
	accessDistrict = admission.LevelDistrict
	accessCity     = admission.LevelCity
)

// accessSheetHint reads what a sheet's name (or a CSV file's) says it holds.
func accessSheetHint(name string) (unit, district, city bool) {
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(name, w) {
				return true
			}
		}
		return false
	}
	return has("单元"), has("区县", "片区", "县区", "区（县）", "区(县)"), has("全市", "市级", "总体", "全域")
}

// accessSeen remembers the first row of a unit or district in a wide sheet.
type accessSeen struct {
	sheet string
	line  int
	sig   string
}

// accessBuilder gathers the clauses and problems of a workbook.
type accessBuilder struct {
	ind      *admission.Industries
	opts     AccessListOptions
	rules    admission.Rules
	ids      map[string]bool // id → from a published number
	ordinals map[string]int  // id base → items so far
	seen     map[string]accessSeen
	probs    []AccessListProblem
	dropped  int
	rows     int      // data rows read, all sheets
	sheets   int      // sheets recognised
	skipped  []string // sheets not recognised, for the error message
}

func (b *accessBuilder) problem(sheet string, line int, column, code, format string, args ...any) {
	if len(b.probs) >= maxAccessListProblems {
		b.dropped++
		return
	}
	b.probs = append(b.probs, AccessListProblem{Sheet: sheet, Row: line, Column: column, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (b *accessBuilder) skippedText() string {
	if len(b.skipped) == 0 {
		return ""
	}
	return "已查看的工作表：" + strings.Join(b.skipped, "、") + "。"
}

// readSheet reads one sheet: sheet is its name for problems ("" for a
// CSV), hint the name its kind is guessed from, rows its row source.
func (b *accessBuilder) readSheet(sheet, hint string, rows func(yield func(accessRow) error) error) error {
	var (
		head []accessRow // non-blank rows before the header is known
		h    *accessHeader
		kind string
		st   = &accessSheetState{}
	)
	label := sheet
	if label == "" {
		label = hint
	}
	// start finds the header in head and reads the rows after it; stop
	// when the sheet is skipped.
	start := func() (stop bool, err error) {
		var rest []accessRow
		h, rest = findAccessHeader(head)
		head = nil
		if h == nil {
			b.skipped = append(b.skipped, "「"+label+"」")
			b.problem(sheet, 0, "", AccessListSkippedSheet, "未识别为准入清单（前 %d 个非空行中没有单元编码、区县或管控维度等表头），已跳过。", accessHeaderRows)
			return true, nil
		}
		var skip bool
		if kind, skip = b.sheetKind(sheet, hint, h); skip {
			b.skipped = append(b.skipped, "「"+label+"」")
			return true, nil
		}
		b.sheetStarted(sheet, h)
		for _, r := range rest {
			if err := b.dataRow(sheet, kind, h, st, r); err != nil {
				return true, err
			}
		}
		return false, nil
	}
	err := rows(func(r accessRow) error {
		if blankCells(r.cells) {
			return nil
		}
		if h != nil {
			return b.dataRow(sheet, kind, h, st, r)
		}
		if head = append(head, r); len(head) < accessHeaderRows {
			return nil
		}
		stop, err := start()
		if err == nil && stop {
			err = errAccessStop
		}
		return err
	})
	if err == nil && h == nil && len(head) > 0 {
		_, err = start()
	}
	return err
}

// findAccessHeader finds the header among the first rows and returns it
// with the rows after it.
func findAccessHeader(rows []accessRow) (*accessHeader, []accessRow) {
	for i, r := range rows {
		roles := accessRowRoles(r.cells)
		if !isAccessHeaderRow(roles) {
			continue
		}
		h := &accessHeader{line: r.line, cols: map[string]int{}, labels: map[int]string{}}
		for j, c := range r.cells {
			if strings.TrimSpace(c) != "" {
				h.labels[j] = strings.TrimSpace(c)
			}
		}
		rest := rows[i+1:]
		// Dimension columns under a merged 管控要求 cell: a next row of
		// dimension headings only (a data row of a long sheet also names
		// a dimension, in its 管控维度 cell).
		if !hasAccessDimension(roles) && !isLongHeader(roles) && len(rest) > 0 {
			if next := accessRowRoles(rest[0].cells); hasAccessDimension(next) && onlyDimensions(rest[0].cells, next) {
				for j, role := range next {
					roles[j] = role
					h.labels[j] = strings.TrimSpace(rest[0].cells[j])
				}
				h.line = rest[0].line
				rest = rest[1:]
			}
		}
		h.roles(roles)
		return h, rest
	}
	return nil, nil
}

// isLongHeader reports a 管控维度 + 条款内容 header.
func isLongHeader(roles map[int]string) bool {
	var dim, text bool
	for _, role := range roles {
		dim = dim || role == alRoleDimension
		text = text || role == alRoleText
	}
	return dim && text
}

// onlyDimensions reports whether every non-blank cell is a dimension
// heading.
func onlyDimensions(cells []string, roles map[int]string) bool {
	for j, c := range cells {
		if strings.TrimSpace(c) != "" && !isAccessDimension(roles[j]) {
			return false
		}
	}
	return true
}

func hasAccessDimension(roles map[int]string) bool {
	for _, role := range roles {
		if isAccessDimension(role) {
			return true
		}
	}
	return false
}

// roles sets the header's columns, the first column of a role winning.
func (h *accessHeader) roles(roles map[int]string) {
	cols := make([]int, 0, len(roles))
	for j := range roles {
		cols = append(cols, j)
	}
	slices.Sort(cols)
	for _, j := range cols {
		if _, dup := h.cols[roles[j]]; !dup {
			h.cols[roles[j]] = j
		}
	}
}

// sheetKind decides what a recognised sheet holds; skip when its name
// promises a scope its columns do not give.
func (b *accessBuilder) sheetKind(sheet, hint string, h *accessHeader) (kind string, skip bool) {
	unit, district, city := accessSheetHint(hint)
	switch {
	case h.has(alRoleUnitCode):
		kind = accessUnit
	case h.has(alRoleCountyCode):
		kind = accessDistrict
	case unit:
		b.problem(sheet, h.line, "", AccessListSkippedSheet, "工作表名称表明是单元清单，但没有“环境管控单元编码”列，无法确定条款适用的单元，已跳过。")
		return "", true
	case h.has(alRoleCountyName) && !city:
		kind = accessDistrict
	case district && !city:
		b.problem(sheet, h.line, "", AccessListSkippedSheet, "工作表名称表明是区县清单，但没有“区县代码”或“区县名称”列，无法确定条款适用的区县，已跳过。")
		return "", true
	default:
		kind = accessCity
	}
	if !h.wide() && !h.long() {
		b.problem(sheet, h.line, "", AccessListSkippedSheet, "有适用范围列，但没有条款列（空间布局约束、污染物排放管控、环境风险防控、资源利用效率，或 管控维度 + 条款内容），已跳过。")
		return "", true
	}
	return kind, false
}

// sheetStarted counts the sheet and reports its header's problems.
func (b *accessBuilder) sheetStarted(sheet string, h *accessHeader) {
	b.sheets++
	cols := make([]int, 0, len(h.labels))
	for j := range h.labels {
		cols = append(cols, j)
	}
	slices.Sort(cols)
	used := map[int]bool{}
	for _, j := range h.cols {
		used[j] = true
	}
	for _, j := range cols {
		label := h.labels[j]
		role := accessRole(label)
		switch {
		case used[j]:
		case role == "":
			b.problem(sheet, h.line, label, AccessListUnknownColumn, "未识别的列，已忽略。")
		case role == alRoleIgnored:
		case h.wide() && (role == alRoleText || role == alRoleDimension || role == alRoleNumber):
			// the merged 管控要求 heading above the dimensions, or a stray column
		default:
			b.problem(sheet, h.line, label, AccessListDuplicateColumn, "与「%s」列重复，已忽略。", h.labels[h.cols[role]])
		}
	}
	if h.wide() && h.has(alRoleDimension) {
		b.problem(sheet, h.line, h.labels[h.cols[alRoleDimension]], AccessListDuplicateColumn, "已有四个维度列，“管控维度”列已忽略。")
	}
}

// accessSheetState carries what a long sheet's rows inherit from the rows above
// (merged cells).
type accessSheetState struct {
	scope, dimension string
}

var accessUnitCodeRe = regexp.MustCompile(`^ZH\d{6}[123]\d{4}$`)
var accessCountyCodeRe = regexp.MustCompile(`^\d{6}$`)

// noneCell is a cell that says there is no requirement.
func noneCell(s string) bool {
	switch strings.TrimSpace(narrow(s)) {
	case "无", "暂无", "/", "\\", "-", "—", "——", "--", "无要求", "不涉及":
		return true
	}
	return false
}

// accessCode reads a code: width folded, spaces removed, upper case.
func accessCode(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(narrow(s)), ""))
}

// accessCategoryDigit reads a unit category cell: 优先保护(单元), 重点管控, 一般管控
// or the digit; 0 when unknown.
func accessCategoryDigit(s string) byte {
	s = strings.TrimSpace(narrow(s))
	switch {
	case s == "1" || strings.HasPrefix(s, "优先"):
		return '1'
	case s == "2" || strings.HasPrefix(s, "重点"):
		return '2'
	case s == "3" || strings.HasPrefix(s, "一般"):
		return '3'
	}
	return 0
}

// dataRow reads one non-blank row after the header.
func (b *accessBuilder) dataRow(sheet, kind string, h *accessHeader, st *accessSheetState, r accessRow) error {
	if b.rows++; b.rows > b.opts.MaxRows {
		return listErr(CodeTooManyRows, r.line, "%s第 %d 行：数据超过 %d 行的上限，请拆分为多个文件。", sheetPrefix(sheet), r.line, b.opts.MaxRows)
	}
	long := h.long()
	scope, ok := b.rowScope(sheet, kind, h, st, r, long)
	if !ok {
		return nil
	}
	if !long {
		b.wideRow(sheet, kind, h, r, scope)
		return nil
	}
	dim := h.cell(r, alRoleDimension)
	switch {
	case dim == "" && st.dimension == "":
		b.problem(sheet, r.line, h.labels[h.cols[alRoleDimension]], AccessListEmptyCell, "管控维度为空，已跳过本行。")
		return nil
	case dim == "":
		dim = st.dimension
	default:
		canon := accessRole(dim)
		if !isAccessDimension(canon) {
			b.problem(sheet, r.line, h.labels[h.cols[alRoleDimension]], AccessListBadDimension, "管控维度“%s”无法识别，应为 %s 之一，已跳过本行。", clip(dim), strings.Join(admission.Dimensions, "、"))
			st.dimension = ""
			return nil
		}
		dim = canon
		st.dimension = dim
	}
	text := h.cell(r, alRoleText)
	column := h.labels[h.cols[alRoleText]]
	if noneCell(text) {
		return nil
	}
	if text == "" {
		b.problem(sheet, r.line, column, AccessListEmptyCell, "条款内容为空。")
		return nil
	}
	items := SplitClauses(text)
	if n := h.cell(r, alRoleNumber); n != "" && len(items) == 1 && items[0].Number == "" {
		if m, ok := parseClauseMarker(n+" ", 0, true); ok {
			items[0].Number = m.number
		} else {
			items[0].Number = strings.TrimSpace(narrow(n))
		}
	}
	b.addItems(sheet, r.line, column, kind, scope, dim, items)
	return nil
}

// rowScope reads the row's unit or county code; false when the row is
// skipped.
func (b *accessBuilder) rowScope(sheet, kind string, h *accessHeader, st *accessSheetState, r accessRow, long bool) (string, bool) {
	switch kind {
	case accessUnit:
		raw := h.cell(r, alRoleUnitCode)
		label := h.labels[h.cols[alRoleUnitCode]]
		code := accessCode(raw)
		switch {
		case code == "" && long && st.scope != "":
			return st.scope, true
		case code == "":
			b.problem(sheet, r.line, label, AccessListEmptyCell, "环境管控单元编码为空，已跳过本行。")
			st.scope = ""
			return "", false
		case !accessUnitCodeRe.MatchString(code):
			b.problem(sheet, r.line, label, AccessListBadUnitCode, "环境管控单元编码“%s”不是 13 位编码（ZH + 6 位区县代码 + 类别位 1/2/3 + 4 位序号，如 ZH50010320001），已跳过本行。", clip(raw))
			st.scope = ""
			return "", false
		}
		if c := h.cell(r, alRoleCategory); c != "" {
			if d := accessCategoryDigit(c); d != 0 && d != code[8] {
				b.problem(sheet, r.line, h.labels[h.cols[alRoleCategory]], AccessListCategory, "单元类别“%s”与编码 %s 的类别位 %c 不符（1 优先保护、2 重点管控、3 一般管控），条款照常导入，请核对。", clip(c), code, code[8])
			}
		}
		st.scope = code
		return code, true
	case accessDistrict:
		raw := h.cell(r, alRoleCountyCode)
		label := h.labels[h.cols[alRoleCountyCode]]
		name := h.cell(r, alRoleCountyName)
		code := accessCode(raw)
		if code == "" && name != "" {
			c, ok := b.opts.Counties[name]
			if !ok {
				b.problem(sheet, r.line, h.labels[h.cols[alRoleCountyName]], AccessListBadCountyCode, "区县“%s”没有区县代码（6 位），无法确定条款适用的区县，已跳过本行。", clip(name))
				st.scope = ""
				return "", false
			}
			code, raw = accessCode(c), c
		}
		switch {
		case code == "" && long && st.scope != "":
			return st.scope, true
		case code == "":
			if label == "" {
				label = h.labels[h.cols[alRoleCountyName]]
			}
			b.problem(sheet, r.line, label, AccessListEmptyCell, "区县代码为空，已跳过本行。")
			st.scope = ""
			return "", false
		case !accessCountyCodeRe.MatchString(code):
			b.problem(sheet, r.line, label, AccessListBadCountyCode, "区县代码“%s”不是 6 位数字（GB/T 2260，如 500103），已跳过本行。", clip(raw))
			st.scope = ""
			return "", false
		}
		st.scope = code
		return code, true
	}
	return "", true
}

// wideRow reads the four dimension cells of a row.
func (b *accessBuilder) wideRow(sheet, kind string, h *accessHeader, r accessRow, scope string) {
	var sig strings.Builder
	for _, d := range admission.Dimensions {
		sig.WriteString(h.cell(r, d) + "\x00")
	}
	key := kind + "|" + scope
	if prev, dup := b.seen[key]; dup && kind != accessCity {
		where := fmt.Sprintf("第 %d 行", prev.line)
		if prev.sheet != sheet {
			where = sheetPrefix(prev.sheet) + where
		}
		what := "单元 " + scope
		if kind == accessDistrict {
			what = "区县 " + scope
		}
		if prev.sig == sig.String() {
			b.problem(sheet, r.line, "", AccessListDuplicateUnit, "%s 已在%s出现，内容相同，本行已忽略。", what, where)
			return
		}
		b.problem(sheet, r.line, "", AccessListDuplicateUnit, "%s 已在%s出现，内容不同：两行的条款都已导入，请核对。", what, where)
	} else if !dup {
		b.seen[key] = accessSeen{sheet, r.line, sig.String()}
	}
	for _, d := range admission.Dimensions {
		if !h.has(d) {
			continue
		}
		text := h.cell(r, d)
		column := h.labels[h.cols[d]]
		if noneCell(text) {
			continue
		}
		if text == "" {
			b.problem(sheet, r.line, column, AccessListEmptyCell, "单元格为空，本维度没有导入条款。")
			continue
		}
		b.addItems(sheet, r.line, column, kind, scope, d, SplitClauses(text))
	}
}

// addItems turns a cell's items into clauses.
func (b *accessBuilder) addItems(sheet string, line int, column, kind, scope, dim string, items []ClauseItem) {
	base := ""
	var sc admission.Scope
	switch kind {
	case accessUnit:
		base, sc.Unit = "U-"+scope, scope
	case accessDistrict:
		base, sc.County = "D-"+scope, scope
	default:
		base = "C"
	}
	base += "-" + dimensionAbbrev[dim]
	for i, it := range items {
		b.ordinals[base]++
		if it.Text == "" {
			b.problem(sheet, line, column, AccessListEmptyItem, "第 %s 条没有正文，已跳过。", it.Number)
			continue
		}
		if i+1 < len(items) && (strings.HasSuffix(it.Text, "：") || strings.HasSuffix(it.Text, ":")) {
			b.problem(sheet, line, column, AccessListHeadingItem, "条款“%s”以冒号结尾，可能是后面各条的引语；已作为单独的条款导入，请核对。", clip(it.Text))
		}
		numbered := true
		suffix := numberForID(it.Number)
		if suffix == "" {
			numbered, suffix = false, strconv.Itoa(b.ordinals[base])
		}
		id := base + "-" + suffix
		if fromNumber, taken := b.ids[id]; taken {
			if numbered && fromNumber {
				b.problem(sheet, line, column, AccessListDuplicateNumber, "编号 %s 在同一%s的本维度中重复出现，条款都已导入，请核对。", it.Number, map[string]string{accessUnit: "单元", accessDistrict: "区县", accessCity: "清单"}[kind])
			}
			for n := 2; ; n++ {
				if alt := fmt.Sprintf("%s_%d", id, n); !b.idTaken(alt) {
					id = alt
					break
				}
			}
		}
		b.ids[id] = numbered
		effect := ClassifyEffect(it.Text)
		c := admission.Clause{ID: id, Level: kind, Scope: sc, Dimension: dim, Number: it.Number, Text: it.Text, Effect: effect}
		if filter, cons, ok := machineClause(it.Text, effect, b.ind); ok {
			c.Industries, c.Construction, c.Machine = filter, cons, true
		}
		b.rules.Clauses = append(b.rules.Clauses, c)
	}
}

func (b *accessBuilder) idTaken(id string) bool { _, ok := b.ids[id]; return ok }

// numberForID turns an item number into id form: digits, "-" and "."
// as they are, a circled or Chinese numeral as digits; "" otherwise.
func numberForID(n string) string {
	if n == "" {
		return ""
	}
	plain := true
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(c >= '0' && c <= '9' || c == '-' || c == '.') {
			plain = false
			break
		}
	}
	if plain {
		return n
	}
	if r, size := utf8.DecodeRuneInString(n); size == len(n) {
		if _, v := clauseEnclosedValue(r); v > 0 {
			return strconv.Itoa(v)
		}
	}
	if v := clauseCJKValue(n); v > 0 {
		return strconv.Itoa(v)
	}
	return ""
}
