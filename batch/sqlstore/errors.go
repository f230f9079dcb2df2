package sqlstore

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sanxian/sanxian/batch"
)

// storageError marks err with batch.ErrStorageFull or
// batch.ErrStorageReadOnly when it says the database cannot be written:
// SQLite's SQLITE_FULL and SQLITE_READONLY (with their extended codes),
// PostgreSQL's disk_full (53100) and read_only_sql_transaction (25006),
// and the file system's ENOSPC, EDQUOT and EROFS. Other errors, and nil,
// are returned unchanged.
func storageError(err error) error {
	if err == nil {
		return nil
	}
	var le *sqlite.Error
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, batch.ErrStorageFull), errors.Is(err, batch.ErrStorageReadOnly):
		return err
	case errors.As(err, &le) && le.Code()&0xff == sqlite3.SQLITE_FULL,
		errors.As(err, &pe) && pe.Code == "53100",
		errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", batch.ErrStorageFull, err)
	case errors.As(err, &le) && le.Code()&0xff == sqlite3.SQLITE_READONLY,
		errors.As(err, &pe) && pe.Code == "25006",
		errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", batch.ErrStorageReadOnly, err)
	}
	return err
}

// markStorage applies storageError to *err; for a deferred call in the
// methods that write.
func markStorage(err *error) { *err = storageError(*err) }
