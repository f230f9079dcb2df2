package data

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strings"

	"github.com/paulmach/orb"
	geomwkb "github.com/twpayne/go-geom/encoding/wkb"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/sanxian/sanxian/crs"
)

// readImportGPKG reads the feature tables of a GeoPackage (OGC 12-128,
// the SQLite format QGIS and ArcGIS Pro export) as input layers, one per
// table listed in gpkg_contents with data_type "features", in name order.
// Each layer is named "<file>/<table>"; a mapping entry may give that,
// the table name or the file name (which matches every table). The CRS
// comes from the table's srs_id: an EPSG entry of gpkg_spatial_ref_sys
// gives "EPSG:N", another one is read from its WKT definition, the
// undefined systems (0, -1) give none (degrees are then taken as
// CGCS2000 with a warning, as for a shapefile without .prj). Geometries
// are the GeoPackage binary header followed by WKB (Z and M dropped);
// attribute BLOBs are left out. The file is opened read-only.
func readImportGPKG(path, base string) ([]*impSource, error) {
	fail := func(format string, args ...any) ([]*impSource, error) {
		return nil, importErr(base, CodeImportRead, format, args...)
	}
	// Read-only, and hardened as SQLite advises for files from elsewhere
	// (sqlite.org/security.html): no functions with side effects from the
	// schema, cell sizes checked, no memory mapping.
	q := url.Values{"mode": {"ro"}, "_pragma": {"query_only(1)", "trusted_schema(0)", "cell_size_check(1)", "mmap_size(0)"}}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return fail("无法打开 GeoPackage：%v", err)
	}
	defer db.Close()
	type table struct {
		name, column string
		srs          int64
	}
	rows, err := db.Query(`SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
		JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name`)
	if err != nil {
		return fail("不是有效的 GeoPackage（没有 gpkg_contents、gpkg_geometry_columns 表，或文件已损坏）")
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.column, &t.srs); err != nil {
			rows.Close()
			return fail("无法读取 gpkg_contents：%v", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail("无法读取 gpkg_contents：%v", err)
	}
	if len(tables) == 0 {
		return nil, importErr(base, CodeImportNoLayers, "GeoPackage 中没有要素表（gpkg_contents 中没有 data_type 为 features 的表）")
	}
	var out []*impSource
	for _, tb := range tables {
		name := base + "/" + tb.name
		t := ImportTable{Name: name}
		if t.CRS, t.CRSFrom, err = gpkgCRS(db, tb.srs); err != nil {
			return nil, importErr(name, CodeImportCRS, "%v", err)
		}
		quoted := `"` + strings.ReplaceAll(tb.name, `"`, `""`) + `"`
		cols, err := db.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, tb.name)
		if err != nil {
			return nil, importErr(name, CodeImportRead, "无法读取表的列：%v", err)
		}
		var all []string
		for cols.Next() {
			var c string
			if err := cols.Scan(&c); err != nil {
				cols.Close()
				return nil, importErr(name, CodeImportRead, "无法读取表的列：%v", err)
			}
			all = append(all, c)
		}
		cols.Close()
		geomAt := -1
		for i, c := range all {
			if strings.EqualFold(c, tb.column) {
				geomAt = i
			} else {
				t.Fields = append(t.Fields, c)
			}
		}
		if geomAt < 0 {
			return nil, importErr(name, CodeImportRead, "表中没有 gpkg_geometry_columns 所说的几何列 %s", tb.column)
		}
		rs, err := db.Query(`SELECT * FROM ` + quoted)
		if err != nil {
			return nil, importErr(name, CodeImportRead, "无法读取表：%v", err)
		}
		vals := make([]any, len(all))
		ptrs := make([]any, len(all))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				rs.Close()
				return nil, importErr(name, CodeImportRead, "无法读取第 %d 行：%v", len(t.Rows)+1, err)
			}
			row := make([]any, 0, len(t.Fields))
			var g orb.Geometry
			for i, v := range vals {
				if i == geomAt {
					b, _ := v.([]byte)
					if b != nil {
						if g, err = gpkgGeometry(b); err != nil {
							rs.Close()
							return nil, importErr(name, CodeImportRead, "第 %d 行的几何无法读取：%v", len(t.Rows)+1, err)
						}
					}
					continue
				}
				if _, blob := v.([]byte); blob {
					v = nil
				}
				row = append(row, v)
			}
			t.Rows = append(t.Rows, row)
			t.Geometries = append(t.Geometries, g)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, importErr(name, CodeImportRead, "无法读取表：%v", err)
		}
		s, err := tableSource(t)
		if err != nil {
			return nil, err
		}
		s.format = "geopackage"
		s.keys = []string{name, tb.name, base}
		out = append(out, s)
	}
	return out, nil
}

// readZippedGPKG reads a GeoPackage taken out of a zip: it is written to
// a temporary file (removed afterwards) for SQLite to open. Its layers
// are named "<zip>/<path in zip>/<table>".
func readZippedGPKG(name string, b []byte) ([]*impSource, error) {
	f, err := os.CreateTemp("", "sanxian-import-*.gpkg")
	if err != nil {
		return nil, importErr(name, CodeImportRead, "无法写临时文件：%v", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, importErr(name, CodeImportRead, "无法写临时文件：%v", err)
	}
	return readImportGPKG(f.Name(), name)
}

// gpkgCRS names the coordinate system of a GeoPackage srs_id and says
// where it came from; undefined systems give "".
func gpkgCRS(db *sql.DB, srs int64) (string, string, error) {
	if srs == 0 || srs == -1 {
		return "", "", nil
	}
	var org, def sql.NullString
	var code sql.NullInt64
	err := db.QueryRow(`SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?`, srs).Scan(&org, &code, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("坐标系 srs_id %d 不在 gpkg_spatial_ref_sys 中", srs)
	}
	if err != nil {
		return "", "", fmt.Errorf("无法读取 gpkg_spatial_ref_sys：%v", err)
	}
	from := fmt.Sprintf("GeoPackage srs_id %d", srs)
	if strings.EqualFold(org.String, "EPSG") && code.Valid {
		return fmt.Sprintf("EPSG:%d", code.Int64), from, nil
	}
	c, err := crs.FromPRJ(def.String)
	if err != nil {
		return "", "", fmt.Errorf("坐标系 srs_id %d（%s %d）：%v", srs, org.String, code.Int64, strings.TrimPrefix(err.Error(), "crs: "))
	}
	return c.Name, from, nil
}

// gpkgGeometry reads a GeoPackage geometry: the "GP" header (version,
// flags, srs_id, an optional envelope) and then WKB. An empty geometry
// is nil.
func gpkgGeometry(b []byte) (orb.Geometry, error) {
	if len(b) < 8 || b[0] != 'G' || b[1] != 'P' {
		return nil, errors.New("不是 GeoPackage 几何（缺少 GP 标记）")
	}
	flags := b[3]
	if flags&0x20 != 0 {
		return nil, errors.New("不支持 GeoPackage 扩展几何类型")
	}
	envelope := map[byte]int{0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
	n, ok := envelope[(flags>>1)&0x07]
	if !ok || len(b) < 8+n {
		return nil, errors.New("GeoPackage 几何的头部无效")
	}
	if flags&0x10 != 0 {
		return nil, nil
	}
	if err := wkbFits(b[8+n:], 0); err != nil {
		return nil, fmt.Errorf("WKB 无效：%v", err)
	}
	g, err := geomwkb.Unmarshal(b[8+n:])
	if err != nil {
		return nil, fmt.Errorf("WKB 无效：%v", err)
	}
	og, err := fromGeom(g)
	if err != nil {
		return nil, errors.New("不支持的几何类型")
	}
	if p, ok := og.(orb.Point); ok && (math.IsNaN(p[0]) || math.IsNaN(p[1])) {
		return nil, nil // WKB's empty point
	}
	return og, nil
}

// wkbFits walks a WKB geometry (ISO or EWKB dimensions) and checks that
// every count it declares fits in the bytes that follow, so that a
// corrupt or crafted file cannot make the decoder allocate for billions
// of points it does not hold. depth bounds nested collections.
func wkbFits(b []byte, depth int) error {
	_, err := wkbWalk(b, depth)
	return err
}

// wkbWalk returns the length of the WKB geometry at the start of b.
func wkbWalk(b []byte, depth int) (int, error) {
	if depth > 32 {
		return 0, errors.New("集合嵌套过深")
	}
	if len(b) < 5 || b[0] > 1 {
		return 0, errors.New("几何头部不完整")
	}
	var order binary.ByteOrder = binary.LittleEndian
	if b[0] == 0 {
		order = binary.BigEndian
	}
	t := order.Uint32(b[1:5])
	pos := 5
	dims := 2
	if t&0x80000000 != 0 { // EWKB Z
		dims++
	}
	if t&0x40000000 != 0 { // EWKB M
		dims++
	}
	if t&0x20000000 != 0 { // EWKB SRID
		pos += 4
	}
	t &= 0x0fffffff
	switch t / 1000 {
	case 1, 2:
		dims++
	case 3:
		dims += 2
	}
	point := 8 * dims
	count := func(min int) (int, error) {
		if len(b) < pos+4 {
			return 0, errors.New("数量字段不完整")
		}
		n := int(order.Uint32(b[pos : pos+4]))
		pos += 4
		if min > 0 && n > (len(b)-pos)/min {
			return 0, fmt.Errorf("声明 %d 个元素，但数据不足", n)
		}
		return n, nil
	}
	switch t % 1000 {
	case 1: // Point
		pos += point
	case 2: // LineString
		n, err := count(point)
		if err != nil {
			return 0, err
		}
		pos += n * point
	case 3: // Polygon
		rings, err := count(4)
		if err != nil {
			return 0, err
		}
		for range rings {
			n, err := count(point)
			if err != nil {
				return 0, err
			}
			pos += n * point
		}
	case 4, 5, 6, 7: // Multi* and GeometryCollection: whole WKB geometries
		n, err := count(5)
		if err != nil {
			return 0, err
		}
		for range n {
			if pos > len(b) {
				break
			}
			l, err := wkbWalk(b[pos:], depth+1)
			if err != nil {
				return 0, err
			}
			pos += l
		}
	default:
		return 0, fmt.Errorf("不支持的几何类型 %d", t)
	}
	if pos > len(b) {
		return 0, errors.New("数据不完整")
	}
	return pos, nil
}
