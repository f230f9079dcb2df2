package data

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
)

const (
	prjGK108  = `PROJCS["CGCS2000_3_Degree_GK_CM_108E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	prjXian80 = `PROJCS["Xian_1980_3_Degree_GK_CM_108E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
)

// shpField is a DBF column of a fixture: its name as it should read back,
// 'C' or 'N', and its width.
type shpField struct {
	name string
	typ  byte
	size uint8
}

// shpFixture is a shapefile to write: one record per parts entry (rings
// of a polygon or parts of a line; nil for an empty record).
type shpFixture struct {
	typ    shp.ShapeType
	fields []shpField
	rows   [][]any // string or int per field
	parts  [][][]orb.Point
	gbk    bool // encode names and text as GBK (else UTF-8)
	prj    string
	cpg    string
}

// writeShp writes dir/stem.shp, .shx and .dbf (and .prj, .cpg when set)
// and returns the .shp's path.
func writeShp(t testing.TB, dir, stem string, fx shpFixture) string {
	t.Helper()
	base := filepath.Join(dir, stem)
	w, err := shp.Create(base+".shp", fx.typ)
	require.NoError(t, err)
	enc := func(s string) string {
		if !fx.gbk {
			return s
		}
		b, err := simplifiedchinese.GBK.NewEncoder().String(s)
		require.NoError(t, err)
		return b
	}
	fields := make([]shp.Field, len(fx.fields))
	for i, f := range fx.fields {
		require.LessOrEqual(t, len(enc(f.name)), 10, "DBF field name %q too long", f.name)
		if f.typ == 'N' {
			fields[i] = shp.NumberField(enc(f.name), f.size)
		} else {
			fields[i] = shp.StringField(enc(f.name), f.size)
		}
	}
	require.NoError(t, w.SetFields(fields))
	for i, parts := range fx.parts {
		pp := make([][]shp.Point, len(parts))
		for j, part := range parts {
			for _, p := range part {
				pp[j] = append(pp[j], shp.Point{X: p[0], Y: p[1]})
			}
		}
		w.Write(shp.NewPolyLine(pp))
		for j, v := range fx.rows[i] {
			if s, ok := v.(string); ok {
				v = enc(s)
			}
			if v == nil || v == "" {
				continue
			}
			require.NoError(t, w.WriteAttribute(i, j, v))
		}
	}
	w.Close()
	require.NoError(t, os.Rename(base+"dbf", base+".dbf")) // go-shp names the dbf without a dot
	if fx.prj != "" {
		require.NoError(t, os.WriteFile(base+".prj", []byte(fx.prj), 0o644))
	}
	if fx.cpg != "" {
		require.NoError(t, os.WriteFile(base+".cpg", []byte(fx.cpg), 0o644))
	}
	return base + ".shp"
}

// zipShp zips the shapefiles (every file next to each .shp with its stem)
// under inner folder prefix and returns the zip's path.
func zipShp(t testing.TB, zipPath, prefix string, shps ...string) string {
	t.Helper()
	f, err := os.Create(zipPath)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for _, s := range shps {
		stem := strings.TrimSuffix(s, ".shp")
		for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
			b, err := os.ReadFile(stem + ext)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			require.NoError(t, err)
			w, err := zw.Create(prefix + filepath.Base(stem) + ext)
			require.NoError(t, err)
			_, err = w.Write(b)
			require.NoError(t, err)
		}
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return zipPath
}

// rect is a closed rectangle ring, clockwise (a shapefile's outer ring)
// or counter-clockwise (a hole, or RFC 7946's outer ring).
func rect(minX, minY, maxX, maxY float64, clockwise bool) []orb.Point {
	r := []orb.Point{{minX, minY}, {maxX, minY}, {maxX, maxY}, {minX, maxY}, {minX, minY}}
	if clockwise {
		r = []orb.Point{{minX, minY}, {minX, maxY}, {maxX, maxY}, {maxX, minY}, {minX, minY}}
	}
	return r
}

// The control units of the fixtures, inside district 500101:
//
//	29.60 +---------------+---------------+
//	      |     U1 (1)    |    U2 (2) b   |
//	29.56 |   +-----+     +---------------+
//	      |   |U3(3)|     |    U4 (3)     |
//	29.54 |   +-----+     +---------------+
//	      |  U3 = hole    |    U2 (2) a   |
//	29.50 +---------------+---------------+
//	   106.50 .52  .53  106.55          106.60
//
// U1 has a hole filled by U3; U2 has two parts.
var unitParts = [][][]orb.Point{
	{rect(106.50, 29.50, 106.55, 29.60, true), rect(106.52, 29.54, 106.53, 29.56, false)},
	{rect(106.55, 29.50, 106.60, 29.54, true), rect(106.55, 29.56, 106.60, 29.60, true)},
	{rect(106.52, 29.54, 106.53, 29.56, true)},
	{rect(106.55, 29.54, 106.60, 29.56, true)},
}

var unitFields = []shpField{{"HJZHGKDYBM", 'C', 20}, {"HJZHGKDYMC", 'C', 80}, {"ZHGKDYFL", 'N', 2}, {"AREA", 'C', 20}, {"KJBJYS", 'C', 254}, {"PWWPFGK", 'C', 254}}

func unitRows() [][]any {
	return [][]any{
		{"ZH50010110001", "万州区优先保护单元", 1, "万州区", "1-1 禁止新建、扩建化工项目。\n1-2 严格控制畜禽养殖规模。", "执行全市总体管控要求。"},
		{"ZH50010120001", "万州区重点管控单元", 2, "万州区", "2-1 鼓励发展新材料产业。", ""},
		{"ZH50010130001", "万州区一般管控单元1", 3, "万州区", "", "无"},
		{"ZH50010130002", "万州区一般管控单元2", 3, "万州区", "", ""},
	}
}

func unitsFixture(gbk bool, prj, cpg string) shpFixture {
	return shpFixture{typ: shp.POLYGON, fields: unitFields, rows: unitRows(), parts: unitParts, gbk: gbk, prj: prj, cpg: cpg}
}

func districtFixture(gbk bool, prj, cpg string) shpFixture {
	return shpFixture{typ: shp.POLYGON, gbk: gbk, prj: prj, cpg: cpg,
		fields: []shpField{{"XZQDM", 'N', 6}, {"XZQMC", 'C', 40}},
		rows:   [][]any{{500101, "万州区"}},
		parts:  [][][]orb.Point{{rect(106.50, 29.50, 106.60, 29.60, true)}}}
}

const redlineGeoJSON = `{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"生态保护红线编码":"HX500101-0001","生态保护红线名称":"铁峰山生态保护红线","所在区县":"万州区"},
  "geometry":{"type":"Polygon","coordinates":[[[106.505,29.505],[106.515,29.505],[106.515,29.515],[106.505,29.515],[106.505,29.505]]]}}]}`

const waterKML = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>
 <Placemark><name>万州区水厂一级保护区</name>
  <ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="水源地名称">万州区水厂</SimpleData><SimpleData name="保护区编码">SYD-500101-01-1</SimpleData><SimpleData name="保护区级别">一级</SimpleData></SchemaData></ExtendedData>
  <Polygon><outerBoundaryIs><LinearRing><coordinates>106.57,29.57 106.58,29.57 106.58,29.58 106.57,29.58 106.57,29.57</coordinates></LinearRing></outerBoundaryIs></Polygon>
 </Placemark>
 <Placemark><name>万州区水厂二级保护区</name>
  <ExtendedData><Data name="水源地名称"><value>万州区水厂</value></Data><Data name="保护区编码"><value>SYD-500101-01-2</value></Data><Data name="保护区级别"><value>二级保护区</value></Data></ExtendedData>
  <MultiGeometry><Polygon><outerBoundaryIs><LinearRing><coordinates>106.565,29.565 106.585,29.565 106.585,29.585 106.565,29.585 106.565,29.565</coordinates></LinearRing></outerBoundaryIs>
   <innerBoundaryIs><LinearRing><coordinates>106.57,29.57 106.57,29.58 106.58,29.58 106.58,29.57 106.57,29.57</coordinates></LinearRing></innerBoundaryIs></Polygon></MultiGeometry>
 </Placemark>
</Folder></Document></kml>`

func riversFixture() shpFixture {
	return shpFixture{typ: shp.POLYLINE, gbk: true, // no .cpg: detected
		fields: []shpField{{"HLMC", 'C', 40}, {"DJ", 'C', 20}},
		rows:   [][]any{{"长江", "干流"}, {"苎溪河", "一级支流"}},
		parts: [][][]orb.Point{
			{{{106.50, 29.595}, {106.55, 29.59}, {106.60, 29.585}}},
			{{{106.53, 29.50}, {106.535, 29.55}}, {{106.535, 29.55}, {106.54, 29.59}}},
		}}
}

func testInfo() admission.Info {
	return admission.Info{Name: "导入测试", Version: "import.1", Published: "2026-01-01", Source: "测试机关"}
}

// hitAt returns the control unit at a point of a loaded dataset.
func hitAt(t *testing.T, d *admission.Dataset, lon, lat float64) string {
	t.Helper()
	res, err := d.Check(context.Background(), admission.CheckRequest{Geometry: orb.Point{lon, lat}, Layers: []string{admission.LayerControlUnits}})
	require.NoError(t, err)
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return strings.Join(ids, ",")
}

func featureByID(t *testing.T, c Contents, layer, id string) admission.Feature {
	t.Helper()
	for _, l := range c.Layers {
		if l.ID != layer {
			continue
		}
		for _, f := range l.Features {
			if f.ID == id {
				return f
			}
		}
	}
	t.Fatalf("no feature %s/%s", layer, id)
	return admission.Feature{}
}

func importAndValidate(t *testing.T, inputs []string, opts ImportOptions) (*Import, admission.Report) {
	t.Helper()
	if opts.Info == (admission.Info{}) {
		opts.Info = testInfo()
	}
	im, err := ReadImport(context.Background(), inputs, opts)
	require.NoError(t, err)
	return im, im.Validate(admission.ValidateOptions{})
}

// TestImportDataset imports every input format at once, writes the folder,
// loads it back and checks known points.
func TestImportDataset(t *testing.T) {
	dir := t.TempDir()
	units := zipShp(t, filepath.Join(dir, "units.zip"), "三线一单/", writeShp(t, dir, "环境管控单元", unitsFixture(true, prjCGCS2000, "936")))
	districts := writeShp(t, dir, "districts", districtFixture(false, prjCGCS2000, "UTF-8"))
	rivers := zipShp(t, filepath.Join(dir, "rivers.zip"), "", writeShp(t, dir, "rivers", riversFixture()))
	redline := filepath.Join(dir, "红线.geojson")
	require.NoError(t, os.WriteFile(redline, []byte(redlineGeoJSON), 0o644))
	water := filepath.Join(dir, "water.kmz")
	require.NoError(t, os.WriteFile(water, zipOf(t, map[string][]byte{"doc.kml": []byte(waterKML)}), 0o644))

	im, rep := importAndValidate(t, []string{units, districts, rivers, redline, water}, ImportOptions{})
	require.Empty(t, rep.Errors)
	for _, w := range rep.Warnings {
		t.Logf("validation warning: %s", w)
	}

	var ids []string
	for _, l := range im.Contents.Layers {
		ids = append(ids, fmt.Sprintf("%s:%d", l.ID, len(l.Features)))
	}
	assert.Equal(t, []string{"districts:1", "control_units:4", "eco_redline:1", "water_sources:2", "rivers:2"}, ids)
	layers := map[string]string{}
	for _, s := range im.Sources {
		layers[s.Name] = s.Layer + " " + s.Encoding
	}
	assert.Equal(t, map[string]string{
		"units.zip/三线一单/环境管控单元.shp": "control_units GBK（.cpg 936）",
		"districts.shp":         "districts UTF-8（.cpg UTF-8）",
		"rivers.zip/rivers.shp": "rivers GBK（无 .cpg，按内容判断）",
		"红线.geojson":            "eco_redline ",
		"water.kmz":             "water_sources ",
	}, layers)

	u1 := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010110001")
	assert.Equal(t, "万州区优先保护单元", u1.Name)
	assert.Equal(t, admission.CategoryPriority, u1.Category)
	assert.Equal(t, map[string]any{"AREA": "万州区", "county_code": "500101"}, u1.Properties)
	poly, ok := u1.Geometry.(orb.Polygon)
	require.True(t, ok, "U1 is %T", u1.Geometry)
	require.Len(t, poly, 2, "hole kept")
	assert.Equal(t, orb.CW, poly[0].Orientation(), "outer ring as in the shapefile until written")
	assert.Equal(t, orb.CCW, poly[1].Orientation(), "hole as in the shapefile until written")
	u2 := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010120001")
	mp, ok := u2.Geometry.(orb.MultiPolygon)
	require.True(t, ok, "U2 is %T", u2.Geometry)
	assert.Len(t, mp, 2)
	assert.Equal(t, admission.CategoryKey, u2.Category)

	d := featureByID(t, im.Contents, admission.LayerDistricts, "500101")
	assert.Equal(t, "万州区", d.Name)
	assert.Equal(t, "区", d.Category)
	hx := featureByID(t, im.Contents, admission.LayerEcoRedline, "HX500101-0001")
	assert.Equal(t, "铁峰山生态保护红线", hx.Name)
	assert.Equal(t, "生态保护红线", hx.Category)
	w2 := featureByID(t, im.Contents, admission.LayerWaterSources, "SYD-500101-01-2")
	assert.Equal(t, "二级保护区", w2.Category)
	assert.Equal(t, 2, w2.Properties["level"])
	assert.Len(t, w2.Geometry.(orb.Polygon), 2)
	r1 := featureByID(t, im.Contents, admission.LayerRivers, "HL-0001")
	assert.Equal(t, "长江", r1.Name)
	assert.Equal(t, "干流", r1.Category)
	assert.IsType(t, orb.MultiLineString{}, featureByID(t, im.Contents, admission.LayerRivers, "HL-0002").Geometry)

	var clauses []string
	for _, c := range im.Contents.Rules.Clauses {
		clauses = append(clauses, fmt.Sprintf("%s|%s|%s|%s|%s|%v", c.ID, c.Scope.Unit, c.Number, c.Effect, c.Text, c.Machine))
	}
	assert.Equal(t, []string{
		"U-ZH50010110001-KJ-1-1|ZH50010110001|1-1|prohibit|禁止新建、扩建化工项目。|false",
		"U-ZH50010110001-KJ-1-2|ZH50010110001|1-2|restrict|严格控制畜禽养殖规模。|false",
		"U-ZH50010110001-PW-1|ZH50010110001||require|执行全市总体管控要求。|false",
		"U-ZH50010120001-KJ-2-1|ZH50010120001|2-1|encourage|鼓励发展新材料产业。|false",
	}, clauses)
	assert.Contains(t, im.Contents.Info.Source, "测试机关（sanxian import 导入，源坐标系 ")
	assert.Equal(t, "EPSG:4490", im.Contents.Info.CRS)

	out := filepath.Join(dir, "versions", "2026.1")
	sum, err := im.Write(out, false)
	require.NoError(t, err)
	c, err := LoadDir(out)
	require.NoError(t, err)
	assert.Equal(t, sum, c.Info.Checksum)
	written := featureByID(t, c, admission.LayerControlUnits, "ZH50010110001").Geometry.(orb.Polygon)
	assert.Equal(t, orb.CCW, written[0].Orientation(), "outer ring written counter-clockwise (RFC 7946)")
	assert.Equal(t, orb.CW, written[1].Orientation(), "hole written clockwise")
	ds, err := c.Open(admission.Options{})
	require.NoError(t, err)
	for _, tt := range []struct {
		lon, lat float64
		want     string
	}{
		{106.51, 29.58, "ZH50010110001"},
		{106.525, 29.55, "ZH50010130001"}, // in U1's hole
		{106.58, 29.52, "ZH50010120001"},
		{106.58, 29.58, "ZH50010120001"},
		{106.58, 29.55, "ZH50010130002"},
	} {
		assert.Equal(t, tt.want, hitAt(t, ds, tt.lon, tt.lat), "at (%g, %g)", tt.lon, tt.lat)
	}
	// No temporary folder is left next to the output.
	ents, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Len(t, ents, 1)

	// A second write needs replace.
	_, err = im.Write(out, false)
	require.ErrorIs(t, err, ErrImportOutExists)
	_, err = im.Write(out, true)
	require.NoError(t, err)
}

// TestImportSave: a dataset with errors is not written and leaves the
// output folder as it was; a sound one replaces it.
func TestImportSave(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	require.NoError(t, os.MkdirAll(out, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(out, "keep.txt"), []byte("old"), 0o644))
	bad := unitsFixture(true, prjCGCS2000, "936")
	bad.rows = unitRows()
	bad.rows[0][2] = 2 // category contradicts ZH…1…
	good := unitsFixture(true, prjCGCS2000, "936")
	for _, tt := range []struct {
		name    string
		fx      shpFixture
		replace bool
		errs    int
		err     error
		kept    bool
	}{
		{"errors", bad, true, 1, nil, true},
		{"exists", good, false, 0, ErrImportOutExists, true},
		{"replaced", good, true, 0, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := writeShp(t, t.TempDir(), "u", tt.fx)
			im, err := ReadImport(context.Background(), []string{in}, ImportOptions{Info: testInfo()})
			require.NoError(t, err)
			rep, sum, err := im.Save(out, tt.replace, admission.ValidateOptions{})
			require.ErrorIs(t, err, tt.err)
			assert.Len(t, rep.Errors, tt.errs)
			_, statErr := os.Stat(filepath.Join(out, "keep.txt"))
			assert.Equal(t, tt.kept, statErr == nil)
			assert.Equal(t, tt.kept, sum == "")
			ents, _ := os.ReadDir(dir)
			assert.Len(t, ents, 1, "no temporary folder left")
		})
	}
}

// TestImportEncodings reads the same units through every DBF encoding
// route: names and texts must never come out garbled.
func TestImportEncodings(t *testing.T) {
	tests := []struct {
		name     string
		gbk      bool
		cpg      string
		encoding string
	}{
		{"gbk cpg 936", true, "936", "GBK（.cpg 936）"},
		{"gbk cpg CP936", true, "CP936\r\n", "GBK（.cpg CP936）"},
		{"gbk cpg GB2312", true, "GB2312", "GBK（.cpg GB2312）"},
		{"gbk cpg GBK", true, "GBK", "GBK（.cpg GBK）"},
		{"gbk cpg GB18030", true, "GB18030", "GB18030（.cpg GB18030）"},
		{"gbk without cpg", true, "", "GBK（无 .cpg，按内容判断）"},
		{"utf-8 without cpg", false, "", "UTF-8（无 .cpg，按内容判断）"},
		{"utf-8 cpg", false, "UTF-8", "UTF-8（.cpg UTF-8）"},
		{"gbk but cpg says utf-8", true, "UTF-8", "GBK（.cpg 声明 UTF-8，但内容不是 UTF-8）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fx := unitsFixture(tt.gbk, prjCGCS2000, tt.cpg)
			// Chinese field names (DBF allows 10 bytes: 3 UTF-8 or 5 GBK characters).
			fx.fields = append([]shpField(nil), fx.fields...)
			fx.fields[3].name = "区县"
			in := writeShp(t, dir, "units", fx)
			im, rep := importAndValidate(t, []string{in}, ImportOptions{})
			require.Empty(t, rep.Errors)
			assert.Equal(t, tt.encoding, im.Sources[0].Encoding)
			f := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010120001")
			assert.Equal(t, "万州区重点管控单元", f.Name)
			assert.Equal(t, "万州区", f.Properties["区县"])
			assert.Equal(t, "鼓励发展新材料产业。", im.Contents.Rules.Clauses[3].Text)
		})
	}
}

// TestImportChineseFieldNames detects control units and districts from
// Chinese column names, in a GBK shapefile (5-character names) and in
// GeoJSON (full names).
func TestImportChineseFieldNames(t *testing.T) {
	dir := t.TempDir()
	fx := unitsFixture(true, prjCGCS2000, "")
	fx.fields = []shpField{{"单元编码", 'C', 20}, {"单元名称", 'C', 80}, {"单元类别", 'C', 20}, {"区县", 'C', 20}, {"空间布局", 'C', 254}, {"污染物排放", 'C', 254}}
	for _, r := range fx.rows {
		r[2] = map[int]string{1: "优先保护单元", 2: "重点管控", 3: "一般管控单元"}[r[2].(int)]
	}
	units := writeShp(t, dir, "单元", fx)
	gj := filepath.Join(dir, "xzq.geojson")
	require.NoError(t, os.WriteFile(gj, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"行政区划代码":"500101000000","行政区划名称":"万州区"},"geometry":{"type":"Polygon","coordinates":[[[106.5,29.5],[106.6,29.5],[106.6,29.6],[106.5,29.6],[106.5,29.5]]]}}]}`), 0o644))
	units2 := filepath.Join(dir, "units2.geojson")
	require.NoError(t, os.WriteFile(units2, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"环境管控单元编码":"ZH50010130009","环境管控单元名称":"外侧单元","管控单元类别":"一般管控单元","资源开发效率要求":"（1）严禁开采地下水。（2）鼓励节水。"},"geometry":{"type":"Polygon","coordinates":[[[106.6,29.5],[106.7,29.5],[106.7,29.6],[106.6,29.6],[106.6,29.5]]]}}]}`), 0o644))
	im, rep := importAndValidate(t, []string{units, gj, units2}, ImportOptions{})
	require.Empty(t, rep.Errors)
	var got []string
	for _, s := range im.Sources {
		got = append(got, s.Name+"→"+s.Layer+"（"+s.Detected+"）")
	}
	assert.Equal(t, []string{
		"单元.shp→control_units（按字段「单元编码」识别）",
		"xzq.geojson→districts（按字段「行政区划代码」为 6 位区县代码识别）",
		"units2.geojson→control_units（按字段「环境管控单元编码」识别）",
	}, got)
	assert.Equal(t, admission.CategoryKey, featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010120001").Category)
	assert.Equal(t, "外侧单元", featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010130009").Name)
	assert.Equal(t, "万州区", featureByID(t, im.Contents, admission.LayerDistricts, "500101").Name)
	n := 0
	for _, c := range im.Contents.Rules.Clauses {
		if c.Scope.Unit == "ZH50010130009" {
			assert.Equal(t, "资源利用效率", c.Dimension)
			n++
		}
	}
	assert.Equal(t, 2, n)
	// The unit outside the district is a warning of the validation.
	var codes []string
	for _, w := range rep.Warnings {
		codes = append(codes, w.Code)
	}
	assert.Contains(t, codes, admission.CodeUnitOutside)
}

// TestImportProjected reads Gauss-Krüger coordinates (EPSG:4545, CM
// 108°E) from the .prj or from --crs and compares with PROJ's cs2cs.
func TestImportProjected(t *testing.T) {
	// cs2cs -f %.10f EPSG:4545 EPSG:4490 (PROJ 9.1), northing first in, latitude first out.
	gk := []orb.Point{{355000, 3266000}, {365000, 3266000}, {365000, 3276000}, {355000, 3276000}}
	want := []orb.Point{{106.5046727533, 29.5034170564}, {106.6077725357, 29.5045365243}, {106.6065356415, 29.5947259245}, {106.5033443428, 29.5936023620}}
	square := []orb.Point{gk[0], gk[3], gk[2], gk[1], gk[0]} // clockwise
	c4545, err := crs.Parse("EPSG:4545")
	require.NoError(t, err)
	project := func(parts [][][]orb.Point) [][][]orb.Point {
		out := make([][][]orb.Point, len(parts))
		for i, rings := range parts {
			for _, r := range rings {
				var pr []orb.Point
				for _, p := range r {
					q, err := c4545.FromCGCS2000(p)
					require.NoError(t, err)
					pr = append(pr, q)
				}
				out[i] = append(out[i], pr)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name, prj, flag, from string
	}{
		{"prj", prjGK108, "", ".prj"},
		{"--crs", "", "EPSG:4545", "--crs"},
		{"--crs by name", "", "CGCS2000_3_Degree_GK_CM_108E", "--crs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dfx := districtFixture(true, tt.prj, "936")
			dfx.parts = [][][]orb.Point{{square}}
			ufx := unitsFixture(true, tt.prj, "936")
			ufx.parts = project(unitParts)
			im, rep := importAndValidate(t, []string{writeShp(t, dir, "d", dfx), writeShp(t, dir, "u", ufx)}, ImportOptions{CRS: tt.flag})
			require.Empty(t, rep.Errors)
			assert.Equal(t, "EPSG:4545", im.Sources[0].CRS)
			assert.Equal(t, tt.from, im.Sources[0].CRSFrom)
			assert.Contains(t, im.Contents.Info.Source, "CGCS2000 / 3度带高斯-克吕格投影 CM 108°E（EPSG:4545）：d.shp、u.shp")
			ring := featureByID(t, im.Contents, admission.LayerDistricts, "500101").Geometry.(orb.Polygon)[0]
			require.Len(t, ring, 5)
			for i, w := range want {
				p := ring[[]int{0, 3, 2, 1}[i]] // the square's vertices as written (clockwise)
				assert.InDelta(t, w[0], p[0], 1e-9, "vertex %d lon", i)
				assert.InDelta(t, w[1], p[1], 1e-9, "vertex %d lat", i)
			}
			u1 := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010110001").Geometry.(orb.Polygon)
			assert.InDelta(t, 106.50, u1[0][0][0], 1e-9)
			assert.InDelta(t, 29.50, u1[0][0][1], 1e-9)
		})
	}
}

func TestImportMapping(t *testing.T) {
	dir := t.TempDir()
	fx := unitsFixture(true, prjCGCS2000, "936")
	fx.fields = []shpField{{"DM", 'C', 20}, {"MC", 'C', 80}, {"LB", 'C', 20}, {"QX", 'C', 20}, {"YQ1", 'C', 254}, {"YQ2", 'C', 254}}
	for _, r := range fx.rows {
		r[2] = map[int]string{1: "P", 2: "K", 3: "G"}[r[2].(int)]
	}
	units := writeShp(t, dir, "gkdy", fx)
	other := writeShp(t, dir, "zones", shpFixture{typ: shp.POLYGON, prj: prjCGCS2000, cpg: "UTF-8",
		fields: []shpField{{"CODE", 'C', 20}, {"TITLE", 'C', 40}},
		rows:   [][]any{{"GY-01", "工业园区"}},
		parts:  [][][]orb.Point{{rect(106.56, 29.51, 106.57, 29.52, true)}}})
	skip := writeShp(t, dir, "junk", shpFixture{typ: shp.POLYGON, prj: prjCGCS2000, fields: []shpField{{"X", 'C', 4}}, rows: [][]any{{"a"}}, parts: [][][]orb.Point{{rect(1, 1, 2, 2, true)}}})
	yamlMapping := `
dataset:
  name: 映射测试
  version: m.1
  published: "2026-02-01"
  source: 某市生态环境局
files:
  - file: gkdy.shp
    layer: control_units
    id: DM
    name: mc
    category: LB
    categories: {P: 优先保护单元, K: 重点管控单元, G: 一般管控单元}
    clauses:
      空间布局约束: YQ1
      资源开发效率要求: [YQ2]
    properties: {county_name: QX}
  - file: zones*
    layer: parks
    title: 工业园区
    role: reference
    kind: polygon
    id: CODE
    name: TITLE
    fixed_category: 省级园区
  - file: junk
    layer: skip
`
	jsonMapping := `{"dataset":{"name":"映射测试","version":"m.1","published":"2026-02-01","source":"某市生态环境局"},
 "files":[{"file":"GKDY.SHP","layer":"control_units","id":"DM","name":"MC","category":"LB","categories":{"P":"优先保护单元","K":"重点管控单元","G":"一般管控单元"},
   "clauses":{"空间布局约束":"YQ1","资源利用效率":["YQ2"]},"properties":{"county_name":"QX"}},
  {"file":"zones.shp","layer":"parks","title":"工业园区","role":"reference","kind":"polygon","id":"CODE","name":"TITLE","fixed_category":"省级园区"},
  {"file":"junk.shp","layer":"skip"}]}`
	for name, text := range map[string]string{"m.yaml": yamlMapping, "m.json": jsonMapping} {
		t.Run(name, func(t *testing.T) {
			m, err := ParseMapping(name, []byte(text))
			require.NoError(t, err)
			im, err := ReadImport(context.Background(), []string{units, other, skip}, ImportOptions{Mapping: m})
			require.NoError(t, err)
			rep := im.Validate(admission.ValidateOptions{})
			require.Empty(t, rep.Errors)
			assert.Equal(t, "映射测试", im.Contents.Info.Name)
			assert.Equal(t, "2026-02-01", im.Contents.Info.Published)
			require.Len(t, im.Contents.Layers, 2)
			assert.Equal(t, "parks", im.Contents.Layers[1].ID)
			assert.Equal(t, admission.RoleReference, im.Contents.Layers[1].Role)
			park := featureByID(t, im.Contents, "parks", "GY-01")
			assert.Equal(t, "省级园区", park.Category)
			assert.Equal(t, map[string]any{}, park.Properties)
			u := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010110001")
			assert.Equal(t, admission.CategoryPriority, u.Category)
			assert.Equal(t, map[string]any{"county_name": "万州区", "county_code": "500101"}, u.Properties)
			var dims []string
			for _, c := range im.Contents.Rules.Clauses {
				dims = append(dims, c.ID+" "+c.Dimension)
			}
			assert.Equal(t, []string{"U-ZH50010110001-KJ-1-1 空间布局约束", "U-ZH50010110001-KJ-1-2 空间布局约束", "U-ZH50010110001-ZY-1 资源利用效率", "U-ZH50010120001-KJ-2-1 空间布局约束"}, dims)
			assert.Equal(t, "skip", im.Sources[2].Layer)
			assert.Equal(t, map[string]string{"id": "DM", "name": "MC", "category": "LB", "空间布局约束": "YQ1", "资源利用效率": "YQ2"}, im.Sources[0].Columns)
		})
	}
}

func TestParseMappingErrors(t *testing.T) {
	for _, tt := range []struct{ name, file, text, want string }{
		{"unknown key", "m.yaml", "files:\n  - file: a.shp\n    layer: rivers\n    colum: X\n", "colum"},
		{"unknown layer without role", "m.yaml", "files:\n  - file: a.shp\n    layer: parks\n", "需同时给出 role"},
		{"bad dimension", "m.json", `{"files":[{"file":"a.shp","layer":"control_units","clauses":{"大气":"X"}}]}`, "维度 \"大气\" 无效"},
		{"missing file", "m.json", `{"files":[{"layer":"rivers"}]}`, "缺少 file"},
		{"bad encoding", "m.yaml", "files:\n  - file: a.shp\n    layer: rivers\n    encoding: klingon\n", "encoding"},
		{"extension", "m.txt", "", ".yaml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMapping(tt.file, []byte(tt.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestImportErrors has one broken input per error.
func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	noShp := filepath.Join(dir, "empty.zip")
	require.NoError(t, os.WriteFile(noShp, zipOf(t, map[string][]byte{"readme.txt": []byte("x"), "a.dbf": {3}}), 0o644))
	unknown := writeShp(t, dir, "unknown", shpFixture{typ: shp.POLYGON, prj: prjCGCS2000, fields: []shpField{{"A", 'C', 4}, {"B", 'N', 4}}, rows: [][]any{{"x", 1}}, parts: [][][]orb.Point{{rect(106.5, 29.5, 106.6, 29.6, true)}}})
	gk := unitsFixture(false, "", "")
	gk.parts = [][][]orb.Point{{rect(36355000, 3266000, 36365000, 3276000, true)}, {rect(36365000, 3266000, 36375000, 3276000, true)}, {rect(36375000, 3266000, 36385000, 3276000, true)}, {rect(36385000, 3266000, 36395000, 3276000, true)}}
	noPrj := writeShp(t, dir, "noprj", gk)
	xian := writeShp(t, filepath.Join(dir), "xian", func() shpFixture { f := unitsFixture(false, prjXian80, ""); f.parts = gk.parts; return f }())
	dwg := filepath.Join(dir, "a.dwg")
	require.NoError(t, os.WriteFile(dwg, []byte("AC1027"), 0o644))
	noID := writeShp(t, dir, "noid", shpFixture{typ: shp.POLYGON, prj: prjCGCS2000, fields: []shpField{{"HJZHGKDYMC", 'C', 20}}, rows: [][]any{{"单元"}}, parts: [][][]orb.Point{{rect(106.5, 29.5, 106.6, 29.6, true)}}})
	for _, tt := range []struct {
		name   string
		input  string
		code   string
		phrase string
	}{
		{"zip without shp", noShp, CodeImportNoLayers, "压缩包中没有 .shp 或 .gpkg 文件（内容："},
		{"unknown layer", unknown, CodeImportUnknownLayer, "unknown.shp（没有可识别的字段；字段：A、B；几何：面）"},
		{"projected without prj", noPrj, CodeImportCRS, "东坐标带号为 36，可能是 CGCS2000 / 3度带高斯-克吕格投影 第 36 带 CM 108°E（EPSG:4524），若为 CGCS2000 请用 --crs EPSG:4524"},
		{"xian 80", xian, CodeImportCRS, "Xian_1980_3_Degree_GK_CM_108E"},
		{"units without code column", noID, CodeImportColumn, "找不到环境管控单元编码（HJZHGKDYBM）列；字段有：HJZHGKDYMC"},
		{"unsupported type", dwg, CodeImportUnsupported, "不支持的文件类型"},
		{"missing file", filepath.Join(dir, "nope.zip"), CodeImportRead, "nope.zip：文件不存在"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadImport(context.Background(), []string{tt.input}, ImportOptions{Info: testInfo()})
			var ie *ImportError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tt.code, ie.Code, ie.Message)
			assert.Contains(t, ie.Error(), tt.phrase)
			if tt.code == CodeImportUnknownLayer {
				assert.Equal(t, []string{"A", "B"}, ie.Fields)
				assert.Contains(t, ie.Template, "  - file: unknown.shp\n    # 字段：A、B；几何：面；1 个要素\n    layer: \"\"")
				_, err := ParseMapping("t.yaml", []byte(ie.Template))
				assert.ErrorContains(t, err, "缺少 layer", "the template parses, and asks for what is missing")
			}
		})
	}
}

// TestImportConversionProblem: a position too far from the zone is a
// located problem, not a silent wrong coordinate.
func TestImportConversionProblem(t *testing.T) {
	dir := t.TempDir()
	fx := districtFixture(false, prjGK108, "")
	fx.parts = [][][]orb.Point{{rect(355000, 3266000, 365000, 3276000, true)}}
	fx.parts[0][0][2] = orb.Point{-2e7, 3276000}
	im, rep := importAndValidate(t, []string{writeShp(t, dir, "d", fx)}, ImportOptions{})
	require.Len(t, rep.Errors, 1, "%v", rep.Errors)
	p := rep.Errors[0]
	assert.Equal(t, crs.CodeOutOfZone, p.Code)
	assert.Equal(t, "500101", p.Feature)
	assert.Equal(t, "polygon[0].ring[0].point[2]", p.Path)
	assert.Contains(t, p.Message, "坐标无法从 CGCS2000 / 3度带高斯-克吕格投影 CM 108°E（EPSG:4545）转换为 CGCS2000 经纬度：")
	assert.Len(t, im.Problems, 1)
}

func TestImportAssembleRings(t *testing.T) {
	outer := rect(0, 0, 10, 10, true)
	hole := rect(2, 2, 4, 4, false)
	island := rect(2.5, 2.5, 3.5, 3.5, true)
	far := rect(20, 0, 30, 10, true)
	tests := []struct {
		name  string
		rings [][]orb.Point
		want  string // polygons as ring counts
	}{
		{"shell and hole", [][]orb.Point{outer, hole}, "[2]"},
		{"two shells, hole after both", [][]orb.Point{outer, far, hole}, "[2 1]"},
		{"island in a hole", [][]orb.Point{outer, hole, island}, "[2 1]"},
		{"all counter-clockwise: nesting decides", [][]orb.Point{reverse(outer), hole, reverse(far)}, "[2 1]"},
		{"all clockwise: nesting decides", [][]orb.Point{outer, reverse(hole)}, "[2]"},
		{"orphan hole becomes a shell", [][]orb.Point{outer, rect(20, 0, 30, 10, false)}, "[1 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rings := make([]orb.Ring, len(tt.rings))
			for i, r := range tt.rings {
				rings[i] = append(orb.Ring(nil), r...)
			}
			var counts []int
			switch g := impAssemble(rings).(type) {
			case orb.Polygon:
				counts = []int{len(g)}
			case orb.MultiPolygon:
				for _, p := range g {
					counts = append(counts, len(p))
				}
			}
			assert.Equal(t, tt.want, fmt.Sprint(counts))
		})
	}
}

// TestImportAssembleManyRings: a record of 20,000 rings (a red line of
// many pieces, each with a hole) is grouped through the R-tree, not by
// comparing every pair.
func TestImportAssembleManyRings(t *testing.T) {
	var rings []orb.Ring
	for i := 0; i < 10_000; i++ {
		x, y := float64(i%100)*10, float64(i/100)*10
		rings = append(rings, orb.Ring(rect(x, y, x+8, y+8, true)))
	}
	for i := 0; i < 10_000; i++ {
		x, y := float64(i%100)*10, float64(i/100)*10
		rings = append(rings, orb.Ring(rect(x+2, y+2, x+4, y+4, false)))
	}
	start := time.Now()
	mp, ok := impAssemble(rings).(orb.MultiPolygon)
	took := time.Since(start)
	require.True(t, ok)
	require.Len(t, mp, 10_000)
	for i, p := range mp {
		require.Len(t, p, 2, "polygon %d", i)
		require.True(t, p[0].Bound().Contains(p[1][0]), "polygon %d: hole outside", i)
	}
	t.Logf("20,000 rings grouped in %v", took)
}

func reverse(r []orb.Point) []orb.Point {
	out := make([]orb.Point, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}

// TestImportDBFLongText reads a character field longer than 255 bytes
// (its length continued in the decimal-count byte) and a deleted record.
func TestImportDBFLongText(t *testing.T) {
	text := strings.Repeat("禁止新建化工项目。", 40) // 360 characters, 1080 bytes in UTF-8
	size := len(text) + 10
	var b []byte
	le := binary.LittleEndian
	hdr := make([]byte, 32)
	hdr[0] = 3
	le.PutUint32(hdr[4:], 2)
	le.PutUint16(hdr[8:], uint16(32+32+1))
	le.PutUint16(hdr[10:], uint16(1+size))
	b = append(b, hdr...)
	fd := make([]byte, 32)
	copy(fd, "KJBJYS")
	fd[11] = 'C'
	fd[16], fd[17] = byte(size&0xff), byte(size>>8)
	b = append(b, fd...)
	b = append(b, 0x0D)
	for i, flag := range []byte{' ', '*'} {
		rec := make([]byte, 1+size)
		rec[0] = flag
		copy(rec[1:], fmt.Sprintf("%d%s", i, text))
		b = append(b, rec...)
	}
	b = append(b, 0x1A)
	d, err := impParseDBF(b)
	require.NoError(t, err)
	nonASCII, valid := d.utf8State()
	assert.True(t, nonASCII && valid)
	names, rows, deleted := d.decode(nil)
	assert.Equal(t, []string{"KJBJYS"}, names)
	assert.Equal(t, "0"+text, rows[0][0])
	assert.Equal(t, []bool{false, true}, deleted)
}

func TestImportTemplate(t *testing.T) {
	dir := t.TempDir()
	units := writeShp(t, dir, "units", unitsFixture(true, prjCGCS2000, "936"))
	tpl, err := ImportTemplate(context.Background(), []string{units}, nil)
	require.NoError(t, err)
	assert.Contains(t, tpl, "    layer: control_units   # 环境管控单元（字段「HJZHGKDYBM」）\n    id: HJZHGKDYBM\n    name: HJZHGKDYMC\n    category: ZHGKDYFL\n    clauses:\n      空间布局约束: KJBJYS\n      污染物排放管控: PWWPFGK\n")
	m, err := ParseMapping("t.yaml", []byte(tpl))
	require.NoError(t, err, tpl)
	m.Dataset = MappingDataset{Name: "模板", Version: "1"}
	im, err := ReadImport(context.Background(), []string{units}, ImportOptions{Mapping: m})
	require.NoError(t, err)
	assert.Empty(t, im.Validate(admission.ValidateOptions{}).Errors)
}

// BenchmarkImport imports 1,000 control units of 1,000 vertices each (a
// 40 × 25 grid of wavy cells sharing their edges, in GK coordinates with a
// .prj, GBK attributes) and writes the dataset: read, convert, validate
// (partition checks included), write. Besides wall time it reports the
// process's CPU time (user + system) for the import, which on a shared
// machine bounds what the wall time would be on an idle one.
func BenchmarkImport(b *testing.B) {
	dir := b.TempDir()
	in := writeShp(b, dir, "units", benchUnits(40, 25, 250))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cpu0 := cpuTime(b)
		t0 := time.Now()
		im, err := ReadImport(context.Background(), []string{in}, ImportOptions{Info: testInfo()})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		rep, _, err := im.Save(filepath.Join(dir, fmt.Sprintf("out%d", i)), false, admission.ValidateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Errors) > 0 {
			b.Fatal(rep.Errors[0])
		}
		t2 := time.Now()
		b.ReportMetric(t1.Sub(t0).Seconds(), "read-s")
		b.ReportMetric(t2.Sub(t1).Seconds(), "validate+write-s")
		b.ReportMetric(float64(im.Sources[0].Vertices), "vertices")
		b.ReportMetric((cpuTime(b) - cpu0).Seconds(), "cpu-s")
	}
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchUnits is a grid of nx × ny cells of 0.01°, each side cut into
// perSide segments displaced along a tapered sine; neighbours compute
// their shared edges from the same integers, so the grid is an exact
// partition. Written in EPSG:4545 metres.
func benchUnits(nx, ny, perSide int) shpFixture {
	c, _ := crs.Parse("EPSG:4545")
	const x0, y0, step, amp = 106.0, 29.0, 0.01, 0.0008
	n := float64(perSide)
	wave := func(line, cell, k int) float64 {
		t := float64(k) / n
		return amp * math.Sin(math.Pi*t) * math.Sin(float64(k)*0.3+float64(line)+2*float64(cell))
	}
	// V is vertex k of the vertical line i in row j; H of the horizontal line j in column i.
	V := func(i, j, k int) orb.Point {
		return orb.Point{x0 + float64(i)*step + wave(i, j, k), y0 + (float64(j)+float64(k)/n)*step}
	}
	H := func(i, j, k int) orb.Point {
		return orb.Point{x0 + (float64(i)+float64(k)/n)*step, y0 + float64(j)*step + wave(j+1000, i, k)}
	}
	fx := shpFixture{typ: shp.POLYGON, gbk: true, prj: prjGK108, cpg: "936", fields: unitFields}
	serial := map[int]int{}
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			var r []orb.Point
			// clockwise: up the west side, east along the north, down the east, west along the south
			for k := 0; k < perSide; k++ {
				r = append(r, V(i, j, k))
			}
			for k := 0; k < perSide; k++ {
				r = append(r, H(i, j+1, k))
			}
			for k := perSide; k > 0; k-- {
				r = append(r, V(i+1, j, k))
			}
			for k := perSide; k > 0; k-- {
				r = append(r, H(i, j, k))
			}
			r = append(r, r[0])
			for k, p := range r {
				q, err := c.FromCGCS2000(p)
				if err != nil {
					panic(err)
				}
				r[k] = q
			}
			cat := 1 + (i+j)%3
			serial[cat]++
			id := fmt.Sprintf("ZH500101%d%04d", cat, serial[cat])
			fx.parts = append(fx.parts, [][]orb.Point{r})
			fx.rows = append(fx.rows, []any{id, fmt.Sprintf("万州区单元%d", len(fx.rows)+1), cat, "万州区", "1-1 禁止新建、扩建化工项目。\n1-2 严格控制畜禽养殖规模。", ""})
		}
	}
	return fx
}

// TestImportSampleRoundTrip imports the layer files of the committed
// sample (gunzipped, named by layer id) and gets the same features back.
func TestImportSampleRoundTrip(t *testing.T) {
	want, err := ReadDataset(Sample())
	require.NoError(t, err)
	dir := t.TempDir()
	var inputs []string
	for _, l := range want.Layers {
		b, err := readFile(Sample(), l.ID+".geojson.gz")
		require.NoError(t, err)
		in := filepath.Join(dir, l.ID+".geojson")
		require.NoError(t, os.WriteFile(in, b, 0o644))
		inputs = append(inputs, in)
	}
	// Not validated again: the geometries must equal the sample's, which
	// data/samplegen's tests validate.
	im, err := ReadImport(context.Background(), inputs, ImportOptions{Info: want.Info})
	require.NoError(t, err)
	require.Empty(t, im.Problems)
	require.Len(t, im.Contents.Layers, len(want.Layers))
	for i, wl := range want.Layers {
		gl := im.Contents.Layers[i]
		require.Equal(t, wl.ID, gl.ID)
		assert.Equal(t, wl.Role, gl.Role)
		assert.Equal(t, wl.Kind, gl.Kind)
		require.Len(t, gl.Features, len(wl.Features), wl.ID)
		for j, wf := range wl.Features {
			gf := gl.Features[j]
			require.Equal(t, wf.ID, gf.ID)
			assert.Equal(t, wf.Name, gf.Name, wf.ID)
			assert.Equal(t, wf.Category, gf.Category, wf.ID)
			assert.Equal(t, fmt.Sprint(wf.Properties), fmt.Sprint(gf.Properties), wf.ID)
			assert.True(t, orb.Equal(wf.Geometry, gf.Geometry), "%s geometry", wf.ID)
		}
	}
}

// TestImportZM reads PolygonZ and PointM shapefiles: Z and M are dropped.
func TestImportZM(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "units")
	w, err := shp.Create(base+".shp", shp.POLYGONZ)
	require.NoError(t, err)
	require.NoError(t, w.SetFields([]shp.Field{shp.StringField("HJZHGKDYBM", 20), shp.NumberField("ZHGKDYFL", 2)}))
	var pts []shp.Point
	for _, p := range rect(106.50, 29.50, 106.60, 29.60, true) {
		pts = append(pts, shp.Point{X: p[0], Y: p[1]})
	}
	n := int32(len(pts))
	w.Write(&shp.PolygonZ{Box: shp.BBoxFromPoints(pts), NumParts: 1, NumPoints: n, Parts: []int32{0}, Points: pts,
		ZRange: [2]float64{200, 300}, ZArray: []float64{200, 250, 300, 250, 200}, MRange: [2]float64{0, 4}, MArray: []float64{0, 1, 2, 3, 4}})
	require.NoError(t, w.WriteAttribute(0, 0, "ZH50010130001"))
	require.NoError(t, w.WriteAttribute(0, 1, 3))
	w.Close()
	require.NoError(t, os.Rename(base+"dbf", base+".dbf"))

	pbase := filepath.Join(dir, "rivers")
	pw, err := shp.Create(pbase+".shp", shp.POINTM)
	require.NoError(t, err)
	pw.Write(&shp.PointM{X: 106.55, Y: 29.55, M: 12})
	pw.Close()

	im, err := ReadImport(context.Background(), []string{base + ".shp", pbase + ".shp"}, ImportOptions{Info: testInfo(),
		Mapping: &Mapping{Files: []FileMapping{{File: "rivers.shp", Layer: "monitoring", Role: admission.RoleReference, Kind: admission.KindPoint}}}})
	require.NoError(t, err)
	assert.Empty(t, im.Validate(admission.ValidateOptions{}).Errors)
	u := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010130001")
	assert.Equal(t, orb.Polygon{orb.Ring(rect(106.50, 29.50, 106.60, 29.60, true))}, u.Geometry, "as written (clockwise) until Write")
	assert.Equal(t, admission.CategoryGeneral, u.Category)
	assert.Equal(t, orb.Point{106.55, 29.55}, featureByID(t, im.Contents, "monitoring", "monitoring-0001").Geometry)
}

// TestImportZipGBKNames reads a zip written on Chinese Windows: entry names
// in GBK without the UTF-8 flag.
func TestImportZipGBKNames(t *testing.T) {
	dir := t.TempDir()
	in := writeShp(t, dir, "units", unitsFixture(true, prjCGCS2000, "936"))
	zpath := filepath.Join(dir, "单元.zip")
	f, err := os.Create(zpath)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		b, err := os.ReadFile(strings.TrimSuffix(in, ".shp") + ext)
		require.NoError(t, err)
		name, err := simplifiedchinese.GBK.NewEncoder().String("成果/环境管控单元" + ext)
		require.NoError(t, err)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, NonUTF8: true, Method: zip.Deflate})
		require.NoError(t, err)
		_, err = w.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	m, err := ParseMapping("m.json", []byte(`{"files":[{"file":"环境管控单元","layer":"control_units"}]}`))
	require.NoError(t, err)
	im, err := ReadImport(context.Background(), []string{zpath}, ImportOptions{Info: testInfo(), Mapping: m})
	require.NoError(t, err)
	assert.Equal(t, "单元.zip/成果/环境管控单元.shp", im.Sources[0].Name)
	assert.Equal(t, "映射文件", im.Sources[0].Detected)
	assert.Len(t, im.Contents.Layers[0].Features, 4)
}

// TestImportGeoJSONCRS reads a GeoJSON with the old "crs" member naming a
// Gauss-Krüger projection, as GIS software still writes it.
func TestImportGeoJSONCRS(t *testing.T) {
	in := filepath.Join(t.TempDir(), "区县.geojson")
	require.NoError(t, os.WriteFile(in, []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}},"features":[
 {"type":"Feature","properties":{"XZQDM":500101,"XZQMC":"万州区"},"geometry":{"type":"Polygon","coordinates":[[[355000,3266000,0],[365000,3266000,0],[365000,3276000,0],[355000,3276000,0],[355000,3266000,0]]]}}]}`), 0o644))
	im, rep := importAndValidate(t, []string{in}, ImportOptions{})
	require.Empty(t, rep.Errors)
	assert.Equal(t, "GeoJSON crs", im.Sources[0].CRSFrom)
	ring := featureByID(t, im.Contents, admission.LayerDistricts, "500101").Geometry.(orb.Polygon)[0]
	assert.InDelta(t, 106.5046727533, ring[0][0], 1e-9) // cs2cs, as in TestImportProjected
	assert.InDelta(t, 29.5034170564, ring[0][1], 1e-9)
}
