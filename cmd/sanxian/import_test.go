package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/internal/pgtest"
)

const importPRJ = `GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]`

// writeUnitsShp writes a GBK shapefile without .cpg (the encoding is
// detected) of two control units, the west one with a hole:
//
//	29.60 +-----------------+-----------------+
//	      | ZH50010110001   | ZH50010120001   |
//	29.56 |   +--+ (hole)   |                 |
//	29.54 |   +--+          |                 |
//	29.50 +-----------------+-----------------+
//	   106.50  .52 .53   106.55            106.60
//
// category is the ZHGKDYFL of the east unit (2 is right).
func writeUnitsShp(t *testing.T, dir string, category string) string {
	t.Helper()
	base := filepath.Join(dir, "管控单元")
	w, err := shp.Create(base+".shp", shp.POLYGON)
	require.NoError(t, err)
	gbk := func(s string) string {
		b, err := simplifiedchinese.GBK.NewEncoder().String(s)
		require.NoError(t, err)
		return b
	}
	require.NoError(t, w.SetFields([]shp.Field{shp.StringField("HJZHGKDYBM", 20), shp.StringField("HJZHGKDYMC", 60), shp.StringField("ZHGKDYFL", 4), shp.StringField("KJBJYS", 254)}))
	pt := func(x, y float64) shp.Point { return shp.Point{X: x, Y: y} }
	// outer rings clockwise, the hole counter-clockwise (shapefile rule)
	west := [][]shp.Point{
		{pt(106.50, 29.50), pt(106.50, 29.60), pt(106.55, 29.60), pt(106.55, 29.50), pt(106.50, 29.50)},
		{pt(106.52, 29.54), pt(106.53, 29.54), pt(106.53, 29.56), pt(106.52, 29.56), pt(106.52, 29.54)},
	}
	east := [][]shp.Point{{pt(106.55, 29.50), pt(106.55, 29.60), pt(106.60, 29.60), pt(106.60, 29.50), pt(106.55, 29.50)}}
	for i, rec := range []struct {
		parts              [][]shp.Point
		id, name, cat, kjb string
	}{
		{west, "ZH50010110001", "万州区优先保护单元", "1", "1-1 禁止新建、扩建化工项目。\n1-2 严格控制畜禽养殖规模。"},
		{east, "ZH50010120001", "万州区重点管控单元", category, "鼓励发展新材料产业。"},
	} {
		w.Write(shp.NewPolyLine(rec.parts))
		for j, v := range []string{rec.id, gbk(rec.name), rec.cat, gbk(rec.kjb)} {
			require.NoError(t, w.WriteAttribute(i, j, v))
		}
	}
	w.Close()
	require.NoError(t, os.Rename(base+"dbf", base+".dbf"))
	require.NoError(t, os.WriteFile(base+".prj", []byte(importPRJ), 0o644))
	return base + ".shp"
}

// writeImportInputs writes the units shapefile and a GeoJSON district
// (whose hole-filling part is the priority unit's hole: a partition).
func writeImportInputs(t *testing.T, category string) []string {
	dir := t.TempDir()
	units := writeUnitsShp(t, dir, category)
	districts := filepath.Join(dir, "区县.geojson")
	require.NoError(t, os.WriteFile(districts, []byte(`{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"XZQDM":"500101","XZQMC":"万州区"},"geometry":{"type":"Polygon","coordinates":[[[106.5,29.5],[106.6,29.5],[106.6,29.6],[106.5,29.6],[106.5,29.5]]]}}]}`), 0o644))
	hole := filepath.Join(dir, "hole.geojson")
	require.NoError(t, os.WriteFile(hole, []byte(`{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"HJZHGKDYBM":"ZH50010130001","HJZHGKDYMC":"万州区一般管控单元","ZHGKDYFL":3},"geometry":{"type":"Polygon","coordinates":[[[106.52,29.54],[106.53,29.54],[106.53,29.56],[106.52,29.56],[106.52,29.54]]]}}]}`), 0o644))
	return []string{units, districts, hole}
}

func TestImportCommand(t *testing.T) {
	inputs := writeImportInputs(t, "2")
	out := filepath.Join(t.TempDir(), "versions", "2026.1")
	args := append([]string{"import", "--out", out, "--name", "万州区生态环境分区管控", "--version", "2026.1", "--published", "2026-03-01", "--authority", "万州区生态环境局"}, inputs...)
	code, stdout, stderr := runCmd(t, args...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "管控单元.shp → control_units（按字段「HJZHGKDYBM」识别）：2 个要素，15 个顶点；属性编码 GBK（无 .cpg，按内容判断）；坐标系 CGCS2000 经纬度（EPSG:4490），来自 .prj")
	assert.Contains(t, stdout, "图层：districts 1 个，control_units 3 个；准入条款 3 条")
	assert.Contains(t, stdout, "结论：通过，0 个错误")
	assert.Contains(t, stdout, "已写出数据集 "+out+"（sha256:")

	c, err := data.LoadDir(out)
	require.NoError(t, err)
	assert.Equal(t, "万州区生态环境局（sanxian import 导入，源坐标系 CGCS2000 经纬度（EPSG:4490）：管控单元.shp、区县.geojson、hole.geojson，已转换为 CGCS2000 经纬度（EPSG:4490））", c.Info.Source)
	_, err = c.Open(admission.Options{})
	require.NoError(t, err)

	// The imported folder answers checks: the point in the hole is in the
	// general unit, and the priority unit's clauses are quoted.
	code, stdout, stderr = runCmd(t, "check", "--wkt", "POINT(106.525 29.55)", "--data", out, "--format", "json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"id":"ZH50010130001"`)
	assert.NotContains(t, stdout, `"id":"ZH50010110001"`)
	code, stdout, stderr = runCmd(t, "check", "--wkt", "POINT(106.51 29.58)", "--data", out, "--format", "json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"id":"ZH50010110001"`)
	assert.Contains(t, stdout, "禁止新建、扩建化工项目。")

	// Again without --force: usage error, folder untouched.
	code, _, stderr = runCmd(t, args...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "已存在且不为空（加 --force 替换）")
	code, _, stderr = runCmd(t, append(args, "--force")...)
	assert.Equal(t, exitOK, code, stderr)
}

func TestImportCommandJSON(t *testing.T) {
	inputs := writeImportInputs(t, "2")
	out := filepath.Join(t.TempDir(), "ds")
	code, stdout, stderr := runCmd(t, append([]string{"import", "--format", "json", "--out", out, "--name", "N", "--version", "V"}, inputs...)...)
	require.Equal(t, exitOK, code, stderr)
	var rep struct {
		Status   string `json:"status"`
		Checksum string `json:"checksum"`
		Sources  []struct {
			Name, Layer, Encoding string
			Features              int
		} `json:"sources"`
		Layers []struct {
			ID       string `json:"id"`
			Features int    `json:"features"`
		} `json:"layers"`
		Clauses    int `json:"clauses"`
		Validation struct {
			Errors   []admission.Problem `json:"errors"`
			Warnings []admission.Problem `json:"warnings"`
		} `json:"validation"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	assert.Equal(t, "written", rep.Status)
	assert.True(t, strings.HasPrefix(rep.Checksum, "sha256:"))
	assert.Equal(t, 3, rep.Clauses)
	assert.Len(t, rep.Sources, 3)
	assert.Equal(t, "control_units", rep.Sources[0].Layer)
	assert.Empty(t, rep.Validation.Errors)
}

func TestImportCommandValidationError(t *testing.T) {
	inputs := writeImportInputs(t, "3") // ZH…2… with category 3
	dir := t.TempDir()
	out := filepath.Join(dir, "ds")
	code, stdout, stderr := runCmd(t, append([]string{"import", "--out", out, "--name", "N", "--version", "V"}, inputs...)...)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stdout, "结论：未通过，1 个错误")
	assert.Contains(t, stdout, "环境管控单元（control_units） / ZH50010120001［category_mismatch］")
	assert.Contains(t, stderr, "未写出任何文件")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, ents, "nothing written, no temporary folder left")

	code, stdout, _ = runCmd(t, append([]string{"import", "--format", "json", "--out", out, "--name", "N", "--version", "V"}, inputs...)...)
	assert.Equal(t, exitFail, code)
	var rep struct {
		Status     string `json:"status"`
		Validation struct {
			Errors []admission.Problem `json:"errors"`
		} `json:"validation"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.Equal(t, "invalid", rep.Status)
	require.Len(t, rep.Validation.Errors, 1)
	assert.Equal(t, admission.CodeUnitCategory, rep.Validation.Errors[0].Code)
}

func TestImportCommandUnknownLayer(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "图层1.geojson")
	require.NoError(t, os.WriteFile(in, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"BH":"1","LX":"甲"},"geometry":{"type":"Polygon","coordinates":[[[106.5,29.5],[106.6,29.5],[106.6,29.6],[106.5,29.5]]]}}]}`), 0o644))
	code, _, stderr := runCmd(t, "import", "--out", filepath.Join(dir, "ds"), "--name", "N", "--version", "V", in)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "无法判断以下输入属于哪个图层")
	assert.Contains(t, stderr, "图层1.geojson（没有可识别的字段；字段：BH、LX；几何：面）")
	assert.Contains(t, stderr, "映射文件模板")
	assert.Contains(t, stderr, "  - file: 图层1.geojson\n")

	// The template, filled in, imports the file.
	code, tpl, _ := runCmd(t, "import", "--print-mapping", in)
	require.Equal(t, exitOK, code)
	filled := strings.Replace(tpl, `layer: ""`, "layer: nature_reserves", 1)
	filled = strings.Replace(filled, `id: ""`, "id: BH", 1)
	filled = strings.Replace(filled, `name: ""`, "name: LX", 1)
	mapping := filepath.Join(dir, "m.yaml")
	require.NoError(t, os.WriteFile(mapping, []byte(filled), 0o644))
	code, stdout, stderr := runCmd(t, "import", "--mapping", mapping, "--out", filepath.Join(dir, "ds"), "--name", "N", "--version", "V", in)
	require.Equal(t, exitOK, code, "%s\n%s\n%s", filled, stdout, stderr)
	assert.Contains(t, stdout, "图层1.geojson → nature_reserves（映射文件）")
}

func TestImportCommandAccessList(t *testing.T) {
	inputs := writeImportInputs(t, "2")
	dir := t.TempDir()
	list := filepath.Join(dir, "准入清单.csv")
	require.NoError(t, os.WriteFile(list, []byte("环境管控单元编码,环境管控单元名称,空间布局约束,污染物排放管控\nZH50010110001,万州区优先保护单元,1-1 禁止新建印染项目。,2-1 执行特别排放限值。\n"), 0o644))
	out := filepath.Join(dir, "ds")
	code, stdout, stderr := runCmd(t, append([]string{"import", "--access-list", list, "--out", out, "--name", "N", "--version", "V"}, inputs...)...)
	require.Equal(t, exitOK, code, "%s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "1 个单元在准入清单中已有单元条款：属性表中这些单元的条款未导入，以准入清单为准")
	c, err := data.LoadDir(out)
	require.NoError(t, err)
	var got []string
	for _, cl := range c.Rules.Clauses {
		got = append(got, cl.ID+" "+cl.Text)
	}
	assert.Equal(t, []string{
		"U-ZH50010110001-KJ-1-1 禁止新建印染项目。",
		"U-ZH50010110001-PW-2-1 执行特别排放限值。",
		"U-ZH50010120001-KJ-1 鼓励发展新材料产业。",
	}, got)
}

func TestImportCommandUsage(t *testing.T) {
	inputs := writeImportInputs(t, "2")
	dir := t.TempDir()
	badMapping := filepath.Join(dir, "m.yaml")
	require.NoError(t, os.WriteFile(badMapping, []byte("files:\n  - file: x\n    layr: rivers\n"), 0o644))
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no inputs", []string{"--out", "x", "--name", "N", "--version", "V"}, "请给出要导入的文件"},
		{"no out", append([]string{"--name", "N", "--version", "V"}, inputs...), "--out"},
		{"no name", append([]string{"--out", filepath.Join(dir, "o")}, inputs...), "--name 和 --version"},
		{"bad date", append([]string{"--out", "x", "--name", "N", "--version", "V", "--published", "2026/3/1"}, inputs...), "YYYY-MM-DD"},
		{"bad crs", append([]string{"--out", "x", "--name", "N", "--version", "V", "--crs", "EPSG:2385"}, inputs...), "不支持的坐标系"},
		{"bad format", append([]string{"--out", "x", "--format", "xml"}, inputs...), "--format"},
		{"bad mapping", append([]string{"--out", "x", "--mapping", badMapping}, inputs...), "layr"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, append([]string{"import"}, tt.args...)...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr, tt.want)
		})
	}
	code, stdout, _ := runCmd(t, "import", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "用法：sanxian import")
}

// gkdySQL makes gis.gkdy: two control units stored in EPSG:4545
// (PostGIS's ST_Transform, that is PROJ, made the coordinates) that tile
// the square 106.5–106.6 °E, 29.5–29.6 °N; the first has a hole the second
// fills.
const gkdySQL = `CREATE SCHEMA gis;
CREATE TABLE gis.gkdy (hjzhgkdybm text, hjzhgkdymc text, zhgkdyfl integer, kjbjys text, mj numeric, geom geometry(MultiPolygon, 4545));
INSERT INTO gis.gkdy VALUES
 ('ZH50010110001', '万州区优先保护单元', 1, '1-1 禁止新建化工项目。', 12.5,
  ST_Transform(ST_GeomFromText('MULTIPOLYGON(((106.50 29.50,106.55 29.50,106.55 29.60,106.50 29.60,106.50 29.50),(106.52 29.54,106.52 29.56,106.53 29.56,106.53 29.54,106.52 29.54)))', 4490), 4545)),
 ('ZH50010130001', '万州区一般管控单元', 3, NULL, NULL,
  ST_Transform(ST_GeomFromText('MULTIPOLYGON(((106.52 29.54,106.53 29.54,106.53 29.56,106.52 29.56,106.52 29.54)),((106.55 29.50,106.60 29.50,106.60 29.60,106.55 29.60,106.55 29.50)))', 4490), 4545));`

// postgisDB returns the URL of a new database of the shared test cluster
// with PostGIS and the tables sql makes; without PostGIS the test skips.
func postgisDB(t *testing.T, sql string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	dbURL := pgtest.Shared(t).NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		t.Skipf("PostGIS not installed (apt-get install postgresql-15-postgis-3): %v", err)
	}
	_, err = conn.Exec(ctx, sql)
	require.NoError(t, err)
	return dbURL
}

// withQuery adds query parameters to a database URL.
func withQuery(dbURL, params string) string {
	if strings.Contains(dbURL, "?") {
		return dbURL + "&" + params
	}
	return dbURL + "?" + params
}

// TestImportCommandPostGIS imports control units from a PostGIS table
// named on the command line, next to a GeoJSON district.
func TestImportCommandPostGIS(t *testing.T) {
	dbURL := postgisDB(t, gkdySQL)
	ctx := context.Background()

	dir := t.TempDir()
	districts := filepath.Join(dir, "区县.geojson")
	require.NoError(t, os.WriteFile(districts, []byte(`{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"XZQDM":"500101","XZQMC":"万州区"},"geometry":{"type":"Polygon","coordinates":[[[106.5,29.5],[106.6,29.5],[106.6,29.6],[106.5,29.6],[106.5,29.5]]]}}]}`), 0o644))
	out := filepath.Join(dir, "ds")
	input := withQuery(dbURL, "table=gis.gkdy")
	code, stdout, stderr := runCmd(t, "import", "--out", out, "--name", "N", "--version", "V", input, districts)
	require.Equal(t, exitOK, code, "%s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "/gis.gkdy → control_units（按字段「hjzhgkdybm」识别）：2 个要素")
	assert.Contains(t, stdout, "坐标系 CGCS2000 / 3度带高斯-克吕格投影 CM 108°E（EPSG:4545），来自 PostGIS SRID")
	assert.NotContains(t, stdout+stderr, "password")

	c, err := data.LoadDir(out)
	require.NoError(t, err)
	units := c.Layers[1]
	require.Equal(t, admission.LayerControlUnits, units.ID)
	u1 := units.Features[0]
	assert.Equal(t, "ZH50010110001", u1.ID)
	assert.Equal(t, admission.CategoryPriority, u1.Category)
	assert.Equal(t, 12.5, u1.Properties["mj"])
	mp, ok := u1.Geometry.(orb.MultiPolygon) // as stored: a MultiPolygon column
	require.True(t, ok, "%T", u1.Geometry)
	require.Len(t, mp, 1)
	p := mp[0]
	require.Len(t, p, 2, "hole kept")
	assert.InDelta(t, 106.50, p[0][0][0], 1e-8)
	assert.InDelta(t, 29.50, p[0][0][1], 1e-8)
	assert.Equal(t, orb.CCW, p[0].Orientation())
	assert.IsType(t, orb.MultiPolygon{}, units.Features[1].Geometry)
	assert.Len(t, c.Rules.Clauses, 1)
	ds, err := c.Open(admission.Options{})
	require.NoError(t, err)
	res, err := ds.Check(ctx, admission.CheckRequest{Geometry: orb.Point{106.525, 29.55}, Layers: []string{admission.LayerControlUnits}})
	require.NoError(t, err)
	require.Len(t, res.Hits, 1)
	assert.Equal(t, "ZH50010130001", res.Hits[0].ID)

	// A missing table is a read error naming it.
	code, _, stderr = runCmd(t, "import", "--out", filepath.Join(dir, "x"), "--name", "N", "--version", "V", strings.Replace(input, "gis.gkdy", "gis.nope", 1))
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "gis.nope：表不存在，或没有 geometry 类型的列")
}

// TestImportCommandPostGISSource imports a whole database with --source:
// the tables that are layers are found by their columns (in two schemas),
// the others are left out with a note, and a mapping file or a table list
// narrows it down.
func TestImportCommandPostGISSource(t *testing.T) {
	dbURL := postgisDB(t, gkdySQL+`
CREATE TABLE gis.qx (xzqdm text, xzqmc text, geom geometry(Polygon, 4490));
INSERT INTO gis.qx VALUES ('500101', '万州区', ST_GeomFromText('POLYGON((106.5 29.5,106.6 29.5,106.6 29.6,106.5 29.6,106.5 29.5))', 4490));
CREATE SCHEMA hx;
CREATE TABLE hx.sthx (sthjysgkfqbm text, sthjysgkfqmc text, geom geometry(Polygon, 4490));
INSERT INTO hx.sthx VALUES ('HX500101-0001', '铁峰山生态保护红线', ST_GeomFromText('POLYGON((106.505 29.505,106.515 29.505,106.515 29.515,106.505 29.515,106.505 29.505))', 4490));
-- 250 river reaches: more than the rows detection looks at.
CREATE TABLE gis.hl (hlmc text, geom geometry(LineString, 4490));
INSERT INTO gis.hl SELECT '支流' || i, ST_MakeLine(ST_SetSRID(ST_MakePoint(106.5 + i * 0.0003, 29.51), 4490), ST_SetSRID(ST_MakePoint(106.5 + i * 0.0003, 29.52), 4490))
  FROM generate_series(1, 250) AS i;
CREATE TABLE public.parcels (a text, b integer, geom geometry(Polygon, 4490));
INSERT INTO public.parcels VALUES ('x', 1, ST_GeomFromText('POLYGON((106.5 29.5,106.51 29.5,106.51 29.51,106.5 29.5))', 4490));
CREATE TABLE public.roads (dlmc text, geom geometry(LineString, 4490));
INSERT INTO public.roads VALUES ('G42', ST_GeomFromText('LINESTRING(106.5 29.5,106.6 29.6)', 4490));
CREATE TABLE public.two_geoms (name text, pt geometry(Point, 4490), area geometry(Polygon, 4490));
CREATE TABLE public.plain (id integer, note text);`)
	dir := t.TempDir()
	base := []string{"import", "--name", "N", "--version", "V", "--authority", "测试局"}

	out := filepath.Join(dir, "all")
	code, stdout, stderr := runCmd(t, append(base, "--out", out, "--source", dbURL)...)
	require.Equal(t, exitOK, code, "%s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "/gis.gkdy → control_units（按字段「hjzhgkdybm」识别）：2 个要素")
	assert.Contains(t, stdout, "/gis.qx → districts（")
	assert.Contains(t, stdout, "/hx.sthx → eco_redline（按字段「sthjysgkfqbm」识别）：1 个要素")
	assert.Contains(t, stdout, "/gis.hl → rivers（按字段「hlmc」识别）：250 个要素", "read in full after detection saw the first rows")
	assert.Contains(t, stdout, "图层：districts 1 个，control_units 2 个，eco_redline 1 个，rivers 250 个")
	assert.Contains(t, stdout, "/public.parcels：未识别为图层（")
	assert.Contains(t, stdout, "字段：a、b），未导入；要导入请在映射文件中为它写 layer")
	assert.Contains(t, stdout, "/public.two_geoms：表有多个几何列（area、pt），未导入；要导入请用 table=public.two_geoms&geom=列名 单独给出")
	assert.Contains(t, stdout, "/public.roads：只有几何类型（线要素）像 rivers 图层，字段（dlmc）不能确认，未导入", "lines alone do not make a table a river layer")
	assert.NotContains(t, stdout, "plain", "a table without geometry is not a candidate")
	c, err := data.LoadDir(out)
	require.NoError(t, err)
	assert.Equal(t, "测试局", strings.SplitN(c.Info.Source, "（", 2)[0], "--authority is the dataset's source")
	_, err = c.Open(admission.Options{FullValidation: true})
	require.NoError(t, err)

	// JSON: the skipped tables are notes with a stable code.
	code, stdout, stderr = runCmd(t, append(base, "--out", filepath.Join(dir, "json"), "--format", "json", "--source", dbURL)...)
	require.Equal(t, exitOK, code, stderr)
	var rep importReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	var skipped []string
	for _, n := range rep.Notes {
		if n.Code == data.WarnTableSkipped {
			skipped = append(skipped, n.Source[strings.LastIndex(n.Source, "/")+1:])
		}
	}
	assert.Equal(t, []string{"public.parcels", "public.roads", "public.two_geoms"}, skipped)

	// A mapping entry puts an unrecognised table in a layer, or skips one.
	mapping := filepath.Join(dir, "m.yaml")
	require.NoError(t, os.WriteFile(mapping, []byte("files:\n  - file: public.parcels\n    layer: nature_reserves\n    name: a\n  - file: hl\n    layer: skip\n"), 0o644))
	code, stdout, stderr = runCmd(t, append(base, "--out", filepath.Join(dir, "mapped"), "--mapping", mapping, "--source", dbURL)...)
	require.Equal(t, exitOK, code, "%s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "/public.parcels → nature_reserves（映射文件）：1 个要素")
	assert.Contains(t, stdout, "/gis.hl：按映射文件跳过")
	assert.NotContains(t, stdout, "→ rivers")

	// schema= narrows the search; table= names tables (an unrecognised
	// one stops the import, as a file would).
	code, stdout, stderr = runCmd(t, append(base, "--out", filepath.Join(dir, "gis"), "--source", withQuery(dbURL, "schema=gis"))...)
	require.Equal(t, exitOK, code, "%s\n%s", stdout, stderr)
	assert.Contains(t, stdout, "图层：districts 1 个，control_units 2 个，rivers 250 个")
	assert.NotContains(t, stdout, "public.")
	code, _, stderr = runCmd(t, append(base, "--out", filepath.Join(dir, "t"), "--source", withQuery(dbURL, "table=gis.gkdy,public.parcels"))...)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "无法判断以下输入属于哪个图层")
	assert.Contains(t, stderr, "/public.parcels（")

	// Nothing recognisable: the import stops and says what it saw.
	code, _, stderr = runCmd(t, append(base, "--out", filepath.Join(dir, "none"), "--source", withQuery(dbURL, "schema=public"))...)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "的模式 public中没有能识别为图层的表")
	assert.Contains(t, stderr, "/public.parcels：未识别为图层")
	assert.NoDirExists(t, filepath.Join(dir, "none"))

	// --print-mapping lists every table with one geometry column.
	code, stdout, stderr = runCmd(t, "import", "--print-mapping", "--source", dbURL)
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{"/gis.gkdy", "/gis.qx", "/hx.sthx", "/gis.hl", "/public.parcels"} {
		assert.Contains(t, stdout, want)
	}
	assert.Contains(t, stderr, "two_geoms：表有多个几何列")
	_, err = data.ParseMapping("m.yaml", []byte(stdout))
	assert.ErrorContains(t, err, "缺少 layer", "the template parses and asks for the parcels' layer")

	// --source takes a database; the dataset's source is --authority.
	code, _, stderr = runCmd(t, append(base, "--out", filepath.Join(dir, "x"), "--source", "万州区生态环境局")...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--source 应为 PostGIS 数据库地址 postgres://…")
	assert.Contains(t, stderr, "请用 --authority")
	assert.NotContains(t, stderr, "invalid value", "said in Chinese, not by the flag package")
}
