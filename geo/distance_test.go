package geo

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Found by make compare on the ×10 dataset: two parts of a feature almost
// equally far from the site. With a flat 110,574 m per degree of latitude
// (0.3 % short at 31°N) the engine measured the wrong one, 1,358.74 m
// instead of 1,358.598 m. The distance must be the shorter geodesic.
func TestDistanceNearlyEquidistantParts(t *testing.T) {
	a, b := orb.Point{109.712286, 31.395882}, orb.Point{109.708161, 31.391862}
	site := orb.Point{109.72068426037806, 31.38596869275105}
	want := min(Distance(site, a), Distance(site, b))
	assert.InDelta(t, 1358.598, want, 0.001)
	x := mustIndex(t, IndexOptions{}, LayerSpec{ID: "wells", Geometries: []orb.Geometry{orb.MultiPoint{a, b}}})
	r := query(t, x, site, 2000)
	h := hitByID(r, "wells", 0)
	require.NotNil(t, h)
	assert.InDelta(t, want, h.DistanceM, 0.005, "reported to the centimetre")

	// The same with the parts as separate features and as a polygon's
	// corners.
	x = mustIndex(t, IndexOptions{}, LayerSpec{ID: "zones", Geometries: []orb.Geometry{
		orb.Polygon{{a, b, {109.70, 31.40}, a}},
	}})
	r = query(t, x, site, 2000)
	h = hitByID(r, "zones", 0)
	require.NotNil(t, h)
	assert.LessOrEqual(t, h.DistanceM, want+0.005, "no farther than the nearer corner")
}

// The local metric's scales are the ellipsoid's radii of curvature times
// one degree: M·π/180 is 110,574.3 m at the equator and 111,131.8 m at
// 45°; N·cos φ·π/180 is 111,319.5 m at the equator and 96,486.3 m at 30°.
func TestMetricScales(t *testing.T) {
	assert.InDelta(t, 110574.3, newMetric(0).ky, 0.1)
	assert.InDelta(t, 111131.8, newMetric(45).ky, 0.1)
	assert.InDelta(t, 111319.5, newMetric(0).kx, 0.1)
	assert.InDelta(t, 96486.3, newMetric(30).kx, 0.5)
}
