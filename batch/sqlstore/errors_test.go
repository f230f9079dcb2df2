package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/batch"
)

// sqliteWithPragmas opens a SQLite store on one connection (pragmas are
// per connection) and a function that runs a pragma on it.
func sqliteWithPragmas(t *testing.T) (*Store, func(q string)) {
	s := sqliteOpener(t)
	s.db.SetMaxOpenConns(1)
	return s, func(q string) {
		t.Helper()
		_, err := s.db.ExecContext(context.Background(), q)
		require.NoError(t, err)
	}
}

// A SQLite store that runs out of pages (PRAGMA max_page_count, which
// fails writes with SQLITE_FULL as a full disk does) or is made
// query-only (SQLITE_READONLY): writes fail with the batch sentinels and
// store nothing; reads keep working; with room again writes work.
func TestSQLiteFullAndReadOnly(t *testing.T) {
	ctx := context.Background()
	s, pragma := sqliteWithPragmas(t)
	first, err := s.Create(ctx, newJob(), rowsOf(10), 4, 0)
	require.NoError(t, err)

	var pages int
	require.NoError(t, s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages))
	pragma(fmt.Sprintf("PRAGMA max_page_count = %d", pages+2))
	_, err = s.Create(ctx, newJob(), rowsOf(3000), 200, 0)
	require.ErrorIs(t, err, batch.ErrStorageFull)
	jobs, err := s.Jobs(ctx, 10)
	require.NoError(t, err)
	require.Len(t, jobs, 1, "the refused job stored nothing")
	assert.Equal(t, first.ID, jobs[0].ID)

	pragma("PRAGMA max_page_count = 1073741823")
	second, err := s.Create(ctx, newJob(), rowsOf(3000), 200, 0)
	require.NoError(t, err)
	assert.Equal(t, 3000, second.Total)

	pragma("PRAGMA query_only = ON")
	_, err = s.Create(ctx, newJob(), rowsOf(5), 4, 0)
	assert.ErrorIs(t, err, batch.ErrStorageReadOnly)
	_, err = s.Cancel(ctx, second.ID)
	assert.ErrorIs(t, err, batch.ErrStorageReadOnly)
	_, err = s.Claim(ctx, "w", 0)
	assert.ErrorIs(t, err, batch.ErrStorageReadOnly)
	j, err := s.Job(ctx, second.ID)
	require.NoError(t, err, "reads still work")
	assert.Equal(t, batch.StatusQueued, j.Status)
	pragma("PRAGMA query_only = OFF")
	_, err = s.Cancel(ctx, second.ID)
	assert.NoError(t, err)
}

// A chunk whose results cannot be recorded because the store is full
// fails with batch.ErrStorageFull and records nothing: the job's count
// and results are unchanged and the chunk stays claimed, so with room
// again the same worker (or, after the lease, another) completes it.
func TestSQLiteCompleteWhenFull(t *testing.T) {
	ctx := context.Background()
	s, pragma := sqliteWithPragmas(t)
	job, err := s.Create(ctx, newJob(), rowsOf(400), 200, 0)
	require.NoError(t, err)
	c, err := s.Claim(ctx, "w", time.Minute)
	require.NoError(t, err)
	require.NotNil(t, c)
	res, cl := fakeResults(*c)
	for i := range res { // large enough to need new pages
		res[i].Evidence = []string{strings.Repeat("证据", 200)}
	}

	var pages int
	require.NoError(t, s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages))
	pragma(fmt.Sprintf("PRAGMA max_page_count = %d", pages))
	require.ErrorIs(t, s.Complete(ctx, *c, res, cl), batch.ErrStorageFull)
	j, err := s.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, 0, j.Done, "nothing of the chunk is counted")
	stored := 0
	require.NoError(t, s.Results(ctx, job.ID, 0, 0, func(_ batch.Row, r *batch.Result) error {
		if r != nil {
			stored++
		}
		return nil
	}))
	assert.Zero(t, stored, "no result half-written")

	pragma("PRAGMA max_page_count = 1073741823")
	require.NoError(t, s.Complete(ctx, *c, res, cl), "the same claim completes with room again")
	j, err = s.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, 200, j.Done)
}

func TestStorageError(t *testing.T) {
	path := func(errno syscall.Errno) error {
		return fmt.Errorf("state directory: %w", &os.PathError{Op: "open", Path: "/x/sanxian.lock", Err: errno})
	}
	plain := errors.New("something else")
	for _, c := range []struct {
		err  error
		want error
	}{
		{path(syscall.ENOSPC), batch.ErrStorageFull},
		{path(syscall.EDQUOT), batch.ErrStorageFull},
		{path(syscall.EROFS), batch.ErrStorageReadOnly},
		{&pgconn.PgError{Code: "53100", Message: "could not extend file"}, batch.ErrStorageFull},
		{&pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"}, batch.ErrStorageReadOnly},
		{fmt.Errorf("%w: already", batch.ErrStorageFull), batch.ErrStorageFull},
	} {
		got := storageError(c.err)
		assert.ErrorIs(t, got, c.want, "%v", c.err)
		assert.ErrorIs(t, got, c.err, "the cause is kept")
	}
	assert.Equal(t, plain, storageError(plain))
	assert.Nil(t, storageError(nil))
	assert.NotErrorIs(t, storageError(&pgconn.PgError{Code: "23505"}), batch.ErrStorageFull)
}
