package admission

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/sanxian/sanxian/geo"
)

// Verdicts, from the strictest.
const (
	VerdictProhibited   = "prohibited"   // 禁止准入
	VerdictInsufficient = "insufficient" // 待补充信息
	VerdictRestricted   = "restricted"   // 限制准入（有条件准入）
	VerdictReview       = "review"       // 需人工研判
	VerdictCompatible   = "compatible"   // 符合准入要求
)

var verdictRank = map[string]int{VerdictProhibited: 5, VerdictInsufficient: 4, VerdictRestricted: 3, VerdictReview: 2, VerdictCompatible: 1}

// VerdictLabel is the Chinese name of a verdict.
var VerdictLabel = map[string]string{
	VerdictProhibited:   "禁止准入",
	VerdictInsufficient: "待补充信息",
	VerdictRestricted:   "限制准入（有条件准入）",
	VerdictReview:       "需人工研判",
	VerdictCompatible:   "符合准入要求",
}

// Clause outcomes.
const (
	OutcomeTriggered     = "triggered"         // the clause applies to this project here
	OutcomeNotApplicable = "not_applicable"    // industry, construction or distance rule it out
	OutcomeNeedsReview   = "needs_review"      // free text, or an allowed activity: a person decides
	OutcomeNeedsInfo     = "needs_information" // the request lacks the industry or construction type
)

// Project describes what is to be built. All fields are optional; a
// clause that depends on a missing one is reported as needing
// information.
type Project struct {
	// Industry is a GB/T 4754-2017 code (class level preferred), already
	// normalised by NormalizeIndustryCode.
	Industry string
	// Construction is one of ConstructionTypes.
	Construction string
	// Activity is a key of Activities when the project declares itself one
	// of the red line's allowed limited activities.
	Activity string
}

// Place is where a clause applies at the site: a hit feature and how
// much of the site lies in it, or the measured distance of a spatial
// condition.
type Place struct {
	Layer       string   `json:"layer"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Relation    string   `json:"relation"`
	ShareOfSite *float64 `json:"share_of_site,omitempty"` // polygon: area share; line: length share
	DistanceM   *float64 `json:"distance_m,omitempty"`
}

// ClauseResult is one applicable clause and what it says here.
type ClauseResult struct {
	ID        string `json:"id"`
	Level     string `json:"level"`
	Dimension string `json:"dimension"`
	Number    string `json:"number,omitempty"`
	Text      string `json:"text"`
	Effect    string `json:"effect"`
	Outcome   string `json:"outcome"`
	// Evidence says in Chinese why: the place and share, the measured
	// distance against the limit, which industry code matched which
	// prefix, what is missing.
	Evidence []string `json:"evidence"`
	Places   []Place  `json:"places"`
	// MatchedPrefix is the clause's industry prefix the project's code
	// fell under.
	MatchedPrefix string `json:"matched_prefix,omitempty"`
	// MergedIDs lists the ids of identical clauses of other units merged
	// into this one.
	MergedIDs []string `json:"merged_ids,omitempty"`
	// Needs names what the request must add ("industry", "construction")
	// when the outcome is needs_information.
	Needs string `json:"needs,omitempty"`
}

// UnitVerdict is one control unit's part of the site and its own
// verdict: from the clauses of the unit and of its district, and, when the
// site lies in this unit alone, from every clause that applies.
// City-wide and element-zone clauses of a site spanning several units
// decide the overall verdict only (which unit's part meets the zone is
// not measured).
type UnitVerdict struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Category    string   `json:"category"`
	ShareOfSite *float64 `json:"share_of_site,omitempty"`
	Verdict     string   `json:"verdict"`
	Clauses     []string `json:"clauses"` // ids of its deciding clauses
}

// Assessment is the admission verdict for a project at a site.
type Assessment struct {
	Verdict      string         `json:"verdict"`
	Label        string         `json:"label"`
	Reason       string         `json:"reason"`
	Industry     *Industry      `json:"industry,omitempty"`
	Construction string         `json:"construction,omitempty"`
	Activity     string         `json:"activity,omitempty"`
	Missing      []string       `json:"missing"`
	Clauses      []ClauseResult `json:"clauses"`
	Units        []UnitVerdict  `json:"units"`
}

// place turns a hit into a Place; the caller sets the share of the site.
func place(h Hit) Place {
	return Place{Layer: h.Layer, ID: h.ID, Name: h.Name, Relation: string(h.Relation)}
}

// Inside reports whether a hit puts the site (partly) in the feature: a
// sliver or a line along the boundary does not; a point on a shared edge
// belongs to both sides.
func (h Hit) Inside() bool {
	switch h.Relation {
	case geo.Within, geo.Contains, geo.Intersects:
		return true
	case geo.Touches:
		return h.OnBoundary
	}
	return false
}

// assess evaluates every clause that applies at the site for project p.
// res is the check's answer on all layers.
func (d *Dataset) assess(ctx context.Context, req CheckRequest, res *CheckResult) (*Assessment, error) {
	if req.Project.Industry != "" {
		code, err := NormalizeIndustryCode(req.Project.Industry)
		if err != nil {
			return nil, err
		}
		req.Project.Industry = code
	}
	a := &Assessment{Construction: req.Project.Construction, Activity: req.Project.Activity, Missing: []string{}, Clauses: []ClauseResult{}, Units: []UnitVerdict{}}
	if req.Project.Industry != "" {
		ind, _ := d.industries.Lookup(req.Project.Industry)
		a.Industry = &ind
	}
	hitsBy := map[string][]Hit{} // layer → inside hits
	for _, h := range res.Hits {
		if h.Inside() {
			hitsBy[h.Layer] = append(hitsBy[h.Layer], h)
		}
	}
	// Per-unit share of a line site comes from its overlap length.
	share := func(h Hit) *float64 {
		if h.OverlapRatio != nil {
			return h.OverlapRatio
		}
		if h.OverlapLengthM != nil && res.Query.LengthM > 0 {
			r := math.Round(*h.OverlapLengthM/res.Query.LengthM*1e6) / 1e6
			return &r
		}
		return nil
	}
	relevant := d.clauseIndex.relevant(hitsBy)
	distances, err := d.spatialDistances(ctx, req, relevant)
	if err != nil {
		return nil, err
	}
	results := make([]ClauseResult, 0, len(relevant))
	unitClauses := map[string][]int{}     // unit id → indexes into results
	districtClauses := map[string][]int{} // county code → indexes into results
	for _, i := range relevant {
		c := &d.rules.Clauses[i]
		// Where the clause applies: the hit features its scope names.
		var places []Place
		collect := func(hits []Hit, match func(Hit) bool) {
			for _, h := range hits {
				if match(h) {
					p := place(h)
					p.ShareOfSite = share(h)
					places = append(places, p)
				}
			}
		}
		switch c.Level {
		case LevelDistrict:
			collect(hitsBy[LayerDistricts], func(h Hit) bool { return h.ID == c.Scope.County })
		case LevelUnit:
			collect(hitsBy[LayerControlUnits], func(h Hit) bool { return h.ID == c.Scope.Unit })
		case LevelZone:
			collect(hitsBy[c.Scope.Layer], func(h Hit) bool { return c.Scope.Category == "" || h.Category == c.Scope.Category })
		}
		if c.Level != LevelCity && places == nil {
			continue
		}
		r := d.judge(c, req.Project, places, distances)
		if r.Outcome == "" {
			continue // a spatial condition far from the site: not applicable here
		}
		results = append(results, r)
		switch c.Level {
		case LevelUnit:
			unitClauses[c.Scope.Unit] = append(unitClauses[c.Scope.Unit], len(results)-1)
		case LevelDistrict:
			districtClauses[c.Scope.County] = append(districtClauses[c.Scope.County], len(results)-1)
		}
	}
	// Per-unit verdicts, before duplicates are merged.
	units := hitsBy[LayerControlUnits]
	for _, h := range units {
		u := UnitVerdict{ID: h.ID, Name: h.Name, Category: h.Category, ShareOfSite: share(h), Verdict: VerdictCompatible, Clauses: []string{}}
		own := append(append([]int{}, unitClauses[h.ID]...), districtClauses[countyOf(h.ID)]...)
		if len(units) == 1 {
			own = own[:0]
			for i := range results {
				own = append(own, i)
			}
		}
		for _, i := range own {
			v := outcomeVerdict(results[i])
			if verdictRank[v] > verdictRank[u.Verdict] {
				u.Verdict = v
			}
			if v != VerdictCompatible {
				u.Clauses = append(u.Clauses, results[i].ID)
			}
		}
		a.Units = append(a.Units, u)
	}
	a.Clauses = mergeDuplicates(results)
	a.Verdict = VerdictCompatible
	missing := map[string]bool{}
	for _, r := range a.Clauses {
		v := outcomeVerdict(r)
		if verdictRank[v] > verdictRank[a.Verdict] {
			a.Verdict = v
		}
		if v == VerdictInsufficient {
			missing[r.Needs] = true
		}
	}
	for _, m := range []string{"industry", "construction"} {
		if missing[m] {
			a.Missing = append(a.Missing, m)
		}
	}
	a.Label = VerdictLabel[a.Verdict]
	sortClauses(a.Clauses)
	a.Reason = reason(a)
	return a, nil
}

// countyOf returns the county code inside a 13-character unit code.
func countyOf(unit string) string {
	if len(unit) < 8 {
		return ""
	}
	return unit[2:8]
}

// Verdict is what this clause result alone says about admission:
// compatible for clauses that do not decide (obligations, clauses that do
// not apply, free-text obligations).
func (r ClauseResult) Verdict() string { return outcomeVerdict(r) }

// outcomeVerdict is what one clause result says about admission.
func outcomeVerdict(r ClauseResult) string {
	switch r.Outcome {
	case OutcomeTriggered:
		switch r.Effect {
		case EffectProhibit:
			return VerdictProhibited
		case EffectRestrict:
			return VerdictRestricted
		}
	case OutcomeNeedsReview:
		// Only a clause that could forbid or limit the project makes the
		// answer a person's; a free-text obligation is listed, not decisive.
		if r.Effect == EffectProhibit || r.Effect == EffectRestrict {
			return VerdictReview
		}
	case OutcomeNeedsInfo:
		if r.Effect == EffectProhibit || r.Effect == EffectRestrict {
			return VerdictInsufficient
		}
	}
	return VerdictCompatible
}

// judge decides one clause for the project, given where it applies.
func (d *Dataset) judge(c *Clause, p Project, places []Place, dist map[*Clause]*spatialHit) ClauseResult {
	r := ClauseResult{ID: c.ID, Level: c.Level, Dimension: c.Dimension, Number: c.Number, Text: c.Text, Effect: c.Effect, Places: places, Evidence: []string{}}
	for _, pl := range places {
		r.Evidence = append(r.Evidence, describePlace(pl))
	}
	if c.Spatial != nil {
		sh := dist[c]
		if sh == nil {
			return ClauseResult{} // nothing of the layer within the limit
		}
		dm := math.Round(sh.distance*10) / 10
		r.Places = append(r.Places, Place{Layer: c.Spatial.Layer, ID: sh.id, Name: sh.name, Relation: "distance", DistanceM: &dm})
		if sh.distance == 0 {
			r.Evidence = append(r.Evidence, fmt.Sprintf("项目场址与%s（%s）相交或接触，在 %g m 范围内", c.Spatial.Describe, sh.name, c.Spatial.WithinM))
		} else {
			r.Evidence = append(r.Evidence, fmt.Sprintf("项目距%s（%s）最近 %.0f m，小于 %g m", c.Spatial.Describe, sh.name, sh.distance, c.Spatial.WithinM))
		}
	}
	if !c.Machine {
		r.Outcome = OutcomeNeedsReview
		r.Evidence = append(r.Evidence, "条款为原文表述，适用范围未结构化，需人工研判")
		return r
	}
	if c.Industries != nil {
		if p.Industry == "" {
			r.Outcome, r.Needs = OutcomeNeedsInfo, "industry"
			r.Evidence = append(r.Evidence, "条款针对特定行业（"+strings.Join(c.Industries.Include, "、")+"），请求未提供行业代码")
			return r
		}
		prefix, ok := d.industryMatch(c.Industries, p.Industry)
		if !ok {
			r.Outcome = OutcomeNotApplicable
			r.Evidence = append(r.Evidence, fmt.Sprintf("项目行业 %s 不属于条款所列行业（%s）", p.Industry, strings.Join(c.Industries.Include, "、")))
			return r
		}
		r.MatchedPrefix = prefix
		r.Evidence = append(r.Evidence, fmt.Sprintf("项目行业 %s 属于条款所列行业 %s", p.Industry, prefix))
	}
	if len(c.Construction) > 0 {
		if p.Construction == "" {
			r.Outcome, r.Needs = OutcomeNeedsInfo, "construction"
			r.Evidence = append(r.Evidence, "条款仅适用于"+strings.Join(c.Construction, "、")+"项目，请求未提供建设性质")
			return r
		}
		if !containsString(c.Construction, p.Construction) {
			r.Outcome = OutcomeNotApplicable
			r.Evidence = append(r.Evidence, fmt.Sprintf("建设性质为%s，条款仅适用于%s", p.Construction, strings.Join(c.Construction, "、")))
			return r
		}
	}
	r.Outcome = OutcomeTriggered
	if p.Activity != "" {
		for _, e := range c.Exceptions {
			if containsString(e.Activities, p.Activity) {
				r.Outcome = OutcomeNeedsReview
				r.Evidence = append(r.Evidence, "项目申报为允许的有限人为活动："+Activities[p.Activity]+"；"+e.Note)
			}
		}
	}
	return r
}

// industryMatch reports the include prefix a normalised code falls
// under, unless an exclusion also covers it. The dataset's prefixes are
// normalised when it is built, so a prefix match is a string prefix
// ("C2614" falls under "C", "C26", "C261" and "C2614").
func (d *Dataset) industryMatch(f *IndustryFilter, code string) (string, bool) {
	for _, x := range f.Exclude {
		if strings.HasPrefix(code, x) {
			return "", false
		}
	}
	for _, in := range f.Include {
		if strings.HasPrefix(code, in) {
			return in, true
		}
	}
	return "", false
}

func describePlace(p Place) string {
	switch {
	case p.ShareOfSite != nil:
		return fmt.Sprintf("场址的 %.2f%% 位于%s（%s）", *p.ShareOfSite*100, p.Name, p.ID)
	case p.Relation == string(geo.Touches):
		return fmt.Sprintf("场址位于%s（%s）边界上", p.Name, p.ID)
	default:
		return fmt.Sprintf("场址位于%s（%s）", p.Name, p.ID)
	}
}

// spatialHit is the nearest qualifying feature of a spatial condition.
type spatialHit struct {
	id, name string
	distance float64
}

// spatialDistances measures, for the clauses among relevant that carry a
// spatial condition, the nearest qualifying feature within its limit
// (absent when none): one query per layer, with the largest limit of that
// layer's clauses.
func (d *Dataset) spatialDistances(ctx context.Context, req CheckRequest, relevant []int) (map[*Clause]*spatialHit, error) {
	byLayer := map[string][]*Clause{}
	limit := map[string]float64{}
	var layers []string
	for _, i := range relevant {
		c := &d.rules.Clauses[i]
		s := c.Spatial
		if s == nil {
			continue
		}
		if req.Project.Industry != "" && c.Industries != nil {
			if _, ok := d.industryMatch(c.Industries, req.Project.Industry); !ok {
				continue // not this industry's clause: nothing to measure
			}
		}
		if _, seen := byLayer[s.Layer]; !seen {
			layers = append(layers, s.Layer)
		}
		byLayer[s.Layer] = append(byLayer[s.Layer], c)
		limit[s.Layer] = math.Max(limit[s.Layer], s.WithinM)
	}
	sort.Strings(layers)
	out := map[*Clause]*spatialHit{}
	for _, layer := range layers {
		res, err := d.index.Query(ctx, geo.Query{Geometry: req.Geometry, BufferM: limit[layer], Layers: []string{layer}})
		if err != nil {
			return nil, fmt.Errorf("spatial condition on %s: %w", layer, err)
		}
		li := d.layerPos[layer]
		for _, c := range byLayer[layer] {
			for _, h := range res.Hits {
				f := &d.layers[li].Features[h.Feature]
				if h.DistanceM > c.Spatial.WithinM || !attrMatches(f, c.Spatial) {
					continue
				}
				if cur := out[c]; cur == nil || h.DistanceM < cur.distance {
					out[c] = &spatialHit{id: f.ID, name: f.Name, distance: h.DistanceM}
				}
			}
		}
	}
	return out, nil
}

func attrMatches(f *Feature, s *SpatialCondition) bool {
	if s.Attr == "" {
		return true
	}
	var v string
	switch s.Attr {
	case "id":
		v = f.ID
	case "name":
		v = f.Name
	case "category":
		v = f.Category
	default:
		v = fmt.Sprint(f.Properties[s.Attr])
	}
	return containsString(s.Values, v)
}

// mergeDuplicates folds unit clauses with the same dimension, effect,
// text and outcome (unit templates repeat across units) into one,
// keeping every place.
func mergeDuplicates(rs []ClauseResult) []ClauseResult {
	type key struct{ dim, effect, text, outcome string }
	pos := map[key]int{}
	out := make([]ClauseResult, 0, len(rs))
	for _, r := range rs {
		if r.Level != LevelUnit {
			out = append(out, r)
			continue
		}
		k := key{r.Dimension, r.Effect, r.Text, r.Outcome}
		if i, ok := pos[k]; ok {
			out[i].Places = append(out[i].Places, r.Places...)
			out[i].Evidence = append(out[i].Evidence, r.Evidence...)
			out[i].MergedIDs = append(out[i].MergedIDs, r.ID)
			continue
		}
		pos[k] = len(out)
		out = append(out, r)
	}
	return out
}

// rank returns the position of s in order (len(order) when absent).
func rank(order []string, s string) int {
	for i, x := range order {
		if x == s {
			return i
		}
	}
	return len(order)
}

var (
	outcomeOrder = []string{OutcomeTriggered, OutcomeNeedsInfo, OutcomeNeedsReview, OutcomeNotApplicable}
	effectOrder  = []string{EffectProhibit, EffectRestrict, EffectRequire, EffectEncourage, EffectInfo}
)

// sortClauses orders by dimension as published, triggered ones first,
// then the strictest effect, then id.
func sortClauses(rs []ClauseResult) {
	keys := make([]clauseKey, len(rs))
	for i, r := range rs {
		keys[i] = clauseKey{rank(Dimensions, r.Dimension), rank(outcomeOrder, r.Outcome), rank(effectOrder, r.Effect)}
	}
	sort.Stable(byClauseKey{rs, keys})
}

type clauseKey struct{ dim, outcome, effect int }

type byClauseKey struct {
	rs   []ClauseResult
	keys []clauseKey
}

func (b byClauseKey) Len() int { return len(b.rs) }
func (b byClauseKey) Swap(i, j int) {
	b.rs[i], b.rs[j] = b.rs[j], b.rs[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}
func (b byClauseKey) Less(i, j int) bool {
	a, c := b.keys[i], b.keys[j]
	switch {
	case a.dim != c.dim:
		return a.dim < c.dim
	case a.outcome != c.outcome:
		return a.outcome < c.outcome
	case a.effect != c.effect:
		return a.effect < c.effect
	}
	return b.rs[i].ID < b.rs[j].ID
}

// reason is the one-line Chinese reason of the verdict.
func reason(a *Assessment) string {
	var deciding *ClauseResult
	for i := range a.Clauses {
		if a.Verdict != VerdictCompatible && outcomeVerdict(a.Clauses[i]) == a.Verdict {
			deciding = &a.Clauses[i]
			break
		}
	}
	switch {
	case a.Verdict == VerdictInsufficient:
		names := map[string]string{"industry": "行业代码（GB/T 4754-2017）", "construction": "建设性质"}
		var m []string
		for _, x := range a.Missing {
			m = append(m, names[x])
		}
		return "请补充" + strings.Join(m, "、") + "：有禁止或限制类条款取决于此"
	case deciding == nil:
		n := 0
		for _, c := range a.Clauses {
			if c.Outcome == OutcomeTriggered && c.Effect == EffectRequire {
				n++
			}
		}
		if n > 0 {
			return fmt.Sprintf("未触发禁止或限制类条款；须落实 %d 条管控要求", n)
		}
		return "未触发禁止或限制类条款"
	}
	ev := ""
	if len(deciding.Evidence) > 0 {
		ev = "：" + strings.Join(deciding.Evidence, "；")
	}
	return fmt.Sprintf("依据条款 %s（%s）%s", deciding.ID, deciding.Dimension, ev)
}
