package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/report"
)

// ReportRecorder makes a report entry durable; report.Recorder is one.
// Save returns nil only once the entry is committed.
type ReportRecorder interface {
	Save(ctx context.Context, e report.Entry) error
}

// ReportStore finds stored report entries by canonical id;
// report.ErrNotFound when there is none. sqlstore.Store is one.
type ReportStore interface {
	Report(ctx context.Context, id string) (report.Entry, error)
}

// Reports enables report ids (报告编号): every single check is recorded
// before it is answered, and GET /api/v1/reports/{id} looks records up.
// Config.Reports nil: checks carry no report_id and R ids answer 503
// reports_disabled (B ids of batch rows still resolve through Batches).
// A nil Recorder (sanxian serve --reports off) records nothing: checks
// carry no report_id, records stored before still resolve.
type Reports struct {
	Recorder ReportRecorder
	Store    ReportStore
}

// Report error codes.
const (
	CodeInvalidReportID = "invalid_report_id"
	CodeReportNotFound  = "report_not_found"
	CodeReportsDisabled = "reports_disabled"
)

// HeaderReportID carries a check's report id; HeaderClient: "page" marks
// the map page's checks (kind page rather than api).
const (
	HeaderReportID = "X-Report-ID"
	HeaderClient   = "X-Sanxian-Client"
)

// reportWarning is the answer's report_warning when the record could not
// be stored: the answer stands, but it has no id and cannot be verified.
const reportWarning = "报告未能保存（报告存储暂不可用），本次结果没有报告编号，不能在线核验；如需留档，请稍后重新核查。结果本身有效。"

// reportMetrics count records by kind and outcome.
type reportMetrics struct {
	saved  *prometheus.CounterVec
	failed *prometheus.CounterVec
}

func newReportMetrics(reg *prometheus.Registry) *reportMetrics {
	m := &reportMetrics{
		saved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanxian_reports_saved_total",
			Help: "Checks recorded durably and answered with a report id, by kind (api, page).",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanxian_reports_failed_total",
			Help: "Checks answered without a report id because recording failed, by kind.",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.saved, m.failed)
	return m
}

// recordCheck stores the check and returns the answer's body with its
// report_id (and the X-Report-ID header), or with report_warning when the
// record could not be stored; body is the CheckResult's JSON.
func (s *Server) recordCheck(c *gin.Context, req admission.CheckRequest, res *admission.CheckResult, body []byte) []byte {
	kind := report.KindAPI
	if c.GetHeader(HeaderClient) == "page" {
		kind = report.KindPage
	}
	ctx := c.Request.Context()
	err := func() error {
		id, err := report.NewID()
		if err != nil {
			return err
		}
		hash, err := report.GeometryHash(req.Geometry)
		if err != nil {
			return err
		}
		e, err := report.Seal(report.Record{
			ID: id, Kind: kind, CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
			Client:  report.Client{IP: c.ClientIP(), RequestID: requestIDOf(c)},
			Request: report.NewRequest(req), InputSHA256: hash, Dataset: report.DatasetOf(res.Dataset),
			Verdict: report.VerdictOf(res), Result: body,
		})
		if err != nil {
			return err
		}
		if err := s.cfg.Reports.Recorder.Save(ctx, e); err != nil {
			return err
		}
		c.Header(HeaderReportID, id)
		body = spliceField(body, "report_id", id)
		return nil
	}()
	if err != nil {
		s.reportMetrics.failed.WithLabelValues(string(kind)).Inc()
		s.log.LogAttrs(ctx, slog.LevelError, "report not saved: answered without a report id",
			slog.String("request_id", requestIDOf(c)), slog.String("error", err.Error()))
		return spliceField(body, "report_warning", reportWarning)
	}
	s.reportMetrics.saved.WithLabelValues(string(kind)).Inc()
	return body
}

// spliceField puts "name": value first in the JSON object body.
func spliceField(body []byte, name, value string) []byte {
	v, _ := json.Marshal(value) // a string always encodes
	out := make([]byte, 0, len(body)+len(name)+len(v)+4)
	out = append(out, '{', '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	out = append(out, v...)
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...)
}

// reportView is GET /api/v1/reports/{id}: the record, how long it is
// kept, links, and the re-run on the dataset in service.
type reportView struct {
	report.Record
	Retention  string        `json:"retention"`
	Links      reportLinks   `json:"links"`
	Reproduced *reproduction `json:"reproduced"`
}

type reportLinks struct {
	Self string `json:"self"`
	Page string `json:"page"`
}

// reproduction is the stored request run again on the dataset in service.
// Same is null when the re-run could not be made (Error says why in
// Chinese): that is not a different answer.
type reproduction struct {
	Same        *bool          `json:"same"`
	SameDataset bool           `json:"same_dataset"`
	Dataset     report.Dataset `json:"dataset"`
	CheckedAt   time.Time      `json:"checked_at"`
	Message     string         `json:"message"`
	Differences *report.Diff   `json:"differences,omitempty"`
	Error       string         `json:"error,omitempty"`
}

const (
	retentionCheck = "永久保存：服务不自动删除单次核查的报告记录。"
	retentionBatch = "随批量任务保存：任务完成后按服务的任务保留期（默认 7 天）连同任务一起删除，删除后此编号无法核验；需长期留档请保存结果工作簿。"
)

// getReport answers GET /api/v1/reports/{id}[?rerun=0].
func (s *Server) getReport(c *gin.Context) {
	raw := c.Param("id")
	id, err := report.ParseID(raw)
	if err != nil {
		s.fail(c, newError(CodeInvalidReportID, fmt.Sprintf("报告编号 %q 格式不对：应为 R- 或 B- 开头的编号（如 R-7K3M9QXA2BFD4HJP8），请核对是否抄错。", raw),
			map[string]any{"id": raw, "reason": strings.TrimPrefix(err.Error(), "report: ")}))
		return
	}
	rerun := true
	switch v := strings.ToLower(strings.TrimSpace(c.Query("rerun"))); v {
	case "", "1", "true":
	case "0", "false":
		rerun = false
	default:
		s.fail(c, newError(CodeInvalidParameter, fmt.Sprintf("查询参数 rerun 应为 1 或 0，收到 %q。", v), map[string]any{"parameter": "rerun", "value": v}))
		return
	}
	var view reportView
	var rerunFn func(context.Context, *admission.Dataset) (report.Diff, error)
	if id.Batch {
		view, rerunFn, err = s.batchReport(c, id)
	} else {
		view, rerunFn, err = s.checkReport(c, id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	view.Links = reportLinks{Self: "/api/v1/reports/" + id.Text, Page: "/report?id=" + url.QueryEscape(id.Text)}
	if rerun {
		view.Reproduced = s.reproduce(c, view.Record, rerunFn)
	}
	c.JSON(http.StatusOK, view)
}

func errReportNotFound(id, why string) *Error {
	return newError(CodeReportNotFound, fmt.Sprintf("没有编号为 %s 的报告%s。", id, why), map[string]any{"id": id})
}

// checkReport reads an R id's record.
func (s *Server) checkReport(c *gin.Context, id report.ID) (reportView, func(context.Context, *admission.Dataset) (report.Diff, error), error) {
	if s.cfg.Reports == nil {
		return reportView{}, nil, newError(CodeReportsDisabled, "此服务未启用报告登记（未配置报告存储），无法查询报告编号。", nil)
	}
	e, err := s.cfg.Reports.Store.Report(c.Request.Context(), id.Text)
	if errors.Is(err, report.ErrNotFound) {
		return reportView{}, nil, errReportNotFound(id.Text, "：编号格式正确，但本服务没有登记过它，请核对编号或确认查询的是出具报告的服务")
	}
	if err != nil {
		return reportView{}, nil, err
	}
	rec, err := e.Open()
	if err != nil {
		return reportView{}, nil, err
	}
	rerun := func(ctx context.Context, d *admission.Dataset) (report.Diff, error) {
		req, err := rec.Request.CheckRequest()
		if err != nil {
			return report.Diff{}, err
		}
		if err := geo.ValidateSite(req.Geometry, geo.Limits{MaxVertices: s.cfg.MaxVertices}); err != nil {
			return report.Diff{}, err
		}
		if req.Project, err = ValidateProject(d, req.Project); err != nil {
			return report.Diff{}, err
		}
		res, err := s.check(ctx, d, req)
		if err != nil {
			return report.Diff{}, err
		}
		return report.CompareChecks(rec.Result, res)
	}
	return reportView{Record: rec, Retention: retentionCheck}, rerun, nil
}

// batchReport builds a B id's record from its job's row and result.
func (s *Server) batchReport(c *gin.Context, id report.ID) (reportView, func(context.Context, *admission.Dataset) (report.Diff, error), error) {
	b, ok := s.cfg.Batches, s.cfg.Batches != nil
	if !ok {
		return reportView{}, nil, errBatchDisabled()
	}
	ctx := c.Request.Context()
	job, err := b.Store.Job(ctx, id.JobID)
	if errors.Is(err, batch.ErrNotFound) {
		return reportView{}, nil, errReportNotFound(id.Text, "：它所属的批量任务不存在或已超过保留期被删除")
	}
	if err != nil {
		return reportView{}, nil, err
	}
	var row batch.Row
	var res *batch.Result
	found := false
	err = b.Store.Results(ctx, id.JobID, id.Seq, 1, func(r batch.Row, rr *batch.Result) error {
		if r.Seq == id.Seq {
			row, res, found = r, rr, true
		}
		return nil
	})
	if err != nil && !errors.Is(err, batch.ErrNotFound) {
		return reportView{}, nil, err
	}
	if !found || errors.Is(err, batch.ErrNotFound) {
		return reportView{}, nil, errReportNotFound(id.Text, "：所属批量任务中没有这一行")
	}
	if res == nil {
		return reportView{}, nil, errReportNotFound(id.Text, "：这一行尚未筛查完成")
	}
	rec := batchRecord(id.Text, job, row, *res)
	rerun := func(ctx context.Context, d *admission.Dataset) (report.Diff, error) {
		ck := batch.Checker{Options: job.Options, Limits: geo.Limits{MaxVertices: s.cfg.MaxVertices}}
		fresh, _, err := ck.Check(ctx, d, row)
		if err != nil {
			return report.Diff{}, err
		}
		return report.CompareRows(*res, fresh)
	}
	return reportView{Record: rec, Retention: retentionBatch}, rerun, nil
}

// batchRecord is the record of a batch row. Batch rows have no client of
// their own (the job's uploader is not kept) and their time is when the
// row was checked (the job's start for rows checked before that was kept).
func batchRecord(id string, job batch.Job, row batch.Row, res batch.Result) report.Record {
	rec := report.Record{ID: id, Kind: report.KindBatch, Verdict: res.Outcome,
		Batch: &report.BatchRow{JobID: job.ID, JobName: job.Name, Seq: row.Seq, Line: row.Line, Name: row.Name}}
	switch {
	case res.CheckedAt != nil:
		rec.CreatedAt = *res.CheckedAt
	case job.StartedAt != nil:
		rec.CreatedAt = *job.StartedAt
	default:
		rec.CreatedAt = job.CreatedAt
	}
	buffer := row.BufferM
	if buffer == 0 {
		buffer = job.Options.BufferM
	}
	nearby := job.Options.NearbyM
	if nearby <= 0 {
		nearby = batch.DefaultNearbyM
	}
	industry := res.Industry
	if industry == "" {
		industry = row.Industry
	}
	req := admission.CheckRequest{Geometry: row.Geometry, BufferM: buffer, CRS: job.Options.CRS,
		Project: admission.Project{Industry: industry, Construction: row.Construction, Activity: row.Activity}}
	rec.Request = report.NewRequest(req)
	rec.Request.NearbyM = nearby
	if row.Geometry != nil {
		rec.InputSHA256, _ = report.GeometryHash(row.Geometry) // a stored row's geometry encodes
	}
	name, version, _ := strings.Cut(res.Dataset, "@")
	rec.Dataset = report.Dataset{Name: name, Version: version, Checksum: res.DatasetChecksum}
	rec.Result, _ = json.Marshal(res) // a Result always encodes
	return rec
}

// reproduce runs the record's request again on the dataset in service.
func (s *Server) reproduce(c *gin.Context, rec report.Record, rerun func(context.Context, *admission.Dataset) (report.Diff, error)) *reproduction {
	out := &reproduction{CheckedAt: time.Now().UTC().Truncate(time.Millisecond)}
	d := s.src.Current()
	if d == nil {
		out.Error = "数据集尚未加载，无法重新核查。"
		out.Message = out.Error
		return out
	}
	ref := d.Ref()
	out.Dataset = report.DatasetOf(ref)
	out.SameDataset = out.Dataset == rec.Dataset
	ctx := c.Request.Context()
	diff, err := rerun(ctx, d)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		if e, ok := asAPIError(err); ok {
			out.Error = "按当前数据版本无法重新核查：" + e.Message
		} else if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			out.Error = "重新核查超过时限，未能完成（这不表示结果不同）。"
		} else {
			var ul *admission.UnknownLayerError
			if errors.As(err, &ul) {
				out.Error = "按当前数据版本无法重新核查：" + errUnknownLayers(ul.Layers, ul.Known).Message
			} else {
				s.log.LogAttrs(ctx, slog.LevelError, "report re-run failed", slog.String("report_id", rec.ID),
					slog.String("request_id", requestIDOf(c)), slog.String("error", err.Error()))
				out.Error = "重新核查失败（这不表示结果不同），请稍后重试。"
			}
		}
		out.Message = out.Error
		return out
	}
	same := diff.Same()
	out.Same = &same
	if !same {
		out.Differences = &diff
	}
	switch {
	case same && out.SameDataset:
		out.Message = "按同一数据版本重新核查，结果一致。"
	case same:
		out.Message = fmt.Sprintf("按当前数据版本（%s %s）重新核查，结果与报告一致。", ref.Name, ref.Version)
	case out.SameDataset:
		// The same data must give the same answer: this is a bug.
		s.log.LogAttrs(ctx, slog.LevelError, "report not reproduced on the same dataset version",
			slog.String("report_id", rec.ID), slog.String("dataset", ref.Name+"@"+ref.Version),
			slog.Any("fields", diff.Fields), slog.String("request_id", requestIDOf(c)))
		out.Message = "按同一数据版本重新核查，结果与报告不一致：这不应发生，已记录，请联系维护人员。"
	default:
		out.Message = fmt.Sprintf("数据已更新（报告所用 %s %s，当前 %s %s），按当前版本重新核查的结果与报告不同：%s。",
			rec.Dataset.Name, rec.Dataset.Version, ref.Name, ref.Version, describeDiff(diff))
	}
	return out
}

// describeDiff says in Chinese what changed.
func describeDiff(d report.Diff) string {
	var parts []string
	if d.Verdict != nil {
		parts = append(parts, fmt.Sprintf("结论由「%s」变为「%s」", outcomeLabel(d.Verdict.Stored), outcomeLabel(d.Verdict.Current)))
	}
	names := func(hs []report.HitRef) string {
		var out []string
		for _, h := range hs {
			n := h.Name
			if h.ID != "" {
				n += "（" + h.ID + "）"
			}
			out = append(out, n)
		}
		return strings.Join(out, "、")
	}
	if len(d.HitsAdded) > 0 {
		parts = append(parts, "新涉及 "+names(d.HitsAdded))
	}
	if len(d.HitsRemoved) > 0 {
		parts = append(parts, "不再涉及 "+names(d.HitsRemoved))
	}
	ids := func(cs []report.ClauseRef) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return strings.Join(out, "、")
	}
	if len(d.ClausesAdded) > 0 {
		parts = append(parts, "新适用条款 "+ids(d.ClausesAdded))
	}
	if len(d.ClausesRemoved) > 0 {
		parts = append(parts, "不再适用条款 "+ids(d.ClausesRemoved))
	}
	if len(parts) == 0 {
		parts = append(parts, "明细有变化（"+strings.Join(d.Fields, "、")+"）")
	}
	return strings.Join(parts, "；")
}

func outcomeLabel(v string) string {
	if v == report.VerdictNone {
		return "无准入结论"
	}
	if l := batch.OutcomeLabel(v); l != "" {
		return l
	}
	return v
}
