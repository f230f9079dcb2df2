package web

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/batch/sqlstore"
	"github.com/sanxian/sanxian/internal/sampletest"
)

// unwritableStore is a real store whose writes fail, while cause is set,
// the way sqlstore reports a full disk or a read-only file system (see
// batch/sqlstore TestSQLiteFullAndReadOnly and cmd/sanxian
// TestStateDirFull for the real failures).
type unwritableStore struct {
	batch.Store
	cause *atomic.Pointer[error]
}

func (s unwritableStore) Create(ctx context.Context, j batch.Job, rows iter.Seq2[batch.Row, error], chunk, max int) (batch.Job, error) {
	if err := s.cause.Load(); err != nil {
		return batch.Job{}, fmt.Errorf("create job: commit: %w", *err)
	}
	return s.Store.Create(ctx, j, rows, chunk, max)
}

func (s unwritableStore) Cancel(ctx context.Context, id string) (batch.Job, error) {
	if err := s.cause.Load(); err != nil {
		return batch.Job{}, fmt.Errorf("cancel: %w", *err)
	}
	return s.Store.Cancel(ctx, id)
}

// A store that cannot be written answers 507 storage_full or 503
// storage_read_only in Chinese (never 500, never the file system's
// error text), logs the cause, and reads keep working.
func TestBatchStorageErrors(t *testing.T) {
	store, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	var cause atomic.Pointer[error]
	cfg := Config{Batches: &Batches{Store: unwritableStore{Store: store, cause: &cause}, Files: fakeFiles{}}}
	base := newTestServer(t, New(staticSource{sampletest.Dataset(t)}, cfg, testLogger(t))).URL
	r := postList(t, base+"/api/v1/batches", "list.csv", []byte(sampleList))
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	job := decodeJob(t, r)

	for _, c := range []struct {
		cause   error
		status  int
		code    string
		message string
	}{
		{fmt.Errorf("%w: database or disk is full (13)", batch.ErrStorageFull), http.StatusInsufficientStorage, CodeStorageFull, "磁盘已满，本次上传未保存（之前的任务不受影响）"},
		{fmt.Errorf("%w: attempt to write a readonly database (8)", batch.ErrStorageReadOnly), http.StatusServiceUnavailable, CodeStorageReadOnly, "暂时无法写入（只读），本次操作未保存"},
	} {
		cause.Store(&c.cause)
		r := postList(t, base+"/api/v1/batches", "list.csv", []byte(sampleList))
		assert.Equal(t, c.status, r.Status, "%s", r.Body)
		e := errorOf(t, r)
		assert.Equal(t, c.code, e.Code)
		assert.Contains(t, e.Message, c.message)
		assert.NotContains(t, string(r.Body), "database", "no store error text in the answer")

		r = do(t, "DELETE", base+"/api/v1/batches/"+job.ID, "")
		assert.Equal(t, c.status, r.Status, "cancel: %s", r.Body)
		assert.Equal(t, c.code, errorOf(t, r).Code)
		r = do(t, "GET", base+"/api/v1/batches/"+job.ID, "")
		assert.Equal(t, http.StatusOK, r.Status, "reads keep working: %s", r.Body)
	}
}

// An upload spooled to a temporary directory whose disk is full is
// answered 507 storage_full, not "incomplete form" (400) or 500. Needs
// root to mount a small tmpfs as TMPDIR; skipped otherwise, saying why.
func TestBatchUploadSpoolFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs as TMPDIR needs root (CAP_SYS_ADMIN); not root here")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs (a container without CAP_SYS_ADMIN?): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	env := newBatchEnv(t, sampletest.Dataset(t), false, Config{}, nil)
	f, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	for {
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			break
		}
	}
	f.Close()
	t.Setenv("TMPDIR", dir)
	r := postList(t, env.ts.URL+"/api/v1/batches", "list.csv", []byte(sampleList))
	assert.Equal(t, http.StatusInsufficientStorage, r.Status, "%s", r.Body)
	e := errorOf(t, r)
	assert.Equal(t, CodeStorageFull, e.Code)
	assert.Contains(t, e.Message, "服务器临时目录所在的磁盘已满")
	jobs, err := env.store.Jobs(context.Background(), 10)
	require.NoError(t, err)
	assert.Empty(t, jobs)
}
