// Package data reads and writes sanxian datasets on disk: a folder with a
// dataset.json manifest and one GeoJSON FeatureCollection per layer,
// optionally gzip-compressed. The format is described in docs/dataset.md.
package data

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/admission"
)

// ManifestFile is the name of the manifest inside a dataset folder.
const ManifestFile = "dataset.json"

// Manifest is the content of dataset.json.
type Manifest struct {
	admission.Info
	Layers []ManifestLayer `json:"layers"`
	// Rules names the access-list file (JSON, gzip allowed), if any.
	Rules string `json:"rules,omitempty"`
}

// Contents is what a dataset folder holds.
type Contents struct {
	Info   admission.Info
	Layers []admission.Layer
	// Rules is the access list; empty when the folder has none.
	Rules admission.Rules
}

// rulesID is the name the rules file takes in the checksum.
const rulesID = "rules"

// checkName rejects file names that are not plain names in the folder.
func checkName(what, name string) error {
	if name == "" || strings.ContainsAny(name, `/\`) || name == ".." || name == "." {
		return fmt.Errorf("%s: file name %q must be a plain name inside the dataset folder", what, name)
	}
	return nil
}

// ManifestLayer describes one layer file.
type ManifestLayer struct {
	ID    string         `json:"id"`
	Title string         `json:"title"`
	Role  admission.Role `json:"role"`
	Kind  admission.Kind `json:"kind"`
	// File is the layer's file name inside the folder, ending in .geojson
	// or .geojson.gz.
	File string `json:"file"`
}

// maxLayerBytes bounds the decompressed size of one layer file, so that a
// hostile gzip stream cannot exhaust memory.
const maxLayerBytes = 2 << 30

// ErrChecksum reports that a dataset's content does not match the checksum
// its manifest declares.
var ErrChecksum = errors.New("data: checksum mismatch")

// ReadDataset reads a dataset folder from fsys (rooted at the folder). It
// verifies the checksum when the manifest declares one and returns
// ErrChecksum (wrapped) when it differs; the returned Info always carries
// the checksum computed from the files. Geometry validity is not checked
// here: admission.NewDataset does that.
func ReadDataset(fsys fs.FS) (Contents, error) {
	var c Contents
	raw, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return c, fmt.Errorf("read manifest: %w", fileError("read", ManifestFile, err))
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return c, fileError("parse", ManifestFile, err)
	}
	if len(m.Layers) == 0 {
		return c, fmt.Errorf("%s: no layers", ManifestFile)
	}
	h := sha256.New()
	c.Layers = make([]admission.Layer, 0, len(m.Layers))
	for _, ml := range m.Layers {
		if err := checkName(fmt.Sprintf("layer %q", ml.ID), ml.File); err != nil {
			return c, err
		}
		content, err := readFile(fsys, ml.File)
		if err != nil {
			return c, fmt.Errorf("layer %q: %w", ml.ID, err)
		}
		fmt.Fprintf(h, "%s\n", ml.ID)
		h.Write(content)
		h.Write([]byte("\n"))
		fc, err := geojson.UnmarshalFeatureCollection(content)
		if err != nil {
			return c, fmt.Errorf("layer %q: %w", ml.ID, fileError("parse", ml.File, err))
		}
		layer := admission.Layer{ID: ml.ID, Title: ml.Title, Role: ml.Role, Kind: ml.Kind}
		layer.Features = make([]admission.Feature, 0, len(fc.Features))
		for i, f := range fc.Features {
			feat, err := featureFromGeoJSON(f)
			if err != nil {
				return c, fmt.Errorf("layer %q: feature #%d: %w", ml.ID, i, err)
			}
			layer.Features = append(layer.Features, feat)
		}
		c.Layers = append(c.Layers, layer)
	}
	if m.Rules != "" {
		if err := checkName("rules", m.Rules); err != nil {
			return c, err
		}
		content, err := readFile(fsys, m.Rules)
		if err != nil {
			return c, fmt.Errorf("rules: %w", err)
		}
		fmt.Fprintf(h, "%s\n", rulesID)
		h.Write(content)
		h.Write([]byte("\n"))
		rd := json.NewDecoder(bytes.NewReader(content))
		rd.DisallowUnknownFields()
		if err := rd.Decode(&c.Rules); err != nil {
			return c, fmt.Errorf("rules: %w", fileError("parse", m.Rules, err))
		}
	}
	sum := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if m.Checksum != "" && m.Checksum != sum {
		return c, fmt.Errorf("%w: manifest says %s, files give %s", ErrChecksum, m.Checksum, sum)
	}
	c.Info = m.Info
	c.Info.Checksum = sum
	return c, nil
}

// LoadDir reads the dataset folder at dir; see ReadDataset.
func LoadDir(dir string) (Contents, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Contents{}, fmt.Errorf("dataset folder: %w", err)
	}
	if !st.IsDir() {
		return Contents{}, fmt.Errorf("dataset folder: %s is not a directory", dir)
	}
	return ReadDataset(os.DirFS(dir))
}

// FileError is a file of a dataset folder that cannot be opened, read,
// decompressed or parsed. Name is the file's name inside the folder,
// never a full path; Op says what failed ("open", "read", "gunzip",
// "parse"); Err is the cause with any file system path removed, so that
// the message can be shown to a client. Callers match causes with
// errors.Is / errors.As (fs.ErrNotExist, gzip.ErrHeader, *json.SyntaxError…).
type FileError struct {
	Name string
	Op   string
	Err  error
}

func (e *FileError) Error() string { return e.Op + " " + e.Name + ": " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

func fileError(op, name string, err error) *FileError {
	return &FileError{Name: name, Op: op, Err: withoutPath(err)}
}

func readFile(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fileError("open", name, err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fileError("gunzip", name, err)
		}
		defer zr.Close()
		r = zr
	}
	b, err := io.ReadAll(io.LimitReader(r, maxLayerBytes+1))
	if err != nil {
		return nil, fileError("read", name, err)
	}
	if len(b) > maxLayerBytes {
		return nil, fmt.Errorf("read %s: larger than %d bytes once decompressed", name, maxLayerBytes)
	}
	return b, nil
}

func featureFromGeoJSON(f *geojson.Feature) (admission.Feature, error) {
	id, ok := f.ID.(string)
	if !ok || id == "" {
		return admission.Feature{}, fmt.Errorf("missing string id (got %v)", f.ID)
	}
	props := map[string]any(f.Properties)
	name, _ := props["name"].(string)
	category, _ := props["category"].(string)
	rest := make(map[string]any, len(props))
	for k, v := range props {
		if k != "name" && k != "category" {
			rest[k] = v
		}
	}
	if f.Geometry == nil {
		return admission.Feature{}, fmt.Errorf("feature %s: no geometry", id)
	}
	return admission.Feature{ID: id, Name: name, Category: category, Properties: rest, Geometry: f.Geometry}, nil
}

// WriteDataset writes c as a dataset folder at dir, creating it if
// needed. Layer files are gzip-compressed (name <id>.geojson.gz), the
// rules (when there are any) go to rules.json.gz, all written
// deterministically: the same input gives the same bytes. The manifest
// gets the computed checksum, which is also returned.
func WriteDataset(dir string, c Contents) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create dataset folder: %w", err)
	}
	h := sha256.New()
	m := Manifest{Info: c.Info}
	for _, l := range c.Layers {
		fc := geojson.NewFeatureCollection()
		for _, f := range l.Features {
			gf := geojson.NewFeature(f.Geometry)
			gf.ID = f.ID
			gf.Properties = geojson.Properties{"name": f.Name, "category": f.Category}
			for k, v := range f.Properties {
				gf.Properties[k] = v
			}
			fc.Append(gf)
		}
		content, err := json.Marshal(fc)
		if err != nil {
			return "", fmt.Errorf("layer %q: encode: %w", l.ID, err)
		}
		fmt.Fprintf(h, "%s\n", l.ID)
		h.Write(content)
		h.Write([]byte("\n"))
		file := l.ID + ".geojson.gz"
		if err := writeGzip(filepath.Join(dir, file), content); err != nil {
			return "", fmt.Errorf("layer %q: %w", l.ID, err)
		}
		m.Layers = append(m.Layers, ManifestLayer{ID: l.ID, Title: l.Title, Role: l.Role, Kind: l.Kind, File: file})
	}
	if len(c.Rules.Clauses) > 0 {
		content, err := json.MarshalIndent(c.Rules, "", " ")
		if err != nil {
			return "", fmt.Errorf("rules: encode: %w", err)
		}
		fmt.Fprintf(h, "%s\n", rulesID)
		h.Write(content)
		h.Write([]byte("\n"))
		m.Rules = "rules.json.gz"
		if err := writeGzip(filepath.Join(dir, m.Rules), content); err != nil {
			return "", fmt.Errorf("rules: %w", err)
		}
	}
	m.Checksum = "sha256:" + hex.EncodeToString(h.Sum(nil))
	m.CRS = "EPSG:4490"
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(out, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write manifest: %w", err)
	}
	return m.Checksum, nil
}

// Open validates and indexes the contents (admission.NewDataset) with
// their rules.
func (c Contents) Open(opts admission.Options) (*admission.Dataset, error) {
	opts.Rules = c.Rules
	return admission.NewDataset(c.Info, c.Layers, opts)
}

func writeGzip(name string, content []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	zw.Name = path.Base(strings.TrimSuffix(name, ".gz"))
	if _, err := zw.Write(content); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
