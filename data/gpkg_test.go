package data

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	orbwkb "github.com/paulmach/orb/encoding/wkb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twpayne/go-geom"
	geomwkb "github.com/twpayne/go-geom/encoding/wkb"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// gpkgSchema is the part of a GeoPackage's schema (OGC 12-128 §1.1.2–
// 1.1.3) the importer reads, with the two undefined systems every
// GeoPackage has, EPSG:4545 and a system known only by its WKT.
const gpkgSchema = `
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
  ('CGCS2000 / 3-degree Gauss-Kruger CM 108E', 4545, 'EPSG', 4545, 'PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 108E"]', NULL),
  ('Pseudo-Mercator', 3857, 'EPSG', 3857, 'PROJCS["WGS 84 / Pseudo-Mercator"]', NULL);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);`

// gpkgBlob is a GeoPackage geometry: the header (little-endian, with a
// 32-byte envelope when withEnvelope) and the WKB.
func gpkgBlob(t *testing.T, srs int32, wkb []byte, withEnvelope bool) []byte {
	t.Helper()
	h := []byte{'G', 'P', 0, 0x01, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(h[4:], uint32(srs))
	if withEnvelope {
		h[3] |= 1 << 1
		h = append(h, make([]byte, 32)...) // the envelope's values are not read
	}
	return append(h, wkb...)
}

func writeGPKG(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(gpkgSchema)
	require.NoError(t, err)
	for _, s := range stmts {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
}

// TestImportGeoPackage imports a GeoPackage as QGIS writes one: control
// units in EPSG:4545 (a hole, a multipart unit), a red line with Z
// values whose CRS is known only by its WKT and whose headers carry an
// envelope, an attribute table (not a layer) and a Chinese file name.
func TestImportGeoPackage(t *testing.T) {
	dir := t.TempDir()
	gk, err := crs.Parse("EPSG:4545")
	require.NoError(t, err)
	project := func(p orb.Point) orb.Point {
		q, err := gk.FromCGCS2000(p)
		require.NoError(t, err)
		return q
	}
	polyWKB := func(rings [][]orb.Point) []byte {
		var p orb.Polygon
		for _, r := range rings {
			var pr orb.Ring
			for _, pt := range r {
				pr = append(pr, project(pt))
			}
			p = append(p, pr)
		}
		b, err := orbwkb.Marshal(p, binary.LittleEndian)
		require.NoError(t, err)
		return b
	}
	u2 := orb.MultiPolygon{}
	for _, r := range unitParts[1] {
		var pr orb.Ring
		for _, pt := range r {
			pr = append(pr, project(pt))
		}
		u2 = append(u2, orb.Polygon{pr})
	}
	u2WKB, err := orbwkb.Marshal(u2, binary.LittleEndian)
	require.NoError(t, err)
	// The red line in 3D, as a surveyed layer may be.
	var rl []geom.Coord
	for _, p := range rect(106.505, 29.505, 106.515, 29.515, false) {
		q := project(p)
		rl = append(rl, geom.Coord{q[0], q[1], 312.5})
	}
	redline, err := geomwkb.Marshal(geom.NewPolygon(geom.XYZ).MustSetCoords([][]geom.Coord{rl}), binary.LittleEndian)
	require.NoError(t, err)

	path := filepath.Join(dir, "三线一单 成果.gpkg")
	db := func() []string {
		var stmts []string
		add := func(s string) { stmts = append(stmts, s) }
		add(`INSERT INTO gpkg_spatial_ref_sys VALUES ('CGCS2000 GK CM 108E (ESRI)', 100001, 'NONE', 100001, '` + prjGK108 + `', NULL)`)
		add(`INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('环境管控单元', 'features', 4545), ('生态保护红线', 'features', 100001), ('说明', 'attributes', NULL)`)
		add(`INSERT INTO gpkg_geometry_columns VALUES ('环境管控单元', 'geom', 'MULTIPOLYGON', 4545, 0, 0), ('生态保护红线', 'shape', 'POLYGON', 100001, 1, 0)`)
		add(`CREATE TABLE "环境管控单元" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, HJZHGKDYBM TEXT, HJZHGKDYMC TEXT, ZHGKDYFL INTEGER, KJBJYS TEXT, photo BLOB)`)
		add(`CREATE TABLE "生态保护红线" (fid INTEGER PRIMARY KEY, shape BLOB, STHJYSGKFQBM TEXT, STHJYSGKFQMC TEXT)`)
		add(`CREATE TABLE "说明" (id INTEGER PRIMARY KEY, text TEXT)`)
		return stmts
	}()
	writeGPKG(t, path, db...)
	sqlDB, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	rows := unitRows()
	geoms := [][]byte{polyWKB(unitParts[0]), u2WKB, polyWKB(unitParts[2]), polyWKB(unitParts[3])}
	for i, r := range rows {
		_, err := sqlDB.Exec(`INSERT INTO "环境管控单元" (geom, HJZHGKDYBM, HJZHGKDYMC, ZHGKDYFL, KJBJYS, photo) VALUES (?, ?, ?, ?, ?, x'FFD8')`,
			gpkgBlob(t, 4545, geoms[i], false), r[0], r[1], r[2], r[4])
		require.NoError(t, err)
	}
	_, err = sqlDB.Exec(`INSERT INTO "生态保护红线" VALUES (1, ?, 'HX500101-0001', '铁峰山生态保护红线')`, gpkgBlob(t, 100001, redline, true))
	require.NoError(t, err)
	require.NoError(t, sqlDB.Close())

	im, rep := importAndValidate(t, []string{path}, ImportOptions{})
	require.Empty(t, rep.Errors)
	require.Len(t, im.Sources, 2, "the attribute table is not a layer")
	byLayer := map[string]ImportSource{}
	for _, s := range im.Sources {
		byLayer[s.Layer] = s
	}
	units, hx := byLayer[admission.LayerControlUnits], byLayer[admission.LayerEcoRedline]
	assert.Equal(t, "三线一单 成果.gpkg/环境管控单元", units.Name)
	assert.Equal(t, "geopackage", units.Format)
	assert.Equal(t, 4, units.Features)
	assert.Equal(t, "EPSG:4545", units.CRS)
	assert.Equal(t, "GeoPackage srs_id 4545", units.CRSFrom)
	assert.Equal(t, "EPSG:4545", hx.CRS, "read from the WKT of a non-EPSG entry")
	assert.Equal(t, 1, hx.Features)

	u1 := featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010110001")
	poly, ok := u1.Geometry.(orb.Polygon)
	require.True(t, ok, "%T", u1.Geometry)
	require.Len(t, poly, 2, "hole kept")
	assert.InDelta(t, 106.50, poly[0][0][0], 1e-8)
	assert.InDelta(t, 29.50, poly[0][0][1], 1e-8)
	assert.NotContains(t, u1.Properties, "photo", "a BLOB attribute is left out")
	assert.IsType(t, orb.MultiPolygon{}, featureByID(t, im.Contents, admission.LayerControlUnits, "ZH50010120001").Geometry)
	red := featureByID(t, im.Contents, admission.LayerEcoRedline, "HX500101-0001").Geometry.(orb.Polygon)
	assert.InDelta(t, 106.505, red[0][0][0], 1e-8, "Z dropped, position kept")
	assert.InDelta(t, 29.505, red[0][0][1], 1e-8)

	out := filepath.Join(dir, "ds")
	_, err = im.Write(out, false)
	require.NoError(t, err)
	c, err := LoadDir(out)
	require.NoError(t, err)
	ds, err := c.Open(admission.Options{})
	require.NoError(t, err)
	assert.Equal(t, "ZH50010130001", hitAt(t, ds, 106.525, 29.55), "in U1's hole")
	assert.Equal(t, "ZH50010120001", hitAt(t, ds, 106.58, 29.58))

	// Zipped, as agencies send files.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	zipped := filepath.Join(dir, "成果.zip")
	require.NoError(t, os.WriteFile(zipped, zipOf(t, map[string][]byte{"数据/三线一单 成果.gpkg": raw}), 0o644))
	imz, repz := importAndValidate(t, []string{zipped}, ImportOptions{})
	require.Empty(t, repz.Errors)
	require.Len(t, imz.Sources, 2)
	assert.Equal(t, "成果.zip/数据/三线一单 成果.gpkg/环境管控单元", imz.Sources[0].Name)
	plain, _ := importAndValidate(t, []string{path}, ImportOptions{}) // im's rings were oriented by Write
	assert.Equal(t, plain.Contents.Layers, imz.Contents.Layers, "the same layers as from the file itself")

	// A mapping entry by table name.
	m := &Mapping{Files: []FileMapping{{File: "生态保护红线", Layer: LayerSkip}}}
	im, err = ReadImport(context.Background(), []string{path}, ImportOptions{Info: testInfo(), Mapping: m})
	require.NoError(t, err)
	assert.Len(t, im.Contents.Layers, 1)
}

func TestImportGeoPackageErrors(t *testing.T) {
	dir := t.TempDir()
	notSQLite := filepath.Join(dir, "a.gpkg")
	require.NoError(t, os.WriteFile(notSQLite, []byte("PK\x03\x04 this is a zip"), 0o644))
	noFeatures := filepath.Join(dir, "b.gpkg")
	writeGPKG(t, noFeatures, `INSERT INTO gpkg_contents (table_name, data_type) VALUES ('t', 'attributes')`, `CREATE TABLE t (a TEXT)`)
	mercator := filepath.Join(dir, "c.gpkg")
	writeGPKG(t, mercator, `INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('u', 'features', 3857)`,
		`INSERT INTO gpkg_geometry_columns VALUES ('u', 'geom', 'POLYGON', 3857, 0, 0)`,
		`CREATE TABLE u (fid INTEGER PRIMARY KEY, geom BLOB, HJZHGKDYBM TEXT)`,
		`INSERT INTO u VALUES (1, x'47500011110F0000', 'ZH50010110001')`) // an empty polygon: the header only
	badGeom := filepath.Join(dir, "d.gpkg")
	writeGPKG(t, badGeom, `INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('u', 'features', 4545)`,
		`INSERT INTO gpkg_geometry_columns VALUES ('u', 'geom', 'POLYGON', 4545, 0, 0)`,
		`CREATE TABLE u (fid INTEGER PRIMARY KEY, geom BLOB, HJZHGKDYBM TEXT)`,
		`INSERT INTO u VALUES (1, x'0102030405', 'ZH50010110001')`)
	for _, tt := range []struct {
		name, input, code, phrase string
	}{
		{"not a GeoPackage", notSQLite, CodeImportRead, "a.gpkg：不是有效的 GeoPackage"},
		{"no feature table", noFeatures, CodeImportNoLayers, "b.gpkg：GeoPackage 中没有要素表"},
		{"web mercator", mercator, CodeImportCRS, "c.gpkg/u：GeoPackage srs_id 3857 给出的坐标系无法使用：不支持的坐标系 \"EPSG:3857\"：EPSG:3857 是 Web 墨卡托投影"},
		{"bad geometry", badGeom, CodeImportRead, "d.gpkg/u：第 1 行的几何无法读取：不是 GeoPackage 几何（缺少 GP 标记）"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadImport(context.Background(), []string{tt.input}, ImportOptions{Info: testInfo()})
			var ie *ImportError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tt.code, ie.Code, ie.Error())
			assert.Contains(t, ie.Error(), tt.phrase)
		})
	}
}

// A WKB that declares more points than it holds is refused before the
// decoder allocates for them (2^31 points would be 32 GB).
func TestGPKGGeometryCountsMustFit(t *testing.T) {
	line := binary.LittleEndian.AppendUint32([]byte{1}, 2)    // LineString
	line = binary.LittleEndian.AppendUint32(line, 0x7fffffff) // points claimed
	poly := binary.LittleEndian.AppendUint32([]byte{1}, 1003) // Polygon Z
	poly = binary.LittleEndian.AppendUint32(poly, 1)
	poly = binary.LittleEndian.AppendUint32(poly, 1<<30)
	multi := binary.BigEndian.AppendUint32([]byte{0}, 6) // MultiPolygon, big-endian
	multi = binary.BigEndian.AppendUint32(multi, 1<<28)
	for name, wkb := range map[string][]byte{"line": line, "polygon Z ring": poly, "multipolygon": multi} {
		t.Run(name, func(t *testing.T) {
			var err error
			fuzzkit.AllocBound(t, 1<<20, func() { _, err = gpkgGeometry(gpkgBlob(t, 4490, wkb, false)) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), "但数据不足")
		})
	}
}

// FuzzGPKGGeometry reads arbitrary bytes after a GeoPackage header: an
// error or a geometry with no more positions than the input can hold,
// never a panic or an allocation out of proportion to the input.
func FuzzGPKGGeometry(f *testing.F) {
	for _, g := range []orb.Geometry{
		orb.Point{106.5, 29.5},
		orb.LineString{{106.5, 29.5}, {106.6, 29.6}},
		orb.Polygon{orb.Ring(rect(106.5, 29.5, 106.6, 29.6, false))},
		orb.MultiPolygon{{orb.Ring(rect(106.5, 29.5, 106.6, 29.6, false))}, {orb.Ring(rect(107, 29, 107.1, 29.1, false))}},
		orb.Collection{orb.Point{1, 2}},
	} {
		b, err := orbwkb.Marshal(g, binary.LittleEndian)
		require.NoError(f, err)
		f.Add(b)
	}
	z, err := geomwkb.Marshal(geom.NewLineString(geom.XYZM).MustSetCoords([]geom.Coord{{1, 2, 3, 4}, {5, 6, 7, 8}}), binary.BigEndian)
	require.NoError(f, err)
	f.Add(z)
	f.Fuzz(func(t *testing.T, wkb []byte) {
		blob := append([]byte{'G', 'P', 0, 0x01, 0xc2, 0x11, 0, 0}, wkb...)
		var (
			g   orb.Geometry
			err error
		)
		fuzzkit.AllocBound(t, 64*uint64(len(blob))+1<<20, func() { g, err = gpkgGeometry(blob) })
		if err != nil || g == nil {
			return
		}
		// Every position takes at least two doubles of the input.
		assert.LessOrEqual(t, geo.CountVertices(g), len(wkb)/16, "positions the input does not hold")
	})
}

// TestImportGeoPackageWrittenByGDAL imports a GeoPackage written by
// another implementation: GDAL 3.6.2 (Debian's gdal-bin) converted
// testdata/import/gdal-units.geojson and gdal-redline.geojson (CGCS2000
// lon/lat, the red line with Z) to EPSG:4545 with PROJ:
//
//	ogr2ogr -f GPKG -t_srs EPSG:4545 -nln 环境管控单元 -nlt MULTIPOLYGON -lco SPATIAL_INDEX=NO gdal.gpkg gdal-units.geojson
//	ogr2ogr -f GPKG -update -t_srs EPSG:4545 -nln 生态保护红线 -dim XYZ -lco SPATIAL_INDEX=NO gdal.gpkg gdal-redline.geojson
//	gzip -9 gdal.gpkg   # → testdata/import/gdal-3.6.2.gpkg.gz
//
// The import must give back the GeoJSON's positions within 1e-8° (about
// 1 mm: PROJ's forward projection against this package's inverse).
func TestImportGeoPackageWrittenByGDAL(t *testing.T) {
	gz, err := os.Open(filepath.Join("testdata", "import", "gdal-3.6.2.gpkg.gz"))
	require.NoError(t, err)
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "gdal.gpkg")
	require.NoError(t, os.WriteFile(path, raw, 0o644))

	im, rep := importAndValidate(t, []string{path}, ImportOptions{})
	require.Empty(t, rep.Errors)
	require.Len(t, im.Sources, 2)
	for _, s := range im.Sources {
		assert.Equal(t, "EPSG:4545", s.CRS, s.Name)
		assert.Equal(t, "GeoPackage srs_id 4545", s.CRSFrom, s.Name)
	}
	for _, want := range []struct {
		layer, file string
	}{
		{admission.LayerControlUnits, "gdal-units.geojson"},
		{admission.LayerEcoRedline, "gdal-redline.geojson"},
	} {
		src, err := ReadImport(context.Background(), []string{filepath.Join("testdata", "import", want.file)}, ImportOptions{Info: testInfo()})
		require.NoError(t, err)
		for _, f := range src.Contents.Layers[0].Features {
			got := featureByID(t, im.Contents, want.layer, f.ID)
			assert.Equal(t, f.Name, got.Name)
			assert.Equal(t, f.Category, got.Category)
			wp, gp := geo.AsMultiPolygon(f.Geometry), geo.AsMultiPolygon(got.Geometry)
			require.Len(t, gp, len(wp), f.ID)
			for k := range wp {
				require.Len(t, gp[k], len(wp[k]), "%s polygon %d: rings", f.ID, k)
				for j := range wp[k] {
					require.Len(t, gp[k][j], len(wp[k][j]), "%s polygon %d ring %d", f.ID, k, j)
					for n := range wp[k][j] {
						assert.InDelta(t, wp[k][j][n][0], gp[k][j][n][0], 1e-8, "%s %d/%d/%d lon", f.ID, k, j, n)
						assert.InDelta(t, wp[k][j][n][1], gp[k][j][n][1], 1e-8, "%s %d/%d/%d lat", f.ID, k, j, n)
					}
				}
			}
		}
	}
}
