package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/report"
)

// BatchFiles reads uploaded project lists and writes results (package data provides it, wired in cmd/sanxian). Errors from Open and from the Rows iterator should be *Error values (see BatchListError); anything else answers 500.
type BatchFiles interface {
	Open(name string, r io.Reader, opts BatchListOptions) (BatchList, error)
	WriteResults(w io.Writer, format string, job batch.Job, rows func(fn func(batch.Row, *batch.Result) error) error, clauses []batch.Clause) error // format "xlsx", "csv", "geojson"
	WriteTemplate(w io.Writer, format string) error                                                                                                 // "xlsx", "csv"
}

// BatchListOptions is what an upload says about its list besides the
// file.
type BatchListOptions struct {
	// CRS is the coordinate system of the list's coordinates where a
	// row's 坐标系 column does not name another (form field crs);
	// crs.CGCS2000 when the upload does not say. Rows are read into
	// CGCS2000 whatever it is.
	CRS crs.CRS
}

// BatchList is an opened project list: the header is known at once, rows stream once.
type BatchList interface {
	Header() batch.Header
	Rows() iter.Seq2[batch.Row, error]
	Close() error
}

// Batches enables the batch API; Config.Batches nil answers its routes 503 batch_disabled.
type Batches struct {
	Store          batch.Store
	Files          BatchFiles
	Notify         func() // wakes the runner after a job is accepted; may be nil
	MaxUploadBytes int64  // default 50 MiB; larger → 413 upload_too_large
	MaxRows        int    // default 200,000; more → 413 too_many_rows
	ChunkSize      int    // default 200
}

// Defaults of Batches.
const (
	DefaultMaxUploadBytes = 50 << 20
	DefaultMaxRows        = 200_000
	DefaultChunkSize      = 200
	// DefaultBatchTimeout is Config.BatchTimeout when zero.
	DefaultBatchTimeout = 5 * time.Minute
	// MaxNearbyM is the largest nearby_m of a batch.
	MaxNearbyM = 50_000
)

func (b Batches) withDefaults() *Batches {
	if b.MaxUploadBytes <= 0 {
		b.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if b.MaxRows <= 0 {
		b.MaxRows = DefaultMaxRows
	}
	if b.ChunkSize <= 0 {
		b.ChunkSize = DefaultChunkSize
	}
	return &b
}

// Batch error codes.
const (
	CodeBatchDisabled   = "batch_disabled"
	CodeJobNotFound     = "job_not_found"
	CodeUploadTooLarge  = "upload_too_large"
	CodeTooManyRows     = "too_many_rows"
	CodeJobNotFinished  = "job_not_finished"
	CodeMissingFile     = "missing_file"
	CodeUnsupportedList = "unsupported_list"
	CodeEmptyList       = "empty_list"
	CodeNoSiteColumns   = "no_site_columns"
	CodeDuplicateColumn = "duplicate_column"
	CodeCorruptList     = "corrupt_list"
	CodeBadEncoding     = "bad_encoding"
	// CodeListTooLarge: an xlsx that unzips to more than the reader
	// allows (data.CodeListTooLarge).
	CodeListTooLarge = "list_too_large"
	// CodeStorageFull: the job store's disk is full (507); nothing of the
	// upload was stored, earlier jobs stay readable.
	CodeStorageFull = "storage_full"
	// CodeStorageReadOnly: the job store cannot be written (503).
	CodeStorageReadOnly = "storage_read_only"
)

// BatchListError is the API error for a list file that cannot be read (code one of the Code*List constants), with the line when known.
//
// The codes are CodeUnsupportedList, CodeEmptyList, CodeNoSiteColumns,
// CodeDuplicateColumn, CodeCorruptList, CodeBadEncoding, CodeListTooLarge
// and CodeTooManyRows (the same strings as package data's list codes); a
// line > 0 goes to details.line.
func BatchListError(code, message string, line int) error {
	var d map[string]any
	if line > 0 {
		d = map[string]any{"line": line}
	}
	return newError(code, message, d)
}

// routeBatchUpload is the route of POST /api/v1/batches.
const routeBatchUpload = "/api/v1/batches"

// longBatchRoutes are the routes whose requests may outlast
// RequestTimeout: the upload and the result downloads get BatchTimeout.
var longBatchRoutes = map[string]bool{
	http.MethodPost + " " + routeBatchUpload:               true,
	http.MethodGet + " /api/v1/batches/:id/result.xlsx":    true,
	http.MethodGet + " /api/v1/batches/:id/result.csv":     true,
	http.MethodGet + " /api/v1/batches/:id/result.geojson": true,
}

// isLongRoute reports whether the matched route gets BatchTimeout.
func isLongRoute(c *gin.Context) bool { return longBatchRoutes[c.Request.Method+" "+c.FullPath()] }

// isUploadRoute reports whether the request is a batch upload, which has
// its own body limit (Batches.MaxUploadBytes) instead of MaxBodyBytes.
func isUploadRoute(c *gin.Context) bool {
	return c.Request.Method == http.MethodPost && c.FullPath() == routeBatchUpload
}

// uploadEnvelope is what a multipart upload may carry besides the file:
// boundaries, part headers and the small fields.
const uploadEnvelope = 1 << 20

// rowErrorSample is how many row errors a job answer shows.
const rowErrorSample = 20

// liveErrorScanRows bounds the rows scanned for the row-error sample of a
// queued or running job, so that polling stays cheap; a finished or
// cancelled job is scanned to the end once and the sample cached. A
// variable for tests.
var liveErrorScanRows = 5000

// statusLabels are the job statuses in Chinese.
var statusLabels = map[batch.Status]string{
	batch.StatusQueued:    "排队中",
	batch.StatusRunning:   "进行中",
	batch.StatusFinished:  "已完成",
	batch.StatusCancelled: "已取消",
}

// jobSummary is a job as the API answers it (also in the list).
type jobSummary struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	FileName    string            `json:"file_name"`
	Status      batch.Status      `json:"status"`
	StatusLabel string            `json:"status_label"`
	Total       int               `json:"total"`
	Done        int               `json:"done"`
	Progress    float64           `json:"progress"`
	Counts      map[string]int    `json:"counts"`
	Labels      map[string]string `json:"labels"`
	Header      batch.Header      `json:"header"`
	Options     batch.Options     `json:"options"`
	CreatedAt   time.Time         `json:"created_at"`
	StartedAt   *time.Time        `json:"started_at"`
	FinishedAt  *time.Time        `json:"finished_at"`
	Dataset     string            `json:"dataset"`
	// Restarts and PreviousDataset: see batch.Job.
	Restarts        int      `json:"restarts"`
	PreviousDataset string   `json:"previous_dataset,omitempty"`
	Links           jobLinks `json:"links"`
}

// jobDetail is one job with a sample of its row errors.
type jobDetail struct {
	jobSummary
	RowErrors []rowErrorView `json:"row_errors"`
}

type jobLinks struct {
	Self          string `json:"self"`
	ResultXLSX    string `json:"result_xlsx"`
	ResultCSV     string `json:"result_csv"`
	ResultGeoJSON string `json:"result_geojson"`
	Rows          string `json:"rows"`
	Page          string `json:"page"`
}

// rowErrorView is why a row has no verdict, with the column's header.
type rowErrorView struct {
	Seq          int    `json:"seq"`
	Line         int    `json:"line"`
	Code         string `json:"code"`
	Column       string `json:"column"`
	ColumnHeader string `json:"column_header"`
	Message      string `json:"message"`
}

// rowView is a row with its result for the page's table and map.
type rowView struct {
	Seq          int              `json:"seq"`
	Line         int              `json:"line"`
	Name         string           `json:"name"`
	Cells        []string         `json:"cells"`
	Industry     string           `json:"industry"`
	Construction string           `json:"construction"`
	Done         bool             `json:"done"`
	Outcome      *string          `json:"outcome"`
	Label        string           `json:"label"`
	Reason       string           `json:"reason"`
	Districts    []string         `json:"districts"`
	Units        []batch.UnitPart `json:"units"`
	RedLine      *batch.Overlap   `json:"red_line"`
	Nearest      *batch.Nearby    `json:"nearest"`
	Clauses      []string         `json:"clauses"`
	Evidence     []string         `json:"evidence"`
	Notes        []string         `json:"notes"`
	Error        *rowErrorView    `json:"error"`
	Dataset      string           `json:"dataset"`
	// ReportID is the row's report id (GET /api/v1/reports/{id}), empty
	// until the row is done.
	ReportID string            `json:"report_id"`
	Geometry *geojson.Geometry `json:"geometry"`
}

type rowsPage struct {
	Total  int       `json:"total"`
	Offset int       `json:"offset"`
	Limit  int       `json:"limit"`
	Rows   []rowView `json:"rows"`
}

type jobList struct {
	Jobs []jobSummary `json:"jobs"`
}

// labelPending is the label of a row not done yet.
const labelPending = "未完成"

func jobPath(id string) string { return "/api/v1/batches/" + url.PathEscape(id) }

func summarize(j batch.Job) jobSummary {
	counts := make(map[string]int, len(batch.Outcomes))
	labels := make(map[string]string, len(batch.Outcomes))
	for _, o := range batch.Outcomes {
		counts[o] = j.Counts[o]
		labels[o] = batch.OutcomeLabel(o)
	}
	progress := 0.0
	switch {
	case j.Total > 0:
		progress = math.Min(float64(j.Done)/float64(j.Total), 1)
	case j.Status == batch.StatusFinished:
		progress = 1
	}
	h := j.Header
	if h.Columns == nil {
		h.Columns = []string{}
	}
	if h.Roles == nil {
		h.Roles = map[string]int{}
	}
	p := jobPath(j.ID)
	return jobSummary{
		ID: j.ID, Name: j.Name, FileName: j.FileName, Status: j.Status, StatusLabel: statusLabels[j.Status],
		Total: j.Total, Done: j.Done, Progress: progress, Counts: counts, Labels: labels,
		Header: h, Options: j.Options, CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt,
		Dataset: j.Dataset, Restarts: j.Restarts, PreviousDataset: j.PreviousDataset,
		Links: jobLinks{
			Self: p, ResultXLSX: p + "/result.xlsx", ResultCSV: p + "/result.csv", ResultGeoJSON: p + "/result.geojson",
			Rows: p + "/rows", Page: "/batch?job=" + url.QueryEscape(j.ID),
		},
	}
}

// columnHeader is the header text of the column with role, "" when none.
func columnHeader(h batch.Header, role string) string {
	i, ok := h.Roles[role]
	if !ok || i < 0 || i >= len(h.Columns) {
		return ""
	}
	return h.Columns[i]
}

func viewRowError(h batch.Header, r batch.Row, e *batch.RowError) *rowErrorView {
	if e == nil {
		return nil
	}
	return &rowErrorView{Seq: r.Seq, Line: r.Line, Code: e.Code, Column: e.Column, ColumnHeader: columnHeader(h, e.Column), Message: e.Message}
}

func viewRow(h batch.Header, r batch.Row, res *batch.Result) rowView {
	v := rowView{
		Seq: r.Seq, Line: r.Line, Name: r.Name, Cells: r.Cells, Industry: r.Industry, Construction: r.Construction,
		Label: labelPending, Districts: []string{}, Units: []batch.UnitPart{}, Clauses: []string{}, Evidence: []string{}, Notes: []string{},
	}
	if v.Cells == nil {
		v.Cells = []string{}
	}
	if v.Industry == "" {
		v.Industry = r.IndustryName
	}
	if r.Geometry != nil {
		v.Geometry = geojson.NewGeometry(r.Geometry)
	}
	v.Error = viewRowError(h, r, r.Error)
	if res == nil {
		return v
	}
	outcome := res.Outcome
	v.Done, v.Outcome, v.Label, v.Reason = true, &outcome, res.Label, res.Reason
	if v.Label == "" {
		v.Label = batch.OutcomeLabel(outcome)
	}
	if res.Industry != "" {
		v.Industry = res.Industry
	}
	v.Districts = append(v.Districts, res.Districts...)
	v.Units = append(v.Units, res.Units...)
	v.RedLine, v.Nearest = res.RedLine, res.Nearest
	v.Clauses = append(v.Clauses, res.Clauses...)
	v.Evidence = append(v.Evidence, res.Evidence...)
	v.Notes = append(v.Notes, res.Notes...)
	v.Dataset = res.Dataset
	if res.Error != nil {
		v.Error = viewRowError(h, r, res.Error)
	}
	return v
}

// ---- errors ----

func errBatchDisabled() *Error {
	return newError(CodeBatchDisabled, "此服务未启用批量筛查（未配置任务存储），请使用单点查询或联系维护人员。", nil)
}

func errJobNotFound(id string) *Error {
	return newError(CodeJobNotFound, fmt.Sprintf("没有编号为 %s 的批量筛查任务：编号有误，或任务已过期被清理。", id), map[string]any{"id": id})
}

func errUploadTooLarge(limit int64) *Error {
	return newError(CodeUploadTooLarge, fmt.Sprintf("文件超过 %s 上限，请拆分为多个文件后分批上传。", humanBytes(limit)), map[string]any{"max_bytes": limit})
}

func errTooManyRows(limit int) *Error {
	return newError(CodeTooManyRows, fmt.Sprintf("超过 %s 行上限，请拆分为多个文件后分批上传。", groupDigits(limit)), map[string]any{"max_rows": limit})
}

func errMissingFile(message string) *Error {
	return newError(CodeMissingFile, message, map[string]any{"parameter": "file"})
}

func errBadField(name, message string) *Error {
	return newError(CodeInvalidParameter, message, map[string]any{"parameter": name})
}

// errUnknownCRS is a crs form field that crs.Parse refuses: 422
// unsupported_crs, as for checks; the message (crs's, in Chinese) lists
// the accepted names, and so does details.accepted.
func errUnknownCRS(value string, err error) *Error {
	return newError(CodeUnsupportedCRS, "表单字段 crs（坐标系）："+strings.TrimSuffix(strings.TrimPrefix(err.Error(), "crs: "), "。")+"。",
		map[string]any{"parameter": "crs", "value": value, "accepted": crs.Accepted()})
}

// humanDuration writes a duration as people read it: "5 分钟", "30 秒".
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	case d >= time.Second && d%time.Second == 0:
		return fmt.Sprintf("%d 秒", d/time.Second)
	}
	return d.String()
}

// groupDigits writes n with thousands separators: 200000 → "200,000".
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// storeError maps a store failure: ErrNotFound → 404 job_not_found, a
// deadline → 504 timeout, a full store → 507 storage_full, a read-only
// one → 503 storage_read_only (both logged for the operator), anything
// else as is (500).
func (s *Server) storeError(c *gin.Context, id string, err error) error {
	switch {
	case errors.Is(err, batch.ErrNotFound):
		return errJobNotFound(id)
	case errors.Is(err, context.DeadlineExceeded):
		return newError(CodeTimeout, "读取批量筛查任务超过时限，请稍后重试。", nil)
	case errors.Is(err, batch.ErrStorageFull):
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "批量筛查任务库空间已满",
			slog.String("request_id", requestIDOf(c)), slog.String("error", err.Error()))
		return newError(CodeStorageFull, "批量筛查任务库所在的磁盘已满，本次上传未保存（之前的任务不受影响）。请稍后重试，或联系维护人员清理空间。", nil)
	case errors.Is(err, batch.ErrStorageReadOnly):
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "批量筛查任务库不可写",
			slog.String("request_id", requestIDOf(c)), slog.String("error", err.Error()))
		return newError(CodeStorageReadOnly, "批量筛查任务库暂时无法写入（只读），本次操作未保存（之前的任务仍可查看和下载）。请联系维护人员。", nil)
	}
	return err
}

// batches returns the batch configuration or answers 503 batch_disabled.
func (s *Server) batches(c *gin.Context) (*Batches, bool) {
	if s.cfg.Batches == nil || s.cfg.Batches.Store == nil || s.cfg.Batches.Files == nil {
		s.fail(c, errBatchDisabled())
		return nil, false
	}
	return s.cfg.Batches, true
}

// extendDeadlines lets a long batch request outlive the http.Server's
// ReadTimeout and WriteTimeout (cmd/sanxian sets them for ordinary
// requests). Writers that cannot (a test recorder) are left alone.
func (s *Server) extendDeadlines(c *gin.Context, read bool) {
	rc := http.NewResponseController(c.Writer)
	until := time.Now().Add(s.cfg.BatchTimeout + 10*time.Second)
	if read {
		_ = rc.SetReadDeadline(until)
	}
	_ = rc.SetWriteDeadline(until)
}

// ---- POST /api/v1/batches ----

// batchUpload is what the multipart form of POST /api/v1/batches carried.
type batchUpload struct {
	file     *os.File // the list, spooled to a temporary file
	fileName string
	name     string
	bufferM  float64
	nearbyM  float64
	crs      crs.CRS
}

func (u *batchUpload) remove() {
	if u.file != nil {
		u.file.Close()
		os.Remove(u.file.Name())
	}
}

// createBatch answers POST /api/v1/batches: the list is spooled to a
// temporary file, opened by Files and stored whole by Store.Create before
// the 202; a list that fails half way stores nothing.
func (s *Server) createBatch(c *gin.Context) {
	b, ok := s.batches(c)
	if !ok {
		return
	}
	s.extendDeadlines(c, true)
	u, err := s.readUpload(c, b)
	defer u.remove()
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := b.Files.Open(u.fileName, u.file, BatchListOptions{CRS: u.crs})
	if err != nil {
		s.fail(c, s.createError(c, b, err))
		return
	}
	defer list.Close()
	job := batch.Job{
		Name: u.name, FileName: u.fileName, Header: list.Header(),
		Options: batch.Options{BufferM: u.bufferM, NearbyM: u.nearbyM, CRS: u.crs.Name},
	}
	job, err = b.Store.Create(c.Request.Context(), job, list.Rows(), b.ChunkSize, b.MaxRows)
	if err != nil {
		s.fail(c, s.createError(c, b, err))
		return
	}
	c.Header("Location", jobPath(job.ID))
	c.JSON(http.StatusAccepted, jobDetail{jobSummary: summarize(job), RowErrors: []rowErrorView{}})
	if b.Notify != nil {
		b.Notify()
	}
}

func (s *Server) createError(c *gin.Context, b *Batches, err error) error {
	if _, ok := asAPIError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, batch.ErrTooManyRows):
		return errTooManyRows(b.MaxRows)
	case errors.Is(err, context.DeadlineExceeded) || c.Request.Context().Err() != nil:
		return newError(CodeTimeout, fmt.Sprintf("读取并保存项目清单超过时限 %s，请拆分为较小的文件后重试。", humanDuration(s.cfg.BatchTimeout)), nil)
	}
	return s.storeError(c, "", err)
}

// readUpload streams the multipart form: the file part goes to a
// temporary file (never whole into memory), the small fields are read
// and checked. The returned upload must be removed, also on error.
func (s *Server) readUpload(c *gin.Context, b *Batches) (*batchUpload, error) {
	u := &batchUpload{nearbyM: batch.DefaultNearbyM, crs: crs.CGCS2000}
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "multipart/form-data" {
		return u, errMissingFile("缺少上传文件：请以 multipart/form-data 表单上传项目清单（.xlsx 或 .csv），文件字段为 file。")
	}
	if c.Request.ContentLength > b.MaxUploadBytes+uploadEnvelope {
		return u, errUploadTooLarge(b.MaxUploadBytes)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, b.MaxUploadBytes+uploadEnvelope)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return u, errMissingFile("缺少上传文件：表单无法解析（multipart/form-data），文件字段为 file。")
	}
	nameSet := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return u, s.uploadReadError(b, err)
		}
		field := part.FormName()
		switch field {
		case "file":
			if u.file != nil {
				return u, errBadField("file", "一次只能上传一个文件（表单字段 file 出现了两次）。")
			}
			if err := s.spool(u, part, b); err != nil {
				return u, err
			}
		case "name", "buffer_m", "nearby_m", "crs":
			v, err := io.ReadAll(io.LimitReader(part, 1025))
			if err != nil {
				return u, s.uploadReadError(b, err)
			}
			if len(v) > 1024 || !utf8.Valid(v) {
				return u, errBadField(field, fmt.Sprintf("表单字段 %s 过长或不是 UTF-8 文本。", field))
			}
			text := strings.TrimSpace(stripInvisible(string(v)))
			switch field {
			case "name":
				if utf8.RuneCountInString(text) > 100 {
					return u, errBadField(field, "批次名称不能超过 100 个字。")
				}
				u.name, nameSet = text, text != ""
			case "buffer_m":
				if text == "" {
					continue
				}
				f, err := strconv.ParseFloat(text, 64)
				if err != nil || math.IsNaN(f) || f < 0 || f > s.cfg.MaxBufferM {
					return u, errBadField(field, fmt.Sprintf("缓冲距离 buffer_m 应为 0 到 %g 米之间的数，收到 %q。", s.cfg.MaxBufferM, text))
				}
				u.bufferM = f
			case "nearby_m":
				if text == "" {
					continue
				}
				f, err := strconv.ParseFloat(text, 64)
				if err != nil || math.IsNaN(f) || f <= 0 || f > MaxNearbyM {
					return u, errBadField(field, fmt.Sprintf("最近敏感区查找范围 nearby_m 应为大于 0、不超过 %d 米的数，收到 %q。", MaxNearbyM, text))
				}
				u.nearbyM = f
			case "crs":
				lc, err := crs.Parse(text) // "" is CGCS2000
				if err != nil {
					return u, errUnknownCRS(text, err)
				}
				u.crs = lc
			}
		default:
			return u, errBadField(field, fmt.Sprintf("未知表单字段 %q：只接受 file、name、buffer_m、nearby_m、crs。", field))
		}
		part.Close()
	}
	if u.file == nil {
		return u, errMissingFile("缺少上传文件：请选择项目清单（.xlsx 或 .csv），表单字段为 file。")
	}
	if !nameSet {
		u.name = defaultJobName(u.fileName)
	}
	if _, err := u.file.Seek(0, io.SeekStart); err != nil {
		return u, fmt.Errorf("rewind upload: %w", err)
	}
	return u, nil
}

// spool copies the file part to a temporary file, at most MaxUploadBytes.
func (s *Server) spool(u *batchUpload, part *multipart.Part, b *Batches) error {
	name := SafeFileName(part.FileName())
	if name == "" {
		return errMissingFile("缺少上传文件：表单字段 file 不是文件（没有文件名）。")
	}
	f, err := os.CreateTemp("", "sanxian-upload-*")
	if err != nil {
		return spoolError(err)
	}
	u.file, u.fileName = f, name
	n, err := io.Copy(f, io.LimitReader(part, b.MaxUploadBytes+1))
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return spoolError(err)
	}
	if err != nil {
		return s.uploadReadError(b, err)
	}
	if n > b.MaxUploadBytes {
		return errUploadTooLarge(b.MaxUploadBytes)
	}
	return nil
}

// spoolError is a failure to write the upload's temporary file: a full
// temporary directory answers 507 storage_full (the upload is not the
// client's fault), anything else 500.
func spoolError(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return newError(CodeStorageFull, "服务器临时目录所在的磁盘已满，本次上传未保存（之前的任务不受影响）。请稍后重试，或联系维护人员清理空间。", nil)
	}
	return fmt.Errorf("spool upload: %w", err)
}

// defaultJobName is the file name without its extension, at most 100
// characters.
func defaultJobName(fileName string) string {
	n := strings.TrimSuffix(fileName, path.Ext(fileName))
	if n == "" {
		n = fileName
	}
	if r := []rune(n); len(r) > 100 {
		n = string(r[:100])
	}
	return n
}

func (s *Server) uploadReadError(b *Batches, err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errUploadTooLarge(b.MaxUploadBytes)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return newError(CodeTimeout, fmt.Sprintf("上传超过时限 %s 未完成，请检查网络或拆分文件后重试。", humanDuration(s.cfg.BatchTimeout)), nil)
	}
	return errMissingFile("上传的表单不完整或无法解析（multipart/form-data），请重新上传。")
}

// ---- GET /api/v1/batches, /api/v1/batches/{id}, DELETE ----

func (s *Server) listBatches(c *gin.Context) {
	b, ok := s.batches(c)
	if !ok {
		return
	}
	limit, err := intParam(c, "limit", 50, 1, 200)
	if err != nil {
		s.fail(c, err)
		return
	}
	jobs, err := b.Store.Jobs(c.Request.Context(), limit)
	if err != nil {
		s.fail(c, s.storeError(c, "", err))
		return
	}
	out := jobList{Jobs: make([]jobSummary, 0, len(jobs))}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, summarize(j))
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) getBatch(c *gin.Context) {
	b, ok := s.batches(c)
	if !ok {
		return
	}
	id := c.Param("id")
	job, err := b.Store.Job(c.Request.Context(), id)
	if err != nil {
		s.fail(c, s.storeError(c, id, err))
		return
	}
	s.answerJob(c, b, job)
}

func (s *Server) cancelBatch(c *gin.Context) {
	b, ok := s.batches(c)
	if !ok {
		return
	}
	id := c.Param("id")
	job, err := b.Store.Cancel(c.Request.Context(), id)
	if err != nil {
		s.fail(c, s.storeError(c, id, err))
		return
	}
	s.answerJob(c, b, job)
}

func (s *Server) answerJob(c *gin.Context, b *Batches, job batch.Job) {
	errs, err := s.rowErrors(c.Request.Context(), b, job)
	if err != nil {
		s.fail(c, s.storeError(c, job.ID, err))
		return
	}
	c.JSON(http.StatusOK, jobDetail{jobSummary: summarize(job), RowErrors: errs})
}

// rowErrorCache keeps the row-error samples of finished and cancelled
// jobs (they no longer change), at most rowErrorCacheSize of them, and
// lets one request scan a job while the others wait for its answer.
type rowErrorCache struct {
	mu       sync.Mutex
	m        map[string][]rowErrorView
	scanning map[string]chan struct{} // closed when the scan ends
}

const rowErrorCacheSize = 256

var errStopScan = errors.New("web: enough rows")

// rowErrors is the sample of a job's row errors: the first rowErrorSample
// rows (in file order) whose result is an error. There is no scan when
// the job counts no error, and a scan stops once it has found them all
// (or the sample is full). A queued or running job is only scanned in its
// first liveErrorScanRows rows, so that polling stays cheap. A finished
// or cancelled job is scanned to the end once (3–4 s for 200,000 rows
// whose errors are all at the end) and its sample cached; concurrent
// requests for it wait for that one scan.
func (s *Server) rowErrors(ctx context.Context, b *Batches, job batch.Job) ([]rowErrorView, error) {
	want := min(job.Counts[batch.OutcomeError], rowErrorSample)
	if want == 0 {
		return []rowErrorView{}, nil
	}
	if job.Status != batch.StatusFinished && job.Status != batch.StatusCancelled {
		return scanRowErrors(ctx, b, job, want, liveErrorScanRows)
	}
	c := &s.rowErrs
	for {
		c.mu.Lock()
		if errs, ok := c.m[job.ID]; ok {
			c.mu.Unlock()
			return errs, nil
		}
		wait, busy := c.scanning[job.ID]
		if !busy {
			break // scan it, holding c.mu
		}
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.scanning == nil {
		c.scanning = map[string]chan struct{}{}
		c.m = map[string][]rowErrorView{}
	}
	done := make(chan struct{})
	c.scanning[job.ID] = done
	c.mu.Unlock()

	errs, err := scanRowErrors(ctx, b, job, want, 0)

	c.mu.Lock()
	delete(c.scanning, job.ID)
	close(done)
	if err == nil {
		if len(c.m) >= rowErrorCacheSize {
			for k := range c.m { // drop any one
				delete(c.m, k)
				break
			}
		}
		c.m[job.ID] = errs
	}
	c.mu.Unlock()
	return errs, err
}

// scanRowErrors reads the first want error rows of job, in at most limit
// rows (all when limit is 0).
func scanRowErrors(ctx context.Context, b *Batches, job batch.Job, want, limit int) ([]rowErrorView, error) {
	out := []rowErrorView{}
	err := b.Store.Results(ctx, job.ID, 0, limit, func(r batch.Row, res *batch.Result) error {
		if res == nil || res.Error == nil {
			return nil
		}
		out = append(out, *viewRowError(job.Header, r, res.Error))
		if len(out) >= want {
			return errStopScan
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return nil, err
	}
	return out, nil
}

// ---- GET /api/v1/batches/{id}/rows ----

func (s *Server) batchRows(c *gin.Context) {
	b, ok := s.batches(c)
	if !ok {
		return
	}
	offset, err := intParam(c, "offset", 0, 0, math.MaxInt32)
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, err := intParam(c, "limit", 100, 1, 1000)
	if err != nil {
		s.fail(c, err)
		return
	}
	id := c.Param("id")
	ctx := c.Request.Context()
	job, err := b.Store.Job(ctx, id)
	if err != nil {
		s.fail(c, s.storeError(c, id, err))
		return
	}
	page := rowsPage{Total: job.Total, Offset: offset, Limit: limit, Rows: make([]rowView, 0, min(limit, max(job.Total-offset, 0)))}
	err = b.Store.Results(ctx, id, offset, limit, func(r batch.Row, res *batch.Result) error {
		v := viewRow(job.Header, r, res)
		if res != nil {
			v.ReportID = report.BatchRowID(job.ID, r.Seq)
		}
		page.Rows = append(page.Rows, v)
		return nil
	})
	if err != nil {
		s.fail(c, s.storeError(c, id, err))
		return
	}
	c.JSON(http.StatusOK, page)
}

// intParam reads an optional integer query parameter in [lo, hi].
func intParam(c *gin.Context, name string, def, lo, hi int) (int, error) {
	v, ok := c.GetQuery(name)
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, newError(CodeInvalidParameter, fmt.Sprintf("查询参数 %s 应为 %d 到 %d 之间的整数，收到 %q。", name, lo, hi, v),
			map[string]any{"parameter": name, "value": v})
	}
	return n, nil
}

// ---- downloads ----

// resultTypes are the content types of the result formats.
var resultTypes = map[string]string{
	"xlsx":    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"csv":     "text/csv; charset=utf-8",
	"geojson": "application/geo+json",
}

// batchResult answers GET /api/v1/batches/{id}/result.{format}: the
// results streamed by Files.WriteResults as an attachment. A queued or
// running job answers 409 job_not_finished unless partial=1.
func (s *Server) batchResult(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		b, ok := s.batches(c)
		if !ok {
			return
		}
		partial, err := boolParam(c, "partial")
		if err != nil {
			s.fail(c, err)
			return
		}
		id := c.Param("id")
		ctx := c.Request.Context()
		job, err := b.Store.Job(ctx, id)
		if err != nil {
			s.fail(c, s.storeError(c, id, err))
			return
		}
		if (job.Status == batch.StatusQueued || job.Status == batch.StatusRunning) && !partial {
			s.fail(c, newError(CodeJobNotFinished, fmt.Sprintf("任务尚未完成（%s，已完成 %s / %s 行）：请等完成后再下载，或加参数 partial=1 下载当前结果（未完成的行标为“未完成”）。",
				statusLabels[job.Status], groupDigits(job.Done), groupDigits(job.Total)),
				map[string]any{"status": string(job.Status), "done": job.Done, "total": job.Total}))
			return
		}
		clauses, err := b.Store.Clauses(ctx, id)
		if err != nil {
			s.fail(c, s.storeError(c, id, err))
			return
		}
		s.extendDeadlines(c, false)
		rows := func(fn func(batch.Row, *batch.Result) error) error {
			return b.Store.Results(ctx, id, 0, 0, fn)
		}
		name := job.Name
		if name == "" {
			name = defaultJobName(job.FileName)
		}
		s.attachment(c, resultTypes[format], name+"-筛查结果."+format, "sanxian-batch-"+shortID(job.ID)+"-results."+format, func(w io.Writer) error {
			return b.Files.WriteResults(w, format, job, rows, clauses)
		})
	}
}

func shortID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() >= 12 {
			break
		}
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "job"
	}
	return b.String()
}

// batchTemplate answers GET /api/v1/batches/template.{format}.
func (s *Server) batchTemplate(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		b, ok := s.batches(c)
		if !ok {
			return
		}
		s.attachment(c, resultTypes[format], "项目清单模板."+format, "project-list-template."+format, func(w io.Writer) error {
			return b.Files.WriteTemplate(w, format)
		})
	}
}

func boolParam(c *gin.Context, name string) (bool, error) {
	switch v := strings.TrimSpace(c.Query(name)); strings.ToLower(v) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, newError(CodeInvalidParameter, fmt.Sprintf("查询参数 %s 应为 1 或 0，收到 %q。", name, v), map[string]any{"parameter": name, "value": v})
	}
}

// attachment streams write's output as a download named fileName (with
// an ASCII fallback for old clients). Headers are sent with the first
// byte: an error before it is answered as the one error body; an error
// after it is logged and the connection cut, so that the client sees a
// broken transfer rather than a complete-looking truncated file.
func (s *Server) attachment(c *gin.Context, contentType, fileName, fallback string, write func(io.Writer) error) {
	aw := &attachmentWriter{c: c, contentType: contentType, disposition: contentDisposition(fileName, fallback)}
	bw := bufio.NewWriterSize(aw, 64<<10)
	err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		aw.start()
		return
	}
	if !aw.started {
		if _, ok := asAPIError(err); !ok && c.Request.Context().Err() != nil {
			err = newError(CodeTimeout, fmt.Sprintf("生成下载文件超过时限 %s，请稍后重试。", humanDuration(s.cfg.BatchTimeout)), nil)
		}
		s.fail(c, err)
		return
	}
	s.log.LogAttrs(c.Request.Context(), slog.LevelError, "download cut short",
		slog.String("request_id", requestIDOf(c)), slog.String("file", fileName), slog.String("error", err.Error()))
	panic(http.ErrAbortHandler)
}

type attachmentWriter struct {
	c                        *gin.Context
	contentType, disposition string
	started                  bool
}

func (w *attachmentWriter) start() {
	if w.started {
		return
	}
	w.started = true
	h := w.c.Writer.Header()
	h.Set("Content-Type", w.contentType)
	h.Set("Content-Disposition", w.disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.c.Status(http.StatusOK)
	w.c.Writer.WriteHeaderNow()
}

func (w *attachmentWriter) Write(p []byte) (int, error) {
	w.start()
	return w.c.Writer.Write(p)
}

// contentDisposition is an attachment header with an ASCII filename for
// old clients and the UTF-8 name in filename* (RFC 6266, RFC 5987).
func contentDisposition(name, fallback string) string {
	name = cleanFileName(name)
	fallback = cleanFileName(fallback)
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii && name != "" {
		fallback = name
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, rfc5987(name))
}

// cleanFileName drops what a file name may not hold on common systems
// (path separators, quotes, control characters become "_") and the
// invisible characters stripInvisible removes (a U+202E in a name would
// show "a\u202Egpj.exe" as "aexe.jpg").
func cleanFileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f, strings.ContainsRune(`/\:*?"<>|`, r):
			return '_'
		}
		return r
	}, strings.TrimSpace(stripInvisible(s)))
}

// rfc5987 percent-encodes s as an ext-value's value-chars.
func rfc5987(s string) string {
	const attr = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte(attr, ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}
