package data

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// importCodes are the codes an *ImportError may carry.
var importCodes = map[string]bool{
	CodeImportUnsupported: true, CodeImportRead: true, CodeImportNoLayers: true, CodeImportUnknownLayer: true,
	CodeImportColumn: true, CodeImportCRS: true, CodeImportEncoding: true, CodeImportNoFeatures: true, CodeImportAccessList: true,
}

// requireImportError fails unless err is an *ImportError with a known
// code and a Chinese message.
func requireImportError(t *testing.T, err error) {
	t.Helper()
	var ie *ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("error of type %T: %v", err, err)
	}
	if !importCodes[ie.Code] || !hasHan(ie.Message) {
		t.Fatalf("bad import error %+v", ie)
	}
}

// FuzzImportShapefile feeds arbitrary .shp and .dbf bytes to the
// importer's own readers: they never panic, and never allocate for more
// than the file holds: a .shp gives at most one geometry per 12 bytes
// (record header and shape type) and one vertex per 16 bytes, a .dbf at
// most one record per byte after its header, whatever counts the headers
// claim, and allocate at most 64 bytes per input byte (plus 1 MB); decoded
// rows have one value per field, field names are unique, non-empty UTF-8.
func FuzzImportShapefile(f *testing.F) {
	dir := f.TempDir()
	in := writeShp(f, dir, "u", unitsFixture(true, prjCGCS2000, ""))
	shpData, err := os.ReadFile(in)
	require.NoError(f, err)
	dbfData, err := os.ReadFile(strings.TrimSuffix(in, ".shp") + ".dbf")
	require.NoError(f, err)
	f.Add(shpData, dbfData)
	f.Add(shpData[:150], dbfData[:60])
	f.Fuzz(func(t *testing.T, shpData, dbfData []byte) {
		defer fuzzkit.Guard(t)()
		fuzzkit.AllocBound(t, 64*uint64(len(shpData)+len(dbfData))+1<<20, func() { checkImportReaders(t, shpData, dbfData) })
	})
}

func checkImportReaders(t *testing.T, shpData, dbfData []byte) {
	{
		if gs, _, err := impParseSHP(shpData); err == nil {
			if len(gs) > len(shpData)/12 {
				t.Fatalf("%d geometries from %d bytes", len(gs), len(shpData))
			}
			n := 0
			for _, g := range gs {
				if g != nil {
					n += geo.CountVertices(g)
				}
			}
			if n > len(shpData)/16 {
				t.Fatalf("%d vertices from %d bytes", n, len(shpData))
			}
		} else if !hasHan(err.Error()) {
			t.Fatalf(".shp error %q is not Chinese", err)
		}
		d, err := impParseDBF(dbfData)
		if err != nil {
			if !hasHan(err.Error()) {
				t.Fatalf(".dbf error %q is not Chinese", err)
			}
			return
		}
		if len(d.records) > len(dbfData) {
			t.Fatalf("%d records from %d bytes", len(d.records), len(dbfData))
		}
		_, _ = d.utf8State()
		for _, enc := range []bool{true, false} {
			var names []string
			var rows [][]any
			var deleted []bool
			if enc {
				names, rows, deleted = d.decode(simplifiedchinese.GBK)
			} else {
				names, rows, deleted = d.decode(nil)
			}
			if len(rows) != len(deleted) || len(rows) != len(d.records) {
				t.Fatalf("%d rows, %d flags, %d records", len(rows), len(deleted), len(d.records))
			}
			seen := map[string]bool{}
			for _, n := range names {
				if n == "" || seen[n] || !utf8.ValidString(n) {
					t.Fatalf("field names %q", names)
				}
				seen[n] = true
			}
			for _, r := range rows {
				if len(r) != len(names) {
					t.Fatalf("row of %d values for %d fields", len(r), len(names))
				}
				for _, v := range r {
					if s, ok := v.(string); ok && !utf8.ValidString(s) {
						t.Fatalf("value %q is not UTF-8", s)
					}
					if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
						t.Fatalf("value %v", x)
					}
				}
			}
		}
	}
}

// requireImported checks what ReadImport returned for fuzzed input: it
// validates, and a dataset that validates without errors has every
// feature with a geometry of its layer's kind whose positions are finite
// CGCS2000 longitude/latitude (a wrong geometry must never pass).
func requireImported(t *testing.T, im *Import) {
	t.Helper()
	rep := im.Validate(admission.ValidateOptions{})
	for _, p := range append(rep.Errors, rep.Warnings...) {
		if p.Code == "" || !hasHan(p.Message) {
			t.Fatalf("bad problem %+v", p)
		}
	}
	if !rep.OK() {
		return
	}
	for _, l := range im.Contents.Layers {
		for _, ft := range l.Features {
			if ft.Geometry == nil {
				t.Fatalf("%s/%s: no geometry passed validation", l.ID, ft.ID)
			}
			geo.EachPoint(ft.Geometry, func(p orb.Point) {
				if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
					t.Fatalf("%s/%s: position %v passed validation", l.ID, ft.ID, p)
				}
			})
		}
	}
}

// FuzzReadImportShapefile writes arbitrary .shp, .dbf, .prj and .cpg
// bytes next to each other and imports them with ReadImport (layer
// detection, encodings, CRS, clause columns, validation): it never
// panics, fails only with an *ImportError with a known code and a Chinese
// message, and see requireImported for what it returns.
func FuzzReadImportShapefile(f *testing.F) {
	for _, fx := range []shpFixture{unitsFixture(true, prjCGCS2000, "936"), districtFixture(false, prjCGCS2000, "UTF-8"), riversFixture()} {
		shp, dbf, prj, cpg := shapefileFiles(f, fx)
		f.Add(shp, dbf, prj, cpg)
	}
	f.Fuzz(func(t *testing.T, shp, dbf, prj, cpg []byte) {
		defer fuzzkit.Guard(t)()
		dir := t.TempDir()
		for ext, b := range map[string][]byte{".shp": shp, ".dbf": dbf, ".prj": prj, ".cpg": cpg} {
			if ext == ".shp" || len(b) > 0 {
				if err := os.WriteFile(filepath.Join(dir, "layer"+ext), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		im, err := ReadImport(context.Background(), []string{filepath.Join(dir, "layer.shp")}, ImportOptions{Info: testInfo()})
		if err != nil {
			requireImportError(t, err)
			return
		}
		requireImported(t, im)
	})
}

// shapefileFiles writes fx and returns its .shp, .dbf, .prj and .cpg.
func shapefileFiles(t testing.TB, fx shpFixture) (shp, dbf, prj, cpg []byte) {
	t.Helper()
	base := strings.TrimSuffix(writeShp(t, t.TempDir(), "layer", fx), ".shp")
	read := func(ext string) []byte {
		b, err := os.ReadFile(base + ext)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		return b
	}
	return read(".shp"), read(".dbf"), read(".prj"), read(".cpg")
}

// importDocExts are the document types FuzzReadImportDoc picks from.
var importDocExts = []string{".geojson", ".kml", ".kmz", ".json"}

// FuzzReadImportDoc imports arbitrary bytes as a GeoJSON, KML or KMZ
// layer file with ReadImport: the same properties as
// FuzzReadImportShapefile.
func FuzzReadImportDoc(f *testing.F) {
	f.Add(uint8(0), []byte(redlineGeoJSON))
	f.Add(uint8(1), []byte(waterKML))
	f.Add(uint8(2), zipOf(f, map[string][]byte{"doc.kml": []byte(waterKML)}))
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		defer fuzzkit.Guard(t)()
		in := filepath.Join(t.TempDir(), "layer"+importDocExts[int(which)%len(importDocExts)])
		if err := os.WriteFile(in, b, 0o644); err != nil {
			t.Fatal(err)
		}
		im, err := ReadImport(context.Background(), []string{in}, ImportOptions{Info: testInfo()})
		if err != nil {
			requireImportError(t, err)
			return
		}
		requireImported(t, im)
	})
}

// zeroFieldDBF is a .dbf of nrec one-byte records under nf character
// fields of length 0.
func zeroFieldDBF(nf, nrec int) []byte {
	hlen := 32 + 32*nf + 1
	b := make([]byte, hlen+nrec)
	b[0] = 3
	binary.LittleEndian.PutUint32(b[4:], uint32(nrec))
	binary.LittleEndian.PutUint16(b[8:], uint16(hlen))
	binary.LittleEndian.PutUint16(b[10:], 1)
	for i := range nf {
		copy(b[32+32*i:], "F")
		b[32+32*i+11] = 'C'
	}
	b[hlen-1] = 0x0d
	for i := hlen; i < len(b); i++ {
		b[i] = ' '
	}
	return b
}

// Zero-length DBF fields are refused: with them an 84 KB .dbf (2,000
// fields, 20,000 one-byte records) made the importer allocate 1.3 GB for
// its rows, and go-shapefile (site uploads) the same, growing with records
// × fields until the process dies. Found with FuzzImportShapefile's
// allocation bound.
func TestDBFZeroLengthFields(t *testing.T) {
	b := zeroFieldDBF(2000, 20000)
	if _, err := impParseDBF(b); err == nil || !strings.Contains(err.Error(), "长度为 0") {
		t.Fatalf("importer: got %v, want a zero-length field error", err)
	}
	shp, _, prj, _ := siteShapefileParts(t, siteSquare, prjCGCS2000, "")
	_, err := ParseSiteFile("site.zip", zipOf(t, map[string][]byte{"site.shp": shp, "site.dbf": b, "site.prj": prj}))
	var se *SiteFileError
	if !errors.As(err, &se) || se.Code != CodeMalformedFile || !strings.Contains(se.Message, "长度为 0") {
		t.Fatalf("site upload: got %v, want malformed_file", err)
	}
}
