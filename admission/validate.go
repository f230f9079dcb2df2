package admission

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/parallel"
)

// Problem is one validation finding, located by layer, feature id and,
// when known, a position.
type Problem struct {
	Layer string `json:"layer"`
	// Feature is the feature's id; a feature without one is "#N", its
	// position in the layer counted from 1.
	Feature string `json:"feature,omitempty"`
	Code    string `json:"code"`
	// Severity is SeverityError or SeverityWarning in a Report; it is
	// empty in a ValidationError, where every problem is an error.
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message"`
	Path     string `json:"path,omitempty"`
	// Location is a point [lon, lat] at the problem: the offending
	// vertex, or a point inside a gap, overlap or stray piece.
	Location *[2]float64 `json:"location,omitempty"`
	// AreaM2 is the geodesic area of a gap, an overlap or the part of a
	// unit outside the districts.
	AreaM2 float64 `json:"area_m2,omitempty"`
	// Related lists other features involved: the other unit of an
	// overlap, the district holding a gap, the clauses using a retired
	// county code.
	Related []string `json:"related,omitempty"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Layer)
	if p.Feature != "" {
		b.WriteString("/" + p.Feature)
	}
	if p.Path != "" {
		b.WriteString(" " + p.Path)
	}
	if p.Location != nil {
		fmt.Fprintf(&b, " @(%g, %g)", p.Location[0], p.Location[1])
	}
	if p.AreaM2 > 0 {
		b.WriteString(" " + formatArea(p.AreaM2))
	}
	b.WriteString(": " + p.Message)
	return b.String()
}

// ValidationError lists every problem that stops a dataset from loading.
type ValidationError struct {
	Problems []Problem
}

// maxListed bounds how many problems Error() spells out.
const maxListed = 20

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "数据集校验未通过，共 %d 个问题：", len(e.Problems))
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  …另有 %d 个问题", len(e.Problems)-maxListed)
			break
		}
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Problem codes of dataset validation, stable for programs. Geometry
// problems use the geo.Code… values.
const (
	CodeManifest      = "manifest"
	CodeDuplicateID   = "duplicate_id"
	CodeMissingID     = "missing_id"
	CodeLayer         = "invalid_layer"
	CodeKindMismatch  = "geometry_kind_mismatch"
	CodeUnitCode      = "malformed_unit_code"
	CodeUnitCategory  = "category_mismatch"
	CodeDuplicateLyr  = "duplicate_layer"
	maxDatasetVertice = 50_000_000
)

// Problem codes added by ValidateDataset, stable for programs.
const (
	// CodeInvalidClause: a clause of the rules is malformed or names a
	// unit, district or layer the dataset lacks (error).
	CodeInvalidClause = "invalid_clause"
	// CodeOverlap: two features of a partition layer overlap by at least
	// the sliver tolerance (error).
	CodeOverlap = "partition_overlap"
	// CodeGap: a piece of territory that no feature of a partition layer
	// covers (warning).
	CodeGap = "partition_gap"
	// CodeUnitOutside: a control unit lies less than MinInsideShare inside
	// the districts layer, or its code names a county that is not a
	// district of the dataset (warning).
	CodeUnitOutside = "unit_outside_districts"
	// CodeUnitPartlyOutside: a control unit mostly inside the districts
	// layer has pieces outside it (warning).
	CodeUnitPartlyOutside = "unit_partly_outside_districts"
	// CodeRetiredCounty: a unit code, district id or clause scope uses a
	// retired GB/T 2260 county code (see RetiredCounty) (warning).
	CodeRetiredCounty = "retired_county_code"
	// CodeUnitWithoutClauses: a control unit has no unit-level clause in
	// a dataset that has rules (warning).
	CodeUnitWithoutClauses = "unit_without_clauses"
	// CodeTinyRing: a ring of a valid polygon encloses less than the
	// sliver tolerance, a near-degenerate ring left by digitising (an
	// exactly degenerate one is a geometry error) (warning).
	CodeTinyRing = "tiny_ring"
	// CodeCheckFailed: a check could not be run (the geometry library
	// failed on an overlay); what it would have found is unknown.
	CodeCheckFailed = "check_failed"
)

// Severities of a Problem in a Report.
const (
	SeverityError   = "error"   // stops an import or a load
	SeverityWarning = "warning" // reported; the dataset can still be used
)

// DefaultSliverM2 is the sliver tolerance of ValidateDataset: gap,
// overlap and outside pieces smaller than 1 m² are ignored.
const DefaultSliverM2 = 1.0

// ValidateOptions tune ValidateDataset and CheckPartition. The zero value
// is ready to use.
type ValidateOptions struct {
	// SliverM2 is the sliver tolerance in m² (geodesic): gap, overlap and
	// outside pieces smaller than this are ignored (counted in the stats).
	// Zero, negative, NaN or +Inf means DefaultSliverM2: overlays of
	// boundaries digitised twice give tiny pieces from rounding, so there
	// is no "report everything"; use e.g. 0.01 to see small pieces.
	SliverM2 float64
	// Industries is the GB/T 4754-2017 classification the clauses'
	// industry codes are checked against; nil means the embedded one.
	Industries *Industries
	// Workers bounds the goroutines of the geometry and overlay checks;
	// zero or negative means GOMAXPROCS, one runs them all on the calling
	// goroutine.
	Workers int
}

func (o ValidateOptions) sliver() float64 {
	if !(o.SliverM2 > 0) || math.IsInf(o.SliverM2, 1) {
		return DefaultSliverM2
	}
	return o.SliverM2
}

// Report is the outcome of ValidateDataset: errors stop an import or a
// load, warnings do not. Both lists are never nil, ordered by check, then
// (for gaps and overlaps) by decreasing area.
type Report struct {
	Dataset  DatasetRef  `json:"dataset"`
	Errors   []Problem   `json:"errors"`
	Warnings []Problem   `json:"warnings"`
	Stats    ReportStats `json:"stats"`
}

// ReportStats sums up what ValidateDataset looked at.
type ReportStats struct {
	Layers   int `json:"layers"`
	Features int `json:"features"`
	Vertices int `json:"vertices"`
	Clauses  int `json:"clauses"`
	// SliverM2 is the sliver tolerance used.
	SliverM2 float64 `json:"sliver_m2"`
	// Partitions has one entry per polygon layer of role partition.
	Partitions []PartitionStats `json:"partitions"`
}

func newReport(opts ValidateOptions) Report {
	return Report{Errors: []Problem{}, Warnings: []Problem{}, Stats: ReportStats{SliverM2: opts.sliver(), Partitions: []PartitionStats{}}}
}

// OK reports whether the dataset has no errors (warnings allowed).
func (r Report) OK() bool { return len(r.Errors) == 0 }

// Err returns the errors as a *ValidationError, or nil when there are
// none, so that an import or a load can refuse the dataset as Validate
// does.
func (r Report) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	return &ValidationError{Problems: r.Errors}
}

func (r *Report) fail(ps ...Problem) {
	for _, p := range ps {
		p.Severity = SeverityError
		r.Errors = append(r.Errors, p)
	}
}

func (r *Report) warn(ps ...Problem) {
	for _, p := range ps {
		p.Severity = SeverityWarning
		r.Warnings = append(r.Warnings, p)
	}
}

// ValidateDataset runs every check on a dataset and reports errors and
// warnings instead of failing on the first kind:
//
//   - errors: everything Validate finds (manifest, layer ids, roles and
//     kinds, feature ids, unit codes and category digits, geometry
//     validity), the rules' problems (malformed clauses; a unit, district
//     or layer scope that names nothing in the dataset), and overlaps
//     between features of a partition layer (CodeOverlap);
//   - warnings: gaps in partition layers (CodeGap), control units outside
//     or partly outside the districts (CodeUnitOutside,
//     CodeUnitPartlyOutside), retired county codes in unit codes,
//     district ids and clause scopes (CodeRetiredCounty), control units
//     without unit-level clauses when the dataset has rules
//     (CodeUnitWithoutClauses), rings of valid polygons enclosing less
//     than the sliver tolerance (CodeTinyRing), and overlays that could
//     not be computed (CodeCheckFailed).
//
// The overlay checks (see CheckPartition) run on every polygon layer of
// role partition, leaving out features with invalid geometry. The
// control-unit layer's gaps are measured against the districts layer when
// the dataset has one with sound geometries (units must tile the
// districts); other partition layers, and the units without usable
// districts, are checked for holes in their own union. ValidateDataset
// does not modify its arguments and is safe for concurrent use.
func ValidateDataset(info Info, layers []Layer, rules Rules, opts ValidateOptions) Report {
	r := newReport(opts)
	r.Dataset = DatasetRef{Name: info.Name, Version: info.Version, Checksum: info.Checksum, Synthetic: info.Synthetic}
	probs, geomOK := validate(info, layers, opts.Workers)
	r.fail(probs...)

	ind := opts.Industries
	if ind == nil {
		var err error
		if ind, err = NewIndustries(); err != nil {
			r.fail(Problem{Layer: "rules", Code: CodeCheckFailed, Message: fmt.Sprintf("无法读取内置的行业分类，条款未能核查：%v", err)})
		}
	}
	if ind != nil {
		r.fail(validateClauses(rules, layers, ind)...)
	}

	// Overlay checks of the partition layers.
	var districts *partitionLayer
	unusable := false // a districts layer with invalid geometries
	for i := range layers {
		l := &layers[i]
		if l.ID == LayerDistricts && l.Kind == KindPolygon && len(l.Features) > 0 {
			if allTrue(geomOK[i]) {
				districts = newPartitionLayer(l, geomOK[i], opts.Workers)
			} else {
				unusable = true
			}
		}
	}
	for i := range layers {
		l := &layers[i]
		if l.Role != RolePartition || l.Kind != KindPolygon {
			continue
		}
		var cover *partitionLayer
		if l.ID == LayerControlUnits {
			cover = districts
			if cover == nil && unusable {
				r.warn(Problem{Layer: l.ID, Code: CodeCheckFailed,
					Message: "区县图层有无效几何，未能核查管控单元是否铺满各区县、是否位于区县之外；空隙只按单元自身的外轮廓查找（只能发现内部空洞）"})
			}
		}
		p := newPartitionLayer(l, geomOK[i], opts.Workers)
		if l.ID == LayerDistricts && districts != nil {
			p = districts
		}
		r.Stats.Partitions = append(r.Stats.Partitions, p.check(cover, opts.sliver(), &r))
	}

	r.warn(tinyRings(layers, geomOK, opts.sliver())...)
	r.warn(checkCounties(layers, rules)...)
	r.warn(unitsWithoutClauses(layers, rules)...)

	r.Stats.Layers = len(layers)
	r.Stats.Clauses = len(rules.Clauses)
	for _, l := range layers {
		r.Stats.Features += len(l.Features)
		for _, f := range l.Features {
			if f.Geometry != nil {
				r.Stats.Vertices += geo.CountVertices(f.Geometry)
			}
		}
	}
	return r
}

func allTrue(bs []bool) bool {
	for _, b := range bs {
		if !b {
			return false
		}
	}
	return true
}

// checkCounties looks at the county codes of unit codes, district ids and
// clause scopes: retired codes (with the current one), and unit codes
// naming a county the districts layer lacks.
func checkCounties(layers []Layer, rules Rules) []Problem {
	var probs []Problem
	var units, districts *Layer
	for i := range layers {
		switch layers[i].ID {
		case LayerControlUnits:
			units = &layers[i]
		case LayerDistricts:
			districts = &layers[i]
		}
	}
	isDistrict := map[string]bool{}
	if districts != nil {
		for _, f := range districts.Features {
			isDistrict[f.ID] = true
			if c, ok := RetiredCounty(f.ID); ok {
				probs = append(probs, Problem{Layer: districts.ID, Feature: f.ID, Code: CodeRetiredCounty, Related: []string{c.New},
					Message: fmt.Sprintf("区县代码 %s；请改用现行代码（区县图层、单元编码和区县条款须一并修改）", c.describe())})
			}
		}
	}
	unitClauses := map[string]int{}
	for _, c := range rules.Clauses {
		if c.Level == LevelUnit {
			unitClauses[c.Scope.Unit]++
		}
	}
	hasUnit := map[string]bool{}
	if units != nil {
		for _, f := range units.Features {
			hasUnit[f.ID] = true
			m := unitCodeRe.FindStringSubmatch(f.ID)
			if m == nil {
				continue // malformed: an error already
			}
			county := m[1]
			if c, ok := RetiredCounty(county); ok {
				msg := fmt.Sprintf("编码中的区县代码 %s；编码应改为 ZH%s%s%s", c.describe(), c.New, m[2], m[3])
				if n := unitClauses[f.ID]; n > 0 {
					msg += fmt.Sprintf("，规则中 %d 条单元条款的 scope.unit 须一并修改", n)
				}
				probs = append(probs, Problem{Layer: units.ID, Feature: f.ID, Code: CodeRetiredCounty, Related: []string{c.New}, Message: msg})
				if districts == nil || isDistrict[county] || isDistrict[c.New] {
					continue
				}
			}
			if districts != nil && !isDistrict[county] {
				probs = append(probs, Problem{Layer: units.ID, Feature: f.ID, Code: CodeUnitOutside, Related: []string{county},
					Message: fmt.Sprintf("编码中的区县代码 %s 不是区县图层中的要素（若单元属于经开区、新区等非区县管理区，可忽略）", county)})
			}
		}
	}
	// Clause scopes: one warning per retired code, listing the clauses.
	byCode := map[string][]string{}
	var codes []string
	use := func(code, clause string) {
		if _, ok := RetiredCounty(code); !ok {
			return
		}
		if _, seen := byCode[code]; !seen {
			codes = append(codes, code)
		}
		byCode[code] = append(byCode[code], clause)
	}
	for _, c := range rules.Clauses {
		switch c.Level {
		case LevelDistrict:
			use(c.Scope.County, c.ID)
		case LevelUnit:
			if hasUnit[c.Scope.Unit] {
				continue // the unit's own warning counts its clauses
			}
			if m := unitCodeRe.FindStringSubmatch(c.Scope.Unit); m != nil {
				use(m[1], c.ID)
			}
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		c, _ := RetiredCounty(code)
		ids := byCode[code]
		probs = append(probs, Problem{Layer: "rules", Code: CodeRetiredCounty, Related: ids,
			Message: fmt.Sprintf("%d 条条款的范围（scope）使用的区县代码 %s；请改用现行代码", len(ids), c.describe())})
	}
	return probs
}

// tinyRings lists the rings of valid polygon features that enclose less
// than sliver square metres (geodesic), located at the ring's first
// position.
func tinyRings(layers []Layer, geomOK [][]bool, sliver float64) []Problem {
	var probs []Problem
	for i, l := range layers {
		if l.Kind != KindPolygon {
			continue
		}
		for j, f := range l.Features {
			if !geomOK[i][j] {
				continue
			}
			for k, p := range geo.AsMultiPolygon(f.Geometry) {
				for n, ring := range p {
					if len(ring) == 0 {
						continue
					}
					a := geo.Area(orb.Polygon{ring})
					if a >= sliver {
						continue
					}
					what := "外环"
					if n > 0 {
						what = "内环（洞）"
					}
					probs = append(probs, Problem{Layer: l.ID, Feature: f.ID, Code: CodeTinyRing, Path: fmt.Sprintf("polygon[%d].ring[%d]", k, n), AreaM2: a,
						Location: &[2]float64{ring[0][0], ring[0][1]},
						Message:  fmt.Sprintf("%s面积仅 %.4g m²，小于碎片容差 %g m²：多为数字化残留的退化环，请核实后删除", what, a, sliver)})
				}
			}
		}
	}
	return probs
}

// unitsWithoutClauses lists the control units that no unit-level clause
// names, when the dataset has rules at all.
func unitsWithoutClauses(layers []Layer, rules Rules) []Problem {
	if len(rules.Clauses) == 0 {
		return nil
	}
	named := map[string]bool{}
	for _, c := range rules.Clauses {
		if c.Level == LevelUnit {
			named[c.Scope.Unit] = true
		}
	}
	var probs []Problem
	for _, l := range layers {
		if l.ID != LayerControlUnits {
			continue
		}
		for _, f := range l.Features {
			if f.ID != "" && !named[f.ID] {
				probs = append(probs, Problem{Layer: l.ID, Feature: f.ID, Code: CodeUnitWithoutClauses,
					Message: "规则中没有该单元的单元级条款（一单元一策略）；核查时只能给出全市和区县层级的结论"})
			}
		}
	}
	return probs
}

// unitCodeRe is ZH + 6-digit county code + category digit + 4-digit serial.
var unitCodeRe = regexp.MustCompile(`^ZH(\d{6})([123])(\d{4})$`)

// CategoryDigit returns the code digit of a control-unit category (1, 2,
// 3) and false for anything else.
func CategoryDigit(category string) (byte, bool) {
	switch category {
	case CategoryPriority:
		return '1', true
	case CategoryKey:
		return '2', true
	case CategoryGeneral:
		return '3', true
	}
	return 0, false
}

// Validate checks a dataset before indexing and returns a
// *ValidationError listing every problem: manifest fields, layer ids,
// roles and kinds, feature ids (present, unique per layer), control-unit
// codes (ZH + county + category digit matching the category + serial),
// geometry kinds, and every geometry by geo.ValidateSite's rules (closed
// rings, finite in-range coordinates, no self-intersection, …). It
// returns nil when the dataset is sound.
func Validate(info Info, layers []Layer) error {
	probs, _ := validate(info, layers, 0)
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: probs}
}

// validate returns Validate's problems and, per layer and feature,
// whether the feature's geometry is sound; workers bounds the goroutines
// of the geometry checks (parallel.For).
func validate(info Info, layers []Layer, workers int) ([]Problem, [][]bool) {
	var probs []Problem
	geomOK := make([][]bool, len(layers))
	add := func(p Problem) { probs = append(probs, p) }
	if strings.TrimSpace(info.Name) == "" {
		add(Problem{Layer: "dataset.json", Code: CodeManifest, Message: "缺少数据集名称 name"})
	}
	if strings.TrimSpace(info.Version) == "" {
		add(Problem{Layer: "dataset.json", Code: CodeManifest, Message: "缺少版本号 version"})
	}
	if info.CRS != "EPSG:4490" {
		add(Problem{Layer: "dataset.json", Code: CodeManifest, Message: fmt.Sprintf("坐标系 crs 为 %q，应为 EPSG:4490（CGCS2000 经纬度）", info.CRS)})
	}
	if len(layers) == 0 {
		add(Problem{Layer: "dataset.json", Code: CodeManifest, Message: "数据集没有图层"})
	}
	seenLayer := map[string]bool{}
	for i, l := range layers {
		if l.ID == "" {
			add(Problem{Layer: "?", Code: CodeLayer, Message: "图层缺少 id"})
		} else if seenLayer[l.ID] {
			add(Problem{Layer: l.ID, Code: CodeDuplicateLyr, Message: "图层 id 重复"})
		}
		seenLayer[l.ID] = true
		if !l.Role.Valid() {
			add(Problem{Layer: l.ID, Code: CodeLayer, Message: fmt.Sprintf("图层角色 role=%q 无效，应为 partition、sensitive 或 reference", l.Role)})
		}
		if l.Kind != KindPolygon && l.Kind != KindLine && l.Kind != KindPoint {
			add(Problem{Layer: l.ID, Code: CodeLayer, Message: fmt.Sprintf("几何类别 kind=%q 无效，应为 polygon、line 或 point", l.Kind)})
		}
		fp, ok := validateFeatures(l, workers)
		probs = append(probs, fp...)
		geomOK[i] = ok
	}
	return probs, geomOK
}

func kindOf(g orb.Geometry) Kind {
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
		return KindPolygon
	case orb.LineString, orb.MultiLineString:
		return KindLine
	case orb.Point, orb.MultiPoint:
		return KindPoint
	}
	return ""
}

// validateFeatures returns the problems of l's features and, per
// feature, whether its geometry is sound.
func validateFeatures(l Layer, workers int) ([]Problem, []bool) {
	var probs []Problem
	seen := make(map[string]bool, len(l.Features))
	for i, f := range l.Features {
		switch {
		case f.ID == "":
			probs = append(probs, Problem{Layer: l.ID, Feature: fmt.Sprintf("#%d", i+1), Code: CodeMissingID, Message: fmt.Sprintf("图层中第 %d 个要素缺少 id", i+1)})
		case seen[f.ID]:
			probs = append(probs, Problem{Layer: l.ID, Feature: f.ID, Code: CodeDuplicateID, Message: "要素 id 在图层内重复"})
		}
		seen[f.ID] = true
		if l.ID == LayerControlUnits && f.ID != "" { // a missing id is reported above
			probs = append(probs, checkUnitCode(l.ID, f)...)
		}
	}
	// Geometry checks are the costly part: spread them over the cores and
	// report in feature order.
	geomProbs := make([]*Problem, len(l.Features))
	parallel.For(workers, len(l.Features), func(i int) {
		geomProbs[i] = checkGeometry(l, l.Features[i])
	})
	ok := make([]bool, len(geomProbs))
	for i, p := range geomProbs {
		if p != nil {
			probs = append(probs, *p)
		}
		ok[i] = p == nil
	}
	return probs, ok
}

func checkUnitCode(layer string, f Feature) []Problem {
	m := unitCodeRe.FindStringSubmatch(f.ID)
	if m == nil {
		return []Problem{{Layer: layer, Feature: f.ID, Code: CodeUnitCode,
			Message: "环境管控单元编码应为 13 位：ZH + 6 位区县代码 + 类别位（1/2/3）+ 4 位序号，如 ZH50010110001"}}
	}
	d, ok := CategoryDigit(f.Category)
	if !ok {
		return []Problem{{Layer: layer, Feature: f.ID, Code: CodeUnitCategory,
			Message: fmt.Sprintf("单元类别 %q 无效，应为 %s、%s 或 %s", f.Category, CategoryPriority, CategoryKey, CategoryGeneral)}}
	}
	if m[2][0] != d {
		return []Problem{{Layer: layer, Feature: f.ID, Code: CodeUnitCategory,
			Message: fmt.Sprintf("编码类别位为 %s，与单元类别「%s」（应为 %c）不符", m[2], f.Category, d)}}
	}
	return nil
}

func checkGeometry(l Layer, f Feature) *Problem {
	if f.Geometry == nil {
		return &Problem{Layer: l.ID, Feature: f.ID, Code: geo.CodeEmpty, Message: "要素没有几何"}
	}
	if k := kindOf(f.Geometry); k != l.Kind {
		return &Problem{Layer: l.ID, Feature: f.ID, Code: CodeKindMismatch, Location: middle(f.Geometry),
			Message: fmt.Sprintf("几何类型 %s 与图层类别 %s 不符", f.Geometry.GeoJSONType(), l.Kind)}
	}
	err := geo.ValidateSite(f.Geometry, geo.Limits{MaxVertices: maxDatasetVertice})
	if err == nil {
		return nil
	}
	p := &Problem{Layer: l.ID, Feature: f.ID, Code: geo.CodeInvalidPolygon, Message: err.Error()}
	if ge, ok := err.(*geo.GeometryError); ok {
		p.Code, p.Message, p.Path = ge.Code, ge.Message, ge.Path
		if ge.Point != nil {
			p.Location = &[2]float64{ge.Point[0], ge.Point[1]}
		}
	}
	if p.Location == nil {
		p.Location = middle(f.Geometry)
	}
	return p
}

// middle is the centre of g's bound, nil when g has no position (an
// empty polygon's bound is the point 0, 0) or one that is not finite.
func middle(g orb.Geometry) *[2]float64 {
	if geo.CountVertices(g) == 0 {
		return nil
	}
	c := g.Bound().Center()
	if math.IsNaN(c[0]) || math.IsNaN(c[1]) || math.IsInf(c[0], 0) || math.IsInf(c[1], 0) {
		return nil
	}
	return &[2]float64{c[0], c[1]}
}
