package data

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
)

// Import error codes (ImportError.Code), stable for programs.
const (
	CodeImportUnsupported  = "import_unsupported"   // not .zip/.shp/.geojson/.json/.kml/.kmz
	CodeImportRead         = "import_read"          // a file that cannot be opened or parsed
	CodeImportNoLayers     = "import_no_layers"     // a zip without .shp (or GeoJSON/KML) files
	CodeImportUnknownLayer = "import_unknown_layer" // the layer of an input cannot be recognised
	CodeImportColumn       = "import_column"        // a mapped or required column is missing
	CodeImportCRS          = "import_crs"           // an unsupported or undeclared coordinate system
	CodeImportEncoding     = "import_encoding"      // an unknown .cpg or mapping encoding
	CodeImportNoFeatures   = "import_no_features"   // nothing to import
	CodeImportAccessList   = "import_access_list"   // the access list cannot be read
)

// Warning and problem codes of Import (ImportWarning.Code and the codes
// of conversion problems added to admission's).
const (
	WarnAssumedCRS      = "assumed_crs"      // no CRS declared; degrees taken as CGCS2000
	WarnCRSOverride     = "crs_override"     // a .prj disagrees with --crs, or could not be read
	WarnEncoding        = "encoding"         // a .cpg contradicted by the bytes
	WarnCategoryFromID  = "category_from_id" // control-unit categories taken from the code digit
	WarnGeneratedIDs    = "generated_ids"    // ids built from a prefix and a serial
	WarnDeletedRecords  = "deleted_records"  // DBF records marked deleted were left out
	WarnAccessList      = "access_list"      // a problem ReadAccessList reported
	WarnClausesReplaced = "clauses_replaced" // unit clauses of the attributes left out for the access list's
	WarnUnknownCategory = "unknown_category" // category values not recognised
	WarnTableSkipped    = "table_skipped"    // a table of a whole database left out (not a layer, or not readable as one)
	WarnCountyAlias     = "county_alias"     // access-list clauses moved to a county's other code (retired ↔ current)
	CodeImportConvert   = "crs_conversion"   // Problem.Code: a position that cannot be converted
)

// maxImportEntry bounds one file read from a zip (uncompressed).
const maxImportEntry = 2 << 30

// ImportError is an input that cannot be read or understood. Message is
// Chinese, for people; File names the input layer ("units.zip/单元.shp").
// For CodeImportUnknownLayer and CodeImportColumn, Fields lists the
// input's columns and Template is a mapping file to start from.
type ImportError struct {
	File     string
	Code     string
	Message  string
	Fields   []string
	Template string
}

func (e *ImportError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s：%s", e.File, e.Message)
	}
	return e.Message
}

func importErr(file, code, format string, args ...any) *ImportError {
	return &ImportError{File: file, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ImportOptions tune ReadImport.
type ImportOptions struct {
	// Mapping maps inputs to layers and columns; nil (or an input no entry
	// matches) means DetectLayer and StandardColumns.
	Mapping *Mapping
	// CRS is the coordinate system of inputs that declare none (no
	// readable .prj, GeoJSON without "crs"); it does not override a
	// readable .prj (a mapping entry's crs does). Empty: the mapping's
	// dataset.crs, else degrees are taken as CGCS2000 and metres refused.
	CRS string
	// Info gives the manifest fields; empty ones come from the mapping.
	Info admission.Info
	// Tables are input layers the caller read itself (from PostGIS, say);
	// they are imported after the files, like them.
	Tables []ImportTable
	// AccessList is an access-list workbook (.xlsx or .csv) read with
	// ReadAccessList. Its clauses come first in the rules; the clauses of
	// the control units' attributes are kept only for units it has no
	// unit clause for.
	AccessList string
}

// ImportTable is an input layer read by the caller: its columns, one row
// of values and one geometry (nil for none) per feature, in the CRS it
// declares.
type ImportTable struct {
	// Name names the layer in messages and for mapping entries, e.g.
	// "postgis:gis/public.units"; entries may also give the part after the
	// last "/" ("public.units") or the bare table name ("units").
	Name   string
	Fields []string
	// Rows hold strings, numbers (int, int64, float64, json.Number),
	// bools, nil, or JSON-like values kept as properties.
	Rows       [][]any
	Geometries []orb.Geometry
	// CRS is the declared coordinate system ("EPSG:4545"); empty is
	// treated as a shapefile without .prj. CRSFrom says who declared it,
	// e.g. "PostGIS SRID".
	CRS, CRSFrom string
}

// ImportSource reports how one input layer was read.
type ImportSource struct {
	Name     string `json:"name"`
	Format   string `json:"format"` // shapefile, geojson, kml
	Layer    string `json:"layer"`  // layer id, or "skip"
	Detected string `json:"detected"`
	Features int    `json:"features"`
	Vertices int    `json:"vertices"`
	CRS      string `json:"crs,omitempty"` // source CRS, e.g. EPSG:4545
	CRSTitle string `json:"crs_title,omitempty"`
	CRSFrom  string `json:"crs_from,omitempty"` // .prj, mapping, --crs, geojson, kml, assumed
	Encoding string `json:"encoding,omitempty"`
	// Columns maps roles (id, name, category, a dimension) to the columns
	// used.
	Columns map[string]string `json:"columns,omitempty"`
}

// ImportWarning is something the import did on its own that people should
// know about; it does not stop the import.
type ImportWarning struct {
	Source  string `json:"source,omitempty"`
	Layer   string `json:"layer,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (w ImportWarning) String() string {
	if w.Source != "" {
		return w.Source + "：" + w.Message
	}
	return w.Message
}

// Import is what ReadImport read: the dataset contents (geometries in
// CGCS2000 longitude/latitude), how each input was read, warnings, and
// the problems found while converting coordinates.
type Import struct {
	Contents Contents
	Sources  []ImportSource
	Warnings []ImportWarning
	// Problems are positions that could not be converted; Validate adds
	// the dataset validation's.
	Problems []admission.Problem

	unconverted map[string]bool // layer + "\x00" + feature id
	// ringParts maps layer + "\x00" + feature id to the shapefile part of
	// each ring (see impSource.ringParts), for the messages of Validate.
	ringParts map[string][][]int
}

// ReadImport reads the inputs — zipped shapefiles (one layer per .shp;
// GeoJSON and KML files in the zip are read too), .shp files with their
// .dbf/.prj/.cpg next to them, GeoPackage files (one layer per feature
// table, see readImportGPKG), GeoJSON FeatureCollections, KML and KMZ
// (Placemarks, attributes from ExtendedData) — and builds the dataset
// contents:
//
//   - each input layer goes to the layer its mapping entry names, else to
//     the one DetectLayer finds; several inputs may fill one layer (one
//     file per county, say);
//   - ids, names and categories come from the mapped or standard columns;
//     control-unit categories 1/2/3 or 优先保护/重点管控/一般管控 become
//     admission's category names (taken from the code's digit when there is
//     no category column); water-source levels become
//     一级保护区/二级保护区/准保护区 with a "level" property; district
//     categories come from the name (区/县/自治县); layers without an id
//     column get generated ids (HL-0001 …); other columns are kept as
//     properties, GIS housekeeping columns (OBJECTID, Shape_Area …) left
//     out;
//   - control-unit clause columns are split with SplitClauses into
//     unit-level clauses ("U-<unit>-KJ-1-3", as ReadAccessList numbers
//     them), effect from ClassifyEffect, machine-readable as ReadAccessList
//     decides (most stay free text for manual review);
//     opts.AccessList is merged in (see ImportOptions);
//   - DBF text is decoded as its .cpg says (936, CP936, GB2312 → GBK), or
//     without a .cpg as UTF-8 when the bytes are valid UTF-8, else GBK;
//     field names too; a .cpg saying UTF-8 over bytes that are not is read
//     as GBK, with a warning;
//   - coordinates are converted from the input's CRS (mapping entry, else
//     .prj, else GeoJSON "crs", else opts.CRS or the mapping's
//     dataset.crs; KML is WGS84; degrees without any of these are taken as
//     CGCS2000 with a warning, metres refused) to CGCS2000 longitude and
//     latitude, rounded to 1e-9°; multipart geometries and holes are kept
//     (shapefile rings are grouped by orientation and nesting, then
//     oriented as RFC 7946 asks), Z and M dropped, null shapes kept as
//     features without geometry (a validation error).
//
// An input that cannot be read, or whose layer or id column cannot be
// found, returns an *ImportError (every unrecognised input is listed in
// one, with a mapping template); a position that cannot be converted is a
// Problem of the result. Nothing else is validated here: see Validate and
// Save.
func ReadImport(ctx context.Context, inputs []string, opts ImportOptions) (*Import, error) {
	srcs, err := readImportSources(ctx, inputs, opts.Mapping, opts.Tables)
	if err != nil {
		return nil, err
	}
	ind, err := admission.NewIndustries()
	if err != nil {
		return nil, fmt.Errorf("data: import: %w", err)
	}
	b := &importBuilder{opts: opts, im: &Import{unconverted: map[string]bool{}, ringParts: map[string][][]int{}}, layers: map[string]*admission.Layer{}, serial: map[string]int{},
		ind: ind, clauseIDs: map[string]bool{}, clauseOrd: map[string]int{}}
	if err := b.plan(srcs); err != nil {
		return nil, err
	}
	for _, s := range srcs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := b.add(s); err != nil {
			return nil, err
		}
	}
	return b.finish()
}

// ImportTemplate reads the inputs and returns a mapping template for them
// (see MappingTemplate): detected layers and standard columns filled in,
// the layer of mapping's matching entries taken as given.
func ImportTemplate(ctx context.Context, inputs []string, mapping *Mapping, tables ...ImportTable) (string, error) {
	srcs, err := readImportSources(ctx, inputs, mapping, tables)
	if err != nil {
		return "", err
	}
	return importTemplate(srcs, mapping), nil
}

func importTemplate(srcs []*impSource, m *Mapping) string {
	var tl []TemplateLayer
	for _, s := range srcs {
		d := s.detect()
		if fm := m.match(s.keys); fm != nil && fm.Layer != "" {
			d = Detection{Layer: fm.Layer, Reason: "映射文件"}
		}
		tl = append(tl, TemplateLayer{Name: s.name, Fields: s.fields, Kind: s.kind, Count: len(s.geoms), Detection: d})
	}
	return MappingTemplate(tl)
}

// Validate runs the dataset validation (admission.ValidateDataset:
// manifest, layers, ids, unit codes against categories, geometry validity
// with locations, the rules, partition gaps and overlaps, retired county
// codes) on the contents. The conversion problems of ReadImport come
// first among the errors. Errors must stop the import; warnings are for
// people to read.
func (im *Import) Validate(opts admission.ValidateOptions) admission.Report {
	r := admission.ValidateDataset(im.Contents.Info, im.Contents.Layers, im.Contents.Rules, opts)
	errs := make([]admission.Problem, 0, len(im.Problems)+len(r.Errors))
	for _, p := range im.Problems {
		p.Severity = admission.SeverityError
		errs = append(errs, p)
	}
	for _, p := range r.Errors {
		if p.Code == geo.CodeEmpty && im.unconverted[p.Layer+"\x00"+p.Feature] {
			continue // already reported as a conversion problem
		}
		errs = append(errs, im.withPart(p))
	}
	r.Errors = errs
	for i := range r.Warnings {
		r.Warnings[i] = im.withPart(r.Warnings[i])
	}
	return r
}

var impRingPath = regexp.MustCompile(`^polygon\[(\d+)\]\.ring\[(\d+)\]`)

// withPart adds to a problem located on a ring of a shapefile feature
// which part of the record that ring is, counted from 1 as GIS software
// shows them: the dataset numbers rings by polygon (outer ring, then its
// holes), a shapefile by part, in the order written.
func (im *Import) withPart(p admission.Problem) admission.Problem {
	parts := im.ringParts[p.Layer+"\x00"+p.Feature]
	m := impRingPath.FindStringSubmatch(p.Path)
	if m == nil || len(parts) == 0 || (len(parts) == 1 && len(parts[0]) == 1) {
		return p // not a ring, or a record of one part
	}
	k, _ := strconv.Atoi(m[1])
	j, _ := strconv.Atoi(m[2])
	if k < len(parts) && j < len(parts[k]) {
		p.Message += fmt.Sprintf("（shapefile 中该记录的第 %d 部分）", parts[k][j]+1)
	}
	return p
}

// Write writes the contents as a dataset folder at dir (WriteDataset),
// atomically: into a hidden temporary folder next to dir, renamed to dir
// when complete, so that a failure leaves dir as it was and a versions
// directory never sees a half-written version. An existing dir is
// replaced only when replace is set (an empty one always is). Rings are
// first oriented as RFC 7946 asks (outer counter-clockwise, holes
// clockwise), in place. It returns the checksum.
func (im *Import) Write(dir string, replace bool) (string, error) {
	for _, l := range im.Contents.Layers {
		for _, f := range l.Features {
			impOrientRFC7946(f.Geometry)
		}
	}
	tmp, err := importTemp(dir, replace)
	if err != nil {
		return "", err
	}
	sum, err := WriteDataset(tmp, im.Contents)
	if err == nil {
		err = importCommit(tmp, dir)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return sum, nil
}

// Save validates the contents (Validate) and writes them (Write) at the
// same time: the dataset goes into the temporary folder while the
// validation runs — on large datasets the two take about as long, and
// the compression and the overlay checks use different cores — and the
// folder is renamed to dir only when the report has no error. With
// errors, or when writing fails, nothing is left on disk and dir is
// untouched. It returns the report and, when written, the checksum.
func (im *Import) Save(dir string, replace bool, opts admission.ValidateOptions) (admission.Report, string, error) {
	tmp, err := importTemp(dir, replace)
	if err != nil {
		return admission.Report{}, "", err
	}
	type written struct {
		sum string
		err error
	}
	done := make(chan written, 1)
	go func() {
		sum, err := WriteDataset(tmp, im.Contents)
		done <- written{sum, err}
	}()
	rep := im.Validate(opts)
	w := <-done
	if w.err == nil && rep.OK() {
		w.err = importCommit(tmp, dir)
		if w.err == nil {
			return rep, w.sum, nil
		}
	}
	os.RemoveAll(tmp)
	return rep, "", w.err
}

// importTemp checks dir and creates the hidden temporary folder next to
// it.
func importTemp(dir string, replace bool) (string, error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", parent, err)
	}
	if err := CheckImportOut(dir, replace); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, ".sanxian-import-*")
	if err != nil {
		return "", fmt.Errorf("create temporary folder: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return tmp, nil
}

// importCommit renames the written temporary folder to dir, replacing
// what is there (moved aside first, restored if the rename fails).
func importCommit(tmp, dir string) error {
	dir = filepath.Clean(dir)
	var old string
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		if empty, _ := importDirEmpty(dir); empty {
			if err := os.Remove(dir); err != nil {
				return fmt.Errorf("replace %s: %w", dir, err)
			}
		} else {
			old = tmp + ".old"
			if err := os.Rename(dir, old); err != nil {
				return fmt.Errorf("replace %s: %w", dir, err)
			}
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return fmt.Errorf("rename %s to %s: %w", tmp, dir, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// ErrImportOutExists reports an output folder that exists and is not
// empty, without permission to replace it.
var ErrImportOutExists = errors.New("data: output folder exists")

// CheckImportOut reports whether dir can receive an import: it does not
// exist, is an empty folder, or replace is set and it is a folder.
func CheckImportOut(dir string, replace bool) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s 已存在且不是目录", dir)
	}
	if empty, err := importDirEmpty(dir); err != nil || empty || replace {
		return err
	}
	return fmt.Errorf("%w: %s 已存在且不为空（加 --force 替换）", ErrImportOutExists, dir)
}

func importDirEmpty(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// ---- reading inputs ----

// impSource is one input layer as read, in its own CRS.
type impSource struct {
	name     string   // display name, e.g. "units.zip/shp/单元.shp"
	keys     []string // names a mapping entry may match
	format   string   // shapefile, geojson, kml
	fields   []string
	rows     [][]any
	featIDs  []string // GeoJSON feature ids, when present
	geoms    []orb.Geometry
	kind     admission.Kind
	prj      string // .prj text; "" when none
	declared string // CRS named by the file itself (GeoJSON "crs")
	declFrom string // what named it
	encoding string // how DBF text was decoded
	warnings []ImportWarning
	// ringParts, for a shapefile, gives per feature the part of the
	// record each ring came from: ringParts[i][k][j] for ring j of
	// polygon k (nil for features that are not polygons).
	ringParts [][][]int
}

func (s *impSource) detect() Detection {
	return DetectLayer(s.name, s.fields, s.kind, s.rows)
}

func readImportSources(ctx context.Context, inputs []string, m *Mapping, tables []ImportTable) ([]*impSource, error) {
	if len(inputs) == 0 && len(tables) == 0 {
		return nil, importErr("", CodeImportNoFeatures, "没有输入文件")
	}
	shps := map[string]bool{}
	for _, in := range inputs {
		if strings.EqualFold(filepath.Ext(in), ".shp") {
			shps[strings.ToLower(strings.TrimSuffix(in, filepath.Ext(in)))] = true
		}
	}
	var out []*impSource
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		base := filepath.Base(in)
		ext := strings.ToLower(filepath.Ext(in))
		if st, err := os.Stat(in); errors.Is(err, os.ErrNotExist) {
			return nil, importErr(in, CodeImportRead, "文件不存在")
		} else if err != nil {
			return nil, importErr(in, CodeImportRead, "无法读取：%v", err)
		} else if st.IsDir() {
			return nil, importErr(base, CodeImportUnsupported, "这是目录：请给出其中的文件")
		}
		keys := []string{base, strings.TrimSuffix(base, filepath.Ext(base)), filepath.ToSlash(in)}
		var (
			srcs []*impSource
			err  error
		)
		switch ext {
		case ".zip":
			srcs, err = readImportZip(in, m)
		case ".shp":
			var s *impSource
			s, err = readImportSHPFile(in, keys, m)
			srcs = []*impSource{s}
		case ".gpkg":
			srcs, err = readImportGPKG(in, base)
		case ".geojson", ".json", ".kml", ".kmz":
			var b []byte
			if b, err = os.ReadFile(in); err != nil {
				return nil, importErr(base, CodeImportRead, "无法读取：%v", err)
			}
			var s *impSource
			s, err = readImportDoc(base, keys, ext, b)
			srcs = []*impSource{s}
		case ".dbf", ".shx", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".xml", ".qmd", ".fix":
			if shps[strings.ToLower(strings.TrimSuffix(in, filepath.Ext(in)))] {
				continue // a sidecar of a .shp given too (units.* on the command line)
			}
			return nil, importErr(base, CodeImportUnsupported, "这是 shapefile 的附属文件：请给出 .shp 文件（同目录下的 .dbf、.prj、.cpg 会一并读取）或 zip 压缩包")
		default:
			return nil, importErr(base, CodeImportUnsupported, "不支持的文件类型“%s”：请给出 zip 压缩的 shapefile、.shp、GeoPackage（.gpkg）、GeoJSON（.geojson/.json）、KML 或 KMZ", ext)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, srcs...)
	}
	for _, t := range tables {
		s, err := tableSource(t)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// tableSource is an input layer read by the caller as a source.
func tableSource(t ImportTable) (*impSource, error) {
	if len(t.Rows) != len(t.Geometries) {
		return nil, importErr(t.Name, CodeImportRead, "有 %d 行属性，却有 %d 个几何", len(t.Rows), len(t.Geometries))
	}
	tail := t.Name[strings.LastIndex(t.Name, "/")+1:]
	s := &impSource{name: t.Name, keys: []string{t.Name, tail, tail[strings.LastIndex(tail, ".")+1:]}, format: "table",
		fields: t.Fields, rows: t.Rows, geoms: t.Geometries, declared: t.CRS, declFrom: t.CRSFrom}
	s.setKind()
	return s, nil
}

// TableLayer says where ReadImport would put a table: the layer of the
// mapping entry matching its name ("skip" included; Reason "映射文件"),
// else DetectLayer's answer on its columns, geometries and rows (a sample
// of the rows is enough). Layer is empty when neither knows. Callers
// reading a whole database use it to leave out the tables that are not
// layers before reading them in full.
func TableLayer(t ImportTable, m *Mapping) Detection {
	s, err := tableSource(t)
	if err != nil {
		return Detection{Reason: err.Error()}
	}
	if fm := m.match(s.keys); fm != nil && fm.Layer != "" {
		return Detection{Layer: fm.Layer, Reason: "映射文件"}
	}
	return s.detect()
}

// readImportSHPFile reads a .shp and its sibling files.
func readImportSHPFile(name string, keys []string, m *Mapping) (*impSource, error) {
	base := filepath.Base(name)
	dir := filepath.Dir(name)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, importErr(base, CodeImportRead, "无法读取所在目录：%v", err)
	}
	side := map[string][]byte{}
	for _, e := range ents {
		n := e.Name()
		ext := strings.ToLower(filepath.Ext(n))
		if e.IsDir() || !strings.EqualFold(strings.TrimSuffix(n, filepath.Ext(n)), stem) {
			continue
		}
		switch ext {
		case ".shp", ".dbf", ".prj", ".cpg":
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				return nil, importErr(base, CodeImportRead, "无法读取 %s：%v", n, err)
			}
			side[ext] = b
		}
	}
	if side[".shp"] == nil {
		return nil, importErr(base, CodeImportRead, "找不到文件")
	}
	return readImportShapefile(base, keys, side, m)
}

// readImportZip reads every .shp (and GeoJSON/KML file) of a zip.
func readImportZip(name string, m *Mapping) ([]*impSource, error) {
	zipBase := filepath.Base(name)
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, importErr(zipBase, CodeImportRead, "不是有效的 zip 压缩包：%v", err)
	}
	defer zr.Close()
	type entry struct {
		f    *zip.File
		name string
	}
	var ents []entry
	for _, f := range zr.File {
		n := importZipName(f)
		b := path.Base(n)
		if f.FileInfo().IsDir() || strings.HasPrefix(n, "__MACOSX/") || strings.HasPrefix(b, ".") {
			continue
		}
		ents = append(ents, entry{f, n})
	}
	read := func(e entry) ([]byte, error) {
		if e.f.UncompressedSize64 > maxImportEntry {
			return nil, importErr(zipBase+"/"+e.name, CodeImportRead, "解压后超过 %d GB", maxImportEntry>>30)
		}
		rc, err := e.f.Open()
		if err != nil {
			return nil, importErr(zipBase+"/"+e.name, CodeImportRead, "无法解压：%v", err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, maxImportEntry+1))
		if err != nil {
			return nil, importErr(zipBase+"/"+e.name, CodeImportRead, "无法解压：%v", err)
		}
		if len(b) > maxImportEntry {
			return nil, importErr(zipBase+"/"+e.name, CodeImportRead, "解压后超过 %d GB", maxImportEntry>>30)
		}
		return b, nil
	}
	var out []*impSource
	for _, e := range ents {
		ext := strings.ToLower(path.Ext(e.name))
		inner := path.Base(e.name)
		keys := []string{zipBase + "/" + e.name, zipBase, e.name, inner, strings.TrimSuffix(inner, path.Ext(inner))}
		switch ext {
		case ".shp":
			stem := strings.ToLower(strings.TrimSuffix(e.name, path.Ext(e.name)))
			side := map[string][]byte{}
			for _, s := range ents {
				sx := strings.ToLower(path.Ext(s.name))
				if strings.ToLower(strings.TrimSuffix(s.name, path.Ext(s.name))) != stem {
					continue
				}
				switch sx {
				case ".shp", ".dbf", ".prj", ".cpg":
					b, err := read(s)
					if err != nil {
						return nil, err
					}
					side[sx] = b
				}
			}
			s, err := readImportShapefile(zipBase+"/"+e.name, keys, side, m)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		case ".geojson", ".kml", ".kmz":
			b, err := read(e)
			if err != nil {
				return nil, err
			}
			s, err := readImportDoc(zipBase+"/"+e.name, keys, ext, b)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		case ".gpkg":
			// SQLite reads files: the GeoPackage goes to a temporary one.
			b, err := read(e)
			if err != nil {
				return nil, err
			}
			srcs, err := readZippedGPKG(zipBase+"/"+e.name, b)
			if err != nil {
				return nil, err
			}
			out = append(out, srcs...)
		}
	}
	if len(out) == 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.name)
		}
		list := "空"
		if len(names) > 0 {
			list = clip(strings.Join(names, "、"))
		}
		return nil, importErr(zipBase, CodeImportNoLayers, "压缩包中没有 .shp 或 .gpkg 文件（内容：%s）：请把 shapefile 的 .shp、.shx、.dbf、.prj、.cpg 一起压缩", list)
	}
	return out, nil
}

// importZipName is an entry's name, decoded from GBK when the zip was
// written without the UTF-8 flag by a Chinese Windows tool.
func importZipName(f *zip.File) string {
	if utf8.ValidString(f.Name) {
		return f.Name
	}
	if s, err := simplifiedchinese.GB18030.NewDecoder().String(f.Name); err == nil {
		return s
	}
	return f.Name
}

// readImportDoc reads a GeoJSON, KML or KMZ document.
func readImportDoc(name string, keys []string, ext string, b []byte) (*impSource, error) {
	s := &impSource{name: name, keys: keys}
	var err error
	switch ext {
	case ".geojson", ".json":
		s.format = "geojson"
		err = s.readGeoJSON(b)
	case ".kml":
		s.format = "kml"
		err = s.readKML(b)
	case ".kmz":
		s.format = "kml"
		zr, zerr := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if zerr != nil {
			return nil, importErr(name, CodeImportRead, "不是有效的 KMZ（zip）文件")
		}
		var pick *zip.File
		for _, f := range zr.File {
			if strings.EqualFold(f.Name, "doc.kml") || (pick == nil && strings.EqualFold(path.Ext(f.Name), ".kml")) {
				pick = f
			}
		}
		if pick == nil {
			return nil, importErr(name, CodeImportNoLayers, "KMZ 文件中没有 .kml 文件")
		}
		rc, zerr := pick.Open()
		if zerr != nil {
			return nil, importErr(name, CodeImportRead, "无法解压 %s", pick.Name)
		}
		kml, zerr := io.ReadAll(io.LimitReader(rc, maxImportEntry))
		rc.Close()
		if zerr != nil {
			return nil, importErr(name, CodeImportRead, "无法解压 %s", pick.Name)
		}
		err = s.readKML(kml)
	}
	if err != nil {
		var se *SiteFileError
		if errors.As(err, &se) {
			return nil, importErr(name, CodeImportRead, "%s", se.Message)
		}
		var ie *ImportError
		if errors.As(err, &ie) {
			ie.File = name
			return nil, ie
		}
		return nil, importErr(name, CodeImportRead, "%v", err)
	}
	s.setKind()
	return s, nil
}

func (s *impSource) setKind() {
	for _, g := range s.geoms {
		switch g.(type) {
		case orb.Polygon, orb.MultiPolygon:
			s.kind = admission.KindPolygon
		case orb.LineString, orb.MultiLineString:
			s.kind = admission.KindLine
		case orb.Point, orb.MultiPoint:
			s.kind = admission.KindPoint
		default:
			continue
		}
		return
	}
}

// ---- GeoJSON ----

func (s *impSource) readGeoJSON(b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("GeoJSON 文件无法解析")
		}
	}()
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var head struct {
		Type string `json:"type"`
		CRS  *struct {
			Type       string `json:"type"`
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"crs"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("不是合法的 JSON：%s", jsonReason(err))
	}
	if head.CRS != nil {
		s.declared, s.declFrom = head.CRS.Properties.Name, "GeoJSON crs"
	}
	var feats []*geojson.Feature
	switch head.Type {
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(b)
		if err != nil {
			return fmt.Errorf("GeoJSON FeatureCollection 无法解析：%s", jsonReason(err))
		}
		feats = fc.Features
	case "Feature":
		f, err := geojson.UnmarshalFeature(b)
		if err != nil {
			return fmt.Errorf("GeoJSON Feature 无法解析：%s", jsonReason(err))
		}
		feats = []*geojson.Feature{f}
	default:
		return fmt.Errorf("GeoJSON 类型是“%s”：请给出 FeatureCollection", clip(head.Type))
	}
	keys := map[string]bool{}
	for _, f := range feats {
		for k := range f.Properties {
			if !keys[k] {
				keys[k] = true
				s.fields = append(s.fields, k)
			}
		}
	}
	slices.Sort(s.fields)
	hasID := false
	for _, f := range feats {
		row := make([]any, len(s.fields))
		for i, k := range s.fields {
			row[i] = f.Properties[k]
		}
		s.rows = append(s.rows, row)
		id := ""
		if f.ID != nil {
			id = importString(f.ID)
			hasID = hasID || id != ""
		}
		s.featIDs = append(s.featIDs, id)
		var g orb.Geometry
		if f.Geometry != nil {
			if _, ok := f.Geometry.(orb.Collection); ok {
				if g, err = merge(flattenCollection(f.Geometry), "GeoJSON 要素"); err != nil {
					return err
				}
			} else {
				g = f.Geometry
			}
		}
		s.geoms = append(s.geoms, g)
	}
	if !hasID {
		s.featIDs = nil
	}
	return nil
}

// ---- KML ----

// impKNode is an XML element with its attributes.
type impKNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []impKNode `xml:",any"`
	Text    string     `xml:",chardata"`
}

// kmlDescriptionFields reads the attributes ArcGIS's Layer To KML (and
// other exporters without ExtendedData) put in a Placemark's description:
// an HTML table with one field per row, name cell then value cell. Rows of
// any other shape, and descriptions that are not such a table, give
// nothing; a field met twice keeps its first value.
func kmlDescriptionFields(desc string) [][2]string {
	if !strings.Contains(desc, "<t") && !strings.Contains(desc, "<T") {
		return nil
	}
	var (
		out  [][2]string
		seen = map[string]bool{}
		rows [][]*strings.Builder // open rows, innermost last; cells of each
		cell *strings.Builder
	)
	z := html.NewTokenizer(strings.NewReader(desc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			switch name, _ := z.TagName(); string(name) {
			case "tr":
				rows, cell = append(rows, nil), nil
			case "td", "th":
				if len(rows) > 0 {
					cell = &strings.Builder{}
					rows[len(rows)-1] = append(rows[len(rows)-1], cell)
				}
			case "br":
				if cell != nil {
					cell.WriteByte('\n')
				}
			}
		case html.EndTagToken:
			switch name, _ := z.TagName(); string(name) {
			case "tr":
				if len(rows) == 0 {
					continue
				}
				row := rows[len(rows)-1]
				rows, cell = rows[:len(rows)-1], nil
				if len(row) != 2 {
					continue
				}
				k, v := strings.TrimSpace(row[0].String()), strings.TrimSpace(row[1].String())
				if k != "" && !seen[k] && v != "<Null>" {
					seen[k] = true
					out = append(out, [2]string{k, v})
				}
			case "td", "th":
				cell = nil
			}
		case html.TextToken:
			if cell != nil {
				cell.Write(z.Text())
			}
		}
	}
}

func (n *impKNode) attr(local string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// toX converts to site.go's xnode for kmlWalk.
func (n *impKNode) toX() xnode {
	x := xnode{XMLName: n.XMLName, Text: n.Text, Nodes: make([]xnode, len(n.Nodes))}
	for i := range n.Nodes {
		x.Nodes[i] = n.Nodes[i].toX()
	}
	return x
}

func (s *impSource) readKML(b []byte) error {
	var root impKNode
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "gbk", "gb2312", "gb18030", "cp936", "936":
			return simplifiedchinese.GB18030.NewDecoder().Reader(r), nil
		}
		return nil, fmt.Errorf("unsupported charset %q", label)
	}
	if err := dec.Decode(&root); err != nil {
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("KML 文件不是合法的 XML：第 %d 行有语法错误", syn.Line)
		}
		return errors.New("KML 文件不是合法的 XML，无法读取")
	}
	var marks []*impKNode
	var walk func(n *impKNode)
	walk = func(n *impKNode) {
		if n.XMLName.Local == "Placemark" {
			marks = append(marks, n)
			return
		}
		for i := range n.Nodes {
			walk(&n.Nodes[i])
		}
	}
	walk(&root)
	col := map[string]int{}
	field := func(name string) int {
		if i, ok := col[name]; ok {
			return i
		}
		col[name] = len(s.fields)
		s.fields = append(s.fields, name)
		return col[name]
	}
	type kv struct {
		i int
		v string
	}
	var all [][]kv
	for _, pm := range marks {
		var vals []kv
		var gs []orb.Geometry
		desc, extended := "", false
		for i := range pm.Nodes {
			c := &pm.Nodes[i]
			switch c.XMLName.Local {
			case "name":
				vals = append(vals, kv{field("name"), strings.TrimSpace(c.Text)})
			case "ExtendedData":
				extended = true
				for j := range c.Nodes {
					e := &c.Nodes[j]
					switch e.XMLName.Local {
					case "Data":
						v := ""
						for k := range e.Nodes {
							if e.Nodes[k].XMLName.Local == "value" {
								v = e.Nodes[k].Text
							}
						}
						if n := e.attr("name"); n != "" {
							vals = append(vals, kv{field(n), strings.TrimSpace(v)})
						}
					case "SchemaData":
						for k := range e.Nodes {
							sd := &e.Nodes[k]
							if n := sd.attr("name"); sd.XMLName.Local == "SimpleData" && n != "" {
								vals = append(vals, kv{field(n), strings.TrimSpace(sd.Text)})
							}
						}
					}
				}
			case "description":
				desc = c.Text
			case "Style", "StyleMap", "styleUrl", "visibility", "open", "TimeStamp", "TimeSpan", "LookAt", "Camera", "Snippet", "Region", "address":
			default:
				x := c.toX()
				if err := kmlWalk(&x, &gs); err != nil {
					return err
				}
			}
		}
		if !extended {
			for _, f := range kmlDescriptionFields(desc) {
				vals = append(vals, kv{field(f[0]), f[1]})
			}
		}
		var g orb.Geometry
		if len(gs) > 0 {
			var err error
			if g, err = merge(gs, "KML Placemark "); err != nil {
				return err
			}
		}
		s.geoms = append(s.geoms, g)
		all = append(all, vals)
	}
	for _, vals := range all {
		row := make([]any, len(s.fields))
		for _, v := range vals {
			if v.v != "" {
				row[v.i] = v.v
			}
		}
		s.rows = append(s.rows, row)
	}
	return nil
}

// ---- shapefile ----

func readImportShapefile(name string, keys []string, side map[string][]byte, m *Mapping) (*impSource, error) {
	s := &impSource{name: name, keys: keys, format: "shapefile"}
	if side[".shp"] == nil {
		return nil, importErr(name, CodeImportRead, "缺少 .shp 文件")
	}
	geoms, parts, err := impParseSHP(side[".shp"])
	if err != nil {
		return nil, importErr(name, CodeImportRead, ".shp 无法读取：%v", err)
	}
	s.ringParts = parts
	if prj := side[".prj"]; len(bytes.TrimSpace(prj)) > 0 {
		s.prj = decodeText(prj)
	}
	var deleted []bool
	if dbfData := side[".dbf"]; dbfData != nil {
		dbf, err := impParseDBF(dbfData)
		if err != nil {
			return nil, importErr(name, CodeImportRead, "属性表（.dbf）无法读取：%v", err)
		}
		if len(dbf.records) != len(geoms) {
			return nil, importErr(name, CodeImportRead, ".shp 有 %d 条记录，而 .dbf 有 %d 条：两者不匹配", len(geoms), len(dbf.records))
		}
		label, from := "", ".cpg"
		if fm := m.match(keys); fm != nil && fm.Encoding != "" {
			label, from = fm.Encoding, "映射文件"
		} else if cpg := side[".cpg"]; len(bytes.TrimSpace(cpg)) > 0 {
			label = string(cpg)
		}
		enc, encName, err := importEncoding(label)
		if err != nil {
			return nil, importErr(name, CodeImportEncoding, "无法识别 %s 中的编码“%s”（可用 UTF-8、GBK、GB18030、936）", from, clip(strings.TrimSpace(label)))
		}
		nonASCII, validUTF8 := dbf.utf8State()
		switch {
		case label == "":
			if nonASCII && !validUTF8 {
				enc, encName = simplifiedchinese.GBK, "GBK"
			} else {
				enc, encName = nil, "UTF-8"
			}
			s.encoding = encName + "（无 .cpg，按内容判断）"
		case enc == nil && nonASCII && !validUTF8:
			enc = simplifiedchinese.GBK
			s.encoding = "GBK（" + from + " 声明 UTF-8，但内容不是 UTF-8）"
			s.warnings = append(s.warnings, ImportWarning{Source: name, Code: WarnEncoding, Message: from + " 声明为 UTF-8，但属性表内容不是合法的 UTF-8：已按 GBK 读取"})
		default:
			s.encoding = encName + "（" + from + " " + strings.TrimSpace(label) + "）"
		}
		s.fields, s.rows, deleted = dbf.decode(enc)
	} else {
		s.rows = make([][]any, len(geoms))
	}
	s.geoms = geoms
	if n := impCountTrue(deleted); n > 0 {
		var rows [][]any
		var gs []orb.Geometry
		var ps [][][]int
		for i, d := range deleted {
			if !d {
				rows = append(rows, s.rows[i])
				gs = append(gs, s.geoms[i])
				ps = append(ps, s.ringParts[i])
			}
		}
		s.rows, s.geoms, s.ringParts = rows, gs, ps
		s.warnings = append(s.warnings, ImportWarning{Source: name, Code: WarnDeletedRecords, Message: fmt.Sprintf(".dbf 中有 %d 条记录已标记删除，未导入", n)})
	}
	s.setKind()
	return s, nil
}

func impCountTrue(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// importEncoding resolves a .cpg or mapping encoding label: nil means
// UTF-8, and an empty label gives ("", nil) (detect).
func importEncoding(label string) (encoding.Encoding, string, error) {
	switch cs := cpgCharset([]byte(label)); cs {
	case "":
		return nil, "", nil
	case "utf-8", "utf8":
		return nil, "UTF-8", nil
	case "gbk":
		return simplifiedchinese.GBK, "GBK", nil
	case "gb18030":
		return simplifiedchinese.GB18030, "GB18030", nil
	default:
		e, err := htmlindex.Get(cs)
		if err != nil {
			return nil, "", err
		}
		n, _ := htmlindex.Name(e)
		if n == "utf-8" {
			return nil, "UTF-8", nil
		}
		return e, strings.ToUpper(n), nil
	}
}

// impParseSHP reads the geometries of a .shp, one per record (nil for a
// null shape). Z and M are ignored.
func impParseSHP(b []byte) ([]orb.Geometry, [][][]int, error) {
	if len(b) < 100 {
		return nil, nil, errors.New("文件头不足 100 字节")
	}
	if binary.BigEndian.Uint32(b[0:4]) != 9994 {
		return nil, nil, errors.New("不是 shapefile（文件标识不是 9994）")
	}
	var geoms []orb.Geometry
	var parts [][][]int
	pos := 100
	for n := 1; pos+8 <= len(b); n++ {
		clen := int(binary.BigEndian.Uint32(b[pos+4:pos+8])) * 2
		if clen < 4 || pos+8+clen > len(b) {
			if clen == 0 && impAllZero(b[pos:]) {
				break // zero padding at the end
			}
			return nil, nil, fmt.Errorf("第 %d 条记录不完整", n)
		}
		g, p, err := impParseShape(b[pos+8 : pos+8+clen])
		if err != nil {
			return nil, nil, fmt.Errorf("第 %d 条记录：%w", n, err)
		}
		geoms, parts = append(geoms, g), append(parts, p)
		pos += 8 + clen
	}
	return geoms, parts, nil
}

func impAllZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

var errImpShortRecord = errors.New("记录长度不足")

func impParseShape(rec []byte) (orb.Geometry, [][]int, error) {
	le := binary.LittleEndian
	f64 := func(i int) float64 { return math.Float64frombits(le.Uint64(rec[i:])) }
	st := le.Uint32(rec[0:4])
	switch st {
	case 0:
		return nil, nil, nil
	case 1, 11, 21:
		if len(rec) < 20 {
			return nil, nil, errImpShortRecord
		}
		return orb.Point{f64(4), f64(12)}, nil, nil
	case 8, 18, 28:
		if len(rec) < 40 {
			return nil, nil, errImpShortRecord
		}
		n := int(le.Uint32(rec[36:40]))
		if n > (len(rec)-40)/16 {
			return nil, nil, errImpShortRecord
		}
		if n == 0 {
			return nil, nil, nil
		}
		mp := make(orb.MultiPoint, n)
		for i := range mp {
			mp[i] = orb.Point{f64(40 + 16*i), f64(48 + 16*i)}
		}
		return mp, nil, nil
	case 3, 13, 23, 5, 15, 25:
		if len(rec) < 44 {
			return nil, nil, errImpShortRecord
		}
		np, npts := int(le.Uint32(rec[36:40])), int(le.Uint32(rec[40:44]))
		if np > (len(rec)-44)/4 || npts > (len(rec)-44-4*np)/16 {
			return nil, nil, errImpShortRecord
		}
		if np == 0 || npts == 0 {
			return nil, nil, nil
		}
		pts := make([]orb.Point, npts)
		base := 44 + 4*np
		for i := range pts {
			pts[i] = orb.Point{f64(base + 16*i), f64(base + 16*i + 8)}
		}
		parts := make([][]orb.Point, np)
		for i := range parts {
			start := int(le.Uint32(rec[44+4*i:]))
			end := npts
			if i+1 < np {
				end = int(le.Uint32(rec[48+4*i:]))
			}
			if start < 0 || end > npts || start > end || (i == 0 && start != 0) {
				return nil, nil, fmt.Errorf("第 %d 部分的起点 %d 无效", i+1, start)
			}
			parts[i] = pts[start:end:end]
		}
		if st%10 == 3 {
			if np == 1 {
				return orb.LineString(parts[0]), nil, nil
			}
			ml := make(orb.MultiLineString, np)
			for i, p := range parts {
				ml[i] = p
			}
			return ml, nil, nil
		}
		rings := make([]orb.Ring, np)
		for i, p := range parts {
			rings[i] = p
		}
		return impAssembleParts(rings)
	case 31:
		return nil, nil, errors.New("不支持 MultiPatch 几何")
	}
	return nil, nil, fmt.Errorf("未知的几何类型 %d", st)
}

// impRingArea is the planar signed area (counter-clockwise positive),
// computed relative to the first vertex to keep precision on projected
// coordinates.
func impRingArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	o := r[0]
	var s float64
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-o[0])*(r[i+1][1]-o[1]) - (r[i+1][0]-o[0])*(r[i][1]-o[1])
	}
	return s / 2
}

// impAssemble groups shapefile rings into polygons. Outer rings are
// clockwise and holes counter-clockwise in a shapefile; a hole belongs to
// the smallest outer ring containing it, and a hole inside no outer ring
// becomes an outer ring. When every ring has the same orientation (some
// writers ignore the rule) nesting decides instead: a ring inside an even
// number of others is an outer ring. One outer ring gives a Polygon,
// several a MultiPolygon.
func impAssemble(rings []orb.Ring) orb.Geometry {
	g, _, _ := impAssembleParts(rings)
	return g
}

// impAssembleParts is impAssemble that also says which input ring each
// ring of the result is: parts[k][j] for ring j of polygon k (the error
// is always nil; the signature suits impParseShape).
func impAssembleParts(rings []orb.Ring) (orb.Geometry, [][]int, error) {
	if len(rings) == 1 {
		return orb.Polygon{rings[0]}, [][]int{{0}}, nil
	}
	n := len(rings)
	area := make([]float64, n)
	bounds := make([]orb.Bound, n)
	cw, ccw := 0, 0
	var tree rtree.RTreeG[int]
	for i, r := range rings {
		area[i] = impRingArea(r)
		if len(r) > 0 {
			bounds[i] = r.Bound()
			tree.Insert(bounds[i].Min, bounds[i].Max, i)
		}
		switch {
		case area[i] < 0:
			cw++
		case area[i] > 0:
			ccw++
		}
	}
	// around calls fn for every other ring that may contain ring i (its
	// bound contains i's) and does (i's first vertex is inside or on it).
	around := func(i int, fn func(j int)) {
		if len(rings[i]) == 0 {
			return
		}
		bi := bounds[i]
		tree.Search(bi.Min, bi.Max, func(_, _ [2]float64, j int) bool {
			if j != i && len(rings[j]) >= 4 && bounds[j].Contains(bi.Min) && bounds[j].Contains(bi.Max) &&
				math.Abs(area[j]) > math.Abs(area[i]) && planar.RingContains(rings[j], rings[i][0]) {
				fn(j)
			}
			return true
		})
	}
	shell := make([]bool, n)
	if cw == 0 || ccw == 0 {
		for i := range rings {
			depth := 0
			around(i, func(int) { depth++ })
			shell[i] = depth%2 == 0
		}
	} else {
		for i := range rings {
			shell[i] = area[i] <= 0
		}
	}
	holes := make([][]int, n)
	for i := range rings {
		if shell[i] {
			continue
		}
		best := -1
		around(i, func(j int) {
			if shell[j] && (best < 0 || math.Abs(area[j]) < math.Abs(area[best]) || (area[j] == area[best] && j < best)) {
				best = j
			}
		})
		if best < 0 {
			shell[i] = true
			continue
		}
		holes[best] = append(holes[best], i)
	}
	var mp orb.MultiPolygon
	var parts [][]int
	for i := range rings {
		if !shell[i] {
			continue
		}
		p, part := orb.Polygon{rings[i]}, []int{i}
		for _, h := range holes[i] {
			p, part = append(p, rings[h]), append(part, h)
		}
		mp, parts = append(mp, p), append(parts, part)
	}
	if len(mp) == 1 {
		return mp[0], parts, nil
	}
	return mp, parts, nil
}

// impCoordDecimals is the precision of imported coordinates: 1e-9° is about
// 0.1 mm, far below survey accuracy. Rounding drops the noise digits a
// projection leaves (106.50467275330001), which would make the layer files
// larger and much slower to compress; equal inputs still round to equal
// outputs, so shared boundaries stay shared.
const impCoordDecimals = 1e9

// impRound rounds every position of g to impCoordDecimals, in place
// (a Point, being a value, is returned rounded).
func impRound(g orb.Geometry) orb.Geometry {
	r1 := func(v float64) float64 { return math.Round(v*impCoordDecimals) / impCoordDecimals }
	round := func(pts []orb.Point) {
		for i, p := range pts {
			pts[i] = orb.Point{r1(p[0]), r1(p[1])}
		}
	}
	switch g := g.(type) {
	case orb.Point:
		return orb.Point{r1(g[0]), r1(g[1])}
	case orb.MultiPoint:
		round(g)
	default:
		geo.EachPath(g, round)
	}
	return g
}

// impOrientRFC7946 makes outer rings counter-clockwise and holes clockwise,
// in place. A ring that is not closed is left as read: it is a validation
// error, whose message names its first and last positions, which must be
// those of the input.
func impOrientRFC7946(g orb.Geometry) {
	orient := func(p orb.Polygon) {
		for i, r := range p {
			if len(r) == 0 || r[0] != r[len(r)-1] {
				continue
			}
			a := impRingArea(r)
			if (i == 0 && a < 0) || (i > 0 && a > 0) {
				slices.Reverse(r)
			}
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		orient(g)
	case orb.MultiPolygon:
		for _, p := range g {
			orient(p)
		}
	}
}

// impDBF is a dBase table as raw bytes.
type impDBF struct {
	fields  []impField
	records [][]byte // each with its deletion flag byte
}

type impField struct {
	raw       []byte
	typ       byte
	off, size int
	dec       int
}

// impParseDBF reads a dBase III table (as shapefiles use; Visual FoxPro
// headers too). Character fields may be longer than 255 bytes: their
// length then continues in the decimal-count byte, as in shapelib.
func impParseDBF(b []byte) (*impDBF, error) {
	if len(b) < 33 {
		return nil, errors.New("文件头不完整")
	}
	le := binary.LittleEndian
	nrec := int(le.Uint32(b[4:8]))
	hlen := int(le.Uint16(b[8:10]))
	rlen := int(le.Uint16(b[10:12]))
	if hlen < 33 || hlen > len(b) || rlen < 1 {
		return nil, errors.New("文件头无效")
	}
	d := &impDBF{}
	for off := 32; off+32 <= hlen && b[off] != 0x0D; off += 32 {
		raw := b[off : off+11]
		if i := bytes.IndexByte(raw, 0); i >= 0 {
			raw = raw[:i]
		}
		d.fields = append(d.fields, impField{raw: raw, typ: b[off+11], size: int(b[off+16]), dec: int(b[off+17])})
	}
	plain, ext := 1, 1
	for _, f := range d.fields {
		plain += f.size
		ext += f.size
		if f.typ == 'C' {
			ext += f.dec << 8
		}
	}
	switch {
	case ext == rlen && ext != plain:
		for i := range d.fields {
			if d.fields[i].typ == 'C' {
				d.fields[i].size += d.fields[i].dec << 8
				d.fields[i].dec = 0
			}
		}
	case plain != rlen:
		return nil, fmt.Errorf("记录长度 %d 与字段总长 %d 不符", rlen, plain)
	}
	off := 1
	for i := range d.fields {
		if d.fields[i].size == 0 {
			// dBase fields are at least one byte; zero-length ones would
			// let a one-byte record carry thousands of fields, and the
			// rows built from them grow with records × fields.
			return nil, fmt.Errorf("第 %d 个字段的长度为 0", i+1)
		}
		d.fields[i].off = off
		off += d.fields[i].size
	}
	if avail := (len(b) - hlen) / rlen; nrec > avail {
		return nil, fmt.Errorf("文件头说有 %d 条记录，文件中只有 %d 条", nrec, avail)
	}
	d.records = make([][]byte, nrec)
	for i := range d.records {
		d.records[i] = b[hlen+i*rlen : hlen+(i+1)*rlen]
	}
	return d, nil
}

func impTrimField(b []byte) []byte {
	return bytes.TrimRight(bytes.TrimLeft(b, " "), " \x00")
}

// impTrimPartialRune drops an incomplete UTF-8 sequence at the end of b (a
// text cut by the field width).
func impTrimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

func impIsASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// utf8State reports whether the field names and character fields hold
// non-ASCII bytes, and whether all of them are valid UTF-8.
func (d *impDBF) utf8State() (nonASCII, valid bool) {
	valid = true
	check := func(b []byte) {
		if impIsASCII(b) {
			return
		}
		nonASCII = true
		if valid && !utf8.Valid(impTrimPartialRune(b)) {
			valid = false
		}
	}
	for _, f := range d.fields {
		check(f.raw)
	}
	for _, r := range d.records {
		for _, f := range d.fields {
			if f.typ == 'C' || f.typ == 'M' {
				check(impTrimField(r[f.off : f.off+f.size]))
			}
			if !valid {
				return
			}
		}
	}
	return
}

// decode turns the table into field names and typed rows: text (C) as
// decoded strings, numbers (N, F) as int or float64, logicals as bool,
// dates (D) as "YYYY-MM-DD"; blanks are nil. enc nil means UTF-8.
func (d *impDBF) decode(enc encoding.Encoding) ([]string, [][]any, []bool) {
	var dec *encoding.Decoder
	if enc != nil {
		dec = enc.NewDecoder()
	}
	text := func(b []byte) string {
		if impIsASCII(b) {
			return string(b)
		}
		if dec == nil {
			return strings.ToValidUTF8(string(impTrimPartialRune(b)), "")
		}
		s, err := dec.Bytes(b)
		if err != nil {
			return strings.ToValidUTF8(string(b), "")
		}
		return strings.TrimRight(string(s), "\ufffd")
	}
	names := make([]string, len(d.fields))
	seen := map[string]int{}
	for i, f := range d.fields {
		n := strings.TrimSpace(text(f.raw))
		if n == "" {
			n = fmt.Sprintf("FIELD%d", i+1)
		}
		if seen[n] > 0 {
			seen[n]++
			n = fmt.Sprintf("%s_%d", n, seen[n])
		} else {
			seen[n] = 1
		}
		names[i] = n
	}
	rows := make([][]any, len(d.records))
	deleted := make([]bool, len(d.records))
	for i, r := range d.records {
		deleted[i] = r[0] == '*'
		row := make([]any, len(d.fields))
		for j, f := range d.fields {
			raw := impTrimField(r[f.off : f.off+f.size])
			if len(raw) == 0 {
				continue
			}
			switch f.typ {
			case 'C', 'M':
				row[j] = text(raw)
			case 'N', 'F':
				s := string(raw)
				if n, err := strconv.ParseInt(s, 10, 64); err == nil && !strings.Contains(s, ".") {
					row[j] = int(n)
				} else if x, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
					row[j] = x
				}
			case 'L':
				switch raw[0] {
				case 'T', 't', 'Y', 'y':
					row[j] = true
				case 'F', 'f', 'N', 'n':
					row[j] = false
				}
			case 'D':
				if s := string(raw); len(s) == 8 {
					row[j] = s[:4] + "-" + s[4:6] + "-" + s[6:]
				}
			default:
				row[j] = text(raw)
			}
		}
		rows[i] = row
	}
	return names, rows, deleted
}

// ---- building the dataset ----

type importBuilder struct {
	opts   ImportOptions
	im     *Import
	layers map[string]*admission.Layer
	order  []string       // layer ids in the order met
	serial map[string]int // generated-id serial per layer
	plans  map[*impSource]*impPlan
	crsUse map[string][]string // CRS title → source names

	unitRules []admission.Clause // clauses from control-unit attributes
	ind       *admission.Industries
	clauseIDs map[string]bool
	clauseOrd map[string]int // id base → items so far
}

// impPlan is how one source is read: layer and columns.
type impPlan struct {
	layer    string
	why      string
	fm       *FileMapping
	id       int // column indexes, -1 when none
	name     int
	category int
	clauses  map[string][]int // dimension → columns
	props    map[string]int   // property → column
}

// plan decides the layer and columns of every source first, so that all
// unrecognised inputs are reported together with one template.
func (b *importBuilder) plan(srcs []*impSource) error {
	b.plans = map[*impSource]*impPlan{}
	var unknown []string
	var firstErr *ImportError
	for _, s := range srcs {
		p := &impPlan{fm: b.opts.Mapping.match(s.keys)}
		if p.fm != nil && p.fm.Layer != "" {
			p.layer, p.why = p.fm.Layer, "映射文件"
		} else {
			d := s.detect()
			if d.Layer == "" {
				what := "请在映射文件中指定 layer"
				if len(d.Candidates) > 0 {
					what = "可能是 " + strings.Join(d.Candidates, "、") + "，" + what
				}
				unknown = append(unknown, fmt.Sprintf("%s（%s；字段：%s；几何：%s）：%s", s.name, d.Reason, impFieldList(s.fields), impKindName(s.kind), what))
				continue
			}
			p.layer, p.why = d.Layer, "按"+d.Reason+"识别"
		}
		b.plans[s] = p
		if p.layer == LayerSkip {
			continue
		}
		if err := p.columns(s); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if len(unknown) > 0 {
		return &ImportError{Code: CodeImportUnknownLayer, File: "",
			Message:  "无法判断以下输入属于哪个图层：\n  " + strings.Join(unknown, "\n  ") + "\n请编写映射文件（--mapping），可从下面的模板开始（sanxian import --print-mapping 输入… 也会输出它）。",
			Fields:   impSrcFields(srcs, unknown),
			Template: importTemplate(srcs, b.opts.Mapping)}
	}
	if firstErr != nil {
		firstErr.Template = importTemplate(srcs, b.opts.Mapping)
		return firstErr
	}
	return nil
}

func impSrcFields(srcs []*impSource, unknown []string) []string {
	for _, s := range srcs {
		if len(unknown) > 0 && strings.HasPrefix(unknown[0], s.name+"（") {
			return s.fields
		}
	}
	return nil
}

func impFieldList(fields []string) string {
	if len(fields) == 0 {
		return "无"
	}
	return strings.Join(fields, "、")
}

// columns resolves the columns of a plan against the source's fields.
func (p *impPlan) columns(s *impSource) *ImportError {
	std := StandardColumns[p.layer]
	fm := p.fm
	if fm == nil {
		fm = &FileMapping{}
	}
	find := func(role, mapped string) (int, *ImportError) {
		if mapped != "" {
			if i := impFindColumn(s.fields, mapped); i >= 0 {
				return i, nil
			}
			return -1, &ImportError{File: s.name, Code: CodeImportColumn, Fields: s.fields,
				Message: fmt.Sprintf("映射文件指定的 %s 列“%s”不存在；字段有：%s", role, mapped, impFieldList(s.fields))}
		}
		return impFindColumn(s.fields, std[role]...), nil
	}
	var err *ImportError
	if p.id, err = find("id", fm.ID); err != nil {
		return err
	}
	if p.name, err = find("name", fm.Name); err != nil {
		return err
	}
	if p.category, err = find("category", fm.Category); err != nil {
		return err
	}
	if p.id < 0 && s.featIDs == nil && (p.layer == admission.LayerControlUnits || p.layer == admission.LayerDistricts) {
		what := "环境管控单元编码（HJZHGKDYBM）"
		if p.layer == admission.LayerDistricts {
			what = "6 位区县代码（XZQDM）"
		}
		return &ImportError{File: s.name, Code: CodeImportColumn, Fields: s.fields,
			Message: fmt.Sprintf("识别为 %s，但找不到%s列；字段有：%s。请在映射文件中用 id 指定编码列", p.layer, what, impFieldList(s.fields))}
	}
	used := map[int]bool{p.id: true, p.name: true, p.category: true}
	if p.layer == admission.LayerControlUnits {
		p.clauses = map[string][]int{}
		for _, d := range admission.Dimensions {
			if cols, ok := fm.Clauses[d]; ok {
				for _, c := range cols {
					i := impFindColumn(s.fields, c)
					if i < 0 {
						return &ImportError{File: s.name, Code: CodeImportColumn, Fields: s.fields,
							Message: fmt.Sprintf("映射文件指定的%s条款列“%s”不存在；字段有：%s", d, c, impFieldList(s.fields))}
					}
					p.clauses[d] = append(p.clauses[d], i)
					used[i] = true
				}
			} else if len(fm.Clauses) == 0 {
				if i := impFindColumn(s.fields, StandardClauseColumns[d]...); i >= 0 {
					p.clauses[d] = []int{i}
					used[i] = true
				}
			}
		}
	}
	p.props = map[string]int{}
	if fm.Properties != nil {
		for prop, c := range fm.Properties {
			i := impFindColumn(s.fields, c)
			if i < 0 {
				return &ImportError{File: s.name, Code: CodeImportColumn, Fields: s.fields,
					Message: fmt.Sprintf("映射文件 properties 中的列“%s”不存在；字段有：%s", c, impFieldList(s.fields))}
			}
			p.props[prop] = i
		}
	} else {
		for i, f := range s.fields {
			if !used[i] && f != "name" && f != "category" && !importHousekeeping[impNormColumn(f)] {
				p.props[f] = i
			}
		}
	}
	return nil
}

// importHousekeeping are columns GIS software adds by itself; without a
// mapping they are not kept as properties.
var importHousekeeping = map[string]bool{
	"OBJECTID": true, "OBJECTID_1": true, "FID": true, "OID": true, "SHAPE_LENG": true, "SHAPE_LEN": true,
	"SHAPE_LENGTH": true, "SHAPE_AREA": true, "SHAPE_AR": true,
}

func (p *impPlan) columnNames(s *impSource) map[string]string {
	m := map[string]string{}
	for role, i := range map[string]int{"id": p.id, "name": p.name, "category": p.category} {
		if i >= 0 {
			m[role] = s.fields[i]
		}
	}
	for d, cols := range p.clauses {
		var names []string
		for _, i := range cols {
			names = append(names, s.fields[i])
		}
		m[d] = strings.Join(names, "+")
	}
	return m
}

func (b *importBuilder) layer(id string, fm *FileMapping) *admission.Layer {
	if l, ok := b.layers[id]; ok {
		return l
	}
	def := importLayerDefaults[id]
	l := &admission.Layer{ID: id, Title: def.Title, Role: def.Role, Kind: def.Kind}
	if fm != nil {
		if fm.Title != "" {
			l.Title = fm.Title
		}
		if fm.Role != "" {
			l.Role = fm.Role
		}
		if fm.Kind != "" {
			l.Kind = fm.Kind
		}
	}
	if l.Title == "" {
		l.Title = id
	}
	b.layers[id] = l
	b.order = append(b.order, id)
	return l
}

// sourceCRS decides the coordinate system of a source.
func (b *importBuilder) sourceCRS(s *impSource, fm *FileMapping) (crs.CRS, string, error) {
	def, defFrom := b.opts.CRS, "--crs"
	if def == "" && b.opts.Mapping != nil && b.opts.Mapping.Dataset.CRS != "" {
		def, defFrom = b.opts.Mapping.Dataset.CRS, "映射文件 dataset.crs"
	}
	parse := func(name, from string) (crs.CRS, string, error) {
		c, err := crs.Parse(name)
		if err != nil {
			return c, "", importErr(s.name, CodeImportCRS, "%s 给出的坐标系无法使用：%s", from, strings.TrimPrefix(err.Error(), "crs: "))
		}
		return c, from, nil
	}
	switch {
	case fm != nil && fm.CRS != "":
		return parse(fm.CRS, "映射文件")
	case s.format == "kml":
		return crs.WGS84, "KML（规定为 WGS84）", nil
	case s.prj != "":
		c, err := crs.FromPRJ(s.prj)
		if err != nil {
			if def != "" {
				s.warnings = append(s.warnings, ImportWarning{Source: s.name, Code: WarnCRSOverride, Message: fmt.Sprintf(".prj 无法使用（%v）：按 %s 的 %s 处理", strings.TrimPrefix(err.Error(), "crs: "), defFrom, def)})
				return parse(def, defFrom)
			}
			return c, "", importErr(s.name, CodeImportCRS, "%s；如能确认坐标系，可用 --crs 指定", strings.TrimPrefix(err.Error(), "crs: "))
		}
		if def != "" {
			if dc, err := crs.Parse(def); err == nil && dc != c {
				s.warnings = append(s.warnings, ImportWarning{Source: s.name, Code: WarnCRSOverride, Message: fmt.Sprintf(".prj 为 %s，与 %s 的 %s 不同：按 .prj 处理（如需覆盖，请在映射文件中为该文件写 crs）", c.Title, defFrom, dc.Title)})
			}
		}
		return c, ".prj", nil
	case s.declared != "":
		return parse(s.declared, s.declFrom)
	case def != "":
		return parse(def, defFrom)
	}
	var bd orb.Bound
	first := true
	for _, g := range s.geoms {
		if g == nil {
			continue
		}
		if first {
			bd, first = g.Bound(), false
		} else {
			bd = bd.Union(g.Bound())
		}
	}
	if first || (bd.Min[0] >= -180 && bd.Max[0] <= 180 && bd.Min[1] >= -90 && bd.Max[1] <= 90) {
		if s.format == "geojson" {
			return crs.CGCS2000, "GeoJSON（经纬度）", nil
		}
		s.warnings = append(s.warnings, ImportWarning{Source: s.name, Code: WarnAssumedCRS, Message: s.noCRS() + "，坐标在经纬度范围内：按 CGCS2000 经纬度（EPSG:4490）处理"})
		return crs.CGCS2000, "推定", nil
	}
	hint := "如 EPSG:4545（CGCS2000 3度带 CM 108°E）"
	if z := int(bd.Min[0] / 1e6); bd.Min[0] >= 1e7 && z == int(bd.Max[0]/1e6) {
		name := fmt.Sprintf("CGCS2000_3_Degree_GK_Zone_%d", z)
		if z < 25 {
			name = fmt.Sprintf("CGCS2000_GK_Zone_%d", z)
		}
		if c, err := crs.Parse(name); err == nil {
			hint = fmt.Sprintf("东坐标带号为 %d，可能是 %s，若为 CGCS2000 请用 --crs %s", z, c.Title, c.Name)
		}
	}
	return crs.CRS{}, "", importErr(s.name, CodeImportCRS, "%s，而坐标（x %.0f～%.0f，y %.0f～%.0f）不是经纬度，像是投影坐标（米）：请用 --crs 指定坐标系（%s）", s.noCRS(), bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1], hint)
}

// noCRS says what is missing for the input to declare its CRS.
func (s *impSource) noCRS() string {
	switch s.format {
	case "geojson":
		return "没有 crs 成员"
	case "table":
		return "没有声明坐标系（SRID 为 0）"
	}
	return "没有 .prj"
}

var impUnitCodeRe = regexp.MustCompile(`^ZH(\d{6})([123])\d{4}$`)

// add converts one source into features of its layer.
func (b *importBuilder) add(s *impSource) error {
	p := b.plans[s]
	rep := ImportSource{Name: s.name, Format: s.format, Layer: p.layer, Detected: p.why, Encoding: s.encoding}
	if p.layer == LayerSkip {
		b.im.Sources = append(b.im.Sources, rep)
		return nil
	}
	fm := p.fm
	if fm == nil {
		fm = &FileMapping{}
	}
	c, from, err := b.sourceCRS(s, p.fm)
	if err != nil {
		return err
	}
	rep.CRS, rep.CRSTitle, rep.CRSFrom, rep.Columns = c.Name, c.Title, from, p.columnNames(s)
	if b.crsUse == nil {
		b.crsUse = map[string][]string{}
	}
	b.crsUse[c.Title] = append(b.crsUse[c.Title], s.name)
	l := b.layer(p.layer, p.fm)
	prefix := fm.IDPrefix
	if prefix == "" {
		prefix = importLayerDefaults[p.layer].IDPrefix
	}
	if prefix == "" {
		prefix = p.layer + "-"
	}
	fixed := fm.FixedCategory
	if fixed == "" && p.category < 0 && p.layer == admission.LayerEcoRedline {
		fixed = "生态保护红线"
	}
	generated, fromID := 0, 0
	unknownCat := map[string]int{}
	for i, g := range s.geoms {
		row := s.rows[i]
		get := func(col int) string {
			if col < 0 || row == nil {
				return ""
			}
			return importString(row[col])
		}
		f := admission.Feature{Name: get(p.name), Properties: map[string]any{}}
		switch {
		case p.id >= 0:
			f.ID = get(p.id)
		case s.featIDs != nil:
			f.ID = s.featIDs[i]
		}
		if p.id < 0 && f.ID == "" && p.layer != admission.LayerControlUnits && p.layer != admission.LayerDistricts {
			b.serial[p.layer]++
			f.ID = fmt.Sprintf("%s%04d", prefix, b.serial[p.layer])
			generated++
		}
		raw := get(p.category)
		switch {
		case fixed != "":
			f.Category = fixed
		case fm.Categories[raw] != "":
			f.Category = fm.Categories[raw]
		default:
			f.Category = raw
		}
		switch p.layer {
		case admission.LayerControlUnits:
			f.ID = strings.ToUpper(f.ID)
			if fixed == "" && fm.Categories[raw] == "" {
				if cat, ok := impUnitCategory(raw); ok {
					f.Category = cat
				} else if raw != "" {
					unknownCat[raw]++
				}
			}
			m := impUnitCodeRe.FindStringSubmatch(f.ID)
			if m != nil {
				if p.category < 0 && fixed == "" {
					f.Category, _ = impUnitCategory(m[2])
					fromID++
				}
				f.Properties["county_code"] = m[1]
			}
		case admission.LayerDistricts:
			if code := impCountyCode(f.ID); code != "" {
				f.ID = code
			}
			if f.Category == "" {
				f.Category = impDistrictCategory(f.Name)
			}
		case admission.LayerWaterSources:
			if fixed == "" && fm.Categories[raw] == "" {
				if cat, level, ok := impWaterCategory(raw); ok {
					f.Category = cat
					f.Properties["level"] = level
				} else if raw != "" {
					unknownCat[raw]++
				}
			}
		}
		for prop, col := range p.props {
			if v := row[col]; v != nil && v != "" {
				if _, taken := f.Properties[prop]; !taken {
					f.Properties[prop] = v
				}
			}
		}
		if g != nil {
			rep.Vertices += geo.CountVertices(g)
			cg, err := c.Geometry(g)
			if err != nil {
				b.convProblem(p.layer, f.ID, c, err)
				b.im.unconverted[p.layer+"\x00"+f.ID] = true
				cg = nil
			}
			// Rounded in place (the source's geometries are ours); rings
			// keep the input's orientation until Write, so that validation
			// numbers vertices as the file does.
			f.Geometry = impRound(cg)
		}
		if p.layer == admission.LayerControlUnits {
			b.clauses(f.ID, row, p)
		}
		if s.ringParts != nil && s.ringParts[i] != nil && f.ID != "" {
			b.im.ringParts[p.layer+"\x00"+f.ID] = s.ringParts[i]
		}
		l.Features = append(l.Features, f)
		rep.Features++
	}
	if s.format == "table" && p.id >= 0 {
		// A table has no order of its own: its features go by id.
		added := l.Features[len(l.Features)-rep.Features:]
		slices.SortStableFunc(added, func(a, b admission.Feature) int { return strings.Compare(a.ID, b.ID) })
	}
	w := func(code, msg string) {
		b.im.Warnings = append(b.im.Warnings, ImportWarning{Source: s.name, Layer: p.layer, Code: code, Message: msg})
	}
	b.im.Warnings = append(b.im.Warnings, s.warnings...)
	if generated > 0 {
		w(WarnGeneratedIDs, fmt.Sprintf("没有编码列：%d 个要素的 id 按顺序生成（%s0001 起）；如有编码列，请在映射文件中用 id 指定", generated, prefix))
	}
	if fromID > 0 {
		w(WarnCategoryFromID, fmt.Sprintf("没有单元类别列（ZHGKDYFL）：%d 个单元的类别取自编码的类别位", fromID))
	}
	for _, k := range impSortedKeys(unknownCat) {
		w(WarnUnknownCategory, fmt.Sprintf("类别值“%s”（%d 个要素）无法识别，原样保留；可在映射文件 categories 中指定对应类别", k, unknownCat[k]))
	}
	b.im.Sources = append(b.im.Sources, rep)
	return nil
}

func (b *importBuilder) convProblem(layer, id string, c crs.CRS, err error) {
	p := admission.Problem{Layer: layer, Feature: id, Code: CodeImportConvert, Message: fmt.Sprintf("坐标无法从 %s转换：%v", c.Title, err)}
	var pe *crs.PointError
	if errors.As(err, &pe) {
		p.Code = pe.Code
		p.Path = pe.Path
		if c.Kind == crs.KindGeographic && !math.IsNaN(pe.Point[0]) && !math.IsNaN(pe.Point[1]) && !math.IsInf(pe.Point[0], 0) && !math.IsInf(pe.Point[1], 0) {
			// The position as given is already longitude and latitude: the
			// Location geo.ValidateSite gives a coordinate out of range.
			p.Location = &[2]float64{pe.Point[0], pe.Point[1]}
		}
		msg := pe.Message
		if pe.Where != "" {
			msg = pe.Where + "：" + msg
		}
		p.Message = fmt.Sprintf("坐标无法从 %s转换为 CGCS2000 经纬度：%s", c.Title, msg)
		if c.Kind == crs.KindGeographic {
			p.Message = fmt.Sprintf("坐标无效（源坐标系为 %s）：%s", c.Title, msg)
		}
	}
	b.im.Problems = append(b.im.Problems, p)
}

// clauses adds the unit's clause columns to the rules.
func (b *importBuilder) clauses(unit string, row []any, p *impPlan) {
	if row == nil {
		return
	}
	for _, d := range admission.Dimensions {
		var text strings.Builder
		for _, col := range p.clauses[d] {
			text.WriteString(importString(row[col]))
		}
		if t := strings.TrimSpace(text.String()); t != "" && !noneCell(t) {
			b.unitRules = append(b.unitRules, b.importClauses(unit, d, t)...)
		}
	}
}

// finish orders the layers and fills the manifest.
func (b *importBuilder) finish() (*Import, error) {
	im := b.im
	var ids []string
	for _, id := range importLayerOrder {
		if _, ok := b.layers[id]; ok {
			ids = append(ids, id)
		}
	}
	for _, id := range b.order {
		if _, known := importLayerDefaults[id]; !known {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, importErr("", CodeImportNoFeatures, "没有可导入的图层（所有输入都被跳过）")
	}
	for _, id := range ids {
		im.Contents.Layers = append(im.Contents.Layers, *b.layers[id])
	}
	info := b.opts.Info
	if m := b.opts.Mapping; m != nil {
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		fill(&info.Name, m.Dataset.Name)
		fill(&info.Version, m.Dataset.Version)
		fill(&info.Published, m.Dataset.Published)
		fill(&info.Source, m.Dataset.Source)
		fill(&info.Notice, m.Dataset.Notice)
	}
	info.CRS = crs.CGCS2000.Name
	info.Checksum = ""
	var crsParts []string
	for _, t := range impSortedKeys(b.crsUse) {
		names := b.crsUse[t]
		list := strings.Join(names[:min(5, len(names))], "、")
		if len(names) > 5 {
			list += fmt.Sprintf(" 等 %d 个", len(names))
		}
		crsParts = append(crsParts, t+"："+list)
	}
	note := "sanxian import 导入，源坐标系 " + strings.Join(crsParts, "；") + "，已转换为 CGCS2000 经纬度（EPSG:4490）"
	if info.Source != "" {
		info.Source += "（" + note + "）"
	} else {
		info.Source = note
	}
	im.Contents.Info = info
	if err := b.mergeAccessList(); err != nil {
		return nil, err
	}
	return im, nil
}

// mergeAccessList builds the rules: the access list's clauses
// (opts.AccessList) first, then the clauses of the control units'
// attributes for the units the access list has no unit clause for.
func (b *importBuilder) mergeAccessList() error {
	var rules admission.Rules
	covered := map[string]bool{}
	if b.opts.AccessList != "" {
		name := filepath.Base(b.opts.AccessList)
		f, err := os.Open(b.opts.AccessList)
		if err != nil {
			return importErr(name, CodeImportAccessList, "无法读取准入清单：%v", err)
		}
		defer f.Close()
		counties := map[string]string{}
		if l, ok := b.layers[admission.LayerDistricts]; ok {
			for _, d := range l.Features {
				if d.Name != "" {
					counties[d.Name] = d.ID
				}
			}
			// An old list names a county by its old name (开县 for 开州区).
			for _, d := range l.Features {
				for _, old := range admission.CountyAliases(d.ID) {
					if c, _ := admission.RetiredCounty(old); counties[c.OldName] == "" {
						counties[c.OldName] = d.ID
					}
				}
			}
		}
		r, probs, err := ReadAccessList(name, f, nil, AccessListOptions{Counties: counties})
		if err != nil {
			var le *ListError
			if errors.As(err, &le) {
				return importErr(name, CodeImportAccessList, "准入清单无法导入：%s", le.Message)
			}
			return importErr(name, CodeImportAccessList, "准入清单无法导入：%v", err)
		}
		for _, p := range probs {
			b.im.Warnings = append(b.im.Warnings, ImportWarning{Source: name, Code: WarnAccessList, Message: p.String()})
		}
		b.aliasCounties(name, r.Clauses)
		rules.Clauses = append(rules.Clauses, r.Clauses...)
		for _, c := range r.Clauses {
			if c.Level == admission.LevelUnit {
				covered[c.Scope.Unit] = true
			}
		}
	}
	dropped := map[string]bool{}
	for _, c := range b.unitRules {
		if covered[c.Scope.Unit] {
			dropped[c.Scope.Unit] = true
			continue
		}
		rules.Clauses = append(rules.Clauses, c)
	}
	if len(dropped) > 0 {
		b.im.Warnings = append(b.im.Warnings, ImportWarning{Source: filepath.Base(b.opts.AccessList), Code: WarnClausesReplaced,
			Message: fmt.Sprintf("%d 个单元在准入清单中已有单元条款：属性表中这些单元的条款未导入，以准入清单为准", len(dropped))})
	}
	b.im.Contents.Rules = rules
	return nil
}

// aliasCounties moves access-list clauses whose district, or whose unit's
// county, has a code the dataset lacks onto the same division's other code
// in the alias table (admission.CountyAliases) when the dataset has that
// one: a list written before 开县 became 开州区 (500234 → 500154) applies to
// the data drawn after, and the other way round. Each move is a warning;
// clauses no alias fits are left for validation to report.
func (b *importBuilder) aliasCounties(source string, clauses []admission.Clause) {
	has := func(layer string) map[string]bool {
		ids := map[string]bool{}
		if l, ok := b.layers[layer]; ok {
			for _, f := range l.Features {
				ids[f.ID] = true
			}
		}
		return ids
	}
	districts, units := has(admission.LayerDistricts), has(admission.LayerControlUnits)
	type move struct {
		unit     bool
		from, to string
	}
	moved := map[move]int{}
	var order []move
	for i := range clauses {
		c := &clauses[i]
		var ids map[string]bool
		var code string
		var recode func(county string) string
		switch c.Level {
		case admission.LevelDistrict:
			ids, code, recode = districts, c.Scope.County, func(county string) string { return county }
		case admission.LevelUnit:
			u := c.Scope.Unit
			if len(u) != 13 || !strings.HasPrefix(u, "ZH") {
				continue
			}
			ids, code, recode = units, u[2:8], func(county string) string { return "ZH" + county + u[8:] }
		default:
			continue
		}
		if ids[recode(code)] {
			continue
		}
		for _, alt := range admission.CountyAliases(code) {
			if !ids[recode(alt)] {
				continue
			}
			m := move{c.Level == admission.LevelUnit, code, alt}
			if moved[m] == 0 {
				order = append(order, m)
			}
			moved[m]++
			if c.Level == admission.LevelDistrict {
				c.Scope.County = alt
			} else {
				c.Scope.Unit = recode(alt)
			}
			break
		}
	}
	for _, m := range order {
		name := func(code string) string {
			if c, ok := admission.RetiredCounty(code); ok {
				return code + "（" + c.OldName + "，已撤销）"
			}
			for _, old := range admission.CountyAliases(code) {
				c, _ := admission.RetiredCounty(old)
				return code + "（" + c.NewName + "）"
			}
			return code
		}
		what := "区县条款的区县代码"
		if m.unit {
			what = "单元条款的单元编码中的区县代码"
		}
		b.im.Warnings = append(b.im.Warnings, ImportWarning{Source: source, Code: WarnCountyAlias,
			Message: fmt.Sprintf("%d 条%s是 %s，数据中是 %s：已按 %s 导入（区县代码变更对照表）", moved[m], what, name(m.from), name(m.to), m.to)})
	}
}

// ---- clause text ----

// importClauses turns a unit's clause text of one dimension into unit
// clauses with SplitClauses and ClassifyEffect, numbered as
// ReadAccessList numbers them ("U-<unit>-KJ-1-3"; an unnumbered item by
// its position). A clause is machine-readable exactly when ReadAccessList
// would make it so (see machineClause): the same text judges the same
// whichever file it came from; the others are free text for manual review.
func (b *importBuilder) importClauses(unit, dim, text string) []admission.Clause {
	base := "U-" + unit + "-" + dimensionAbbrev[dim]
	var out []admission.Clause
	for _, it := range SplitClauses(text) {
		if it.Text == "" {
			continue
		}
		b.clauseOrd[base]++
		suffix := numberForID(it.Number)
		if suffix == "" {
			suffix = strconv.Itoa(b.clauseOrd[base])
		}
		id := base + "-" + suffix
		for n := 2; b.clauseIDs[id]; n++ {
			id = fmt.Sprintf("%s-%s_%d", base, suffix, n)
		}
		b.clauseIDs[id] = true
		c := admission.Clause{
			ID: id, Level: admission.LevelUnit, Scope: admission.Scope{Unit: unit}, Dimension: dim,
			Number: it.Number, Text: it.Text, Effect: ClassifyEffect(it.Text),
		}
		if filter, cons, ok := machineClause(it.Text, c.Effect, b.ind); ok {
			c.Industries, c.Construction, c.Machine = filter, cons, true
		}
		out = append(out, c)
	}
	return out
}
