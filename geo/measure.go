package geo

import "github.com/paulmach/orb"

// Area returns the geodesic area in m² of a Polygon or MultiPolygon on the
// CGCS2000 ellipsoid; holes are subtracted. Other geometries have area 0.
func Area(g orb.Geometry) float64 { return 0 }

// Length returns the geodesic length in m of a LineString or
// MultiLineString; other geometries have length 0.
func Length(g orb.Geometry) float64 { return 0 }
