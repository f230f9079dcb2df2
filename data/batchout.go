package data

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/report"
)

// ResultSource streams a job's rows with their results in Seq order (a nil
// *Result = not done yet); it is batch.Store.Results bound to one job.
// WriteResults may call it twice (see WriteResults); fn's error must be
// returned unchanged.
type ResultSource func(fn func(batch.Row, *batch.Result) error) error

// Formats of WriteResults.
const (
	ResultsXLSX    = "xlsx"
	ResultsCSV     = "csv"
	ResultsGeoJSON = "geojson"
)

// ErrResultsFormat is returned (wrapped) by WriteResults for a format
// other than ResultsXLSX, ResultsCSV and ResultsGeoJSON; nothing is
// written then.
var ErrResultsFormat = errors.New("data: unknown results format")

// Sheet names of the results workbook, in tab order.
const (
	SheetSummary = "汇总"
	SheetResults = "筛查结果"
	SheetClauses = "触发条款"
)

// Texts of the results table.
const (
	labelPending     = "未完成"     // 筛查结论 of a row not done yet
	labelNoDistrict  = "未落在任何区县" // summary row of rows without a district
	evidenceMaxRunes = 1000      // 关键证据 is cut there, with "…"
)

// resultColumns are the headers that follow the original columns.
// 报告编号 is the row's report id (report.BatchRowID), empty for rows not
// done: GET /api/v1/reports/{id} shows and re-runs the row for as long as
// the job is kept.
var resultColumns = []string{"行号", "筛查结论", "所在区县", "所在管控单元", "生态保护红线", "最近敏感区", "依据条款", "关键证据", "错误", "数据版本", "报告编号"}

// WriteResults writes job's results in format "xlsx", "csv" or "geojson"
// to w: one row (feature) per row of rows in their order, the original
// cells first, then what the check found, in Chinese. clauses are listed
// by the workbook and the GeoJSON. The counts in the workbook's summary
// and in the GeoJSON's "job" member are those of the rows written, not
// job.Counts, so that they agree with the table even while the job runs.
//
// For "xlsx" and "csv" rows is called twice: a first pass finds the widest
// row (a row may have more cells than job.Header.Columns; the extra
// columns are headed 列N), the second writes. Neither pass keeps rows in
// memory: the workbook's main sheet is streamed (spilled to a temporary
// file past 16 MB) and the zip is written to w as it is made. A source
// error (or w's) stops the writing and is returned wrapped; w then holds a
// truncated file. WriteResults may be called concurrently.
func WriteResults(w io.Writer, format string, job batch.Job, rows ResultSource, clauses []batch.Clause) error {
	var err error
	switch format {
	case ResultsXLSX:
		err = writeResultsXLSX(w, job, rows, clauses)
	case ResultsCSV:
		err = writeResultsCSV(w, job, rows)
	case ResultsGeoJSON:
		err = writeResultsGeoJSON(w, job, rows, clauses)
	default:
		return fmt.Errorf("%w %q (want xlsx, csv or geojson)", ErrResultsFormat, format)
	}
	if err != nil {
		return fmt.Errorf("write %s results: %w", format, err)
	}
	return nil
}

// resultTable turns rows and results into the cells of the main table.
type resultTable struct {
	job   batch.Job
	width int // original columns, extra ones included
	// textWidths are the widest texts of the original columns, header
	// included, by displayWidth (set by measure).
	textWidths []float64
	// roleHeader maps a RowError column role to its header text.
	roleHeader map[string]string
	nearbyText string
}

func newResultTable(job batch.Job) *resultTable {
	t := &resultTable{job: job, width: len(job.Header.Columns), roleHeader: map[string]string{}}
	for role, i := range job.Header.Roles {
		if role != "site" && i >= 0 && i < len(job.Header.Columns) && job.Header.Columns[i] != "" {
			t.roleHeader[role] = job.Header.Columns[i]
		}
	}
	nearby := job.Options.NearbyM
	if nearby <= 0 {
		nearby = batch.DefaultNearbyM
	}
	t.nearbyText = formatRadius(nearby) + " 内无"
	return t
}

// maxTextWidth bounds the measured width of an original column.
const maxTextWidth = 40

// measureRows is how many rows measure reads when the header already
// knows the widest row (batch.Header.Width).
const measureRows = 1000

// errMeasured stops measure's pass early.
var errMeasured = errors.New("measured")

// measure is the first pass: it widens the table to the widest row and
// measures the original columns' texts (up to maxTextWidth). When the
// header knows the widest row, the texts are measured on the first
// measureRows rows only, so a big job is not read twice.
func (t *resultTable) measure(rows ResultSource) error {
	t.textWidths = t.textWidths[:0]
	for _, h := range t.job.Header.Columns {
		t.textWidths = append(t.textWidths, displayWidth(h))
	}
	known := t.job.Header.Width > 0
	if known {
		t.width = max(t.width, t.job.Header.Width)
		for i := len(t.textWidths); i < t.width; i++ {
			t.textWidths = append(t.textWidths, displayWidth(extraColumn(i)))
		}
	}
	n := 0
	err := rows(func(r batch.Row, _ *batch.Result) error {
		if known && n == measureRows {
			return errMeasured
		}
		n++
		for i, c := range r.Cells {
			if i == len(t.textWidths) {
				t.textWidths = append(t.textWidths, displayWidth(extraColumn(i)))
			}
			if t.textWidths[i] < maxTextWidth {
				t.textWidths[i] = max(t.textWidths[i], displayWidth(c))
			}
		}
		t.width = max(t.width, len(r.Cells))
		return nil
	})
	if errors.Is(err, errMeasured) {
		return nil
	}
	return err
}

// header is the header row of the main table.
func (t *resultTable) header() []string {
	h := make([]string, 0, t.width+len(resultColumns))
	h = append(h, t.job.Header.Columns...)
	for i := len(h); i < t.width; i++ {
		h = append(h, extraColumn(i))
	}
	return append(h, resultColumns...)
}

// extraColumn names the original column i (from 0) that has no header.
func extraColumn(i int) string { return "列" + strconv.Itoa(i+1) }

// original returns the row's original cells padded to the table's width,
// or an error when the row is wider than the first pass saw.
func (t *resultTable) original(r batch.Row, dst []string) ([]string, error) {
	if len(r.Cells) > t.width {
		return nil, fmt.Errorf("row %d has %d cells, more than the %d of the first pass", r.Line, len(r.Cells), t.width)
	}
	dst = append(dst[:0], r.Cells...)
	for len(dst) < t.width {
		dst = append(dst, "")
	}
	return dst, nil
}

// resultTexts are the texts of the result columns of one row.
type resultTexts struct {
	Line int
	// Label, Districts, … are the texts of the columns of the same names
	// in resultColumns.
	Label, Districts, Units, RedLine, Nearest, Clauses, Evidence, Error, Dataset, ReportID string
}

func (x resultTexts) cells() []string {
	return []string{strconv.Itoa(x.Line), x.Label, x.Districts, x.Units, x.RedLine, x.Nearest, x.Clauses, x.Evidence, x.Error, x.Dataset, x.ReportID}
}

// texts formats res for row r; res nil gives 未完成 and empty cells. The
// place columns stay empty for an error row: nothing was looked up.
func (t *resultTable) texts(r batch.Row, res *batch.Result) resultTexts {
	x := resultTexts{Line: r.Line}
	if res == nil {
		x.Label = labelPending
		return x
	}
	x.Label = res.Label
	if x.Label == "" {
		x.Label = batch.OutcomeLabel(res.Outcome)
	}
	x.Dataset = res.Dataset
	x.ReportID = report.BatchRowID(t.job.ID, r.Seq)
	x.Clauses = strings.Join(res.Clauses, "、")
	x.Evidence = truncateRunes(strings.Join(res.Evidence, "；"), evidenceMaxRunes)
	if e := res.Error; e != nil {
		x.Error = withColumn(e.Message, t.roleHeader[e.Column])
	}
	if res.Outcome == batch.OutcomeError {
		return x
	}
	x.Districts = strings.Join(res.Districts, "、")
	x.Units = unitsText(res.Units)
	x.RedLine = redLineText(res.RedLine)
	x.Nearest = t.nearbyText
	if n := res.Nearest; n != nil {
		x.Nearest = nearbyText(n)
	}
	return x
}

// unitsText is "code 名称（类别）占 37.5%" per unit, joined with ；; the
// share is given only when the site spans several units.
// linePrefix is how row error messages start: "第 12 行：".
var linePrefix = regexp.MustCompile(`^第 \d+ 行`)

// withColumn names the column header h in a row error message that does
// not name it yet: "第 12 行：…" becomes "第 12 行「行业代码」列：…".
func withColumn(msg, h string) string {
	if h == "" || strings.Contains(msg, "「"+h+"」") {
		return msg
	}
	if loc := linePrefix.FindStringIndex(msg); loc != nil {
		return msg[:loc[1]] + "「" + h + "」列" + msg[loc[1]:]
	}
	return "「" + h + "」" + msg
}

func unitsText(units []batch.UnitPart) string {
	parts := make([]string, 0, len(units))
	for _, u := range units {
		s := strings.TrimSpace(u.ID + " " + u.Name)
		if u.Category != "" {
			s += "（" + u.Category + "）"
		}
		if u.Share != nil && len(units) > 1 {
			if u.Category == "" {
				s += " "
			}
			s += "占 " + formatPercent(*u.Share)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "；")
}

// redLineText describes the part of the site in the ecological red line:
// an area for a polygon, a length for a line, "位于红线内" otherwise (a
// point), "不涉及" when nil.
func redLineText(o *batch.Overlap) string {
	switch {
	case o == nil:
		return "不涉及"
	case o.AreaM2 > 0:
		return "占用 " + formatArea(o.AreaM2) + "（" + formatPercent(o.Share) + "）"
	case o.LengthM > 0:
		return "穿越 " + formatDistance(o.LengthM) + "（" + formatPercent(o.Share) + "）"
	}
	return "位于红线内"
}

// nearbyText is "名称（图层） 距 320 m", or "… 位于其中" at distance 0.
func nearbyText(n *batch.Nearby) string {
	s := n.Name
	if s == "" {
		s = n.ID
	}
	if n.LayerTitle != "" {
		s += "（" + n.LayerTitle + "）"
	}
	if n.DistanceM <= 0 {
		return s + " 位于其中"
	}
	return s + " 距 " + formatDistance(n.DistanceM)
}

// formatArea gives 公顷 with 2 decimals from 0.01 ha (100 m²) on, whole
// m² below.
func formatArea(m2 float64) string {
	switch {
	case m2 >= 100:
		return strconv.FormatFloat(m2/10000, 'f', 2, 64) + " 公顷"
	case m2 < 0.5:
		return "不足 1 m²"
	}
	return strconv.FormatFloat(math.Round(m2), 'f', 0, 64) + " m²"
}

// formatDistance rounds to the metre.
func formatDistance(m float64) string {
	return strconv.FormatFloat(math.Round(m), 'f', 0, 64) + " m"
}

// formatRadius is a search radius: "5 km", "2.5 km", "800 m".
func formatRadius(m float64) string {
	if m >= 1000 {
		return strconv.FormatFloat(math.Round(m/100)/10, 'f', -1, 64) + " km"
	}
	return formatDistance(m)
}

// formatPercent formats a share (0..1) as a percentage with 1 decimal.
func formatPercent(share float64) string {
	return strconv.FormatFloat(share*100, 'f', 1, 64) + "%"
}

// truncateRunes cuts s to at most n runes, the last being "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	k := 0
	for i := range s {
		if k == n-1 {
			return s[:i] + "…"
		}
		k++
	}
	return s
}

// tally counts the rows written: by outcome, and by district × outcome
// for done rows (a row in several districts counts in each; a done row
// in none counts under labelNoDistrict).
type tally struct {
	total, done int
	counts      map[string]int
	districts   map[string]map[string]int
	datasets    []string
}

func newTally() *tally {
	return &tally{counts: map[string]int{}, districts: map[string]map[string]int{}}
}

func (t *tally) add(res *batch.Result) {
	t.total++
	if res == nil {
		return
	}
	t.done++
	t.counts[res.Outcome]++
	ds := res.Districts
	if len(ds) == 0 {
		ds = []string{labelNoDistrict}
	}
	for _, d := range ds {
		m := t.districts[d]
		if m == nil {
			m = map[string]int{}
			t.districts[d] = m
		}
		m[res.Outcome]++
	}
	if res.Dataset != "" && !slices.Contains(t.datasets, res.Dataset) {
		t.datasets = append(t.datasets, res.Dataset)
	}
}

// outcomes are batch.Outcomes then any other outcome seen, sorted.
func (t *tally) outcomes() []string {
	out := slices.Clone(batch.Outcomes)
	var extra []string
	for o := range t.counts {
		if !slices.Contains(out, o) {
			extra = append(extra, o)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// districtNames are the districts in pinyin order, labelNoDistrict last.
func (t *tally) districtNames() []string {
	var names []string
	for d := range t.districts {
		if d != labelNoDistrict {
			names = append(names, d)
		}
	}
	collate.New(language.Chinese).SortStrings(names)
	if _, ok := t.districts[labelNoDistrict]; ok {
		names = append(names, labelNoDistrict)
	}
	return names
}

// ---- CSV

func writeResultsCSV(w io.Writer, job batch.Job, rows ResultSource) error {
	t := newResultTable(job)
	if err := t.measure(rows); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(t.header()); err != nil {
		return err
	}
	var rec []string
	err := rows(func(r batch.Row, res *batch.Result) error {
		var err error
		if rec, err = t.original(r, rec); err != nil {
			return err
		}
		rec = append(rec, t.texts(r, res).cells()...)
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// ---- GeoJSON

// geoJSONJob is the "job" foreign member of the GeoJSON output.
type geoJSONJob struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	FileName string         `json:"file_name"`
	Dataset  string         `json:"dataset,omitempty"`
	CRS      string         `json:"crs,omitempty"` // job.Options.CRS: the list's coordinate system
	Total    int            `json:"total"`
	Done     int            `json:"done"`
	Counts   map[string]int `json:"counts"`
}

// geoJSONResultKeys are the property keys of the result fields.
var geoJSONResultKeys = []string{"line", "outcome", "label", "districts", "units", "red_line", "nearest", "clauses", "evidence", "error", "dataset", "report_id"}

// writeResultsGeoJSON writes a FeatureCollection, one feature a line, with
// the foreign members "job" and "clauses" after "features" (the counts are
// known only then).
func writeResultsGeoJSON(w io.Writer, job batch.Job, rows ResultSource, clauses []batch.Clause) error {
	t := newResultTable(job)
	keys := newPropertyKeys(job.Header.Columns)
	tl := newTally()
	bw := bufio.NewWriter(w)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if _, err := bw.WriteString(`{"type":"FeatureCollection","features":[`); err != nil {
		return err
	}
	first := true
	err := rows(func(r batch.Row, res *batch.Result) error {
		tl.add(res)
		buf.Reset()
		if first {
			buf.WriteString("\n")
		} else {
			buf.WriteString(",\n")
		}
		first = false
		if err := appendFeature(&buf, enc, keys, t, r, res); err != nil {
			return err
		}
		_, err := bw.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, o := range tl.outcomes() {
		counts[o] = tl.counts[o]
	}
	if clauses == nil {
		clauses = []batch.Clause{}
	}
	buf.Reset()
	buf.WriteString("\n],\"job\":")
	if err := enc.Encode(geoJSONJob{ID: job.ID, Name: job.Name, FileName: job.FileName, Dataset: job.Dataset, CRS: job.Options.CRS, Total: tl.total, Done: tl.done, Counts: counts}); err != nil {
		return err
	}
	trimNewline(&buf)
	buf.WriteString(`,"clauses":`)
	if err := enc.Encode(clauses); err != nil {
		return err
	}
	trimNewline(&buf)
	buf.WriteString("}\n")
	if _, err := bw.Write(buf.Bytes()); err != nil {
		return err
	}
	return bw.Flush()
}

func trimNewline(buf *bytes.Buffer) {
	if b := buf.Bytes(); len(b) > 0 && b[len(b)-1] == '\n' {
		buf.Truncate(len(b) - 1)
	}
}

// propertyKeys gives each original column a property key: its header, or
// 列N when it has none; a key already taken (by a result field or an
// earlier column) gets "（列N）" after it.
type propertyKeys struct {
	header []string
	used   map[string]bool
}

func newPropertyKeys(columns []string) *propertyKeys {
	k := &propertyKeys{used: map[string]bool{}}
	for _, key := range geoJSONResultKeys {
		k.used[key] = true
	}
	for i, c := range columns {
		k.header = append(k.header, k.unique(c, i))
	}
	return k
}

func (k *propertyKeys) unique(name string, i int) string {
	if strings.TrimSpace(name) == "" {
		name = extraColumn(i)
	}
	key := name
	for n := 0; k.used[key]; n++ {
		key = name + "（" + extraColumn(i) + "）"
		if n > 0 {
			key += strconv.Itoa(n + 1)
		}
	}
	k.used[key] = true
	return key
}

// key is the property key of original column i; the keys of columns past
// the header are made per row (and forgotten after it, see release).
func (k *propertyKeys) key(i int) string {
	if i < len(k.header) {
		return k.header[i]
	}
	return k.unique("", i)
}

// release forgets the keys of the extra columns of one row.
func (k *propertyKeys) release(keys []string) {
	for _, key := range keys {
		delete(k.used, key)
	}
}

// appendFeature appends one Feature to buf: the geometry (null when nil),
// the original cells by header, then the result fields (null when empty).
func appendFeature(buf *bytes.Buffer, enc *json.Encoder, keys *propertyKeys, t *resultTable, r batch.Row, res *batch.Result) error {
	buf.WriteString(`{"type":"Feature","geometry":`)
	if r.Geometry == nil {
		buf.WriteString("null")
	} else {
		b, err := geojson.NewGeometry(r.Geometry).MarshalJSON()
		if err != nil {
			return fmt.Errorf("row %d: geometry: %w", r.Line, err)
		}
		buf.Write(b)
	}
	buf.WriteString(`,"properties":{`)
	sep := ""
	put := func(key string, v any) error {
		buf.WriteString(sep)
		sep = ","
		if err := enc.Encode(key); err != nil {
			return err
		}
		trimNewline(buf)
		buf.WriteByte(':')
		if err := enc.Encode(v); err != nil {
			return err
		}
		trimNewline(buf)
		return nil
	}
	n := max(len(r.Cells), len(keys.header))
	var extra []string
	for i := 0; i < n; i++ {
		v := ""
		if i < len(r.Cells) {
			v = r.Cells[i]
		}
		key := keys.key(i)
		if i >= len(keys.header) {
			extra = append(extra, key)
		}
		if err := put(key, v); err != nil {
			return err
		}
	}
	keys.release(extra)
	x := t.texts(r, res)
	var outcome any
	if res != nil {
		outcome = res.Outcome
	}
	vals := []any{x.Line, outcome, x.Label, x.Districts, x.Units, x.RedLine, x.Nearest, x.Clauses, x.Evidence, x.Error, x.Dataset, x.ReportID}
	for i, key := range geoJSONResultKeys {
		v := vals[i]
		if s, ok := v.(string); ok && s == "" {
			v = nil
		}
		if err := put(key, v); err != nil {
			return err
		}
	}
	buf.WriteString("}}")
	return nil
}

// ---- XLSX

// outcomeFill is the fill and font colour of the 筛查结论 cell of each
// outcome: light enough for black text and for grey-scale print, with
// the error rows dark grey under white text.
var outcomeFill = map[string]struct{ Fill, Font string }{
	admission.VerdictProhibited:   {"F8696B", "000000"}, // red
	admission.VerdictInsufficient: {"F4B183", "000000"}, // orange
	admission.VerdictRestricted:   {"FFD966", "000000"}, // amber
	admission.VerdictReview:       {"9DC3E6", "000000"}, // blue
	admission.VerdictCompatible:   {"A9D08E", "000000"}, // green
	batch.OutcomeNone:             {"D9D9D9", "000000"}, // grey
	batch.OutcomeError:            {"595959", "FFFFFF"}, // dark grey
}

// chinaTime is Asia/Shanghai, fixed at UTC+8 (no DST since 1991), so that
// no tzdata is needed.
var chinaTime = time.FixedZone("CST", 8*3600)

// Texts of the clause sheet.
var (
	effectLabel = map[string]string{admission.EffectProhibit: "禁止", admission.EffectRestrict: "限制", admission.EffectRequire: "要求", admission.EffectEncourage: "鼓励", admission.EffectInfo: "说明"}
	levelLabel  = map[string]string{admission.LevelCity: "全市总体", admission.LevelDistrict: "区县", admission.LevelUnit: "管控单元", admission.LevelZone: "要素分区"}
)

// xlsxStyles are the style ids of the workbook.
type xlsxStyles struct {
	header, headerWrap, title, bold, wrap, percent int
	outcome                                        map[string]int
}

func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	var s xlsxStyles
	border := []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}
	pct := "0.0%"
	defs := []struct {
		id    *int
		style excelize.Style
	}{
		{&s.header, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}, Border: border, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&s.headerWrap, excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}, Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&s.bold, excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&s.wrap, excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&s.percent, excelize.Style{CustomNumFmt: &pct}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(&d.style)
		if err != nil {
			return s, err
		}
		*d.id = id
	}
	s.outcome = map[string]int{}
	for _, o := range batch.Outcomes {
		c, ok := outcomeFill[o]
		if !ok {
			continue
		}
		id, err := f.NewStyle(&excelize.Style{
			Font: &excelize.Font{Bold: o == admission.VerdictProhibited, Color: c.Font},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c.Fill}},
		})
		if err != nil {
			return s, err
		}
		s.outcome[o] = id
	}
	return s, nil
}

// writeResultsXLSX writes the workbook: 汇总, 筛查结果 and 触发条款 in
// that tab order. The sheets are created first and written after with one
// stream writer each: 筛查结果 first, since 汇总 needs its counts.
func writeResultsXLSX(w io.Writer, job batch.Job, rows ResultSource, clauses []batch.Clause) (err error) {
	t := newResultTable(job)
	if err := t.measure(rows); err != nil {
		return err
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	for _, name := range []string{SheetResults, SheetClauses} {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Title: "批量筛查结果：" + job.Name, Subject: "三线一单生态环境分区管控 批量筛查", Creator: "sanxian", Language: "zh-CN"}); err != nil {
		return err
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return err
	}
	tl := newTally()
	if err := writeResultsSheet(f, st, t, rows, tl); err != nil {
		return err
	}
	if err := writeSummarySheet(f, st, job, tl); err != nil {
		return err
	}
	if err := writeClausesSheet(f, st, clauses); err != nil {
		return err
	}
	// WriteTo would build the whole zip in a bytes.Buffer first; a zip
	// writer on w instead streams it (the buffer WriteTo passes stays
	// empty, and is written to io.Discard).
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	return f.Write(io.Discard)
}

// displayWidth approximates a text's width in Excel's character units: 2
// for a wide (CJK) rune, 1 otherwise.
func displayWidth(s string) float64 {
	n := 0.0
	for _, r := range s {
		if r >= 0x1100 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// printSetup is how a sheet prints on A4.
type printSetup struct {
	landscape bool
	// fitWidth scales the sheet to one page wide.
	fitWidth bool
	// titles are the rows and columns repeated on every page
	// ("$1:$1", "$A:$A,$1:$1"), none when empty.
	titles string
}

// newStream sets sheet's print setup and opens its stream writer. The
// fit-to-page flag lives in the sheet's properties, which the stream
// writer writes when it opens: it is set before; the page setup is
// written by Flush from the same worksheet.
func newStream(f *excelize.File, sheet string, p printSetup) (*excelize.StreamWriter, error) {
	a4, orient := 9, "portrait"
	if p.landscape {
		orient = "landscape"
	}
	layout := &excelize.PageLayoutOptions{Size: &a4, Orientation: &orient}
	if p.fitWidth {
		one, auto := 1, 0
		layout.FitToWidth, layout.FitToHeight = &one, &auto
		if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &p.fitWidth}); err != nil {
			return nil, err
		}
	}
	if err := f.SetPageLayout(sheet, layout); err != nil {
		return nil, err
	}
	if p.titles != "" {
		var refs []string
		for _, r := range strings.Split(p.titles, ",") {
			refs = append(refs, "'"+sheet+"'!"+r)
		}
		if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: strings.Join(refs, ","), Scope: sheet}); err != nil {
			return nil, err
		}
	}
	return f.NewStreamWriter(sheet)
}

// setColWidths sets the widths of the columns from A on. It goes from the
// last column to the first: the stream writer puts each new <col> before
// those set earlier and writes them unsorted, which Excel may refuse.
func setColWidths(sw *excelize.StreamWriter, widths []float64) error {
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	return nil
}

// resultColumnWidths are the widths of the result columns.
var resultColumnWidths = []float64{7, 32, 16, 48, 22, 34, 18, 50, 40, 18, 28}

func writeResultsSheet(f *excelize.File, st xlsxStyles, t *resultTable, rows ResultSource, tl *tally) error {
	sw, err := newStream(f, SheetResults, printSetup{landscape: true, titles: "$A:$A,$1:$1"})
	if err != nil {
		return err
	}
	header := t.header()
	widths := make([]float64, 0, len(header))
	for _, w := range t.textWidths {
		widths = append(widths, min(max(w+2, 8), maxTextWidth))
	}
	if err := setColWidths(sw, append(widths, resultColumnWidths...)); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	vals := make([]any, len(header))
	for i, h := range header {
		vals[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	if err := sw.SetRow("A1", vals, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}
	line := 1
	var orig []string
	err = rows(func(r batch.Row, res *batch.Result) error {
		tl.add(res)
		line++
		var err error
		if orig, err = t.original(r, orig); err != nil {
			return err
		}
		for i, c := range orig {
			vals[i] = c
		}
		x := t.texts(r, res)
		label := excelize.Cell{Value: x.Label}
		if res != nil {
			label.StyleID = st.outcome[res.Outcome]
		}
		copy(vals[t.width:], []any{x.Line, label, x.Districts, x.Units, x.RedLine, x.Nearest, x.Clauses, x.Evidence, x.Error, x.Dataset, x.ReportID})
		for i, v := range vals {
			if s, ok := v.(string); ok && s == "" {
				vals[i] = nil // no empty inline strings
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, line)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, vals)
	})
	if err != nil {
		return err
	}
	// The filter is set on the worksheet the stream writer holds: Flush
	// writes it (it comes after sheetData), so it must be set before.
	last, err := excelize.CoordinatesToCellName(len(header), line)
	if err != nil {
		return err
	}
	if err := f.AutoFilter(SheetResults, "A1:"+last, nil); err != nil {
		return err
	}
	return sw.Flush()
}

// sheetRows writes rows one after another with a stream writer.
type sheetRows struct {
	sw   *excelize.StreamWriter
	next int
}

func (s *sheetRows) row(vals ...any) error {
	s.next++
	cell, err := excelize.CoordinatesToCellName(1, s.next)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, vals)
}

func (s *sheetRows) skip() { s.next++ }

// crsTitle describes a recorded coordinate system for the summary: its
// Chinese title, and that rows may name their own.
func crsTitle(name string) string {
	t := name
	if c, err := crs.Parse(name); err == nil {
		t = c.Title
	}
	return t + "（行内「坐标系」列另有填写的，按该列；结果中的几何均为 CGCS2000 经纬度）"
}

// reportIDNote explains the 报告编号 column in the summary.
func reportIDNote(job batch.Job) string {
	if report.BatchRowID(job.ID, 0) == "" {
		return "本地筛查结果，未在服务中登记，没有报告编号。"
	}
	return "「筛查结果」表每行的报告编号可在出具本结果的服务上核验：/api/v1/reports/{报告编号}（返回该行登记的结果，并按当前数据版本重新核查）；" +
		"批量任务的报告随任务保存，任务超过服务的保留期（默认 7 天）删除后编号失效，需长期留档请保存本工作簿。"
}

func writeSummarySheet(f *excelize.File, st xlsxStyles, job batch.Job, tl *tally) error {
	sw, err := newStream(f, SheetSummary, printSetup{fitWidth: true})
	if err != nil {
		return err
	}
	outcomes := tl.outcomes()
	widths := []float64{34}
	for range len(outcomes) + 1 {
		widths = append(widths, 14)
	}
	if err := setColWidths(sw, widths); err != nil {
		return err
	}
	s := &sheetRows{sw: sw}
	bold := func(v string) excelize.Cell { return excelize.Cell{StyleID: st.bold, Value: v} }
	head := func(v string) excelize.Cell { return excelize.Cell{StyleID: st.headerWrap, Value: v} }
	if err := s.row(excelize.Cell{StyleID: st.title, Value: "批量筛查结果汇总"}); err != nil {
		return err
	}
	s.skip()
	finished := "未完成"
	if job.FinishedAt != nil {
		finished = job.FinishedAt.In(chinaTime).Format(time.DateTime)
	}
	datasets := strings.Join(tl.datasets, "、")
	if datasets == "" {
		datasets = job.Dataset
	}
	info := []struct {
		k string
		v any
	}{
		{"任务名称", job.Name},
		{"任务编号", job.ID},
		{"文件名", job.FileName},
		{"创建时间（北京时间）", job.CreatedAt.In(chinaTime).Format(time.DateTime)},
		{"完成时间（北京时间）", finished},
		{"数据版本", datasets},
		{"总行数", tl.total},
		{"已完成行数", tl.done},
		{"报告编号", reportIDNote(job)},
	}
	if job.Restarts > 0 {
		// After 数据版本: why the job took longer than its rows.
		info = slices.Insert(info, 6, struct {
			k string
			v any
		}{"数据版本更新", fmt.Sprintf("筛查过程中数据版本由 %s 更新为 %s，已按新版本从头重新筛查，全部结果为同一版本（共重新筛查 %d 次）", job.PreviousDataset, datasets, job.Restarts)})
	}
	if job.Options.CRS != "" {
		// After 文件名: what the file's coordinates were in.
		info = slices.Insert(info, 3, struct {
			k string
			v any
		}{"清单坐标系", crsTitle(job.Options.CRS)})
	}
	for _, kv := range info {
		if err := s.row(bold(kv.k), kv.v); err != nil {
			return err
		}
	}
	s.skip()
	if err := s.row(head("筛查结论"), head("行数"), head("占比")); err != nil {
		return err
	}
	share := func(n int) any {
		if tl.total == 0 {
			return excelize.Cell{StyleID: st.percent, Value: 0}
		}
		return excelize.Cell{StyleID: st.percent, Value: float64(n) / float64(tl.total)}
	}
	for _, o := range outcomes {
		n := tl.counts[o]
		if err := s.row(excelize.Cell{StyleID: st.outcome[o], Value: batch.OutcomeLabel(o)}, n, share(n)); err != nil {
			return err
		}
	}
	if pending := tl.total - tl.done; pending > 0 {
		if err := s.row(labelPending, pending, share(pending)); err != nil {
			return err
		}
	}
	if err := s.row(bold("合计"), tl.total, share(tl.total)); err != nil {
		return err
	}
	s.skip()
	if err := s.row(bold("按区县统计（已完成的行；跨多个区县的行在每个区县各计一次）")); err != nil {
		return err
	}
	hdr := []any{head("区县")}
	for _, o := range outcomes {
		hdr = append(hdr, head(batch.OutcomeLabel(o)))
	}
	hdr = append(hdr, head("合计"))
	s.next++
	if err := sw.SetRow("A"+strconv.Itoa(s.next), hdr, excelize.RowOpts{Height: 48}); err != nil {
		return err
	}
	for _, d := range tl.districtNames() {
		vals := []any{d}
		sum := 0
		for _, o := range outcomes {
			n := tl.districts[d][o]
			vals = append(vals, n)
			sum += n
		}
		if err := s.row(append(vals, sum)...); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func writeClausesSheet(f *excelize.File, st xlsxStyles, clauses []batch.Clause) error {
	sw, err := newStream(f, SheetClauses, printSetup{landscape: true, fitWidth: true, titles: "$1:$1"})
	if err != nil {
		return err
	}
	if err := setColWidths(sw, []float64{18, 12, 16, 8, 90}); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	s := &sheetRows{sw: sw}
	var hdr []any
	for _, h := range []string{"条款编号", "层级", "管控维度", "效力", "条款内容"} {
		hdr = append(hdr, excelize.Cell{StyleID: st.header, Value: h})
	}
	if err := s.row(hdr...); err != nil {
		return err
	}
	wrap := func(v string) excelize.Cell { return excelize.Cell{StyleID: st.wrap, Value: v} }
	for _, c := range clauses {
		if err := s.row(wrap(c.ID), wrap(labelOr(levelLabel, c.Level)), wrap(c.Dimension), wrap(labelOr(effectLabel, c.Effect)), wrap(c.Text)); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// labelOr is m[k], or k itself when m has no label for it.
func labelOr(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return k
}
