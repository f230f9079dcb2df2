package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

// overlapVersion writes v3: v1 with its key-control unit widened west
// over 0.01° of the priority unit, an overlap only the full validation's
// overlays find.
func overlapVersion(t *testing.T, dir string) {
	t.Helper()
	c := versionContents(1)
	c.Info.Version = "2024.1"
	units := c.Layers[1]
	require.Equal(t, admission.LayerControlUnits, units.ID)
	units.Features = append([]admission.Feature{}, units.Features...)
	units.Features[1].Geometry = square(106.54, 29.50, 106.60, 29.60)
	c.Layers = append([]admission.Layer{}, c.Layers...)
	c.Layers[1] = units
	_, err := data.WriteDataset(filepath.Join(dir, "v3"), c)
	require.NoError(t, err)
}

// A version whose units overlap is refused at activation with the
// overlap named, and the serving version stays; a server cannot start on
// it either.
func TestActivationRunsFullValidation(t *testing.T) {
	f := writeVersions(t)
	overlapVersion(t, f.dir)
	srv := startServe(t, "--data", f.dir, "--admin-token", adminToken, "--log-format", "json")

	code, body := call(t, http.DefaultClient, http.MethodPost, srv.base+"/api/v1/admin/datasets/v3/activate", adminToken)
	require.Equal(t, http.StatusUnprocessableEntity, code, "%s", body)
	e := decodeError(t, body)
	assert.Equal(t, "dataset_invalid", e.Error.Code)
	assert.Contains(t, string(body), admission.CodeOverlap)
	assert.Contains(t, string(body), "ZH50010110001")
	assert.NotContains(t, string(body), f.dir, "no file system path in the answer")
	assert.Equal(t, "2020.1", f.probeVersion(t, srv.base), "v1 keeps serving")

	code, body = call(t, http.DefaultClient, http.MethodPost, srv.base+"/api/v1/admin/datasets/v2/activate", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.Equal(t, "2023.1", f.probeVersion(t, srv.base))

	require.NoError(t, os.WriteFile(filepath.Join(f.dir, data.ActiveFile), []byte("v3\n"), 0o644))
	c, _, errOut := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", f.dir, "--state-dir", t.TempDir())
	assert.NotZero(t, c)
	assert.Contains(t, errOut, "ZH50010110001")
	assert.Contains(t, errOut, "重叠")
}
