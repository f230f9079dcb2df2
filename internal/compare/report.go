package compare

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Targets of issue 7: agreement on at least 99.9 % of queries; sanxian at
// least 5× PostGIS's throughput for points and 2× for polygons with
// areas.
const (
	TargetAgreementPct = 99.9
	TargetPointRatio   = 5
	TargetPolygonRatio = 2
)

// maxListed bounds the disagreements written out in Markdown; the JSON
// report has them all.
const maxListed = 300

// WriteMarkdown writes r as a Markdown section: the summary table, the
// targets, the disagreements by explanation and each disagreement.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s — %s %s\n\n", r.Dataset, r.DatasetName, r.DatasetVersion)
	fmt.Fprintf(&b, "%d features, %d vertices; %s; %d CPUs, %d workers (PostGIS: %d connections); each speed measured over ≥ %s in the same run; seed %d.\n\n",
		r.Features, r.Vertices, r.Date, r.CPUs, r.Workers, r.Workers, r.MinDuration, r.Seed)
	fmt.Fprintf(&b, "%s\n\n", r.PostGISVersion)
	if r.Load[0] != "" {
		fmt.Fprintf(&b, "Load average (1/5/15 min) at start %s, at end %s: the machine is shared, so speeds are measured interleaved (every engine in each round) and are comparable with each other more than with other runs.\n\n", r.Load[0], r.Load[1])
	}
	b.WriteString("| class | n | identical % | agree % | hits | area Δ max / mean (m²) | length Δ max / mean (m) | distance Δ max / mean (m) | sanxian qps | sanxian HTTP qps | PostGIS qps | ratio in-process | ratio HTTP |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range r.Classes {
		httpQPS, ratioHTTP := "—", "—"
		if c.HTTP != nil {
			httpQPS = fmt.Sprintf("%.0f", c.HTTP.QPS)
		}
		if c.RatioHTTP != nil {
			ratioHTTP = fmt.Sprintf("%.1f×", *c.RatioHTTP)
		}
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %d | %s | %s | %s | %.0f | %s | %.0f | %.1f× | %s |\n",
			c.Class, c.N, c.IdenticalPct, c.AgreementPct, c.Hits, stat(c.Area), stat(c.Length), stat(c.Distance),
			c.Sanxian.QPS, httpQPS, c.PostGIS.QPS, c.RatioInProcess, ratioHTTP)
	}
	fmt.Fprintf(&b, "| **all** | %d | %.2f | %.2f | | | | | | | | | |\n\n", r.Total, r.IdenticalPct, r.AgreementPct)

	b.WriteString("Targets: ")
	b.WriteString(target("agreement", r.AgreementPct, TargetAgreementPct, "%"))
	fmt.Fprintf(&b, " (identical answers: %.2f %%; sanxian errors: %d; unexplained: %d)", r.IdenticalPct, r.ByExplanation[ExplSanxianDistance], r.ByExplanation[ExplUnexplained])
	for _, c := range r.Classes {
		switch c.Class {
		case ClassPoint:
			b.WriteString("; " + target("points (in process)", c.RatioInProcess, TargetPointRatio, "×"))
			if c.RatioHTTP != nil {
				b.WriteString("; " + target("points (HTTP)", *c.RatioHTTP, TargetPointRatio, "×"))
			}
		case ClassPolygon:
			b.WriteString("; " + target("polygons with areas (in process)", c.RatioInProcess, TargetPolygonRatio, "×"))
			if c.RatioHTTP != nil {
				b.WriteString("; " + target("polygons with areas (HTTP)", *c.RatioHTTP, TargetPolygonRatio, "×"))
			}
		}
	}
	b.WriteString(".\n\n")

	if len(r.Disagreements) == 0 {
		b.WriteString("No disagreements.\n\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "### Disagreements (%d)\n\n", len(r.Disagreements))
	expl := make([]string, 0, len(r.ByExplanation))
	for e := range r.ByExplanation {
		expl = append(expl, e)
	}
	sort.Strings(expl)
	for _, e := range expl {
		fmt.Fprintf(&b, "- **%s** (%d): %s\n", e, r.ByExplanation[e], Explanations[e])
	}
	b.WriteString("\n| query | kind | buffer m | feature | what | sanxian | PostGIS | PostGIS distance m (planar °) | reference m | explanation | site (WKT) |\n")
	b.WriteString("|---|---|---:|---|---|---|---|---:|---:|---|---|\n")
	for i, d := range r.Disagreements {
		if i == maxListed {
			fmt.Fprintf(&b, "\n… %d more in the JSON report.\n", len(r.Disagreements)-maxListed)
			break
		}
		dist, ref := "", ""
		if d.DistanceM != nil {
			dist = fmt.Sprintf("%.4f", *d.DistanceM)
		}
		if d.PlanarDeg != nil {
			dist += fmt.Sprintf(" (%.2g°)", *d.PlanarDeg)
		}
		if d.ReferenceM != nil {
			ref = fmt.Sprintf("%.4f", *d.ReferenceM)
		}
		site := d.WKT
		if len(site) > 160 {
			site = site[:160] + "…"
		}
		fmt.Fprintf(&b, "| %s | %s | %g | %s | %s | %s | %s | %s | %s | %s | `%s` |\n",
			d.QueryID, d.Kind, d.BufferM, d.Feature, d.What, describe(d.Sanxian), describe(pick(d.PostGIS, d.HTTP)), dist, ref, d.Explanation, site)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func pick(a, b *Measure) *Measure {
	if a != nil {
		return a
	}
	return b
}

func stat(s Stats) string {
	if s.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3g / %.2g", s.MaxAbs, s.MeanAbs)
}

func target(name string, got, want float64, unit string) string {
	mark := "met"
	if got < want {
		mark = "MISSED"
	}
	if unit == "%" {
		return fmt.Sprintf("%s %.2f %% (≥ %g %%: %s)", name, got, want, mark)
	}
	return fmt.Sprintf("%s %.1f%s (≥ %g%s: %s)", name, got, unit, want, unit, mark)
}

func describe(m *Measure) string {
	if m == nil {
		return "—"
	}
	var parts []string
	if m.Contact {
		parts = append(parts, "contact")
	} else {
		parts = append(parts, "nearby")
	}
	if m.AreaM2 != nil {
		parts = append(parts, fmt.Sprintf("area %.2f m²", *m.AreaM2))
	}
	if m.LengthM != nil {
		parts = append(parts, fmt.Sprintf("length %.2f m", *m.LengthM))
	}
	if m.DistanceM != nil {
		parts = append(parts, fmt.Sprintf("distance %.3f m", *m.DistanceM))
	}
	return strings.Join(parts, ", ")
}
