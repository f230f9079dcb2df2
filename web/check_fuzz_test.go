package web

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"
	"unicode"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// requireAPIError fails unless err is an API error (a *Error or a
// *geo.GeometryError) with a code that maps to a 4xx status and a message
// in Chinese: what a client of the API gets for bad input.
func requireAPIError(t *testing.T, in string, err error) {
	t.Helper()
	e, ok := asAPIError(err)
	if !ok {
		t.Fatalf("%q: error of type %T: %v", in, err, err)
	}
	if s := e.Status(); s < 400 || s >= 500 {
		t.Fatalf("%q: code %q answers %d, want a 4xx status", in, e.Code, s)
	}
	if !hasHan(e.Message) {
		t.Fatalf("%q: message %q is not Chinese", in, e.Message)
	}
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// requireFinite fails if a position of g is NaN or infinite.
func requireFinite(t *testing.T, in string, g orb.Geometry) {
	t.Helper()
	bad := false
	geo.EachPoint(g, func(p orb.Point) {
		bad = bad || math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0)
	})
	if bad {
		t.Fatalf("%q: non-finite position in %v", in, g)
	}
}

// FuzzDecodeCheckBody decodes arbitrary bytes as a POST /api/v1/check
// body: it never panics, fails only with a 4xx API error in Chinese, and
// a request it accepts has a geometry with finite positions, a buffer
// within [0, max] and no blank layer id.
func FuzzDecodeCheckBody(f *testing.F) {
	for _, s := range []string{
		`{"wkt":"POINT(106.55 29.56)"}`,
		`{"geometry":{"type":"Point","coordinates":[106.55,29.56]},"buffer_m":500,"layers":["eco_redline"]}`,
		`{"wkt":"SRID=4545;POLYGON((354000 3272000,355000 3272000,355000 3273000,354000 3272000))","crs":"EPSG:4545"}`,
		`{"wkt":"POINT(354541.95 3265627)","crs":"EPSG:4545","industry":"C2614","construction":"新建"}`,
		`{"geometry":{"type":"Polygon","coordinates":[[[106.5,29.5],[106.6,29.5],[106.6,29.6],[106.5,29.5]]]},"crs":"GCJ02"}`,
		`{"geometry":null,"wkt":null}`,
		`{"wkt":"POINT(1 2)","buffer_m":-1}`,
		`{"wkt":"POINT(1 2)","buffer_m":1e309}`,
		`{"wkt":"POINT(1 2)","layers":[" "]}`,
		`{"wkt":"POINT(1 2)"} {}`,
		`{"wkt":"POINT(1 2)","crs":"EPSG:4524"}`,
		`{"geometry":{"type":"Point","coordinates":[1e308,1e308]},"crs":"BD09"}`,
		`{"unknown":1}`,
		`[`,
		`{"WKT":"POINT(1 2)","Layers":["a"],"buffer_m":1,"buffer_m":2}`,
		`{"wkt":"POINT(1 2)","industry":"\u00e9\ud800"}`,
		`{"wkt":"POINT(1 2)","layers":null,"crs":null}`,
		`{"geometry":{"type":"Point","coordinates":[1,2]},"buffer_m":"5"}`,
	} {
		f.Add([]byte(s))
	}
	const maxBuffer = 5000
	f.Fuzz(func(t *testing.T, raw []byte) {
		defer fuzzkit.Guard(t)()
		// The fast decoder accepts nothing encoding/json refuses and
		// decodes the same body.
		if fast, ok := decodeBodyFast(raw); ok {
			var std CheckBody
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&std), "go-json accepted %q", raw)
			_, err := dec.Token()
			require.ErrorIs(t, err, io.EOF, "go-json accepted %q", raw)
			require.Equal(t, std, fast, "%q", raw)
		}
		req, err := DecodeCheckBody(raw, maxBuffer)
		if err != nil {
			requireAPIError(t, string(raw), err)
			return
		}
		if req.Geometry == nil {
			t.Fatalf("%q: no geometry and no error", raw)
		}
		requireFinite(t, string(raw), req.Geometry)
		if math.IsNaN(req.BufferM) || req.BufferM < 0 || req.BufferM > maxBuffer {
			t.Fatalf("%q: buffer %v accepted", raw, req.BufferM)
		}
		for _, l := range req.Layers {
			if strings.TrimSpace(l) == "" {
				t.Fatalf("%q: blank layer accepted", raw)
			}
		}
		if req.CRS == "" {
			t.Fatalf("%q: no CRS reported", raw)
		}
	})
}
