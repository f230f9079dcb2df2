package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGolden compares answers to fixed queries with testdata/*.json.
// Regenerate with: go test ./web -run TestGolden -update
func TestGolden(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	tests := []struct {
		name         string
		method, path string
		body         string
	}{
		// A point inside the west unit and the red line.
		{"check_point_redline", "GET", "/api/v1/check?lon=106.525&lat=29.525", ""},
		// A point on the edge the two units share: it belongs to both.
		{"check_point_boundary", "GET", "/api/v1/check?lon=106.55&lat=29.55&layers=control_units", ""},
		// A square straddling the shared edge, half in each unit, with the
		// red line 1.1 km away inside the buffer.
		{"check_polygon_straddle", "POST", "/api/v1/check", `{"geometry": {"type": "Polygon", "coordinates": [[[106.54, 29.54], [106.56, 29.54], [106.56, 29.56], [106.54, 29.56], [106.54, 29.54]]]}, "buffer_m": 2000}`},
		// A line crossing the shared edge: overlap lengths and chainages.
		{"check_line", "POST", "/api/v1/check", `{"wkt": "LINESTRING(106.53 29.555, 106.57 29.555)", "layers": ["control_units"]}`},
		// Far from everything.
		{"check_point_outside", "GET", "/api/v1/check?lon=107&lat=30", ""},
		{"layers", "GET", "/api/v1/layers", ""},
		{"dataset", "GET", "/api/v1/dataset", ""},
		{"feature", "GET", "/api/v1/features/control_units/ZH50010110001", ""},
		{"features_bbox", "GET", "/api/v1/features/control_units?bbox=106.50,29.50,106.52,29.60", ""},
		{"features_zoom", "GET", "/api/v1/features/eco_redline?zoom=8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, ts.URL+tt.path, tt.body)
			require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
			file := filepath.Join("testdata", tt.name+".json")
			if *update {
				var buf bytes.Buffer
				require.NoError(t, json.Indent(&buf, r.Body, "", "  "))
				buf.WriteByte('\n')
				require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "golden file missing: run with -update")
			assert.JSONEq(t, string(want), string(r.Body))
		})
	}
}

// TestCheckHitsCarryFeatureIDs: every hit names its feature, so that a
// client can fetch /api/v1/features/{layer}/{id} for the clauses.
func TestCheckHitsCarryFeatureIDs(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	r := do(t, "GET", ts.URL+"/api/v1/check?lon=106.525&lat=29.525", "")
	require.Equal(t, http.StatusOK, r.Status)
	var res struct {
		Hits []struct{ Layer, ID string }
	}
	require.NoError(t, json.Unmarshal(r.Body, &res))
	got := map[string]string{}
	for _, h := range res.Hits {
		got[h.Layer] = h.ID
	}
	assert.Equal(t, map[string]string{"districts": "500101", "control_units": "ZH50010110001", "eco_redline": "HX500000-0001"}, got,
		"admission.Dataset.Check must copy the feature id into each hit")
}
