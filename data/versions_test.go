package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeVersion writes the sample dataset as version id of dir, with the
// given version string and publication date.
func writeVersion(t *testing.T, dir, id, version, published string) string {
	t.Helper()
	info, layers := sample()
	info.Version, info.Published = version, published
	sum, err := WriteDataset(filepath.Join(dir, id), Contents{Info: info, Layers: layers})
	require.NoError(t, err)
	return sum
}

// A versions directory:
//
//	dir/
//	  2020/       dataset.json (published 2020-12-01)
//	  2023/       dataset.json (published 2023-09-30)
//	  2023b/      dataset.json (published 2023-09-30)
//	  .incoming/  dataset.json (hidden: ignored)
//	  notes/      no dataset.json: ignored
//	  README      a file: ignored
func versionsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeVersion(t, dir, "2020", "2020.1", "2020-12-01")
	writeVersion(t, dir, "2023", "2023.1", "2023-09-30")
	writeVersion(t, dir, "2023b", "2023.2", "2023-09-30")
	writeVersion(t, dir, ".incoming", "2024.1", "2024-01-01")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "notes"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("版本目录"), 0o644))
	return dir
}

func TestOpenVersionsLayout(t *testing.T) {
	t.Run("versions directory", func(t *testing.T) {
		v, err := OpenVersions(versionsDir(t))
		require.NoError(t, err)
		list, err := v.List()
		require.NoError(t, err)
		var ids []string
		for _, vi := range list {
			ids = append(ids, vi.ID)
		}
		assert.Equal(t, []string{"2020", "2023", "2023b"}, ids, "hidden folders, folders without dataset.json and files are not versions")
		vi := list[1]
		assert.Equal(t, "2023.1", vi.Version)
		assert.Equal(t, "2023-09-30", vi.Published)
		assert.Equal(t, "测试", vi.Name)
		assert.True(t, vi.Synthetic)
		assert.True(t, strings.HasPrefix(vi.Checksum, "sha256:"))
		assert.Equal(t, []string{"control_units"}, vi.Layers)
		assert.Equal(t, map[string]int{"control_units": 1}, vi.Features)
		assert.Empty(t, vi.Problem)
	})
	t.Run("single dataset folder", func(t *testing.T) {
		dir := t.TempDir()
		writeVersion(t, dir, "", "1", "2026-01-01")
		_, err := OpenVersions(dir)
		assert.ErrorIs(t, err, ErrDatasetFolder)
	})
	t.Run("no versions", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "empty"), 0o755))
		_, err := OpenVersions(dir)
		assert.ErrorIs(t, err, ErrNoVersions)
	})
	t.Run("missing", func(t *testing.T) {
		_, err := OpenVersions(filepath.Join(t.TempDir(), "none"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestVersionsActive(t *testing.T) {
	t.Run("latest published, ties to the greatest id", func(t *testing.T) {
		v, err := OpenVersions(versionsDir(t))
		require.NoError(t, err)
		id, err := v.Active()
		require.NoError(t, err)
		assert.Equal(t, "2023b", id)
	})
	t.Run("a malformed date counts as the earliest", func(t *testing.T) {
		dir := t.TempDir()
		writeVersion(t, dir, "a", "1", "2021-01-01")
		writeVersion(t, dir, "b", "2", "2021年")
		v, err := OpenVersions(dir)
		require.NoError(t, err)
		id, err := v.Active()
		require.NoError(t, err)
		assert.Equal(t, "a", id)
	})
	t.Run("ACTIVE wins", func(t *testing.T) {
		dir := versionsDir(t)
		require.NoError(t, os.WriteFile(filepath.Join(dir, ActiveFile), []byte(" 2020\n"), 0o644))
		v, err := OpenVersions(dir)
		require.NoError(t, err)
		id, err := v.Active()
		require.NoError(t, err)
		assert.Equal(t, "2020", id)
	})
	for name, content := range map[string]string{
		"unknown version": "2019\n",
		"path in ACTIVE":  "../2020\n",
		"empty ACTIVE":    "\n",
		"hidden folder":   ".incoming",
	} {
		t.Run(name+" is an error, not a fallback", func(t *testing.T) {
			dir := versionsDir(t)
			require.NoError(t, os.WriteFile(filepath.Join(dir, ActiveFile), []byte(content), 0o644))
			v, err := OpenVersions(dir)
			require.NoError(t, err)
			_, err = v.Active()
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrUnknownVersion) || errors.Is(err, ErrBadVersionID), "got %v", err)
			assert.Contains(t, err.Error(), ActiveFile)
		})
	}
}

func TestVersionsSetActive(t *testing.T) {
	dir := versionsDir(t)
	v, err := OpenVersions(dir)
	require.NoError(t, err)
	require.NoError(t, v.SetActive("2020"))
	raw, err := os.ReadFile(filepath.Join(dir, ActiveFile))
	require.NoError(t, err)
	assert.Equal(t, "2020\n", string(raw))
	st, err := os.Stat(filepath.Join(dir, ActiveFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	id, err := v.Active()
	require.NoError(t, err)
	assert.Equal(t, "2020", id)

	assert.ErrorIs(t, v.SetActive("2019"), ErrUnknownVersion)
	assert.ErrorIs(t, v.SetActive("../x"), ErrBadVersionID)
	raw, _ = os.ReadFile(filepath.Join(dir, ActiveFile))
	assert.Equal(t, "2020\n", string(raw), "a refused SetActive leaves ACTIVE alone")

	// Atomic: readers racing with writers only ever see a complete id,
	// and no temporary file is left behind.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	bad := make(chan string, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			raw, err := os.ReadFile(filepath.Join(dir, ActiveFile))
			if s := string(raw); err != nil || (s != "2020\n" && s != "2023\n") {
				select {
				case bad <- s:
				default:
				}
			}
		}
	}()
	for i := range 200 {
		require.NoError(t, v.SetActive([]string{"2020", "2023"}[i%2]))
	}
	close(stop)
	wg.Wait()
	select {
	case s := <-bad:
		t.Errorf("a reader saw ACTIVE = %q", s)
	default:
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), "."+ActiveFile), "temporary file %s left behind", e.Name())
	}
}

func TestVersionIDs(t *testing.T) {
	for _, id := range []string{"2023", "v2.1", "2023-重庆调整", "a_b"} {
		assert.True(t, ValidVersionID(id), id)
	}
	for _, id := range []string{"", ".", "..", "a/b", `a\b`, "../2020", "v..1", ".hidden", "a:b", "a\x00b", "a\nb", strings.Repeat("x", 129)} {
		assert.False(t, ValidVersionID(id), "%q", id)
	}
	v, err := OpenVersions(versionsDir(t))
	require.NoError(t, err)
	for _, id := range []string{"..", "../2020", "2020/../2023", "/etc"} {
		_, err := v.Load(id)
		assert.ErrorIs(t, err, ErrBadVersionID, id)
	}
	_, err = v.Load("2019")
	assert.ErrorIs(t, err, ErrUnknownVersion)
	_, err = v.Load("notes")
	assert.ErrorIs(t, err, ErrUnknownVersion, "a folder without dataset.json is no version")
}

func TestVersionsLoad(t *testing.T) {
	dir := versionsDir(t)
	v, err := OpenVersions(dir)
	require.NoError(t, err)
	c, err := v.Load("2023")
	require.NoError(t, err)
	assert.Equal(t, "2023.1", c.Info.Version)
	require.Len(t, c.Layers, 1)

	// A damaged layer file: Load refuses it (checksum), List still lists
	// the version, with its problem and no path.
	layer := filepath.Join(dir, "2023", "control_units.geojson.gz")
	require.NoError(t, os.WriteFile(layer, []byte("not gzip"), 0o644))
	_, err = v.Load("2023")
	require.Error(t, err)
	list, err := v.List()
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Contains(t, list[1].Problem, "control_units")
	assert.NotContains(t, list[1].Problem, dir)
	assert.Nil(t, list[1].Features)

	// Gone entirely: the manifest's problem is listed.
	require.NoError(t, os.Remove(layer))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "2023", ManifestFile), []byte("{"), 0o644))
	list, err = v.List()
	require.NoError(t, err)
	assert.Contains(t, list[1].Problem, ManifestFile)
}

func TestVersionsCountCache(t *testing.T) {
	dir := versionsDir(t)
	v, err := OpenVersions(dir)
	require.NoError(t, err)
	list, err := v.List()
	require.NoError(t, err)
	assert.Equal(t, 1, list[0].Features["control_units"])

	// Rewriting the version with two units is seen (the file changed).
	info, layers := sample()
	f2 := layers[0].Features[0]
	f2.ID = "ZH50010310002"
	layers[0].Features = append(layers[0].Features, f2)
	info.Published = "2020-12-01"
	_, err = WriteDataset(filepath.Join(dir, "2020"), Contents{Info: info, Layers: layers})
	require.NoError(t, err)
	list, err = v.List()
	require.NoError(t, err)
	assert.Equal(t, 2, list[0].Features["control_units"])
}

func TestCountFeatures(t *testing.T) {
	dir := t.TempDir()
	for name, tt := range map[string]struct {
		content string
		want    int
		err     bool
	}{
		"plain":          {`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"features":[1,2]}},{"type":"Feature"}]}`, 2, false},
		"features first": {`{"features":[],"type":"FeatureCollection"}`, 0, false},
		"no features":    {`{"type":"FeatureCollection"}`, 0, true},
		"not an object":  {`[1,2]`, 0, true},
		"truncated":      {`{"type":"FeatureCollection","features":[{"type":`, 0, true},
	} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".geojson")
			require.NoError(t, os.WriteFile(f, []byte(tt.content), 0o644))
			n, err := countFeatures(f)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, n)
		})
	}
}
