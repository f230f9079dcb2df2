package admission

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/geo"
)

// Problem is one validation finding, located by layer, feature id and,
// when known, a position.
type Problem struct {
	Layer    string      `json:"layer"`
	Feature  string      `json:"feature,omitempty"`
	Code     string      `json:"code"`
	Message  string      `json:"message"`
	Path     string      `json:"path,omitempty"`
	Location *[2]float64 `json:"location,omitempty"`
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
	var probs []Problem
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
	for _, l := range layers {
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
		probs = append(probs, validateFeatures(l)...)
	}
	if len(probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: probs}
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

func validateFeatures(l Layer) []Problem {
	var probs []Problem
	seen := make(map[string]bool, len(l.Features))
	for i, f := range l.Features {
		switch {
		case f.ID == "":
			probs = append(probs, Problem{Layer: l.ID, Feature: fmt.Sprintf("#%d", i), Code: CodeMissingID, Message: "要素缺少 id"})
		case seen[f.ID]:
			probs = append(probs, Problem{Layer: l.ID, Feature: f.ID, Code: CodeDuplicateID, Message: "要素 id 在图层内重复"})
		}
		seen[f.ID] = true
		if l.ID == LayerControlUnits {
			probs = append(probs, checkUnitCode(l.ID, f)...)
		}
	}
	// Geometry checks are the costly part: spread them over the cores and
	// report in feature order.
	geomProbs := make([]*Problem, len(l.Features))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				geomProbs[i] = checkGeometry(l, l.Features[i])
			}
		}()
	}
	for i := range l.Features {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, p := range geomProbs {
		if p != nil {
			probs = append(probs, *p)
		}
	}
	return probs
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
		return &Problem{Layer: l.ID, Feature: f.ID, Code: CodeKindMismatch,
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
		c := f.Geometry.Bound().Center()
		p.Location = &[2]float64{c[0], c[1]}
	}
	return p
}
