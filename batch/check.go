package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// Labels of the outcomes that are not verdicts.
var (
	LabelNone  = "无准入结论（不在数据覆盖范围内）"
	LabelError = "无法筛查"
)

// OutcomeLabel is the Chinese name of a Result outcome.
func OutcomeLabel(outcome string) string {
	switch outcome {
	case OutcomeNone:
		return LabelNone
	case OutcomeError:
		return LabelError
	}
	return admission.VerdictLabel[outcome]
}

// Outcomes lists the outcome keys, strictest first.
var Outcomes = []string{
	admission.VerdictProhibited, admission.VerdictInsufficient, admission.VerdictRestricted,
	admission.VerdictReview, admission.VerdictCompatible, OutcomeNone, OutcomeError,
}

// Checker checks rows against a dataset.
type Checker struct {
	// Options of the job.
	Options Options
	// Limits bound each row's site (geo.ValidateSite).
	Limits geo.Limits
	// Log receives the internal error of a row whose check failed (the
	// row's message only says that it failed); nil discards it.
	Log *slog.Logger
}

// logFailure logs why row's check failed, which the row's error message
// (shown to people) leaves out.
func (ck Checker) logFailure(ctx context.Context, row Row, step string, err error) {
	if ck.Log != nil {
		ck.Log.LogAttrs(ctx, slog.LevelError, "batch row check failed", slog.Int("line", row.Line),
			slog.String("step", step), slog.String("error", err.Error()))
	}
}

// Check checks one row against d. A row that cannot be checked gives a
// Result with Outcome OutcomeError and its RowError; the returned error
// is only ctx's, when the check was interrupted (the row is then not
// done). The clauses cited by the result are returned with it.
func (ck Checker) Check(ctx context.Context, d *admission.Dataset, row Row) (Result, []Clause, error) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	res := Result{Seq: row.Seq, Dataset: datasetName(d), DatasetChecksum: d.Ref().Checksum, CheckedAt: &now}
	fail := func(e *RowError) (Result, []Clause, error) {
		res.Outcome, res.Label, res.Error = OutcomeError, LabelError, e
		return res, nil, nil
	}
	if row.Error != nil {
		return fail(row.Error)
	}
	if row.Geometry == nil {
		return fail(&RowError{Code: ErrCodeMissingSite, Message: fmt.Sprintf("第 %d 行：没有项目位置（经纬度或坐标串）。", row.Line)})
	}
	if err := geo.ValidateSite(row.Geometry, ck.Limits); err != nil {
		msg := err.Error()
		var ge *geo.GeometryError
		if errors.As(err, &ge) {
			msg = ge.Message
		}
		return fail(&RowError{Code: ErrCodeInvalidSite, Column: "site", Message: fmt.Sprintf("第 %d 行：项目位置无效：%s", row.Line, msg)})
	}
	p := admission.Project{Industry: row.Industry, Construction: row.Construction, Activity: row.Activity}
	if p.Industry == "" && row.IndustryName != "" {
		code, e := industryByName(d.Industries(), row)
		if e != nil {
			return fail(e)
		}
		p.Industry = code
	}
	p, err := d.ValidateProject(p)
	if err != nil {
		var pe *admission.ProjectError
		if !errors.As(err, &pe) {
			return Result{}, nil, err
		}
		code := map[string]string{"industry": ErrCodeUnknownIndustry, "construction": ErrCodeBadConstruction, "activity": ErrCodeBadActivity}[pe.Field]
		return fail(&RowError{Code: code, Column: pe.Field, Message: fmt.Sprintf("第 %d 行：%s", row.Line, pe.Message)})
	}
	res.Industry = p.Industry
	buffer := row.BufferM
	if buffer == 0 {
		buffer = ck.Options.BufferM
	}
	cr, err := d.Check(ctx, admission.CheckRequest{Geometry: row.Geometry, BufferM: buffer, Project: p})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, nil, ctx.Err()
		}
		ck.logFailure(ctx, row, "check", err)
		return fail(&RowError{Code: ErrCodeCheckFailed, Message: fmt.Sprintf("第 %d 行：核查计算失败，未能得出结果（不是“未发现”）；详情见服务日志。", row.Line)})
	}
	summarize(&res, cr)
	near, err := ck.nearest(ctx, d, row)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, nil, ctx.Err()
		}
		ck.logFailure(ctx, row, "nearest", err)
		return fail(&RowError{Code: ErrCodeCheckFailed, Message: fmt.Sprintf("第 %d 行：查找最近敏感区失败；详情见服务日志。", row.Line)})
	}
	res.Nearest = near
	var clauses []Clause
	if a := cr.Assessment; a != nil {
		for _, c := range a.Clauses {
			if c.Verdict() != a.Verdict || a.Verdict == admission.VerdictCompatible {
				continue
			}
			res.Clauses = append(res.Clauses, c.ID)
			res.Evidence = append(res.Evidence, c.Evidence...)
			clauses = append(clauses, Clause{ID: c.ID, Level: c.Level, Dimension: c.Dimension, Effect: c.Effect, Text: c.Text})
		}
	}
	return res, clauses, nil
}

func datasetName(d *admission.Dataset) string {
	r := d.Ref()
	return r.Name + "@" + r.Version
}

// summarize fills the outcome, districts, units and red-line overlap.
func summarize(res *Result, cr *admission.CheckResult) {
	res.Notes = cr.Notes
	if a := cr.Assessment; a != nil && len(a.Units) > 0 {
		res.Outcome, res.Label, res.Reason = a.Verdict, a.Label, a.Reason
		for _, u := range a.Units {
			res.Units = append(res.Units, UnitPart{ID: u.ID, Name: u.Name, Category: u.Category, Share: u.ShareOfSite, Verdict: u.Verdict})
		}
	} else {
		res.Outcome, res.Label = OutcomeNone, LabelNone
		if a != nil {
			res.Reason = a.Reason
		}
	}
	var red *Overlap
	for _, h := range cr.Hits {
		if !h.Inside() {
			continue
		}
		switch h.Layer {
		case admission.LayerDistricts:
			res.Districts = append(res.Districts, h.Name)
		case admission.LayerEcoRedline:
			if red == nil {
				red = &Overlap{}
			}
			switch {
			case h.OverlapAreaM2 != nil:
				red.AreaM2 += *h.OverlapAreaM2
				red.Share += deref(h.OverlapRatio)
			case h.OverlapLengthM != nil:
				red.LengthM += *h.OverlapLengthM
				if cr.Query.LengthM > 0 {
					red.Share += *h.OverlapLengthM / cr.Query.LengthM
				}
			default:
				red.Share = 1
			}
		}
	}
	if red != nil {
		red.Share = min(red.Share, 1)
	}
	res.RedLine = red
	sort.Strings(res.Districts)
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// nearest finds the nearest feature of the sensitive layers within
// Options.NearbyM (0 when the site touches or enters one).
func (ck Checker) nearest(ctx context.Context, d *admission.Dataset, row Row) (*Nearby, error) {
	var layers []string
	titles := map[string]string{}
	for _, l := range d.Layers() {
		if l.Role == admission.RoleSensitive {
			layers = append(layers, l.ID)
			titles[l.ID] = l.Title
		}
	}
	if len(layers) == 0 {
		return nil, nil
	}
	within := ck.Options.NearbyM
	if within <= 0 {
		within = DefaultNearbyM
	}
	cr, err := d.Check(ctx, admission.CheckRequest{Geometry: row.Geometry, BufferM: within, Layers: layers})
	if err != nil {
		return nil, err
	}
	var best *Nearby
	for _, h := range cr.Hits {
		if best == nil || h.DistanceM < best.DistanceM || (h.DistanceM == best.DistanceM && h.Layer+h.ID < best.Layer+best.ID) {
			best = &Nearby{Layer: h.Layer, LayerTitle: titles[h.Layer], ID: h.ID, Name: h.Name, DistanceM: h.DistanceM}
		}
	}
	return best, nil
}

// industryByName finds the code of an industry written by name: an exact
// name (any level, the most detailed first) or a unique search match.
func industryByName(ind *admission.Industries, row Row) (string, *RowError) {
	name := strings.TrimSpace(row.IndustryName)
	var exact []admission.Industry
	for _, it := range ind.All() {
		if it.Name == name {
			exact = append(exact, it)
		}
	}
	if len(exact) > 0 {
		sort.Slice(exact, func(i, j int) bool { return len(exact[i].Code) > len(exact[j].Code) })
		return exact[0].Code, nil
	}
	found := ind.Search(name, 6)
	if len(found) == 1 {
		return found[0].Code, nil
	}
	msg := fmt.Sprintf("第 %d 行：行业名称 %q 在 GB/T 4754-2017 中没有唯一对应的类别", row.Line, name)
	if len(found) > 0 {
		names := make([]string, 0, 5)
		for _, it := range found[:min(len(found), 5)] {
			names = append(names, it.Code+" "+it.Name)
		}
		msg += "，可能是：" + strings.Join(names, "、")
	}
	return "", &RowError{Code: ErrCodeUnknownIndustry, Column: "industry_name", Message: msg + "；请填写行业代码。"}
}
