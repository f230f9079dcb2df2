package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func box(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

func planarArea(mp orb.MultiPolygon) float64 { return planar.Area(mp) }

// Two 2 × 2 squares overlapping on a 1 × 2 strip.
func TestOverlayKnownAnswers(t *testing.T) {
	a, b := box(0, 0, 2, 2), box(1, 0, 3, 2)
	for _, tc := range []struct {
		op   OverlayOp
		area float64
	}{{Intersection, 2}, {Difference, 2}, {Union, 6}} {
		res, err := Overlay(tc.op, a, b)
		require.NoError(t, err)
		assert.InDelta(t, tc.area, planarArea(res), 1e-12, "op %d", tc.op)
	}
	res, err := Overlay(Intersection, a)
	require.NoError(t, err)
	assert.Nil(t, res, "an intersection with nothing is empty")
	res, err = Overlay(Difference, a)
	require.NoError(t, err)
	assert.Equal(t, a, res, "a difference with nothing is the subject")
	res, err = Overlay(Union, nil, a)
	require.NoError(t, err)
	assert.Nil(t, res, "an empty subject gives nil")
	// A polygon whose shell is degenerate is dropped, its holes with it.
	res, err = Overlay(Union, b, orb.MultiPolygon{{{{0, 0}, {1, 1}, {0, 0}}, {{0.2, 0.2}, {0.3, 0.2}, {0.3, 0.3}, {0.2, 0.2}}}})
	require.NoError(t, err)
	assert.InDelta(t, 4, planarArea(res), 1e-12)
	_, err = Overlay(OverlayOp(9), a, b)
	assert.Error(t, err)
}

// A 20 × 15 grid of unit cells without cells (7, 5) and (12, 9): the
// union is one polygon with two holes of area 1.
func TestOverlayUnionGrid(t *testing.T) {
	var cells []orb.MultiPolygon
	for j := 0; j < 15; j++ {
		for i := 0; i < 20; i++ {
			if (i == 7 && j == 5) || (i == 12 && j == 9) {
				continue
			}
			cells = append(cells, box(float64(i), float64(j), float64(i+1), float64(j+1)))
		}
	}
	u, err := Overlay(Union, cells[0], cells[1:]...)
	require.NoError(t, err)
	require.Len(t, u, 1)
	require.Len(t, u[0], 3, "a shell and two holes")
	assert.InDelta(t, 298, planarArea(u), 1e-9)
	for _, h := range u[0][1:] {
		assert.InDelta(t, 1, math.Abs(planar.Area(h)), 1e-12)
	}
}

// EachPoint visits every position once, in order; AsMultiPolygon wraps a
// polygon and refuses non-areal geometry.
func TestEachPointAndAsMultiPolygon(t *testing.T) {
	poly := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, {{0.2, 0.1}, {0.5, 0.1}, {0.5, 0.3}, {0.2, 0.1}}}
	var got []orb.Point
	collect := func(p orb.Point) { got = append(got, p) }
	EachPoint(orb.Collection{orb.Point{9, 9}, orb.MultiPoint{{1, 2}, {3, 4}}, orb.LineString{{5, 6}, {7, 8}}, poly, orb.Bound{Min: orb.Point{-1, -2}, Max: orb.Point{3, 4}}}, collect)
	want := []orb.Point{{9, 9}, {1, 2}, {3, 4}, {5, 6}, {7, 8}}
	want = append(append(want, poly[0]...), poly[1]...)
	want = append(want, orb.Point{-1, -2}, orb.Point{3, 4})
	assert.Equal(t, want, got)

	assert.Equal(t, orb.MultiPolygon{poly}, AsMultiPolygon(poly))
	assert.Equal(t, orb.MultiPolygon{poly, poly}, AsMultiPolygon(orb.MultiPolygon{poly, poly}))
	assert.Nil(t, AsMultiPolygon(orb.LineString{{0, 0}, {1, 1}}))
}
