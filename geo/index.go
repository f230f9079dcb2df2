package geo

import (
	"context"
	"errors"

	"github.com/paulmach/orb"
)

// LayerSpec is one layer handed to NewIndex: its id and the geometry of
// each feature (Polygon, MultiPolygon, LineString, MultiLineString, Point
// or MultiPoint), already validated.
type LayerSpec struct {
	ID         string
	Geometries []orb.Geometry
}

// IndexOptions tune NewIndex.
type IndexOptions struct {
	// Tolerance for slivers; the zero value means DefaultTolerance.
	Tolerance Tolerance
	// MaxPieceVertices bounds the pieces large polygons are split into;
	// zero means 256.
	MaxPieceVertices int
}

// Index is an immutable spatial index over layers. It is safe for
// concurrent use.
type Index struct{}

// NewIndex builds an index.
func NewIndex(layers []LayerSpec, opts IndexOptions) (*Index, error) {
	return nil, errors.New("geo: not implemented")
}

// Query answers q. A failed computation returns an error, never an empty
// result.
func (x *Index) Query(ctx context.Context, q Query) (*Result, error) {
	return nil, errors.New("geo: not implemented")
}

// FeaturesIn returns, in ascending order, the indexes of the features of
// layer whose bounds intersect b.
func (x *Index) FeaturesIn(layer string, b orb.Bound) []int { return nil }
