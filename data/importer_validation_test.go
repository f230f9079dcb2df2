package data

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// wantProblem is a problem the validation of an import must report.
type wantProblem struct {
	code     string
	severity string // admission.SeverityError or admission.SeverityWarning
	layer    string
	feature  string
	related  []string   // exactly these (nil: none)
	loc      *orb.Point // nil: the problem must have no location
	area     float64    // the problem's AreaM2 within 0.5 % (0: none)
	path     string     // the problem's Path, when not empty
	phrases  []string   // phrases of the message
}

func wantError(code, layer, feature string) wantProblem {
	return wantProblem{code: code, severity: admission.SeverityError, layer: layer, feature: feature}
}

func wantWarning(code, layer, feature string) wantProblem {
	return wantProblem{code: code, severity: admission.SeverityWarning, layer: layer, feature: feature}
}

func (w wantProblem) at(lon, lat float64) wantProblem     { w.loc = &orb.Point{lon, lat}; return w }
func (w wantProblem) measuring(m2 float64) wantProblem    { w.area = m2; return w }
func (w wantProblem) relatedTo(ids ...string) wantProblem { w.related = ids; return w }
func (w wantProblem) onPath(path string) wantProblem      { w.path = path; return w }
func (w wantProblem) saying(phrase string) wantProblem {
	w.phrases = append(slices.Clip(w.phrases), phrase)
	return w
}

// matches says whether p is the problem w is about (its other fields are
// then asserted by assertProblem).
func (w wantProblem) matches(p admission.Problem) bool {
	if p.Code != w.code || p.Layer != w.layer || p.Feature != w.feature || len(p.Related) != len(w.related) {
		return false
	}
	for i := range w.related {
		if p.Related[i] != w.related[i] {
			return false
		}
	}
	return true
}

var hanRe = regexp.MustCompile(`\p{Han}`)

func assertProblem(t *testing.T, w wantProblem, p admission.Problem) {
	t.Helper()
	assert.Equal(t, w.code, p.Code, p.String())
	assert.Equal(t, w.severity, p.Severity, p.String())
	assert.Equal(t, w.layer, p.Layer, p.String())
	assert.Equal(t, w.feature, p.Feature, p.String())
	if w.loc == nil {
		assert.Nil(t, p.Location, "%s: no location expected", p)
	} else if assert.NotNil(t, p.Location, "%s: location expected", p) {
		assert.InDelta(t, w.loc[0], p.Location[0], 1e-9, "%s: longitude", p)
		assert.InDelta(t, w.loc[1], p.Location[1], 1e-9, "%s: latitude", p)
	}
	if w.area == 0 {
		assert.Zero(t, p.AreaM2, p.String())
	} else {
		assert.InEpsilon(t, w.area, p.AreaM2, 0.005, p.String())
	}
	if w.path != "" {
		assert.Equal(t, w.path, p.Path, p.String())
	}
	assert.Regexp(t, hanRe, p.Message, "messages are for people, in Chinese")
	assert.NotRegexp(t, `^(geo|crs|admission): `, p.Message, "no Go error prefix")
	for _, phrase := range w.phrases {
		assert.Contains(t, p.Message, phrase)
	}
}

// assertProblems checks a report against the wanted problems: the errors
// are exactly the wanted errors, in order; each wanted warning is among
// the warnings once (other warnings, e.g. unit_without_clauses of the
// fixture's units without clauses, are allowed).
func assertProblems(t *testing.T, rep admission.Report, want []wantProblem) {
	t.Helper()
	var wantErrs []wantProblem
	for _, w := range want {
		if w.severity == admission.SeverityError {
			wantErrs = append(wantErrs, w)
		}
	}
	require.Len(t, rep.Errors, len(wantErrs), "errors: %v", rep.Errors)
	for i, w := range wantErrs {
		require.True(t, w.matches(rep.Errors[i]), "error %d: want %s %s/%s %v, got %s (%s)", i, w.code, w.layer, w.feature, w.related, rep.Errors[i].Code, rep.Errors[i])
		assertProblem(t, w, rep.Errors[i])
	}
	for _, w := range want {
		if w.severity == admission.SeverityError {
			for _, p := range rep.Warnings {
				assert.False(t, w.matches(p), "%s is also a warning: %s", w.code, p)
			}
			continue
		}
		var found []admission.Problem
		for _, p := range rep.Warnings {
			if w.matches(p) {
				found = append(found, p)
			}
		}
		require.Len(t, found, 1, "want one warning %s %s/%s %v among %v", w.code, w.layer, w.feature, w.related, rep.Warnings)
		assertProblem(t, w, found[0])
	}
}

// importInputs writes the inputs of a case into dir and returns them with
// the import options.
type importInputs func(t *testing.T, dir string) ([]string, ImportOptions)

// unitsWith is unitsFixture (GBK, CGCS2000 .prj) with fresh rows and
// parts, changed by edit (nil: as is).
func unitsWith(edit func(fx *shpFixture)) shpFixture {
	fx := unitsFixture(true, prjCGCS2000, "936")
	fx.parts = append([][][]orb.Point(nil), fx.parts...)
	if edit != nil {
		edit(&fx)
	}
	return fx
}

// addUnit appends a control unit of one ring, without clauses, to fx.
func addUnit(fx *shpFixture, code string, ring []orb.Point) {
	fx.rows = append(fx.rows, []any{code, "新增单元", int(code[8] - '0'), "万州区", "", ""})
	fx.parts = append(fx.parts, [][]orb.Point{ring})
}

// districtsWith is districtFixture (UTF-8, CGCS2000 .prj) changed by edit.
func districtsWith(edit func(fx *shpFixture)) shpFixture {
	fx := districtFixture(false, prjCGCS2000, "UTF-8")
	if edit != nil {
		edit(&fx)
	}
	return fx
}

// unitsOnly imports the units fixture changed by edit.
func unitsOnly(edit func(fx *shpFixture)) importInputs {
	return func(t *testing.T, dir string) ([]string, ImportOptions) {
		return []string{writeShp(t, dir, "units", unitsWith(edit))}, ImportOptions{}
	}
}

// unitsAndDistricts imports the units and the districts fixtures, changed
// by editUnits and editDistricts, and the access list csv when not empty.
func unitsAndDistricts(editUnits, editDistricts func(fx *shpFixture), csv string) importInputs {
	return func(t *testing.T, dir string) ([]string, ImportOptions) {
		var opts ImportOptions
		if csv != "" {
			opts.AccessList = writeText(t, dir, "准入清单.csv", csv)
		}
		return []string{writeShp(t, dir, "units", unitsWith(editUnits)), writeShp(t, dir, "districts", districtsWith(editDistricts))}, opts
	}
}

// oneFile imports one text file (GeoJSON, KML).
func oneFile(name, text string) importInputs {
	return func(t *testing.T, dir string) ([]string, ImportOptions) {
		return []string{writeText(t, dir, name, text)}, ImportOptions{}
	}
}

func writeText(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

// redlineWith is a GeoJSON eco red line layer of one feature HX1 of the
// given geometry.
func redlineWith(geometry string) string {
	return `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"生态保护红线编码":"HX1","生态保护红线名称":"测试红线"},"geometry":` + geometry + `}]}`
}

// A square of 0.01° at 29.5°N is about 1.074 km² (CGCS2000, geodesic).
const cellM2 = 1.0740e6

// importValidationCases import one broken input (or set of inputs) per
// problem the dataset validation can report. Every code of
// admission/validate.go and geo/validate.go is covered (see
// TestImportValidationCoverage) except:
//
//   - invalid_layer and duplicate_layer: the importer makes the layers
//     itself, one per id, from the built-in table or a mapping entry, and
//     ParseMapping refuses an id, role or kind that is not valid;
//   - unsupported_geometry_type: a feature's geometry kind is checked
//     against its layer's before geo.ValidateSite runs, so a geometry of
//     another type is geometry_kind_mismatch (and a GeoJSON
//     GeometryCollection is flattened when read, or refused);
//   - too_many_vertices: the limit of a dataset feature is 50,000,000
//     vertices (800 MB of coordinates), too big for a test file.
//
// manifest cannot come from `sanxian import`, which refuses to start
// without a name and a version, but does from ReadImport. check_failed is
// provoked by a districts layer with an invalid geometry; the other
// check_failed problems (an overlay the geometry library fails on, an
// unreadable embedded industry classification) have no input known to
// cause them.
func importValidationCases() []struct {
	name   string
	inputs importInputs
	want   []wantProblem
} {
	const units, districts = admission.LayerControlUnits, admission.LayerDistricts
	bowtie := []orb.Point{{106.50, 29.50}, {106.50, 29.60}, {106.55, 29.50}, {106.55, 29.60}, {106.50, 29.50}}
	u4 := func(ring ...[]orb.Point) func(fx *shpFixture) {
		return func(fx *shpFixture) { fx.parts[3] = ring }
	}
	u4ring := rect(106.55, 29.54, 106.60, 29.56, true)
	return []struct {
		name   string
		inputs importInputs
		want   []wantProblem
	}{
		// Feature ids and unit codes.
		{"bad category", unitsOnly(func(fx *shpFixture) { fx.rows[1][2] = 5 }),
			[]wantProblem{wantError(admission.CodeUnitCategory, units, "ZH50010120001").saying("单元类别 \"5\" 无效")}},
		{"category against code", unitsOnly(func(fx *shpFixture) { fx.rows[1][2] = 1 }),
			[]wantProblem{wantError(admission.CodeUnitCategory, units, "ZH50010120001").saying("编码类别位为 2")}},
		{"malformed code", unitsOnly(func(fx *shpFixture) { fx.rows[1][0] = "ZH5001012001" }),
			[]wantProblem{wantError(admission.CodeUnitCode, units, "ZH5001012001")}},
		{"duplicate id", unitsOnly(func(fx *shpFixture) { fx.rows[3][0] = "ZH50010130001" }),
			[]wantProblem{wantError(admission.CodeDuplicateID, units, "ZH50010130001")}},
		// An empty code cell: missing, not also malformed.
		{"missing id", unitsOnly(func(fx *shpFixture) { fx.rows[1][0] = "" }),
			[]wantProblem{wantError(admission.CodeMissingID, units, "#2")}},
		{"manifest without version", func(t *testing.T, dir string) ([]string, ImportOptions) {
			info := testInfo()
			info.Version = ""
			return []string{writeShp(t, dir, "units", unitsWith(nil))}, ImportOptions{Info: info}
		}, []wantProblem{wantError(admission.CodeManifest, "dataset.json", "").saying("version")}},

		// Geometries of a shapefile.
		{"self-intersection", unitsOnly(u4(bowtie)),
			[]wantProblem{wantError(geo.CodeSelfIntersect, units, "ZH50010130002").at(106.525, 29.55).onPath("polygon[0].ring[0]")}},
		// Edges and vertices are numbered as in the file: the ring is
		// clockwise (a shapefile's outer ring) and is validated before it is
		// turned counter-clockwise for writing.
		{"self-intersection numbered as written", unitsOnly(u4([]orb.Point{{106.55, 29.54}, {106.55, 29.56}, {106.60, 29.56}, {106.60, 29.54}, {106.57, 29.565}, {106.55, 29.54}})),
			[]wantProblem{wantError(geo.CodeSelfIntersect, units, "ZH50010130002").at(106.566, 29.56).onPath("polygon[0].ring[0]").
				saying("第 2 条边（第 2→3 个顶点）与第 5 条边（第 5→6 个顶点）")}},
		// A record of three parts — two outer rings, then a hole of the
		// second one that crosses itself: in the dataset it is ring 1 of
		// polygon 1, and the message says it is part 3 of the record.
		{"self-intersection in a hole names the shapefile part", unitsOnly(u4(rect(106.55, 29.54, 106.57, 29.56, true), rect(106.57, 29.54, 106.60, 29.56, true),
			[]orb.Point{{106.58, 29.545}, {106.595, 29.545}, {106.58, 29.553}, {106.585, 29.553}, {106.58, 29.545}})),
			[]wantProblem{wantError(geo.CodeSelfIntersect, units, "ZH50010130002").at(106.58375, 29.551).onPath("polygon[1].ring[1]").
				saying("（shapefile 中该记录的第 3 部分）")}},
		// A valid hole of about half a square metre, digitising residue.
		// (Positions on one line of longitude/latitude over kilometres
		// are no such thing: the geodesic edges enclose ~100 m².)
		{"tiny hole", unitsOnly(u4(u4ring, []orb.Point{{106.56, 29.545}, {106.56, 29.54501}, {106.56001, 29.545}, {106.56, 29.545}})),
			[]wantProblem{wantWarning(admission.CodeTinyRing, units, "ZH50010130002").at(106.56, 29.545).onPath("polygon[0].ring[1]").
				measuring(0.5 * 1.1069 * 0.9688). // legs of 1e-5° at 29.545°N: 1.1069 m north, 0.9688 m east
				saying("内环（洞）面积仅 ").saying("（shapefile 中该记录的第 2 部分）")}},
		{"empty geometry", unitsOnly(func(fx *shpFixture) { fx.parts[2] = nil }),
			[]wantProblem{wantError(geo.CodeEmpty, units, "ZH50010130001")}},
		// The location is the last position as written, the message gives
		// the first and the last as written.
		{"unclosed ring", unitsOnly(u4(u4ring[:4])),
			[]wantProblem{wantError(geo.CodeUnclosedRing, units, "ZH50010130002").at(106.60, 29.54).onPath("polygon[0].ring[0]").
				saying("首点 (106.55, 29.54) 与末点 (106.6, 29.54) 不同")}},
		{"ring of three points", unitsOnly(u4([]orb.Point{{106.55, 29.54}, {106.60, 29.56}, {106.55, 29.54}})),
			[]wantProblem{wantError(geo.CodeTooFewPoints, units, "ZH50010130002").at(106.575, 29.55).onPath("polygon[0].ring[0]")}},
		{"hole of three points", unitsOnly(u4(u4ring, []orb.Point{{106.56, 29.545}, {106.57, 29.55}, {106.56, 29.545}})),
			[]wantProblem{wantError(geo.CodeTooFewPoints, units, "ZH50010130002").at(106.575, 29.55).onPath("polygon[0].ring[1]")}},
		// Zero area: the ring runs along a line and back.
		{"ring of collinear points", unitsOnly(u4([]orb.Point{{106.55, 29.55}, {106.57, 29.55}, {106.59, 29.55}, {106.55, 29.55}})),
			[]wantProblem{wantError(geo.CodeSelfIntersect, units, "ZH50010130002").at(106.55, 29.55)}},
		// Coordinates that cannot be converted are reported by the import
		// with the validation's codes.
		{"coordinate not finite", unitsOnly(func(fx *shpFixture) {
			r := append([]orb.Point(nil), u4ring...)
			r[2] = orb.Point{math.NaN(), 29.56}
			fx.parts[3] = [][]orb.Point{r}
		}), []wantProblem{wantError(geo.CodeNotFinite, units, "ZH50010130002").onPath("polygon[0].ring[0].point[2]")}},
		{"longitude out of range", unitsOnly(func(fx *shpFixture) {
			r := append([]orb.Point(nil), u4ring...)
			r[2] = orb.Point{206.60, 29.56}
			fx.parts[3] = [][]orb.Point{r}
		}), []wantProblem{wantError(geo.CodeOutOfRange, units, "ZH50010130002").at(206.60, 29.56).onPath("polygon[0].ring[0].point[2]").
			saying("坐标无效（源坐标系为 CGCS2000 经纬度（EPSG:4490））：")}},
		{"line of one position and zero-length line", func(t *testing.T, dir string) ([]string, ImportOptions) {
			fx := riversFixture()
			fx.parts = [][][]orb.Point{{{{106.50, 29.595}}}, {{{106.53, 29.50}, {106.53, 29.50}}}}
			return []string{writeShp(t, dir, "rivers", fx)}, ImportOptions{}
		}, []wantProblem{
			wantError(geo.CodeTooFewPoints, admission.LayerRivers, "HL-0001").at(106.50, 29.595).saying("至少需要 2 个坐标"),
			wantError(geo.CodeTooFewPoints, admission.LayerRivers, "HL-0002").at(106.53, 29.50).saying("长度为零"),
		}},
		{"line shapefile mapped to control units", func(t *testing.T, dir string) ([]string, ImportOptions) {
			fx := riversFixture()
			fx.fields = []shpField{{"HJZHGKDYBM", 'C', 20}, {"HJZHGKDYMC", 'C', 40}}
			fx.rows = [][]any{{"ZH50010130001", "线状单元1"}, {"ZH50010130002", "线状单元2"}}
			in := writeShp(t, dir, "gkdy", fx)
			mapping := writeText(t, dir, "mapping.yaml", "files:\n  - file: gkdy.shp\n    layer: control_units\n")
			raw, err := os.ReadFile(mapping)
			require.NoError(t, err)
			m, err := ParseMapping(mapping, raw)
			require.NoError(t, err)
			return []string{in}, ImportOptions{Mapping: m}
		}, []wantProblem{
			// Located at the middle of each line's bound.
			wantError(admission.CodeKindMismatch, units, "ZH50010130001").at(106.55, 29.59).saying("LineString"),
			wantError(admission.CodeKindMismatch, units, "ZH50010130002").at(106.535, 29.545).saying("MultiLineString"),
		}},

		// Geometries of GeoJSON and KML.
		{"hole outside its shell", oneFile("红线.geojson", redlineWith(`{"type":"Polygon","coordinates":[
			[[106.50,29.50],[106.51,29.50],[106.51,29.51],[106.50,29.51],[106.50,29.50]],
			[[106.52,29.52],[106.52,29.53],[106.53,29.53],[106.53,29.52],[106.52,29.52]]]}`)),
			[]wantProblem{wantError(geo.CodeInvalidPolygon, admission.LayerEcoRedline, "HX1").at(106.52, 29.52).saying("不在外环之内")}},
		{"overlapping parts", oneFile("红线.geojson", redlineWith(`{"type":"MultiPolygon","coordinates":[
			[[[106.50,29.50],[106.51,29.50],[106.51,29.51],[106.50,29.51],[106.50,29.50]]],
			[[[106.505,29.505],[106.515,29.505],[106.515,29.515],[106.505,29.515],[106.505,29.505]]]]}`)),
			[]wantProblem{wantError(geo.CodeInvalidPolygon, admission.LayerEcoRedline, "HX1").at(106.51, 29.5075).saying("相互重叠")}},
		// No position, so no location (not the point 0, 0).
		{"polygon without rings", oneFile("红线.geojson", redlineWith(`{"type":"Polygon","coordinates":[]}`)),
			[]wantProblem{wantError(geo.CodeEmpty, admission.LayerEcoRedline, "HX1")}},
		{"latitude out of range in KML", oneFile("水源.kml", `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>万州区水厂一级保护区</name>
 <ExtendedData><Data name="水源地名称"><value>万州区水厂</value></Data><Data name="保护区编码"><value>SYD-500101-01-1</value></Data><Data name="保护区级别"><value>一级</value></Data></ExtendedData>
 <Polygon><outerBoundaryIs><LinearRing><coordinates>106.57,29.57 106.58,29.57 106.58,29.58 106.57,95.58 106.57,29.57</coordinates></LinearRing></outerBoundaryIs></Polygon>
</Placemark></Document></kml>`),
			[]wantProblem{wantError(geo.CodeOutOfRange, admission.LayerWaterSources, "SYD-500101-01-1").at(106.57, 95.58).onPath("polygon[0].ring[0].point[3]")}},

		// Partition and coverage.
		{"overlap", unitsOnly(func(fx *shpFixture) { addUnit(fx, "ZH50010130003", rect(106.54, 29.57, 106.56, 29.58, true)) }),
			[]wantProblem{
				wantError(admission.CodeOverlap, units, "ZH50010110001").relatedTo("ZH50010130003").at(106.545, 29.575).measuring(cellM2),
				wantError(admission.CodeOverlap, units, "ZH50010120001").relatedTo("ZH50010130003").at(106.555, 29.575).measuring(cellM2),
			}},
		{"gap in the districts", unitsAndDistricts(func(fx *shpFixture) { fx.rows, fx.parts = fx.rows[:3], fx.parts[:3] }, nil, ""),
			[]wantProblem{wantWarning(admission.CodeGap, units, "").relatedTo("500101").at(106.575, 29.55).measuring(10 * cellM2)}},
		{"gap in the units without districts", unitsOnly(func(fx *shpFixture) {
			fx.rows = append(fx.rows[:2], fx.rows[3])
			fx.parts = append(fx.parts[:2], fx.parts[3])
		}), []wantProblem{wantWarning(admission.CodeGap, units, "").at(106.525, 29.55).measuring(2 * cellM2)}},
		{"unit outside the districts", unitsAndDistricts(func(fx *shpFixture) { addUnit(fx, "ZH50010130003", rect(106.70, 29.50, 106.72, 29.52, true)) }, nil, ""),
			[]wantProblem{wantWarning(admission.CodeUnitOutside, units, "ZH50010130003").at(106.71, 29.51).measuring(4 * cellM2).saying("仅有 0.0% 的面积")}},
		{"unit partly outside the districts", unitsAndDistricts(func(fx *shpFixture) {
			fx.parts[1] = [][]orb.Point{rect(106.55, 29.50, 106.62, 29.54, true), rect(106.55, 29.56, 106.60, 29.60, true)}
		}, nil, ""), []wantProblem{wantWarning(admission.CodeUnitPartlyOutside, units, "ZH50010120001").at(106.61, 29.52).measuring(8 * cellM2)}},
		{"unit code of another county", unitsAndDistricts(func(fx *shpFixture) { fx.rows[3][0] = "ZH50010230001" }, nil, ""),
			[]wantProblem{wantWarning(admission.CodeUnitOutside, units, "ZH50010230001").relatedTo("500102").saying("500102")}},

		// Retired county codes (500234 开县 is now 500154 开州区).
		{"retired county in a unit code", unitsAndDistricts(func(fx *shpFixture) { fx.rows[3][0] = "ZH50023430002" }, nil, ""),
			[]wantProblem{
				wantWarning(admission.CodeRetiredCounty, units, "ZH50023430002").relatedTo("500154").saying("编码应改为 ZH50015430002"),
				wantWarning(admission.CodeUnitOutside, units, "ZH50023430002").relatedTo("500234"),
			}},
		{"retired county as a district", unitsAndDistricts(nil, func(fx *shpFixture) { fx.rows[0][0] = 500234 }, ""),
			[]wantProblem{wantWarning(admission.CodeRetiredCounty, districts, "500234").relatedTo("500154").saying("500234（开县）已撤销")}},
		{"retired county in a clause scope", unitsAndDistricts(nil, nil, "区县代码,区县名称,空间布局约束\n500234,开县,禁止新建化工项目。\n"),
			[]wantProblem{
				wantError(admission.CodeInvalidClause, "rules", "D-500234-KJ-1").saying(`scope.county="500234"`),
				wantWarning(admission.CodeRetiredCounty, "rules", "").relatedTo("D-500234-KJ-1").saying("500234（开县）"),
			}},

		// Rules.
		{"clause without unit", unitsAndDistricts(nil, nil, "HJZHGKDYBM,HJZHGKDYMC,ZHGKDYFL,KJBJYS\nZH50010130009,无此单元,3,1-1 禁止新建化工项目。\n"),
			[]wantProblem{wantError(admission.CodeInvalidClause, "rules", "U-ZH50010130009-KJ-1-1").saying(`scope.unit="ZH50010130009"`)}},
		// U3 and U4 of the fixture have no clause text.
		{"units without clauses", unitsOnly(nil), []wantProblem{
			wantWarning(admission.CodeUnitWithoutClauses, units, "ZH50010130001"),
			wantWarning(admission.CodeUnitWithoutClauses, units, "ZH50010130002"),
		}},

		// A districts layer with an invalid geometry: the units cannot be
		// checked against it.
		{"districts unusable", unitsAndDistricts(nil, func(fx *shpFixture) { fx.parts = [][][]orb.Point{{bowtie}} }, ""),
			[]wantProblem{
				wantError(geo.CodeSelfIntersect, districts, "500101").at(106.525, 29.55),
				wantWarning(admission.CodeCheckFailed, units, "").saying("区县图层有无效几何"),
			}},
	}
}

// TestImportValidationErrors: inputs that read but do not validate, one
// broken input per problem, with its code, severity, feature, location
// and area.
func TestImportValidationErrors(t *testing.T) {
	for _, tt := range importValidationCases() {
		t.Run(tt.name, func(t *testing.T) {
			inputs, opts := tt.inputs(t, t.TempDir())
			_, rep := importAndValidate(t, inputs, opts)
			assertProblems(t, rep, tt.want)
		})
	}
}

// TestImportValidationCoverage: every problem code of the dataset
// validation has a case, except those importValidationCases explains.
func TestImportValidationCoverage(t *testing.T) {
	all := []string{
		admission.CodeManifest, admission.CodeDuplicateID, admission.CodeMissingID, admission.CodeLayer,
		admission.CodeKindMismatch, admission.CodeUnitCode, admission.CodeUnitCategory, admission.CodeDuplicateLyr,
		admission.CodeInvalidClause, admission.CodeOverlap, admission.CodeGap, admission.CodeUnitOutside,
		admission.CodeUnitPartlyOutside, admission.CodeRetiredCounty, admission.CodeUnitWithoutClauses, admission.CodeCheckFailed,
		admission.CodeTinyRing,
		geo.CodeEmpty, geo.CodeUnsupportedType, geo.CodeOutOfRange, geo.CodeNotFinite, geo.CodeUnclosedRing,
		geo.CodeTooFewPoints, geo.CodeSelfIntersect, geo.CodeInvalidPolygon, geo.CodeTooManyVertices,
	}
	skipped := map[string]bool{admission.CodeLayer: true, admission.CodeDuplicateLyr: true, geo.CodeUnsupportedType: true, geo.CodeTooManyVertices: true}
	covered := map[string]bool{}
	for _, tt := range importValidationCases() {
		for _, w := range tt.want {
			covered[w.code] = true
		}
	}
	for _, code := range all {
		assert.True(t, covered[code] != skipped[code], "%s: covered %v, skipped %v", code, covered[code], skipped[code])
	}
	assert.Len(t, covered, len(all)-len(skipped))
}
