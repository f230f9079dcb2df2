package web

import (
	"context"
	"io"
	"io/fs"
	"iter"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/batch/sqlstore"

	"github.com/sanxian/sanxian/internal/sampletest"
)

// failingStore is a job store whose reads and writes fail with an error
// that names a file of the server, as a broken disk would.
type failingStore struct {
	batch.Store
	err error
}

func (f failingStore) Create(context.Context, batch.Job, iter.Seq2[batch.Row, error], int, int) (batch.Job, error) {
	return batch.Job{}, f.err
}
func (f failingStore) Job(context.Context, string) (batch.Job, error)    { return batch.Job{}, f.err }
func (f failingStore) Jobs(context.Context, int) ([]batch.Job, error)    { return nil, f.err }
func (f failingStore) Cancel(context.Context, string) (batch.Job, error) { return batch.Job{}, f.err }

// failingFiles cannot open any list, with an error naming a server file.
type failingFiles struct {
	fakeFiles
	err error
}

func (f failingFiles) Open(string, io.Reader, BatchListOptions) (BatchList, error) { return nil, f.err }

// A failing job store or list reader answers 500 internal_error with a
// plain Chinese message: no file system path, no Go error text.
func TestStoreErrorsShowNoPaths(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlstore.OpenSQLite(context.Background(), dir)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	secret := filepath.Join(dir, "jobs.db")
	pathErr := &fs.PathError{Op: "write", Path: secret, Err: syscall.EIO}
	s := New(staticSource{sampletest.Dataset(t)}, Config{Batches: &Batches{Store: failingStore{store, pathErr}, Files: fakeFiles{}}}, testLogger(t))
	ts := newTestServer(t, s)
	check := func(what string, r response) {
		t.Helper()
		require.Equal(t, http.StatusInternalServerError, r.Status, "%s: %s", what, r.Body)
		e := errorOf(t, r)
		assert.Equal(t, CodeInternal, e.Code, what)
		assert.Contains(t, e.Message, "服务内部错误", what)
		for _, bad := range []string{dir, "/jobs.db", "input/output error", "write ", ".go:", "goroutine"} {
			assert.NotContains(t, string(r.Body), bad, "%s: %s", what, r.Body)
		}
	}
	check("create", postList(t, ts.URL+"/api/v1/batches", "list.csv", []byte(sampleList)))
	check("list", do(t, "GET", ts.URL+"/api/v1/batches", ""))
	check("get", do(t, "GET", ts.URL+"/api/v1/batches/0123456789abcdef01234567", ""))
	check("cancel", do(t, "DELETE", ts.URL+"/api/v1/batches/0123456789abcdef01234567", ""))
	check("rows", do(t, "GET", ts.URL+"/api/v1/batches/0123456789abcdef01234567/rows", ""))
	check("result", do(t, "GET", ts.URL+"/api/v1/batches/0123456789abcdef01234567/result.csv", ""))

	s = New(staticSource{sampletest.Dataset(t)}, Config{Batches: &Batches{Store: store, Files: failingFiles{err: pathErr}}}, testLogger(t))
	ts = newTestServer(t, s)
	check("open list", postList(t, ts.URL+"/api/v1/batches", "list.csv", []byte(sampleList)))
}
