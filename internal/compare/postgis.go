package compare

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/sanxian/sanxian/admission"
)

// PostGIS answers queries from a features table in a PostgreSQL database
// with PostGIS: one row per feature, its geometry in SRID 4490 (CGCS2000
// lon/lat) with a GiST index, and the same geometry as geography (4490
// is a geographic system on the GRS80 ellipsoid, which CGCS2000 uses:
// no detour through 4326 is needed) with its own GiST index.
type PostGIS struct {
	pool *pgxpool.Pool
}

// LoadPostGIS connects to url with conns connections, creates the
// postgis extension if needed, and loads every feature of d into a fresh
// features table (COPY of WKB, then ST_GeomFromWKB), indexes it and runs
// ANALYZE. Statements are prepared on each connection on first use
// (pgx's statement cache).
func LoadPostGIS(ctx context.Context, url string, conns int, d *admission.Dataset) (*PostGIS, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgis: %w", err)
	}
	cfg.MaxConns, cfg.MinConns = int32(conns), int32(conns)
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		// JIT compilation only costs time on these short queries.
		_, err := c.Exec(ctx, "SET jit = off")
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	p := &PostGIS{pool: pool}
	if err := p.load(ctx, d); err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

// Close closes the connections.
func (p *PostGIS) Close() { p.pool.Close() }

// Version returns PostgreSQL's and PostGIS's versions.
func (p *PostGIS) Version(ctx context.Context) (string, error) {
	var pg, gis string
	if err := p.pool.QueryRow(ctx, "SELECT current_setting('server_version'), postgis_full_version()").Scan(&pg, &gis); err != nil {
		return "", fmt.Errorf("postgis: version: %w", err)
	}
	return "PostgreSQL " + pg + "; " + gis, nil
}

func (p *PostGIS) load(ctx context.Context, d *admission.Dataset) error {
	for _, s := range []string{
		"CREATE EXTENSION IF NOT EXISTS postgis",
		"DROP TABLE IF EXISTS pieces, features, features_wkb",
		"CREATE UNLOGGED TABLE features_wkb (layer text NOT NULL, fid text NOT NULL, wkb bytea NOT NULL)",
	} {
		if _, err := p.pool.Exec(ctx, s); err != nil {
			return fmt.Errorf("postgis: %s: %w", s, err)
		}
	}
	var rows [][]any
	for _, l := range d.Layers() {
		seen := map[string]bool{}
		for _, f := range l.Features {
			if seen[f.ID] {
				return fmt.Errorf("postgis: layer %s: feature id %q is not unique", l.ID, f.ID)
			}
			seen[f.ID] = true
			b, err := wkb.Marshal(f.Geometry)
			if err != nil {
				return fmt.Errorf("postgis: layer %s feature %s: %w", l.ID, f.ID, err)
			}
			rows = append(rows, []any{l.ID, f.ID, b})
		}
	}
	if _, err := p.pool.CopyFrom(ctx, pgx.Identifier{"features_wkb"}, []string{"layer", "fid", "wkb"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("postgis: copy features: %w", err)
	}
	for _, s := range []string{
		`CREATE TABLE features AS
		   SELECT layer, fid, ST_Dimension(g) AS dim, g AS geom, g::geography AS geog
		   FROM (SELECT layer, fid, ST_GeomFromWKB(wkb, 4490) AS g FROM features_wkb) x`,
		"DROP TABLE features_wkb",
		"ALTER TABLE features ADD PRIMARY KEY (layer, fid)",
		"CREATE INDEX features_geom ON features USING gist (geom)",
		"CREATE INDEX features_geog ON features USING gist (geog)",
		`CREATE TABLE pieces AS
		   SELECT layer, fid, dim, g AS geom, g::geography AS geog
		   FROM (SELECT layer, fid, dim, ST_Subdivide(geom, ` + fmt.Sprint(PieceVertices) + `) AS g FROM features) x`,
		"CREATE INDEX pieces_geom ON pieces USING gist (geom)",
		"CREATE INDEX pieces_geog ON pieces USING gist (geog)",
		"ANALYZE features",
		"ANALYZE pieces",
	} {
		if _, err := p.pool.Exec(ctx, s); err != nil {
			return fmt.Errorf("postgis: %s: %w", s, err)
		}
	}
	return nil
}

// PieceVertices is the most vertices ST_Subdivide leaves in a piece: 64,
// as sanxian's index does.
const PieceVertices = 64

// querySQL answers one site: $1 the site as WKB, $2 the buffer in m,
// $3 and $4 the buffer in degrees of longitude and latitude (a box a
// little larger than the buffer, for the GiST index), $5 the site's
// dimension.
//
// Line and polygon sites are segmentized along the geodesic every 500 m
// first (ST_Segmentize on geography), as sanxian does with long site
// edges: otherwise PostGIS intersects along the straight lon/lat line.
//
// Candidates come from the features subdivided into pieces of at most 64
// vertices (ST_Subdivide, what the PostGIS documentation recommends for
// large polygons, and what sanxian's index does). Per feature: contact is
// ST_Intersects on geometry with any piece; nearby features are those
// within the buffer by ST_DWithin on geography, with the least
// ST_Distance on geography (spheroid) over their pieces. Overlaps are
// ST_Area/ST_Length(ST_Intersection(..)::geography) with the whole
// feature: summed over pieces they came out up to 1e-5 too large or too
// small (15 m² on 1.8 km²), because every piece splits site edges at
// points that lie on the straight lon/lat line, not on the geodesic that
// geography measures.
const querySQL = `
WITH s AS (
  SELECT g, g::geography AS gg FROM (
    SELECT CASE WHEN $5::int = 0 THEN x ELSE ST_Segmentize(x::geography, 500)::geometry END AS g
    FROM (SELECT ST_GeomFromWKB($1::bytea, 4490) AS x) a) b),
c AS (
  SELECT f.layer, f.fid, f.dim, f.geog, ST_Intersects(f.geom, s.g) AS i
  FROM s, pieces f
  WHERE f.geom && ST_Expand(s.g, $3::float8, $4::float8)),
h AS (
  SELECT c.layer, c.fid, max(c.dim) AS dim, bool_or(c.i) AS i,
    min(CASE WHEN NOT c.i THEN ST_Distance(c.geog, s.gg) END) AS d
  FROM c, s
  WHERE c.i OR ($2::float8 > 0 AND ST_DWithin(c.geog, s.gg, $2::float8))
  GROUP BY c.layer, c.fid)
SELECT h.layer, h.fid, h.i,
  CASE WHEN h.i AND $5::int = 2 AND h.dim = 2 THEN (
    SELECT ST_Area(ST_CollectionExtract(ST_Intersection(f.geom, s.g), 3)::geography)
    FROM features f WHERE f.layer = h.layer AND f.fid = h.fid) END,
  CASE WHEN h.i AND $5::int = 1 AND h.dim = 2 THEN (
    SELECT ST_Length(ST_CollectionExtract(ST_Intersection(f.geom, s.g), 2)::geography)
    FROM features f WHERE f.layer = h.layer AND f.fid = h.fid) END,
  h.d
FROM h, s`

// siteDim is 0 for points, 1 for lines, 2 for polygons.
func siteDim(g orb.Geometry) int {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return 0
	case orb.LineString, orb.MultiLineString:
		return 1
	default:
		return 2
	}
}

// bufferDegrees converts a buffer in m to degrees at the site's latitude,
// 10 % larger (and at least 1e-6°) so the box never cuts the buffer.
func bufferDegrees(g orb.Geometry, m float64) (dLon, dLat float64) {
	if m <= 0 {
		return 0, 0
	}
	b := g.Bound()
	lat := math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
	dLon, dLat = degPerM(lat)
	return 1.1*m*dLon + 1e-6, 1.1*m*dLat + 1e-6
}

// Query answers q.
func (p *PostGIS) Query(ctx context.Context, q Query) (Answer, error) {
	site, err := wkb.Marshal(q.Site)
	if err != nil {
		return nil, fmt.Errorf("postgis: %s: %w", q.ID, err)
	}
	dLon, dLat := bufferDegrees(q.Site, q.BufferM)
	rows, err := p.pool.Query(ctx, querySQL, site, q.BufferM, dLon, dLat, siteDim(q.Site))
	if err != nil {
		return nil, fmt.Errorf("postgis: %s: %w", q.ID, err)
	}
	defer rows.Close()
	ans := Answer{}
	for rows.Next() {
		var layer, fid string
		var contact bool
		var area, length, dist *float64
		if err := rows.Scan(&layer, &fid, &contact, &area, &length, &dist); err != nil {
			return nil, fmt.Errorf("postgis: %s: %w", q.ID, err)
		}
		m := Measure{Contact: contact, AreaM2: area, LengthM: length}
		if !contact {
			m.DistanceM = dist
		}
		ans[Key{layer, fid}] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgis: %s: %w", q.ID, err)
	}
	return ans, nil
}

// Batch answers a batch of point queries (no buffer) the way a database
// user would: COPY them into a temporary table and join it with the
// pieces in one query. The answers are in the order of qs.
func (p *PostGIS) Batch(ctx context.Context, qs []Query) ([]Answer, error) {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgis: batch: %w", err)
	}
	defer conn.Release()
	rows := make([][]any, len(qs))
	for i, q := range qs {
		b, err := wkb.Marshal(q.Site)
		if err != nil {
			return nil, fmt.Errorf("postgis: batch %s: %w", q.ID, err)
		}
		rows[i] = []any{int32(i), b}
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgis: batch: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE batch_sites (i int, wkb bytea) ON COMMIT DROP"); err != nil {
		return nil, fmt.Errorf("postgis: batch: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"batch_sites"}, []string{"i", "wkb"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, fmt.Errorf("postgis: batch copy: %w", err)
	}
	res, err := tx.Query(ctx, `
SELECT b.i, f.layer, f.fid
FROM (SELECT i, ST_GeomFromWKB(wkb, 4490) AS g FROM batch_sites) b
JOIN pieces f ON ST_Intersects(f.geom, b.g)
GROUP BY b.i, f.layer, f.fid`)
	if err != nil {
		return nil, fmt.Errorf("postgis: batch join: %w", err)
	}
	out := make([]Answer, len(qs))
	for i := range out {
		out[i] = Answer{}
	}
	for res.Next() {
		var i int32
		var layer, fid string
		if err := res.Scan(&i, &layer, &fid); err != nil {
			res.Close()
			return nil, fmt.Errorf("postgis: batch join: %w", err)
		}
		out[i][Key{layer, fid}] = Measure{Contact: true}
	}
	res.Close()
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("postgis: batch join: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgis: batch: %w", err)
	}
	return out, nil
}

// Diagnose measures, for a disagreement, the distance between the site
// (as given, not segmentized) and one feature: geodesic (geography,
// spheroid) in m and planar in degrees (geometry), as sanxian's boundary
// rule measures it.
func (p *PostGIS) Diagnose(ctx context.Context, q Query, k Key) (geodesicM, planarDeg float64, err error) {
	site, err := wkb.Marshal(q.Site)
	if err != nil {
		return 0, 0, err
	}
	err = p.pool.QueryRow(ctx, `
SELECT ST_Distance(f.geog, ST_GeomFromWKB($1::bytea, 4490)::geography), ST_Distance(f.geom, ST_GeomFromWKB($1::bytea, 4490))
FROM features f WHERE f.layer = $2 AND f.fid = $3`, site, k.Layer, k.ID).Scan(&geodesicM, &planarDeg)
	if err != nil {
		return 0, 0, fmt.Errorf("postgis: diagnose %s %s: %w", q.ID, k, err)
	}
	return geodesicM, planarDeg, nil
}
