package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sanxian/sanxian/report"
)

var _ report.Sink = (*Store)(nil)

// reportsPerStatement bounds the rows of one INSERT (12 parameters each,
// well under SQLite's and PostgreSQL's limits).
const reportsPerStatement = 500

// SaveReports implements report.Sink: the entries are inserted in one
// transaction, committed durably (SQLite synchronous=FULL, PostgreSQL's
// synchronous_commit), or not at all. An id already stored fails the
// whole transaction.
func (s *Store) SaveReports(ctx context.Context, entries []report.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save reports: %w", err)
	}
	defer tx.Rollback()
	for len(entries) > 0 {
		n := min(len(entries), reportsPerStatement)
		var b strings.Builder
		b.WriteString(`INSERT INTO reports (id, created_at, kind, client_ip, request_id, input_sha256, dataset_name, dataset_version, dataset_checksum, verdict, request, result_s2) VALUES `)
		args := make([]any, 0, 12*n)
		for i, e := range entries[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, e.ID, ms(e.CreatedAt), string(e.Kind), e.Client.IP, e.Client.RequestID, e.InputSHA256,
				e.Dataset.Name, e.Dataset.Version, e.Dataset.Checksum, e.Verdict, e.RequestJSON, e.ResultS2)
		}
		if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
			return fmt.Errorf("save reports: %w", err)
		}
		entries = entries[n:]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save reports: commit: %w", err)
	}
	return nil
}

// Report returns the stored entry with id (canonical form), or
// report.ErrNotFound.
func (s *Store) Report(ctx context.Context, id string) (report.Entry, error) {
	var e report.Entry
	var created int64
	var kind string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, created_at, kind, client_ip, request_id, input_sha256, dataset_name, dataset_version, dataset_checksum, verdict, request, result_s2
		FROM reports WHERE id=?`), id).Scan(&e.ID, &created, &kind, &e.Client.IP, &e.Client.RequestID, &e.InputSHA256,
		&e.Dataset.Name, &e.Dataset.Version, &e.Dataset.Checksum, &e.Verdict, &e.RequestJSON, &e.ResultS2)
	if errors.Is(err, sql.ErrNoRows) {
		return e, report.ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("report %s: %w", id, err)
	}
	e.Kind = report.Kind(kind)
	e.CreatedAt = time.UnixMilli(created).UTC()
	return e, nil
}
