package data

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/text/width"

	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
)

// Project list error codes (ListError.Code), stable for programs.
const (
	CodeUnsupportedList = "unsupported_list" // not .xlsx/.csv/.tsv/.txt, or an .xls / xlsx content under another name
	CodeEmptyList       = "empty_list"       // no header, or a header and no data row
	CodeNoSiteColumns   = "no_site_columns"  // neither 经度+纬度, X+Y (北坐标+东坐标) nor a 坐标串 column
	CodeBadEncoding     = "bad_encoding"     // text that is neither UTF-8, UTF-16 (BOM) nor GBK/GB18030
	CodeCorruptList     = "corrupt_list"     // a damaged xlsx or CSV
	CodeTooManyRows     = "too_many_rows"    // more data rows than ListOptions.MaxRows
	CodeDuplicateColumn = "duplicate_column" // two columns with the same role
	CodeListTooLarge    = "list_too_large"   // an xlsx that unzips to more than ListOptions.MaxUnzipBytes
)

// Limits of a project list.
const (
	// DefaultMaxListRows is ListOptions.MaxRows when zero.
	DefaultMaxListRows = 200_000
	// DefaultMaxUnzipBytes is ListOptions.MaxUnzipBytes when zero.
	DefaultMaxUnzipBytes = 1 << 30
	// MaxListBufferM is the largest buffer distance a row may ask for.
	MaxListBufferM = 50_000
)

// Roles of project list columns: the keys of batch.Header.Roles and the
// values of batch.RowError.Column (RoleSite for the site as a whole).
const (
	RoleName         = "name"
	RoleIndustry     = "industry"
	RoleIndustryName = "industry_name"
	RoleConstruction = "construction"
	RoleActivity     = "activity"
	RoleLon          = "lon"
	RoleLat          = "lat"
	RoleNorthing     = "northing" // metres; a column headed X (Chinese surveying: X is the northing)
	RoleEasting      = "easting"  // metres; a column headed Y (the easting)
	RoleWKT          = "wkt"
	RoleBuffer       = "buffer"
	RoleCRS          = "crs"
	RoleSite         = "site"
)

// China's extent in degrees, for the range check of every coordinate.
const (
	chinaMinLon, chinaMaxLon = 73.0, 136.0
	chinaMinLat, chinaMaxLat = 3.0, 54.0
)

const (
	listSniffBytes = 64 << 10 // prefix read to detect the encoding and the delimiter
	// listMaxRecordBytes bounds one CSV record, so that an unclosed quote
	// cannot pull the whole file into memory.
	listMaxRecordBytes = 16 << 20
	// listMaxInMemory bounds the xlsx parts excelize keeps in memory
	// (styles, workbook, small sheets, images …), whatever MaxUnzipBytes.
	listMaxInMemory   = 256 << 20
	listMaxZipEntries = 10_000
)

// ListOptions bound the reading; zero (or negative) values mean the
// defaults.
type ListOptions struct {
	// MaxRows is the most data rows (blank rows not counted) a list may
	// have, DefaultMaxListRows by default; one more ends Rows with a
	// *ListError of code CodeTooManyRows.
	MaxRows int
	// MaxUnzipBytes bounds the decompressed size of an xlsx (a zip),
	// DefaultMaxUnzipBytes by default; more gives CodeListTooLarge when
	// the list is opened, before anything is decompressed.
	MaxUnzipBytes int64
	// CRS is the coordinate system of the list's coordinates (经度/纬度,
	// X/Y, 坐标串) where a row's 坐标系 cell is empty; the zero CRS means
	// crs.CGCS2000.
	CRS crs.CRS
}

// listXMLInMemory is excelize's UnzipXMLSizeLimit: larger worksheets and
// shared-string tables are extracted to temporary files (a variable so
// that tests reach that path with small files).
var listXMLInMemory int64 = 16 << 20

func (o ListOptions) withDefaults() ListOptions {
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxListRows
	}
	if o.MaxUnzipBytes <= 0 {
		o.MaxUnzipBytes = DefaultMaxUnzipBytes
	}
	if o.CRS.Kind == "" {
		o.CRS = crs.CGCS2000
	}
	return o
}

// ListError is a project list that cannot be read as a whole: a stable
// Code (CodeUnsupportedList …), a Simplified Chinese Message for people
// and the 1-based Line of the file it concerns (0 when none).
//
// errors.Is(err, batch.ErrTooManyRows) holds for code CodeTooManyRows.
type ListError struct {
	Code    string
	Message string
	Line    int
}

func (e *ListError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("data: %s: line %d: %s", e.Code, e.Line, e.Message)
	}
	return fmt.Sprintf("data: %s: %s", e.Code, e.Message)
}

// Is reports whether target is batch.ErrTooManyRows for a too_many_rows
// error.
func (e *ListError) Is(target error) bool {
	return target == batch.ErrTooManyRows && e.Code == CodeTooManyRows
}

func listErr(code string, line int, format string, args ...any) *ListError {
	return &ListError{Code: code, Message: fmt.Sprintf(format, args...), Line: line}
}

// ProjectList is an opened project list (批量筛查 input): Header is known
// at once, Rows streams the data rows. It holds temporary files until
// Close. A ProjectList is not safe for concurrent use.
type ProjectList struct {
	// Header is the list's first non-empty row and the roles recognised
	// in it.
	Header batch.Header
	// CRS is ListOptions.CRS (crs.CGCS2000 when not given): the
	// coordinate system of rows whose 坐标系 cell is empty.
	CRS crs.CRS

	hdr     *listHeader
	src     listSource
	first   *listRecord // the first data row, read by OpenProjectList
	maxRows int
	started bool
	closed  bool
}

// OpenProjectList opens an uploaded project list, chosen by the extension
// of name (case-insensitive), and reads its header:
//
//   - .csv, .txt, .tsv: UTF-8 with or without BOM, UTF-16 with a BOM, or
//     else GBK/GB18030 (decided on the first 64 KiB: a later line that is
//     not UTF-8 in a UTF-8 file ends Rows with CodeBadEncoding). The
//     delimiter is a comma, or a tab or semicolon when the header line has
//     those and no comma (tab first for .tsv); an Excel "sep=;" first line
//     is honoured. Quotes are lax and rows may be ragged. The file is
//     streamed; one record may not exceed 16 MB.
//   - .xlsx: the first worksheet whose first non-empty row names a site
//     column (经度/纬度, X/Y or 坐标串), else the first whose first non-empty
//     row has any recognised column; so an explanation sheet before the
//     list is skipped. The workbook is copied to a temporary directory
//     (removed by Close) and its rows are streamed. Lines are the
//     spreadsheet's row numbers, counting empty rows that the file leaves
//     out. Text is read as displayed (a number as excelize formats it:
//     106.55, not 106.55000000000001); coordinates (longitude, latitude,
//     X, Y) and buffer are read from the stored value, so that a number
//     format showing fewer decimals does not round them. That takes a second pass over the
//     rows, made only when the workbook has number formats and dropped
//     when the first 1,000 rows with numbers in those columns show them
//     as stored.
//
// The header is the first non-empty row; columns are recognised by name
// (see the role table in this file: trimmed, case and full-width
// insensitive, a trailing unit in brackets ignored). Projected coordinates
// go in X and Y columns, read as Chinese surveying writes them: X is the
// northing (北坐标, 纵坐标), Y the easting (东坐标, 横坐标); 东坐标/E/easting
// and 北坐标/N/northing name them without that ambiguity. X and Y are never
// taken for longitude and latitude. A list without data rows is
// CodeEmptyList; two columns of one role CodeDuplicateColumn; neither a
// 经度+纬度 pair, an X+Y pair nor a 坐标串 column CodeNoSiteColumns. These
// and every other problem with the file as a whole are a *ListError; an
// error reading r is returned wrapped. On error nothing is left to Close.
//
// Coordinates are in opts.CRS unless a row's 坐标系 cell names another
// (any name crs.Parse accepts); see Rows for how they are read.
func OpenProjectList(name string, r io.Reader, opts ListOptions) (*ProjectList, error) {
	opts = opts.withDefaults()
	var (
		src   listSource
		head  listRecord
		sheet string
		err   error
	)
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".csv", ".txt", ".tsv":
		var cs *csvListSource
		cs, err = openListCSV(r, ext)
		if cs != nil {
			src = cs
			if err == nil {
				head, err = nextNonBlank(cs)
				if err == io.EOF {
					err = listErr(CodeEmptyList, 0, "文件是空的：第一行应为表头（如 项目名称、经度、纬度）。")
				}
			}
		}
	case ".xlsx":
		var xs *xlsxListSource
		xs, head, sheet, err = openListXLSX(r, opts)
		if xs != nil {
			src = xs
		}
	default:
		err = unsupportedTable(ext)
	}
	if err != nil {
		if src != nil {
			_ = src.close()
		}
		return nil, err
	}
	l := &ProjectList{src: src, maxRows: opts.MaxRows, CRS: opts.CRS}
	fail := func(err error) (*ProjectList, error) {
		_ = l.Close()
		return nil, err
	}
	if l.hdr, err = newListHeader(head.cells, head.line, sheet); err != nil {
		return fail(err)
	}
	l.hdr.crs = opts.CRS
	l.Header = batch.Header{Columns: l.hdr.columns, Roles: l.hdr.roles, Sheet: sheet}
	if xs, ok := src.(*xlsxListSource); ok {
		xs.useHeader(l.hdr)
	}
	first, err := nextNonBlank(src)
	if err == io.EOF {
		return fail(listErr(CodeEmptyList, head.line, "%s只有表头（第 %d 行），没有数据行。", sheetPrefix(sheet), head.line))
	}
	if err != nil {
		return fail(err)
	}
	l.first = &first
	return l, nil
}

var errListRowsTwice = errors.New("data: ProjectList.Rows used twice or after Close")

// Rows yields the data rows in order: Seq counts them from 0, Line is the
// file's line (row) number, blank rows are skipped and not counted.
//
// A row's site is its 坐标串 cell when that has a digit, else its 经度/纬度
// or X/Y pair (when both are filled, the pair that suits the row's
// coordinate system). The row's coordinate system is its 坐标系 cell, else
// ListOptions.CRS. 经度/纬度 need a longitude/latitude system (CGCS2000,
// WGS84, GCJ-02, BD-09), X/Y a Gauss-Krüger projection; 坐标串 cells (WKT
// or vertex lists) are in the row's system with x the easting or longitude
// and y the northing or latitude, as WKT has it, whatever the EPSG axis
// order; an EWKT "SRID=n;" prefix names the cell's system. Every site is
// converted to CGCS2000 longitude and latitude (Row.Geometry), then must
// lie within China's extent.
//
// A row that cannot be read (no site, bad coordinates, swapped longitude
// and latitude or X and Y, a position outside its projection zone, a
// coordinate system that does not suit its columns or that crs.Parse
// refuses, a bad buffer) is yielded with Row.Error set and a nil Geometry;
// that is not an error of the iteration. A non-nil error ends the
// iteration: a *ListError for the file (CodeCorruptList, CodeBadEncoding,
// CodeTooManyRows when row MaxRows+1 is reached) or a wrapped read error.
// Rows may be ranged over once; a second use, or a use after Close, yields
// only an error. Industry codes are not validated here.
func (l *ProjectList) Rows() iter.Seq2[batch.Row, error] {
	return func(yield func(batch.Row, error) bool) {
		if l.started || l.closed {
			yield(batch.Row{}, errListRowsTwice)
			return
		}
		l.started = true
		rec := l.first
		l.first = nil
		for seq := 0; ; seq++ {
			if rec == nil {
				r, err := nextNonBlank(l.src)
				if err == io.EOF {
					return
				}
				if err != nil {
					yield(batch.Row{}, err)
					return
				}
				rec = &r
			}
			if seq >= l.maxRows {
				yield(batch.Row{}, listErr(CodeTooManyRows, rec.line, "第 %d 行：数据超过 %d 行的上限，请拆分为多个文件。", rec.line, l.maxRows))
				return
			}
			if !yield(l.hdr.row(*rec, seq), nil) {
				return
			}
			rec = nil
		}
	}
}

// Close releases the list's temporary files. It is safe to call twice.
func (l *ProjectList) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	if l.src == nil {
		return nil
	}
	return l.src.close()
}

// listRecord is one row of the file: cells as displayed, raw the stored
// values (xlsx only, nil for CSV), line its 1-based number.
type listRecord struct {
	cells, raw []string
	line       int
}

type listSource interface {
	// next returns the next row, blank or not; io.EOF at the end.
	next() (listRecord, error)
	close() error
}

func nextNonBlank(s listSource) (listRecord, error) {
	for {
		r, err := s.next()
		if err != nil {
			return r, err
		}
		if !blankCells(r.cells) || !blankCells(r.raw) {
			return r, nil
		}
	}
}

func blankCells(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(strings.TrimPrefix(c, "\ufeff")) != "" {
			return false
		}
	}
	return true
}

func sheetPrefix(sheet string) string {
	if sheet == "" {
		return ""
	}
	return "工作表「" + sheet + "」"
}

// unsupportedTable is the error for a table file of extension ext
// (lower case, with its dot) that is neither .xlsx nor CSV: other
// spreadsheet formats are told to save as .xlsx or CSV.
func unsupportedTable(ext string) error {
	switch ext {
	case ".xls", ".et", ".xlsm", ".xlsb", ".ods", ".numbers":
		return listErr(CodeUnsupportedList, 0, "不支持 %s 文件：请在 Excel 或 WPS 中“另存为” .xlsx 或 CSV 后上传。", ext)
	case "":
		ext = "（无扩展名）"
	}
	return listErr(CodeUnsupportedList, 0, "不支持的文件类型“%s”：请上传 Excel 工作簿（.xlsx）或 CSV 文件（.csv）。", ext)
}

// ---- header ----

// listRoleTable lists the roles, their Chinese title and the headers
// accepted for them (compared after normHeader).
var listRoleTable = []struct {
	role, title string
	names       []string
}{
	{RoleName, "项目名称", []string{"项目名称", "名称", "项目", "name", "project", "project_name"}},
	{RoleIndustry, "行业代码", []string{"行业代码", "国民经济行业代码", "行业分类代码", "industry", "industry_code"}},
	{RoleIndustryName, "行业名称", []string{"行业名称", "行业", "所属行业", "industry_name"}},
	{RoleConstruction, "建设性质", []string{"建设性质", "construction"}},
	{RoleActivity, "活动类型", []string{"活动类型", "红线内活动", "activity"}},
	{RoleLon, "经度", []string{"经度", "东经", "lon", "lng", "long", "longitude"}},
	{RoleLat, "纬度", []string{"纬度", "北纬", "lat", "latitude"}},
	{RoleNorthing, "北坐标", []string{"北坐标", "X", "X坐标", "纵坐标", "N", "northing"}},
	{RoleEasting, "东坐标", []string{"东坐标", "Y", "Y坐标", "横坐标", "E", "easting"}},
	{RoleWKT, "坐标串", []string{"WKT", "几何", "geometry", "坐标串", "坐标", "界址点坐标", "拐点坐标", "coordinates"}},
	{RoleBuffer, "缓冲距离", []string{"缓冲距离", "缓冲", "缓冲区", "buffer", "buffer_m"}},
	{RoleCRS, "坐标系", []string{"坐标系", "crs", "srid"}},
}

var listRoleByHeader = func() map[string]string {
	m := map[string]string{}
	for _, r := range listRoleTable {
		for _, n := range r.names {
			m[normHeader(n)] = r.role
		}
	}
	return m
}()

var (
	headerUnit    = regexp.MustCompile(`[(\[【〔][^()\[\]【】〔〕]*[)\]】〕]$`)
	headerDropper = strings.NewReplacer(" ", "", "_", "", "-", "", "\t", "", "\n", "", "\r", "")
)

// normHeader folds a header for comparison: BOM and surrounding space
// removed, full-width ASCII folded, lower case, a leading or trailing "*"
// (required mark) and a trailing unit in brackets dropped ("缓冲距离（米）",
// "buffer_m (m)"), spaces, "_" and "-" removed.
func normHeader(s string) string {
	s = narrow(strings.TrimPrefix(s, "\ufeff"))
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSpace(strings.Trim(s, "*※:"))
	if loc := headerUnit.FindStringIndex(s); loc != nil && strings.TrimSpace(s[:loc[0]]) != "" {
		s = s[:loc[0]]
	}
	return headerDropper.Replace(s)
}

// roleOfHeader is the role a header names, "" when none.
func roleOfHeader(h string) string { return listRoleByHeader[normHeader(h)] }

// listHeader is the header and what the rows need of it.
type listHeader struct {
	columns []string
	roles   map[string]int
	labels  map[string]string // role → header as written (trimmed)
	// crs is the coordinate system of rows with an empty 坐标系 cell.
	crs crs.CRS
	// crsCache remembers the 坐标系 cells parsed so far (a list names few).
	crsCache map[string]crsCell
}

// crsCell is a parsed 坐标系 cell.
type crsCell struct {
	c   crs.CRS
	err error
}

func newListHeader(cells []string, line int, sheet string) (*listHeader, error) {
	h := &listHeader{columns: make([]string, len(cells)), roles: map[string]int{}, labels: map[string]string{}, crs: crs.CGCS2000}
	for i, c := range cells {
		c = strings.TrimPrefix(c, "\ufeff")
		h.columns[i] = c
		role := roleOfHeader(c)
		if role == "" {
			continue
		}
		if j, dup := h.roles[role]; dup {
			return nil, listErr(CodeDuplicateColumn, line, "%s第 %d 行表头：「%s」（第 %d 列）和「%s」（第 %d 列）都是%s列，请删除或改名其中一列。",
				sheetPrefix(sheet), line, strings.TrimSpace(h.columns[j]), j+1, strings.TrimSpace(c), i+1, roleTitle(role))
		}
		h.roles[role] = i
		h.labels[role] = strings.TrimSpace(c)
	}
	_, lon := h.roles[RoleLon]
	_, lat := h.roles[RoleLat]
	_, north := h.roles[RoleNorthing]
	_, east := h.roles[RoleEasting]
	_, wktCol := h.roles[RoleWKT]
	if !(lon && lat) && !(north && east) && !wktCol {
		var what string
		switch {
		case lon:
			what = "有「" + h.labels[RoleLon] + "」列但没有纬度列"
		case lat:
			what = "有「" + h.labels[RoleLat] + "」列但没有经度列"
		case north:
			what = "有「" + h.labels[RoleNorthing] + "」列（北坐标）但没有东坐标（Y）列"
		case east:
			what = "有「" + h.labels[RoleEasting] + "」列（东坐标）但没有北坐标（X）列"
		default:
			what = "没有找到项目位置列"
		}
		msg := fmt.Sprintf("%s第 %d 行表头%s：需要经度和纬度两列、X 和 Y 两列（投影坐标，X 为北坐标、Y 为东坐标），或一列坐标串（WKT 或界址点坐标）。可用的列名：%s。读到的表头：%s。",
			sheetPrefix(sheet), line, what, acceptedSiteHeaders(), clip(strings.Join(trimAll(h.columns), "、")))
		msg += "若表头是乱码，请把文件另存为 UTF-8 编码的 CSV 或 .xlsx。"
		return nil, &ListError{Code: CodeNoSiteColumns, Message: msg, Line: line}
	}
	return h, nil
}

func trimAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func roleTitle(role string) string {
	for _, r := range listRoleTable {
		if r.role == role {
			return r.title
		}
	}
	return role
}

// isSiteRole reports whether a role locates the project.
func isSiteRole(role string) bool {
	switch role {
	case RoleLon, RoleLat, RoleNorthing, RoleEasting, RoleWKT:
		return true
	}
	return false
}

func acceptedSiteHeaders() string {
	var parts []string
	for _, r := range listRoleTable {
		if isSiteRole(r.role) {
			parts = append(parts, r.title+"（"+strings.Join(r.names, "、")+"）")
		}
	}
	return strings.Join(parts, "；")
}

// label is how messages name a role's column: the header as written.
func (h *listHeader) label(role string) string {
	if l := h.labels[role]; l != "" {
		return l
	}
	return roleTitle(role)
}

// cell is the role's cell as displayed, trimmed ("" without the column).
func (h *listHeader) cell(r listRecord, role string) string {
	i, ok := h.roles[role]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(r.cells[i], "\ufeff"))
}

// number is the role's stored value when the file has one (xlsx), else
// the displayed text, trimmed.
func (h *listHeader) number(r listRecord, role string) string {
	if i, ok := h.roles[role]; ok && i < len(r.raw) {
		if v := strings.TrimSpace(r.raw[i]); v != "" {
			return v
		}
	}
	return h.cell(r, role)
}

// ---- rows ----

// row turns a record into a batch.Row (see ProjectList.Rows).
func (h *listHeader) row(r listRecord, seq int) batch.Row {
	cells := r.cells // a fresh slice for every record
	if slices.ContainsFunc(cells, func(c string) bool { return strings.HasPrefix(c, "\ufeff") }) {
		cells = make([]string, len(r.cells))
		for i, c := range r.cells {
			cells[i] = strings.TrimPrefix(c, "\ufeff")
		}
	}
	row := batch.Row{
		Seq:          seq,
		Line:         r.line,
		Cells:        cells,
		Name:         h.cell(r, RoleName),
		Industry:     h.cell(r, RoleIndustry),
		IndustryName: h.cell(r, RoleIndustryName),
		Construction: h.cell(r, RoleConstruction),
		Activity:     h.cell(r, RoleActivity),
	}
	rc, e := h.rowCRS(r)
	if e != nil {
		row.Error = e
		return row
	}
	g, e := h.site(r, rc)
	if e != nil {
		row.Error = e
		return row
	}
	buf, e := h.buffer(r)
	if e != nil {
		row.Error = e
		return row
	}
	row.Geometry, row.BufferM = g, buf
	return row
}

func (h *listHeader) rowErr(line int, code, role, format string, args ...any) *batch.RowError {
	prefix := fmt.Sprintf("第 %d 行", line)
	if role != RoleSite && role != "" {
		prefix += "「" + h.label(role) + "」列"
	}
	return &batch.RowError{Code: code, Column: role, Message: prefix + "：" + fmt.Sprintf(format, args...)}
}

// narrow folds full-width ASCII (and the ideographic space) to ASCII.
func narrow(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return width.Narrow.String(s)
		}
	}
	return s
}

// ---- coordinate systems ----

// rowCRS is the coordinate system of one row.
type rowCRS struct {
	c crs.CRS
	// fromRow says the row's 坐标系 cell (or its 坐标串's SRID) names c;
	// else c is ListOptions.CRS.
	fromRow bool
}

// crsCacheSize bounds the distinct 坐标系 cells remembered.
const crsCacheSize = 64

// rowCRS reads the row's 坐标系 cell with crs.Parse; an empty cell means
// the list's coordinate system. A name crs.Parse refuses is a row error
// CodeUnsupportedCRS whose message lists the accepted names.
func (h *listHeader) rowCRS(r listRecord) (rowCRS, *batch.RowError) {
	v := h.cell(r, RoleCRS)
	if v == "" {
		return rowCRS{c: h.crs}, nil
	}
	p, ok := h.crsCache[v]
	if !ok {
		p.c, p.err = crs.Parse(v)
		if h.crsCache == nil {
			h.crsCache = map[string]crsCell{}
		}
		if len(h.crsCache) < crsCacheSize {
			h.crsCache[v] = p
		}
	}
	if p.err != nil {
		return rowCRS{}, h.rowErr(r.line, CodeUnsupportedCRS, RoleCRS, "%s。", strings.TrimSuffix(crsMessage(p.err), "。"))
	}
	return rowCRS{c: p.c, fromRow: true}, nil
}

// crsMessage is the Chinese message of an error from package crs,
// without its "crs: " prefix.
func crsMessage(err error) string {
	var pe *crs.PointError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return strings.TrimPrefix(err.Error(), "crs: ")
}

// projected reports whether coordinates in c are metres (easting,
// northing) rather than degrees.
func projected(c crs.CRS) bool { return c.Kind == crs.KindGaussKruger }

// crsSource names the row's coordinate system and where it comes from,
// for messages: "本行「坐标系」列的坐标系 CGCS2000 / 3度带…（EPSG:4545）".
func (h *listHeader) crsSource(rc rowCRS) string {
	if rc.fromRow {
		return "本行「" + h.label(RoleCRS) + "」列的坐标系 " + rc.c.Title
	}
	return "本清单的坐标系 " + rc.c.Title
}

// crsSubject names the row's coordinate system in a message reported on
// rc.column(), which already names the 坐标系 column when the row gives it.
func (h *listHeader) crsSubject(rc rowCRS) string {
	if rc.fromRow {
		return "坐标系 " + rc.c.Title
	}
	return "本清单的坐标系 " + rc.c.Title
}

// column is the column a mismatch between coordinates and coordinate
// system is reported on: 坐标系 when the row names it, else the site.
func (rc rowCRS) column() string {
	if rc.fromRow {
		return RoleCRS
	}
	return RoleSite
}

// chongqingZones is the advice for choosing a projection, a sentence.
const chongqingZones = "重庆常用 CGCS2000 3度带 EPSG:4544、4545、4546（中央经线 105°E、108°E、111°E）；东坐标前带有带号 35、36、37 时为 EPSG:4523、4524、4525。"

// zoneHint guesses a projection from an easting that starts with a zone
// number (36 361306.10 is 3° zone 36), "" when it does not.
func zoneHint(easting float64) string {
	if !(easting >= 1e7 && easting < 1e8) {
		return ""
	}
	z := int(easting / 1e6)
	name := fmt.Sprintf("CGCS2000_3_Degree_GK_Zone_%d", z)
	if z < 25 {
		name = fmt.Sprintf("CGCS2000_GK_Zone_%d", z)
	}
	c, err := crs.Parse(name)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("东坐标以带号 %d 开头，可能是 %s。", z, c.Title)
}

// ---- buffer ----

var listBufferThousands = regexp.MustCompile(`^\d{1,3}(,\d{3})+(\.\d*)?$`)

// buffer reads the buffer in metres: empty is 0; "500", "500m", "500 米",
// "0.5km", "0.5 公里" and "1,000" are accepted, up to MaxListBufferM.
func (h *listHeader) buffer(r listRecord) (float64, *batch.RowError) {
	s := h.number(r, RoleBuffer)
	if s == "" {
		return 0, nil
	}
	t := strings.ToLower(strings.TrimSpace(narrow(s)))
	mult := 1.0
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"km", 1000}, {"公里", 1000}, {"千米", 1000}, {"m", 1}, {"米", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if listBufferThousands.MatchString(t) {
		t = strings.ReplaceAll(t, ",", "")
	}
	v, err := strconv.ParseFloat(t, 64)
	v *= mult
	if err != nil || math.IsNaN(v) || v < 0 || v > MaxListBufferM {
		return 0, h.rowErr(r.line, batch.ErrCodeBadBuffer, RoleBuffer, "%q 不是 0 到 %d 米之间的距离。", clip(h.cell(r, RoleBuffer)), MaxListBufferM)
	}
	return v, nil
}

// ---- sites ----

const listDigits = "0123456789０１２３４５６７８９"

// site reads the row's site in its coordinate system and converts it to
// CGCS2000: the 坐标串 cell when it has a digit ("无", "/", "—" count as
// empty), else the 经度+纬度 or the X+Y pair; when both pairs are filled,
// X+Y in a projected system and 经度+纬度 otherwise.
func (h *listHeader) site(r listRecord, rc rowCRS) (orb.Geometry, *batch.RowError) {
	if text := h.cell(r, RoleWKT); strings.ContainsAny(text, listDigits) {
		return h.wktSite(r, text, rc)
	}
	lonLat := h.number(r, RoleLon) != "" || h.number(r, RoleLat) != ""
	xy := h.number(r, RoleNorthing) != "" || h.number(r, RoleEasting) != ""
	switch {
	case xy && (!lonLat || projected(rc.c)):
		return h.projectedSite(r, rc)
	case lonLat:
		return h.lonLatSite(r, rc)
	}
	return nil, h.rowErr(r.line, batch.ErrCodeMissingSite, RoleSite, "没有项目位置：请填写%s。", h.siteInputs(""))
}

// siteInputs lists the header's complete site inputs other than the pair
// of role except ("「经度」「纬度」或「X」「Y」或「坐标串」").
func (h *listHeader) siteInputs(except string) string {
	var want []string
	for _, pair := range [][2]string{{RoleLon, RoleLat}, {RoleNorthing, RoleEasting}} {
		_, a := h.roles[pair[0]]
		_, b := h.roles[pair[1]]
		if a && b && pair[0] != except {
			want = append(want, "「"+h.label(pair[0])+"」「"+h.label(pair[1])+"」")
		}
	}
	if _, ok := h.roles[RoleWKT]; ok {
		want = append(want, "「"+h.label(RoleWKT)+"」")
	}
	return strings.Join(want, "或")
}

// xyLabels names the projected columns for advice: the header's, else
// the surveying names.
func (h *listHeader) xyLabels() string {
	_, n := h.roles[RoleNorthing]
	_, e := h.roles[RoleEasting]
	if n && e {
		return fmt.Sprintf("「%s」（北坐标）「%s」（东坐标）列", h.label(RoleNorthing), h.label(RoleEasting))
	}
	return "「X」（北坐标）「Y」（东坐标）两列"
}

// lonLatSite reads 经度 and 纬度 in a longitude/latitude system.
func (h *listHeader) lonLatSite(r listRecord, rc rowCRS) (orb.Geometry, *batch.RowError) {
	_, hasLon := h.roles[RoleLon]
	_, hasLat := h.roles[RoleLat]
	if !hasLon || !hasLat { // one of the pair, beside a 坐标串 or X/Y columns
		have, miss := RoleLon, RoleLat
		if !hasLon {
			have, miss = RoleLat, RoleLon
		}
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleSite, "表头中没有%s列，只有「%s」无法定位：请填写%s。", roleTitle(miss), h.label(have), h.siteInputs(RoleLon))
	}
	for _, role := range []string{RoleLon, RoleLat} {
		if h.number(r, role) == "" {
			return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, role, "没有填写；「%s」与「%s」需同时填写。", h.label(RoleLon), h.label(RoleLat))
		}
	}
	if projected(rc.c) {
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, rc.column(), "%s是投影坐标（米），而「%s」「%s」是经纬度（度），两者不符：投影坐标请填在%s；经纬度请把坐标系改为经纬度坐标系，如 EPSG:4490（CGCS2000 经纬度）。",
			h.crsSubject(rc), h.label(RoleLon), h.label(RoleLat), h.xyLabels())
	}
	lon, lonHemi, ok := h.degrees(r, RoleLon)
	if !ok {
		return nil, h.badDegrees(r, RoleLon)
	}
	lat, latHemi, ok := h.degrees(r, RoleLat)
	if !ok {
		return nil, h.badDegrees(r, RoleLat)
	}
	swapped := func() *batch.RowError {
		return h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleSite, "经纬度可能填反了：「%s」为 %s，「%s」为 %s；中国境内经度约 %g～%g、纬度约 %g～%g。",
			h.label(RoleLon), clip(h.cell(r, RoleLon)), h.label(RoleLat), clip(h.cell(r, RoleLat)), chinaMinLon, chinaMaxLon, chinaMinLat, chinaMaxLat)
	}
	if lonHemi == 'N' || lonHemi == 'S' || latHemi == 'E' || latHemi == 'W' {
		return nil, swapped()
	}
	// Convert first; what cannot be converted is checked as given, which
	// explains the usual causes (metres, swapped, out of range).
	q, cerr := rc.c.ToCGCS2000(orb.Point{lon, lat})
	if cerr != nil {
		q = orb.Point{lon, lat}
	}
	lonOK, latOK := inRange(q[0], chinaMinLon, chinaMaxLon), inRange(q[1], chinaMinLat, chinaMaxLat)
	switch {
	case lonOK && latOK:
		if cerr != nil {
			return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleSite, "「%s」%s、「%s」%s 无法按 %s 换算为 CGCS2000 经纬度：%s。",
				h.label(RoleLon), clip(h.cell(r, RoleLon)), h.label(RoleLat), clip(h.cell(r, RoleLat)), rc.c.Name, crsMessage(cerr))
		}
		return q, nil
	case inRange(lat, chinaMinLon, chinaMaxLon) && inRange(lon, chinaMinLat, chinaMaxLat):
		return nil, swapped()
	case !lonOK:
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleLon, "经度 %s 超出中国范围（%g～%g）。%s", clip(h.cell(r, RoleLon)), chinaMinLon, chinaMaxLon, h.projectedHint(lon, lat))
	default:
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleLat, "纬度 %s 超出中国范围（%g～%g）。%s", clip(h.cell(r, RoleLat)), chinaMinLat, chinaMaxLat, h.projectedHint(lat, lon))
	}
}

func inRange(v, lo, hi float64) bool { return v >= lo && v <= hi }

// projectedHint explains longitude or latitude values v (and the other
// one) that look like metres (10 km or more: Gauss-Krüger eastings and
// northings in China are hundreds of kilometres): a projected CRS and the
// X/Y columns.
func (h *listHeader) projectedHint(v, other float64) string {
	if math.Abs(v) < 1e4 {
		return ""
	}
	zone := zoneHint(v) + zoneHint(other)
	return fmt.Sprintf("数值像是投影坐标（米）：请把坐标填在%s，并在「坐标系」列填写或上传时选择对应的投影坐标系。%s%s", h.xyLabels(), zone, chongqingZones)
}

func (h *listHeader) badDegrees(r listRecord, role string) *batch.RowError {
	return h.rowErr(r.line, batch.ErrCodeBadCoordinates, role, "无法识别的坐标 %q：应为十进制度（如 106.5516）或度分秒（如 106°33'06\"E、106度33分6秒）。", clip(h.cell(r, role)))
}

// projectedSite reads X (northing) and Y (easting) in metres in a
// Gauss-Krüger projection.
func (h *listHeader) projectedSite(r listRecord, rc rowCRS) (orb.Geometry, *batch.RowError) {
	_, hasN := h.roles[RoleNorthing]
	_, hasE := h.roles[RoleEasting]
	if !hasN || !hasE { // one of the pair, beside other site columns
		have, miss := RoleNorthing, "东坐标（Y）"
		if !hasN {
			have, miss = RoleEasting, "北坐标（X）"
		}
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleSite, "表头中没有%s列，只有「%s」无法定位：请填写%s。", miss, h.label(have), h.siteInputs(RoleNorthing))
	}
	for _, role := range []string{RoleNorthing, RoleEasting} {
		if h.number(r, role) == "" {
			return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, role, "没有填写；「%s」与「%s」需同时填写。", h.label(RoleNorthing), h.label(RoleEasting))
		}
	}
	n, ok := h.metres(r, RoleNorthing)
	if !ok {
		return nil, h.badMetres(r, RoleNorthing)
	}
	e, ok := h.metres(r, RoleEasting)
	if !ok {
		return nil, h.badMetres(r, RoleEasting)
	}
	nl, el := h.label(RoleNorthing), h.label(RoleEasting)
	nc, ec := clip(h.cell(r, RoleNorthing)), clip(h.cell(r, RoleEasting))
	looksDegrees := math.Abs(e) <= 180 && math.Abs(n) <= 180
	if !projected(rc.c) {
		msg := fmt.Sprintf("「%s」「%s」是投影坐标（米，%s 为北坐标、%s 为东坐标），需要高斯-克吕格投影坐标系，而%s是经纬度：请在「坐标系」列填写或上传时选择投影坐标系。",
			nl, el, nl, el, h.crsSubject(rc))
		if looksDegrees {
			msg += fmt.Sprintf("本行数值像是经纬度（度）：若「%s」「%s」是经度和纬度，请把表头改为「经度」「纬度」。", nl, el)
		} else {
			msg += zoneHint(e) + chongqingZones
		}
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, rc.column(), "%s", msg)
	}
	q, err := rc.c.ToCGCS2000(orb.Point{e, n})
	if err != nil {
		hint := ""
		if _, serr := rc.c.ToCGCS2000(orb.Point{n, e}); serr == nil {
			hint = fmt.Sprintf("「%s」与「%s」的数值似乎填反了：「%s」应为北坐标（X，纵坐标），「%s」应为东坐标（Y，横坐标）。", nl, el, nl, el)
		} else if looksDegrees {
			hint = "数值像是经纬度（度）：经纬度请填在「经度」「纬度」列，并选择经纬度坐标系。"
		}
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleSite, "「%s」%s、「%s」%s 无法按 %s 换算为经纬度：%s%s。",
			nl, nc, el, ec, rc.c.Name, hint, strings.TrimSuffix(crsMessage(err), "。"))
	}
	if !inRange(q[0], chinaMinLon, chinaMaxLon) || !inRange(q[1], chinaMinLat, chinaMaxLat) {
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleSite, "「%s」%s、「%s」%s 按 %s 换算为经度 %.6f、纬度 %.6f，超出中国范围（经度 %g～%g、纬度 %g～%g）：请检查坐标系是否选对。",
			nl, nc, el, ec, rc.c.Name, q[0], q[1], chinaMinLon, chinaMaxLon, chinaMinLat, chinaMaxLat)
	}
	return q, nil
}

var listMetreThousands = regexp.MustCompile(`^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$`)

// parseMetres reads a projected coordinate: a number of metres, with an
// optional "m" or "米" and thousands separators ("3,271,418.41").
func parseMetres(s string) (float64, bool) {
	t := strings.TrimSpace(narrow(s))
	for _, u := range []string{"米", "m", "M"} {
		if strings.HasSuffix(t, u) {
			t = strings.TrimSpace(strings.TrimSuffix(t, u))
			break
		}
	}
	if listMetreThousands.MatchString(t) {
		t = strings.ReplaceAll(t, ",", "")
	}
	v, err := strconv.ParseFloat(t, 64)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// metres reads one X or Y cell: the stored value, else the displayed
// text.
func (h *listHeader) metres(r listRecord, role string) (float64, bool) {
	if v, ok := parseMetres(h.number(r, role)); ok {
		return v, true
	}
	return parseMetres(h.cell(r, role))
}

func (h *listHeader) badMetres(r listRecord, role string) *batch.RowError {
	return h.rowErr(r.line, batch.ErrCodeBadCoordinates, role, "无法识别的坐标 %q：%s 是投影坐标，应为以米为单位的数（如 3271418.41）。", clip(h.cell(r, role)), roleTitle(role))
}

// degrees reads one longitude or latitude cell: the stored value, else
// the displayed text.
func (h *listHeader) degrees(r listRecord, role string) (float64, byte, bool) {
	if v, hemi, ok := parseDegrees(h.number(r, role)); ok {
		return v, hemi, true
	}
	return parseDegrees(h.cell(r, role))
}

// degreeCell is coords.go's dmsToken anchored to a whole cell.
var degreeCell = regexp.MustCompile(`^\s*(?:` + dmsToken.String() + `)\s*$`)

// parseDegrees reads one angle in decimal degrees ("106.5516",
// "106.5516°E") or 度分秒 ("106°33'06\"E", "106度33分6秒", "东经106°33′6″"),
// with the notation of ParseCoordinateText. hemi is the N/S/E/W mark, 0
// when none; S and W make the value negative.
func parseDegrees(s string) (v float64, hemi byte, ok bool) {
	if s == "" {
		return 0, 0, false
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, 0, !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	if len(s) > 200 {
		return 0, 0, false
	}
	t := strings.ToUpper(dmsReplacer.Replace(narrow(s)))
	m := degreeCell.FindStringSubmatch(t)
	if m == nil {
		return 0, 0, false
	}
	lead, neg, deg, degMark, minute, sec, trail := m[1], m[2], m[3], m[4], m[5], m[6], m[7]
	if (lead != "" && trail != "" && lead != trail) || (degMark == "" && (minute != "" || sec != "")) {
		return 0, 0, false
	}
	v, _ = strconv.ParseFloat(deg, 64)
	if minute != "" {
		mv, _ := strconv.ParseFloat(minute, 64)
		if mv >= 60 {
			return 0, 0, false
		}
		v += mv / 60
	}
	if sec != "" {
		sv, _ := strconv.ParseFloat(sec, 64)
		if sv >= 60 {
			return 0, 0, false
		}
		v += sv / 3600
	}
	if h := lead + trail; h != "" {
		hemi = h[0]
	}
	if neg != "" {
		if hemi == 'S' || hemi == 'W' {
			return 0, 0, false
		}
		v = -v
	}
	if hemi == 'S' || hemi == 'W' {
		v = -v
	}
	return v, hemi, !math.IsInf(v, 0)
}

var ewktSRID = regexp.MustCompile(`(?i)^\s*SRID\s*=\s*(\d+)\s*;`)

// wktSite reads a 坐标串 cell in the row's coordinate system: a vertex
// list or 界址点 list as in ParseCoordinateTextIn (kind auto), or WKT,
// x the easting or longitude and y the northing or latitude. An EWKT
// "SRID=n;" prefix names the cell's system (EPSG:n).
func (h *listHeader) wktSite(r listRecord, text string, rc rowCRS) (orb.Geometry, *batch.RowError) {
	g, err := ParseCoordinateTextIn(text, "auto", rc.c)
	switch {
	case errors.Is(err, ErrWKT):
		var (
			srid string
			e    *batch.RowError
		)
		if g, srid, e = h.parseWKTCell(r, text); e != nil {
			return nil, e
		}
		if srid != "" {
			c, err := crs.Parse("EPSG:" + srid)
			if err != nil {
				return nil, h.rowErr(r.line, CodeUnsupportedCRS, RoleWKT, "不支持 SRID=%s：%s。", clip(srid), strings.TrimSuffix(crsMessage(err), "。"))
			}
			if rc.fromRow && c != rc.c && (projected(c) || projected(rc.c) || c.Kind != rc.c.Kind) {
				return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleWKT, "坐标串声明的 SRID=%s（%s）与%s不一致：请删去 SRID= 前缀，或改正「%s」列。",
					clip(srid), c.Title, h.crsSource(rc), h.label(RoleCRS))
			}
			rc = rowCRS{c: c, fromRow: true}
		}
		q, cerr := rc.c.Geometry(g)
		if cerr != nil {
			if !projected(rc.c) {
				// Degrees that do not convert: the checks say why
				// (metres, swapped, out of range) when they can.
				if e := h.checkWKTRange(r, g, rc); e != nil {
					return nil, e
				}
			}
			return nil, h.wktConvErr(r, rc, cerr)
		}
		g = q
	case err != nil:
		msg := err.Error()
		var se *SiteFileError
		if errors.As(err, &se) {
			msg = se.Message
			if se.Line > 0 && strings.HasPrefix(msg, fmt.Sprintf("第 %d 行", se.Line)) {
				msg = "单元格内" + msg
			}
		}
		return nil, h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleWKT, "%s", msg)
	}
	if e := h.checkWKTRange(r, g, rc); e != nil {
		return nil, e
	}
	return g, nil
}

// wktConvErr is a 坐标串 that cannot be converted from rc, naming the
// vertex.
func (h *listHeader) wktConvErr(r listRecord, rc rowCRS, err error) *batch.RowError {
	where := ""
	var pe *crs.PointError
	if errors.As(err, &pe) && pe.Where != "" {
		where = "（" + pe.Where + "）"
	}
	return h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleWKT, "坐标串%s无法按 %s 换算为经纬度：%s。", where, rc.c.Name, strings.TrimSuffix(crsMessage(err), "。"))
}

// checkWKTRange checks that g lies within China's extent: g converted to
// CGCS2000, or as given when it could not be converted from degrees.
func (h *listHeader) checkWKTRange(r listRecord, g orb.Geometry, rc rowCRS) *batch.RowError {
	out, swapped, metres := false, true, false
	geo.EachPoint(g, func(p orb.Point) {
		if !inRange(p[0], chinaMinLon, chinaMaxLon) || !inRange(p[1], chinaMinLat, chinaMaxLat) {
			out = true
		}
		if !inRange(p[1], chinaMinLon, chinaMaxLon) || !inRange(p[0], chinaMinLat, chinaMaxLat) {
			swapped = false
		}
		if math.Abs(p[0]) > 180 || math.Abs(p[1]) > 180 {
			metres = true
		}
	})
	switch {
	case !out:
		return nil
	case projected(rc.c):
		return h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleWKT, "按 %s 换算后有坐标超出中国范围（经度 %g～%g、纬度 %g～%g）：请检查坐标系是否选对。", rc.c.Name, chinaMinLon, chinaMaxLon, chinaMinLat, chinaMaxLat)
	case swapped:
		return h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleWKT, "经纬度可能填反了：坐标应经度在前、纬度在后（中国境内经度约 %g～%g、纬度约 %g～%g）。", chinaMinLon, chinaMaxLon, chinaMinLat, chinaMaxLat)
	case metres:
		return h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleWKT, "有坐标超出中国范围（经度 %g～%g、纬度 %g～%g）；数值像是投影坐标（米）：请在「坐标系」列填写或上传时选择对应的投影坐标系，坐标串中东坐标在前、北坐标在后。%s",
			chinaMinLon, chinaMaxLon, chinaMinLat, chinaMaxLat, chongqingZones)
	}
	return h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleWKT, "有坐标超出中国范围（经度 %g～%g、纬度 %g～%g）。", chinaMinLon, chinaMaxLon, chinaMinLat, chinaMaxLat)
}

// parseWKTCell parses WKT with orb's parser after an optional EWKT
// "SRID=4545;" prefix, whose code it returns. Whitespace runs, line
// breaks included, are collapsed first. Empty geometries and collections
// are returned as they are: the checker's geo.ValidateSite refuses them.
func (h *listHeader) parseWKTCell(r listRecord, text string) (g orb.Geometry, srid string, e *batch.RowError) {
	if m := ewktSRID.FindStringSubmatch(text); m != nil {
		srid = m[1]
		text = text[len(m[0]):]
	}
	text = strings.Join(strings.Fields(text), " ")
	bad := func() (orb.Geometry, string, *batch.RowError) {
		return nil, "", h.rowErr(r.line, batch.ErrCodeBadCoordinates, RoleWKT, "WKT %q 无法解析：应如 POLYGON((107.0 29.8, 107.001 29.8, 107.001 29.801, 107.0 29.8))，坐标为“经度 纬度”（投影坐标为“东坐标 北坐标”），仅支持二维，括号和逗号为半角。", clip(text))
	}
	defer func() {
		// orb's WKT parser is not hardened against every malformed input;
		// a panic there is a bad cell, not a crash.
		if recover() != nil {
			g, srid, e = bad()
		}
	}()
	g, err := wkt.Unmarshal(text)
	if err != nil {
		return bad()
	}
	return g, srid, nil
}

// ---- CSV ----

type csvListSource struct {
	cr         *csv.Reader
	lim        *listRecordLimiter
	lineOffset int // lines before the csv.Reader's first (a "sep=" line)
	lastLine   int
	checkUTF8  bool
}

var errListRecordTooLong = errors.New("data: CSV record too long")

// listRecordLimiter fails a read once more than max bytes were read since
// the last record began (give or take the csv.Reader's 4 KiB buffer).
type listRecordLimiter struct {
	r             io.Reader
	n, start, max int64
}

func (l *listRecordLimiter) Read(p []byte) (int, error) {
	if l.n-l.start > l.max {
		return 0, errListRecordTooLong
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

func openListCSV(r io.Reader, ext string) (*csvListSource, error) {
	br := bufio.NewReaderSize(r, listSniffBytes)
	prefix, err := br.Peek(listSniffBytes)
	atEOF := err == io.EOF
	if err != nil && !atEOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("data: read project list: %w", err)
	}
	if err := sniffNotText(prefix, ext); err != nil {
		return nil, err
	}
	var (
		text      io.Reader = br
		checkUTF8 bool
	)
	switch {
	case bytes.HasPrefix(prefix, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
		checkUTF8 = true
	case bytes.HasPrefix(prefix, []byte("\xff\xfe")):
		_, _ = br.Discard(2)
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder())
	case bytes.HasPrefix(prefix, []byte("\xfe\xff")):
		_, _ = br.Discard(2)
		text = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder())
	case bytes.IndexByte(prefix, 0) >= 0:
		return nil, listErr(CodeBadEncoding, 0, "文件不是文本（含有 NUL 字节）：请上传 .xlsx，或另存为 UTF-8 / GBK 编码的 CSV。")
	case validUTF8Prefix(prefix, atEOF):
		checkUTF8 = true
	default:
		if !validGB18030Prefix(prefix, atEOF) {
			return nil, listErr(CodeBadEncoding, 0, "无法识别文件编码（既不是 UTF-8 也不是 GBK）：请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”。")
		}
		text = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	tb := bufio.NewReaderSize(text, listSniffBytes)
	head, err := tb.Peek(listSniffBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("data: read project list: %w", err)
	}
	s := &csvListSource{checkUTF8: checkUTF8}
	first, _, _ := strings.Cut(string(head), "\n")
	var delim rune
	if d, ok := sepDirective(first); ok {
		delim = d
		_, _ = tb.ReadString('\n')
		s.lineOffset = 1
	} else {
		delim = detectDelimiter(string(head), ext == ".tsv")
	}
	s.lim = &listRecordLimiter{r: tb, max: listMaxRecordBytes}
	s.cr = csv.NewReader(s.lim)
	s.cr.Comma = delim
	s.cr.FieldsPerRecord = -1
	s.cr.LazyQuotes = true
	return s, nil
}

// sniffNotText refuses workbooks given a text extension.
func sniffNotText(prefix []byte, ext string) error {
	switch {
	case bytes.HasPrefix(prefix, []byte("PK\x03\x04")):
		return listErr(CodeUnsupportedList, 0, "文件内容是 Excel 工作簿（.xlsx），但扩展名是 %s：请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV。", ext)
	case bytes.HasPrefix(prefix, []byte("\xd0\xcf\x11\xe0")):
		return listErr(CodeUnsupportedList, 0, "文件内容是旧版 Excel（.xls）或加密的工作簿，但扩展名是 %s：请在 Excel 或 WPS 中另存为 .xlsx 或 CSV。", ext)
	}
	return nil
}

// validUTF8Prefix reports whether b, the first bytes of a file, is UTF-8;
// unless atEOF, a rune cut at the end of b is allowed.
func validUTF8Prefix(b []byte, atEOF bool) bool {
	if !atEOF {
		i := len(b) - 1
		for i > 0 && len(b)-i < utf8.UTFMax && !utf8.RuneStart(b[i]) {
			i--
		}
		if i >= 0 && i < len(b) && !utf8.FullRune(b[i:]) {
			b = b[:i]
		}
	}
	return utf8.Valid(b)
}

// validGB18030Prefix reports whether b decodes as GB18030 without
// invalid sequences; unless atEOF, a character cut at the end is allowed.
func validGB18030Prefix(b []byte, atEOF bool) bool {
	dec := simplifiedchinese.GB18030.NewDecoder()
	dst := make([]byte, 4*len(b)+16)
	n, _, err := dec.Transform(dst, b, atEOF)
	if err != nil && !errors.Is(err, transform.ErrShortSrc) {
		return false
	}
	return !bytes.ContainsRune(dst[:n], utf8.RuneError)
}

// sepDirective reads Excel's "sep=;" first line.
func sepDirective(line string) (rune, bool) {
	line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
	if len(line) == 5 && strings.EqualFold(line[:4], "sep=") && strings.ContainsRune(",;\t|", rune(line[4])) {
		return rune(line[4]), true
	}
	return 0, false
}

// detectDelimiter looks at the first non-blank line of head: a comma
// outside quotes makes it CSV, else a tab, else a semicolon (tab first
// for .tsv).
func detectDelimiter(head string, tsv bool) rune {
	line := ""
	for l := range strings.SplitSeq(head, "\n") {
		if strings.TrimSpace(l) != "" {
			line = l
			break
		}
	}
	var comma, tab, semi int
	inQuote := false
	for _, c := range line {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == ',':
			comma++
		case c == '\t':
			tab++
		case c == ';':
			semi++
		}
	}
	switch {
	case tsv && tab > 0:
		return '\t'
	case comma > 0:
		return ','
	case tab > 0:
		return '\t'
	case semi > 0:
		return ';'
	case tsv:
		return '\t'
	}
	return ','
}

func (s *csvListSource) next() (listRecord, error) {
	s.lim.start = s.lim.n
	rec, err := s.cr.Read()
	if err != nil {
		if err == io.EOF {
			return listRecord{}, io.EOF
		}
		if errors.Is(err, errListRecordTooLong) {
			return listRecord{}, listErr(CodeCorruptList, s.lastLine+1, "第 %d 行起的一条记录超过 %d MB：是否有未闭合的引号？", s.lastLine+1, listMaxRecordBytes>>20)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line := pe.StartLine + s.lineOffset
			return listRecord{}, listErr(CodeCorruptList, line, "第 %d 行无法按 CSV 读取：%v。", line, pe.Err)
		}
		return listRecord{}, fmt.Errorf("data: read project list: %w", err)
	}
	line, _ := s.cr.FieldPos(0)
	line += s.lineOffset
	s.lastLine = line
	if s.checkUTF8 {
		for _, c := range rec {
			if !utf8.ValidString(c) {
				return listRecord{}, listErr(CodeBadEncoding, line, "第 %d 行不是 UTF-8 编码的文字，而文件开头是 UTF-8：请把整个文件另存为同一种编码（UTF-8 或 GBK）。", line)
			}
		}
	}
	return listRecord{cells: rec, line: line}, nil
}

func (s *csvListSource) close() error { return nil }

// ---- xlsx ----

type xlsxListSource struct {
	dir       string
	f         *excelize.File
	disp, raw *excelize.Rows // raw is nil once the stored values are not needed
	line      int
	// numCols are the columns read as numbers (longitude, latitude,
	// X, Y, buffer); probe counts the rows left to compare before the raw pass
	// is dropped, -1 once a displayed value differed from the stored one.
	numCols []int
	probe   int
}

// listRawProbeRows is how many rows with a number in a coordinate or
// buffer column are compared, displayed against stored,
// before the second pass is dropped when they all agree.
const listRawProbeRows = 1000

// useHeader tells the source which columns are read as numbers.
func (s *xlsxListSource) useHeader(h *listHeader) {
	for _, role := range []string{RoleLon, RoleLat, RoleNorthing, RoleEasting, RoleBuffer} {
		if i, ok := h.roles[role]; ok {
			s.numCols = append(s.numCols, i)
		}
	}
	s.probe = listRawProbeRows
	if len(s.numCols) == 0 {
		s.dropRaw()
	}
}

func (s *xlsxListSource) dropRaw() {
	if s.raw != nil {
		_ = s.raw.Close()
		s.raw = nil
	}
}

// probeRaw compares a row's displayed and stored numbers; after
// listRawProbeRows rows that agree the raw pass is dropped, after one that
// differs (a number format showing fewer decimals) it is kept to the end.
func (s *xlsxListSource) probeRaw(cells, raw []string) {
	if s.probe < 0 {
		return
	}
	seen := false
	for _, i := range s.numCols {
		d, r := cellAt(cells, i), cellAt(raw, i)
		if r == "" {
			continue
		}
		seen = true
		if d == r {
			continue
		}
		dv, err1 := strconv.ParseFloat(d, 64)
		rv, err2 := strconv.ParseFloat(r, 64)
		// Equal but for float noise (106.00099999999999 shown as 106.001).
		if err1 != nil || err2 != nil || !(math.Abs(dv-rv) <= 1e-12*max(1, math.Abs(rv))) {
			s.probe = -1
			return
		}
	}
	if seen {
		if s.probe--; s.probe == 0 {
			s.dropRaw()
		}
	}
}

func cellAt(cells []string, i int) string {
	if i < len(cells) {
		return strings.TrimSpace(cells[i])
	}
	return ""
}

// openListXLSX copies the workbook to a temporary directory, checks its
// zip directory against the limits, opens it with excelize and finds the
// list's sheet and header. On error nothing is left behind.
func openListXLSX(r io.Reader, opts ListOptions) (_ *xlsxListSource, head listRecord, sheet string, err error) {
	dir, err := os.MkdirTemp("", "sanxian-list-")
	if err != nil {
		return nil, head, "", fmt.Errorf("data: project list: %w", err)
	}
	s := &xlsxListSource{dir: dir}
	defer func() {
		if p := recover(); p != nil {
			// excelize is not hardened against every malformed workbook;
			// a panic there is a corrupt upload, not a crash.
			err = listErr(CodeCorruptList, 0, "xlsx 文件无法读取（文件损坏）。")
		}
		if err != nil {
			_ = s.close()
		}
	}()
	spool := filepath.Join(dir, "list.xlsx")
	fh, err := os.Create(spool)
	if err != nil {
		return nil, head, "", fmt.Errorf("data: project list: %w", err)
	}
	limit := opts.MaxUnzipBytes + 1<<20
	n, err := io.Copy(fh, io.LimitReader(r, limit+1))
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, head, "", fmt.Errorf("data: read project list: %w", err)
	}
	switch {
	case n == 0:
		return nil, head, "", listErr(CodeEmptyList, 0, "文件是空的。")
	case n > limit:
		return nil, head, "", listErr(CodeListTooLarge, 0, "xlsx 文件超过 %s。", sizeCN(opts.MaxUnzipBytes))
	}
	if err := checkListZip(spool, opts.MaxUnzipBytes); err != nil {
		return nil, head, "", err
	}
	s.f, err = excelize.OpenFile(spool, excelize.Options{
		UnzipSizeLimit:    opts.MaxUnzipBytes,
		UnzipXMLSizeLimit: min(opts.MaxUnzipBytes, listXMLInMemory),
		TmpDir:            dir,
	})
	if s.f == nil && err == nil {
		err = errors.New("no workbook")
	}
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, head, "", listErr(CodeListTooLarge, 0, "xlsx 文件解压后超过 %s。", sizeCN(opts.MaxUnzipBytes))
		}
		return nil, head, "", listErr(CodeCorruptList, 0, "不是有效的 .xlsx 文件（可能已损坏，或是改了扩展名的其他格式）：%v。", err)
	}
	_ = os.Remove(spool) // excelize holds what it needs in memory or its own temporary files
	sheet, line, head, err := s.findSheet()
	if err != nil {
		return nil, head, "", err
	}
	s.disp, err = s.f.Rows(sheet)
	if err == nil && numberFormatted(s.f) {
		s.raw, err = s.f.Rows(sheet)
	}
	if err != nil {
		return nil, head, "", listErr(CodeCorruptList, 0, "无法读取工作表「%s」：%v。", sheet, err)
	}
	for s.line < line && s.disp.Next() && (s.raw == nil || s.raw.Next()) {
		s.line++
	}
	return s, head, sheet, nil
}

// numberFormatted reports whether a cell style of f has a number format
// other than General and Text: only then can a displayed number differ
// from the stored one (beyond excelize's rounding to 15 significant
// digits), and the rows are read a second time for the stored values
// (see probeRaw).
func numberFormatted(f *excelize.File) bool {
	st := f.Styles
	if st == nil || st.CellXfs == nil {
		return false
	}
	custom := map[int]string{}
	if st.NumFmts != nil {
		for _, n := range st.NumFmts.NumFmt {
			if n != nil {
				custom[n.NumFmtID] = cmp.Or(n.FormatCode16, n.FormatCode)
			}
		}
	}
	for _, xf := range st.CellXfs.Xf {
		if xf.NumFmtID == nil {
			continue
		}
		id := *xf.NumFmtID
		if code, ok := custom[id]; ok {
			if c := strings.ToLower(strings.TrimSpace(code)); c != "general" && c != "@" {
				return true
			}
			continue
		}
		if id != 0 && id != 49 {
			return true
		}
	}
	return false
}

// checkListZip refuses a workbook whose zip directory promises more than
// max bytes, or more than listMaxInMemory bytes of the parts that excelize
// keeps in memory, before anything is decompressed; then it decompresses
// every part once to check it (archive/zip stops at the promised size and
// checks the CRC).
func checkListZip(name string, max int64) error {
	var head [8]byte
	if fh, err := os.Open(name); err == nil {
		_, _ = io.ReadFull(fh, head[:])
		_ = fh.Close()
	}
	if bytes.HasPrefix(head[:], []byte("\xd0\xcf\x11\xe0")) {
		return listErr(CodeUnsupportedList, 0, "文件是旧版 Excel（.xls）或加了密码的工作簿：请在 Excel 或 WPS 中另存为不加密的 .xlsx。")
	}
	zr, err := zip.OpenReader(name)
	if err != nil {
		return listErr(CodeCorruptList, 0, "不是有效的 .xlsx 文件（可能已损坏，或是改了扩展名的其他格式）。")
	}
	defer zr.Close()
	if len(zr.File) > listMaxZipEntries {
		return listErr(CodeListTooLarge, 0, "xlsx 文件内部有 %d 个部件，超过 %d 个。", len(zr.File), listMaxZipEntries)
	}
	var total, inMemory uint64
	xmlLimit := uint64(min(max, listXMLInMemory))
	for _, f := range zr.File {
		size := f.UncompressedSize64
		if size > uint64(max) || total > uint64(max)-size {
			return listErr(CodeListTooLarge, 0, "xlsx 文件解压后超过 %s（压缩炸弹？）：请删去无关的工作表、图片后重试。", sizeCN(max))
		}
		total += size
		n := strings.ToLower(strings.ReplaceAll(f.Name, `\`, "/"))
		toTemp := size > xmlLimit && (strings.HasPrefix(n, "xl/worksheets/sheet") || n == "xl/sharedstrings.xml")
		if !toTemp {
			inMemory += size
		}
	}
	if inMemory > listMaxInMemory {
		return listErr(CodeListTooLarge, 0, "xlsx 文件中除数据表以外的部分解压后超过 %s：请删去无关的工作表、图片后重试。", sizeCN(listMaxInMemory))
	}
	// excelize ignores read errors of the parts it keeps in memory, so a
	// damaged part (bad checksum, more data than promised) would come
	// back silently truncated: check every part first.
	for _, f := range zr.File {
		if err := checkZipEntry(f); err != nil {
			return listErr(CodeCorruptList, 0, "xlsx 文件已损坏（内部文件 %s 无法解压：%v）。", clip(f.Name), err)
		}
	}
	return nil
}

func checkZipEntry(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return err
}

func sizeCN(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d 字节", n)
}

// findSheet picks the list's sheet (see OpenProjectList) and returns it
// with its header row and that row's number.
func (s *xlsxListSource) findSheet() (sheet string, line int, head listRecord, err error) {
	type candidate struct {
		sheet string
		head  listRecord
	}
	var anyRole, nonEmpty *candidate
	sheets := s.f.GetSheetList()
	if len(sheets) == 0 {
		return "", 0, head, listErr(CodeCorruptList, 0, "xlsx 文件中没有工作表。")
	}
	for _, name := range sheets {
		rows, err := s.f.Rows(name)
		if err != nil {
			if rows != nil {
				_ = rows.Close()
			}
			continue
		}
		rec, err := firstNonBlankRow(rows)
		_ = rows.Close()
		if err != nil {
			return "", 0, head, err
		}
		if rec.line == 0 {
			continue
		}
		c := &candidate{name, rec}
		site, some := false, false
		for _, cell := range rec.cells {
			switch role := roleOfHeader(cell); {
			case role == "":
			case isSiteRole(role):
				site = true
			default:
				some = true
			}
		}
		if site {
			return name, rec.line, rec, nil
		}
		if some && anyRole == nil {
			anyRole = c
		}
		if nonEmpty == nil {
			nonEmpty = c
		}
	}
	for _, c := range []*candidate{anyRole, nonEmpty} {
		if c != nil {
			return c.sheet, c.head.line, c.head, nil
		}
	}
	return "", 0, head, listErr(CodeEmptyList, 0, "工作簿中所有工作表都是空的。")
}

// firstNonBlankRow reads rows up to the first non-blank one; line 0 when
// the sheet has none.
func firstNonBlankRow(rows *excelize.Rows) (listRecord, error) {
	for line := 1; rows.Next(); line++ {
		cells, err := rows.Columns()
		if err != nil {
			return listRecord{}, listErr(CodeCorruptList, line, "第 %d 行无法读取：%v。", line, err)
		}
		if !blankCells(cells) {
			return listRecord{cells: cells, line: line}, nil
		}
	}
	if err := rows.Error(); err != nil {
		return listRecord{}, listErr(CodeCorruptList, 0, "工作表无法读取：%v。", err)
	}
	return listRecord{}, nil
}

var rawCellValue = excelize.Options{RawCellValue: true}

func (s *xlsxListSource) next() (rec listRecord, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = listErr(CodeCorruptList, s.line, "第 %d 行无法读取（文件损坏）。", s.line)
		}
	}()
	if !s.disp.Next() {
		if err := s.disp.Error(); err != nil {
			return rec, listErr(CodeCorruptList, s.line+1, "第 %d 行之后无法读取：%v。", s.line, err)
		}
		return rec, io.EOF
	}
	s.line++
	cells, err := s.disp.Columns()
	if err != nil {
		return rec, listErr(CodeCorruptList, s.line, "第 %d 行无法读取：%v。", s.line, err)
	}
	var raw []string
	if s.raw != nil {
		s.raw.Next()
		if raw, err = s.raw.Columns(rawCellValue); err != nil {
			return rec, listErr(CodeCorruptList, s.line, "第 %d 行无法读取：%v。", s.line, err)
		}
		s.probeRaw(cells, raw)
	}
	return listRecord{cells: cells, raw: raw, line: s.line}, nil
}

func (s *xlsxListSource) close() error {
	var errs []error
	for _, r := range []*excelize.Rows{s.disp, s.raw} {
		if r != nil {
			_ = r.Close() // its error is also the iteration's, reported by next
		}
	}
	s.disp, s.raw = nil, nil
	if s.f != nil {
		errs = append(errs, s.f.Close())
		s.f = nil
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
		s.dir = ""
	}
	return errors.Join(errs...)
}
