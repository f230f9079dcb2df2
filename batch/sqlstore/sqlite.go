package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// DBFile is the SQLite database's name in the state directory.
const DBFile = "sanxian.db"

// ErrLocked is returned by OpenSQLite when another process uses the
// state directory.
var ErrLocked = errors.New("sqlstore: state directory in use by another process")

// OpenSQLite opens (creating if needed) the job database in dir. The
// directory belongs to one process at a time (a lock file says so): that
// is what lets Open hand the chunks a killed process had claimed straight
// back to the queue, so a restart resumes at once. Commits are durable
// (WAL, synchronous=FULL): a job accepted before kill -9 or a power cut is
// there after it.
func OpenSQLite(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "sanxian.lock"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	release := func() error {
		syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		return lock.Close()
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(30000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + filepath.Join(dir, DBFile) + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		release()
		return nil, fmt.Errorf("open job database: %w", err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, d: sqliteDialect, now: time.Now, release: release}
	if err := s.migrate(ctx, ""); err != nil {
		s.Close()
		return nil, fmt.Errorf("open job database %s: %w", dir, storageError(err))
	}
	// This process owns the directory: claims left by a previous one are
	// stale.
	if _, err := db.ExecContext(ctx, `UPDATE batch_chunks SET state='pending', owner=NULL, claim=NULL, lease_until=NULL WHERE state='claimed'`); err != nil {
		s.Close()
		return nil, fmt.Errorf("release stale claims: %w", storageError(err))
	}
	return s, nil
}
