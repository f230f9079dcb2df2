// Package geo is sanxian's geometry engine: geodesic measures on the
// CGCS2000 ellipsoid, validation of site geometries, and an immutable
// R-tree index over zoning layers that answers siting queries (which
// features a site hits, with overlap areas, lengths, chainages and
// distances). It reads no files, speaks no HTTP and does no logging.
package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Relation is how a site relates to a feature.
type Relation string

// Relations, from the strongest to the weakest.
const (
	// Within: the site lies inside the feature (a point in its interior, a
	// line or polygon entirely inside it, up to the sliver tolerance).
	Within Relation = "within"
	// Contains: the feature lies inside the site (polygon sites only).
	Contains Relation = "contains"
	// Intersects: the site and the feature share interior.
	Intersects Relation = "intersects"
	// Touches: boundary contact only, or an overlap smaller than the sliver
	// tolerance.
	Touches Relation = "touches"
	// Nearby: no contact, but within the query's buffer distance.
	Nearby Relation = "nearby"
)

// Query is one siting query.
type Query struct {
	// Geometry of the site in lon/lat (CGCS2000): Point, MultiPoint,
	// LineString, MultiLineString, Polygon or MultiPolygon. Validate it
	// first with ValidateSite.
	Geometry orb.Geometry
	// BufferM ≥ 0 also reports features within this many metres.
	BufferM float64
	// Layers restricts the query to these layer ids; empty means all.
	Layers []string
}

// Tolerance is the sliver tolerance. An overlap smaller than both
// MinAreaM2 and SiteRatio × the site's area is a sliver, reported as
// Touches (with its area); so is a line overlap shorter than MinLengthM.
// Both conditions must hold so that a large site cannot hide a real
// overlap: on a 200 km² parcel 0.01 % would be 2 ha, and 2 ha of red
// line is not a sliver. A site counts as Within a feature (or a feature
// as Contained) when what lies outside is itself a sliver by the same
// rule, or under the arithmetic's precision (1e-9 of the area).
type Tolerance struct {
	MinAreaM2   float64 `json:"min_area_m2"`
	SiteRatio   float64 `json:"site_ratio"`
	MinLengthM  float64 `json:"min_length_m"`
	EffectiveM2 float64 `json:"effective_area_m2"` // for the query at hand
	EffectiveM  float64 `json:"effective_length_m"`
}

// DefaultTolerance: 1 m² and 0.01 % of the site; 0.1 m for lines.
var DefaultTolerance = Tolerance{MinAreaM2: 1, SiteRatio: 0.0001, MinLengthM: 0.1}

// effectiveArea is the sliver area for a site of the given area.
func (t Tolerance) effectiveArea(siteArea float64) float64 {
	return math.Min(t.MinAreaM2, t.SiteRatio*siteArea)
}

// Hit is one feature the site touches, overlaps or comes near.
type Hit struct {
	Layer    string   `json:"layer"`
	Feature  int      `json:"-"` // index of the feature in its layer
	ID       string   `json:"id"`
	Relation Relation `json:"relation"`
	// OverlapAreaM2 and OverlapRatio (share of the site's area) are set for
	// polygon sites against polygon features.
	OverlapAreaM2 *float64 `json:"overlap_area_m2,omitempty"`
	OverlapRatio  *float64 `json:"overlap_ratio,omitempty"`
	// OverlapLengthM and ChainageM are set for line sites against polygon
	// features: the metres of the line inside the feature and the ranges
	// [from, to] along the line (metres from its start) that lie inside.
	OverlapLengthM *float64     `json:"overlap_length_m,omitempty"`
	ChainageM      [][2]float64 `json:"chainage_m,omitempty"`
	// DistanceM is the geodesic distance from the site to the feature's
	// nearest edge: 0 for touching or overlapping features.
	DistanceM float64 `json:"distance_m"`
	// OnBoundary is true when a point site lies exactly on the feature's
	// boundary (it then belongs to every feature sharing that edge).
	OnBoundary bool `json:"on_boundary,omitempty"`
}

// SiteInfo describes the query geometry.
type SiteInfo struct {
	Type     string     `json:"type"`
	AreaM2   float64    `json:"area_m2"`
	LengthM  float64    `json:"length_m"`
	BBox     [4]float64 `json:"bbox"`
	Vertices int        `json:"vertices"`
}

// Result is the answer to a Query.
type Result struct {
	Site      SiteInfo  `json:"query"`
	Hits      []Hit     `json:"hits"`
	Tolerance Tolerance `json:"tolerance"`
}
