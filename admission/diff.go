package admission

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// DiffTolerance is how far apart, in degrees of longitude or latitude,
// two vertices may lie and still be the same position when Diff compares
// geometries: 1e-6° is about 0.1 m, below the precision of published
// boundaries and of a 6-decimal export, so re-exporting a dataset does not
// make every unit "changed".
const DiffTolerance = 1e-6

// Changes in a DatasetDiff.
const (
	ChangeAdded    = "added"
	ChangeRemoved  = "removed"
	ChangeModified = "modified"
)

// DatasetDiff is what changed from one dataset to another: layers,
// features (control units, red-line parts, …) and access-list clauses.
// Its lists are in a fixed order (see Diff), so the same two datasets
// always give the same diff.
type DatasetDiff struct {
	From     DatasetRef      `json:"from"`
	To       DatasetRef      `json:"to"`
	Counts   DiffCounts      `json:"counts"`
	Layers   []LayerChange   `json:"layers"`
	Features []FeatureChange `json:"features"`
	Clauses  []ClauseChange  `json:"clauses"`
}

// DiffCounts sums up a DatasetDiff. A feature whose geometry and category
// both changed counts in both.
type DiffCounts struct {
	LayersAdded     int `json:"layers_added"`
	LayersRemoved   int `json:"layers_removed"`
	FeaturesAdded   int `json:"features_added"`
	FeaturesRemoved int `json:"features_removed"`
	GeometryChanged int `json:"geometry_changed"`
	CategoryChanged int `json:"category_changed"`
	NameChanged     int `json:"name_changed"`
	ClausesAdded    int `json:"clauses_added"`
	ClausesRemoved  int `json:"clauses_removed"`
	ClausesChanged  int `json:"clauses_changed"`
}

// Identical reports whether nothing changed.
func (d *DatasetDiff) Identical() bool { return d.Counts == DiffCounts{} }

// LayerChange is a layer only one of the datasets has. Its features are
// not listed one by one.
type LayerChange struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Change   string `json:"change"` // ChangeAdded or ChangeRemoved
	Features int    `json:"features"`
	Summary  string `json:"summary"`
}

// Feature fields Diff compares.
const (
	FieldGeometry = "geometry"
	FieldCategory = "category"
	FieldName     = "name"
)

// FeatureChange is a feature added, removed or modified (in geometry,
// category or name; other attributes are not compared).
type FeatureChange struct {
	Layer      string `json:"layer"`
	LayerTitle string `json:"layer_title"`
	ID         string `json:"id"`
	Change     string `json:"change"`
	// Fields lists what changed in a modified feature, among "geometry",
	// "category" and "name", in that order.
	Fields []string `json:"fields,omitempty"`
	// Before is absent for an added feature, After for a removed one.
	Before *FeatureState `json:"before,omitempty"`
	After  *FeatureState `json:"after,omitempty"`
	// AreaChangeM2 and AreaChangeHa (1 公顷 = 10,000 m²) are After minus
	// Before for polygons whose geometry changed, were added (the whole
	// area) or removed (minus it); absent otherwise.
	AreaChangeM2 *float64 `json:"area_change_m2,omitempty"`
	AreaChangeHa *float64 `json:"area_change_ha,omitempty"`
	// Summary says it in one Chinese sentence.
	Summary string `json:"summary"`
}

// FeatureState is a feature's name, category and, for polygons, its
// geodesic area in m² (to 0.01 m²).
type FeatureState struct {
	Name     string   `json:"name"`
	Category string   `json:"category"`
	AreaM2   *float64 `json:"area_m2,omitempty"`
}

// Clause fields Diff compares, in the order Fields lists them.
var diffClauseFieldNames = []string{"text", "effect", "level", "scope", "dimension", "number", "industries", "construction", "spatial", "exceptions", "machine"}

// ClauseChange is an access-list clause added, removed or modified,
// matched by clause id.
type ClauseChange struct {
	ID     string `json:"id"`
	Change string `json:"change"`
	// Level and Scope are the clause's in the newer dataset (the older
	// one's for a removed clause); ScopeName names the scope in Chinese:
	// 全市, 区县 万州区（500101）, 单元 …（ZH…）, 要素分区 生态保护红线.
	Level     string `json:"level"`
	Scope     Scope  `json:"scope"`
	ScopeName string `json:"scope_name"`
	Dimension string `json:"dimension"`
	// Fields lists what changed in a modified clause: "text", "effect",
	// "level", "scope", "dimension", "number", "industries",
	// "construction", "spatial", "exceptions", "machine".
	Fields []string `json:"fields,omitempty"`
	Before *Clause  `json:"before,omitempty"`
	After  *Clause  `json:"after,omitempty"`
	// Summary says it in Chinese, quoting the texts.
	Summary string `json:"summary"`
}

// Diff compares two datasets. Layers are matched by id, features by layer
// and id, clauses by id. Geometries are compared vertex by vertex within
// DiffTolerance, whatever the start vertex and direction of a ring, the
// order of a multipolygon's parts and of a polygon's holes; a boundary
// redrawn with other vertices counts as changed even when its area barely
// moves (the area change shows it). Areas are the datasets' geodesic
// areas. Order: layers as in to (then those only in from), features by
// layer in that order then id; clauses by level (city, district, zone,
// unit), scope, dimension and id. Two datasets with the same checksum are
// identical without being compared. Both must be non-nil.
func Diff(from, to *Dataset) *DatasetDiff {
	out := &DatasetDiff{From: from.Ref(), To: to.Ref(), Layers: []LayerChange{}, Features: []FeatureChange{}, Clauses: []ClauseChange{}}
	if from.info.Checksum != "" && from.info.Checksum == to.info.Checksum {
		return out
	}
	var order []string
	for _, l := range to.layers {
		order = append(order, l.ID)
	}
	for _, l := range from.layers {
		if _, ok := to.layerPos[l.ID]; !ok {
			order = append(order, l.ID)
		}
	}
	for _, id := range order {
		fl, inFrom := from.Layer(id)
		tl, inTo := to.Layer(id)
		switch {
		case !inFrom:
			out.Layers = append(out.Layers, LayerChange{ID: id, Title: tl.Title, Change: ChangeAdded, Features: len(tl.Features),
				Summary: fmt.Sprintf("新增图层「%s」（%s），%d 个要素", tl.Title, id, len(tl.Features))})
			out.Counts.LayersAdded++
		case !inTo:
			out.Layers = append(out.Layers, LayerChange{ID: id, Title: fl.Title, Change: ChangeRemoved, Features: len(fl.Features),
				Summary: fmt.Sprintf("删除图层「%s」（%s），原有 %d 个要素", fl.Title, id, len(fl.Features))})
			out.Counts.LayersRemoved++
		default:
			out.Features = append(out.Features, diffLayer(from, to, fl, tl, &out.Counts)...)
		}
	}
	out.Clauses = diffClauses(from, to, &out.Counts)
	return out
}

// diffLayer compares the features of a layer both datasets have.
func diffLayer(from, to *Dataset, fl, tl *Layer, counts *DiffCounts) []FeatureChange {
	ids := make([]string, 0, len(tl.Features))
	for _, f := range tl.Features {
		ids = append(ids, f.ID)
	}
	for _, f := range fl.Features {
		if _, _, ok := to.Feature(tl.ID, f.ID); !ok {
			ids = append(ids, f.ID)
		}
	}
	sort.Strings(ids)
	polygons := tl.Kind == KindPolygon
	state := func(f *Feature, area float64) *FeatureState {
		s := &FeatureState{Name: f.Name, Category: f.Category}
		if polygons {
			s.AreaM2 = diffPtr(diffRound2(area))
		}
		return s
	}
	var out []FeatureChange
	for _, id := range ids {
		ff, fa, inFrom := from.Feature(fl.ID, id)
		tf, ta, inTo := to.Feature(tl.ID, id)
		c := FeatureChange{Layer: tl.ID, LayerTitle: tl.Title, ID: id}
		switch {
		case !inFrom:
			c.Change, c.After = ChangeAdded, state(tf, ta)
			counts.FeaturesAdded++
		case !inTo:
			c.Change, c.Before = ChangeRemoved, state(ff, fa)
			counts.FeaturesRemoved++
		default:
			if !SameGeometry(ff.Geometry, tf.Geometry, DiffTolerance) {
				c.Fields = append(c.Fields, FieldGeometry)
				counts.GeometryChanged++
			}
			if ff.Category != tf.Category {
				c.Fields = append(c.Fields, FieldCategory)
				counts.CategoryChanged++
			}
			if ff.Name != tf.Name {
				c.Fields = append(c.Fields, FieldName)
				counts.NameChanged++
			}
			if len(c.Fields) == 0 {
				continue
			}
			c.Change, c.Before, c.After = ChangeModified, state(ff, fa), state(tf, ta)
		}
		if polygons && (c.Change != ChangeModified || c.Fields[0] == FieldGeometry) {
			var before, after float64
			if c.Before != nil {
				before = *c.Before.AreaM2
			}
			if c.After != nil {
				after = *c.After.AreaM2
			}
			c.AreaChangeM2 = diffPtr(diffRound2(after - before))
			c.AreaChangeHa = diffPtr(math.Round((after-before)/100) / 100)
		}
		c.Summary = diffFeatureSummary(c)
		out = append(out, c)
	}
	return out
}

func diffFeatureSummary(c FeatureChange) string {
	var b strings.Builder
	switch c.Change {
	case ChangeAdded:
		fmt.Fprintf(&b, "新增%s %s「%s」（%s）", c.LayerTitle, c.ID, c.After.Name, c.After.Category)
		if c.After.AreaM2 != nil {
			fmt.Fprintf(&b, "，面积 %s", diffHectares(*c.After.AreaM2))
		}
	case ChangeRemoved:
		fmt.Fprintf(&b, "删除%s %s「%s」（%s）", c.LayerTitle, c.ID, c.Before.Name, c.Before.Category)
		if c.Before.AreaM2 != nil {
			fmt.Fprintf(&b, "，原面积 %s", diffHectares(*c.Before.AreaM2))
		}
	default:
		fmt.Fprintf(&b, "%s %s「%s」", c.LayerTitle, c.ID, c.After.Name)
		var parts []string
		for _, f := range c.Fields {
			switch f {
			case FieldGeometry:
				p := "边界调整"
				if c.AreaChangeM2 != nil {
					p += fmt.Sprintf("，面积 %s → %s（%s 公顷，%s m²）", diffHectares(*c.Before.AreaM2), diffHectares(*c.After.AreaM2),
						diffSigned(*c.AreaChangeM2/10000, 2), diffSigned(*c.AreaChangeM2, 1))
				}
				parts = append(parts, p)
			case FieldCategory:
				parts = append(parts, fmt.Sprintf("类别 %s → %s", c.Before.Category, c.After.Category))
			case FieldName:
				parts = append(parts, fmt.Sprintf("名称「%s」→「%s」", c.Before.Name, c.After.Name))
			}
		}
		b.WriteString("：" + strings.Join(parts, "；"))
	}
	b.WriteString("。")
	return b.String()
}

// diffLevelRank orders clause levels in a diff.
var diffLevelRank = map[string]int{LevelCity: 0, LevelDistrict: 1, LevelZone: 2, LevelUnit: 3}

// diffClauses compares the access lists by clause id.
func diffClauses(from, to *Dataset, counts *DiffCounts) []ClauseChange {
	before := make(map[string]*Clause, len(from.rules.Clauses))
	for i := range from.rules.Clauses {
		before[from.rules.Clauses[i].ID] = &from.rules.Clauses[i]
	}
	after := make(map[string]*Clause, len(to.rules.Clauses))
	for i := range to.rules.Clauses {
		after[to.rules.Clauses[i].ID] = &to.rules.Clauses[i]
	}
	var out []ClauseChange
	for i := range to.rules.Clauses {
		a := &to.rules.Clauses[i]
		b, ok := before[a.ID]
		if !ok {
			out = append(out, ClauseChange{ID: a.ID, Change: ChangeAdded, After: diffClauseCopy(a)})
			counts.ClausesAdded++
			continue
		}
		if fields := diffClauseFields(b, a); len(fields) > 0 {
			out = append(out, ClauseChange{ID: a.ID, Change: ChangeModified, Fields: fields, Before: diffClauseCopy(b), After: diffClauseCopy(a)})
			counts.ClausesChanged++
		}
	}
	for i := range from.rules.Clauses {
		b := &from.rules.Clauses[i]
		if _, ok := after[b.ID]; !ok {
			out = append(out, ClauseChange{ID: b.ID, Change: ChangeRemoved, Before: diffClauseCopy(b)})
			counts.ClausesRemoved++
		}
	}
	for i := range out {
		c := &out[i]
		cl, d := c.After, to
		if cl == nil {
			cl, d = c.Before, from
		}
		c.Level, c.Scope, c.Dimension = cl.Level, cl.Scope, cl.Dimension
		c.ScopeName = diffScopeName(d, cl)
		c.Summary = diffClauseSummary(c)
	}
	dimRank := map[string]int{}
	for i, d := range Dimensions {
		dimRank[d] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if diffLevelRank[a.Level] != diffLevelRank[b.Level] {
			return diffLevelRank[a.Level] < diffLevelRank[b.Level]
		}
		if ka, kb := diffScopeKey(a.Scope), diffScopeKey(b.Scope); ka != kb {
			return ka < kb
		}
		if dimRank[a.Dimension] != dimRank[b.Dimension] {
			return dimRank[a.Dimension] < dimRank[b.Dimension]
		}
		return a.ID < b.ID
	})
	if out == nil {
		out = []ClauseChange{}
	}
	return out
}

// diffClauseCopy copies a clause, so that a diff kept for later does not
// pin the datasets' whole access lists.
func diffClauseCopy(c *Clause) *Clause {
	cp := *c
	return &cp
}

func diffScopeKey(s Scope) string {
	return s.County + "\x00" + s.Unit + "\x00" + s.Layer + "\x00" + s.Category
}

// diffClauseFields lists the fields in which two versions of a clause
// differ; empty and absent lists are the same.
func diffClauseFields(a, b *Clause) []string {
	same := func(x, y any) bool {
		jx, _ := json.Marshal(x)
		jy, _ := json.Marshal(y)
		return string(jx) == string(jy)
	}
	var out []string
	for _, f := range diffClauseFieldNames {
		var eq bool
		switch f {
		case "text":
			eq = a.Text == b.Text
		case "effect":
			eq = a.Effect == b.Effect
		case "level":
			eq = a.Level == b.Level
		case "scope":
			eq = a.Scope == b.Scope
		case "dimension":
			eq = a.Dimension == b.Dimension
		case "number":
			eq = a.Number == b.Number
		case "industries":
			eq = same(a.Industries, b.Industries) || (diffEmptyFilter(a.Industries) && diffEmptyFilter(b.Industries))
		case "construction":
			eq = len(a.Construction) == 0 && len(b.Construction) == 0 || same(a.Construction, b.Construction)
		case "spatial":
			eq = same(a.Spatial, b.Spatial)
		case "exceptions":
			eq = len(a.Exceptions) == 0 && len(b.Exceptions) == 0 || same(a.Exceptions, b.Exceptions)
		case "machine":
			eq = a.Machine == b.Machine
		}
		if !eq {
			out = append(out, f)
		}
	}
	return out
}

func diffEmptyFilter(f *IndustryFilter) bool {
	return f == nil || len(f.Include) == 0 && len(f.Exclude) == 0
}

// diffScopeName names a clause's scope in Chinese, with the feature names of
// dataset d.
func diffScopeName(d *Dataset, c *Clause) string {
	switch c.Level {
	case LevelCity:
		return "全市"
	case LevelDistrict:
		if f, _, ok := d.Feature(LayerDistricts, c.Scope.County); ok && f.Name != "" {
			return fmt.Sprintf("区县 %s（%s）", f.Name, c.Scope.County)
		}
		return "区县 " + c.Scope.County
	case LevelUnit:
		if f, _, ok := d.Feature(LayerControlUnits, c.Scope.Unit); ok && f.Name != "" {
			return fmt.Sprintf("单元 %s（%s）", f.Name, c.Scope.Unit)
		}
		return "单元 " + c.Scope.Unit
	case LevelZone:
		name := c.Scope.Layer
		if l, ok := d.Layer(c.Scope.Layer); ok && l.Title != "" {
			name = l.Title
		}
		if c.Scope.Category != "" {
			name += "／" + c.Scope.Category
		}
		return "要素分区 " + name
	}
	return c.Level
}

// EffectLabel is the Chinese name of a clause effect.
var EffectLabel = map[string]string{
	EffectProhibit:  "禁止",
	EffectRestrict:  "限制",
	EffectRequire:   "应当",
	EffectEncourage: "鼓励",
	EffectInfo:      "说明",
}

func diffEffectLabel(e string) string {
	if l, ok := EffectLabel[e]; ok {
		return l
	}
	return e
}

func diffClauseSummary(c *ClauseChange) string {
	where := func(cl *Clause) string {
		s := c.ScopeName + "，" + cl.Dimension
		if cl.Number != "" {
			s += " " + cl.Number
		}
		return s + "，" + diffEffectLabel(cl.Effect)
	}
	switch c.Change {
	case ChangeAdded:
		return fmt.Sprintf("新增条款 %s（%s）：「%s」", c.ID, where(c.After), c.After.Text)
	case ChangeRemoved:
		return fmt.Sprintf("删除条款 %s（%s）：「%s」", c.ID, where(c.Before), c.Before.Text)
	}
	var parts []string
	var other []string
	for _, f := range c.Fields {
		switch f {
		case "text":
			parts = append(parts, fmt.Sprintf("原文「%s」→「%s」", c.Before.Text, c.After.Text))
		case "effect":
			parts = append(parts, fmt.Sprintf("效力 %s → %s", diffEffectLabel(c.Before.Effect), diffEffectLabel(c.After.Effect)))
		default:
			other = append(other, f)
		}
	}
	if len(other) > 0 {
		parts = append(parts, "另改 "+strings.Join(other, "、"))
	}
	return fmt.Sprintf("修改条款 %s（%s）：%s", c.ID, where(c.After), strings.Join(parts, "；"))
}

// SameGeometry reports whether a and b are the same geometry within tol
// degrees per vertex: the same type family (a Polygon equals a
// MultiPolygon of that one polygon), each ring matching a ring of the
// other from any start vertex in either direction, parts and holes in any
// order, lines in either direction, points in any order. Consecutive
// vertices closer than tol count once. Collections are compared member by
// member, in order.
func SameGeometry(a, b orb.Geometry, tol float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if orb.Equal(a, b) {
		return true
	}
	switch ga := a.(type) {
	case orb.Polygon, orb.MultiPolygon:
		pa, pb := diffPolygonsOf(a), diffPolygonsOf(b)
		if pb == nil {
			return false
		}
		return diffMatchAll(len(pa), len(pb), func(i, j int) bool { return diffSamePolygon(pa[i], pb[j], tol) })
	case orb.LineString, orb.MultiLineString:
		la, lb := diffLinesOf(a), diffLinesOf(b)
		if lb == nil {
			return false
		}
		return diffMatchAll(len(la), len(lb), func(i, j int) bool { return diffSameLine(la[i], lb[j], tol) })
	case orb.Point, orb.MultiPoint:
		pa, pb := diffPointsOf(a), diffPointsOf(b)
		if pb == nil {
			return false
		}
		return diffMatchAll(len(pa), len(pb), func(i, j int) bool { return diffNear(pa[i], pb[j], tol) })
	case orb.Collection:
		gb, ok := b.(orb.Collection)
		if !ok || len(ga) != len(gb) {
			return false
		}
		for i := range ga {
			if !SameGeometry(ga[i], gb[i], tol) {
				return false
			}
		}
		return true
	}
	return false
}

func diffPolygonsOf(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		if g == nil {
			return []orb.Polygon{}
		}
		return g
	}
	return nil
}

func diffLinesOf(g orb.Geometry) []orb.LineString {
	switch g := g.(type) {
	case orb.LineString:
		return []orb.LineString{g}
	case orb.MultiLineString:
		if g == nil {
			return []orb.LineString{}
		}
		return g
	}
	return nil
}

func diffPointsOf(g orb.Geometry) []orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return []orb.Point{g}
	case orb.MultiPoint:
		if g == nil {
			return []orb.Point{}
		}
		return g
	}
	return nil
}

// diffMatchAll reports whether the n items of one side pair off with the m
// of the other under same: in order first (the usual case), else each
// with any unused one.
func diffMatchAll(n, m int, same func(i, j int) bool) bool {
	if n != m {
		return false
	}
	inOrder := true
	for i := 0; i < n && inOrder; i++ {
		inOrder = same(i, i)
	}
	if inOrder {
		return true
	}
	used := make([]bool, m)
	for i := 0; i < n; i++ {
		found := false
		for j := 0; j < m && !found; j++ {
			if !used[j] && same(i, j) {
				used[j], found = true, true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func diffNear(a, b orb.Point, tol float64) bool {
	return math.Abs(a[0]-b[0]) <= tol && math.Abs(a[1]-b[1]) <= tol
}

func diffNearBound(a, b orb.Bound, tol float64) bool {
	return diffNear(a.Min, b.Min, tol) && diffNear(a.Max, b.Max, tol)
}

func diffSamePolygon(a, b orb.Polygon, tol float64) bool {
	if len(a) != len(b) || len(a) == 0 {
		return len(a) == len(b)
	}
	if !diffNearBound(a.Bound(), b.Bound(), tol) || !diffSameRing(a[0], b[0], tol) {
		return false
	}
	return diffMatchAll(len(a)-1, len(b)-1, func(i, j int) bool { return diffSameRing(a[i+1], b[j+1], tol) })
}

// diffCleanPath drops the closing vertex of a ring (closed) and vertices
// within tol of their predecessor.
func diffCleanPath(pts []orb.Point, closed bool, tol float64) []orb.Point {
	out := make([]orb.Point, 0, len(pts))
	for _, p := range pts {
		if len(out) > 0 && diffNear(out[len(out)-1], p, tol) {
			continue
		}
		out = append(out, p)
	}
	if closed && len(out) > 1 && diffNear(out[0], out[len(out)-1], tol) {
		out = out[:len(out)-1]
	}
	return out
}

// diffSameRing matches two rings from any start vertex, in either direction.
func diffSameRing(a, b orb.Ring, tol float64) bool {
	ca, cb := diffCleanPath(a, true, tol), diffCleanPath(b, true, tol)
	n := len(ca)
	if n != len(cb) {
		return false
	}
	if n == 0 {
		return true
	}
	for k := 0; k < n; k++ {
		if !diffNear(ca[0], cb[k], tol) {
			continue
		}
		fwd, back := true, true
		for i := 1; i < n && (fwd || back); i++ {
			fwd = fwd && diffNear(ca[i], cb[(k+i)%n], tol)
			back = back && diffNear(ca[i], cb[(k-i+n)%n], tol)
		}
		if fwd || back {
			return true
		}
	}
	return false
}

// diffSameLine matches two lines in either direction.
func diffSameLine(a, b orb.LineString, tol float64) bool {
	ca, cb := diffCleanPath(a, false, tol), diffCleanPath(b, false, tol)
	n := len(ca)
	if n != len(cb) {
		return false
	}
	fwd, back := true, true
	for i := 0; i < n && (fwd || back); i++ {
		fwd = fwd && diffNear(ca[i], cb[i], tol)
		back = back && diffNear(ca[i], cb[n-1-i], tol)
	}
	return fwd || back
}

func diffPtr(x float64) *float64 { return &x }

func diffRound2(x float64) float64 { return math.Round(x*100) / 100 }

// diffHectares writes an area in m² as 公顷 with two decimals and grouped
// digits: "2,678.45 公顷".
func diffHectares(m2 float64) string { return diffGroupDigits(m2/10000, 2) + " 公顷" }

// diffSigned writes x with an explicit sign and grouped digits: "+133.85",
// "−1,338,500.0".
func diffSigned(x float64, decimals int) string {
	s := diffGroupDigits(math.Abs(x), decimals)
	if math.Round(x*math.Pow10(decimals)) < 0 {
		return "−" + s
	}
	return "+" + s
}

// diffGroupDigits formats x with the given decimals and a comma every three
// integer digits.
func diffGroupDigits(x float64, decimals int) string {
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	for i, ch := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	out := b.String() + frac
	if neg && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return out
}
