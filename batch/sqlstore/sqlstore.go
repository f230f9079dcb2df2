// Package sqlstore keeps batch jobs in SQL: an embedded SQLite database
// (pure Go, modernc.org/sqlite) for one process, or PostgreSQL (pgx) for
// several replicas sharing the work. Both run the same statements; the
// dialect differs in types, placeholders and row locking (PostgreSQL's
// claims use FOR UPDATE SKIP LOCKED).
//
// Exactly once: a chunk's results and its "done" mark are written in one
// transaction that also checks the claim is still the caller's, so a
// worker that lost its lease (it died, or was too slow and another took
// the chunk over) records nothing; the results table's primary key
// (job, row) makes a second record of a row impossible.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/paulmach/orb/encoding/wkb"

	"github.com/sanxian/sanxian/batch"
)

// dialect is what differs between SQLite and PostgreSQL.
type dialect struct {
	name   string
	blob   string // column type of binary data
	lock   string // row locking clause of the claim's subquery
	dollar bool   // $1 placeholders instead of ?
}

var (
	sqliteDialect   = dialect{name: "sqlite", blob: "BLOB"}
	postgresDialect = dialect{name: "postgres", blob: "BYTEA", lock: "FOR UPDATE OF c SKIP LOCKED", dollar: true}
)

// Store is a batch.Store over database/sql.
type Store struct {
	db      *sql.DB
	d       dialect
	now     func() time.Time
	release func() error // closes what Open acquired besides db (a lock file)
}

var _ batch.Store = (*Store)(nil)

// q rewrites ? placeholders for the dialect.
func (s *Store) q(query string) string {
	if !s.d.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Store) schema() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS batch_jobs (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL,
			file_name TEXT NOT NULL,
			status TEXT NOT NULL,
			total BIGINT NOT NULL,
			done BIGINT NOT NULL DEFAULT 0,
			n_prohibited BIGINT NOT NULL DEFAULT 0,
			n_insufficient BIGINT NOT NULL DEFAULT 0,
			n_restricted BIGINT NOT NULL DEFAULT 0,
			n_review BIGINT NOT NULL DEFAULT 0,
			n_compatible BIGINT NOT NULL DEFAULT 0,
			n_none BIGINT NOT NULL DEFAULT 0,
			n_error BIGINT NOT NULL DEFAULT 0,
			header TEXT NOT NULL,
			options TEXT NOT NULL,
			dataset TEXT NOT NULL DEFAULT '',
			created_at BIGINT NOT NULL,
			started_at BIGINT,
			finished_at BIGINT,
			restarts BIGINT NOT NULL DEFAULT 0,
			previous_dataset TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE TABLE IF NOT EXISTS batch_rows (
			job_id TEXT NOT NULL,
			seq BIGINT NOT NULL,
			data ` + s.d.blob + ` NOT NULL,
			geom ` + s.d.blob + `,
			PRIMARY KEY (job_id, seq)
		)`,
		`CREATE TABLE IF NOT EXISTS batch_chunks (
			job_id TEXT NOT NULL,
			chunk_no BIGINT NOT NULL,
			first_seq BIGINT NOT NULL,
			last_seq BIGINT NOT NULL,
			state TEXT NOT NULL,
			owner TEXT,
			claim TEXT,
			lease_until BIGINT,
			PRIMARY KEY (job_id, chunk_no)
		)`,
		`CREATE INDEX IF NOT EXISTS batch_chunks_state ON batch_chunks (state, lease_until)`,
		`CREATE TABLE IF NOT EXISTS batch_results (
			job_id TEXT NOT NULL,
			seq BIGINT NOT NULL,
			outcome TEXT NOT NULL,
			data ` + s.d.blob + ` NOT NULL,
			PRIMARY KEY (job_id, seq)
		)`,
		// Report records (package report): one row per single check,
		// kept until deleted by hand. Added after the batch tables;
		// CREATE IF NOT EXISTS migrates older databases.
		`CREATE TABLE IF NOT EXISTS reports (
			id TEXT PRIMARY KEY,
			created_at BIGINT NOT NULL,
			kind TEXT NOT NULL,
			client_ip TEXT NOT NULL,
			request_id TEXT NOT NULL,
			input_sha256 TEXT NOT NULL,
			dataset_name TEXT NOT NULL,
			dataset_version TEXT NOT NULL,
			dataset_checksum TEXT NOT NULL,
			verdict TEXT NOT NULL,
			request ` + s.d.blob + ` NOT NULL,
			result_s2 ` + s.d.blob + ` NOT NULL
		)`,
		`CREATE TABLE IF NOT EXISTS batch_clauses (
			job_id TEXT NOT NULL,
			clause_id TEXT NOT NULL,
			data ` + s.d.blob + ` NOT NULL,
			PRIMARY KEY (job_id, clause_id)
		)`,
	}
}

// migrate creates the tables; lockSQL (PostgreSQL) serialises replicas
// starting at once.
func (s *Store) migrate(ctx context.Context, lockSQL string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if lockSQL != "" {
		if _, err := tx.ExecContext(ctx, lockSQL); err != nil {
			return fmt.Errorf("migrate lock: %w", err)
		}
	}
	for _, stmt := range s.schema() {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	// Columns added after a table was first created (CREATE TABLE IF NOT
	// EXISTS leaves an older table as it was).
	for _, col := range []struct{ table, name, def string }{
		{"batch_jobs", "restarts", "BIGINT NOT NULL DEFAULT 0"},
		{"batch_jobs", "previous_dataset", "TEXT NOT NULL DEFAULT ''"},
	} {
		if err := s.addColumn(ctx, tx, col.table, col.name, col.def); err != nil {
			return fmt.Errorf("migrate: add %s.%s: %w", col.table, col.name, err)
		}
	}
	return tx.Commit()
}

// addColumn adds a column to table unless it is there.
func (s *Store) addColumn(ctx context.Context, tx *sql.Tx, table, name, def string) error {
	if s.d.dollar { // PostgreSQL
		_, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN IF NOT EXISTS `+name+` `+def)
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name=?`, table, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+name+` `+def)
	return err
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func newID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// storedRow is a Row as kept in batch_rows.data (the geometry is in geom).
type storedRow struct {
	batch.Row
}

func encodeRow(r batch.Row) (data, geom []byte, err error) {
	data, err = json.Marshal(storedRow{r})
	if err != nil {
		return nil, nil, fmt.Errorf("encode row %d: %w", r.Line, err)
	}
	if r.Geometry != nil {
		geom, err = wkb.Marshal(r.Geometry)
		if err != nil {
			return nil, nil, fmt.Errorf("encode row %d geometry: %w", r.Line, err)
		}
	}
	return data, geom, nil
}

func decodeRow(data, geom []byte) (batch.Row, error) {
	var sr storedRow
	if err := json.Unmarshal(data, &sr); err != nil {
		return batch.Row{}, fmt.Errorf("decode row: %w", err)
	}
	if len(geom) > 0 {
		g, err := wkb.Unmarshal(geom)
		if err != nil {
			return batch.Row{}, fmt.Errorf("decode row %d geometry: %w", sr.Line, err)
		}
		sr.Geometry = g
	}
	return sr.Row, nil
}

// encodedRow is a row ready for batch_rows.
type encodedRow struct {
	seq        int
	data, geom []byte
}

// insertRows writes rows with one multi-row statement.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, jobID string, rows []encodedRow) error {
	if len(rows) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO batch_rows (job_id, seq, data, geom) VALUES ")
	args := make([]any, 0, 4*len(rows))
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?)")
		var g any
		if r.geom != nil {
			g = r.geom
		}
		args = append(args, jobID, r.seq, r.data, g)
	}
	if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
		return fmt.Errorf("insert rows: %w", err)
	}
	return nil
}

// rowBatch is a run of encoded rows, or the error that ended the rows.
type rowBatch struct {
	rows  []encodedRow
	err   error
	width int // the most cells of any row so far
}

// readAhead reads and encodes rows in a goroutine, numbering them from 0,
// and hands them over in batches, so that reading the list and writing
// the database overlap. stop ends the goroutine and waits for it; it must
// be called before the rows' source is closed.
func readAhead(ctx context.Context, rows iter.Seq2[batch.Row, error], size, maxRows, width int) (batches <-chan rowBatch, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan rowBatch, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		send := func(b rowBatch) bool {
			select {
			case ch <- b:
				return true
			case <-ctx.Done():
				return false
			}
		}
		cur := make([]encodedRow, 0, size)
		n := 0
		for r, err := range rows {
			if err == nil && maxRows > 0 && n >= maxRows {
				err = fmt.Errorf("%w: more than %d", batch.ErrTooManyRows, maxRows)
			}
			if err != nil {
				send(rowBatch{err: err})
				return
			}
			r.Seq = n
			n++
			width = max(width, len(r.Cells))
			data, geom, err := encodeRow(r)
			if err != nil {
				send(rowBatch{err: err})
				return
			}
			cur = append(cur, encodedRow{seq: r.Seq, data: data, geom: geom})
			if len(cur) == size {
				if !send(rowBatch{rows: cur, width: width}) {
					return
				}
				cur = make([]encodedRow, 0, size)
			}
		}
		send(rowBatch{rows: cur, width: width})
	}()
	return ch, func() {
		cancel()
		for range ch {
		}
		<-done
	}
}

// Create implements batch.Store.
func (s *Store) Create(ctx context.Context, job batch.Job, rows iter.Seq2[batch.Row, error], chunkSize, maxRows int) (_ batch.Job, err error) {
	defer markStorage(&err)
	if chunkSize <= 0 {
		chunkSize = 200
	}
	if job.ID == "" {
		id, err := newID()
		if err != nil {
			return batch.Job{}, err
		}
		job.ID = id
	}
	job.Status, job.Done, job.Total = batch.StatusQueued, 0, 0
	job.CreatedAt = s.now().Truncate(time.Millisecond)
	job.StartedAt, job.FinishedAt, job.Counts = nil, nil, nil
	header, err := json.Marshal(job.Header)
	if err != nil {
		return batch.Job{}, fmt.Errorf("encode header: %w", err)
	}
	opts, err := json.Marshal(job.Options)
	if err != nil {
		return batch.Job{}, fmt.Errorf("encode options: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return batch.Job{}, fmt.Errorf("create job: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO batch_jobs (id, name, file_name, status, total, header, options, created_at) VALUES (?,?,?,?,0,?,?,?)`),
		job.ID, job.Name, job.FileName, string(job.Status), string(header), string(opts), ms(job.CreatedAt)); err != nil {
		return batch.Job{}, fmt.Errorf("create job: %w", err)
	}
	batches, stop := readAhead(ctx, rows, 250, maxRows, len(job.Header.Columns))
	defer stop()
	n, width := 0, len(job.Header.Columns)
	for b := range batches {
		if b.err != nil {
			return batch.Job{}, b.err
		}
		if err := s.insertRows(ctx, tx, job.ID, b.rows); err != nil {
			return batch.Job{}, err
		}
		n += len(b.rows)
		width = b.width
	}
	if err := ctx.Err(); err != nil {
		return batch.Job{}, fmt.Errorf("create job: %w", err)
	}
	for no, first := 0, 0; first < n; no, first = no+1, first+chunkSize {
		last := min(first+chunkSize, n) - 1
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO batch_chunks (job_id, chunk_no, first_seq, last_seq, state) VALUES (?,?,?,?,'pending')`),
			job.ID, no, first, last); err != nil {
			return batch.Job{}, fmt.Errorf("create chunks: %w", err)
		}
	}
	job.Total = n
	job.Header.Width = width
	if header, err = json.Marshal(job.Header); err != nil {
		return batch.Job{}, fmt.Errorf("encode header: %w", err)
	}
	if n == 0 {
		job.Status = batch.StatusFinished
		job.FinishedAt = &job.CreatedAt
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE batch_jobs SET status=?, finished_at=? WHERE id=?`), string(job.Status), ms(job.CreatedAt), job.ID); err != nil {
			return batch.Job{}, fmt.Errorf("create job: %w", err)
		}
	} else if _, err := tx.ExecContext(ctx, s.q(`UPDATE batch_jobs SET total=?, header=? WHERE id=?`), n, string(header), job.ID); err != nil {
		return batch.Job{}, fmt.Errorf("create job: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return batch.Job{}, fmt.Errorf("create job: commit: %w", err)
	}
	job.Counts = map[string]int{}
	for _, o := range batch.Outcomes {
		job.Counts[o] = 0
	}
	return job, nil
}

// countColumn is the batch_jobs column counting an outcome.
var countColumn = map[string]string{
	"prohibited": "n_prohibited", "insufficient": "n_insufficient", "restricted": "n_restricted",
	"review": "n_review", "compatible": "n_compatible", batch.OutcomeNone: "n_none", batch.OutcomeError: "n_error",
}

const jobColumns = `id, name, file_name, status, total, done, n_prohibited, n_insufficient, n_restricted, n_review, n_compatible, n_none, n_error, header, options, dataset, created_at, started_at, finished_at, restarts, previous_dataset`

type scanner interface{ Scan(dest ...any) error }

func scanJob(sc scanner) (batch.Job, error) {
	var j batch.Job
	var status, header, opts string
	var counts [7]int
	var created int64
	var started, finished sql.NullInt64
	err := sc.Scan(&j.ID, &j.Name, &j.FileName, &status, &j.Total, &j.Done,
		&counts[0], &counts[1], &counts[2], &counts[3], &counts[4], &counts[5], &counts[6],
		&header, &opts, &j.Dataset, &created, &started, &finished, &j.Restarts, &j.PreviousDataset)
	if err != nil {
		return j, err
	}
	j.Status = batch.Status(status)
	j.Counts = make(map[string]int, len(counts))
	for i, o := range []string{"prohibited", "insufficient", "restricted", "review", "compatible", batch.OutcomeNone, batch.OutcomeError} {
		j.Counts[o] = counts[i]
	}
	if err := json.Unmarshal([]byte(header), &j.Header); err != nil {
		return j, fmt.Errorf("decode header: %w", err)
	}
	if err := json.Unmarshal([]byte(opts), &j.Options); err != nil {
		return j, fmt.Errorf("decode options: %w", err)
	}
	j.CreatedAt = time.UnixMilli(created).UTC()
	if started.Valid {
		t := time.UnixMilli(started.Int64).UTC()
		j.StartedAt = &t
	}
	if finished.Valid {
		t := time.UnixMilli(finished.Int64).UTC()
		j.FinishedAt = &t
	}
	return j, nil
}

// Job implements batch.Store.
func (s *Store) Job(ctx context.Context, id string) (batch.Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, s.q(`SELECT `+jobColumns+` FROM batch_jobs WHERE id=?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, batch.ErrNotFound
	}
	if err != nil {
		return j, fmt.Errorf("job %s: %w", id, err)
	}
	return j, nil
}

// Jobs implements batch.Store.
func (s *Store) Jobs(ctx context.Context, limit int) ([]batch.Job, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+jobColumns+` FROM batch_jobs ORDER BY created_at DESC, id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	defer rows.Close()
	out := []batch.Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Cancel implements batch.Store.
func (s *Store) Cancel(ctx context.Context, id string) (_ batch.Job, err error) {
	defer markStorage(&err)
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE batch_jobs SET status=?, finished_at=? WHERE id=? AND status IN (?, ?)`),
		string(batch.StatusCancelled), ms(s.now()), id, string(batch.StatusQueued), string(batch.StatusRunning)); err != nil {
		return batch.Job{}, fmt.Errorf("cancel %s: %w", id, err)
	}
	return s.Job(ctx, id)
}

// Claim implements batch.Store.
func (s *Store) Claim(ctx context.Context, worker string, lease time.Duration) (_ *batch.Chunk, err error) {
	defer markStorage(&err)
	claim, err := newID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	defer tx.Rollback()
	c := batch.Chunk{Claim: claim}
	err = tx.QueryRowContext(ctx, s.q(`UPDATE batch_chunks SET state='claimed', owner=?, claim=?, lease_until=?
		WHERE (job_id, chunk_no) = (
			SELECT c.job_id, c.chunk_no FROM batch_chunks c JOIN batch_jobs j ON j.id = c.job_id
			WHERE j.status IN ('queued', 'running')
			  AND (c.state = 'pending' OR (c.state = 'claimed' AND c.lease_until < ?))
			ORDER BY j.created_at, j.id, c.chunk_no
			LIMIT 1 `+s.d.lock+`)
		RETURNING job_id, chunk_no, first_seq, last_seq`),
		worker, claim, ms(now.Add(lease)), ms(now)).Scan(&c.JobID, &c.No, &c.First, &c.Last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE batch_jobs SET status='running', started_at=? WHERE id=? AND status='queued'`), ms(now), c.JobID); err != nil {
		return nil, fmt.Errorf("claim: start job: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim: commit: %w", err)
	}
	return &c, nil
}

// Rows implements batch.Store.
func (s *Store) Rows(ctx context.Context, c batch.Chunk) ([]batch.Row, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT data, geom FROM batch_rows WHERE job_id=? AND seq BETWEEN ? AND ? ORDER BY seq`), c.JobID, c.First, c.Last)
	if err != nil {
		return nil, fmt.Errorf("rows: %w", err)
	}
	defer rows.Close()
	var out []batch.Row
	for rows.Next() {
		var data, geom []byte
		if err := rows.Scan(&data, &geom); err != nil {
			return nil, fmt.Errorf("rows: %w", err)
		}
		r, err := decodeRow(data, geom)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Complete implements batch.Store.
func (s *Store) Complete(ctx context.Context, c batch.Chunk, results []batch.Result, clauses []batch.Clause) (err error) {
	defer markStorage(&err)
	if want := c.Last - c.First + 1; len(results) != want {
		return fmt.Errorf("complete chunk %s/%d: %d results for %d rows", c.JobID, c.No, len(results), want)
	}
	now := s.now()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.q(`UPDATE batch_chunks SET state='done', lease_until=NULL WHERE job_id=? AND chunk_no=? AND claim=? AND state='claimed'`), c.JobID, c.No, c.Claim)
	if err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("complete: %w", err)
	} else if n != 1 {
		return batch.ErrClaimLost
	}
	counts := map[string]int{}
	dataset := ""
	for _, r := range results {
		counts[r.Outcome]++
		if dataset == "" {
			dataset = r.Dataset
		}
	}
	// The job's row first: in PostgreSQL this locks it, so the last two
	// chunks finishing at once cannot both miss that the job is done, and
	// two chunks of a new version cannot both start the job over.
	var jobDataset string
	err = tx.QueryRowContext(ctx, s.q(`UPDATE batch_jobs SET dataset = dataset WHERE id=? AND status IN ('queued', 'running') RETURNING dataset`), c.JobID).Scan(&jobDataset)
	if errors.Is(err, sql.ErrNoRows) {
		return batch.ErrNotActive
	}
	if err != nil {
		return fmt.Errorf("complete: job: %w", err)
	}
	if jobDataset != "" && dataset != "" && dataset != jobDataset {
		if err := s.restart(ctx, tx, c, jobDataset); err != nil {
			return fmt.Errorf("complete: start over on %s: %w", dataset, err)
		}
	}
	set := []string{"done = done + ?"}
	args := []any{len(results)}
	for _, o := range batch.Outcomes {
		if counts[o] > 0 {
			set = append(set, countColumn[o]+" = "+countColumn[o]+" + ?")
			args = append(args, counts[o])
		}
	}
	set = append(set, "dataset = CASE WHEN dataset = '' THEN ? ELSE dataset END")
	args = append(args, dataset, c.JobID)
	var done, total int
	err = tx.QueryRowContext(ctx, s.q(`UPDATE batch_jobs SET `+strings.Join(set, ", ")+` WHERE id=? AND status IN ('queued', 'running') RETURNING done, total`), args...).Scan(&done, &total)
	if errors.Is(err, sql.ErrNoRows) {
		return batch.ErrNotActive
	}
	if err != nil {
		return fmt.Errorf("complete: progress: %w", err)
	}
	if done >= total {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE batch_jobs SET status='finished', finished_at=? WHERE id=?`), ms(now), c.JobID); err != nil {
			return fmt.Errorf("complete: finish: %w", err)
		}
	}
	var b strings.Builder
	b.WriteString("INSERT INTO batch_results (job_id, seq, outcome, data) VALUES ")
	args = make([]any, 0, 4*len(results))
	for i, r := range results {
		if r.Seq < c.First || r.Seq > c.Last {
			return fmt.Errorf("complete chunk %s/%d: result for row %d outside %d–%d", c.JobID, c.No, r.Seq, c.First, c.Last)
		}
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("complete: encode result: %w", err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?)")
		args = append(args, c.JobID, r.Seq, r.Outcome, data)
	}
	if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
		return fmt.Errorf("complete: results: %w", err)
	}
	for _, cl := range clauses {
		data, err := json.Marshal(cl)
		if err != nil {
			return fmt.Errorf("complete: encode clause: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO batch_clauses (job_id, clause_id, data) VALUES (?,?,?) ON CONFLICT (job_id, clause_id) DO NOTHING`), c.JobID, cl.ID, data); err != nil {
			return fmt.Errorf("complete: clauses: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("complete: commit: %w", err)
	}
	return nil
}

// restart makes c's job start over (see batch.Store.Complete) inside tx:
// c itself, already marked done, is the first chunk of the new version.
func (s *Store) restart(ctx context.Context, tx *sql.Tx, c batch.Chunk, left string) error {
	for _, q := range []string{
		`DELETE FROM batch_results WHERE job_id=?`,
		`DELETE FROM batch_clauses WHERE job_id=?`,
	} {
		if _, err := tx.ExecContext(ctx, s.q(q), c.JobID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE batch_chunks SET state='pending', owner=NULL, claim=NULL, lease_until=NULL WHERE job_id=? AND chunk_no<>?`), c.JobID, c.No); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q(`UPDATE batch_jobs SET done=0, n_prohibited=0, n_insufficient=0, n_restricted=0, n_review=0, n_compatible=0, n_none=0, n_error=0,
		dataset='', restarts=restarts+1, previous_dataset=? WHERE id=?`), left, c.JobID)
	return err
}

// Results implements batch.Store. It reads in pages by Seq, the next
// page while fn works on the current one, and no transaction stays open
// while fn works (fn may write to a slow client).
func (s *Store) Results(ctx context.Context, id string, offset, limit int, fn func(batch.Row, *batch.Result) error) error {
	if _, err := s.Job(ctx, id); err != nil {
		return err
	}
	const page = 1000
	if limit > 0 && limit < page {
		got, err := s.resultsPage(ctx, id, max(offset, 0), limit)
		if err != nil {
			return err
		}
		for _, rr := range got {
			if err := fn(rr.row, rr.res); err != nil {
				return err
			}
		}
		return nil
	}
	type pageOf struct {
		rows []rowResult
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan pageOf, 1)
	go func() {
		defer close(pages)
		next, left := max(offset, 0), limit
		for {
			n := page
			if limit > 0 {
				if left <= 0 {
					return
				}
				n = min(page, left)
			}
			got, err := s.resultsPage(ctx, id, next, n)
			select {
			case pages <- pageOf{got, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(got) < n {
				return
			}
			next = got[len(got)-1].row.Seq + 1
			left -= len(got)
		}
	}()
	defer func() {
		cancel()
		for range pages {
		}
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		for _, rr := range p.rows {
			if err := fn(rr.row, rr.res); err != nil {
				return err
			}
		}
	}
	return nil
}

type rowResult struct {
	row batch.Row
	res *batch.Result
}

func (s *Store) resultsPage(ctx context.Context, id string, from, n int) ([]rowResult, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.data, r.geom, res.data FROM batch_rows r
		LEFT JOIN batch_results res ON res.job_id = r.job_id AND res.seq = r.seq
		WHERE r.job_id=? AND r.seq >= ? ORDER BY r.seq LIMIT ?`), id, from, n)
	if err != nil {
		return nil, fmt.Errorf("results of %s: %w", id, err)
	}
	defer rows.Close()
	out := make([]rowResult, 0, n)
	for rows.Next() {
		var data, geom, res []byte
		if err := rows.Scan(&data, &geom, &res); err != nil {
			return nil, fmt.Errorf("results of %s: %w", id, err)
		}
		r, err := decodeRow(data, geom)
		if err != nil {
			return nil, err
		}
		rr := rowResult{row: r}
		if res != nil {
			rr.res = new(batch.Result)
			if err := json.Unmarshal(res, rr.res); err != nil {
				return nil, fmt.Errorf("decode result %d: %w", r.Line, err)
			}
		}
		out = append(out, rr)
	}
	return out, rows.Err()
}

// Clauses implements batch.Store.
func (s *Store) Clauses(ctx context.Context, id string) ([]batch.Clause, error) {
	if _, err := s.Job(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT data FROM batch_clauses WHERE job_id=? ORDER BY clause_id`), id)
	if err != nil {
		return nil, fmt.Errorf("clauses of %s: %w", id, err)
	}
	defer rows.Close()
	out := []batch.Clause{}
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("clauses of %s: %w", id, err)
		}
		var c batch.Clause
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("decode clause: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Expire implements batch.Store.
func (s *Store) Expire(ctx context.Context, cutoff time.Time) (_ int, err error) {
	defer markStorage(&err)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM batch_jobs WHERE status IN ('finished', 'cancelled') AND finished_at < ?`), ms(cutoff))
	if err != nil {
		return 0, fmt.Errorf("expire: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("expire: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("expire: %w", err)
	}
	for _, id := range ids {
		if err := s.deleteJob(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func (s *Store) deleteJob(ctx context.Context, id string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	defer tx.Rollback()
	for _, table := range []string{"batch_clauses", "batch_results", "batch_chunks", "batch_rows"} {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE job_id=?`), id); err != nil {
			return fmt.Errorf("delete %s: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM batch_jobs WHERE id=?`), id); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	return tx.Commit()
}

// Close implements batch.Store.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.release != nil {
		err = errors.Join(err, s.release())
	}
	return err
}
