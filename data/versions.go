package data

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// ActiveFile names the file of a versions directory that holds the id of
// the active version (one line).
const ActiveFile = "ACTIVE"

// Errors of OpenVersions and of the Versions methods; they come wrapped
// with the folder or id they concern.
var (
	// ErrDatasetFolder: the directory is itself a dataset folder (it has
	// a dataset.json); use LoadDir.
	ErrDatasetFolder = errors.New("data: a dataset folder, not a versions directory")
	// ErrNoVersions: no subfolder of the directory is a dataset folder.
	ErrNoVersions = errors.New("data: no dataset versions in the directory")
	// ErrBadVersionID: the id is empty, has a path separator or "..", or
	// starts with a dot.
	ErrBadVersionID = errors.New("data: invalid version id")
	// ErrUnknownVersion: no version has this id.
	ErrUnknownVersion = errors.New("data: no such version")
)

// Versions is a versions directory: every subfolder that holds a
// dataset.json is a version of the dataset, its id the folder name, and
// the file ACTIVE names the active one. Subfolders whose name starts with
// a dot are ignored, so that a new version can be copied in under a
// hidden name and renamed when complete. The directory is read on every
// call: versions added or removed while the program runs are seen.
//
// Safe for concurrent use; SetActive calls are not serialised against
// each other (callers that activate should serialise themselves).
type Versions struct {
	dir string

	mu     sync.Mutex
	counts map[string]countEntry // version id → feature counts and the file stamp they belong to
}

type countEntry struct {
	stamp  string
	counts map[string]int
	err    error
}

// VersionInfo describes one version from its dataset.json.
type VersionInfo struct {
	// ID is the folder name.
	ID        string `json:"id"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Published string `json:"published"`
	// Checksum is what dataset.json declares; Load verifies it.
	Checksum  string `json:"checksum"`
	Synthetic bool   `json:"synthetic"`
	// Layers are the layer ids in manifest order.
	Layers []string `json:"layers"`
	// Features counts the features per layer id; nil when Problem is set.
	Features map[string]int `json:"features,omitempty"`
	// Problem says, in English, why the version's files cannot be read
	// (an unreadable manifest or layer file); empty when they can. A
	// version with a problem is listed all the same; Load refuses it.
	Problem string `json:"problem,omitempty"`
	// Err is the error Problem describes (a *FileError for a file that
	// cannot be read), for callers that explain it in their own words.
	Err error `json:"-"`
}

// ValidVersionID reports whether id can name a version: a plain folder
// name of at most 128 bytes, without path separators (/ \ :), "..", a
// leading dot or control characters.
func ValidVersionID(id string) bool {
	if id == "" || len(id) > 128 || strings.HasPrefix(id, ".") || strings.Contains(id, "..") || strings.ContainsAny(id, `/\:`) {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// OpenVersions opens dir as a versions directory. It fails with
// ErrDatasetFolder when dir is itself a dataset folder and with
// ErrNoVersions when no subfolder is one.
func OpenVersions(dir string) (*Versions, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("versions directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("versions directory: %s is not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
		return nil, fmt.Errorf("%w: %s has a %s", ErrDatasetFolder, dir, ManifestFile)
	}
	v := &Versions{dir: dir, counts: map[string]countEntry{}}
	ids, err := v.ids()
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoVersions, dir)
	}
	return v, nil
}

// Dir returns the directory.
func (v *Versions) Dir() string { return v.dir }

// ids returns the version ids in ascending order.
func (v *Versions) ids() ([]string, error) {
	entries, err := os.ReadDir(v.dir)
	if err != nil {
		return nil, fmt.Errorf("versions directory: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if !ValidVersionID(e.Name()) || !isDirEntry(v.dir, e) {
			continue
		}
		if _, err := os.Stat(filepath.Join(v.dir, e.Name(), ManifestFile)); err == nil {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// isDirEntry reports whether e is a folder or a symbolic link to one.
func isDirEntry(dir string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}

// folder returns the folder of version id, checking the id and that the
// version exists.
func (v *Versions) folder(id string) (string, error) {
	if !ValidVersionID(id) {
		return "", fmt.Errorf("%w: %q", ErrBadVersionID, id)
	}
	dir := filepath.Join(v.dir, id)
	st, err := os.Stat(filepath.Join(dir, ManifestFile))
	if err != nil || st.IsDir() {
		return "", fmt.Errorf("%w: %q", ErrUnknownVersion, id)
	}
	return dir, nil
}

// List describes every version, ordered by id. It reads each version's
// dataset.json; the feature counts come from one streaming pass over the
// layer files (no geometry is built), remembered until a file changes
// size or modification time, so that listing again is cheap. A version
// whose files cannot be read is listed with Problem set.
func (v *Versions) List() ([]VersionInfo, error) {
	ids, err := v.ids()
	if err != nil {
		return nil, err
	}
	out := make([]VersionInfo, 0, len(ids))
	for _, id := range ids {
		out = append(out, v.info(id, true))
	}
	return out, nil
}

// Info describes version id from its dataset.json alone, without feature
// counts: cheap enough for every request.
func (v *Versions) Info(id string) (VersionInfo, error) {
	if _, err := v.folder(id); err != nil {
		return VersionInfo{}, err
	}
	return v.info(id, false), nil
}

// info reads the manifest of version id, and the feature counts when
// counts is set.
func (v *Versions) info(id string, counts bool) VersionInfo {
	vi := VersionInfo{ID: id}
	dir := filepath.Join(v.dir, id)
	m, err := readManifest(dir)
	if err != nil {
		vi.Problem, vi.Err = err.Error(), err
		return vi
	}
	vi.Name, vi.Version, vi.Published, vi.Checksum, vi.Synthetic = m.Name, m.Version, m.Published, m.Checksum, m.Synthetic
	vi.Layers = make([]string, len(m.Layers))
	for i, l := range m.Layers {
		vi.Layers[i] = l.ID
	}
	if counts {
		vi.Features, err = v.featureCounts(id, dir, m)
		if err != nil {
			vi.Problem, vi.Err = err.Error(), err
		}
	}
	return vi
}

// readManifest reads and decodes dir/dataset.json, strictly.
func readManifest(dir string) (Manifest, error) {
	var m Manifest
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, fileError("read", ManifestFile, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fileError("parse", ManifestFile, err)
	}
	return m, nil
}

// featureCounts counts the features of each layer of version id, from the
// cache when no file changed.
func (v *Versions) featureCounts(id, dir string, m Manifest) (map[string]int, error) {
	var stamp strings.Builder
	stamp.WriteString(m.Checksum)
	for _, l := range m.Layers {
		if err := checkName(fmt.Sprintf("layer %q", l.ID), l.File); err != nil {
			return nil, err
		}
		st, err := os.Stat(filepath.Join(dir, l.File))
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", l.ID, fileError("read", l.File, err))
		}
		fmt.Fprintf(&stamp, "|%s:%d:%d", l.File, st.Size(), st.ModTime().UnixNano())
	}
	v.mu.Lock()
	e, ok := v.counts[id]
	v.mu.Unlock()
	if ok && e.stamp == stamp.String() {
		return e.counts, e.err
	}
	counts := make(map[string]int, len(m.Layers))
	var err error
	for _, l := range m.Layers {
		n, cerr := countFeatures(filepath.Join(dir, l.File))
		if cerr != nil {
			counts, err = nil, fmt.Errorf("layer %q: %w", l.ID, fileError("read", l.File, cerr))
			break
		}
		counts[l.ID] = n
	}
	v.mu.Lock()
	v.counts[id] = countEntry{stamp: stamp.String(), counts: counts, err: err}
	v.mu.Unlock()
	return counts, err
}

// countFeatures counts the members of the "features" array of a GeoJSON
// FeatureCollection file (gzip when the name ends in .gz) without
// decoding them.
func countFeatures(name string) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, withoutPath(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return 0, fmt.Errorf("gunzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	dec := json.NewDecoder(io.LimitReader(r, maxLayerBytes))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, fmt.Errorf("not a GeoJSON FeatureCollection object")
	}
	n, found := 0, false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, fmt.Errorf("parse: %w", err)
		}
		if key != "features" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return 0, fmt.Errorf("parse: %w", err)
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return 0, fmt.Errorf("features is not an array")
		}
		found = true
		for dec.More() {
			var skip struct{}
			if err := dec.Decode(&skip); err != nil {
				return 0, fmt.Errorf("parse feature #%d: %w", n, err)
			}
			n++
		}
		if _, err := dec.Token(); err != nil {
			return 0, fmt.Errorf("parse: %w", err)
		}
	}
	if !found {
		return 0, fmt.Errorf("no features array")
	}
	return n, nil
}

// Active returns the id of the active version: the one ACTIVE names, or
// without an ACTIVE file the version with the latest published date
// (YYYY-MM-DD; a missing or malformed date counts as the earliest), ties
// going to the greatest id. An ACTIVE file that names no version is an
// error, not a reason to fall back: the operator asked for that version.
func (v *Versions) Active() (string, error) {
	raw, err := os.ReadFile(filepath.Join(v.dir, ActiveFile))
	switch {
	case err == nil:
		id := strings.TrimSpace(string(raw))
		if _, err := v.folder(id); err != nil {
			return "", fmt.Errorf("%s: %w", ActiveFile, err)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read %s: %w", ActiveFile, err)
	}
	ids, err := v.ids()
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", fmt.Errorf("%w: %s", ErrNoVersions, v.dir)
	}
	best, bestDate := "", ""
	for _, id := range ids { // ascending: a later equal date is a greater id
		date := v.info(id, false).Published
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			date = ""
		}
		if best == "" || date >= bestDate {
			best, bestDate = id, date
		}
	}
	return best, nil
}

// Load reads version id (see ReadDataset): the checksum is verified,
// geometry is not (admission.NewDataset does that).
func (v *Versions) Load(id string) (Contents, error) {
	dir, err := v.folder(id)
	if err != nil {
		return Contents{}, err
	}
	return ReadDataset(os.DirFS(dir))
}

// SetActive makes id the active version by replacing ACTIVE atomically:
// the id goes to a temporary file in the directory, which is synced,
// renamed over ACTIVE, and the directory synced, so that ACTIVE always
// holds a complete id, even after a crash. It does not load the version.
func (v *Versions) SetActive(id string) error {
	if _, err := v.folder(id); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(v.dir, "."+ActiveFile+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", ActiveFile, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.WriteString(id + "\n")
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(v.dir, ActiveFile))
	}
	if err == nil {
		err = syncDir(v.dir)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", ActiveFile, err)
	}
	return nil
}

// withoutPath strips the path of an *fs.PathError, so that messages
// meant for API answers name no file system location.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// syncDir flushes a directory's entries (the rename) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
