package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// relationCN names a relation in Chinese.
var relationCN = map[geo.Relation]string{
	geo.Within:     "位于其内",
	geo.Contains:   "包含",
	geo.Intersects: "相交",
	geo.Touches:    "边界接触",
	geo.Nearby:     "邻近",
}

// writeTable prints a check result for people: the dataset, the site, a
// table of hits, the notes and the tolerance.
func writeTable(w io.Writer, res *admission.CheckResult) {
	ds := res.Dataset
	fmt.Fprintf(w, "数据集：%s，版本 %s（%s）\n", ds.Name, ds.Version, ds.Checksum)
	q := res.Query
	area, length := "—", "—"
	switch q.Type {
	case "Polygon", "MultiPolygon":
		area = groupDigits(q.AreaM2, 1) + " m²"
		length = groupDigits(q.LengthM, 1) + " m（周长）"
	case "LineString", "MultiLineString":
		length = groupDigits(q.LengthM, 1) + " m"
	}
	fmt.Fprintf(w, "场址：类型 %s｜面积 %s｜长度 %s｜顶点数 %d", q.Type, area, length, q.Vertices)
	if res.BufferM > 0 {
		fmt.Fprintf(w, "｜缓冲 %s m", groupDigits(res.BufferM, 0))
	}
	if res.CRS != "" && res.CRS != "EPSG:4490" {
		fmt.Fprintf(w, "｜输入坐标系 %s（已转换为 CGCS2000 经纬度）", res.CRS)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	if a := res.Assessment; a != nil {
		writeAssessment(w, a)
	}

	if len(res.Hits) == 0 {
		if res.BufferM > 0 {
			fmt.Fprintf(w, "未命中任何要素（含 %s m 缓冲范围）。\n", groupDigits(res.BufferM, 0))
		} else {
			fmt.Fprintln(w, "未命中任何要素。")
		}
	} else {
		overlap := "重叠"
		switch q.Type {
		case "Polygon", "MultiPolygon":
			overlap = "重叠面积(m²)/占比"
		case "LineString", "MultiLineString":
			overlap = "重叠长度(m)/桩号范围"
		}
		rows := [][]string{{"图层", "编码", "名称", "类别", "关系", overlap, "距离(m)"}}
		for _, h := range res.Hits {
			rel := relationCN[h.Relation]
			if rel == "" {
				rel = string(h.Relation)
			}
			if h.OnBoundary {
				rel += "（在边界上）"
			}
			rows = append(rows, []string{h.LayerTitle, h.ID, h.Name, h.Category, rel, overlapCell(h), groupDigits(h.DistanceM, 1)})
		}
		writeRows(w, rows)
	}

	if len(res.Notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "说明：")
		for _, n := range res.Notes {
			fmt.Fprintf(w, "  · %s\n", n)
		}
	}
	t := res.Tolerance
	fmt.Fprintln(w)
	fmt.Fprintf(w, "容差：重叠面积同时小于 %s m² 与场址面积的 %s%%", trimFloat(t.MinAreaM2), trimFloat(t.SiteRatio*100))
	if t.EffectiveM2 > 0 {
		fmt.Fprintf(w, "（本次 %s m²）", groupDigits(t.EffectiveM2, 1))
	}
	fmt.Fprintf(w, "、重叠长度小于 %s m 时视为碎片，按边界接触报告。\n", trimFloat(t.MinLengthM))
}

func overlapCell(h admission.Hit) string {
	switch {
	case h.OverlapAreaM2 != nil:
		s := groupDigits(*h.OverlapAreaM2, 1)
		if h.OverlapRatio != nil {
			s += fmt.Sprintf(" / %.2f%%", *h.OverlapRatio*100)
		}
		return s
	case h.OverlapLengthM != nil:
		s := groupDigits(*h.OverlapLengthM, 1)
		var ranges []string
		for _, c := range h.ChainageM {
			ranges = append(ranges, chainage(c[0])+"–"+chainage(c[1]))
		}
		if len(ranges) > 0 {
			s += " / " + strings.Join(ranges, "、")
		}
		return s
	}
	return "—"
}

// chainage writes metres along a line in K notation: 12300.4 → K12+300.
func chainage(m float64) string {
	r := int64(math.Round(m))
	if r < 0 {
		r = 0
	}
	return fmt.Sprintf("K%d+%03d", r/1000, r%1000)
}

// groupDigits writes v with dec decimals and thousands separators.
func groupDigits(v float64, dec int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', dec, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && s != strconv.FormatFloat(0, 'f', dec, 64) {
		b.WriteByte('-')
	}
	for i, ch := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// writeRows aligns columns by display width (CJK characters are two
// columns wide), with a rule under the header.
func writeRows(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for n, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if n == 0 {
			total := 0
			for _, wd := range widths {
				total += wd + 2
			}
			fmt.Fprintln(w, strings.Repeat("─", total-2))
		}
	}
}

// displayWidth counts East Asian wide and fullwidth characters as two
// terminal columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			n++
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0x303E, r >= 0x3041 && r <= 0x33FF,
			r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xA000 && r <= 0xA4CF,
			r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
			r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6, r >= 0x20000 && r <= 0x3FFFD:
			n += 2
		default:
			n++
		}
	}
	return n
}

var outcomeCN = map[string]string{
	admission.OutcomeTriggered:     "触发",
	admission.OutcomeNeedsInfo:     "待补充信息",
	admission.OutcomeNeedsReview:   "需人工研判",
	admission.OutcomeNotApplicable: "不适用",
}

var effectCN = map[string]string{
	admission.EffectProhibit:  "禁止",
	admission.EffectRestrict:  "限制",
	admission.EffectRequire:   "要求",
	admission.EffectEncourage: "鼓励",
	admission.EffectInfo:      "说明",
}

// writeAssessment prints the verdict, the units' own verdicts and the
// clauses by dimension, triggered ones first, each with its evidence.
func writeAssessment(w io.Writer, a *admission.Assessment) {
	project := "未提供行业"
	if a.Industry != nil {
		project = a.Industry.Code + " " + a.Industry.Name
	}
	if a.Construction != "" {
		project += "｜" + a.Construction
	}
	fmt.Fprintf(w, "准入结论：%s —— %s\n项目：%s\n", a.Label, a.Reason, project)
	if len(a.Units) > 1 {
		for _, u := range a.Units {
			share := ""
			if u.ShareOfSite != nil {
				share = fmt.Sprintf("，占场址 %.2f%%", *u.ShareOfSite*100)
			}
			fmt.Fprintf(w, "  · %s（%s%s）：%s\n", u.Name, u.ID, share, admission.VerdictLabel[u.Verdict])
		}
	}
	dim := ""
	for _, c := range a.Clauses {
		if c.Dimension != dim {
			dim = c.Dimension
			fmt.Fprintf(w, "【%s】\n", dim)
		}
		fmt.Fprintf(w, "  [%s·%s] %s %s\n", outcomeCN[c.Outcome], effectCN[c.Effect], c.ID, c.Text)
		if c.Outcome != admission.OutcomeNotApplicable {
			for _, e := range c.Evidence {
				fmt.Fprintf(w, "      - %s\n", e)
			}
		}
	}
	fmt.Fprintln(w)
}
