package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/data"
)

// assertNoLeak fails when an answer shows a file system path of the test
// (the temporary folders), a Go stack or a Go source position.
func assertNoLeak(t *testing.T, what string, body []byte, dirs ...string) {
	t.Helper()
	s := string(body)
	for _, d := range append(dirs, os.TempDir()+"/") {
		assert.NotContains(t, s, d, "%s: a file system path in the answer: %s", what, s)
	}
	for _, bad := range []string{"goroutine", ".go:", "runtime/", "panic("} {
		assert.NotContains(t, s, bad, "%s: internal detail %q in the answer: %s", what, bad, s)
	}
}

// Versions whose files are missing, corrupt or point outside the folder
// are listed, refused at activation and in a diff with Chinese messages
// and stable codes, and no answer names a file system path or shows Go
// internals; the detail is in the log.
func TestErrorsShowNoPaths(t *testing.T) {
	f := writeVersions(t)
	v1 := filepath.Join(f.dir, "v1")
	copyDir := func(id string) string {
		dst := filepath.Join(f.dir, id)
		require.NoError(t, os.CopyFS(dst, os.DirFS(v1)))
		return dst
	}
	layerFile := func(dir string) string {
		m, err := filepath.Glob(filepath.Join(dir, "*.geojson.gz"))
		require.NoError(t, err)
		require.NotEmpty(t, m)
		return m[0]
	}
	// v3: a layer file is missing.
	require.NoError(t, os.Remove(layerFile(copyDir("v3"))))
	// v4: a layer file is not gzip.
	require.NoError(t, os.WriteFile(layerFile(copyDir("v4")), []byte("garbage, not gzip"), 0o644))
	// v5: the manifest is not JSON.
	require.NoError(t, os.WriteFile(filepath.Join(copyDir("v5"), data.ManifestFile), []byte("{not json"), 0o644))
	// v6: a layer file is a symlink to a missing absolute path.
	l6 := layerFile(copyDir("v6"))
	require.NoError(t, os.Remove(l6))
	secret := filepath.Join(t.TempDir(), "secret", "elsewhere.geojson.gz")
	require.NoError(t, os.Symlink(secret, l6))
	// v7: a layer file is a directory.
	l7 := layerFile(copyDir("v7"))
	require.NoError(t, os.Remove(l7))
	require.NoError(t, os.Mkdir(l7, 0o755))
	// v8: the manifest is missing.
	require.NoError(t, os.Remove(filepath.Join(copyDir("v8"), data.ManifestFile)))

	srv := startServe(t, "--data", f.dir, "--admin-token", adminToken)
	dirs := []string{f.dir, filepath.Dir(f.dir), filepath.Dir(secret)}

	code, body := call(t, http.DefaultClient, "GET", srv.base+"/api/v1/datasets", "")
	require.Equal(t, http.StatusOK, code, "%s", body)
	assertNoLeak(t, "GET /api/v1/datasets", body, dirs...)
	t.Logf("list: %s", body)

	for _, id := range []string{"v3", "v4", "v5", "v6", "v7", "v8"} {
		code, body := call(t, http.DefaultClient, "POST", srv.base+"/api/v1/admin/datasets/"+id+"/activate", adminToken)
		assert.Contains(t, []int{http.StatusUnprocessableEntity, http.StatusNotFound}, code, "activate %s: %s", id, body)
		e := decodeError(t, body)
		assert.Contains(t, []string{"dataset_invalid", "version_not_found"}, e.Error.Code, "activate %s", id)
		assertNoLeak(t, "activate "+id, body, dirs...)
		t.Logf("activate %s: %d %s", id, code, body)

		code, body = call(t, http.DefaultClient, "GET", srv.base+"/api/v1/datasets/diff?from=v1&to="+id, "")
		assert.NotEqual(t, http.StatusOK, code, "diff with %s: %s", id, body)
		assert.NotEqual(t, http.StatusInternalServerError, code, "diff with %s: %s", id, body)
		assertNoLeak(t, "diff "+id, body, dirs...)
	}
	assert.Equal(t, "2020.1", f.probeVersion(t, srv.base), "v1 still serves")
	// The log has the detail the answers leave out.
	assert.Contains(t, srv.stderr.String(), "v3")
	assert.True(t, strings.Contains(srv.stderr.String(), f.dir), "the log names the folder")
}
