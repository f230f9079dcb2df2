package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/sanxian/sanxian/data"
)

// isPostGIS reports whether an input names a PostgreSQL database.
func isPostGIS(in string) bool {
	return strings.HasPrefix(in, "postgres://") || strings.HasPrefix(in, "postgresql://")
}

// pgSchemasOfPostGIS are schemas PostGIS itself creates; a whole-database
// import never looks into them.
var pgSchemasOfPostGIS = []string{"pg_catalog", "information_schema", "topology", "tiger", "tiger_data"}

// detectRows is how many rows of a table layer detection looks at before
// a whole-database import decides whether to read the table.
const detectRows = 200

// pgSource is a PostGIS database an import reads layer tables from. Its
// URL is a PostgreSQL URL with three parameters of ours, the others going
// to PostgreSQL (sslmode…):
//
//   - table: the tables to read, comma-separated, "schema.table" or
//     "table" (in schema, else public). Each must exist and have a
//     geometry column; its layer is found as for a file (mapping entry,
//     else its columns), and an unrecognised one stops the import.
//   - schema: without table, the schemas whose tables are considered
//     (comma-separated); default every schema but PostGIS's own.
//   - geom: the geometry column, with one table that has several.
//
// Without table every table (or view) with one geometry column is
// considered and read only if it is a layer: a mapping entry names it, or
// detection on its columns and first rows recognises it. The others are
// left out with a note, so that a database holding other data imports
// without a mapping file. Messages never show the password.
type pgSource struct {
	conn     *pgx.Conn
	db       string
	redacted string
	tables   []string
	schemas  []string
	geom     string
}

// pgTable is one geometry column of a table.
type pgTable struct {
	schema, name, geom string
	srid               int
}

// name is the table's layer name in messages and mapping entries,
// "postgis:db/schema.table" (see data.ImportTable.Name).
func (s *pgSource) name(t pgTable) string {
	return "postgis:" + s.db + "/" + t.schema + "." + t.name
}

func pgReadErr(file, format string, args ...any) error {
	return &data.ImportError{File: file, Code: data.CodeImportRead, Message: fmt.Sprintf(format, args...)}
}

// openPostGIS parses a source URL and connects.
func openPostGIS(ctx context.Context, raw string) (*pgSource, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, pgReadErr("", "PostGIS 数据源不是有效的 URL，应为 postgres://用户:密码@主机:端口/库[?table=模式.表名]")
	}
	q := u.Query()
	list := func(key string) []string {
		var out []string
		for _, v := range strings.Split(q.Get(key), ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		q.Del(key)
		return out
	}
	s := &pgSource{db: strings.TrimPrefix(u.Path, "/"), tables: list("table"), schemas: list("schema"), geom: q.Get("geom")}
	q.Del("geom")
	u.RawQuery = q.Encode()
	s.redacted = u.Redacted()
	if s.geom != "" && len(s.tables) != 1 {
		return nil, pgReadErr("postgis:"+s.db, "geom 参数只能与一个 table 一起使用，如 %s?table=public.units&geom=shape", s.redacted)
	}
	if s.conn, err = pgx.Connect(ctx, u.String()); err != nil {
		return nil, pgReadErr("postgis:"+s.db, "无法连接 PostgreSQL（%s）：%v", s.redacted, err)
	}
	return s, nil
}

func (s *pgSource) close() { s.conn.Close(context.Background()) }

// geometryColumns lists the geometry columns of one table, or of every
// table in the source's schemas when name is empty.
func (s *pgSource) geometryColumns(ctx context.Context, schema, name string) ([]pgTable, error) {
	query := `SELECT f_table_schema, f_table_name, f_geometry_column, srid FROM geometry_columns WHERE `
	var args []any
	if name != "" {
		query += `f_table_schema = $1 AND f_table_name = $2`
		args = []any{schema, name}
	} else if len(s.schemas) > 0 {
		query += `f_table_schema = ANY($1)`
		args = []any{s.schemas}
	} else {
		query += `NOT (f_table_schema = ANY($1))`
		args = []any{pgSchemasOfPostGIS}
	}
	rows, err := s.conn.Query(ctx, query+` ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return nil, pgReadErr("postgis:"+s.db, "无法读取 geometry_columns（数据库是否安装了 PostGIS？）：%v", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pgTable, error) {
		var t pgTable
		return t, r.Scan(&t.schema, &t.name, &t.geom, &t.srid)
	})
	if err != nil {
		return nil, pgReadErr("postgis:"+s.db, "无法读取 geometry_columns：%v", err)
	}
	return out, nil
}

// named resolves the table= list: one geometry column per table.
func (s *pgSource) named(ctx context.Context) ([]pgTable, error) {
	var out []pgTable
	for _, full := range s.tables {
		schema, name := "public", full
		if len(s.schemas) > 0 {
			schema = s.schemas[0]
		}
		if i := strings.LastIndex(full, "."); i >= 0 {
			schema, name = full[:i], full[i+1:]
		}
		file := s.name(pgTable{schema: schema, name: name})
		if name == "" {
			return nil, pgReadErr(file, "table 参数中的表名为空")
		}
		cols, err := s.geometryColumns(ctx, schema, name)
		if err != nil {
			return nil, err
		}
		var pick *pgTable
		for i := range cols {
			if s.geom == "" || cols[i].geom == s.geom {
				if pick != nil {
					return nil, pgReadErr(file, "表有多个几何列（%s）：请用 geom 参数指定", pgColumnList(cols))
				}
				pick = &cols[i]
			}
		}
		switch {
		case pick != nil:
			out = append(out, *pick)
		case s.geom != "":
			return nil, pgReadErr(file, "表中没有几何列 %s", s.geom)
		default:
			return nil, pgReadErr(file, "表不存在，或没有 geometry 类型的列")
		}
	}
	return out, nil
}

func pgColumnList(cols []pgTable) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.geom
	}
	return strings.Join(names, "、")
}

// read reads a table as an import layer, at most limit rows (0: all).
// Attributes come through to_jsonb (numbers stay numbers), geometries
// through ST_AsBinary(ST_Force2D(…)), the CRS from the column's SRID (or
// the first row's). Rows are ordered by their attributes, so that the same
// table gives the same dataset.
func (s *pgSource) read(ctx context.Context, g pgTable, limit int) (data.ImportTable, error) {
	t := data.ImportTable{Name: s.name(g)}
	fail := func(format string, args ...any) (data.ImportTable, error) {
		return data.ImportTable{}, pgReadErr(t.Name, format, args...)
	}
	tbl, gid := pgx.Identifier{g.schema, g.name}.Sanitize(), pgx.Identifier{g.geom}.Sanitize()
	if g.srid == 0 {
		if err := s.conn.QueryRow(ctx, `SELECT coalesce((SELECT ST_SRID(`+gid+`) FROM `+tbl+` WHERE `+gid+` IS NOT NULL LIMIT 1), 0)`).Scan(&g.srid); err != nil {
			return fail("无法读取 SRID：%v", err)
		}
	}
	if g.srid > 0 {
		t.CRS, t.CRSFrom = "EPSG:"+strconv.Itoa(g.srid), "PostGIS SRID"
	}
	rows, err := s.conn.Query(ctx, `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, tbl)
	if err != nil {
		return fail("无法读取表的列：%v", err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fail("无法读取表的列：%v", err)
	}
	for _, c := range cols {
		if c != g.geom {
			t.Fields = append(t.Fields, c)
		}
	}
	query := `SELECT to_jsonb(t) - $1::text, ST_AsBinary(ST_Force2D(t.` + gid + `)) FROM ` + tbl + ` AS t ORDER BY 1`
	if limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err = s.conn.Query(ctx, query, g.geom)
	if err != nil {
		return fail("无法读取表：%v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var props, geom []byte
		if err := rows.Scan(&props, &geom); err != nil {
			return fail("无法读取表：%v", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(props)))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return fail("无法读取属性：%v", err)
		}
		row := make([]any, len(t.Fields))
		for i, f := range t.Fields {
			row[i] = m[f]
		}
		var gm orb.Geometry
		if geom != nil {
			if gm, err = wkb.Unmarshal(geom); err != nil {
				return fail("第 %d 行的几何无法读取：%v", len(t.Rows)+1, err)
			}
		}
		t.Rows = append(t.Rows, row)
		t.Geometries = append(t.Geometries, gm)
	}
	if err := rows.Err(); err != nil {
		return fail("无法读取表：%v", err)
	}
	return t, nil
}

// readPostGISSource reads the layer tables of a PostGIS source (see
// pgSource). With every set (for --print-mapping) a whole database gives
// all its tables, layers or not, so that the template lists them. The
// notes say which tables were left out and why.
func readPostGISSource(ctx context.Context, raw string, m *data.Mapping, every bool) ([]data.ImportTable, []data.ImportWarning, error) {
	s, err := openPostGIS(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	defer s.close()
	if len(s.tables) > 0 {
		named, err := s.named(ctx)
		if err != nil {
			return nil, nil, err
		}
		var out []data.ImportTable
		for _, g := range named {
			t, err := s.read(ctx, g, 0)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, t)
		}
		return out, nil, nil
	}
	cols, err := s.geometryColumns(ctx, "", "")
	if err != nil {
		return nil, nil, err
	}
	var (
		out     []data.ImportTable
		notes   []data.ImportWarning
		skipped []string
	)
	note := func(name, format string, args ...any) {
		notes = append(notes, data.ImportWarning{Source: name, Code: data.WarnTableSkipped, Message: fmt.Sprintf(format, args...)})
	}
	for i := 0; i < len(cols); {
		j := i + 1
		for j < len(cols) && cols[j].schema == cols[i].schema && cols[j].name == cols[i].name {
			j++
		}
		g, name := cols[i], s.name(cols[i])
		if j-i > 1 {
			note(name, "表有多个几何列（%s），未导入；要导入请用 table=%s.%s&geom=列名 单独给出", pgColumnList(cols[i:j]), g.schema, g.name)
			skipped = append(skipped, name)
			i = j
			continue
		}
		i = j
		limit := detectRows
		if every {
			limit = 0
		}
		t, err := s.read(ctx, g, limit)
		if err != nil {
			return nil, nil, err
		}
		if !every {
			d := data.TableLayer(t, m)
			switch {
			case d.KindOnly:
				note(name, "只有几何类型（%s）像 %s 图层，字段（%s）不能确认，未导入；若确是该图层请在映射文件中为它写 layer: %s", d.Reason, d.Layer, strings.Join(t.Fields, "、"), d.Layer)
				skipped = append(skipped, name)
				continue
			case d.Layer == "":
				note(name, "未识别为图层（%s；字段：%s），未导入；要导入请在映射文件中为它写 layer", d.Reason, strings.Join(t.Fields, "、"))
				skipped = append(skipped, name)
				continue
			case d.Layer == data.LayerSkip:
				note(name, "按映射文件跳过")
				continue
			}
			if len(t.Rows) == limit {
				if t, err = s.read(ctx, g, 0); err != nil {
					return nil, nil, err
				}
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		where := "数据库 " + s.db
		if len(s.schemas) > 0 {
			where += " 的模式 " + strings.Join(s.schemas, "、")
		}
		if len(skipped) == 0 {
			return nil, nil, pgReadErr("postgis:"+s.db, "%s中没有含 geometry 列的表", where)
		}
		var why []string
		for _, n := range notes {
			why = append(why, n.String())
		}
		return nil, nil, &data.ImportError{File: "postgis:" + s.db, Code: data.CodeImportUnknownLayer,
			Message: where + "中没有能识别为图层的表：\n  " + strings.Join(why, "\n  ") +
				"\n请编写映射文件（--mapping），可用 sanxian import --print-mapping --source … 输出模板。"}
	}
	return out, notes, nil
}
