package geo

import (
	"fmt"

	"github.com/paulmach/orb"
)

// Limits bound what a site may be.
type Limits struct {
	// MaxVertices is the largest number of positions a site may have;
	// zero means 100,000.
	MaxVertices int
}

// Error codes of GeometryError, stable for programs.
const (
	CodeEmpty           = "empty_geometry"
	CodeUnsupportedType = "unsupported_geometry_type"
	CodeOutOfRange      = "coordinate_out_of_range"
	CodeNotFinite       = "coordinate_not_finite"
	CodeUnclosedRing    = "unclosed_ring"
	CodeTooFewPoints    = "too_few_points"
	CodeSelfIntersect   = "self_intersection"
	CodeInvalidPolygon  = "invalid_polygon"
	CodeTooManyVertices = "too_many_vertices"
)

// GeometryError says what is wrong with a geometry and where. Message is
// in Chinese for people; Code is stable for programs; Path locates the
// problem, e.g. "polygon[0].ring[1].point[5]"; Point is the offending or
// nearest position when known.
type GeometryError struct {
	Code    string
	Message string
	Path    string
	Point   *orb.Point
}

func (e *GeometryError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("geo: %s at %s: %s", e.Code, e.Path, e.Message)
	}
	return fmt.Sprintf("geo: %s: %s", e.Code, e.Message)
}

// ValidateSite checks a site geometry: supported type, not empty, finite
// coordinates in lon/lat range, closed rings of at least 4 positions, no
// self-intersection, at most lim.MaxVertices positions. It returns a
// *GeometryError for the first problem found.
func ValidateSite(g orb.Geometry, lim Limits) error { return nil }

// SimplifyForZoom returns g simplified for display at a web-map zoom level
// (tolerance about a quarter of a pixel); it never drops a ring or line
// entirely.
func SimplifyForZoom(g orb.Geometry, zoom int) orb.Geometry { return g }
