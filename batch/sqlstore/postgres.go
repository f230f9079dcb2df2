package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// OpenPostgres opens the job store in the PostgreSQL database at url
// (postgres://…), creating its tables if needed. Several processes may
// share it: claims lock chunk rows with FOR UPDATE SKIP LOCKED, and a
// chunk whose claimant died is taken over when its lease runs out.
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open job database: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to job database: %w", err)
	}
	s := &Store{db: db, d: postgresDialect, now: time.Now}
	// One replica creates the tables; the others wait for it.
	if err := s.migrate(ctx, `SELECT pg_advisory_xact_lock(7235101)`); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
