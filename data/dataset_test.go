package data

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
)

func sample() (admission.Info, []admission.Layer) {
	info := admission.Info{Name: "测试", Version: "1", Published: "2026-11-29", CRS: "EPSG:4490", Source: "test", Synthetic: true}
	layers := []admission.Layer{{
		ID: admission.LayerControlUnits, Title: "环境管控单元", Role: admission.RolePartition, Kind: admission.KindPolygon,
		Features: []admission.Feature{{
			ID: "ZH50010310001", Name: "渝中区优先保护单元1", Category: admission.CategoryPriority,
			Properties: map[string]any{"county_code": "500103", "clauses": map[string]any{"空间布局约束": []any{"1-1 禁止新建工业项目。"}}},
			Geometry:   orb.Polygon{{{106.55, 29.55}, {106.56, 29.55}, {106.56, 29.57}, {106.55, 29.57}, {106.55, 29.55}}},
		}},
	}}
	return info, layers
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	info, layers := sample()
	sum, err := WriteDataset(dir, Contents{Info: info, Layers: layers})
	require.NoError(t, err)
	c, err := LoadDir(dir)
	require.NoError(t, err)
	got, gotLayers := c.Info, c.Layers
	assert.Equal(t, sum, got.Checksum)
	assert.Equal(t, "EPSG:4490", got.CRS)
	require.Len(t, gotLayers, 1)
	f := gotLayers[0].Features[0]
	assert.Equal(t, "ZH50010310001", f.ID)
	assert.Equal(t, admission.CategoryPriority, f.Category)
	assert.Equal(t, "500103", f.Properties["county_code"])
	assert.Equal(t, layers[0].Features[0].Geometry, f.Geometry)

	// Writing again gives the same bytes.
	dir2 := t.TempDir()
	_, err = WriteDataset(dir2, Contents{Info: info, Layers: layers})
	require.NoError(t, err)
	for _, name := range []string{ManifestFile, "control_units.geojson.gz"} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(dir2, name))
		assert.Equal(t, a, b, name)
	}
}

func TestChecksumMismatchIsRefused(t *testing.T) {
	dir := t.TempDir()
	info, layers := sample()
	_, err := WriteDataset(dir, Contents{Info: info, Layers: layers})
	require.NoError(t, err)
	layers[0].Features[0].Name = "改过"
	// Overwrite the layer file only, keeping the old manifest.
	manifest, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	_, err = WriteDataset(dir, Contents{Info: info, Layers: layers})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), manifest, 0o644))
	_, err = LoadDir(dir)
	require.ErrorIs(t, err, ErrChecksum)
}

func TestReadErrors(t *testing.T) {
	_, err := LoadDir(filepath.Join(t.TempDir(), "missing"))
	assert.Error(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"name":"x","layers":[{"id":"a","file":"../etc/passwd"}]}`), 0o644))
	_, err = LoadDir(dir)
	assert.ErrorContains(t, err, "plain name")
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"name":"x","colour":"red"}`), 0o644))
	_, err = LoadDir(dir)
	assert.ErrorContains(t, err, "unknown field")
}
