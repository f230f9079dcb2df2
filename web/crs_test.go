package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
)

// A site given in a Gauss-Krüger zone, in GCJ-02 or in BD-09 is checked
// where it really is: the same units as the CGCS2000 lon/lat, and the
// answer names the system it was given in.
func TestCheckInOtherCRS(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	// Inside the red line square (106.52–106.53, 29.52–29.53).
	site := orb.Point{106.525, 29.525}
	hitsOf := func(t *testing.T, r response) (string, []string) {
		t.Helper()
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var res admission.CheckResult
		require.NoError(t, json.Unmarshal(r.Body, &res))
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		return res.CRS, ids
	}
	name, want := hitsOf(t, do(t, "GET", fmt.Sprintf("%s/api/v1/check?lon=%v&lat=%v", ts.URL, site[0], site[1]), ""))
	assert.Equal(t, "EPSG:4490", name)
	require.Contains(t, want, "HX500000-0001")

	for _, name := range []string{"EPSG:4544", "EPSG:4523", "GCJ02", "BD-09"} {
		t.Run(name, func(t *testing.T) {
			c, err := crs.Parse(name)
			require.NoError(t, err)
			p, err := c.FromCGCS2000(site)
			require.NoError(t, err)
			got, ids := hitsOf(t, do(t, "GET", fmt.Sprintf("%s/api/v1/check?lon=%.9f&lat=%.9f&crs=%s", ts.URL, p[0], p[1], name), ""))
			assert.Equal(t, c.Name, got)
			assert.Equal(t, want, ids)
			body := fmt.Sprintf(`{"wkt": "POINT(%.9f %.9f)", "crs": %q}`, p[0], p[1], name)
			got, ids = hitsOf(t, do(t, "POST", ts.URL+"/api/v1/check", body))
			assert.Equal(t, c.Name, got)
			assert.Equal(t, want, ids)
		})
	}
}

func TestCheckCRSErrors(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	r := do(t, "GET", ts.URL+"/api/v1/check?lon=106.5&lat=29.5&crs=EPSG:2383", "")
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	e := errorOf(t, r)
	assert.Equal(t, CodeUnsupportedCRS, e.Code)
	assert.Contains(t, e.Message, "EPSG:4490")
	assert.NotEmpty(t, e.Details["accepted"])

	// Degrees given as a Gauss-Krüger easting/northing are outside the zone.
	r = do(t, "POST", ts.URL+"/api/v1/check", `{"wkt": "POINT(106.5 29.5)", "crs": "EPSG:4545"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	e = errorOf(t, r)
	assert.Equal(t, crs.CodeOutOfZone, e.Code)
	assert.Equal(t, "EPSG:4545", e.Details["crs"])

	// A swapped northing/easting gets crs's hint.
	zone, _ := crs.Parse("EPSG:4545")
	p, err := zone.FromCGCS2000(orb.Point{107.8, 29.6})
	require.NoError(t, err)
	r = do(t, "GET", fmt.Sprintf("%s/api/v1/check?lon=%.3f&lat=%.3f&crs=EPSG:4545", ts.URL, p[1], p[0]), "")
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status)
	assert.Contains(t, errorOf(t, r).Message, "X")
}

func TestParseSiteInOtherCRS(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	zone, _ := crs.Parse("EPSG:4544")
	p, err := zone.FromCGCS2000(orb.Point{106.525, 29.525})
	require.NoError(t, err)
	r := do(t, "POST", ts.URL+"/api/v1/sites/parse", fmt.Sprintf(`{"text": "POINT(%.4f %.4f)", "crs": "EPSG:4544"}`, p[0], p[1]))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var got struct {
		Geometry struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &got))
	assert.InDelta(t, 106.525, got.Geometry.Coordinates[0], 1e-7)
	assert.InDelta(t, 29.525, got.Geometry.Coordinates[1], 1e-7)
	r = do(t, "POST", ts.URL+"/api/v1/sites/parse", `{"text": "POINT(1 2)", "crs": "nope"}`)
	assert.Equal(t, CodeUnsupportedCRS, errorOf(t, r).Code)
}
